/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http-response.h"

static void test_response(void **state)
{
        Buf b = {};

        assert_int_equal(http_response_begin(&b, 200), 0);
        assert_int_equal(http_response_header(&b, "Content-Type", "application/json"), 0);
        assert_int_equal(http_response_headerf(&b, "Retry-After", "%d", 1), 0);
        assert_int_equal(http_response_end_head(&b, 2, true), 0);
        assert_int_equal(buf_append(&b, "{}", 2), 0);
        assert_string_equal(b.data, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                                    "Content-Length: 2\r\n\r\n{}");
        buf_done(&b);
}

static void test_close(void **state)
{
        Buf b = {};

        assert_int_equal(http_response_begin(&b, 413), 0);
        assert_int_equal(http_response_end_head(&b, 0, false), 0);
        assert_string_equal(
                b.data, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        buf_done(&b);
}

static void test_header_injection(void **state)
{
        Buf b = {};

        assert_int_equal(http_response_header(&b, "X", "a\r\nSet-Cookie: evil"), -EINVAL);
        assert_int_equal(http_response_header(&b, "X", "a\nb"), -EINVAL);
        assert_int_equal(b.len, 0);
        assert_false(http_header_value_is_valid("x\r"));
        assert_true(http_header_value_is_valid("plain value"));
        buf_done(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_response),
                cmocka_unit_test(test_close),
                cmocka_unit_test(test_header_injection),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
