/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "instance.h"
#include "log.h"
#include "managed-function.h"
#include "memory-budget.h"
#include "util.h"

/* The idle or frozen instance unused the longest, of all functions. */
static PoolInstance *least_recent(Manager *m, ManagedFunction **ret_function)
{
        PoolInstance *best = NULL;

        for (ManagedFunction *f = m->functions; f; f = f->next) {
                PoolInstance *i = pool_least_recent(&f->pool);

                if (i && (!best || i->idle_since < best->idle_since)) {
                        best = i;
                        *ret_function = f;
                }
        }
        return best;
}

static void serve_waiting(Manager *m)
{
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (!f->config || f->removed || f->pool.n_waiters == 0)
                        continue;
                if (pool_serve(&f->pool, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, NULL);
                pool_actions_done(&a);
        }
}

static int on_budget(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;

        m->budget_busy = true;
        m->budget_hungry = false;
        m->budget.starved = false;
        serve_waiting(m);
        while (m->budget.starved) {
                ManagedFunction *f = NULL;
                PoolInstance *i = least_recent(m, &f);
                PoolActions a = {};

                m->budget.starved = false;
                if (!i) {
                        /* The callers wait for memory to come free or an instance to idle, or fail at
                         * their deadline. */
                        m->budget_hungry = true;
                        break;
                }
                log_info(
                        "Stopping instance %.12s of '%s' (unused for %.1f s): the memory budget of %llu MiB "
                        "is used up and a call waits.",
                        ((Instance *) i->userdata)->id, f->name,
                        (double) (now_usec(CLOCK_MONOTONIC) - i->idle_since) / USEC_PER_SEC,
                        (unsigned long long) (m->budget.limit >> 20));
                if (pool_evict(&f->pool, i, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "evicted for memory");
                pool_actions_done(&a);
                serve_waiting(m);
        }
        m->budget_busy = false;
        m->budget_seen = m->budget.used;
        return 0;
}

void memory_budget_check(Manager *m)
{
        bool freed = m->budget.used < m->budget_seen;

        if (m->budget.limit == 0 || m->budget_busy)
                return;
        m->budget_seen = m->budget.used;
        /* A caller waits for memory: whatever happened may have let some come free or idle. */
        if (m->budget.starved || freed || m->budget_hungry)
                (void) sd_event_source_set_enabled(m->budget_event, SD_EVENT_ONESHOT);
}

int memory_budget_init(Manager *m, uint64_t limit_bytes)
{
        int r;

        m->budget = (PoolBudget){ .limit = limit_bytes };
        if (limit_bytes == 0)
                return 0;
        r = sd_event_add_defer(m->event, &m->budget_event, on_budget, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->budget_event, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->budget_event, "memory-budget");
        return 0;
}

void memory_budget_done(Manager *m)
{
        m->budget_event = sd_event_source_disable_unref(m->budget_event);
}
