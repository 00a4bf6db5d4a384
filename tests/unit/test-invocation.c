/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * One invocation (invocation.c) from the client's request to its answer, with real client
 * connections, leases and upstream connections to a loopback instance (gateway-test.h) that answers
 * as each test scripts it. The manager is faked at the link (-Wl,--wrap): its Acquire grants the
 * instances a test lines up, from the loop, and Release is recorded. Covers the request sent to the
 * instance, answers streamed and collected, function errors (X-Amz-Function-Error), instance
 * answers that are malformed, cut short or too large (502 before any byte reached the client, the
 * connection closed after), timeouts, refused connections and the one retry, Event and DryRun
 * invocations, clients that leave, and reading paused while the client lags behind.
 * InvokeWithResponseStream: an instance's streamed answer as PayloadChunk events and InvokeComplete
 * (with the error and log tail of its trailer fields), its limit, malformed framing after the first
 * event, reading paused while the client lags, and Invoke of a function that streams. Function URLs
 * (url_call_handle() is faked at the link: the URL's settings without the manager): a RESPONSE_STREAM
 * URL's streamed answer, its prelude (in pieces) as the head and the body in chunks, or passed through
 * without one, an error before the first byte (502) and mid-stream or past 20 MiB (cut off after
 * every byte written so far), reading paused while the client lags, HEAD (the collected answer's head)
 * and a BUFFERED URL of a function that streams (collected).
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway-test.h"
#include "event-queue.h"
#include "invocation.h"
#include "lease.h"
#include "manager-client.h"
#include "trace.h"
#include "url-call.h"

static TestInstance instance;
static Gateway *gw;
static char state_directory[] = "/tmp/test-invocation-XXXXXX";

/* The secret of every instance the fake manager grants. */
#define TEST_SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* The fake manager: the ports its next Acquires answer with, and what was given back. */
static uint16_t grants[8];
static unsigned n_grants, n_granted, n_pumps;
static char pumped_function[LAMBDA_FUNCTION_REF_MAX + 1];
static sd_event_source *grant_source;
static char released[8][32];
static bool released_healthy[8];
static unsigned n_released;
static unsigned n_paused, n_resumed;

static int on_grant(sd_event_source *s, void *userdata)
{
        GatewayFunction *f;

        /* By name: the function may be gone since it asked (its client left). */
        for (f = gw->functions; f; f = f->next)
                if (strcmp(f->name, pumped_function) == 0)
                        break;
        while (f && f->n_waiting > 0 && n_granted < n_grants) {
                char id[32];
                Invocation *inv;
                Lease *l;

                (void) snprintf(id, sizeof(id), "instance-%u", n_granted + 1);
                assert_int_equal(lease_new(f, id, "127.0.0.1", grants[n_granted++], TEST_SECRET, &l), 0);
                inv = function_pop_waiting(f);
                inv->cold = true;
                l->busy = true;
                invocation_start(inv, l);
        }
        return 0;
}

void __wrap_manager_pump(GatewayFunction *f);
void __wrap_manager_pump(GatewayFunction *f)
{
        n_pumps++;
        (void) snprintf(pumped_function, sizeof(pumped_function), "%s", f->name);
        /* Answers come later, from the loop, as the manager's do. */
        assert_true(sd_event_source_set_enabled(grant_source, SD_EVENT_ONESHOT) >= 0);
}

void __wrap_manager_release(Gateway *g, const char *id, bool healthy);
void __wrap_manager_release(Gateway *g, const char *id, bool healthy)
{
        (void) snprintf(released[n_released], sizeof(released[0]), "%s", id);
        released_healthy[n_released++] = healthy;
}

/* The manager's GetFunctionConfiguration: every function has the defaults, but "missing", which it
 * does not know; it answers on the loop's next turn, as a bus call is answered. */
static struct {
        configuration_handler_t handler;
        void *userdata;
        bool missing, away;
} config_calls[8];
static unsigned n_config_calls, n_config_answered;
static bool manager_away; /* it does not answer (an error instead) */
static sd_event_source *config_source;

static int on_config_answer(sd_event_source *s, void *userdata)
{
        while (n_config_answered < n_config_calls) {
                unsigned k = n_config_answered++ % ELEMENTSOF(config_calls);
                AsyncConfiguration c = {};

                if (config_calls[k].away) {
                        config_calls[k].handler(NULL, -EIO, config_calls[k].userdata);
                        continue;
                }
                async_configuration_done(&c);
                c.not_found = config_calls[k].missing;
                config_calls[k].handler(&c, 0, config_calls[k].userdata);
        }
        return 0;
}

int __wrap_manager_get_configuration(Gateway *g, const char *function, configuration_handler_t handler,
                                     void *userdata, sd_bus_slot **ret_slot);
int __wrap_manager_get_configuration(Gateway *g, const char *function, configuration_handler_t handler,
                                     void *userdata, sd_bus_slot **ret_slot)
{
        unsigned k = n_config_calls % ELEMENTSOF(config_calls);

        assert_true(n_config_calls - n_config_answered < ELEMENTSOF(config_calls));
        config_calls[k].handler = handler;
        config_calls[k].userdata = userdata;
        config_calls[k].missing = strcmp(function, "missing") == 0;
        config_calls[k].away = manager_away;
        n_config_calls++;
        assert_true(sd_event_source_set_enabled(config_source, SD_EVENT_ONESHOT) >= 0);
        return 0;
}

bool __wrap_manager_client_ready(const Gateway *g);
bool __wrap_manager_client_ready(const Gateway *g)
{
        return true;
}

void __real_upstream_pause(Upstream *u, bool pause);
void __wrap_upstream_pause(Upstream *u, bool pause);
void __wrap_upstream_pause(Upstream *u, bool pause)
{
        if (pause)
                n_paused++;
        else
                n_resumed++;
        __real_upstream_pause(u, pause);
}

/* The fake URL call: the URL of any function, public, CORS for every origin, its invoke mode
 * RESPONSE_STREAM unless url_buffered; the event is "{}". */
static bool url_buffered;

void __wrap_url_call_handle(ClientConn *c, const Route *route);
void __wrap_url_call_handle(ClientConn *c, const Route *route)
{
        Invocation *inv = invocation_new(c, route->function);

        assert_non_null(inv);
        inv->url = true;
        inv->url_stream = !url_buffered;
        inv->url_cors = strdup("{\"AllowOrigins\":[\"*\"]}");
        inv->url_origin = strdup("https://example.com");
        inv->payload = strdup("{}");
        assert_true(inv->url_cors && inv->url_origin && inv->payload);
        inv->payload_len = 2;
        inv->client = c;
        c->invocation = inv;
        gateway_update_timers(gw);
        function_queue(inv);
}

/* The n-th lease given back (of n in all so far) was the instance granted as the id-th, unhealthy. */
static void assert_released_unhealthy(unsigned n, unsigned id)
{
        char name[32];

        assert_int_equal(n_released, n);
        (void) snprintf(name, sizeof(name), "instance-%u", id);
        assert_string_equal(released[n - 1], name);
        assert_false(released_healthy[n - 1]);
}

/* The next Acquire answers with an instance at this port (at once, if one waits already). */
static void grant(uint16_t port)
{
        grants[n_grants++] = port;
        assert_true(sd_event_source_set_enabled(grant_source, SD_EVENT_ONESHOT) >= 0);
}

static int group_setup(void **state)
{
        test_instance_start(&instance);
        return 0;
}

static int setup_with(GatewayConfig config)
{
        n_grants = n_granted = n_pumps = n_released = n_paused = n_resumed = 0;
        n_config_calls = n_config_answered = 0;
        manager_away = false;
        url_buffered = false;
        (void) snprintf(state_directory, sizeof(state_directory), "/tmp/test-invocation-XXXXXX");
        assert_non_null(mkdtemp(state_directory));
        config.state_directory = state_directory;
        assert_int_equal(gateway_new(&gw, &config), 0);
        assert_int_equal(event_queue_open(gw, &gw->queue), 0);
        assert_int_equal(sd_event_add_defer(gw->event, &grant_source, on_grant, NULL), 0);
        assert_int_equal(sd_event_source_set_enabled(grant_source, SD_EVENT_OFF), 0);
        assert_int_equal(sd_event_add_defer(gw->event, &config_source, on_config_answer, NULL), 0);
        assert_int_equal(sd_event_source_set_enabled(config_source, SD_EVENT_OFF), 0);
        return 0;
}

static int setup(void **state)
{
        return setup_with(test_gateway_config());
}

static int setup_short_timeout(void **state)
{
        GatewayConfig config = test_gateway_config();

        config.upstream_timeout_usec = 300 * USEC_PER_MSEC;
        return setup_with(config);
}

/* For 20 MiB through the gateway, which a sanitized build takes seconds for. */
static int setup_long_timeout(void **state)
{
        GatewayConfig config = test_gateway_config();

        config.upstream_timeout_usec = 120 * USEC_PER_SEC;
        config.request_timeout_usec = 120 * USEC_PER_SEC;
        return setup_with(config);
}

static int teardown(void **state)
{
        char command[128];

        grant_source = sd_event_source_disable_unref(grant_source);
        /* Answers not given yet are dropped with the calls (the real ones go with their slots). */
        config_source = sd_event_source_disable_unref(config_source);
        gw = gateway_free(gw);
        (void) snprintf(command, sizeof(command), "rm -rf '%s'", state_directory);
        assert_int_equal(system(command), 0);
        return 0;
}

/* An invocation of hello and its answer. */
static void invoke(TestClient *tc, const char *extra_headers, const char *payload, TestResponse *ret)
{
        char *request = test_invoke_request("hello", extra_headers, payload);

        test_client_exchange(gw, tc, request, ret);
        free(request);
}

static void assert_header(TestResponse *r, const char *name, const char *value)
{
        const char *v = test_response_header(r, name);

        if (!v || strcmp(v, value) != 0)
                fail_msg("%s: '%s', expected '%s'", name, v ?: "(none)", value);
}

static void test_answer_and_reuse(void **state)
{
        TestClient tc;
        TestResponse r;
        char *seen, expect[sizeof(r.value) + 32];
        unsigned requests = test_instance_requests(&instance);

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"hello\":\"you\"}");
        grant(instance.port);
        test_client_open(gw, &tc);
        invoke(&tc, "X-Amz-Client-Context: e30=\r\n", "{\"name\":\"me\"}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"hello\":\"you\"}");
        assert_header(&r, "Content-Type", "application/json");
        assert_header(&r, "X-Amz-Executed-Version", "$LATEST");
        assert_null(test_response_header(&r, "X-Amz-Function-Error"));
        assert_null(test_response_header(&r, "X-Amz-Log-Result"));

        /* The instance got lambda-rie's invoke request: the payload, the request id, the context. */
        seen = test_instance_last_request(&instance);
        assert_non_null(test_response_header(&r, "x-amzn-RequestId"));
        (void) snprintf(expect, sizeof(expect), "\r\nX-Amzn-RequestId: %s\r\n", r.value);
        assert_true(strncmp(seen, "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n", 58) == 0);
        assert_non_null(strstr(seen, expect));
        assert_non_null(strstr(seen, "\r\nContent-Length: 13\r\n"));
        assert_non_null(strstr(seen, "\r\nX-Amz-Client-Context: e30=\r\n"));
        /* ... and the instance's secret, which lambda-rie wants from its lease holder. */
        assert_non_null(strstr(seen, "\r\n" INSTANCE_SECRET_HEADER ": " TEST_SECRET "\r\n"));
        assert_null(strstr(seen, "X-Amz-Log-Type"));
        assert_string_equal(strstr(seen, "\r\n\r\n") + 4, "{\"name\":\"me\"}");
        free(seen);
        test_response_done(&r);

        /* Done: nothing in flight, the lease idles (kept, not given back). */
        assert_int_equal(gw->n_invocations, 0);
        assert_int_equal(gw->metrics.in_flight, 0);
        assert_non_null(gw->functions);
        assert_non_null(gw->functions->leases);
        assert_false(gw->functions->leases->busy);
        assert_int_equal(n_released, 0);

        /* The next invocation takes the warm lease and its kept-alive connection: no Acquire. */
        invoke(&tc, NULL, "{}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"hello\":\"you\"}");
        test_response_done(&r);
        assert_int_equal(n_pumps, 1);
        assert_int_equal(n_granted, 1);
        assert_int_equal(upstream_connects(gw->functions->leases->upstream), 1);
        assert_int_equal(test_instance_requests(&instance) - requests, 2);
        test_client_close(&tc);
}

/* LAMBDAD_GATEWAY_TRACE: a record per answered invocation, every stage stamped and in order; the
 * first invocation's lease came from the manager on a new connection, the second's was kept. */
static void test_trace(void **state)
{
        char path[] = "/tmp/test-invocation-trace.XXXXXX";
        const TraceRecord *records;
        TestClient tc;
        TestResponse r;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(setenv("LAMBDAD_GATEWAY_TRACE", path, 1), 0);
        trace_open();
        assert_non_null(trace_ring);
        records = (const TraceRecord *) (trace_ring + 1);

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        grant(instance.port);
        test_client_open(gw, &tc);
        for (unsigned i = 0; i < 2; i++) {
                invoke(&tc, NULL, "{\"name\":\"me\"}", &r);
                assert_int_equal(r.status, 200);
                test_response_done(&r);
        }
        RUN_UNTIL(gw, trace_ring->count == 2);
        for (unsigned i = 0; i < 2; i++) {
                assert_int_equal(records[i].request_on_connection, i + 1);
                assert_true(records[i].t[TRACE_ACCEPT] > 0);
                for (int s = TRACE_ACCEPT + 1; s < _TRACE_STAGE_MAX; s++)
                        assert_true(records[i].t[s] >= records[i].t[s - 1]);
        }
        assert_int_equal(records[0].flags, TRACE_UPSTREAM_NEW);
        assert_int_equal(records[1].flags, TRACE_LEASE_KEPT);
        assert_int_equal(records[1].t[TRACE_ACCEPT], records[0].t[TRACE_ACCEPT]);
        test_client_close(&tc);

        trace_ring = NULL; /* tracing off for the tests after this one */
        assert_int_equal(unsetenv("LAMBDAD_GATEWAY_TRACE"), 0);
        assert_int_equal(unlink(path), 0);
}

/* The instance answers so: the client gets 200, X-Amz-Function-Error: Unhandled and this body. */
static void assert_function_error(TestClient *tc, const char *answer, const char *body)
{
        TestResponse r;

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, answer);
        invoke(tc, NULL, "{}", &r);
        assert_int_equal(r.status, 200);
        assert_header(&r, "X-Amz-Function-Error", "Unhandled");
        assert_string_equal(r.body, body);
        test_response_done(&r);
}

