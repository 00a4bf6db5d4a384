/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"

#define SEC 1000000ULL

static const PoolLimits limits = {
        .min_instances = 0,
        .max_instances = 3,
        .idle_timeout_usec = 60 * SEC,
        .wait_timeout_usec = 5 * SEC,
        .max_waiters = 100,
};

/* Waiter tokens: the address of an int in this array stands for a pending call. */
static int callers[128];

static size_t count(const PoolActions *a, PoolActionType t)
{
        size_t n = 0;

        for (size_t i = 0; i < a->n; i++)
                n += a->a[i].type == t;
        return n;
}

static PoolInstance *started(const PoolActions *a, size_t k)
{
        for (size_t i = 0; i < a->n; i++)
                if (a->a[i].type == POOL_ACTION_START && k-- == 0)
                        return a->a[i].instance;
        return NULL;
}

static void test_cold_start_coalesced(void **state)
{
        PoolActions a = {};
        Pool p;
        PoolInstance *s[3];

        pool_init(&p, &limits);
        /* 50 concurrent cold Acquires: exactly max_instances starts. */
        for (int k = 0; k < 50; k++)
                assert_int_equal(pool_acquire(&p, ":1.1", &callers[k], 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 3);
        assert_int_equal(count(&a, POOL_ACTION_GRANT), 0);
        assert_int_equal(p.n_waiters, 50);
        for (int k = 0; k < 3; k++)
                s[k] = started(&a, (size_t) k);

        /* Each ready instance goes to the oldest waiter, in order. */
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, s[0], 1, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].waiter, &callers[0]);
        assert_int_equal(s[0]->state, INSTANCE_LEASED);
        assert_string_equal(s[0]->owner, ":1.1");

        /* A release serves the next waiter without a new start. */
        a.n = 0;
        assert_int_equal(pool_release(&p, s[0], true, 2, &a), 0);
        assert_int_equal(a.n, 1);
        assert_ptr_equal(a.a[0].waiter, &callers[1]);

        /* Those still waiting at their deadline get -EBUSY (LimitExceeded); every caller is answered. */
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, s[1], 3, &a), 0);
        assert_int_equal(pool_instance_ready(&p, s[2], 3, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_GRANT), 2);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 5 * SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 46);
        for (size_t i = 0; i < a.n; i++)
                assert_int_equal(a.a[i].error, -EBUSY);
        assert_int_equal(p.n_waiters, 0);
        assert_int_equal(p.n_instances, 3);

        pool_actions_done(&a);
        pool_done(&p);
}

/* A waiter whose start is still in flight at its deadline waits for the start; one beyond the starts
 * gives up. Neither is told the function is at its limit while a container is about to answer. */
