/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "macro.h"
#include "pool.h"

void pool_actions_done(PoolActions *out)
{
        free(out->a);
        *out = (PoolActions){};
}

static int reserve(PoolActions *out, size_t extra)
{
        PoolAction *a;
        size_t cap;

        if (out->n + extra <= out->cap)
                return 0;
        cap = MAX(out->n + extra, out->cap * 2);
        a = realloc(out->a, cap * sizeof(PoolAction));
        if (!a)
                return -ENOMEM;
        out->a = a;
        out->cap = cap;
        return 0;
}

/* Never fails: every caller reserved room first. */
static void push(PoolActions *out, PoolActionType type, PoolInstance *i, void *waiter, int error)
{
        out->a[out->n++] = (PoolAction){ .type = type, .instance = i, .waiter = waiter, .error = error };
}

void pool_init(Pool *p, const PoolLimits *limits)
{
        *p = (Pool){ .limits = *limits };
}

static void waiter_free(PoolWaiter *w)
{
        free(w->owner);
        free(w);
}

/* Whether one more instance fits the budget. */
static bool fits(const Pool *p)
{
        return !p->budget || p->budget->limit == 0 ||
               p->budget->used + p->limits.memory_bytes <= p->budget->limit;
}

static void charge(Pool *p)
{
        if (p->budget)
                p->budget->used += p->limits.memory_bytes;
}

/* A stopping instance is as good as gone: its container is being killed. */
static void uncharge(Pool *p, const PoolInstance *i)
{
        if (p->budget && i->state != INSTANCE_STOPPING)
                p->budget->used -= MIN(p->budget->used, p->limits.memory_bytes);
}

static void slot_unlink(Pool *p, PoolInstance *i)
{
        uncharge(p, i);
        LIST_REMOVE(p->instances, i);
        p->n_instances--;
        free(i->owner);
        free(i);
}

void pool_done(Pool *p)
{
        while (p->instances)
                slot_unlink(p, p->instances);
        while (p->waiters) {
                PoolWaiter *w = p->waiters;
                p->waiters = w->next;
                waiter_free(w);
        }
        p->waiters_tail = NULL;
        p->n_waiters = 0;
}

unsigned pool_count(const Pool *p, InstanceState state)
{
        unsigned n = 0;

        for (PoolInstance *i = p->instances; i; i = i->next)
                if (i->state == state)
                        n++;
        return n;
}

unsigned pool_in_use(const Pool *p)
{
        return pool_count(p, INSTANCE_LEASED) + p->n_waiters;
}

bool pool_shared_refuses(unsigned cap, unsigned own, unsigned others)
{
        return cap == 0 || (others > 0 && own + others >= cap);
}

static PoolInstance *slot_new(Pool *p)
{
        PoolInstance *i = calloc(1, sizeof(PoolInstance));

        if (!i)
                return NULL;
        charge(p);
        i->state = INSTANCE_STARTING;
        LIST_PREPEND(p->instances, i);
        p->n_instances++;
        return i;
}

static PoolWaiter *waiter_pop(Pool *p)
{
        PoolWaiter *w = p->waiters;

        if (!w)
                return NULL;
        p->waiters = w->next;
        if (!p->waiters)
                p->waiters_tail = NULL;
        p->n_waiters--;
        return w;
}

static void waiter_remove(Pool *p, PoolWaiter *w, PoolWaiter *prev)
{
        if (prev)
                prev->next = w->next;
        else
                p->waiters = w->next;
        if (p->waiters_tail == w)
                p->waiters_tail = prev;
        p->n_waiters--;
        waiter_free(w);
}

static void stop(Pool *p, PoolInstance *i, PoolActions *out)
{
        uncharge(p, i);
        i->state = INSTANCE_STOPPING;
        free(i->owner);
        i->owner = NULL;
        push(out, POOL_ACTION_STOP, i, NULL, 0);
}

/* Hands a usable instance to the oldest waiter, or lets it idle. */
static void grant_or_idle(Pool *p, PoolInstance *i, uint64_t now, bool thawed, PoolActions *out)
{
        PoolWaiter *w;

        free(i->owner);
        i->owner = NULL;

        w = waiter_pop(p);
        if (!w) {
                i->state = INSTANCE_IDLE;
                i->idle_since = now;
                return;
        }
        i->state = INSTANCE_LEASED;
        i->owner = TAKE_PTR(w->owner);
        push(out, POOL_ACTION_GRANT, i, w->userdata, 0);
        out->a[out->n - 1].thawed = thawed;
        waiter_free(w);
}

