/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the mapping of a function URL's answer (function_url_answer_parse) and the streaming
 * prelude's push parser (whole, and fed in pieces whose sizes come from the input), and checks what
 * they accept: a status in 100..599, header names that are tokens and values without CR, LF or NUL
 * (nothing a function says can split the gateway's answer), the same head and body however the
 * stream was cut. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "function-url.h"
#include "fuzz.h"
#include "macro.h"

static void check_answer(const FunctionUrlAnswer *a)
{
        if (a->status < 100 || a->status > 599 || a->n_headers > FUNCTION_URL_HEADERS_MAX + 8)
                abort();
        for (size_t i = 0; i < a->n_headers; i++) {
                const char *n = a->headers[i].name, *v = a->headers[i].value;

                if (!*n || strpbrk(n, " \t\r\n:\"(),/;<=>?@[\\]{}") || strpbrk(v, "\r\n"))
                        abort();
        }
}

/* Feeds data in pieces of the sizes step gives; returns the result, with the body appended to body. */
static int feed(const uint8_t *data, size_t size, size_t step, FunctionUrlAnswer *head, Buf *body)
{
        FunctionUrlPrelude p = {};
        bool got = false;
        int r = 0;

        for (size_t off = 0; off < size;) {
                size_t n = MIN(step, size - off), consumed = 0;

                r = function_url_prelude_feed(&p, (const char *) data + off, n, &consumed, head);
                if (r < 0)
                        break;
                if (consumed > n || (r == 0 && consumed != n) || (r == 2 && consumed != 0) ||
                    (r == 1 && got))
                        abort();
                if (r == 1)
                        got = true;
                if (r >= 1 && buf_append(body, data + off + consumed, n - consumed) < 0)
                        abort();
                off += n;
        }
        function_url_prelude_done(&p);
        if (r >= 0)
                return got ? 1 : 0;
        if (got)
                function_url_answer_done(head);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        FunctionUrlAnswer a = {}, h1 = {}, h2 = {};
        Buf b1 = {}, b2 = {};
        int r, r1, r2;

        r = function_url_answer_parse((const char *) data, size, &a);
        if (r == 0) {
                check_answer(&a);
                /* A string: the CORS code takes it as a Cors document. */
                (void) function_url_cors(a.body.data ?: "{}", "http://a.example", true, &a);
                check_answer(&a);
                function_url_answer_done(&a);
        } else if (r != -EBADMSG)
                abort();

        r1 = feed(data, size, size ?: 1, &h1, &b1);
        r2 = feed(data, size, size > 0 ? (size_t) data[0] % 7 + 1 : 1, &h2, &b2);
        if (r1 != r2 || (r1 < 0 && r1 != -EBADMSG))
                abort();
        if (r1 == 1) {
                check_answer(&h1);
                if (h1.status != h2.status || h1.n_headers != h2.n_headers || b1.len != b2.len ||
                    (b1.len > 0 && memcmp(b1.data, b2.data, b1.len) != 0))
                        abort();
                function_url_answer_done(&h1);
                function_url_answer_done(&h2);
        }
        buf_done(&b1);
        buf_done(&b2);
        return 0;
}