static void test_function_errors(void **state)
{
        TestClient tc;
        TestResponse r;
        char *seen;

        grant(instance.port);
        test_client_open(gw, &tc);

        /* The runtime's error, passed on as Lambda does: 200 with X-Amz-Function-Error. */
        assert_function_error(
                &tc,
                "HTTP/1.1 200 OK\r\nContent-Length: 24\r\nX-Amz-Function-Error: Unhandled\r\n\r\n"
                "{\"errorMessage\":\"boom\"}\n",
                "{\"errorMessage\":\"boom\"}\n");
        /* lambda-rie's 502 for a runtime that died is a function error too. */
        assert_function_error(&tc,
                              "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 33\r\n\r\n"
                              "{\"errorType\":\"Runtime.ExitError\"}",
                              "{\"errorType\":\"Runtime.ExitError\"}");

        /* Chunked: collected, then sent whole with its length and the headers that came with it. */
        test_instance_script_str(
                &instance, TEST_INSTANCE_ANSWER,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Amz-Function-Error: Handled\r\n"
                "X-Amz-Log-Result: bG9nIHRhaWw=\r\nX-Amz-Executed-Version: 3\r\n\r\n"
                "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
        invoke(&tc, "X-Amz-Log-Type: Tail\r\n", "{}", &r);
        assert_int_equal(r.status, 200);
        assert_header(&r, "Content-Length", "7");
        assert_string_equal(r.body, "{\"a\":1}");
        assert_header(&r, "X-Amz-Function-Error", "Handled");
        assert_header(&r, "X-Amz-Log-Result", "bG9nIHRhaWw=");
        assert_header(&r, "X-Amz-Executed-Version", "3");
        test_response_done(&r);
        seen = test_instance_last_request(&instance);
        assert_non_null(strstr(seen, "\r\nX-Amz-Log-Type: Tail\r\n"));
        free(seen);

        /* The log tail only when asked for. */
        invoke(&tc, NULL, "{}", &r);
        assert_null(test_response_header(&r, "X-Amz-Log-Result"));
        test_response_done(&r);

        /* Function errors leave the instance healthy: one lease for all. */
        assert_int_equal(n_granted, 1);
        assert_int_equal(n_released, 0);
        assert_int_equal(gw->metrics.in_flight, 0);
        test_client_close(&tc);
}

/* An instance answer that fails before any byte went to the client: 502 (or 503) in the AWS shape,
 * the connection kept, the lease given back as unhealthy. */
static void assert_bad_answer(TestClient *tc, TestInstanceMode mode, const char *answer, size_t len,
                              int status, const char *message)
{
        unsigned released_before = n_released;
        TestResponse r;

        test_instance_script(&instance, mode, answer, len);
        grant(instance.port);
        invoke(tc, NULL, "{}", &r);
        test_assert_error(&r, status, "ServiceException", message);
        assert_null(test_response_header(&r, "Connection"));
        test_response_done(&r);
        assert_released_unhealthy(released_before + 1, n_granted);
        assert_int_equal(gw->n_invocations, 0);
        assert_null(gw->functions);
}

/* A chunked answer: head, then n chunks of 64 KiB, each the 8 bytes of fill over and over. */
static char *chunked_answer(const char *head, size_t n, const char *fill, size_t *ret_len)
{
        size_t chunk = 64 * 1024;
        Buf b = {};

        assert_int_equal(buf_append_str(&b, head), 0);
        for (size_t i = 0; i < n; i++) {
                assert_true(buf_printf(&b, "%zx\r\n", chunk) >= 0);
                for (size_t k = 0; k < chunk; k += 8)
                        assert_int_equal(buf_append(&b, fill, 8), 0);
                assert_int_equal(buf_append(&b, "\r\n", 2), 0);
        }
        assert_int_equal(buf_append_str(&b, "0\r\n\r\n"), 0);
        return buf_steal(&b, ret_len);
}

static void test_bad_answers(void **state)
{
        static const char garbage[] = "HTTP/1.1 abc\r\n\r\n";
        static const char head_cut[] = "HTTP/1.1 200 OK\r\nContent-Le";
        static const char chunk_cut[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\"";
        static const char too_long[] = "HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n{";
        TestClient tc;
        size_t len;
        char *big =
                chunked_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                               (size_t) (LAMBDA_RUNTIME_RESPONSE_MAX / (64 * 1024)) + 4, "\"xxxxxx\"", &len);

        test_client_open(gw, &tc);
        assert_bad_answer(&tc, TEST_INSTANCE_ANSWER_AND_CLOSE, garbage, STRLEN(garbage), 502, "malformed");
        assert_bad_answer(&tc, TEST_INSTANCE_ANSWER_AND_CLOSE, head_cut, STRLEN(head_cut), 502, "cut short");
        assert_bad_answer(&tc, TEST_INSTANCE_ANSWER_AND_CLOSE, chunk_cut, STRLEN(chunk_cut), 502,
                          "cut short");
        assert_bad_answer(&tc, TEST_INSTANCE_ANSWER_AND_CLOSE, too_long, STRLEN(too_long), 502, "too large");
        assert_bad_answer(&tc, TEST_INSTANCE_ANSWER_AND_CLOSE, big, len, 502, "too large");
        /* Gone without a word: it may have run, so no retry; a passing fault, so 503. */
        assert_bad_answer(&tc, TEST_INSTANCE_CLOSE_SILENTLY, "", 0, 503, "went away");
        free(big);

        /* Each failure got its own instance; the client's connection served them all. */
        assert_int_equal(n_granted, 6);
        assert_false(tc.eof);
        assert_int_equal(gw->metrics.connections_total, 1);
        test_client_close(&tc);
}

static void test_broken_after_bytes_sent(void **state)
{
        static const char partial[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":";
        TestClient tc;
        char *request = test_invoke_request("hello", NULL, "{}");

        /* The head and the first bytes are with the client: all that is left is to cut it off. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, partial);
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_send(&tc, request);
        test_client_wait_eof(gw, &tc);
        assert_non_null(tc.in.data);
        assert_true(strncmp(tc.in.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
        assert_non_null(strstr(tc.in.data, "\r\nContent-Length: 100\r\n"));
        assert_string_equal(strstr(tc.in.data, "\r\n\r\n") + 4, "{\"partial\":");
        assert_released_unhealthy(1, 1);
        RUN_UNTIL(gw, gw->n_clients == 0);
        assert_int_equal(gw->n_invocations, 0);
        free(request);
        test_client_close(&tc);
}

static void test_timeout(void **state)
{
        TestClient tc;
        TestResponse r;
        uint64_t start = now_usec(CLOCK_MONOTONIC);

        test_instance_script_str(&instance, TEST_INSTANCE_NEVER_ANSWER, "");
        grant(instance.port);
        test_client_open(gw, &tc);
        invoke(&tc, NULL, "{}", &r);
        test_assert_error(&r, 504, "ServiceException", "did not answer in time");
        test_response_done(&r);
        assert_true(now_usec(CLOCK_MONOTONIC) - start >= 300 * USEC_PER_MSEC);
        assert_released_unhealthy(1, 1);
        test_client_close(&tc);
}

static void test_refused(void **state)
{
        TestClient tc;
        TestResponse r;

        /* Nothing listens: nothing ran, so once more on a fresh instance. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        grant(test_refused_port());
        grant(instance.port);
        test_client_open(gw, &tc);
        invoke(&tc, NULL, "{}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{}");
        test_response_done(&r);
        assert_int_equal(n_granted, 2);
        assert_released_unhealthy(1, 1);

        /* Only once: two refusals are a 503 to retry later. */
        assert_true(gw->functions && gw->functions->leases);
        leases_forget(gw, NULL);
        grant(test_refused_port());
        grant(test_refused_port());
        invoke(&tc, NULL, "{}", &r);
        test_assert_error(&r, 503, "ServiceException", "retry");
        test_response_done(&r);
        assert_int_equal(n_granted, 4);
        assert_released_unhealthy(3, 4);
        test_client_close(&tc);
}

static unsigned count_event_files(void);

static void test_event_and_dry_run(void **state)
{
        TestClient tc;
        TestResponse r;
        unsigned requests = test_instance_requests(&instance);
        char id[UUID_STRING_MAX], expect[128], *seen;

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        test_client_open(gw, &tc);

        /* DryRun: 204, nothing runs. */
        invoke(&tc, "X-Amz-Invocation-Type: DryRun\r\n", "{}", &r);
        assert_int_equal(r.status, 204);
        test_response_done(&r);
        assert_int_equal(n_pumps, 0);

        /* Event: 202 once on disk; they queue (at most 4 of a function here) and run without the client. */
        for (unsigned i = 0; i < 4; i++) {
                invoke(&tc, "X-Amz-Invocation-Type: Event\r\n", "{\"event\":1}", &r);
                assert_int_equal(r.status, 202);
                assert_int_equal(r.body_len, 0);
                assert_non_null(test_response_header(&r, "x-amzn-RequestId"));
                if (i == 0)
                        memcpy(id, r.value, sizeof(id));
                test_response_done(&r);
        }
        assert_int_equal(event_queue_size(gw->queue), 4);
        /* The manager was asked whether hello exists once: later events found its answer. */
        assert_int_equal(n_config_calls, 1);
        invoke(&tc, "X-Amz-Invocation-Type: Event\r\n", "{\"event\":1}", &r);
        test_assert_error(&r, 429, "TooManyRequestsException", "Rate Exceeded.");
        test_response_done(&r);

        /* A function the manager does not know: 404 before anything is queued, as on Lambda. */
        {
                char *request = test_invoke_request("missing", "X-Amz-Invocation-Type: Event\r\n", "{}");

                test_client_expect_error(gw, &tc, request, 404, "ResourceNotFoundException",
                                         "Function not found: arn:aws:lambda:");
                free(request);
                assert_int_equal(event_queue_size(gw->queue), 4);
                assert_int_equal(count_event_files(), 4);
        }

        /* One instance serves the queue in order. */
        grant(instance.port);
        RUN_UNTIL(gw, event_queue_size(gw->queue) == 0);
        assert_int_equal(gw->n_invocations, 0);
        assert_int_equal(test_instance_requests(&instance) - requests, 4);
        assert_int_equal(n_granted, 1);
        seen = test_instance_last_request(&instance);
        (void) snprintf(expect, sizeof(expect), "X-Amzn-RequestId: %s\r\n", id);
        /* The last one to run is not the first one queued. */
        assert_null(strstr(seen, expect));
        assert_string_equal(strstr(seen, "\r\n\r\n") + 4, "{\"event\":1}");
        free(seen);

        /* Checked before anything runs. */
        invoke(&tc, NULL, "{\"not json", &r);
        test_assert_error(&r, 400, "InvalidRequestContentException", "must be JSON");
        test_response_done(&r);
        invoke(&tc, "X-Amz-Invocation-Type: Later\r\n", "{}", &r);
        test_assert_error(&r, 400, "InvalidParameterValueException", "X-Amz-Invocation-Type");
        test_response_done(&r);
        invoke(&tc, "X-Amz-Client-Context: !!!\r\n", "{}", &r);
        test_assert_error(&r, 400, "InvalidRequestContentException", "X-Amz-Client-Context");
        test_response_done(&r);
        assert_int_equal(test_instance_requests(&instance) - requests, 4);
        test_client_close(&tc);
}

/* Whether STATE/queue/ID.event is there. */
static bool event_file_exists(const char *id)
{
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/queue/%.36s.event", state_directory, id);
        return access(path, F_OK) == 0;
}

static unsigned count_event_files(void)
{
        char command[256];
        unsigned n = 0;
        FILE *p;

        (void) snprintf(command, sizeof(command), "ls '%s/queue' | grep -c '\\.event$'", state_directory);
        p = popen(command, "r");
        assert_non_null(p);
        assert_int_equal(fscanf(p, "%u", &n), 1);
        pclose(p);
        return n;
}

/* Events that arrive together: written off the loop as one group, each on disk at its 202; those being
 * written count in the bounds (4 of a function here); one whose client left is queued all the same. */
static void test_event_burst(void **state)
{
        TestClient tc[5], gone;
        TestResponse r;
        char *request = test_invoke_request("hello", "X-Amz-Invocation-Type: Event\r\n", "{\"burst\":1}");
        char *other = test_invoke_request("other", "X-Amz-Invocation-Type: Event\r\n", "{\"gone\":1}");
        unsigned accepted = 0, refused = 0;

        for (unsigned i = 0; i < 5; i++) {
                test_client_open(gw, &tc[i]);
                test_client_send(&tc[i], request);
        }
        test_client_open(gw, &gone);
        test_client_send(&gone, other);
        /* All six counted in the bounds before any is on disk. */
        RUN_UNTIL(gw, event_queue_size(gw->queue) == 5);
        test_client_close(&gone);
        for (unsigned i = 0; i < 5; i++) {
                test_client_response(gw, &tc[i], &r);
                if (r.status == 202) {
                        accepted++;
                        assert_non_null(test_response_header(&r, "x-amzn-RequestId"));
                        assert_true(event_file_exists(r.value));
                } else {
                        refused++;
                        test_assert_error(&r, 429, "TooManyRequestsException", "Rate Exceeded.");
                }
                test_response_done(&r);
                test_client_close(&tc[i]);
        }
        assert_int_equal(accepted, 4);
        assert_int_equal(refused, 1);
        RUN_UNTIL(gw, gw->n_clients == 0 && event_queue_size(gw->queue) == 5 &&
                              gw->metrics.events_queued == 5 && count_event_files() == 5);
        /* Group commit: at most one directory fsync for each event, at least one for them all. */
        assert_true(gw->metrics.event_commits >= 1);
        assert_true(gw->metrics.event_commits <= 5);
        free(request);
        free(other);
}

/* Whether a function exists is asked only when the gateway does not know it already: a lease held on
 * it says so, and while the manager cannot say, the event is accepted (the queue retries). */
static void test_event_function_known(void **state)
{
        TestClient tc;
        TestResponse r;
        char *missing = test_invoke_request("missing", "X-Amz-Invocation-Type: Event\r\n", "{}");
        unsigned calls;

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        test_client_open(gw, &tc);
        grant(instance.port);
        invoke(&tc, NULL, "{}", &r);
        assert_int_equal(r.status, 200);
        test_response_done(&r);
        invoke(&tc, "X-Amz-Invocation-Type: Event\r\n", "{}", &r);
        assert_int_equal(r.status, 202);
        test_response_done(&r);
        assert_int_equal(n_config_calls, 0);

        /* The manager away: a function it would not know is accepted all the same. */
        manager_away = true;
        test_client_exchange(gw, &tc, missing, &r);
        assert_int_equal(r.status, 202);
        test_response_done(&r);
        assert_true(n_config_calls >= 1);
        /* Back: asked again (nothing is remembered of a manager that did not answer), and refused. */
        manager_away = false;
        calls = n_config_calls;
        test_client_expect_error(gw, &tc, missing, 404, "ResourceNotFoundException", "Function not found");
        assert_true(n_config_calls > calls);
        test_client_close(&tc);
        free(missing);
}

/* The gateway exits while an event waits to learn whether its function exists: it is written all
 * the same (at least once), not lost. */
static void test_event_check_at_exit(void **state)
{
        TestClient tc;
        char *request = test_invoke_request("unknown", "X-Amz-Invocation-Type: Event\r\n", "{}");

        test_client_open(gw, &tc);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, event_queue_size(gw->queue) == 1);
        assert_int_equal(n_config_answered, 0);
        assert_int_equal(count_event_files(), 0);
        test_client_close(&tc);
        config_source = sd_event_source_disable_unref(config_source);
        gw = gateway_free(gw);
        assert_int_equal(count_event_files(), 1);
        free(request);
}

/* A body streamed as it comes: the invocation takes an instance before the body is in, and the
 * instance has the request whole only once the whole is JSON. One that is not never reaches it whole,
 * wherever that shows (at the last byte, or half way): 400 on the same kept-alive connection, the
 * instance's connection reset, and the instance free for the next invocation. */
static void test_streamed_body(void **state)
{
        TestClient tc;
        TestResponse r;
        unsigned requests = test_instance_requests(&instance);
        char *request = test_invoke_request("hello", NULL, "[1,2,3]");
        char *bad_last = test_invoke_request("hello", NULL, "[1,2,3]x");
        char *bad_early = test_invoke_request("hello", NULL, "[1,}2345678");
        char *seen;
        size_t len = strlen(request);

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_send_len(&tc, request, len - 2);
        RUN_UNTIL(gw, n_granted == 1);
        test_run_for(gw, 50 * USEC_PER_MSEC);
        assert_int_equal(gw->n_invocations, 1);
        assert_true(gw->functions->leases->busy);
        assert_int_equal(test_instance_requests(&instance), requests);
        test_client_send(&tc, request + len - 2);
        test_client_response(gw, &tc, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{}");
        test_response_done(&r);
        assert_int_equal(test_instance_requests(&instance) - requests, 1);
        seen = test_instance_last_request(&instance);
        assert_non_null(strstr(seen, "\r\nContent-Length: 7\r\n"));
        assert_string_equal(strstr(seen, "\r\n\r\n") + 4, "[1,2,3]");
        free(seen);

        /* Not JSON at the last byte: all but it reached the instance, which never ran. */
        len = strlen(bad_last);
        test_client_send_len(&tc, bad_last, len - 1);
        test_run_for(gw, 50 * USEC_PER_MSEC);
        assert_true(gw->functions->leases->busy);
        test_client_send(&tc, bad_last + len - 1);
        test_client_response(gw, &tc, &r);
        test_assert_error(&r, 400, "InvalidRequestContentException", "must be JSON");
        test_response_done(&r);
        assert_false(gw->functions->leases->busy);

        /* Not JSON half way: the instance is let go before the rest comes. */
        len = strlen(bad_early);
        test_client_send_len(&tc, bad_early, len - 4);
        RUN_UNTIL(gw, !gw->functions->leases->busy);
        test_client_send(&tc, bad_early + len - 4);
        test_client_response(gw, &tc, &r);
        test_assert_error(&r, 400, "InvalidRequestContentException", "must be JSON");
        test_response_done(&r);
        assert_int_equal(test_instance_requests(&instance) - requests, 1);

        /* The same instance, still healthy, on the same client connection. */
        invoke(&tc, NULL, "{\"next\":1}", &r);
        assert_int_equal(r.status, 200);
        test_response_done(&r);
        assert_int_equal(test_instance_requests(&instance) - requests, 2);
        assert_int_equal(n_granted, 1);
        assert_int_equal(n_released, 0);

        /* A client that leaves half way: the instance never has the request, and is free again. */
        len = strlen(request);
        test_client_send_len(&tc, request, len - 3);
        RUN_UNTIL(gw, gw->functions->leases->busy);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_false(gw->functions->leases->busy);
        assert_int_equal(test_instance_requests(&instance) - requests, 2);
        assert_int_equal(n_released, 0);
        free(request);
        free(bad_last);
        free(bad_early);
}

static void test_client_leaves_waiting(void **state)
{
        TestClient tc;
        char *request = test_invoke_request("hello", NULL, "{}");

        /* No instance comes: the client gives up, its invocation is forgotten, and so the function. */
        test_client_open(gw, &tc);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, n_pumps == 1);
        assert_int_equal(gw->n_invocations, 1);
        assert_int_equal(gw->functions->n_waiting, 1);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_null(gw->functions);
        assert_int_equal(n_released, 0);
        free(request);
}

static char *big_answer(size_t body_len, size_t *ret_len)
{
        Buf b = {};

        assert_true(buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n\"", body_len) >= 0);
        for (size_t i = 1; i < body_len - 1; i++)
                assert_int_equal(buf_append(&b, &"abcdefghijklmnopqrstuvwxyz"[i % 26], 1), 0);
        assert_int_equal(buf_append(&b, "\"", 1), 0);
        return buf_steal(&b, ret_len);
}