/* The waiters that starts and thaws in flight will serve. */
static unsigned covered(const Pool *p)
{
        return pool_count(p, INSTANCE_STARTING) + pool_count(p, INSTANCE_THAWING);
}

/* Of the instances in state, the one idle the shortest: the others can reach their keep-alive. */
static PoolInstance *freshest(const Pool *p, InstanceState state)
{
        PoolInstance *best = NULL;

        for (PoolInstance *i = p->instances; i; i = i->next)
                if (i->state == state && (!best || i->idle_since > best->idle_since))
                        best = i;
        return best;
}

/* Each waiter that has nothing coming gets a frozen instance thawed, else a start within the limit.
 * Callers reserve room for n_waiters + 1 actions. */
static void serve_waiters(Pool *p, PoolActions *out)
{
        while (p->n_waiters > covered(p)) {
                PoolInstance *i = freshest(p, INSTANCE_FROZEN);

                if (i) {
                        i->state = INSTANCE_THAWING;
                        push(out, POOL_ACTION_THAW, i, NULL, 0);
                        continue;
                }
                if (p->n_instances >= p->limits.max_instances)
                        return;
                if (!fits(p)) {
                        p->budget->starved = true;
                        return;
                }
                i = slot_new(p);
                /* Without memory for it, the waiter is served by a release or fails at its deadline. */
                if (!i)
                        return;
                push(out, POOL_ACTION_START, i, NULL, 0);
        }
}

int pool_acquire(Pool *p, const char *owner, void *waiter, uint64_t now, PoolActions *out)
{
        _cleanup_free_ char *o = NULL;
        PoolInstance *best;
        PoolWaiter *w;

        if (reserve(out, p->n_waiters + 2) < 0)
                return -ENOMEM;
        o = strdup(owner);
        if (!o)
                return -ENOMEM;

        best = freshest(p, INSTANCE_IDLE);
        if (best) {
                best->state = INSTANCE_LEASED;
                best->owner = TAKE_PTR(o);
                push(out, POOL_ACTION_GRANT, best, waiter, 0);
                return 0;
        }

        if (p->n_waiters >= p->limits.max_waiters) {
                push(out, POOL_ACTION_FAIL, NULL, waiter, -EBUSY);
                return 0;
        }

        w = calloc(1, sizeof(PoolWaiter));
        if (!w)
                return -ENOMEM;
        *w = (PoolWaiter){ .owner = TAKE_PTR(o),
                           .deadline = now + p->limits.wait_timeout_usec,
                           .userdata = waiter };
        if (p->waiters_tail)
                p->waiters_tail->next = w;
        else
                p->waiters = w;
        p->waiters_tail = w;
        p->n_waiters++;

        serve_waiters(p, out);
        return 0;
}

/* A started or thawed instance answers: it stops (StopFunction meanwhile), serves, or idles. */
static int usable(Pool *p, PoolInstance *i, uint64_t now, bool thawed, PoolActions *out)
{
        if (reserve(out, 1) < 0)
                return -ENOMEM;
        if (i->doomed)
                stop(p, i, out);
        else
                grant_or_idle(p, i, now, thawed, out);
        return 0;
}

int pool_instance_ready(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out)
{
        return usable(p, i, now, false, out);
}

int pool_instance_thawed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out)
{
        return usable(p, i, now, true, out);
}

int pool_instance_thaw_failed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out)
{
        if (reserve(out, p->n_waiters + 1) < 0)
                return -ENOMEM;
        slot_unlink(p, i);
        serve_waiters(p, out);
        return 0;
}

int pool_instance_failed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out)
{
        unsigned starting;

        if (reserve(out, p->n_waiters) < 0)
                return -ENOMEM;
        slot_unlink(p, i);

        /* The waiters the remaining starts will serve keep waiting; the rest learn at once that
         * starting failed, rather than triggering start after failing start. */
        starting = covered(p);
        while (p->n_waiters > starting) {
                PoolWaiter *w = waiter_pop(p);

                push(out, POOL_ACTION_FAIL, NULL, w->userdata, -EIO);
                waiter_free(w);
        }
        return 0;
}

int pool_release(Pool *p, PoolInstance *i, bool healthy, uint64_t now, PoolActions *out)
{
        if (reserve(out, 1) < 0)
                return -ENOMEM;
        if (!healthy || i->doomed)
                stop(p, i, out);
        else
                grant_or_idle(p, i, now, false, out);
        return 0;
}

