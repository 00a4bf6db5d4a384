/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The gateway's D-Bus client of org.lambdad.Manager1 (manager-client.c) on a real bus: a private
 * dbus-daemon stands in for the system bus, a fake manager answers on it (fake-manager.h), and
 * invocations come from real HTTP clients and go to a loopback instance (gateway-test.h). Covers the
 * error names and the HTTP statuses they become (503 and 429 with Retry-After), Acquire and Release,
 * a client that leaves during Acquire, an Acquire that cannot be sent, the queue deadline at the
 * limit while our own instances are busy, a manager that is not there or does not answer within
 * --manager-timeout (said once in the log, and once that it is back), its signals (InstanceStopped;
 * the name left unowned, when held leases keep serving; a new owner, asked to Reclaim them: it keeps
 * some, or an older one does not know the method and all are forgotten), invocations of a function
 * we hold instances of waiting for those while the manager is away (others get 503 at once), the
 * failover of an invocation whose instance refused the connection to a fresh Acquire, a bus that comes
 * up after the gateway, and one that goes away and comes back (the back-off of the retries too).
 * Faked at the link: the log (to
 * count what it says) and sd_bus_call_async (to fail on demand). Skipped (77) only when dbus-daemon
 * is not installed.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-manager.h"
#include "gateway-test.h"
#include "lambda-contract.h"
#include "lease.h"
#include "manager-client.h"

#define TEST_SECRET "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static TestInstance instance;
static FakeManager fake;
static Gateway *gw;
static unsigned n_away_logged, n_back_logged;

int __wrap_log_internal(int level, int error, const char *format, ...) _printf_(3, 4);
int __wrap_log_internal(int level, int error, const char *format, ...)
{
        char line[2048];
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;
        errno = error; /* for %m */
        va_start(ap, format);
        (void) vsnprintf(line, sizeof(line), format, ap);
        va_end(ap);
        errno = saved;
        n_away_logged += strstr(line, "function manager does not answer") != NULL;
        n_back_logged += strstr(line, "function manager answers again") != NULL;
        fprintf(stderr, "%s\n", line);
        return -error;
}

/* Calls of these members fail at once, as when the bus cannot take them. */
static const char *fail_calls_to;

int __real_sd_bus_call_async(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m,
                             sd_bus_message_handler_t callback, void *userdata, uint64_t usec);
int __wrap_sd_bus_call_async(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m,
                             sd_bus_message_handler_t callback, void *userdata, uint64_t usec);
int __wrap_sd_bus_call_async(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m,
                             sd_bus_message_handler_t callback, void *userdata, uint64_t usec)
{
        if (fail_calls_to && strcmp(sd_bus_message_get_member(m), fail_calls_to) == 0)
                return -ENOBUFS;
        return __real_sd_bus_call_async(bus, slot, m, callback, userdata, usec);
}

static int start_gateway(void)
{
        GatewayConfig config = test_gateway_config();

        config.manager_timeout_usec = 300 * USEC_PER_MSEC;
        config.queue_timeout_usec = 300 * USEC_PER_MSEC;
        fail_calls_to = NULL;
        n_away_logged = n_back_logged = 0;
        fake = (FakeManager){ .acquire_port = instance.port, .acquire_secret = TEST_SECRET };
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"ran\":true}");
        assert_int_equal(gateway_new(&gw, &config), 0);
        assert_int_equal(manager_client_start(gw), 0);
        return 0;
}

static int setup(void **state)
{
        start_gateway();
        assert_true(manager_client_ready(gw));
        fake_manager_connect(&fake, gw->event);
        return 0;
}

static int setup_without_manager(void **state)
{
        start_gateway();
        assert_true(manager_client_ready(gw));
        return 0;
}

static int teardown(void **state)
{
        fake_manager_disconnect(&fake);
        gw = gateway_free(gw);
        return 0;
}

