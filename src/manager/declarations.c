/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declarations.h"
#include "log.h"
#include "managed-function.h"
#include "registry.h"

static void on_config_error(const char *path, const char *message, void *userdata)
{
        log_error("%s: %s (function not loaded)", path, message);
}

int declarations_load(Manager *m)
{
        _cleanup_(registry_freep) Registry *reg = NULL;
        int r;

        r = registry_load(m->config.functions_dir, on_config_error, m, &reg);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", m->config.functions_dir);

        for (ManagedFunction *f = m->functions; f; f = f->next) {
                const FunctionConfig *c;
                PoolActions a = {};

                if (f->removed || !f->config)
                        continue;
                c = registry_find(reg, f->name);
                if (c && function_config_equal(c, f->config))
                        continue;
                if (!c && f->config->implicit)
                        continue;
                log_info("ManagedFunction '%s' %s: stopping its instances.", f->name,
                         c ? "changed" : "was removed");
                f->removed = true;
                if (pool_stop_all(&f->pool, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "configuration changed");
                pool_actions_done(&a);
        }

        for (size_t k = 0; k < reg->n_functions; k++) {
                FunctionConfig *c = reg->functions[k];
                ManagedFunction *f = function_find(m, c->name);

                if (f && f->config && !f->config->implicit)
                        continue; /* unchanged */
                if (f) {
                        /* A declaration now replaces the label convention. */
                        PoolActions a = {};

                        f->removed = true;
                        if (pool_stop_all(&f->pool, &a) < 0)
                                log_oom();
                        manager_apply(m, f, &a, "configuration changed");
                        pool_actions_done(&a);
                }
                r = function_new(m, c->name, c, &f);
                if (r < 0)
                        return log_oom();
                reg->functions[k] = NULL; /* the function owns it now */
        }
        function_gc_later(m);
        manager_update_timers(m);
        return 0;
}