static void test_backpressure(void **state)
{
        size_t body_len = 4U * 1024U * 1024U, len;
        char *answer = big_answer(body_len, &len);
        const char *body = strstr(answer, "\r\n\r\n") + 4;
        TestClient tc;
        TestResponse r;
        char *request = test_invoke_request("hello", NULL, "{}");

        /* A client that does not read: reading from the instance pauses, and resumes as it takes the
         * answer, which arrives whole. */
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, answer, len);
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_pause(&tc, true);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, n_paused > 0);
        assert_int_equal(gw->n_invocations, 1);
        test_client_pause(&tc, false);
        test_client_response(gw, &tc, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, body_len);
        assert_memory_equal(r.body, body, body_len);
        test_response_done(&r);
        assert_true(n_resumed > 0);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_int_equal(n_released, 0);

        /* The client leaves while reading is paused: the answer is read to its end and dropped, and
         * the instance stays warm. */
        n_paused = 0;
        test_client_pause(&tc, true);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, n_paused > 0);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_int_equal(n_released, 0);
        assert_non_null(gw->functions);
        assert_false(gw->functions->leases->busy);
        assert_int_equal(n_granted, 1);
        free(request);
        free(answer);
}

/* The events of an event-stream body, as "TYPE:PAYLOAD|..." (payloads are text here), and how many
 * payload bytes the PayloadChunks carried (ret_payload may be NULL). */