static void invoke_function(TestClient *tc, const char *function, TestResponse *ret)
{
        char *request = test_invoke_request(function, NULL, "{}");

        test_client_exchange(gw, tc, request, ret);
        free(request);
}

static void invoke(TestClient *tc, TestResponse *ret)
{
        invoke_function(tc, "hello", ret);
}

static void assert_invoke_ok(TestClient *tc)
{
        TestResponse r;

        invoke(tc, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"ran\":true}");
        test_response_done(&r);
}

static void test_error_status(void **state)
{
        static const struct {
                const char *name;
                int status;
                const char *type;
        } table[] = {
                { LAMBDAD_ERROR_FUNCTION_NOT_FOUND, 404, "ResourceNotFoundException" },
                { LAMBDAD_ERROR_LIMIT_EXCEEDED, 429, "TooManyRequestsException" },
                { LAMBDAD_ERROR_START_FAILED, 502, "ServiceException" },
                { SD_BUS_ERROR_INVALID_ARGS, 400, "InvalidParameterValueException" },
                { LAMBDAD_ERROR_BACKEND_UNAVAILABLE, 503, "ServiceException" },
                { LAMBDAD_ERROR_CANCELLED, 503, "ServiceException" },
                { SD_BUS_ERROR_SERVICE_UNKNOWN, 503, "ServiceException" },
                { SD_BUS_ERROR_NO_REPLY, 503, "ServiceException" },
                { SD_BUS_ERROR_ACCESS_DENIED, 503, "ServiceException" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(table[i].name, "message");
                int status = 0;

                assert_string_equal(manager_error_status(&e, &status), table[i].type);
                assert_int_equal(status, table[i].status);
        }
}

static void test_acquire_and_release(void **state)
{
        TestClient tc;

        /* A cold start: the manager is checked, then asked for an instance of the function. */
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        assert_string_equal(fake.acquired_function, "hello");
        assert_true(gw->manager_known);
        assert_int_equal(gw->metrics.manager_errors, 0);

        /* Warm: no Acquire. Given back at exit: healthy. */
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        leases_release_idle(gw);
        RUN_UNTIL(gw, fake.n_released == 1);
        assert_string_equal(fake.released[0], "instance-1");
        assert_true(fake.released_healthy[0]);

        /* An instance that answers garbage goes back as unhealthy. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, "HTTP/1.1 garbage\r\n\r\n");
        {
                TestResponse r;

                invoke(&tc, &r);
                test_assert_error(&r, 502, "ServiceException", "malformed");
                test_response_done(&r);
        }
        RUN_UNTIL(gw, fake.n_released == 2);
        assert_string_equal(fake.released[1], "instance-2");
        assert_false(fake.released_healthy[1]);
        test_client_close(&tc);
}

/* What the last request to the instance said in the secret's header, or NULL when it had none. */
static char *last_secret(void)
{
        char *seen = test_instance_last_request(&instance), *v, *end, *secret = NULL;

        v = strstr(seen, "\r\n" INSTANCE_SECRET_HEADER ": ");
        if (v) {
                v += STRLEN("\r\n" INSTANCE_SECRET_HEADER ": ");
                end = strstr(v, "\r\n");
                secret = strndup(v, (size_t) (end - v));
        }
        free(seen);
        return secret;
}

static void test_acquire_secret(void **state)
{
        char *secret;
        TestClient tc;
        TestResponse r;

        /* The secret of Acquire's answer goes with every request to that instance. */
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        secret = last_secret();
        assert_string_equal(secret, TEST_SECRET);
        free(secret);
        assert_invoke_ok(&tc);
        secret = last_secret();
        assert_string_equal(secret, TEST_SECRET);
        free(secret);
        leases_release_idle(gw);
        RUN_UNTIL(gw, fake.n_released == 1);

        /* A manager before instance secrets: no header (its lambda-rie checks none). */
        fake.acquire_secret = NULL;
        assert_invoke_ok(&tc);
        assert_null(last_secret());
        leases_release_idle(gw);
        RUN_UNTIL(gw, fake.n_released == 2);

        /* A secret that is not one: the instance is given back, and the invocation fails. */
        fake.acquire_secret = "not-a-secret\r\nX-Injected: 1";
        invoke(&tc, &r);
        test_assert_error(&r, 502, "ServiceException", "cannot be reached");
        test_response_done(&r);
        RUN_UNTIL(gw, fake.n_released == 3);
        assert_int_equal(fake.n_acquire, 3);
        test_client_close(&tc);
}

static void test_errors(void **state)
{
        static const struct {
                const char *name, *message;
                int status;
                const char *type, *answer;
        } table[] = {
                { LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "no such function", 404, "ResourceNotFoundException",
                  "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello" },
                { LAMBDAD_ERROR_LIMIT_EXCEEDED, "at the limit", 429, "TooManyRequestsException",
                  "at the limit" },
                { LAMBDAD_ERROR_START_FAILED, "the engine said no", 502, "ServiceException",
                  "the engine said no" },
                { SD_BUS_ERROR_INVALID_ARGS, "bad name", 400, "InvalidParameterValueException", "bad name" },
                { LAMBDAD_ERROR_BACKEND_UNAVAILABLE, "the engine is away", 503, "ServiceException",
                  "the engine is away" },
        };
        TestClient tc;
        TestResponse r;
        uint64_t manager_errors = 0;

        test_client_open(gw, &tc);
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                fake.acquire_error = table[i].name;
                fake.acquire_message = table[i].message;
                invoke(&tc, &r);
                test_assert_error(&r, table[i].status, table[i].type, table[i].answer);
                if (table[i].status == 429)
                        assert_non_null(strstr(r.body, "\"Reason\":\"ConcurrentInvocationLimitExceeded\""));
                test_response_done(&r);
                manager_errors += table[i].status == 503;
                assert_int_equal(gw->metrics.manager_errors, manager_errors);
                /* Each answered one waiting invocation, and nothing is left over. */
                assert_int_equal(gw->n_invocations, 0);
                assert_null(gw->functions);
        }
        assert_int_equal(fake.n_acquire, ELEMENTSOF(table));

        /* After the engine was away, the manager is checked again first; then all is well. */
        assert_false(gw->manager_known);
        fake.acquire_error = NULL;
        assert_invoke_ok(&tc);
        assert_true(gw->manager_known);
        assert_int_equal(n_away_logged, 0);
        test_client_close(&tc);
}

static void test_client_leaves_during_acquire(void **state)
{
        TestClient tc;
        char *request = test_invoke_request("hello", NULL, "{}");

        /* The instance the manager grants after its client left is kept warm for the next one. */
        fake.acquire_hold = true;
        test_client_open(gw, &tc);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, fake.acquire_call);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_non_null(gw->functions);
        assert_int_equal(gw->functions->acquiring, 1);
        fake_manager_answer_acquire(&fake);
        RUN_UNTIL(gw, gw->functions->acquiring == 0);
        assert_non_null(gw->functions->leases);
        assert_false(gw->functions->leases->busy);

        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        assert_int_equal(fake.n_released, 0);
        test_client_close(&tc);
        free(request);
}

