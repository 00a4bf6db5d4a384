/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http-request.h"

/* Feeds a whole buffer; returns the feed result, the bytes consumed in *consumed. */
static int feed_all(HttpRequest *r, const char *s, size_t *consumed)
{
        return http_request_feed(r, s, strlen(s), consumed);
}

static void test_get(void **state)
{
        static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nAccept: */*\r\n\r\n";
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        assert_int_equal(feed_all(&r, req, &n), HTTP_FEED_COMPLETE);
        assert_int_equal(n, strlen(req));
        assert_true(http_request_is_method(&r, HTTP_GET));
        assert_string_equal(http_request_method(&r), "GET");
        assert_string_equal(http_request_url(&r), "/healthz");
        assert_string_equal(http_request_header(&r, "host"), "x");
        assert_string_equal(http_request_header(&r, "ACCEPT"), "*/*");
        assert_string_equal(http_request_header(&r, "X-Empty"), "");
        assert_null(http_request_header(&r, "Missing"));
        assert_true(r.keep_alive);
        assert_int_equal(r.body.len, 0);
        http_request_done(&r);
}

static void test_post_body_byte_by_byte(void **state)
{
        static const char req[] = "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\n"
                                  "Content-Length: 11\r\nConnection: close\r\n\r\n{\"a\":\"bcd\"}";
        HttpRequest r;

        http_request_init(&r, NULL);
        for (size_t i = 0; i < strlen(req); i++) {
                size_t n;
                int k = http_request_feed(&r, req + i, 1, &n);

                if (i + 1 < strlen(req)) {
                        assert_int_equal(k, HTTP_FEED_MORE);
                        assert_int_equal(n, 1);
                } else
                        assert_int_equal(k, HTTP_FEED_COMPLETE);
        }
        assert_string_equal(http_request_url(&r), "/2015-03-31/functions/hello/invocations");
        assert_int_equal(r.body.len, 11);
        assert_memory_equal(r.body.data, "{\"a\":\"bcd\"}", 11);
        assert_int_equal(r.content_length, 11);
        assert_false(r.keep_alive);
        http_request_done(&r);
}

static void test_chunked(void **state)
{
        static const char req[] = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-Name: v\r\n\r\n";
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        assert_int_equal(feed_all(&r, req, &n), HTTP_FEED_COMPLETE);
        assert_true(r.chunked);
        assert_int_equal(r.body.len, 11);
        assert_memory_equal(r.body.data, "hello world", 11);
        /* A trailer field is not a header, and one the head did not declare is ignored. */
        assert_null(http_request_header(&r, "Trailer-Name"));
        assert_null(http_request_trailer(&r, "Trailer-Name"));
        http_request_done(&r);
}

/* What a streamed body's consumer saw. */
typedef struct Streamed {
        char data[64];
        size_t len;
        unsigned pieces;
        bool stream; /* ask for the body to be streamed */
} Streamed;

static int streamed_head(HttpRequest *r, void *userdata)
{
        Streamed *s = userdata;

        if (s->stream)
                http_request_stream_body(r, 16);
        return 0;
}

static int streamed_body(HttpRequest *r, const char *p, size_t n, void *userdata)
{
        Streamed *s = userdata;

        assert_true(s->len + n <= sizeof(s->data));
        memcpy(s->data + s->len, p, n);
        s->len += n;
        s->pieces++;
        return 0;
}

static const HttpRequestOps streamed_ops = {
        .head = streamed_head,
        .body = streamed_body,
};

