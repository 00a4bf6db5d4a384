/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Client connections (client.c) on real sockets, with what answers the requests faked at the link
 * (-Wl,--wrap): invocations, ListFunctions and whether the bus is there. Covers routing (names in
 * every form, /healthz, /metrics), authentication in front of it (Bearer keys, per function), errors
 * as HTTP statuses in the AWS shape, keep-alive and pipelining, the whole-request timeout (408),
 * eviction of waiting connections at the connection limit, a client that leaves mid-request, a
 * streamed answer driven by the drained callback, and draining. Answers still being written count as
 * being answered: neither eviction, draining nor the request timeout may cut them.
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

#include "auth.h"
#include "client.h"
#include "gateway-test.h"
#include "invocation.h"
#include "list-functions.h"

#define BIG_LEN      (1024U * 1024U)
#define STREAM_LEN   (1536U * 1024U)
#define STREAM_CHUNK (256U * 1024U)

static bool fake_bus_ready;
static unsigned n_handled;
static char handled_function[LAMBDA_FUNCTION_NAME_MAX + 1];
static Invocation held_invocation, stream_invocation;
static ClientConn *held_client, *stream_client;
static Invocation *gone[4];
static unsigned n_gone, n_drained;
static size_t stream_sent;
static ListCall *held_list;

static char pattern(size_t i)
{
        return (char) ('a' + (i * 7 + i / 251) % 26);
}

static char *patterned(size_t len)
{
        char *p = malloc(len);

        assert_non_null(p);
        for (size_t i = 0; i < len; i++)
                p[i] = pattern(i);
        return p;
}

static void stream_more(void)
{
        char chunk[STREAM_CHUNK];
        size_t n = MIN((size_t) STREAM_CHUNK, STREAM_LEN - stream_sent);

        for (size_t i = 0; i < n; i++)
                chunk[i] = pattern(stream_sent + i);
        stream_sent += n;
        if (stream_sent == STREAM_LEN) {
                /* As invocation.c does: the last piece frees the connection for its next request. */
                stream_client->invocation = NULL;
        }
        http_conn_write(stream_client->http, chunk, n);
}

void __wrap_invocation_handle(ClientConn *c, const Route *route, const char *function);
void __wrap_invocation_handle(ClientConn *c, const Route *route, const char *function)
{
        assert_string_equal(function, route->function);
        n_handled++;
        memcpy(handled_function, route->function, sizeof(handled_function));

        if (strcmp(route->function, "held") == 0) {
                held_client = c;
                c->invocation = &held_invocation;
        } else if (strcmp(route->function, "stream") == 0) {
                stream_client = c;
                stream_sent = 0;
                c->invocation = &stream_invocation;
                http_conn_begin(c->http, 200);
                http_conn_end_head(c->http, STREAM_LEN);
                stream_more();
        } else if (strcmp(route->function, "big") == 0) {
                char *body = patterned(BIG_LEN);

                client_reply_plain(c, 200, "application/json", body, BIG_LEN);
                free(body);
        } else {
                char body[128];
                int n = snprintf(body, sizeof(body), "{\"function\":\"%s\"}", route->function);

                client_reply_plain(c, 200, "application/json", body, (size_t) n);
        }
}

/* The fake invocations here take their bodies whole (streamed ones are test-invocation's): asked for
 * each invocation with a body, and declining. */
static unsigned n_stream_asked;
int __wrap_invocation_stream_begin(ClientConn *c, const Route *route, const LambdaInvokeHeaders *h,
                                   uint64_t length);
int __wrap_invocation_stream_begin(ClientConn *c, const Route *route, const LambdaInvokeHeaders *h,
                                   uint64_t length)
{
        n_stream_asked++;
        return -ENOMEM;
}

void __wrap_invocation_client_gone(Invocation *inv);
void __wrap_invocation_client_gone(Invocation *inv)
{
        gone[n_gone++] = inv;
}

void __wrap_invocation_client_drained(Invocation *inv);
void __wrap_invocation_client_drained(Invocation *inv)
{
        assert_ptr_equal(inv, &stream_invocation);
        n_drained++;
        if (stream_sent < STREAM_LEN)
                stream_more();
}