static void test_acquire_not_sent(void **state)
{
        TestClient tc;
        char *request = test_invoke_request("hello", NULL, "{}");

        /* The manager answers, but the Acquire cannot be sent: 503 to retry, for each one waiting. */
        fail_calls_to = "Acquire";
        test_client_open(gw, &tc);
        test_client_expect_error(gw, &tc, request, 503, "ServiceException", "not reachable");
        assert_int_equal(gw->metrics.manager_errors, 1);
        assert_int_equal(gw->n_invocations, 0);
        assert_null(gw->functions);

        fail_calls_to = NULL;
        assert_invoke_ok(&tc);
        test_client_close(&tc);
        free(request);
}

static void test_at_the_limit(void **state)
{
        TestClient busy, waiting;
        char *request = test_invoke_request("hello", NULL, "{}");
        unsigned requests = test_instance_requests(&instance);
        uint64_t start;

        /* One instance, busy; the manager has no other: the next invocation waits for ours, and
         * gives up with 429 once the queue timeout passed. */
        test_instance_script_str(&instance, TEST_INSTANCE_NEVER_ANSWER, "");
        test_client_open(gw, &busy);
        test_client_send(&busy, request);
        RUN_UNTIL(gw, test_instance_requests(&instance) > requests);
        fake.acquire_error = LAMBDAD_ERROR_LIMIT_EXCEEDED;
        fake.acquire_message = "at the limit";
        test_client_open(gw, &waiting);
        start = now_usec(CLOCK_MONOTONIC);
        test_client_expect_error(gw, &waiting, request, 429, "TooManyRequestsException",
                                 "concurrency limit");
        assert_int_equal(fake.n_acquire, 2);
        assert_true(now_usec(CLOCK_MONOTONIC) - start < 2 * USEC_PER_SEC);
        test_client_close(&busy);
        test_client_close(&waiting);
        free(request);
}

