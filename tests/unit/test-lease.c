/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The gateway's leases and waiting queues (lease.c) with the modules around them faked at the link
 * (-Wl,--wrap): what reaches the manager (pump, Release), what starts or fails an invocation, and
 * the timers. Real leases, real upstream objects (never connected), a fake clock through deadlines
 * given explicitly.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "invocation.h"
#include "lease.h"
#include "strv.h"

/* What the fakes saw. */
static unsigned pumps, updates;
static char released[8][32];
static bool released_healthy[8];
static unsigned n_released;
static Invocation *started[8];
static Lease *started_on[8];
static unsigned n_started;
static Invocation *failed[8];
static int failed_status[8];
static unsigned n_failed;

void __wrap_manager_pump(GatewayFunction *f);
void __wrap_manager_pump(GatewayFunction *f)
{
        pumps++;
}

void __wrap_manager_release(Gateway *g, const char *id, bool healthy);
void __wrap_manager_release(Gateway *g, const char *id, bool healthy)
{
        (void) snprintf(released[n_released], sizeof(released[0]), "%s", id);
        released_healthy[n_released++] = healthy;
}

void __wrap_invocation_start(Invocation *inv, Lease *l);
void __wrap_invocation_start(Invocation *inv, Lease *l)
{
        inv->lease = l;
        started[n_started] = inv;
        started_on[n_started++] = l;
}

void __wrap_invocation_fail(Invocation *inv, int status, const char *type, const char *message,
                            const char *reason);
void __wrap_invocation_fail(Invocation *inv, int status, const char *type, const char *message,
                            const char *reason)
{
        failed[n_failed] = inv;
        failed_status[n_failed++] = status;
        inv->function->n_invocations--;
}

void __wrap_gateway_update_timers(Gateway *g);
void __wrap_gateway_update_timers(Gateway *g)
{
        updates++;
}

static Gateway gw;

static int setup(void **state)
{
        pumps = updates = n_released = n_started = n_failed = 0;
        gw = (Gateway){ .config = { .lease_idle_usec = 10 * USEC_PER_SEC,
                                    .queue_timeout_usec = 2 * USEC_PER_SEC },
                        .manager_known = true };
        assert_int_equal(sd_event_new(&gw.event), 0);
        return 0;
}

static int teardown(void **state)
{
        gateway_function_free_all(&gw);
        gw.event = sd_event_unref(gw.event);
        return 0;
}

static Invocation *invocation(GatewayFunction *f)
{
        Invocation *inv = calloc(1, sizeof(Invocation));

        assert_non_null(inv);
        inv->gateway = &gw;
        inv->function = f;
        f->n_invocations++;
        return inv;
}

static void done_with(Invocation *inv)
{
        inv->function->n_invocations--;
        free(inv);
}

static void test_queue_and_reuse(void **state)
{
        GatewayFunction *f = gateway_function_get(&gw, "hello");
        Invocation *a = invocation(f), *b = invocation(f);
        Lease *l;

        assert_ptr_equal(gateway_function_get(&gw, "hello"), f);

        /* No lease: the invocation waits and the manager is asked. */
        function_queue(a);
        assert_int_equal(f->n_waiting, 1);
        assert_int_equal(pumps, 1);
        assert_int_equal(n_started, 0);

        /* A granted lease serves it (as manager-client does), then b waits behind the busy lease. */
        assert_int_equal(lease_new(f, "instance-1", "127.0.0.1", 9, NULL, &l), 0);
        assert_ptr_equal(function_pop_waiting(f), a);
        l->busy = true;
        function_queue(b);
        assert_int_equal(f->n_waiting, 1);

        /* a is done: the healthy lease goes straight to b, without the manager. */
        lease_done(l, true);
        assert_int_equal(n_started, 1);
        assert_ptr_equal(started[0], b);
        assert_ptr_equal(started_on[0], l);
        assert_true(l->busy);
        assert_int_equal(f->n_waiting, 0);
        assert_int_equal(n_released, 0);

        /* b is done: nobody waits, the lease idles and the timers learn of it. */
        lease_done(l, true);
        assert_false(l->busy);
        assert_true(l->idle_since != UINT64_MAX);
        assert_int_equal(leases_next_deadline(&gw), l->idle_since + gw.config.lease_idle_usec);

        /* A new invocation takes the idle lease at once. */
        done_with(a);
        a = invocation(f);
        function_queue(a);
        assert_int_equal(n_started, 2);
        assert_ptr_equal(started_on[1], l);
        lease_done(l, true);
        done_with(a);
        done_with(b);
}

static void test_unhealthy_and_forgotten(void **state)
{
        GatewayFunction *f = gateway_function_get(&gw, "hello");
        Lease *l, *m;

        assert_int_equal(lease_new(f, "sick", "127.0.0.1", 9, NULL, &l), 0);
        l->busy = true;
        lease_done(l, false);
        assert_int_equal(n_released, 1);
        assert_string_equal(released[0], "sick");
        assert_false(released_healthy[0]);
        assert_null(f->leases);

        /* An instance the manager stopped: an idle lease goes now, a busy one when its invocation ends
         * (dropped, never given back: the manager does not know it any more, and it must not serve
         * again). */
        assert_int_equal(lease_new(f, "idle", "127.0.0.1", 9, NULL, &l), 0);
        assert_int_equal(lease_new(f, "busy", "127.0.0.1", 9, NULL, &m), 0);
        m->busy = true;
        leases_forget(&gw, "idle");
        assert_ptr_equal(f->leases, m);
        assert_true(function_holds_leases(f));
        leases_forget(&gw, NULL);
        assert_int_equal(m->idle_since, UINT64_MAX);
        assert_false(function_holds_leases(f));
        assert_int_equal(leases_count(&gw), 0);
        lease_done(m, true);
        assert_int_equal(n_released, 1);
        assert_null(f->leases);

        /* The same for one that failed (its connection refused): the failover asks for another. */
        assert_int_equal(lease_new(f, "gone", "127.0.0.1", 9, NULL, &l), 0);
        l->busy = true;
        leases_forget(&gw, "gone");
        pumps = 0;
        lease_done(l, false);
        assert_int_equal(n_released, 1);
        assert_int_equal(pumps, 1);
        assert_null(f->leases);
}