void __wrap_list_functions_handle(ClientConn *c, const Route *route);
void __wrap_list_functions_handle(ClientConn *c, const Route *route)
{
        char body[ROUTE_MARKER_MAX + 64];
        int n;

        if (strcmp(route->marker, "hold") == 0) {
                held_list = calloc(1, sizeof(ListCall));
                assert_non_null(held_list);
                held_list->client = c;
                c->list_call = held_list;
                return;
        }
        n = snprintf(body, sizeof(body), "{\"marker\":\"%s\",\"max\":%u}", route->marker, route->max_items);
        client_reply_plain(c, 200, "application/json", body, (size_t) n);
}

bool __wrap_manager_client_ready(const Gateway *g);
bool __wrap_manager_client_ready(const Gateway *g)
{
        return fake_bus_ready;
}

static Gateway *gw;

static int setup_with(GatewayConfig config)
{
        fake_bus_ready = true;
        n_handled = n_gone = n_drained = n_stream_asked = 0;
        held_client = stream_client = NULL;
        held_list = NULL;
        memset(gone, 0, sizeof(gone));
        assert_int_equal(gateway_new(&gw, &config), 0);
        return 0;
}

static int setup(void **state)
{
        return setup_with(test_gateway_config());
}

static int setup_short_timeout(void **state)
{
        GatewayConfig config = test_gateway_config();

        config.request_timeout_usec = 200 * USEC_PER_MSEC;
        return setup_with(config);
}

/* Authentication on: LAMBDAD_API_KEY for every function, and an api-keys entry for hello only. */
static int setup_auth(void **state)
{
        static const char api_keys[] =
                "ops 2c69bc9111c27110a9b9a7974ba3f8ac0c053c16b23a0738115ee829fbc4d57b hello\n";
        GatewayConfig config = test_gateway_config();
        char *error = NULL;

        config.auth = true;
        config.api_keys_path = "/nonexistent/lambdad-test/api-keys"; /* missing: no entries */
        config.api_key = "every-function-key";
        setup_with(config);
        assert_int_equal(auth_parse_api_keys(gw->auth, api_keys, STRLEN(api_keys), "api-keys", &error), 0);
        return 0;
}

/* Authentication on, and nobody known: no api-keys file, no credentials, no LAMBDAD_API_KEY. */
static int setup_auth_empty(void **state)
{
        GatewayConfig config = test_gateway_config();

        config.auth = true;
        config.api_keys_path = "/nonexistent/lambdad-test/api-keys";
        return setup_with(config);
}

static int teardown(void **state)
{
        gw = gateway_free(gw);
        free(held_list);
        return 0;
}

static const char healthz[] = "GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n";

static void assert_healthz(TestClient *tc)
{
        TestResponse r;

        test_client_exchange(gw, tc, healthz, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"status\":\"ok\"}");
        assert_null(test_response_header(&r, "Connection"));
        test_response_done(&r);
}

/* The next response: 200 with this body. */
static void assert_next_answer(TestClient *tc, const char *body)
{
        TestResponse r;

        test_client_response(gw, tc, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, body);
        test_response_done(&r);
}

/* The head of a response, and its body: BIG_LEN bytes of the pattern. */
static void assert_big_answer(TestClient *tc)
{
        TestResponse r;
        char *expected = patterned(BIG_LEN);

        test_client_response(gw, tc, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, BIG_LEN);
        assert_memory_equal(r.body, expected, BIG_LEN);
        free(expected);
        test_response_done(&r);
}