static void test_manager_away_and_back(void **state)
{
        TestClient tc;
        TestResponse r;

        /* Nobody owns the name: 503 to retry, every time, said once in the log. */
        test_client_open(gw, &tc);
        for (unsigned i = 0; i < 3; i++) {
                invoke(&tc, &r);
                test_assert_error(&r, 503, "ServiceException", "not available; retry shortly");
                test_response_done(&r);
        }
        assert_int_equal(n_away_logged, 1);
        assert_int_equal(gw->metrics.manager_errors, 3);
        assert_int_equal(gw->n_invocations, 0);

        /* Back: served, and said once. */
        fake_manager_connect(&fake, gw->event);
        assert_invoke_ok(&tc);
        assert_invoke_ok(&tc);
        assert_int_equal(n_back_logged, 1);
        assert_int_equal(n_away_logged, 1);
        assert_int_equal(fake.n_acquire, 1);
        test_client_close(&tc);
}

static void test_manager_hangs(void **state)
{
        TestClient tc;
        TestResponse r;
        uint64_t start;

        /* It owns its name but answers nothing: 503 once --manager-timeout passed, not D-Bus's 25 s. */
        fake_manager_freeze(&fake, gw->event, true);
        test_client_open(gw, &tc);
        start = now_usec(CLOCK_MONOTONIC);
        invoke(&tc, &r);
        test_assert_error(&r, 503, "ServiceException", "retry shortly");
        test_response_done(&r);
        assert_true(now_usec(CLOCK_MONOTONIC) - start >= 300 * USEC_PER_MSEC);
        assert_true(now_usec(CLOCK_MONOTONIC) - start < 5 * USEC_PER_SEC);
        assert_int_equal(n_away_logged, 1);
        assert_int_equal(fake.n_acquire, 0);

        fake_manager_freeze(&fake, gw->event, false);
        assert_invoke_ok(&tc);
        assert_int_equal(n_back_logged, 1);
        test_client_close(&tc);
}

static void test_signals(void **state)
{
        TestClient tc;

        /* An instance the manager stopped: its idle lease is forgotten (no Release). */
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_non_null(gw->functions);
        fake_manager_instance_stopped(&fake, "another-instance", "hello");
        fake_manager_instance_stopped(&fake, "instance-1", "hello");
        RUN_UNTIL(gw, !gw->functions);
        assert_int_equal(fake.n_released, 0);

        /* The manager went away: it is checked again next time, and meanwhile the lease on its
         * instance (alive until a next lifetime removes it) keeps serving. */
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 2);
        assert_true(gw->manager_known);
        fake_manager_disconnect(&fake);
        RUN_UNTIL(gw, !gw->manager_known);
        assert_non_null(gw->functions);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 2);

        /* Its next lifetime appears: the lease is worthless, and a fresh instance serves. */
        fake = (FakeManager){ .acquire_port = instance.port };
        fake_manager_connect(&fake, gw->event);
        RUN_UNTIL(gw, !gw->functions);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        assert_int_equal(n_away_logged, 0);
        test_client_close(&tc);
}