static void events_of(const TestResponse *r, Buf *ret, size_t *ret_payload)
{
        size_t payload = 0;
        const unsigned char *p = (const unsigned char *) r->body;
        size_t left = r->body_len;

        while (left >= 16) {
                uint32_t total = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
                uint32_t hlen = (uint32_t) p[4] << 24 | (uint32_t) p[5] << 16 | (uint32_t) p[6] << 8 | p[7];
                const unsigned char *h = p + 12, *hend = h + hlen;

                assert_true(total <= left && hlen + 16 <= total);
                while (h < hend) {
                        size_t nlen = h[0], vlen = (size_t) h[nlen + 2] << 8 | h[nlen + 3];

                        if (nlen == 11 && memcmp(h + 1, ":event-type", 11) == 0) {
                                assert_true(buf_printf(ret, "%.*s:", (int) vlen,
                                                       (const char *) h + nlen + 4) >= 0);
                                if (vlen == 12 && memcmp(h + nlen + 4, "PayloadChunk", 12) == 0)
                                        payload += total - hlen - 16;
                        }
                        h += 1 + nlen + 1 + 2 + vlen;
                }
                assert_int_equal(buf_append(ret, hend, total - hlen - 16), 0);
                assert_int_equal(buf_append(ret, "|", 1), 0);
                p += total;
                left -= total;
        }
        assert_int_equal(left, 0);
        assert_int_equal(buf_append(ret, "", 1), 0);
        if (ret_payload)
                *ret_payload = payload;
}

