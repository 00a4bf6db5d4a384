/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The instance secret: its form, its comparison, and the check of a request's head as lambda-rie
 * makes it (missing, repeated, wrong, right, in any case of the header's name). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http-test.h"
#include "instance-secret.h"

#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_new(void **state)
{
        char a[INSTANCE_SECRET_SIZE], b[INSTANCE_SECRET_SIZE];

        assert_int_equal(instance_secret_new(a), 0);
        assert_int_equal(instance_secret_new(b), 0);
        assert_int_equal(strlen(a), 2 * INSTANCE_SECRET_BYTES);
        assert_true(instance_secret_is_valid(a));
        assert_true(instance_secret_is_valid(b));
        /* 256 bits: two draws never meet. */
        assert_string_not_equal(a, b);
}

static void test_valid(void **state)
{
        assert_true(instance_secret_is_valid(SECRET));
        assert_false(instance_secret_is_valid(NULL));
        assert_false(instance_secret_is_valid(""));
        assert_false(instance_secret_is_valid(SECRET "0"));
        assert_false(instance_secret_is_valid(SECRET + 1));
        /* Lower-case hex only: what the manager makes, so one form to compare. */
        assert_false(instance_secret_is_valid(
                "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(instance_secret_is_valid(
                "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(instance_secret_is_valid(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde "));
}

static void test_equal(void **state)
{
        char other[] = SECRET;

        assert_true(instance_secret_equal(SECRET, SECRET));
        other[63] = 'e';
        assert_false(instance_secret_equal(SECRET, other));
        other[63] = 'f';
        other[0] = '1';
        assert_false(instance_secret_equal(SECRET, other));
        assert_false(instance_secret_equal(SECRET, ""));
        assert_false(instance_secret_equal(SECRET, SECRET "0"));
        assert_false(instance_secret_equal(SECRET, SECRET + 1));
        /* A prefix, padded with what the comparison pads with, is still another value. */
        assert_false(instance_secret_equal(SECRET, "0123456789abcdef"));
}

/* The check of a request with these header lines (each ending in CRLF). */
static int check(const char *headers)
{
        HttpRequest req;
        int r;

        test_request_parse(&req, headers);
        r = instance_secret_check_request(&req, SECRET);
        http_request_done(&req);
        return r;
}

static void test_check_request(void **state)
{
        HttpRequest req;

        assert_int_equal(check("X-Lambdad-Instance-Secret: " SECRET "\r\n"), 0);
        assert_int_equal(check("x-lambdad-instance-secret:" SECRET "  \r\n"), 0);
        assert_int_equal(check(""), -ENOKEY);
        assert_int_equal(check("X-Lambdad-Instance-Secre: " SECRET "\r\n"), -ENOKEY);
        assert_int_equal(check("X-Lambdad-Instance-Secret:\r\n"), -EACCES);
        assert_int_equal(check("X-Lambdad-Instance-Secret: " SECRET "0\r\n"), -EACCES);
        assert_int_equal(check("X-Lambdad-Instance-Secret: 0123\r\n"), -EACCES);
        /* Twice, even with the right value once: refused, whichever would count. */
        assert_int_equal(check("X-Lambdad-Instance-Secret: " SECRET "\r\nX-Lambdad-Instance-Secret: x\r\n"),
                         -ENOTUNIQ);
        assert_int_equal(check("X-Lambdad-Instance-Secret: x\r\nX-Lambdad-Instance-Secret: " SECRET "\r\n"),
                         -ENOTUNIQ);
        /* A comma list is one value: no part of it counts alone. */
        assert_int_equal(check("X-Lambdad-Instance-Secret: " SECRET ", " SECRET "\r\n"), -EACCES);

        /* A head not yet complete carries nothing. */
        http_request_init(&req, NULL);
        assert_int_equal(instance_secret_check_request(&req, SECRET), -ENOKEY);
        http_request_done(&req);

        assert_non_null(strstr(instance_secret_refusal_to_string(-ENOKEY), "no "));
        assert_non_null(strstr(instance_secret_refusal_to_string(-ENOTUNIQ), "more than once"));
        assert_non_null(strstr(instance_secret_refusal_to_string(-EACCES), "wrong"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new),
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_check_request),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
