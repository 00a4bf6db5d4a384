/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strv.h"

static void test_env(void **state)
{
        _cleanup_strv_free_ char **env = NULL;

        assert_int_equal(env_set(&env, "A", "1", false), 0);
        assert_int_equal(env_set(&env, "AB", "2", false), 0);
        assert_string_equal(env_get(env, "A"), "1");
        assert_string_equal(env_get(env, "AB"), "2");
        assert_null(env_get(env, "ABC"));

        assert_int_equal(env_set(&env, "A", "x", false), 0);
        assert_string_equal(env_get(env, "A"), "1");
        assert_int_equal(env_set(&env, "A", "x=y", true), 0);
        assert_string_equal(env_get(env, "A"), "x=y");
        assert_int_equal(strv_length(env), 2);

        assert_int_equal(env_set(&env, "1BAD", "x", true), -EINVAL);
        assert_int_equal(env_set(&env, "BAD=NAME", "x", true), -EINVAL);
        assert_int_equal(env_set(&env, "", "x", true), -EINVAL);
}

static void test_copy(void **state)
{
        char *src[] = { (char *) "a", (char *) "b", NULL };
        _cleanup_strv_free_ char **c = strv_copy(src);
        _cleanup_strv_free_ char **e = strv_copy(NULL);

        assert_int_equal(strv_length(c), 2);
        assert_string_equal(c[1], "b");
        assert_non_null(e);
        assert_int_equal(strv_length(e), 0);
        assert_int_equal(strv_extend(&e, "z"), 0);
        assert_string_equal(e[0], "z");
        assert_null(e[1]);
}

static void test_contains(void **state)
{
        char *l[] = { (char *) "a", (char *) "bc", NULL };

        assert_true(strv_contains(l, "bc"));
        assert_false(strv_contains(l, "b"));
        assert_false(strv_contains(NULL, "a"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_copy),
                cmocka_unit_test(test_contains),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