static void test_slow_start_outlives_wait(void **state)
{
        static const PoolLimits one = { .max_instances = 1,
                                        .wait_timeout_usec = 5 * SEC,
                                        .max_waiters = 10 };
        PoolActions a = {};
        PoolInstance *s;
        Pool p;

        pool_init(&p, &one);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 1 * SEC, &a), 0);
        s = started(&a, 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 1);
        /* The second waiter's deadline (6 s) counts, the first one's does not. */
        assert_int_equal(pool_next_deadline(&p), 6 * SEC);

        a.n = 0;
        assert_int_equal(pool_tick(&p, 5 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_tick(&p, 6 * SEC, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_FAIL);
        assert_ptr_equal(a.a[0].waiter, &callers[1]);
        assert_int_equal(a.a[0].error, -EBUSY);
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);

        /* 20 s in, the start succeeds and the first waiter gets it. */
        a.n = 0;
        assert_int_equal(pool_tick(&p, 20 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_instance_ready(&p, s, 20 * SEC, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].waiter, &callers[0]);

        /* A waiter while it is leased times out at its own deadline. */
        a.n = 0;
        assert_int_equal(pool_acquire(&p, ":1.3", &callers[2], 21 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_next_deadline(&p), 26 * SEC);
        assert_int_equal(pool_tick(&p, 26 * SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 1);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_warm_reuse_and_idle_reaping(void **state)
{
        PoolActions a = {};
        Pool p;
        PoolInstance *i;

        pool_init(&p, &limits);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        i = started(&a, 0);
        assert_int_equal(pool_instance_ready(&p, i, 1 * SEC, &a), 0);
        assert_int_equal(pool_release(&p, i, true, 2 * SEC, &a), 0);
        assert_int_equal(i->state, INSTANCE_IDLE);
        assert_null(i->owner);

        /* Warm: granted at once, no start. */
        a.n = 0;
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 3 * SEC, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].instance, i);
        assert_int_equal(pool_release(&p, i, true, 10 * SEC, &a), 0);

        /* Keep-alive: nothing before it ends, a stop when it has. */
        assert_int_equal(pool_next_deadline(&p), 70 * SEC);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 69 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_tick(&p, 70 * SEC, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_STOP);
        assert_int_equal(i->state, INSTANCE_STOPPING);
        assert_int_equal(pool_instance_gone(&p, i, 71 * SEC, &a), 0);
        assert_int_equal(p.n_instances, 0);
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_min_instances(void **state)
{
        PoolLimits l = limits;
        PoolActions a = {};
        Pool p;

        l.min_instances = 2;
        pool_init(&p, &l);
        assert_int_equal(pool_next_deadline(&p), 0);
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 2);
        assert_int_equal(pool_instance_ready(&p, started(&a, 0), 1, &a), 0);
        assert_int_equal(pool_instance_ready(&p, started(&a, 1), 1, &a), 0);

        /* Idle past their keep-alive, they stay: min_instances, and no wake-up is asked for. */
        a.n = 0;
        assert_int_equal(pool_tick(&p, 1000 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_unhealthy_and_replacement(void **state)
{
        PoolLimits l = limits;
        PoolActions a = {};
        Pool p;
        PoolInstance *i, *j;

        l.max_instances = 1;
        pool_init(&p, &l);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        i = started(&a, 0);
        assert_int_equal(pool_instance_ready(&p, i, 0, &a), 0);
        /* A second caller waits: the limit is reached. */
        a.n = 0;
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 0, &a), 0);
        assert_int_equal(a.n, 0);

        /* Released unhealthy: stopped, and once gone a replacement starts for the waiter. */
        assert_int_equal(pool_release(&p, i, false, 1, &a), 0);
        assert_int_equal(a.a[0].type, POOL_ACTION_STOP);
        a.n = 0;
        assert_int_equal(pool_instance_gone(&p, i, 2, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 1);
        j = started(&a, 0);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, j, 3, &a), 0);
        assert_ptr_equal(a.a[0].waiter, &callers[1]);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_start_failure(void **state)
{
        PoolActions a = {};
        Pool p;
        PoolInstance *s[3];

        pool_init(&p, &limits);
        for (int k = 0; k < 10; k++)
                assert_int_equal(pool_acquire(&p, ":1.1", &callers[k], 0, &a), 0);
        for (int k = 0; k < 3; k++)
                s[k] = started(&a, (size_t) k);

        /* One start fails: two starts remain for two waiters; the other eight learn now. */
        a.n = 0;
        assert_int_equal(pool_instance_failed(&p, s[0], 1, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 8);
        assert_int_equal(a.a[0].error, -EIO);
        assert_int_equal(p.n_waiters, 2);
        a.n = 0;
        assert_int_equal(pool_instance_failed(&p, s[1], 1, &a), 0);
        assert_int_equal(pool_instance_failed(&p, s[2], 1, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 2);
        assert_int_equal(p.n_instances, 0);
        assert_int_equal(p.n_waiters, 0);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_owner_gone(void **state)
{
        PoolLimits l = limits;
        PoolActions a = {};
        Pool p;
        PoolInstance *i;

        l.max_instances = 1;
        pool_init(&p, &l);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        i = started(&a, 0);
        assert_int_equal(pool_instance_ready(&p, i, 0, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 0, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[2], 0, &a), 0);

        /* :1.1 disconnects: its lease ends unhealthy, its waiting call is dropped, :1.2 keeps waiting. */
        a.n = 0;
        assert_int_equal(pool_owner_gone(&p, ":1.1", 1, &a), 1);
        assert_int_equal(count(&a, POOL_ACTION_STOP), 1);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 1);
        assert_ptr_equal(a.a[1].waiter, &callers[2]);
        assert_int_equal(a.a[1].error, -ECONNRESET);
        assert_int_equal(p.n_waiters, 1);
        assert_string_equal(p.waiters->owner, ":1.2");

        /* :1.2 only waited: it ends no lease, and its call is dropped. */
        a.n = 0;
        assert_int_equal(pool_owner_gone(&p, ":1.2", 2, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_STOP), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 1);
        assert_int_equal(p.n_waiters, 0);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_queue_limit(void **state)
{
        PoolLimits l = limits;
        PoolActions a = {};
        Pool p;

        l.max_waiters = 2;
        pool_init(&p, &l);
        for (int k = 0; k < 3; k++)
                assert_int_equal(pool_acquire(&p, ":1.1", &callers[k], 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 1);
        assert_int_equal(a.a[a.n - 1].error, -EBUSY);
        assert_ptr_equal(a.a[a.n - 1].waiter, &callers[2]);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_stop_all_and_prewarm(void **state)
{
        PoolActions a = {};
        Pool p;
        PoolInstance *i, *j;

        pool_init(&p, &limits);
        assert_int_equal(pool_prewarm(&p, 2, &a), 2);
        assert_int_equal(pool_prewarm(&p, 2, &a), 0);
        i = started(&a, 0);
        j = started(&a, 1);
        assert_int_equal(pool_instance_ready(&p, i, 0, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        assert_int_equal(i->state, INSTANCE_LEASED);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[1], 0, &a), 0);

        /* The idle one would be stopped, the leased and the starting one when they come back. */
        a.n = 0;
        assert_int_equal(pool_stop_all(&p, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 1);
        assert_int_equal(a.a[0].error, -ECANCELED);
        a.n = 0;
        assert_int_equal(pool_release(&p, i, true, 1, &a), 0);
        assert_int_equal(a.a[0].type, POOL_ACTION_STOP);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, j, 1, &a), 0);
        assert_int_equal(a.a[0].type, POOL_ACTION_STOP);
        assert_string_equal(instance_state_to_string(j->state), "stopping");

        pool_actions_done(&a);
        pool_done(&p);
}

static const PoolLimits freezing = {
        .max_instances = 2,
        .idle_timeout_usec = 60 * SEC,
        .freeze_after_usec = 1 * SEC,
        .wait_timeout_usec = 5 * SEC,
        .max_waiters = 100,
};

/* The one action of a, which must be of type t. */
static const PoolAction *only(const PoolActions *a, PoolActionType t)
{
        assert_int_equal(a->n, 1);
        assert_int_equal(a->a[0].type, t);
        return &a->a[0];
}

static PoolInstance *first(const PoolActions *a, PoolActionType t)
{
        for (size_t i = 0; i < a->n; i++)
                if (a->a[i].type == t)
                        return a->a[i].instance;
        return NULL;
}

/* One instance, started for a caller and released at `at`: idle since then. */
static PoolInstance *idle_instance(Pool *p, int caller, uint64_t at)
{
        PoolActions a = {};
        PoolInstance *i;

        assert_int_equal(pool_acquire(p, ":1.1", &callers[caller], at, &a), 0);
        i = first(&a, POOL_ACTION_START);
        assert_non_null(i);
        assert_int_equal(pool_instance_ready(p, i, at, &a), 0);
        assert_int_equal(pool_release(p, i, true, at, &a), 0);
        assert_int_equal(i->state, INSTANCE_IDLE);
        pool_actions_done(&a);
        return i;
}

static PoolInstance *frozen_instance(Pool *p, int caller, uint64_t at)
{
        PoolActions a = {};
        PoolInstance *i = idle_instance(p, caller, at);

        assert_int_equal(pool_tick(p, at + SEC, &a), 0);
        assert_int_equal(i->state, INSTANCE_FROZEN);
        pool_actions_done(&a);
        return i;
}

static void test_freeze_after_idle(void **state)
{
        PoolActions a = {};
        PoolInstance *i;
        Pool p;

        pool_init(&p, &freezing);
        i = idle_instance(&p, 0, 10 * SEC);

        /* Not before freeze_after; the tick is due exactly then. */
        assert_int_equal(pool_next_deadline(&p), 11 * SEC);
        assert_int_equal(pool_tick(&p, 10 * SEC + SEC / 2, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_tick(&p, 11 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_FREEZE);
        assert_ptr_equal(a.a[0].instance, i);
        assert_int_equal(i->state, INSTANCE_FROZEN);
        assert_string_equal(instance_state_to_string(i->state), "frozen");

        /* Frozen, it still counts, and stops at its keep-alive (from when it went idle). */
        assert_int_equal(p.n_instances, 1);
        assert_int_equal(pool_next_deadline(&p), 70 * SEC);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 69 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_tick(&p, 70 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_STOP);
        assert_int_equal(i->state, INSTANCE_STOPPING);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_freeze_disabled(void **state)
{
        PoolLimits l = freezing;
        PoolActions a = {};
        PoolInstance *i;
        Pool p;

        l.freeze_after_usec = 0;
        pool_init(&p, &l);
        i = idle_instance(&p, 0, 0);
        assert_int_equal(pool_next_deadline(&p), 60 * SEC);
        assert_int_equal(pool_tick(&p, 30 * SEC, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(i->state, INSTANCE_IDLE);
        pool_actions_done(&a);
        pool_done(&p);
}

static void test_thaw_on_acquire(void **state)
{
        PoolActions a = {};
        PoolInstance *i;
        Pool p;

        pool_init(&p, &freezing);
        i = frozen_instance(&p, 0, 0);

        /* A frozen instance is thawed for the caller rather than a container started. */
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 2 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_THAW);
        assert_ptr_equal(a.a[0].instance, i);
        assert_int_equal(i->state, INSTANCE_THAWING);
        assert_int_equal(p.n_waiters, 1);

        /* The thaw covers the waiter past its wait deadline, as a start does. */
        a.n = 0;
        assert_int_equal(pool_tick(&p, 20 * SEC, &a), 0);
        assert_int_equal(a.n, 0);

        assert_int_equal(pool_instance_thawed(&p, i, 20 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].waiter, &callers[1]);
        assert_true(a.a[0].thawed);
        assert_int_equal(i->state, INSTANCE_LEASED);
        assert_string_equal(i->owner, ":1.2");

        /* An idle instance is preferred to a frozen one, and its grant is no thaw. */
        a.n = 0;
        assert_int_equal(pool_release(&p, i, true, 21 * SEC, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[2], 21 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_GRANT);
        assert_false(a.a[0].thawed);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_thaw_failed(void **state)
{
        PoolActions a = {};
        PoolInstance *i, *j, *k;
        Pool p;

        /* Two instances, both used at once, then idle and frozen. */
        pool_init(&p, &freezing);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 0, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[1], 0, &a), 0);
        i = started(&a, 0);
        j = started(&a, 1);
        assert_non_null(j);
        assert_int_equal(pool_instance_ready(&p, i, 0, &a), 0);
        assert_int_equal(pool_instance_ready(&p, j, 0, &a), 0);
        assert_int_equal(pool_release(&p, i, true, 0, &a), 0);
        assert_int_equal(pool_release(&p, j, true, 0, &a), 0);
        a.n = 0;
        assert_int_equal(pool_tick(&p, SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FREEZE), 2);
        a.n = 0;

        /* The freshest frozen one is thawed; when that fails the caller gets the other one... */
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[2], 2 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_THAW);
        k = a.a[0].instance;
        assert_true(k == i || k == j);
        a.n = 0;
        assert_int_equal(pool_instance_thaw_failed(&p, k, 2 * SEC, &a), 0);
        assert_int_equal(p.n_instances, 1);
        (void) only(&a, POOL_ACTION_THAW);
        assert_ptr_equal(a.a[0].instance, k == i ? j : i);
        k = a.a[0].instance;

        /* ...and when that fails too, a fresh start: never an error for a failed thaw. */
        a.n = 0;
        assert_int_equal(pool_instance_thaw_failed(&p, k, 2 * SEC, &a), 0);
        assert_int_equal(p.n_instances, 1);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 1);
        k = started(&a, 0);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, k, 3 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].waiter, &callers[2]);
        assert_false(a.a[0].thawed);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_frozen_counts_towards_limit(void **state)
{
        PoolLimits l = freezing;
        PoolActions a = {};
        PoolInstance *i;
        Pool p;

        l.max_instances = 1;
        pool_init(&p, &l);
        i = frozen_instance(&p, 0, 0);

        /* Two callers: one thaw, and no start past the limit; the second waits for the first. */
        assert_int_equal(pool_acquire(&p, ":1.2", &callers[1], 2 * SEC, &a), 0);
        assert_int_equal(pool_acquire(&p, ":1.3", &callers[2], 2 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_THAW);
        assert_int_equal(p.n_instances, 1);

        /* Prewarm counts a frozen or thawing instance as warm. */
        a.n = 0;
        assert_int_equal(pool_prewarm(&p, 1, &a), 0);

        /* StopFunction: the thawing instance stops once thawed, instead of serving. */
        assert_int_equal(pool_stop_all(&p, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FAIL), 2);
        a.n = 0;
        assert_int_equal(pool_instance_thawed(&p, i, 3 * SEC, &a), 0);
        (void) only(&a, POOL_ACTION_STOP);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_frozen_min_instances(void **state)
{
        PoolLimits l = freezing;
        PoolActions a = {};
        PoolInstance *i;
        Pool p;

        /* At min_instances a frozen instance stays, and needs no wake-up: the tick does not spin. */
        l.min_instances = 1;
        pool_init(&p, &l);
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        i = first(&a, POOL_ACTION_START);
        assert_non_null(i);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, i, 0, &a), 0);
        assert_int_equal(pool_next_deadline(&p), SEC);
        assert_int_equal(pool_tick(&p, SEC, &a), 0);
        assert_int_equal(i->state, INSTANCE_FROZEN);
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 100 * SEC, &a), 0);
        assert_int_equal(a.n, 0);

        /* StopFunction stops a frozen instance at once. */
        assert_int_equal(pool_stop_all(&p, &a), 0);
        (void) only(&a, POOL_ACTION_STOP);

        pool_actions_done(&a);
        pool_done(&p);
}

/* Limits raised and lowered in place (provisioned concurrency): a tick starts what the new
 * min_instances wants; pool_trim() stops at once the idle and frozen ones it no longer keeps, never a
 * leased one, and nothing while they are all kept. */
static void test_trim(void **state)
{
        PoolLimits l = freezing;
        PoolInstance *i0, *i1, *i2;
        PoolActions a = {};
        Pool p;

        l.max_instances = 4;
        pool_init(&p, &l);
        p.limits.min_instances = 3;
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 3);
        i0 = started(&a, 0);
        i1 = started(&a, 1);
        i2 = started(&a, 2);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, i0, 0, &a), 0);
        assert_int_equal(pool_instance_ready(&p, i1, 0, &a), 0);
        assert_int_equal(pool_instance_ready(&p, i2, 0, &a), 0);
        assert_int_equal(pool_tick(&p, SEC, &a), 0);
        assert_int_equal(pool_count(&p, INSTANCE_FROZEN), 3);
        a.n = 0;
        assert_int_equal(pool_trim(&p, &a), 0);
        assert_int_equal(a.n, 0);

        /* One leased, then min_instances 0: the two unused go, the leased one stays. */
        assert_int_equal(pool_acquire(&p, "caller", &callers[0], SEC, &a), 0);
        assert_int_equal(pool_count(&p, INSTANCE_THAWING), 1);
        p.limits.min_instances = 0;
        a.n = 0;
        assert_int_equal(pool_trim(&p, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_STOP), 2);
        assert_int_equal(pool_count(&p, INSTANCE_THAWING), 1);
        assert_int_equal(pool_count(&p, INSTANCE_FROZEN), 0);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_spares(void **state)
{
        PoolLimits l = freezing;
        PoolActions a = {};
        PoolInstance *s0, *s1, *t, *n;
        Pool p;

        l.max_instances = 3;
        l.spare_instances = 2;
        pool_init(&p, &l);

        /* Two spares are started ahead of any call, and freeze once idle. */
        assert_int_equal(pool_next_deadline(&p), 0);
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 2);
        s0 = started(&a, 0);
        s1 = started(&a, 1);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, s0, 0, &a), 0);
        assert_int_equal(pool_instance_ready(&p, s1, 0, &a), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(pool_next_deadline(&p), SEC);
        assert_int_equal(pool_tick(&p, SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_FREEZE), 2);

        /* Their keep-alive does not stop them: they are the spares. */
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 3600 * SEC, &a), 0);
        assert_int_equal(a.n, 0);

        /* A call takes one (a thaw, no start for it); the tick refills the spares at once. */
        assert_int_equal(pool_acquire(&p, ":1.1", &callers[0], 3600 * SEC, &a), 0);
        t = only(&a, POOL_ACTION_THAW)->instance;
        assert_int_equal(pool_next_deadline(&p), 0);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 3600 * SEC, &a), 0);
        n = only(&a, POOL_ACTION_START)->instance;
        assert_int_equal(p.n_instances, 3);
        a.n = 0;
        assert_int_equal(pool_instance_thawed(&p, t, 3600 * SEC, &a), 0);
        assert_true(only(&a, POOL_ACTION_GRANT)->thawed);
        a.n = 0;
        assert_int_equal(pool_instance_ready(&p, n, 3600 * SEC, &a), 0);
        assert_int_equal(pool_next_deadline(&p), 3601 * SEC);

        /* Released, three are unused: one more than the spares, so one stops at its keep-alive. */
        assert_int_equal(pool_release(&p, t, true, 3601 * SEC, &a), 0);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 3601 * SEC + 60 * SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_STOP), 1);
        assert_int_equal(pool_count(&p, INSTANCE_STOPPING), 1);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_spares_within_limit(void **state)
{
        PoolLimits l = freezing;
        PoolActions a = {};
        PoolInstance *s0;
        Pool p;

        /* A burst past the spares: one thaw, starts up to the limit, no refill past it. */
        l.max_instances = 3;
        l.spare_instances = 1;
        pool_init(&p, &l);
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        s0 = only(&a, POOL_ACTION_START)->instance;
        assert_int_equal(pool_instance_ready(&p, s0, 0, &a), 0);
        a.n = 0;
        assert_int_equal(pool_tick(&p, SEC, &a), 0);
        (void) only(&a, POOL_ACTION_FREEZE);
        a.n = 0;
        for (int k = 0; k < 5; k++)
                assert_int_equal(pool_acquire(&p, ":1.1", &callers[k], 2 * SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_THAW), 1);
        assert_int_equal(count(&a, POOL_ACTION_START), 2);
        assert_int_equal(p.n_instances, 3);
        a.n = 0;
        assert_int_equal(pool_tick(&p, 2 * SEC, &a), 0);
        assert_int_equal(a.n, 0);

        pool_actions_done(&a);
        pool_done(&p);
}

