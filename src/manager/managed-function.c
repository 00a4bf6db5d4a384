/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "list.h"
#include "log.h"
#include "function-code.h"
#include "managed-function.h"
#include "util.h"

/* The function NAME of a published version NAME:N, when it is there with its config; NULL otherwise
 * (and for NAME itself). */
static ManagedFunction *version_base(Manager *m, const char *name)
{
        const char *colon = strchr(name, ':');
        ManagedFunction *base;

        if (!colon)
                return NULL;
        base = function_find(m, strndupa(name, (size_t) (colon - name)));
        return base && base->config ? base : NULL;
}

bool function_in_family(const ManagedFunction *f, const char *name)
{
        size_t n = strlen(name);

        return strncmp(f->name, name, n) == 0 && (f->name[n] == '\0' || f->name[n] == ':');
}

/* The reserved concurrency that c's calls count against: for a published version its function's
 * current one (a version keeps none of its own, as on Lambda), else its own max_instances. */
static unsigned reserved_of(Manager *m, const FunctionConfig *c)
{
        ManagedFunction *base = version_base(m, c->name);

        return base ? base->config->max_instances : c->max_instances;
}

PoolLimits function_limits(Manager *m, const FunctionConfig *c)
{
        unsigned max = reserved_of(m, c);

        return (PoolLimits){
                .min_instances = MAX(c->min_instances, MIN(c->provisioned, max)),
                .spare_instances = c->spare_instances,
                .max_instances = max,
                .idle_timeout_usec = c->idle_timeout_usec,
                .freeze_after_usec = c->freeze_after_usec,
                .memory_bytes = (uint64_t) c->memory_mb << 20,
                .wait_timeout_usec = m->config.wait_timeout_usec,
                .max_waiters = MAX_WAITERS,
        };
}

void function_limits_update(ManagedFunction *f, const char *stop_reason)
{
        PoolActions a = {};
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        f->pool.limits = function_limits(f->manager, f->config);
        if (pool_trim(&f->pool, &a) < 0 || pool_tick(&f->pool, now, &a) < 0)
                log_oom();
        manager_apply(f->manager, f, &a, stop_reason);
        pool_actions_done(&a);
}

void function_versions_follow(Manager *m)
{
        for (ManagedFunction *f = m->functions; f; f = f->next)
                if (!f->removed && f->config && strchr(f->name, ':') &&
                    f->pool.limits.max_instances != reserved_of(m, f->config))
                        function_limits_update(f, "beyond its function's reserved concurrency");
}

ManagedFunction *function_free(ManagedFunction *f)
{
        Manager *m;

        if (!f)
                return NULL;
        m = f->manager;
        LIST_REMOVE(m->functions, f);

        docker_call_cancel(f->resolve_call);
        while (f->resolving) {
                PendingCall *pc = f->resolving;

                f->resolving = pc->next;
                pending_reply_error(pc, LAMBDAD_ERROR_CANCELLED, "ManagedFunction '%s' went away.", f->name);
        }
        pool_done(&f->pool);
        function_config_free(f->config);
        function_config_free(f->pending_config);
        free(f->start_message);
        free(f->name);
        free(f);
        return NULL;
}

ManagedFunction *function_find(Manager *m, const char *name)
{
        for (ManagedFunction *f = m->functions; f; f = f->next)
                if (!f->removed && strcmp(f->name, name) == 0)
                        return f;
        return NULL;
}

int function_new(Manager *m, const char *name, FunctionConfig *config, ManagedFunction **ret)
{
        ManagedFunction *f = calloc(1, sizeof(ManagedFunction));

        if (!f)
                return -ENOMEM;
        f->manager = m;
        f->name = strdup(name);
        if (!f->name) {
                free(f);
                return -ENOMEM;
        }
        f->config = config;
        f->created_usec = now_usec(CLOCK_REALTIME);
        /* An implicit function gets its limits once its image is checked. */
        pool_init(&f->pool, &(PoolLimits){ .max_waiters = MAX_WAITERS });
        f->pool.budget = &m->budget;
        if (config)
                f->pool.limits = function_limits(m, config);
        LIST_PREPEND(m->functions, f);
        *ret = f;
        return 0;
}

int function_gc(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;

        bool code = false;

        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                next = f->next;
                if (f->removed && f->pool.n_instances == 0 && f->pool.n_waiters == 0 && !f->resolving) {
                        code = code || (f->config && f->config->code);
                        function_free(f);
                }
        }
        /* The last instance of an old snapshot is gone: so can the snapshot be. */
        if (code)
                function_code_collect(m);
        return 0;
}

void function_gc_later(Manager *m)
{
        if (m->gc_event)
                (void) sd_event_source_set_enabled(m->gc_event, SD_EVENT_ONESHOT);
}

void function_resolve_failed(ManagedFunction *f, const char *error_name, const char *message)
{
        Manager *m = f->manager;
        PendingCall *calls = TAKE_PTR(f->resolving);

        f->resolve_call = NULL;
        f->code_pending = false;
        /* Forget the function so that the next call checks again. */
        f->removed = true;
        while (calls) {
                PendingCall *pc = calls;

                calls = pc->next;
                pending_reply_error(pc, error_name, "%s", message);
        }
        function_gc_later(m);
        manager_update_timers(m);
}

