/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json-check.h"
#include "macro.h"

static bool valid(const char *s)
{
        return json_text_is_valid(s, strlen(s));
}

static const char *const valid_texts[] = {
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

static const char *const invalid_texts[] = {
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
        "\"\\u00e9\" x",
        "1 2",
        "[1]x",
        "-01",
        "1.5.2",
        "1e+",
        "{\"a\":}",
        "{,}",
        "[,1]",
        "truefalse",
        "\"\xe0\x9f\xbf\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xf0\x8f\xbf\xbf\"",
        "\"\xc3\"",
        "\"abcdefghijklmnopqrstuvwxyz\x01\"",
        "\"abcdefghijklmnopqrstuvwxyz",
};

static void test_valid(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid_texts); i++)
                if (!valid(valid_texts[i]))
                        fail_msg("rejected: %s", valid_texts[i]);
}

static void test_invalid(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_texts); i++)
                if (valid(invalid_texts[i]))
                        fail_msg("accepted: %s", invalid_texts[i]);
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

/* The streamed check of s cut at a and b (a <= b): its verdict at the end, and false when feed() gave
 * up early on a text that is valid. */
static bool streamed(const char *s, size_t len, size_t a, size_t b)
{
        JsonStream j;
        bool fed;

        json_stream_init(&j);
        fed = json_stream_feed(&j, s, a) && json_stream_feed(&j, s + a, b - a) &&
              json_stream_feed(&j, s + b, len - b);
        if (!fed)
                assert_false(json_stream_end(&j));
        return json_stream_end(&j);
}

/* Every text of both lists, cut in three at every pair of positions, and byte by byte: the streamed
 * verdict is the whole-buffer one. */
static void check_cuts(const char *s, size_t len, bool expect)
{
        JsonStream j;
        bool fed = true;

        assert_int_equal(json_text_is_valid(s, len), expect);
        for (size_t a = 0; a <= len; a++)
                for (size_t b = a; b <= len; b++)
                        if (streamed(s, len, a, b) != expect)
                                fail_msg("%s cut at %zu and %zu: not %s", s, a, b,
                                         expect ? "valid" : "invalid");
        json_stream_init(&j);
        for (size_t i = 0; i < len && fed; i++)
                fed = json_stream_feed(&j, s + i, 1);
        assert_int_equal(fed && json_stream_end(&j), expect);
}

static void test_stream_cuts(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid_texts); i++)
                check_cuts(valid_texts[i], strlen(valid_texts[i]), true);
        for (size_t i = 0; i < ELEMENTSOF(invalid_texts); i++)
                check_cuts(invalid_texts[i], strlen(invalid_texts[i]), false);
        check_cuts("1\0", 2, false);
        check_cuts("\"a\\u0000b\"", 10, true);
}

/* A large string (the fast path, 8 bytes at a time) with the one bad byte at each position of a
 * 64-byte window, and a stray byte after it: refused however it is cut. */
static void test_stream_large(void **state)
{
        char s[300];

        memset(s, 'a', sizeof(s));
        s[0] = '"';
        s[sizeof(s) - 2] = '"';
        s[sizeof(s) - 1] = ' ';
        check_cuts(s, sizeof(s), true);
        for (size_t bad = 100; bad < 164; bad++) {
                static const char bytes[] = { '\x01', '\\', '\x80', '\xff' };

                for (size_t k = 0; k < ELEMENTSOF(bytes); k++) {
                        s[bad] = bytes[k];
                        for (size_t a = 0; a <= sizeof(s); a += 7)
                                if (streamed(s, sizeof(s), a, MIN(a + 61, sizeof(s))))
                                        fail_msg("byte %#x at %zu accepted",
                                                 (unsigned) (unsigned char) bytes[k], bad);
                }
                s[bad] = 'a';
        }
        s[sizeof(s) - 1] = 'x';
        check_cuts(s, sizeof(s), false);
}

static void test_stream_depth(void **state)
{
        char deep[2 * (JSON_CHECK_DEPTH_MAX + 1)];

        memset(deep, '[', JSON_CHECK_DEPTH_MAX);
        memset(deep + JSON_CHECK_DEPTH_MAX, ']', JSON_CHECK_DEPTH_MAX);
        assert_true(streamed(deep, 2 * JSON_CHECK_DEPTH_MAX, 30, 70));
        memset(deep, '[', JSON_CHECK_DEPTH_MAX + 1);
        memset(deep + JSON_CHECK_DEPTH_MAX + 1, ']', JSON_CHECK_DEPTH_MAX + 1);
        assert_false(streamed(deep, sizeof(deep), 30, 70));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),        cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_depth),        cmocka_unit_test(test_stream_cuts),
                cmocka_unit_test(test_stream_large), cmocka_unit_test(test_stream_depth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