static void test_budget(void **state)
{
        PoolBudget budget = { .limit = 3 * 128 };
        PoolLimits la = limits, lb = limits;
        PoolActions a = {};
        PoolInstance *lru;
        Pool pa, pb;

        /* Two functions, instances of 128 (units) each, 384 in all. */
        la.memory_bytes = lb.memory_bytes = 128;
        pool_init(&pa, &la);
        pool_init(&pb, &lb);
        pa.budget = pb.budget = &budget;

        /* Three of A fill the budget. */
        for (int k = 0; k < 3; k++)
                assert_int_equal(pool_acquire(&pa, ":1.1", &callers[k], 0, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_START), 3);
        assert_int_equal(budget.used, 384);
        for (size_t k = 0; k < 3; k++)
                assert_int_equal(pool_instance_ready(&pa, started(&a, k), 0, &a), 0);
        for (size_t k = 0; k < 3; k++)
                assert_int_equal(pool_release(&pa, started(&a, k), true, 10 + k, &a), 0);
        assert_int_equal(pool_count(&pa, INSTANCE_IDLE), 3);

        /* B's call does not fit: no start, the budget is starved, the caller waits. */
        a.n = 0;
        assert_int_equal(pool_acquire(&pb, ":1.2", &callers[10], 20, &a), 0);
        assert_int_equal(a.n, 0);
        assert_true(budget.starved);
        assert_int_equal(pb.n_waiters, 1);

        /* The manager stops the least recently used idle instance and serves B again: now it fits. */
        budget.starved = false;
        lru = pool_least_recent(&pa);
        assert_int_equal(lru->idle_since, 10);
        assert_int_equal(pool_evict(&pa, lru, &a), 0);
        (void) only(&a, POOL_ACTION_STOP);
        assert_int_equal(budget.used, 256);
        a.n = 0;
        assert_int_equal(pool_serve(&pb, &a), 0);
        (void) only(&a, POOL_ACTION_START);
        assert_int_equal(budget.used, 384);
        assert_false(budget.starved);

        /* The stopped instance's memory came back when it stopped; forgetting it changes nothing. */
        assert_int_equal(pool_instance_gone(&pa, lru, 25, &a), 0);
        assert_int_equal(budget.used, 384);

        /* A leased instance is never evicted; with nothing to evict, the caller fails at its deadline. */
        assert_int_equal(pool_instance_ready(&pb, started(&a, 0), 25, &a), 0);
        a.n = 0;
        assert_int_equal(pool_acquire(&pa, ":1.1", &callers[20], 30, &a), 0);
        assert_int_equal(pool_acquire(&pa, ":1.1", &callers[21], 30, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_GRANT), 2);
        assert_null(pool_least_recent(&pa));
        assert_null(pool_least_recent(&pb));
        assert_int_equal(pool_evict(&pa, a.a[0].instance, &a), -EINVAL);
        a.n = 0;
        assert_int_equal(pool_acquire(&pa, ":1.1", &callers[22], 30, &a), 0);
        assert_int_equal(a.n, 0);
        assert_true(budget.starved);
        assert_int_equal(pool_next_deadline(&pa), 30 + limits.wait_timeout_usec);
        assert_int_equal(pool_tick(&pa, 30 + limits.wait_timeout_usec, &a), 0);
        assert_int_equal(only(&a, POOL_ACTION_FAIL)->error, -EBUSY);

        pool_actions_done(&a);
        pool_done(&pa);
        pool_done(&pb);
        assert_int_equal(budget.used, 0);
}