static void test_routes(void **state)
{
        TestClient tc;
        TestResponse r;

        /* All on one kept-alive connection. */
        test_client_open(gw, &tc);
        assert_int_equal(gw->n_clients, 1);
        assert_healthz(&tc);

        /* An ARN, percent-encoded, reaches the invocation as the bare name. */
        test_client_exchange(
                gw, &tc,
                "POST /2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction"
                "%3Ahello/invocations HTTP/1.1\r\nHost: gateway\r\nContent-Length: 2\r\n\r\n{}",
                &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"function\":\"hello\"}");
        assert_int_equal(n_handled, 1);
        assert_int_equal(n_stream_asked, 1);
        test_response_done(&r);
        test_client_exchange(gw, &tc,
                             "POST /functions/simple/invocations HTTP/1.1\r\nHost: gateway\r\n"
                             "Content-Length: 0\r\n\r\n",
                             &r);
        assert_string_equal(r.body, "{\"function\":\"simple\"}");
        test_response_done(&r);

        test_client_exchange(
                gw, &tc, "GET /2015-03-31/functions/?MaxItems=7&Marker=b%2Bc HTTP/1.1\r\nHost: g\r\n\r\n",
                &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"marker\":\"b+c\",\"max\":7}");
        test_response_done(&r);

        test_client_exchange(gw, &tc, "GET /metrics HTTP/1.1\r\nHost: gateway\r\n\r\n", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(test_response_header(&r, "Content-Type"), "text/plain; version=0.0.4");
        assert_non_null(strstr(r.body, "\nlambdad_connections_total 1\n"));
        test_response_done(&r);

        /* Errors in the AWS shape, and the connection stays. */
        test_client_expect_error(gw, &tc, "GET /nowhere HTTP/1.1\r\nHost: gateway\r\n\r\n", 404,
                                 "UnknownOperationException", "Unknown operation.");
        test_client_exchange(gw, &tc,
                             "GET /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: g\r\n\r\n", &r);
        test_assert_error(&r, 405, "MethodNotAllowedException", "takes POST");
        assert_string_equal(test_response_header(&r, "Allow"), "POST");
        test_response_done(&r);
        test_client_exchange(gw, &tc,
                             "POST /2015-03-31/functions/bad%20name/invocations HTTP/1.1\r\nHost: g\r\n"
                             "Content-Length: 0\r\n\r\n",
                             &r);
        test_assert_error(&r, 400, "InvalidParameterValueException", "Function name is invalid");
        test_response_done(&r);
        test_client_exchange(gw, &tc, "GET /2015-03-31/functions/?MaxItems=0 HTTP/1.1\r\nHost: g\r\n\r\n",
                             &r);
        test_assert_error(&r, 400, "InvalidParameterValueException", "MaxItems is invalid");
        test_response_done(&r);
        assert_int_equal(n_handled, 2);

        /* Without the bus, what needs the manager is 503 (retry), the rest is served. */
        fake_bus_ready = false;
        test_client_expect_error(
                gw, &tc,
                "POST /functions/hello/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n", 503,
                "ServiceException", "system bus is not reachable");
        test_client_expect_error(gw, &tc, "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: g\r\n\r\n", 503,
                                 "ServiceException", "system bus is not reachable");
        assert_healthz(&tc);
        assert_int_equal(n_handled, 2);

        assert_false(tc.eof);
        assert_int_equal(gw->metrics.connections_total, 1);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_clients == 0);
}

static void test_auth(void **state)
{
        static const char invoke_hello[] = "POST /functions/hello/invocations HTTP/1.1\r\nHost: g\r\n"
                                           "Content-Length: 0\r\n";
        static const char invoke_other[] = "POST /functions/other/invocations HTTP/1.1\r\nHost: g\r\n"
                                           "Content-Length: 0\r\n";
        TestClient tc;
        char request[512];

        test_client_open(gw, &tc);
        /* /healthz needs no key; what reaches functions or says how they run does. */
        assert_healthz(&tc);
        (void) snprintf(request, sizeof(request), "%s\r\n", invoke_hello);
        test_client_expect_error(gw, &tc, request, 403, "MissingAuthenticationTokenException", "");
        test_client_expect_error(gw, &tc, "GET /metrics HTTP/1.1\r\nHost: g\r\n\r\n", 403,
                                 "MissingAuthenticationTokenException", "");
        test_client_expect_error(gw, &tc, "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: g\r\n\r\n", 403,
                                 "MissingAuthenticationTokenException", "");
        (void) snprintf(request, sizeof(request), "%sAuthorization: Bearer wrong-key\r\n\r\n", invoke_hello);
        test_client_expect_error(gw, &tc, request, 403, "InvalidSignatureException", "");
        assert_int_equal(n_handled, 0);

        (void) snprintf(request, sizeof(request), "%sAuthorization: Bearer every-function-key\r\n\r\n",
                        invoke_other);
        test_client_send(&tc, request);
        assert_next_answer(&tc, "{\"function\":\"other\"}");
        (void) snprintf(request, sizeof(request), "%sAuthorization: Bearer ops-key\r\n\r\n", invoke_hello);
        test_client_send(&tc, request);
        assert_next_answer(&tc, "{\"function\":\"hello\"}");
        /* A key for hello only. */
        (void) snprintf(request, sizeof(request), "%sAuthorization: Bearer ops-key\r\n\r\n", invoke_other);
        test_client_expect_error(gw, &tc, request, 403, "AccessDeniedException", "");
        assert_int_equal(n_handled, 2);
        test_client_close(&tc);
}