static void test_chunked_streamed_with_trailers(void **state)
{
        /* As aws-lambda-ric sends a streamed response that fails after two chunks. */
        static const char req[] =
                "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\n"
                "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
                "3\r\none\r\n3\r\ntwo\r\n0\r\n"
                "Lambda-Runtime-Function-Error-Type: Error\r\n"
                "Lambda-Runtime-Function-Error-Body: eyJ9\r\n"
                "X-Undeclared: x\r\n\r\n";
        Streamed s = { .stream = true };
        HttpRequest r;
        size_t n, off = 0;
        int k = HTTP_FEED_MORE;

        http_request_init(&r, NULL);
        r.ops = &streamed_ops;
        r.userdata = &s;
        /* Byte by byte: every piece is handed out as it arrives, none collected. */
        while (k == HTTP_FEED_MORE && off < strlen(req)) {
                k = http_request_feed(&r, req + off, 1, &n);
                off += n;
                if (k == HTTP_FEED_MORE && r.headers_complete && !r.complete)
                        assert_null(http_request_trailer(&r, "Lambda-Runtime-Function-Error-Type"));
        }
        assert_int_equal(k, HTTP_FEED_COMPLETE);
        assert_int_equal(off, strlen(req));
        assert_int_equal(r.body.len, 0);
        assert_int_equal(s.len, 6);
        assert_int_equal(s.pieces, 6);
        assert_memory_equal(s.data, "onetwo", 6);
        assert_string_equal(http_request_header(&r, "Lambda-Runtime-Function-Response-Mode"), "streaming");
        assert_null(http_request_header(&r, "Lambda-Runtime-Function-Error-Type"));
        assert_string_equal(http_request_trailer(&r, "lambda-runtime-function-error-type"), "Error");
        assert_string_equal(http_request_trailer(&r, "Lambda-Runtime-Function-Error-Body"), "eyJ9");
        assert_null(http_request_trailer(&r, "X-Undeclared"));

        /* The next message on the connection starts clean. */
        http_request_next(&r);
        s = (Streamed){};
        assert_int_equal(feed_all(&r, "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", &n),
                         HTTP_FEED_COMPLETE);
        assert_int_equal(r.body.len, 2);
        assert_int_equal(s.len, 0);
        assert_null(http_request_trailer(&r, "Lambda-Runtime-Function-Error-Type"));
        http_request_done(&r);
}

static void test_streamed_limit(void **state)
{
        static const char req[] = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n";
        static const char announced[] = "POST /r HTTP/1.1\r\nContent-Length: 17\r\n\r\n";
        Streamed s = { .stream = true };
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        r.ops = &streamed_ops;
        r.userdata = &s;
        assert_int_equal(feed_all(&r, req, &n), -ENOBUFS);
        assert_int_equal(r.error_status, 413);
        assert_int_equal(s.len, 10); /* what fits was handed out */
        http_request_done(&r);

        s = (Streamed){ .stream = true };
        http_request_init(&r, NULL);
        r.ops = &streamed_ops;
        r.userdata = &s;
        assert_int_equal(feed_all(&r, announced, &n), -ENOBUFS);
        assert_int_equal(r.error_status, 413);
        http_request_done(&r);
}

static void test_bad_trailers(void **state)
{
        static const char *const bad[] = {
                /* framing after the body */
                "POST /r HTTP/1.1\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\nContent-Length: 5\r\n\r\n",
                "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n",
                /* a declared field twice */
                "POST /r HTTP/1.1\r\nTrailer: A\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nA: "
                "2\r\n\r\n",
                /* a malformed trailer section */
                "POST /r HTTP/1.1\r\nTrailer: A\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA 1\r\n\r\n",
                /* a malformed chunk size */
                "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                HttpRequest r;
                size_t n;

                http_request_init(&r, NULL);
                assert_int_equal(feed_all(&r, bad[i], &n), -EBADMSG);
                assert_int_equal(r.error_status, 400);
                http_request_done(&r);
        }
}

static void test_pipelined(void **state)
{
        static const char reqs[] = "POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nA"
                                   "GET /b HTTP/1.1\r\n\r\n";
        HttpRequest r;
        size_t n, m;

        http_request_init(&r, NULL);
        assert_int_equal(feed_all(&r, reqs, &n), HTTP_FEED_COMPLETE);
        assert_true(n < strlen(reqs));
        assert_string_equal(http_request_url(&r), "/a");
        assert_memory_equal(r.body.data, "A", 1);

        /* Until the caller takes the message, nothing more is parsed. */
        assert_int_equal(http_request_feed(&r, reqs + n, strlen(reqs) - n, &m), HTTP_FEED_COMPLETE);
        assert_int_equal(m, 0);

        http_request_next(&r);
        assert_int_equal(http_request_feed(&r, reqs + n, strlen(reqs) - n, &m), HTTP_FEED_COMPLETE);
        assert_int_equal(n + m, strlen(reqs));
        assert_string_equal(http_request_url(&r), "/b");
        assert_int_equal(r.body.len, 0);
        http_request_done(&r);
}

