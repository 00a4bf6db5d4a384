/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The gateway's D-Bus client of org.lambdad.Manager1 (manager-client.c) on a real bus: a private
 * dbus-daemon stands in for the system bus, a fake manager answers on it (fake-manager.h), and
 * invocations come from real HTTP clients and go to a loopback instance (gateway-test.h). Covers the
 * error names and the HTTP statuses they become (503 and 429 with Retry-After), Acquire and Release,
 * a client that leaves during Acquire, an Acquire that cannot be sent, the queue deadline at the
 * limit while our own instances are busy, a manager that is not there or does not answer within
 * --manager-timeout (said once in the log, and once that it is back), its signals (InstanceStopped;
 * the name left unowned, when held leases keep serving; a new owner, when they are forgotten), and a
 * bus that comes up after the gateway. Faked at the link: the log (to
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
        fake = (FakeManager){ .acquire_port = instance.port };
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

static void invoke(TestClient *tc, TestResponse *ret)
{
        char *request = test_invoke_request("hello", NULL, "{}");

        test_client_exchange(gw, tc, request, ret);
        free(request);
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
                cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves_during_acquire, setup, teardown),
                cmocka_unit_test_setup_teardown(test_acquire_not_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_at_the_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_away_and_back, setup_without_manager, teardown),
                cmocka_unit_test_setup_teardown(test_manager_hangs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_comes_later, NULL, teardown),
        };
        return test_bus_run_tests(tests, group_setup);
}
