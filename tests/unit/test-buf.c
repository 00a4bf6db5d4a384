/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void test_append_and_consume(void **state)
{
        Buf b = {};

        assert_int_equal(buf_append_str(&b, "hello "), 0);
        assert_int_equal(buf_printf(&b, "%s %d", "world", 42), 0);
        assert_string_equal(b.data, "hello world 42");
        buf_consume(&b, 6);
        assert_string_equal(b.data, "world 42");
        buf_consume(&b, 100);
        assert_true(buf_empty(&b));
        assert_string_equal(b.data, "");
        buf_done(&b);
        assert_null(b.data);
}

static void test_cap(void **state)
{
        Buf b = BUF_INIT_MAX(8);

        assert_int_equal(buf_append(&b, "12345678", 8), 0);
        assert_int_equal(buf_append(&b, "9", 1), -ENOBUFS);
        assert_int_equal(b.len, 8);
        assert_int_equal(buf_printf(&b, "%s", "x"), -ENOBUFS);
        buf_clear(&b);
        assert_int_equal(buf_printf(&b, "%s", "abc"), 0);
        buf_done(&b);
}

static void test_steal(void **state)
{
        Buf b = {};
        size_t n;
        char *p;

        assert_int_equal(buf_append(&b, "a\0b", 3), 0);
        p = buf_steal(&b, &n);
        assert_int_equal(n, 3);
        assert_memory_equal(p, "a\0b", 3);
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        free(p);
        assert_null(buf_steal(&b, &n));
        assert_int_equal(n, 0);
}

static void test_growth(void **state)
{
        Buf b = {};

        for (int i = 0; i < 10000; i++)
                assert_int_equal(buf_append(&b, "0123456789", 10), 0);
        assert_int_equal(b.len, 100000);
        assert_int_equal(b.data[b.len], 0);
        buf_done(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_and_consume),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_steal),
                cmocka_unit_test(test_growth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