void function_resolved(ManagedFunction *f, FunctionConfig *config)
{
        Manager *m = f->manager;
        PendingCall *calls = TAKE_PTR(f->resolving);

        f->resolve_call = NULL;
        f->code_pending = false;
        f->pending_config = function_config_free(f->pending_config);
        f->config = config;
        f->pool.limits = function_limits(m, config);
        while (calls) {
                PendingCall *pc = calls;

                calls = pc->next;
                pc->next = NULL;
                if (pc->kind == CALL_CONFIGURATION)
                        pending_reply_configuration(pc, f);
                else
                        function_acquire(f, pc);
        }
        manager_update_timers(m);
}

void function_acquire(ManagedFunction *f, PendingCall *pc)
{
        PoolActions a = {};

        if (function_refuses(f, pc))
                return;
        pc->function = f;
        if (pool_acquire(&f->pool, pc->kind == CALL_ENSURE ? "" : sd_bus_message_get_sender(pc->message) ?: "",
                         pc, now_usec(CLOCK_MONOTONIC), &a) < 0)
                pending_reply_error(pc, SD_BUS_ERROR_NO_MEMORY, "Out of memory.");
        manager_apply(f->manager, f, &a, NULL);
        pool_actions_done(&a);
}

/* Whether the reserved concurrency of f's function (NAME, shared by NAME and its versions NAME:N, as on
 * Lambda) refuses one more execution of f now (pool_shared_refuses()). Functions that went (a changed
 * declaration's old instances) do not count. */
static bool function_throttled(ManagedFunction *f, unsigned *ret_cap)
{
        ManagedFunction *base = version_base(f->manager, f->name);
        const char *name = base ? base->name : f->name;
        unsigned others = 0;

        *ret_cap = f->config ? reserved_of(f->manager, f->config) : f->pool.limits.max_instances;
        for (ManagedFunction *g = f->manager->functions; g; g = g->next)
                if (g != f && !g->removed && function_in_family(g, name))
                        others += pool_in_use(&g->pool);
        return pool_shared_refuses(*ret_cap, pool_in_use(&f->pool), others);
}

bool function_refuses(ManagedFunction *f, PendingCall *pc)
{
        const CodeConfig *code = f->config ? f->config->code : NULL;
        unsigned cap;

        if (function_throttled(f, &cap)) {
                pending_reply_error(pc, LAMBDAD_ERROR_THROTTLED,
                                    "Rate Exceeded: '%s' is at its function's reserved concurrency (%u).",
                                    f->name, cap);
                return true;
        }
        if (!code || !code->error)
                return false;
        pending_reply_error(pc, LAMBDAD_ERROR_START_FAILED, "%s", code->error);
        return true;
}

/* The config of implicit function name from its image: -ENOENT unless the image carries our label for it. */
static int implicit_config(const char *name, const DockerImage *image, FunctionConfig **ret)
{
        if (!image->function || strcmp(image->function, name) != 0)
                return -ENOENT;
        return function_config_new_implicit(name, ret);
}

int function_new_implicit(Manager *m, const char *name, const DockerImage *image, ManagedFunction **ret)
{
        _cleanup_(function_config_freep) FunctionConfig *config = NULL;
        int r;

        r = implicit_config(name, image, &config);
        if (r < 0)
                return r;
        r = function_new(m, name, config, ret);
        if (r < 0)
                return r;
        TAKE_PTR(config);
        log_info("ManagedFunction '%s' runs image %s (labelled org.lambdad.function=%s).", name,
                 (*ret)->config->image, name);
        return 0;
}

static void on_image_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        ManagedFunction *f = userdata;
        _cleanup_(docker_image_done) DockerImage image = {};
        FunctionConfig *config = NULL;
        char message[512];

        f->resolve_call = NULL;
        if (error < 0) {
                (void) snprintf(message, sizeof(message), "Container engine unreachable: %s",
                                strerror(-error));
                return function_resolve_failed(f, LAMBDAD_ERROR_BACKEND_UNAVAILABLE, message);
        }
        /* The engine's own fault says nothing about the image: not "not found", but "try again". */
        if (status >= 500) {
                (void) snprintf(message, sizeof(message),
                                "Container engine failed (inspecting image %s:latest, HTTP %li).", f->name,
                                status);
                return function_resolve_failed(f, LAMBDAD_ERROR_BACKEND_UNAVAILABLE, message);
        }
        if (status == 200 && docker_parse_image(body, len, &image) >= 0 &&
            implicit_config(f->name, &image, &config) >= 0) {
                log_info("ManagedFunction '%s' runs image %s (labelled org.lambdad.function=%s).", f->name,
                         config->image, f->name);
                return function_resolved(f, config);
        }
        (void) snprintf(message, sizeof(message),
                        "ManagedFunction not found: '%s' is not declared, and no local image %s:latest "
                        "carries the label "
                        "org.lambdad.function=%s.",
                        f->name, f->name, f->name);
        function_resolve_failed(f, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, message);
}

int function_for_call(Manager *m, const char *name, PendingCall *pc, ManagedFunction **ret)
{
        _cleanup_free_ char *path = NULL;
        ManagedFunction *f;
        int r;

        f = function_find(m, name);
        /* A version is published, never implicit. */
        if (!f && (!m->config.implicit_functions || strchr(name, ':')))
                return -ENOENT;
        if (!f) {
                r = function_new(m, name, NULL, &f);
                if (r < 0)
                        return r;
                if (asprintf(&path, "/images/%s:latest/json", name) < 0)
                        return -ENOMEM;
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_image_inspected, f,
                                &f->resolve_call);
                if (r < 0) {
                        function_free(f);
                        return r;
                }
        }
        pc->function = f;
        if (!f->config) {
                pc->next = f->resolving;
                f->resolving = pc;
                *ret = NULL;
                return 0;
        }
        *ret = f;
        return 0;
}