static void stream_exchange(TestClient *tc, const char *extra_headers, TestResponse *r)
{
        char *request = NULL;

        assert_true(asprintf(&request,
                             "POST /2021-11-15/functions/hello/response-streaming-invocations HTTP/1.1\r\n"
                             "Host: gateway\r\nContent-Length: 2\r\n%s\r\n{}",
                             extra_headers ?: "") > 0);
        test_client_exchange(gw, tc, request, r);
        free(request);
}

#define STREAMED_HEAD                                                                       \
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"                     \
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n"                              \
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body, " \
        "X-Amz-Log-Result\r\nTransfer-Encoding: chunked\r\n\r\n"
/* base64 of {"errorType":"Error","errorMessage":"failed mid-stream"} */
#define ERROR_B64 "eyJlcnJvclR5cGUiOiJFcnJvciIsImVycm9yTWVzc2FnZSI6ImZhaWxlZCBtaWQtc3RyZWFtIn0="
/* A chunk, then the function's error and the log tail in trailer fields. */
#define FAILED_MID_STREAM                                                     \
        STREAMED_HEAD "6\r\nchunk0\r\n0\r\n"                                  \
                      "Lambda-Runtime-Function-Error-Type: Error\r\n"         \
                      "Lambda-Runtime-Function-Error-Body: " ERROR_B64 "\r\n" \
                      "X-Amz-Log-Result: bG9n\r\n\r\n"

