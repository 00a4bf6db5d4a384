/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json-strict.h"

static int parse(const char *s, json_object **ret, size_t *ret_end, enum json_tokener_error *ret_error)
{
        return json_parse_strict(s, strlen(s), 8, ret, ret_end, ret_error);
}

static void test_whole_values(void **state)
{
        static const char *const texts[] = { "{\"a\":[1,2]}", "42", "null", "\"s\"", "-0.5e3", "[]" };
        json_object *o;
        size_t end;

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                assert_int_equal(parse(texts[i], &o, &end, NULL), 0);
                assert_int_equal(end, strlen(texts[i]));
                json_object_put(o);
        }
}

static void test_end_is_reported(void **state)
{
        json_object *o;
        size_t end;

        /* Only whitespace may follow the value: json-c may or may not have taken it. */
        assert_int_equal(parse("{} \n", &o, &end, NULL), 0);
        assert_in_range(end, 2, 4);
        json_object_put(o);
        assert_int_equal(parse("[1]x", &o, &end, NULL), -EBADMSG);
}

static void test_errors(void **state)
{
        enum json_tokener_error e;
        json_object *o = NULL;
        size_t end;

        assert_int_equal(parse("{\"a\":", &o, &end, &e), -EBADMSG);
        assert_int_equal(e, json_tokener_error_parse_eof);
        assert_int_equal(end, 5);
        assert_int_equal(parse("{\"a\":1,}", &o, &end, &e), -EBADMSG); /* strict: no trailing comma */
        assert_int_equal(parse("/* c */ {}", &o, &end, &e), -EBADMSG);
        assert_int_equal(parse("[[[[[[[[[[1]]]]]]]]]]", &o, &end, &e), -EBADMSG);
        assert_int_equal(e, json_tokener_error_depth);
        assert_int_equal(parse("\"\xff\"", &o, &end, &e), -EBADMSG);
        assert_int_equal(parse("", &o, &end, &e), -EBADMSG);
        assert_null(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_values),
                cmocka_unit_test(test_end_is_reported),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