static void test_keep_only(void **state)
{
        GatewayFunction *f = gateway_function_get(&gw, "hello");
        _cleanup_strv_free_ char **ids = NULL;
        char *kept[] = { (char *) "kept", (char *) "released-meanwhile", NULL };
        Lease *k, *busy, *idle, *gone;

        assert_int_equal(leases_ids(&gw, &ids), 0);
        assert_null(ids);
        assert_int_equal(lease_new(f, "idle", "127.0.0.1", 9, NULL, &idle), 0);
        assert_int_equal(lease_new(f, "busy", "127.0.0.1", 9, NULL, &busy), 0);
        assert_int_equal(lease_new(f, "kept", "127.0.0.1", 9, NULL, &k), 0);
        busy->busy = true;

        /* What Reclaim names: every lease held, not the forgotten ones. */
        assert_int_equal(lease_new(f, "forgotten", "127.0.0.1", 9, NULL, &gone), 0);
        gone->busy = true;
        leases_forget(&gw, "forgotten");
        assert_int_equal(leases_ids(&gw, &ids), 0);
        assert_int_equal(strv_length(ids), 3);
        assert_string_equal(ids[0], "kept");
        assert_string_equal(ids[1], "busy");
        assert_string_equal(ids[2], "idle");
        lease_done(gone, true); /* the forgotten one's invocation ends: dropped */

        /* The manager kept one: the others are forgotten (no Release), the kept one serves on, and
         * an id it kept that we no longer hold goes back. */
        leases_keep_only(&gw, kept);
        assert_int_equal(leases_count(&gw), 1);
        assert_false(k->idle_since == UINT64_MAX);
        assert_int_equal(busy->idle_since, UINT64_MAX);
        assert_int_equal(n_released, 1);
        assert_string_equal(released[0], "released-meanwhile");
        assert_true(released_healthy[0]);
        lease_done(busy, true);
        assert_int_equal(n_released, 1);
        assert_ptr_equal(f->leases, k);
        assert_null(k->next);

        /* It kept nothing (an empty list reads as NULL): all forgotten. */
        leases_keep_only(&gw, NULL);
        assert_null(gw.functions);
        assert_int_equal(n_released, 1);
}

static void test_tick(void **state)
{
        GatewayFunction *f = gateway_function_get(&gw, "hello");
        Invocation *a = invocation(f);
        Lease *l;

        /* An idle lease past its keep-alive goes back, healthy. */
        assert_int_equal(lease_new(f, "old", "127.0.0.1", 9, NULL, &l), 0);
        l->idle_since = 1000;
        assert_int_equal(leases_next_deadline(&gw), 1000 + gw.config.lease_idle_usec);
        assert_int_equal(leases_tick(&gw, 1000 + gw.config.lease_idle_usec - 1),
                         1000 + gw.config.lease_idle_usec);
        assert_int_equal(n_released, 0);
        leases_tick(&gw, 1000 + gw.config.lease_idle_usec);
        assert_int_equal(n_released, 1);
        assert_true(released_healthy[0]);

        /* A waiting invocation whose Acquire is no longer in flight gives up at its deadline: 429. */
        function_queue(a);
        assert_int_equal(f->n_waiting, 1);
        assert_int_equal(f->acquiring, 0);
        assert_int_equal(leases_next_deadline(&gw), a->deadline);
        leases_tick(&gw, a->deadline - 1);
        assert_int_equal(n_failed, 0);
        leases_tick(&gw, a->deadline);
        assert_int_equal(n_failed, 1);
        assert_int_equal(failed_status[0], 429);
        assert_int_equal(f->n_waiting, 0);
        free(a);

        /* The same while the manager is away (it waited for our instances instead of a 503): 503. */
        gw.manager_known = false;
        a = invocation(f);
        function_queue(a);
        leases_tick(&gw, a->deadline);
        assert_int_equal(n_failed, 2);
        assert_int_equal(failed_status[1], 503);
        free(a);
        n_failed = 1;
        gw.manager_known = true;

        /* While an Acquire is in flight for it, it waits for the manager's answer instead. */
        a = invocation(f);
        function_queue(a);
        f->acquiring = 1;
        assert_int_equal(leases_next_deadline(&gw), UINT64_MAX);
        leases_tick(&gw, a->deadline + USEC_PER_SEC);
        assert_int_equal(n_failed, 1);
        f->acquiring = 0;
        function_unqueue(a);
        done_with(a);
}

static void test_gc(void **state)
{
        GatewayFunction *f = gateway_function_get(&gw, "transient");

        assert_non_null(f);
        gateway_function_gc(f);
        assert_null(gw.functions);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_queue_and_reuse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unhealthy_and_forgotten, setup, teardown),
                cmocka_unit_test_setup_teardown(test_keep_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