static void test_bus_comes_later(void **state)
{
        char *address = strdup(getenv("DBUS_SYSTEM_BUS_ADDRESS"));
        TestClient tc;
        TestResponse r;

        /* Started before the bus (a container deployment): serves 503 meanwhile, connects later. */
        assert_non_null(address);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/lambdad-test-bus", 1), 0);
        start_gateway();
        assert_false(manager_client_ready(gw));
        test_client_open(gw, &tc);
        invoke(&tc, &r);
        test_assert_error(&r, 503, "ServiceException", "system bus is not reachable yet");
        test_response_done(&r);

        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        fake_manager_connect(&fake, gw->event);
        RUN_UNTIL(gw, manager_client_ready(gw));
        assert_invoke_ok(&tc);
        test_client_close(&tc);
        free(address);
}

/* A lease on our loopback instance (or a port nothing listens on), idle, as an earlier Acquire of
 * the manager's last lifetime left it. */
static Lease *hold_lease(const char *id, uint16_t port)
{
        GatewayFunction *f = gateway_function_get(gw, "hello");
        Lease *l;

        assert_non_null(f);
        assert_int_equal(lease_new(f, id, "127.0.0.1", port, NULL, &l), 0);
        l->idle_since = now_usec(CLOCK_MONOTONIC);
        return l;
}

/* The manager leaves the bus, once the gateway follows its name (its subscriptions are sent from the
 * loop: a round trip on its connection makes sure the bus has them). */
static void manager_leaves(void)
{
        assert_true(sd_bus_call_method(gw->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, NULL) >= 0);
        fake_manager_disconnect(&fake);
}

/* The manager restarts: its name goes, the next lifetime (fake, as the test set it up) takes it. */
static void restart_manager(FakeManager next)
{
        manager_leaves();
        RUN_UNTIL(gw, gw->manager_gone);
        fake = next;
        fake_manager_connect(&fake, gw->event);
}

static void test_reclaim_keeps(void **state)
{
        static const char *const keep[] = { "old-1", NULL };
        TestClient tc;

        hold_lease("old-1", instance.port);
        hold_lease("old-2", instance.port);
        test_client_open(gw, &tc);

        /* The next lifetime is asked about both; while it decides, they serve. */
        restart_manager((FakeManager){ .acquire_port = instance.port,
                                       .reclaim = true,
                                       .reclaim_keep = keep,
                                       .reclaim_hold = true });
        RUN_UNTIL(gw, fake.reclaim_call);
        assert_int_equal(fake.n_reclaimed, 2);
        assert_non_null(gw->reclaim);
        assert_invoke_ok(&tc);
        assert_int_equal(leases_count(gw), 2);

        /* It kept one: that one serves on, with no Acquire; the other is forgotten, no Release. */
        fake_manager_answer_reclaim(&fake);
        RUN_UNTIL(gw, !gw->reclaim);
        assert_int_equal(leases_count(gw), 1);
        assert_string_equal(gw->functions->leases->id, "old-1");
        assert_invoke_ok(&tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 0);
        assert_int_equal(fake.n_released, 0);
        assert_int_equal(fake.n_reclaim, 1);
        test_client_close(&tc);
}