/* With no key at all every request is refused, and the answer says how to configure one. */
static void test_auth_empty(void **state)
{
        TestClient tc;

        test_client_open(gw, &tc);
        assert_healthz(&tc);
        test_client_expect_error(
                gw, &tc,
                "POST /functions/hello/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n", 403,
                "MissingAuthenticationTokenException", "LAMBDAD_API_KEY=KEY in the file .env");
        test_client_expect_error(
                gw, &tc,
                "POST /functions/hello/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n"
                "Authorization: Bearer some-key\r\n\r\n",
                403, "InvalidSignatureException", "no API key and no credentials");
        assert_int_equal(n_handled, 0);
        test_client_close(&tc);
}

/* A request that gets this error, and the connection closed after it. */
static void assert_error_and_close(const char *request, int status, const char *type, const char *message)
{
        TestClient tc;
        TestResponse r;

        test_client_open(gw, &tc);
        test_client_exchange(gw, &tc, request, &r);
        test_assert_error(&r, status, type, message);
        assert_string_equal(test_response_header(&r, "Connection"), "close");
        test_response_done(&r);
        test_client_wait_eof(gw, &tc);
        assert_int_equal(tc.in.len, 0);
        test_client_close(&tc);
}

static void test_http_errors(void **state)
{
        TestClient tc;
        TestResponse r;

        /* RFC 9112: exactly one valid Host in HTTP/1.1. */
        test_client_open(gw, &tc);
        test_client_expect_error(gw, &tc, "GET /healthz HTTP/1.1\r\n\r\n", 400,
                                 "InvalidRequestContentException", "Host");
        test_client_expect_error(gw, &tc, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
                                 "InvalidRequestContentException", "Host");
        test_client_expect_error(gw, &tc, "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400,
                                 "InvalidRequestContentException", "Host");
        /* ... and the connection still serves. */
        assert_healthz(&tc);
        test_client_close(&tc);

        assert_error_and_close("GET /healthz HTTP/2.0\r\nHost: gateway\r\n\r\n", 505, "ServiceException",
                               "Only HTTP/1.1");
        /* Refused from its Content-Length, before the body. */
        assert_error_and_close("POST /functions/hello/invocations HTTP/1.1\r\nHost: g\r\n"
                               "Content-Length: 7000000\r\n\r\n",
                               413, "RequestTooLargeException", "6291456 bytes");
        assert_error_and_close("GET /healthz HTTP/1.1\r\nHost: g\r\nContent-Length: x\r\n\r\n", 400,
                               "InvalidRequestContentException", "");
        assert_int_equal(n_handled, 0);

        /* HTTP/1.0 without keep-alive: answered, then closed. */
        test_client_open(gw, &tc);
        test_client_exchange(gw, &tc, "GET /healthz HTTP/1.0\r\n\r\n", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(test_response_header(&r, "Connection"), "close");
        test_response_done(&r);
        test_client_wait_eof(gw, &tc);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_clients == 0);
}