static void test_stream_events(void **state)
{
        TestClient tc;
        TestResponse r;
        Buf events = {};

        grant(instance.port);
        test_client_open(gw, &tc);

        /* A buffered answer: its body as PayloadChunks, its log tail (a header) in InvokeComplete. */
        test_instance_script_str(
                &instance, TEST_INSTANCE_ANSWER,
                "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Amz-Log-Result: bG9n\r\n\r\n{\"a\":1}");
        stream_exchange(&tc, "X-Amz-Log-Type: Tail\r\n", &r);
        events_of(&r, &events, NULL);
        assert_string_equal(events.data, "PayloadChunk:{\"a\":1}|InvokeComplete:{\"LogResult\":\"bG9n\"}|");
        buf_clear(&events);
        test_response_done(&r);

        /* Each piece of the instance's answer as a PayloadChunk, then InvokeComplete. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 STREAMED_HEAD "6\r\nchunk0\r\n6\r\nchunk1\r\n0\r\n\r\n");
        stream_exchange(&tc, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_header(&r, "Content-Type", "application/vnd.amazon.eventstream");
        assert_header(&r, "Transfer-Encoding", "chunked");
        events_of(&r, &events, NULL);
        assert_non_null(strstr(events.data, "PayloadChunk:chunk0"));
        assert_non_null(strstr(events.data, "chunk1|InvokeComplete:{}|"));
        buf_clear(&events);
        test_response_done(&r);

        /* A function that fails mid-stream: the chunks it wrote, then its error and the log tail. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, FAILED_MID_STREAM);
        stream_exchange(&tc, "X-Amz-Log-Type: Tail\r\n", &r);
        events_of(&r, &events, NULL);
        assert_string_equal(
                events.data,
                "PayloadChunk:chunk0|InvokeComplete:{\"ErrorCode\":\"Error\",\"ErrorDetails\":"
                "\"{\\\"errorType\\\":\\\"Error\\\",\\\"errorMessage\\\":\\\"failed mid-stream\\\"}\","
                "\"LogResult\":\"bG9n\"}|");
        buf_clear(&events);
        test_response_done(&r);

        /* An error body that is not base64 of JSON: Lambda's shape around the type. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 STREAMED_HEAD "0\r\nLambda-Runtime-Function-Error-Type: Oops\r\n"
                                               "Lambda-Runtime-Function-Error-Body: !!\r\n\r\n");
        stream_exchange(&tc, NULL, &r);
        events_of(&r, &events, NULL);
        assert_non_null(strstr(events.data, "InvokeComplete:{\"ErrorCode\":\"Oops\",\"ErrorDetails\":"));
        assert_non_null(strstr(events.data, "streamed response failed"));
        buf_clear(&events);
        test_response_done(&r);

        /* Invoke of a function that streams: the whole answer, its error as a function error. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, FAILED_MID_STREAM);
        invoke(&tc, "X-Amz-Log-Type: Tail\r\n", "{}", &r);
        assert_int_equal(r.status, 200);
        assert_header(&r, "X-Amz-Function-Error", "Unhandled");
        assert_header(&r, "X-Amz-Log-Result", "bG9n");
        assert_string_equal(r.body, "{\"errorType\":\"Error\",\"errorMessage\":\"failed mid-stream\"}");
        test_response_done(&r);
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 STREAMED_HEAD "6\r\nchunk0\r\n6\r\nchunk1\r\n0\r\n\r\n");
        invoke(&tc, NULL, "{}", &r);
        assert_string_equal(r.body, "chunk0chunk1");
        assert_null(test_response_header(&r, "X-Amz-Function-Error"));
        test_response_done(&r);

        /* All on one healthy instance. */
        assert_int_equal(n_granted, 1);
        assert_int_equal(n_released, 0);
        buf_done(&events);
        test_client_close(&tc);
}

/* An instance's streamed answer that breaks after its first chunk: the client gets the chunk, then
 * InvokeComplete with ServiceException and the message; the instance is the n-th released unhealthy. */
static void assert_stream_broken(TestClient *tc, const char *answer, const char *message, unsigned n)
{
        TestResponse r;
        Buf events = {};

        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, answer);
        grant(instance.port);
        stream_exchange(tc, NULL, &r);
        assert_int_equal(r.status, 200);
        events_of(&r, &events, NULL);
        assert_non_null(strstr(events.data,
                               "PayloadChunk:chunk0|InvokeComplete:{\"ErrorCode\":\"ServiceException\""));
        assert_non_null(strstr(events.data, message));
        buf_done(&events);
        test_response_done(&r);
        assert_released_unhealthy(n, n);
}