int pool_instance_gone(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out)
{
        if (reserve(out, p->n_waiters + 1) < 0)
                return -ENOMEM;
        slot_unlink(p, i);
        serve_waiters(p, out);
        return 0;
}

int pool_owner_gone(Pool *p, const char *owner, uint64_t now, PoolActions *out)
{
        PoolWaiter *prev = NULL;
        int n = 0;

        if (reserve(out, p->n_instances + p->n_waiters) < 0)
                return -ENOMEM;

        for (PoolInstance *i = p->instances; i; i = i->next)
                if (i->state == INSTANCE_LEASED && i->owner && strcmp(i->owner, owner) == 0) {
                        stop(p, i, out);
                        n++;
                }

        for (PoolWaiter *w = p->waiters, *next; w; w = next) {
                next = w->next;
                if (strcmp(w->owner, owner) == 0) {
                        push(out, POOL_ACTION_FAIL, NULL, w->userdata, -ECONNRESET);
                        waiter_remove(p, w, prev);
                } else
                        prev = w;
        }
        return n;
}

static unsigned live_instances(const Pool *p)
{
        return p->n_instances - pool_count(p, INSTANCE_STOPPING);
}

/* Started instances nobody waits for: idle, frozen, and starts or thaws beyond the waiters. */
static unsigned spares(const Pool *p)
{
        unsigned n_covered = covered(p);

        return pool_count(p, INSTANCE_IDLE) + pool_count(p, INSTANCE_FROZEN) +
               (n_covered > p->n_waiters ? n_covered - p->n_waiters : 0);
}

/* An idle or frozen instance stops at its keep-alive only above min_instances and beyond the spares. */
static bool may_retire(const Pool *p)
{
        return live_instances(p) > p->limits.min_instances && spares(p) > p->limits.spare_instances;
}

/* Below min_instances, or short of spares (a scale-out took one), within the limit. */
static bool wants_start(const Pool *p)
{
        return p->n_instances < p->limits.max_instances && fits(p) &&
               (live_instances(p) < p->limits.min_instances || spares(p) < p->limits.spare_instances);
}

int pool_tick(Pool *p, uint64_t now, PoolActions *out)
{
        PoolWaiter *prev = NULL;
        unsigned n_covered = covered(p);

        if (reserve(out,
                    p->n_waiters + p->n_instances + p->limits.min_instances + p->limits.spare_instances) < 0)
                return -ENOMEM;

        /* The oldest waiters are those the starts and thaws in flight will serve: they wait for their
         * start to succeed or fail (each start has a deadline of its own), as giving up on a container
         * that is about to answer helps nobody. Only the others are at the limit, and time out. */
        for (PoolWaiter *w = p->waiters, *next; w; w = next) {
                next = w->next;
                if (n_covered > 0) {
                        n_covered--;
                        prev = w;
                } else if (w->deadline <= now) {
                        push(out, POOL_ACTION_FAIL, NULL, w->userdata, -EBUSY);
                        waiter_remove(p, w, prev);
                } else
                        prev = w;
        }

        for (PoolInstance *i = p->instances; i; i = i->next)
                if ((i->state == INSTANCE_IDLE || i->state == INSTANCE_FROZEN) &&
                    i->idle_since + p->limits.idle_timeout_usec <= now && may_retire(p))
                        stop(p, i, out);
                else if (i->state == INSTANCE_IDLE && p->limits.freeze_after_usec > 0 &&
                         i->idle_since + p->limits.freeze_after_usec <= now) {
                        i->state = INSTANCE_FROZEN;
                        push(out, POOL_ACTION_FREEZE, i, NULL, 0);
                }

        while (wants_start(p)) {
                PoolInstance *i = slot_new(p);

                if (!i)
                        break;
                push(out, POOL_ACTION_START, i, NULL, 0);
        }
        return 0;
}

int pool_adopt(Pool *p, InstanceState state, const char *owner, uint64_t now, PoolInstance **ret)
{
        _cleanup_free_ char *o = NULL;
        PoolInstance *i;

        if ((state != INSTANCE_IDLE && state != INSTANCE_FROZEN && state != INSTANCE_LEASED) ||
            (state == INSTANCE_LEASED) != !!owner)
                return -EINVAL;
        if (p->n_instances >= p->limits.max_instances || !fits(p))
                return -EBUSY;
        if (owner) {
                o = strdup(owner);
                if (!o)
                        return -ENOMEM;
        }
        i = slot_new(p);
        if (!i)
                return -ENOMEM;
        i->state = state;
        i->owner = TAKE_PTR(o);
        i->idle_since = now;
        *ret = i;
        return 0;
}

