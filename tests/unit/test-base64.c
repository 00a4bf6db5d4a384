/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

static void check_roundtrip(const char *plain, const char *encoded)
{
        Buf e = {}, d = {};

        assert_int_equal(base64_encode(&e, plain, strlen(plain)), 0);
        assert_string_equal(e.data, encoded);
        assert_int_equal(base64_decode(&d, encoded, strlen(encoded)), 0);
        assert_int_equal(d.len, strlen(plain));
        assert_memory_equal(d.data, plain, d.len);
        buf_done(&e);
        buf_done(&d);
}

static void test_rfc4648_vectors(void **state)
{
        check_roundtrip("f", "Zg==");
        check_roundtrip("fo", "Zm8=");
        check_roundtrip("foo", "Zm9v");
        check_roundtrip("foob", "Zm9vYg==");
        check_roundtrip("fooba", "Zm9vYmE=");
        check_roundtrip("foobar", "Zm9vYmFy");
        check_roundtrip("{\"custom\":{\"a\":1}}", "eyJjdXN0b20iOnsiYSI6MX19");
}

static void test_empty(void **state)
{
        Buf b = {};

        assert_int_equal(base64_encode(&b, "", 0), 0);
        assert_int_equal(b.len, 0);
        assert_int_equal(base64_decode(&b, "", 0), 0);
        assert_int_equal(b.len, 0);
        buf_done(&b);
}

static void test_malformed(void **state)
{
        static const char *const bad[] = { "Zg=", "Z===", "Zg=a",
                                           "=Zg=", "Zm9v!A==", "Zm9v\nYg==", "Zg==Zg==",
                                           /* Non-zero bits under the padding: found by fuzz-base64. */
                                           "Zz==", "QUJ=" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                Buf b = {};

                assert_int_equal(base64_decode(&b, bad[i], strlen(bad[i])), -EINVAL);
                buf_done(&b);
        }
}

static void test_binary(void **state)
{
        unsigned char all[256];
        Buf e = {}, d = {};

        for (size_t i = 0; i < sizeof(all); i++)
                all[i] = (unsigned char) i;
        assert_int_equal(base64_encode(&e, all, sizeof(all)), 0);
        assert_int_equal(base64_decode(&d, e.data, e.len), 0);
        assert_int_equal(d.len, sizeof(all));
        assert_memory_equal(d.data, all, sizeof(all));
        buf_done(&e);
        buf_done(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_binary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