static void test_stream_broken(void **state)
{
        static const char garbage[] = "HTTP/1.1 abc\r\n\r\n";
        TestClient tc;
        TestResponse r;
        Buf events = {};
        size_t payload, len;
        char *big;

        test_client_open(gw, &tc);

        /* Malformed before anything went to the client: the usual 502. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, garbage);
        grant(instance.port);
        stream_exchange(&tc, NULL, &r);
        test_assert_error(&r, 502, "ServiceException", "malformed");
        test_response_done(&r);
        assert_released_unhealthy(1, 1);

        /* Malformed framing after a chunk: InvokeComplete says so, the client's connection stays. */
        assert_stream_broken(&tc, STREAMED_HEAD "6\r\nchunk0\r\nzz\r\nnot a chunk\r\n", "malformed", 2);
        /* Malformed trailer fields (one of them twice), or cut short after a chunk: the same. */
        assert_stream_broken(&tc,
                             STREAMED_HEAD "6\r\nchunk0\r\n0\r\nLambda-Runtime-Function-Error-Type: A\r\n"
                                           "Lambda-Runtime-Function-Error-Type: B\r\n\r\n",
                             "malformed", 3);
        assert_stream_broken(&tc, STREAMED_HEAD "6\r\nchunk0\r\n", "cut short", 4);

        /* Past 20 MiB: exactly 20 MiB of PayloadChunks, then Function.ResponseSizeTooLarge. */
        big = chunked_answer(STREAMED_HEAD, 21 * 16, "xxxxxxxx", &len);
        test_instance_script(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, big, len);
        grant(instance.port);
        stream_exchange(&tc, NULL, &r);
        events_of(&r, &events, &payload);
        assert_int_equal(payload, LAMBDA_STREAM_RESPONSE_MAX);
        assert_non_null(
                strstr(events.data, "InvokeComplete:{\"ErrorCode\":\"Function.ResponseSizeTooLarge\""));
        test_response_done(&r);
        assert_false(tc.eof);
        buf_done(&events);
        free(big);
        test_client_close(&tc);
}

static void test_stream_backpressure(void **state)
{
        size_t n = 64, payload, len;
        TestClient tc;
        TestResponse r;
        Buf events = {};
        char *request = NULL, *answer;

        /* 4 MiB streamed to a client that does not read: reading from the instance pauses, and
         * resumes as the client takes the events, which arrive whole. */
        answer = chunked_answer(STREAMED_HEAD, n, "yyyyyyyy", &len);
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, answer, len);
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_pause(&tc, true);
        assert_true(asprintf(&request,
                             "POST /2021-11-15/functions/hello/response-streaming-invocations HTTP/1.1\r\n"
                             "Host: gateway\r\nContent-Length: 2\r\n\r\n{}") > 0);
        test_client_send(&tc, request);
        RUN_UNTIL(gw, n_paused > 0);
        test_client_pause(&tc, false);
        test_client_response(gw, &tc, &r);
        events_of(&r, &events, &payload);
        assert_int_equal(payload, n * 64 * 1024);
        assert_non_null(strstr(events.data + events.len - 40, "|InvokeComplete:{}|"));
        assert_true(n_resumed > 0);
        test_response_done(&r);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_int_equal(n_released, 0);
        free(request);
        free(answer);
        buf_done(&events);
        test_client_close(&tc);
}

#define URL_REQUEST "GET /url/hello/page HTTP/1.1\r\nHost: gateway\r\nOrigin: https://example.com\r\n\r\n"
#define PRELUDE_HEAD                                                                               \
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.awslambda.http-integration-response\r\n" \
        "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n"

/* A chunked answer of head and the pieces (each a chunk; they may hold NULs), ended by end (the last
 * chunk and trailer fields). */
static char *pieces_answer(const char *head, const char *const *pieces, const size_t *lens, size_t n,
                           const char *end, size_t *ret_len)
{
        Buf b = {};

        assert_int_equal(buf_append_str(&b, head), 0);
        for (size_t i = 0; i < n; i++) {
                assert_true(buf_printf(&b, "%zx\r\n", lens[i]) >= 0);
                assert_int_equal(buf_append(&b, pieces[i], lens[i]), 0);
                assert_int_equal(buf_append(&b, "\r\n", 2), 0);
        }
        assert_int_equal(buf_append_str(&b, end), 0);
        return buf_steal(&b, ret_len);
}

static void url_exchange(TestClient *tc, const char *answer, size_t len, TestResponse *r)
{
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, answer, len);
        test_client_exchange(gw, tc, URL_REQUEST, r);
}

static void test_url_stream(void **state)
{
        /* The prelude split across pieces, its NULs too, the body's first bytes in its last piece. */
        static const char *const pieces[] = {
                "{\"statusCode\":201,\"head",
                "ers\":{\"X-A\":\"b\",\"Content-Type\":\"text/html\"},\"cookies\":[\"c=1\",\"d=2\"]}\0\0\0",
                "\0\0\0\0\0<p>one",
                "</p><p>two</p>",
        };
        static const size_t lens[] = { 23, 71, 11, 14 };
        static const char *const passed[] = { "chunk0", "chunk1" };
        static const size_t passed_lens[] = { 6, 6 };
        static const char bad_prelude[] = PRELUDE_HEAD "c\r\n[1]\0\0\0\0\0\0\0\0x\r\n0\r\n\r\n";
        TestClient tc;
        TestResponse r;
        size_t len;
        char *answer;

        grant(instance.port);
        test_client_open(gw, &tc);

        /* The prelude's status, headers and cookies, CORS, then the body in chunks. */
        answer = pieces_answer(PRELUDE_HEAD, pieces, lens, ELEMENTSOF(pieces), "0\r\n\r\n", &len);
        url_exchange(&tc, answer, len, &r);
        free(answer);
        assert_int_equal(r.status, 201);
        assert_header(&r, "X-A", "b");
        assert_header(&r, "Content-Type", "text/html");
        assert_header(&r, "Access-Control-Allow-Origin", "*");
        assert_header(&r, "Transfer-Encoding", "chunked");
        assert_non_null(strstr(r.head, "\r\nSet-Cookie: c=1\r\nSet-Cookie: d=2\r\n"));
        assert_string_equal(r.body, "<p>one</p><p>two</p>");
        test_response_done(&r);

        /* No prelude: 200 with the runtime's type, the bytes as they are. */
        answer = pieces_answer(STREAMED_HEAD, passed, passed_lens, 2, "0\r\n\r\n", &len);
        url_exchange(&tc, answer, len, &r);
        free(answer);
        assert_int_equal(r.status, 200);
        assert_header(&r, "Content-Type", "application/octet-stream");
        assert_header(&r, "Access-Control-Allow-Origin", "*");
        assert_string_equal(r.body, "chunk0chunk1");
        test_response_done(&r);
        /* ... and empty. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, STREAMED_HEAD "0\r\n\r\n");
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, 0);
        test_response_done(&r);

        /* A function error before the first byte: 502, as for a buffered URL. */
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 STREAMED_HEAD "0\r\nLambda-Runtime-Function-Error-Type: Error\r\n"
                                               "Lambda-Runtime-Function-Error-Body: " ERROR_B64 "\r\n\r\n");
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        test_assert_error(&r, 502, "ServiceException", "Internal Server Error");
        test_response_done(&r);

        /* A malformed prelude, and one that never ends: 502, the function's fault, not the instance's. */
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, bad_prelude, sizeof(bad_prelude) - 1);
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        test_assert_error(&r, 502, "ServiceException", "malformed");
        test_response_done(&r);
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, PRELUDE_HEAD "2\r\n{}\r\n0\r\n\r\n");
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        test_assert_error(&r, 502, "ServiceException", "malformed");
        test_response_done(&r);

        /* A RESPONSE_STREAM URL of a function that answers whole (it does not stream): AWS's buffered
         * rules, as for a BUFFERED URL. */
        test_instance_script_str(
                &instance, TEST_INSTANCE_ANSWER,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33\r\n\r\n"
                "{\"statusCode\":203,\"body\":\"whole\"}");
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        assert_int_equal(r.status, 203);
        assert_string_equal(r.body, "whole");
        test_response_done(&r);

        /* A BUFFERED URL of a function that streams: collected, mapped whole. */
        url_buffered = true;
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 STREAMED_HEAD
                                 "11\r\n{\"statusCode\":202\r\nd\r\n,\"body\":\"ok\"}\r\n0\r\n\r\n");
        test_client_exchange(gw, &tc, URL_REQUEST, &r);
        assert_int_equal(r.status, 202);
        assert_null(test_response_header(&r, "Transfer-Encoding"));
        assert_string_equal(r.body, "ok");
        test_response_done(&r);

        assert_int_equal(n_granted, 1);
        assert_int_equal(n_released, 0);
        test_client_close(&tc);
}

