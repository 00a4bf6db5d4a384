/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api-functions.h"
#include "api-versions.h"
#include "declarations.h"
#include "function-code.h"
#include "instance.h"
#include "log.h"
#include "managed-function.h"
#include "pending-call.h"
#include "registry.h"
#include "strv.h"

static void on_config_error(const char *path, const char *message, void *userdata)
{
        log_error("%s: %s (function not loaded)", path, message);
}

/* Why the destination cannot be used, or NULL when it can: a function must be declared itself and be
 * another one (as on AWS: a function of its own would loop), a directory must exist under the allowed
 * root (the gateway writes the records there). */
static const char *destination_problem(const Manager *m, const Registry *reg, const char *self,
                                       const char *d)
{
        const char *root = m->config.destination_root;
        struct stat st;
        size_t n;

        if (!d)
                return NULL;
        if (strncmp(d, DESTINATION_FUNCTION_PREFIX, STRLEN(DESTINATION_FUNCTION_PREFIX)) == 0) {
                d += STRLEN(DESTINATION_FUNCTION_PREFIX);
                if (strcmp(d, self) == 0)
                        return "a function cannot be its own destination";
                return registry_find(reg, d) ? NULL : "the destination function is not declared";
        }
        d += STRLEN(DESTINATION_DIRECTORY_PREFIX);
        n = root ? strlen(root) : 0;
        if (!root || !(strcmp(root, "/") == 0 || (strncmp(d, root, n) == 0 && (d[n] == '/' || d[n] == 0))))
                return "the destination directory is not under the allowed root (--destination-root)";
        if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
                return "the destination directory does not exist";
        return NULL;
}

/* Refuses declarations whose destinations cannot be used; repeated, as refusing one may leave
 * another pointing at nothing. */
static void declarations_check_destinations(Manager *m, Registry *reg)
{
        bool changed = true;

        while (changed) {
                changed = false;
                for (size_t k = 0; k < reg->n_functions; k++) {
                        FunctionConfig *c = reg->functions[k];
                        const char *key = "on_success",
                                   *problem = destination_problem(m, reg, c->name, c->on_success);

                        if (!problem) {
                                key = "on_failure";
                                problem = destination_problem(m, reg, c->name, c->on_failure);
                        }
                        if (!problem)
                                continue;
                        log_error("%s/%s.json: %s: %s (function not loaded)", m->config.functions_dir,
                                  c->name, key, problem);
                        function_config_free(c);
                        memmove(reg->functions + k, reg->functions + k + 1,
                                (reg->n_functions - k - 1) * sizeof(FunctionConfig *));
                        reg->n_functions--;
                        changed = true;
                        break;
                }
        }
}

/* f's declaration changed or went: its instances stop (leased ones once released), and new calls find
 * the new function, if any. */
static void declarations_retire(Manager *m, ManagedFunction *f)
{
        PoolActions a = {};

        f->removed = true;
        if (pool_stop_all(&f->pool, &a) < 0)
                log_oom();
        /* Its waiting calls wait on for the new declaration, if there is one. */
        for (size_t k = 0; k < a.n; k++)
                if (a.a[k].type == POOL_ACTION_FAIL && a.a[k].error == -ECANCELED)
                        a.a[k].error = -EAGAIN;
        manager_apply(m, f, &a, "configuration changed");
        pool_actions_done(&a);
        /* Holders keep warm leases for their next invocations: ask for them back, so that new
         * invocations get the new function (the running ones end first). */
        for (Instance *i = m->instances; i; i = i->next)
                if (i->function == f && i->slot->state == INSTANCE_LEASED)
                        instance_emit_stopped(i, "configuration changed");
}

/* New code of a zip function: as many instances of it start as the old code had, so that the callers
 * of the old ones find the new warm (the old go as they are released). */
static void declarations_recycle(Manager *m, ManagedFunction *f)
{
        PoolActions a = {};
        unsigned n = 0;

        if (!f->config->code || f->config->code->error)
                return;
        for (ManagedFunction *old = m->functions; old; old = old->next)
                if (old != f && old->removed && old->config && old->config->code &&
                    strcmp(old->name, f->name) == 0)
                        n = MAX(n, old->pool.n_instances);
        if (n == 0)
                return;
        if (pool_prewarm(&f->pool, n, &a) < 0)
                log_oom();
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
}

/* A zip function whose code is being prepared: a new one waits for it (its calls wait with it,
 * function_for_call()), one that serves its old code meanwhile keeps serving. Takes c. */
static int declarations_await_code(Manager *m, FunctionConfig *c)
{
        ManagedFunction *f = function_find(m, c->name);

        if (f && (f->code_pending || (f->config && !f->config->implicit))) {
                function_config_free(f->pending_config);
                f->pending_config = c;
                return 0;
        }
        if (f)
                declarations_retire(m, f);
        if (function_new(m, c->name, NULL, &f) < 0) {
                function_config_free(c);
                return log_oom();
        }
        f->code_pending = true;
        f->pending_config = c;
        return 0;
}

int declarations_load(Manager *m)
{
        _cleanup_(registry_freep) Registry *reg = NULL, *pending = calloc(1, sizeof(Registry));
        int r;

        if (!pending)
                return log_oom();
        r = registry_load(m->config.functions_dir, on_config_error, m, &reg);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", m->config.functions_dir);
        r = api_functions_load(m, reg);
        if (r < 0)
                return log_oom();
        declarations_check_destinations(m, reg);
        /* At start the code is prepared before anything is served; later the old code serves meanwhile. */
        r = function_code_resolve(m, reg, !m->loaded, pending);
        if (r < 0)
                return log_error_errno(r, "Failed to prepare the functions' code: %m");
        m->loaded = true;

        for (ManagedFunction *f = m->functions; f; f = f->next) {
                const FunctionConfig *c;

                if (f->removed || registry_find(pending, f->name))
                        continue;
                c = registry_find(reg, f->name);
                if (f->code_pending) {
                        if (!c)
                                function_resolve_failed(
                                        f, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                        "ManagedFunction not found: its declaration was removed.");
                        continue;
                }
                if (!f->config)
                        continue;
                if (c && function_config_equal(c, f->config))
                        continue;
                if (!c && f->config->implicit)
                        continue;
                log_info("ManagedFunction '%s' %s: stopping its instances.", f->name,
                         c ? "changed" : "was removed");
                declarations_retire(m, f);
        }

        for (size_t k = 0; k < reg->n_functions; k++) {
                FunctionConfig *c = reg->functions[k];
                ManagedFunction *f = function_find(m, c->name);

                if (f && f->code_pending) {
                        reg->functions[k] = NULL;
                        function_resolved(f, c);
                        continue;
                }
                if (f && f->config && !f->config->implicit)
                        continue; /* unchanged */
                if (f)
                        /* A declaration now replaces the label convention. */
                        declarations_retire(m, f);
                r = function_new(m, c->name, c, &f);
                if (r < 0)
                        return log_oom();
                reg->functions[k] = NULL; /* the function owns it now */
                declarations_recycle(m, f);
        }
        for (size_t k = 0; k < pending->n_functions; k++)
                if (declarations_await_code(m, TAKE_PTR(pending->functions[k])) < 0)
                        return -ENOMEM;
        function_versions_follow(m);
        pending_requeued(m);
        function_gc_later(m);
        function_code_collect(m);
        manager_update_timers(m);
        api_versions_loaded(m);
        return 0;
}