/* Instances of an earlier lifetime join in their state, within the limit and the budget; the leased one
 * stays its holder's until released, an idle one serves the next Acquire, a frozen one is thawed. */
static void test_adopt(void **state)
{
        PoolBudget budget = { .limit = 3 * 128 };
        PoolLimits l = limits;
        PoolActions a = {};
        PoolInstance *leased, *idle, *frozen, *extra;
        Pool p;

        l.memory_bytes = 128;
        pool_init(&p, &l);
        p.budget = &budget;
        assert_int_equal(pool_adopt(&p, INSTANCE_LEASED, ":1.7", 0, &leased), 0);
        assert_int_equal(pool_adopt(&p, INSTANCE_IDLE, NULL, 0, &idle), 0);
        assert_int_equal(pool_adopt(&p, INSTANCE_FROZEN, NULL, 0, &frozen), 0);
        assert_int_equal(budget.used, 3 * 128);
        assert_string_equal(leased->owner, ":1.7");
        /* Past the limit, and states that cannot be adopted. */
        assert_int_equal(pool_adopt(&p, INSTANCE_IDLE, NULL, 0, &extra), -EBUSY);
        assert_int_equal(pool_adopt(&p, INSTANCE_STARTING, NULL, 0, &extra), -EINVAL);
        assert_int_equal(pool_adopt(&p, INSTANCE_LEASED, NULL, 0, &extra), -EINVAL);
        assert_int_equal(pool_adopt(&p, INSTANCE_IDLE, ":1.7", 0, &extra), -EINVAL);
        assert_int_equal(p.n_instances, 3);

        /* The idle one is granted first, then the frozen one is thawed; no start. */
        assert_int_equal(pool_acquire(&p, ":1.8", &callers[0], SEC, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(a.a[0].type, POOL_ACTION_GRANT);
        assert_ptr_equal(a.a[0].instance, idle);
        a.n = 0;
        assert_int_equal(pool_acquire(&p, ":1.8", &callers[1], SEC, &a), 0);
        assert_int_equal(count(&a, POOL_ACTION_THAW), 1);
        assert_int_equal(count(&a, POOL_ACTION_START), 0);
        a.n = 0;

        /* Only the holder's owner gone ends the adopted lease. */
        assert_int_equal(pool_owner_gone(&p, ":1.7", 2 * SEC, &a), 1);
        assert_int_equal(count(&a, POOL_ACTION_STOP), 1);
        assert_ptr_equal(a.a[0].instance, leased);
        pool_actions_done(&a);
        pool_done(&p);
}

/* A holder reclaims an adopted idle instance that no record gave it; a leased one is not taken. */
static void test_reclaim(void **state)
{
        PoolInstance *idle, *leased;
        Pool p;

        pool_init(&p, &limits);
        assert_int_equal(pool_adopt(&p, INSTANCE_IDLE, NULL, 0, &idle), 0);
        assert_int_equal(pool_adopt(&p, INSTANCE_LEASED, ":1.7", 0, &leased), 0);
        assert_int_equal(pool_reclaim(&p, idle, ":1.9"), 0);
        assert_int_equal(idle->state, INSTANCE_LEASED);
        assert_string_equal(idle->owner, ":1.9");
        assert_int_equal(pool_reclaim(&p, leased, ":1.9"), -EBUSY);
        assert_string_equal(leased->owner, ":1.7");
        pool_done(&p);
}

static void test_budget_spares_wait(void **state)
{
        PoolBudget budget = { .limit = 128 };
        PoolLimits l = freezing;
        PoolActions a = {};
        Pool p;

        /* Spares that do not fit are not started, and the tick does not spin on them. */
        l.spare_instances = 2;
        l.memory_bytes = 128;
        pool_init(&p, &l);
        p.budget = &budget;
        assert_int_equal(pool_tick(&p, 0, &a), 0);
        (void) only(&a, POOL_ACTION_START);
        assert_false(budget.starved);
        assert_int_equal(pool_next_deadline(&p), UINT64_MAX);
        assert_int_equal(pool_prewarm(&p, 2, &a), 0);

        pool_actions_done(&a);
        pool_done(&p);
}

/* Reserved concurrency shared by a function and its versions: leases held and callers queued count,
 * idle, frozen and starting instances do not; the cap refuses at once only what another pool holds. */
static void test_shared_reserved(void **state)
{
        PoolActions a = {};
        Pool latest, v1;
        PoolInstance *s;

        pool_init(&latest, &limits);
        pool_init(&v1, &limits);
        assert_int_equal(pool_in_use(&v1), 0);
        /* A caller of version 1 waits for its start: it counts already. */
        assert_int_equal(pool_acquire(&v1, ":1.1", &callers[0], 0, &a), 0);
        s = started(&a, 0);
        assert_non_null(s);
        assert_int_equal(pool_in_use(&v1), 1);
        assert_true(pool_shared_refuses(1, pool_in_use(&latest), pool_in_use(&v1)));
        assert_false(pool_shared_refuses(2, pool_in_use(&latest), pool_in_use(&v1)));
        /* Granted: the lease counts instead. */
        assert_int_equal(pool_instance_ready(&v1, s, 1, &a), 0);
        assert_int_equal(pool_count(&v1, INSTANCE_LEASED), 1);
        assert_int_equal(pool_in_use(&v1), 1);
        assert_true(pool_shared_refuses(1, pool_in_use(&latest), pool_in_use(&v1)));
        /* Released: idle, it holds no execution. */
        assert_int_equal(pool_release(&v1, s, true, 2, &a), 0);
        assert_int_equal(pool_in_use(&v1), 0);
        assert_false(pool_shared_refuses(1, pool_in_use(&latest), pool_in_use(&v1)));
        /* A pool alone at its cap queues (its max_instances is the cap); 0 refuses everything. */
        assert_false(pool_shared_refuses(1, 1, 0));
        assert_true(pool_shared_refuses(3, 2, 1));
        assert_false(pool_shared_refuses(3, 1, 1));
        assert_true(pool_shared_refuses(0, 0, 0));
        pool_actions_done(&a);
        pool_done(&v1);
        pool_done(&latest);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cold_start_coalesced),
                cmocka_unit_test(test_adopt),
                cmocka_unit_test(test_reclaim),
                cmocka_unit_test(test_slow_start_outlives_wait),
                cmocka_unit_test(test_warm_reuse_and_idle_reaping),
                cmocka_unit_test(test_min_instances),
                cmocka_unit_test(test_unhealthy_and_replacement),
                cmocka_unit_test(test_start_failure),
                cmocka_unit_test(test_owner_gone),
                cmocka_unit_test(test_queue_limit),
                cmocka_unit_test(test_stop_all_and_prewarm),
                cmocka_unit_test(test_freeze_after_idle),
                cmocka_unit_test(test_freeze_disabled),
                cmocka_unit_test(test_thaw_on_acquire),
                cmocka_unit_test(test_thaw_failed),
                cmocka_unit_test(test_frozen_counts_towards_limit),
                cmocka_unit_test(test_frozen_min_instances),
                cmocka_unit_test(test_trim),
                cmocka_unit_test(test_spares),
                cmocka_unit_test(test_spares_within_limit),
                cmocka_unit_test(test_budget),
                cmocka_unit_test(test_budget_spares_wait),
                cmocka_unit_test(test_shared_reserved),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
