/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lambda-error.h"

static const char *field(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return json_object_get_string(v);
}

static void test_function_error_escapes(void **state)
{
        Buf b = {};
        json_object *o;

        assert_int_equal(lambda_function_error_json(&b, "Handler\"Error", "line1\nline2 \\ /path"), 0);
        o = json_tokener_parse(b.data);
        assert_non_null(o);
        assert_string_equal(field(o, "errorType"), "Handler\"Error");
        assert_string_equal(field(o, "errorMessage"), "line1\nline2 \\ /path");
        json_object_put(o);
        buf_done(&b);
}

static void test_timeout_shape(void **state)
{
        Buf b = {};
        json_object *o;

        assert_int_equal(lambda_timeout_error_json(&b, "abc-123", 3), 0);
        o = json_tokener_parse(b.data);
        assert_non_null(o);
        assert_string_equal(field(o, "errorType"), "Sandbox.Timedout");
        assert_string_equal(field(o, "errorMessage"),
                            "RequestId: abc-123 Error: Task timed out after 3.00 seconds");
        json_object_put(o);
        buf_done(&b);
}

static void test_service_error(void **state)
{
        Buf b = {};
        json_object *o;

        assert_int_equal(lambda_service_error_json(&b, "Rate exceeded", "ConcurrentInvocationLimitExceeded"),
                         0);
        o = json_tokener_parse(b.data);
        assert_non_null(o);
        assert_string_equal(field(o, "Type"), "User");
        assert_string_equal(field(o, "message"), "Rate exceeded");
        assert_string_equal(field(o, "Reason"), "ConcurrentInvocationLimitExceeded");
        json_object_put(o);
        buf_clear(&b);

        assert_int_equal(lambda_service_error_json(&b, "Function not found", NULL), 0);
        o = json_tokener_parse(b.data);
        assert_null(field(o, "Reason"));
        json_object_put(o);
        buf_done(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_function_error_escapes),
                cmocka_unit_test(test_timeout_shape),
                cmocka_unit_test(test_service_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