int pool_reclaim(Pool *p, PoolInstance *i, const char *owner)
{
        char *o;

        if (i->state != INSTANCE_IDLE)
                return -EBUSY;
        o = strdup(owner);
        if (!o)
                return -ENOMEM;
        i->state = INSTANCE_LEASED;
        i->owner = o;
        return 0;
}

int pool_prewarm(Pool *p, unsigned count, PoolActions *out)
{
        unsigned warm, started = 0;

        if (reserve(out, count) < 0)
                return -ENOMEM;
        warm = pool_count(p, INSTANCE_IDLE) + pool_count(p, INSTANCE_FROZEN) + covered(p);
        while (warm + started < count && p->n_instances < p->limits.max_instances && fits(p)) {
                PoolInstance *i = slot_new(p);

                if (!i)
                        break;
                push(out, POOL_ACTION_START, i, NULL, 0);
                started++;
        }
        return (int) started;
}

int pool_serve(Pool *p, PoolActions *out)
{
        if (reserve(out, p->n_waiters + 1) < 0)
                return -ENOMEM;
        serve_waiters(p, out);
        return 0;
}

PoolInstance *pool_least_recent(const Pool *p)
{
        PoolInstance *best = NULL;

        for (PoolInstance *i = p->instances; i; i = i->next)
                if ((i->state == INSTANCE_IDLE || i->state == INSTANCE_FROZEN) &&
                    (!best || i->idle_since < best->idle_since))
                        best = i;
        return best;
}

int pool_evict(Pool *p, PoolInstance *i, PoolActions *out)
{
        if (i->state != INSTANCE_IDLE && i->state != INSTANCE_FROZEN)
                return -EINVAL;
        if (reserve(out, 1) < 0)
                return -ENOMEM;
        stop(p, i, out);
        return 0;
}

int pool_trim(Pool *p, PoolActions *out)
{
        if (reserve(out, p->n_instances) < 0)
                return -ENOMEM;
        for (PoolInstance *i = p->instances; i; i = i->next)
                if ((i->state == INSTANCE_IDLE || i->state == INSTANCE_FROZEN) && may_retire(p))
                        stop(p, i, out);
        return 0;
}

int pool_stop_all(Pool *p, PoolActions *out)
{
        if (reserve(out, p->n_instances + p->n_waiters) < 0)
                return -ENOMEM;

        while (p->n_waiters > 0) {
                PoolWaiter *w = waiter_pop(p);

                push(out, POOL_ACTION_FAIL, NULL, w->userdata, -ECANCELED);
                waiter_free(w);
        }
        for (PoolInstance *i = p->instances; i; i = i->next) {
                if (i->state == INSTANCE_IDLE || i->state == INSTANCE_FROZEN)
                        stop(p, i, out);
                else if (i->state != INSTANCE_STOPPING)
                        i->doomed = true;
        }
        return 0;
}

uint64_t pool_next_deadline(const Pool *p)
{
        unsigned n_covered = covered(p);
        uint64_t d = UINT64_MAX;

        for (PoolWaiter *w = p->waiters; w; w = w->next)
                if (n_covered > 0)
                        n_covered--;
                else
                        d = MIN(d, w->deadline);
        /* Idle ones freeze even at min_instances (once frozen they need no wake-up for it). */
        if (p->limits.freeze_after_usec > 0)
                for (PoolInstance *i = p->instances; i; i = i->next)
                        if (i->state == INSTANCE_IDLE)
                                d = MIN(d, i->idle_since + p->limits.freeze_after_usec);
        /* At min_instances or the spares idle ones stay: no wake-up for them, or the tick would spin. */
        if (may_retire(p))
                for (PoolInstance *i = p->instances; i; i = i->next)
                        if (i->state == INSTANCE_IDLE || i->state == INSTANCE_FROZEN)
                                d = MIN(d, i->idle_since + p->limits.idle_timeout_usec);
        if (wants_start(p))
                d = 0;
        return d;
}

const char *instance_state_to_string(InstanceState s)
{
        switch (s) {
        case INSTANCE_STARTING:
                return "starting";
        case INSTANCE_IDLE:
                return "idle";
        case INSTANCE_LEASED:
                return "leased";
        case INSTANCE_FROZEN:
                return "frozen";
        case INSTANCE_THAWING:
                return "thawing";
        case INSTANCE_STOPPING:
                return "stopping";
        }
        return "unknown";
}
