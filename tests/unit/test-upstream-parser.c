/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "upstream-parser.h"

typedef struct Seen {
        int heads;
        UpstreamHead head;
        char function_error[64];
        char content_type[64];
        Buf body;
} Seen;

static int on_head(const UpstreamHead *h, void *userdata)
{
        Seen *s = userdata;

        s->heads++;
        s->head = *h;
        (void) snprintf(s->function_error, sizeof(s->function_error), "%s", h->function_error ?: "");
        (void) snprintf(s->content_type, sizeof(s->content_type), "%s", h->content_type ?: "");
        return 0;
}

static int on_body(const char *p, size_t n, void *userdata)
{
        Seen *s = userdata;

        return buf_append(&s->body, p, n);
}

static const UpstreamParserOps ops = { .head = on_head, .body = on_body };

/* Feeds text in pieces of `piece` bytes (0: whole), then the close when asked. */
static int parse(const char *text, size_t piece, bool eof, uint64_t max_body, Seen *s)
{
        UpstreamParser p;
        size_t n = strlen(text), at = 0;
        int r = 0;

        *s = (Seen){};
        upstream_parser_init(&p, max_body, &ops, s);
        while (at < n && r == 0) {
                size_t k = piece && piece < n - at ? piece : n - at;

                r = upstream_parser_feed(&p, text + at, k);
                at += k;
        }
        if (r == 0 && eof)
                r = upstream_parser_eof(&p);
        upstream_parser_done(&p);
        return r;
}

static void test_whole_answer(void **state)
{
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "x-amz-function-error: Unhandled\r\nX-Amz-Log-Result: U1RBUlQ=\r\n"
                                     "Content-Length: 17\r\n\r\n{\"errorType\":\"x\"}";
        Seen s;

        for (size_t piece = 0; piece <= 7; piece++) {
                assert_int_equal(parse(answer, piece, false, 1024, &s), 1);
                assert_int_equal(s.heads, 1);
                assert_int_equal(s.head.status, 200);
                assert_int_equal(s.head.content_length, 17);
                assert_true(s.head.keep_alive);
                assert_string_equal(s.function_error, "Unhandled");
                assert_string_equal(s.content_type, "application/json");
                assert_int_equal(s.body.len, 17);
                assert_memory_equal(s.body.data, "{\"errorType\":\"x\"}", 17);
                buf_done(&s.body);
        }
}

static void test_framing(void **state)
{
        Seen s;

        /* Chunked: no length up front; the body still comes whole. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                               "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                               4, false, 1024, &s),
                         1);
        assert_int_equal(s.head.content_length, UINT64_MAX);
        assert_int_equal(s.body.len, 5);
        buf_done(&s.body);

        /* Until the close: complete only at EOF, and the connection is not kept. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", 0, true, 1024, &s),
                         1);
        assert_false(s.head.keep_alive);
        assert_int_equal(s.body.len, 9);
        buf_done(&s.body);

        /* Bytes after the answer: the answer stands, the connection is not reused. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}junk", 0, false, 1024, &s), 1);
        buf_done(&s.body);
}

static void test_bad_answers(void **state)
{
        Seen s;

        /* Cut short, or nothing at all. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, true, 1024, &s),
                         -EPIPE);
        buf_done(&s.body);
        assert_int_equal(parse("", 0, true, 1024, &s), -EPIPE);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Le", 0, true, 1024, &s), -EPIPE);

        /* Over the limit: announced, or while it streams. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", 0, false, 1024, &s),
                         -EMSGSIZE);
        assert_int_equal(s.heads, 0);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n0123456789", 3, false, 8, &s),
                         -EMSGSIZE);
        buf_done(&s.body);

        /* Malformed, informational, or a kept value that would split the client's answer. */
        assert_int_equal(parse("garbage\r\n\r\n", 0, false, 1024, &s), -EBADMSG);
        assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\n", 0, false, 1024, &s), -EBADMSG);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, false,
                               1024, &s),
                         -EBADMSG);
}

static void test_head_limit(void **state)
{
        char big[UPSTREAM_HEAD_MAX + 128];
        Seen s;
        int n;

        n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-Filler: ");
        memset(big + n, 'a', sizeof(big) - (size_t) n - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(parse(big, 1000, false, 1024, &s), -EMSGSIZE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_answer),
                cmocka_unit_test(test_framing),
                cmocka_unit_test(test_bad_answers),
                cmocka_unit_test(test_head_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