static void test_reclaim_stale_answer(void **state)
{
        static const char *const keep[] = { "old-1", "old-2", NULL };
        TestClient tc;

        /* A lifetime that goes before it answers: its call is dropped, the next lifetime asked. */
        hold_lease("old-1", instance.port);
        hold_lease("old-2", instance.port);
        restart_manager((FakeManager){ .reclaim = true, .reclaim_hold = true });
        RUN_UNTIL(gw, fake.reclaim_call);
        restart_manager(
                (FakeManager){ .acquire_port = instance.port, .reclaim = true, .reclaim_keep = keep });
        RUN_UNTIL(gw, fake.n_reclaim == 1 && !gw->reclaim);
        assert_int_equal(fake.n_reclaimed, 2);
        assert_int_equal(leases_count(gw), 2);
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 0);
        test_client_close(&tc);
}

static void test_reclaim_unknown(void **state)
{
        TestClient tc;

        /* A manager before Reclaim: UnknownMethod, every lease forgotten, a fresh Acquire serves. */
        hold_lease("old-1", instance.port);
        restart_manager((FakeManager){ .acquire_port = instance.port });
        RUN_UNTIL(gw, leases_count(gw) == 0);
        assert_null(gw->reclaim);
        assert_null(gw->functions);
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        assert_int_equal(fake.n_released, 0);
        test_client_close(&tc);
}

static void test_wait_on_held_while_away(void **state)
{
        TestClient waiting, other, late;
        TestResponse r;
        char *request = test_invoke_request("hello", NULL, "{}");
        Lease *l = hold_lease("old-1", instance.port);
        uint64_t start;

        gw->config.queue_timeout_usec = 1 * USEC_PER_SEC;
        l->busy = true; /* an invocation of the last lifetime's time runs on it */
        manager_leaves();
        RUN_UNTIL(gw, gw->manager_gone);

        /* The manager is away: an invocation of the function waits for our instance, no 503 ... */
        test_client_open(gw, &waiting);
        test_client_send(&waiting, request);
        RUN_UNTIL(gw, n_away_logged == 1);
        test_run_for(gw, 100 * USEC_PER_MSEC);
        assert_int_equal(waiting.in.len, 0);
        assert_int_equal(gw->functions->n_waiting, 1);

        /* ... while one of a function we hold nothing of gets it at once. */
        test_client_open(gw, &other);
        start = now_usec(CLOCK_MONOTONIC);
        invoke_function(&other, "other", &r);
        test_assert_error(&r, 503, "ServiceException", "retry shortly");
        assert_non_null(test_response_header(&r, "Retry-After"));
        assert_true(now_usec(CLOCK_MONOTONIC) - start < 500 * USEC_PER_MSEC);
        test_response_done(&r);

        /* The instance comes free: it serves the waiting one. */
        lease_done(l, true);
        test_client_response(gw, &waiting, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"ran\":true}");
        test_response_done(&r);

        /* Busy past the wait's deadline: the manager's 503, as it would have been at once. */
        l->busy = true;
        test_client_open(gw, &late);
        start = now_usec(CLOCK_MONOTONIC);
        invoke(&late, &r);
        test_assert_error(&r, 503, "ServiceException", "not available; retry shortly");
        assert_true(now_usec(CLOCK_MONOTONIC) - start >= gw->config.queue_timeout_usec);
        test_response_done(&r);
        assert_int_equal(fake.n_acquire, 0);

        /* Back (a lifetime before Reclaim): the lease is forgotten, and what waits gets an Acquire. */
        test_client_send(&late, request);
        RUN_UNTIL(gw, gw->functions->n_waiting == 1);
        fake = (FakeManager){ .acquire_port = instance.port };
        fake_manager_connect(&fake, gw->event);
        test_client_response(gw, &late, &r);
        assert_int_equal(r.status, 200);
        test_response_done(&r);
        assert_int_equal(fake.n_acquire, 1);
        assert_int_equal(l->idle_since, UINT64_MAX);
        lease_done(l, true); /* its invocation ends: dropped, no Release */
        RUN_UNTIL(gw, leases_count(gw) == 1 && gw->functions->leases->next == NULL);
        assert_int_equal(fake.n_released, 0);
        test_client_close(&waiting);
        test_client_close(&other);
        test_client_close(&late);
        free(request);
}