static void test_pipelining(void **state)
{
        TestClient tc;

        test_client_open(gw, &tc);
        test_client_send(&tc,
                         "POST /functions/one/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n"
                         "GET /healthz HTTP/1.1\r\nHost: g\r\n\r\n"
                         "POST /functions/two/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        assert_next_answer(&tc, "{\"function\":\"one\"}");
        assert_next_answer(&tc, "{\"status\":\"ok\"}");
        assert_next_answer(&tc, "{\"function\":\"two\"}");

        /* An answer that comes later: the request behind it waits its turn. */
        test_client_send(&tc,
                         "POST /functions/held/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n"
                         "GET /healthz HTTP/1.1\r\nHost: g\r\n\r\n");
        RUN_UNTIL(gw, held_client);
        assert_int_equal(tc.in.len, 0);
        held_client->invocation = NULL;
        client_reply_plain(held_client, 200, "application/json", "{\"late\":1}", 10);
        assert_next_answer(&tc, "{\"late\":1}");
        assert_next_answer(&tc, "{\"status\":\"ok\"}");
        assert_int_equal(n_handled, 3);

        /* A request that arrives while the last answer is still going out waits for it: it is not
         * taken for the one answered, which must not run twice. */
        test_client_pause(&tc, true);
        test_client_send(&tc,
                         "POST /functions/big/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        RUN_UNTIL(gw, n_handled == 4);
        test_client_send(&tc, healthz);
        test_run_for(gw, 100 * USEC_PER_MSEC);
        assert_int_equal(n_handled, 4);
        test_client_pause(&tc, false);
        assert_big_answer(&tc);
        assert_next_answer(&tc, "{\"status\":\"ok\"}");
        assert_int_equal(n_handled, 4);
        test_client_close(&tc);
}

static void test_request_timeout(void **state)
{
        TestClient slow, silent;
        TestResponse r;
        uint64_t start = now_usec(CLOCK_MONOTONIC);

        /* Part of a request (a slow drip): 408, closed. Nothing at all: closed without a word. */
        test_client_open(gw, &slow);
        test_client_open(gw, &silent);
        test_client_send(&slow, "GET /healthz HTTP/1.1\r\nHo");
        test_client_response(gw, &slow, &r);
        test_assert_error(&r, 408, "RequestTimeoutException", "did not arrive in time");
        assert_string_equal(test_response_header(&r, "Connection"), "close");
        test_response_done(&r);
        assert_true(now_usec(CLOCK_MONOTONIC) - start >= 200 * USEC_PER_MSEC);
        test_client_wait_eof(gw, &slow);
        test_client_wait_eof(gw, &silent);
        assert_int_equal(silent.in.len, 0);
        test_client_close(&slow);
        test_client_close(&silent);
        assert_int_equal(gw->n_clients, 0);
}

/* An answer the client does not take yet stays queued in the gateway: it is still being answered. */
static void test_timeout_spares_answer_in_flight(void **state)
{
        TestClient tc;

        test_client_open(gw, &tc);
        test_client_pause(&tc, true);
        test_client_send(&tc,
                         "POST /functions/big/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        test_run_for(gw, 600 * USEC_PER_MSEC);
        test_client_pause(&tc, false);
        assert_big_answer(&tc);
        /* The timer starts once the answer is out: then the idle connection closes, with no 408. */
        test_client_wait_eof(gw, &tc);
        assert_int_equal(tc.in.len, 0);
        test_client_close(&tc);
}

/* Whether a connection has read part of a request. */
static bool request_started(void)
{
        for (ClientConn *c = gw->clients; c; c = c->next)
                if (c->http->req.started && !c->http->busy)
                        return true;
        return false;
}

static void test_evict_waiting(void **state)
{
        TestClient idle, held, partial, listing, in_flight;

        test_client_open(gw, &idle);
        assert_healthz(&idle);
        test_client_open(gw, &held);
        test_client_send(
                &held, "POST /functions/held/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        test_client_open(gw, &partial);
        test_client_send(&partial, "POST /functions/x/invocations HTTP/1.1\r\nHost: g\r\n");
        test_client_open(gw, &listing);
        test_client_send(&listing, "GET /2015-03-31/functions/?Marker=hold HTTP/1.1\r\nHost: g\r\n\r\n");
        test_client_open(gw, &in_flight);
        test_client_pause(&in_flight, true);
        test_client_send(&in_flight,
                         "POST /functions/big/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        RUN_UNTIL(gw, held_client && held_list && n_handled == 2 && request_started());
        assert_int_equal(gw->n_clients, 5);

        /* The oldest waiting connection first: the idle keep-alive one, then the partial request. */
        assert_true(client_evict_waiting(gw));
        test_client_wait_eof(gw, &idle);
        assert_int_equal(idle.in.len, 0);
        assert_true(client_evict_waiting(gw));
        test_client_wait_eof(gw, &partial);
        assert_int_equal(partial.in.len, 0);
        assert_int_equal(gw->metrics.connections_evicted, 2);
        assert_int_equal(gw->n_clients, 3);

        /* Being answered, later or right now: never. */
        assert_false(client_evict_waiting(gw));
        assert_false(held.eof || listing.eof || in_flight.eof);
        assert_int_equal(n_gone, 0);

        test_client_pause(&in_flight, false);
        assert_big_answer(&in_flight);
        /* Answered, it waits like any other. */
        assert_true(client_evict_waiting(gw));
        test_client_wait_eof(gw, &in_flight);
        assert_int_equal(gw->metrics.connections_evicted, 3);

        test_client_close(&idle);
        test_client_close(&held);
        test_client_close(&partial);
        test_client_close(&listing);
        test_client_close(&in_flight);
        RUN_UNTIL(gw, gw->n_clients == 0);
}

static void test_client_leaves(void **state)
{
        TestClient held, listing;

        test_client_open(gw, &held);
        test_client_send(
                &held, "POST /functions/held/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        test_client_open(gw, &listing);
        test_client_send(&listing, "GET /2015-03-31/functions/?Marker=hold HTTP/1.1\r\nHost: g\r\n\r\n");
        RUN_UNTIL(gw, held_client && held_list);

        /* The invocation learns that its client left; so does the ListFunctions call. */
        test_client_close(&held);
        RUN_UNTIL(gw, n_gone == 1);
        assert_ptr_equal(gone[0], &held_invocation);
        assert_int_equal(gw->n_clients, 1);
        test_client_close(&listing);
        RUN_UNTIL(gw, gw->n_clients == 0);
        assert_null(held_list->client);
        assert_int_equal(n_gone, 1);
}

static void test_streamed_answer(void **state)
{
        TestClient tc;
        TestResponse r;
        char *expected = patterned(STREAM_LEN);

        /* Written as the client takes it: each drained buffer asks the invocation for more. */
        test_client_open(gw, &tc);
        test_client_send(
                &tc, "POST /functions/stream/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        test_client_response(gw, &tc, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, STREAM_LEN);
        assert_memory_equal(r.body, expected, STREAM_LEN);
        assert_true(n_drained >= STREAM_LEN / STREAM_CHUNK - 1);
        test_response_done(&r);
        free(expected);

        /* Once it is whole, the connection takes the next request. */
        assert_healthz(&tc);
        test_client_close(&tc);
}

static void test_drain_all(void **state)
{
        TestClient idle, held, in_flight;
        TestResponse r;

        test_client_open(gw, &idle);
        assert_healthz(&idle);
        test_client_open(gw, &held);
        test_client_send(
                &held, "POST /functions/held/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        test_client_open(gw, &in_flight);
        test_client_pause(&in_flight, true);
        test_client_send(&in_flight,
                         "POST /functions/big/invocations HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n");
        RUN_UNTIL(gw, held_client && n_handled == 2);

        /* Idle connections go now; the others once their answer is out, and say so. */
        client_drain_all(gw);
        test_client_wait_eof(gw, &idle);
        assert_false(held.eof);
        held_client->invocation = NULL;
        client_reply_plain(held_client, 200, "application/json", "{}", 2);
        test_client_response(gw, &held, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(test_response_header(&r, "Connection"), "close");
        test_response_done(&r);
        test_client_wait_eof(gw, &held);

        test_client_pause(&in_flight, false);
        assert_big_answer(&in_flight);
        test_client_wait_eof(gw, &in_flight);
        assert_int_equal(gw->n_clients, 0);

        test_client_close(&idle);
        test_client_close(&held);
        test_client_close(&in_flight);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_http_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_auth, setup_auth, teardown),
                cmocka_unit_test_setup_teardown(test_auth_empty, setup_auth_empty, teardown),
                cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
                cmocka_unit_test_setup_teardown(test_request_timeout, setup_short_timeout, teardown),
                cmocka_unit_test_setup_teardown(test_timeout_spares_answer_in_flight, setup_short_timeout,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_evict_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves, setup, teardown),
                cmocka_unit_test_setup_teardown(test_streamed_answer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_drain_all, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
