/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json-check.h"

static bool valid(const char *s)
{
        return json_text_is_valid(s, strlen(s));
}

static void test_valid(void **state)
{
        static const char *const texts[] = {
                "{}",
                "[]",
                "1",
                "-0",
                "0.5",
                "-12.5e+3",
                "1E-2",
                "true",
                "false",
                "null",
                "\"\"",
                " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
                "{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":\"\\u00e9\\n\\\"\"}",
                "\"\\ud800\"",
                "\"\\u0000\"",
                "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
                "[\"\\/\"]",
        };

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                if (!valid(texts[i]))
                        fail_msg("rejected: %s", texts[i]);
}

static void test_invalid(void **state)
{
        static const char *const texts[] = {
                "",
                " ",
                "[1,]",
                "{\"a\":1,}",
                "01",
                "1.",
                ".5",
                "+1",
                "0x10",
                "1e",
                "-",
                "NaN",
                "Infinity",
                "'a'",
                "{a:1}",
                "tru",
                "nul",
                "[1 2]",
                "{\"a\" 1}",
                "/*c*/1",
                "[",
                "\"abc",
                "\"a\tb\"",
                "\"\\x41\"",
                "\"\xff\"",
                "\"\xc0\xaf\"",
                "\"\xed\xa0\x80\"",
                "\xef\xbb\xbf{}",
                "{\"a\":1}{}",
                "[]]",
                "{1:2}",
                "[\"\\u12\"]",
        };

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                if (valid(texts[i]))
                        fail_msg("accepted: %s", texts[i]);
        assert_false(json_text_is_valid(NULL, 0));
        /* A NUL is not JSON whitespace: the length counts, not the terminator. */
        assert_false(json_text_is_valid("1\0", 2));
}

static void test_depth(void **state)
{
        char deep[2 * (JSON_CHECK_DEPTH_MAX + 1)];

        memset(deep, '[', JSON_CHECK_DEPTH_MAX);
        memset(deep + JSON_CHECK_DEPTH_MAX, ']', JSON_CHECK_DEPTH_MAX);
        assert_true(json_text_is_valid(deep, 2 * JSON_CHECK_DEPTH_MAX));
        memset(deep, '[', JSON_CHECK_DEPTH_MAX + 1);
        memset(deep + JSON_CHECK_DEPTH_MAX + 1, ']', JSON_CHECK_DEPTH_MAX + 1);
        assert_false(json_text_is_valid(deep, sizeof(deep)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_depth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
