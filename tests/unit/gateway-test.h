/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * gateway-test.h: what the gateway's module tests share: a Gateway with test settings, HTTP clients
 * on real sockets whose answers are read by the gateway's own event loop, a loop run until a
 * condition holds (bounded, so a test fails instead of hanging), and a loopback "instance" (threads
 * with blocking sockets) that answers invocations as each test scripts it.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "buf.h"
#include "gateway.h"

/* The settings the tests start from: no auth, short timeouts, no exit on idle. */
GatewayConfig test_gateway_config(void);

/* Every wait in the tests ends here at the latest: a failure, not a hang. */
#define TEST_WAIT_MAX_USEC (10 * USEC_PER_SEC)

/* Runs the loop until cond holds (checked after each dispatched event). */
#define RUN_UNTIL(g, cond)                                                               \
        do {                                                                             \
                uint64_t _end = now_usec(CLOCK_MONOTONIC) + TEST_WAIT_MAX_USEC;          \
                while (!(cond)) {                                                        \
                        assert_true(now_usec(CLOCK_MONOTONIC) < _end);                   \
                        assert_true(sd_event_run((g)->event, 100 * USEC_PER_MSEC) >= 0); \
                }                                                                        \
        } while (0)

/* Runs the loop for a while: only to show that something does NOT happen within that time. */
void test_run_for(Gateway *g, uint64_t usec);

/* The test's end of a client connection, read by an sd-event source in the gateway's loop. */
typedef struct TestClient {
        int fd;
        sd_event_source *io;
        Buf in; /* what arrived and was not taken as a response yet */
        bool eof;
} TestClient;

/* A connection to the gateway (client_new() on one end of a socketpair). */
void test_client_open(Gateway *g, TestClient *tc);
void test_client_close(TestClient *tc);
void test_client_send(TestClient *tc, const char *data);
void test_client_send_len(TestClient *tc, const void *data, size_t len);
/* Stops (true) or resumes reading: a client that does not take its answer. */
void test_client_pause(TestClient *tc, bool pause);

typedef struct TestResponse {
        int status;
        char *head; /* status line and headers, NUL-terminated */
        char *body;
        size_t body_len;
        char value[8192]; /* the last header looked up */
} TestResponse;

/* Waits for one whole response (framed by Content-Length, or chunked: then body holds the chunks' data)
 * and takes it out of tc->in. */
void test_client_response(Gateway *g, TestClient *tc, TestResponse *ret);
/* A request, then its response. */
void test_client_exchange(Gateway *g, TestClient *tc, const char *request, TestResponse *ret);
/* Waits until the gateway closed the connection. */
void test_client_wait_eof(Gateway *g, TestClient *tc);
void test_response_done(TestResponse *r);
/* The value of a header (case-insensitive name), or NULL; valid until the next lookup. */
const char *test_response_header(TestResponse *r, const char *name);

/* Asserts an error in the AWS shape: status, x-amzn-ErrorType, a request id, and a message that
 * contains message_part. */
void test_assert_error(TestResponse *r, int status, const char *type, const char *message_part);

/* A request, and the error it must get (test_assert_error()). */
void test_client_expect_error(Gateway *g, TestClient *tc, const char *request, int status, const char *type,
                              const char *message_part);

/* An Invoke request of function with this JSON payload (and extra header lines, each ending in CRLF). */
char *test_invoke_request(const char *function, const char *extra_headers, const char *payload);

/* ---- a loopback instance ---- */

typedef enum TestInstanceMode {
        TEST_INSTANCE_ANSWER,           /* the scripted answer, the connection kept */
        TEST_INSTANCE_ANSWER_AND_CLOSE, /* the scripted answer, then the close */
        TEST_INSTANCE_CLOSE_SILENTLY,   /* the request read, then the close without a byte */
        TEST_INSTANCE_NEVER_ANSWER,     /* the request read, then nothing until the gateway closes */
} TestInstanceMode;

typedef struct TestInstance {
        int listen_fd;
        uint16_t port;
        pthread_mutex_t lock;
        TestInstanceMode mode;
        char *answer;
        size_t answer_len;
        unsigned accepted, requests;
        Buf last_request; /* head and body of the last request */
} TestInstance;

void test_instance_start(TestInstance *t);
/* What it does with the next requests (the answer is copied). */
void test_instance_script(TestInstance *t, TestInstanceMode mode, const void *answer, size_t len);
void test_instance_script_str(TestInstance *t, TestInstanceMode mode, const char *answer);
unsigned test_instance_requests(TestInstance *t);
/* A copy of the last request it read (free() it). */
char *test_instance_last_request(TestInstance *t);

/* A loopback port that nothing listens on. */
uint16_t test_refused_port(void);