static void expect_error(const char *req, const HttpLimits *limits, int status)
{
        HttpRequest r;
        size_t n;
        int k;

        http_request_init(&r, limits);
        k = feed_all(&r, req, &n);
        assert_true(k < 0);
        assert_int_equal(r.error_status, status);
        assert_non_null(r.error_reason);
        /* Once failed, it stays failed. */
        assert_true(http_request_feed(&r, "GET / HTTP/1.1\r\n\r\n", 18, &n) < 0);
        http_request_done(&r);
}

static void test_malformed(void **state)
{
        expect_error("GARBAGE\r\n\r\n", NULL, 400);
        /* A method nobody implements is not malformed: 501 (RFC 9110 §9.1). */
        expect_error("FROB / HTTP/1.1\r\n\r\n", NULL, 501);
        expect_error("NOT HTTP\r\n\r\n", NULL, 400);
        expect_error("FROB / HTTP/1\r\n\r\n", NULL, 400);
        expect_error("GET / HTTP/9.9\r\n\r\n", NULL, 400);
        expect_error("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", NULL, 400);
        expect_error("POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\nx", NULL, 400);
        expect_error("GET / HTTP/1.1\nHost: x\n\n", NULL, 400);
        /* Request smuggling shapes. */
        expect_error("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                     NULL, 400);
        expect_error("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", NULL, 400);
        expect_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", NULL, 400);
        expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n", NULL,
                     400);
        expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked, x\r\n\r\n", NULL, 400);
}

static void test_limits(void **state)
{
        static const HttpLimits tiny = { .max_url = 16, .max_head = 128, .max_headers = 3, .max_body = 10 };
        char big[512];

        expect_error("GET /aaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", &tiny, 414);
        expect_error("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", &tiny, 431);
        memset(big, 'v', sizeof(big));
        big[sizeof(big) - 1] = 0;
        memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
        expect_error(big, &tiny, 431);
        /* Refused from Content-Length alone, before any body byte. */
        expect_error("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &tiny, 413);
        expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n",
                     &tiny, 413);
}

static void test_limit_exact(void **state)
{
        static const HttpLimits tiny = { .max_url = 16, .max_head = 128, .max_headers = 3, .max_body = 10 };
        HttpRequest r;
        size_t n;

        http_request_init(&r, &tiny);
        assert_int_equal(feed_all(&r, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", &n),
                         HTTP_FEED_COMPLETE);
        assert_int_equal(r.body.len, 10);
        http_request_done(&r);
}

static void test_expect_continue(void **state)
{
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        assert_int_equal(
                feed_all(&r, "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", &n),
                HTTP_FEED_MORE);
        assert_true(r.headers_complete);
        assert_true(http_request_expects_continue(&r));
        assert_int_equal(feed_all(&r, "ab", &n), HTTP_FEED_COMPLETE);
        http_request_done(&r);
}

static void test_obs_fold_unfolded(void **state)
{
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        assert_int_equal(feed_all(&r, "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", &n), HTTP_FEED_COMPLETE);
        assert_string_equal(http_request_header(&r, "A"), "1 folded");
        http_request_done(&r);
}

static void test_http10(void **state)
{
        HttpRequest r;
        size_t n;

        http_request_init(&r, NULL);
        assert_int_equal(feed_all(&r, "GET / HTTP/1.0\r\n\r\n", &n), HTTP_FEED_COMPLETE);
        assert_false(r.keep_alive);
        assert_false(http_request_expects_continue(&r));
        http_request_done(&r);
}

static void test_status_reason(void **state)
{
        assert_string_equal(http_status_reason(200), "OK");
        assert_string_equal(http_status_reason(413), "Payload Too Large");
        assert_string_equal(http_status_reason(431), "Request Header Fields Too Large");
        assert_string_equal(http_status_reason(299), "Unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_get),
                cmocka_unit_test(test_post_body_byte_by_byte),
                cmocka_unit_test(test_chunked),
                cmocka_unit_test(test_chunked_streamed_with_trailers),
                cmocka_unit_test(test_streamed_limit),
                cmocka_unit_test(test_bad_trailers),
                cmocka_unit_test(test_pipelined),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_limit_exact),
                cmocka_unit_test(test_expect_continue),
                cmocka_unit_test(test_obs_fold_unfolded),
                cmocka_unit_test(test_http10),
                cmocka_unit_test(test_status_reason),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
