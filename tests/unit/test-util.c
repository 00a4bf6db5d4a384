/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void test_parse_uint64(void **state)
{
        uint64_t v;
        unsigned u;

        assert_int_equal(parse_uint64("42", 0, 100, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_uint64("101", 0, 100, &v), -ERANGE);
        assert_int_equal(parse_uint64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
        assert_int_equal(parse_uint64("-1", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint64(" 1", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint64("1x", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint64("", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_unsigned("900", 1, 900, &u), 0);
        assert_int_equal(u, 900);
        assert_int_equal(parse_unsigned("0", 1, 900, &u), -ERANGE);
}

static void test_parse_boolean(void **state)
{
        assert_int_equal(parse_boolean("yes"), 1);
        assert_int_equal(parse_boolean("ON"), 1);
        assert_int_equal(parse_boolean("0"), 0);
        assert_int_equal(parse_boolean("false"), 0);
        assert_int_equal(parse_boolean("maybe"), -EINVAL);
}

static void test_uuid(void **state)
{
        char a[UUID_STRING_MAX], b[UUID_STRING_MAX];

        assert_int_equal(random_uuid(a), 0);
        assert_int_equal(random_uuid(b), 0);
        assert_int_equal(strlen(a), 36);
        assert_string_not_equal(a, b);
        assert_true(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
        assert_int_equal(a[14], '4');
        assert_true(strchr("89ab", a[19]) != NULL);
}

static void test_hex(void **state)
{
        char h[33];

        assert_int_equal(random_hex(h, 16), 0);
        assert_int_equal(strlen(h), 32);
        assert_int_equal(strspn(h, "0123456789abcdef"), 32);
        assert_int_equal(random_hex(h, 1000), -EINVAL);
}

static void test_backoff(void **state)
{
        /* Doubling from the minimum, held at the maximum, whatever the count (no overflow). */
        assert_int_equal(backoff_usec(0, 50, 1000), 50);
        assert_int_equal(backoff_usec(1, 50, 1000), 50);
        assert_int_equal(backoff_usec(2, 50, 1000), 100);
        assert_int_equal(backoff_usec(5, 50, 1000), 800);
        assert_int_equal(backoff_usec(6, 50, 1000), 1000);
        assert_int_equal(backoff_usec(UINT32_MAX, 50, 1000), 1000);
        assert_int_equal(backoff_usec(3, 1000, 1000), 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_uint64), cmocka_unit_test(test_parse_boolean),
                cmocka_unit_test(test_uuid),         cmocka_unit_test(test_hex),
                cmocka_unit_test(test_backoff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