/* The data of the whole chunks in a chunked body cut off before its last chunk (asserted). */
static size_t cut_chunked_length(const char *body, size_t len)
{
        size_t total = 0, at = 0;

        while (at < len) {
                size_t n;
                char *end;

                n = strtoul(body + at, &end, 16);
                assert_true(end > body + at && n > 0);
                at = (size_t) (end - body) + 2;
                if (at + n + 2 > len)
                        break; /* a chunk cut in the middle */
                total += n;
                at += n + 2;
        }
        return total;
}

static void test_url_stream_broken(void **state)
{
        TestClient tc;
        char *big, *body;
        size_t len;

        /* The head and a chunk went out: the error cuts the answer off, without its last chunk. */
        grant(instance.port);
        test_client_open(gw, &tc);
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER, FAILED_MID_STREAM);
        test_client_send(&tc, URL_REQUEST);
        test_client_wait_eof(gw, &tc);
        assert_int_equal(buf_append(&tc.in, "", 1), 0);
        assert_non_null(strstr(tc.in.data, "HTTP/1.1 200 "));
        assert_non_null(strstr(tc.in.data, "\r\n\r\n6\r\nchunk0\r\n"));
        assert_null(strstr(tc.in.data, "\r\n0\r\n"));
        /* The instance is fine. */
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_int_equal(n_released, 0);
        test_client_close(&tc);

        /* Past 20 MiB: exactly 20 MiB of body, then the answer is cut off. */
        big = chunked_answer(STREAMED_HEAD, 21 * 16, "xxxxxxxx", &len);
        test_instance_script(&instance, TEST_INSTANCE_ANSWER_AND_CLOSE, big, len);
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_send(&tc, URL_REQUEST);
        test_client_wait_eof(gw, &tc);
        body = memmem(tc.in.data, tc.in.len, "\r\n\r\n", 4);
        assert_non_null(body);
        body += 4;
        assert_int_equal(cut_chunked_length(body, tc.in.len - (size_t) (body - tc.in.data)),
                         LAMBDA_STREAM_RESPONSE_MAX);
        assert_released_unhealthy(1, 1);
        free(big);
        test_client_close(&tc);
}

static void test_url_stream_head(void **state)
{
        static const char answer[] = PRELUDE_HEAD "12\r\n{\"statusCode\":201}\r\n"
                                                  "8\r\n\0\0\0\0\0\0\0\0\r\n4\r\nbody\r\n0\r\n\r\n";
        TestClient tc;

        /* HEAD: the head from the whole answer, with the body's length, and no body. */
        grant(instance.port);
        test_client_open(gw, &tc);
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, answer, sizeof(answer) - 1);
        test_client_send(&tc, "HEAD /url/hello/ HTTP/1.1\r\nHost: gateway\r\n\r\n");
        RUN_UNTIL(gw, gw->n_invocations == 0);
        test_run_for(gw, 100 * USEC_PER_MSEC);
        assert_int_equal(buf_append(&tc.in, "", 1), 0);
        assert_non_null(strstr(tc.in.data, "HTTP/1.1 201 "));
        assert_non_null(strstr(tc.in.data, "Content-Length: 4\r\n"));
        assert_null(strstr(tc.in.data, "chunked"));
        assert_null(strstr(tc.in.data, "body"));

        /* ... and of a stream without a prelude: 200 with the runtime's type and the bytes' length. */
        buf_clear(&tc.in);
        test_instance_script_str(&instance, TEST_INSTANCE_ANSWER,
                                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n5\r\nraw!!\r\n0\r\n\r\n");
        test_client_send(&tc, "HEAD /url/hello/ HTTP/1.1\r\nHost: gateway\r\n\r\n");
        RUN_UNTIL(gw, gw->n_invocations == 0);
        test_run_for(gw, 100 * USEC_PER_MSEC);
        assert_int_equal(buf_append(&tc.in, "", 1), 0);
        assert_non_null(strstr(tc.in.data, "HTTP/1.1 200 "));
        assert_non_null(strstr(tc.in.data, "Content-Type: text/plain\r\n"));
        assert_non_null(strstr(tc.in.data, "Content-Length: 5\r\n"));
        assert_null(strstr(tc.in.data, "raw!!"));
        test_client_close(&tc);
}

static void test_url_stream_backpressure(void **state)
{
        size_t n = 64, len;
        TestClient tc;
        TestResponse r;
        char *answer;

        /* 4 MiB passed through to a client that does not read: reading from the instance pauses, and
         * resumes as the client takes it. */
        answer = chunked_answer(STREAMED_HEAD, n, "zzzzzzzz", &len);
        test_instance_script(&instance, TEST_INSTANCE_ANSWER, answer, len);
        grant(instance.port);
        test_client_open(gw, &tc);
        test_client_pause(&tc, true);
        test_client_send(&tc, URL_REQUEST);
        RUN_UNTIL(gw, n_paused > 0);
        test_client_pause(&tc, false);
        test_client_response(gw, &tc, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, n * 64 * 1024);
        assert_true(n_resumed > 0);
        test_response_done(&r);
        RUN_UNTIL(gw, gw->n_invocations == 0);
        assert_int_equal(n_released, 0);
        free(answer);
        test_client_close(&tc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_answer_and_reuse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_function_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_answers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_broken_after_bytes_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup_short_timeout, teardown),
                cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_and_dry_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_burst, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_function_known, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_check_at_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_streamed_body, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stream_events, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stream_broken, setup_long_timeout, teardown),
                cmocka_unit_test_setup_teardown(test_stream_backpressure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_url_stream, setup, teardown),
                cmocka_unit_test_setup_teardown(test_url_stream_broken, setup_long_timeout, teardown),
                cmocka_unit_test_setup_teardown(test_url_stream_head, setup, teardown),
                cmocka_unit_test_setup_teardown(test_url_stream_backpressure, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, NULL);
}