static void test_failover(void **state)
{
        TestClient tc;
        char *request = test_invoke_request("hello", NULL, "{}");
        TestResponse r;
        Lease *l;

        /* A fresh instance that refuses the connection: given back unhealthy, and a fresh Acquire
         * serves the invocation. The client sees nothing of it. */
        fake.acquire_port_once = test_refused_port();
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 2);
        RUN_UNTIL(gw, fake.n_released == 1);
        assert_string_equal(fake.released[0], "instance-1");
        assert_false(fake.released_healthy[0]);

        /* A held lease the manager forgot (its instance stopped) while its invocation was on the way
         * there: dropped without a Release, and a fresh Acquire again. */
        leases_release_idle(gw);
        RUN_UNTIL(gw, fake.n_released == 2);
        l = hold_lease("stale", test_refused_port());
        test_client_send(&tc, request);
        RUN_UNTIL(gw, l->busy);
        leases_forget(gw, "stale");
        test_client_response(gw, &tc, &r);
        assert_int_equal(r.status, 200);
        test_response_done(&r);
        assert_int_equal(fake.n_acquire, 3);
        assert_int_equal(fake.n_released, 2);
        test_client_close(&tc);
        free(request);
}

static void test_bus_retry_backoff(void **state)
{
        static const unsigned ms[] = { 50, 100, 200, 400, 800, 1000, 1000 };

        for (unsigned i = 0; i < ELEMENTSOF(ms); i++)
                assert_int_equal(manager_bus_retry_usec(i), ms[i] * USEC_PER_MSEC);
        assert_int_equal(manager_bus_retry_usec(UINT32_MAX), 1 * USEC_PER_SEC);
}

static void test_bus_goes_and_comes_back(void **state)
{
        TestClient tc;
        TestResponse r;

        /* The bus daemon goes: the gateway stays, its held instance serves; what needs the manager
         * gets 503. */
        test_client_open(gw, &tc);
        assert_invoke_ok(&tc);
        test_bus_restart();
        RUN_UNTIL(gw, !manager_client_ready(gw));
        fake_manager_disconnect(&fake);
        assert_invoke_ok(&tc);
        invoke_function(&tc, "other", &r);
        test_assert_error(&r, 503, "ServiceException", "system bus is not reachable yet");
        test_response_done(&r);

        /* Back (a new daemon): connected again within the back-off; the leases of the old
         * connection are forgotten, and a fresh Acquire serves. */
        RUN_UNTIL(gw, manager_client_ready(gw));
        assert_int_equal(leases_count(gw), 0);
        fake = (FakeManager){ .acquire_port = instance.port };
        fake_manager_connect(&fake, gw->event);
        assert_invoke_ok(&tc);
        assert_int_equal(fake.n_acquire, 1);
        test_client_close(&tc);
}

static int group_setup(void **state)
{
        test_instance_start(&instance);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_status),
                cmocka_unit_test_setup_teardown(test_acquire_and_release, setup, teardown),
                cmocka_unit_test_setup_teardown(test_acquire_secret, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves_during_acquire, setup, teardown),
                cmocka_unit_test_setup_teardown(test_acquire_not_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_at_the_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_away_and_back, setup_without_manager, teardown),
                cmocka_unit_test_setup_teardown(test_manager_hangs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_comes_later, NULL, teardown),
                cmocka_unit_test_setup_teardown(test_reclaim_keeps, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reclaim_stale_answer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reclaim_unknown, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wait_on_held_while_away, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
                cmocka_unit_test(test_bus_retry_backoff),
                cmocka_unit_test_setup_teardown(test_bus_goes_and_comes_back, setup, teardown),
        };
        return test_bus_run_tests(tests, group_setup);
}
