/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http-test.h"
#include "lambda-contract.h"

static void test_function_names(void **state)
{
        char longest[LAMBDA_FUNCTION_NAME_MAX + 2];

        assert_true(lambda_function_name_is_valid("hello", 5));
        assert_true(lambda_function_name_is_valid("My_func-2", 9));
        assert_false(lambda_function_name_is_valid("", 0));
        assert_false(lambda_function_name_is_valid(NULL, 3));
        assert_false(lambda_function_name_is_valid("a.b", 3));
        assert_false(lambda_function_name_is_valid("a:b", 3));
        assert_false(lambda_function_name_is_valid("caf\xc3\xa9", 5));
        /* The length counts, not a NUL. */
        assert_false(lambda_function_name_is_valid("ab\0c", 4));
        memset(longest, 'a', sizeof(longest));
        assert_true(lambda_function_name_is_valid(longest, LAMBDA_FUNCTION_NAME_MAX));
        assert_false(lambda_function_name_is_valid(longest, LAMBDA_FUNCTION_NAME_MAX + 1));
}

static void test_versions(void **state)
{
        unsigned v = 0;

        assert_true(lambda_version_parse("1", 1, &v));
        assert_int_equal(v, 1);
        assert_true(lambda_version_parse("999999999", 9, &v));
        assert_int_equal(v, LAMBDA_VERSION_MAX);
        assert_true(lambda_version_parse("42x", 2, NULL)); /* the length counts */
        assert_false(lambda_version_parse("1000000000", 10, &v));
        assert_false(lambda_version_parse("0", 1, &v));
        assert_false(lambda_version_parse("01", 2, &v));
        assert_false(lambda_version_parse("", 0, &v));
        assert_false(lambda_version_parse("-1", 2, &v));
        assert_false(lambda_version_parse("+1", 2, &v));
        assert_false(lambda_version_parse("$LATEST", 7, &v));
        assert_false(lambda_version_parse(NULL, 1, &v));

        /* NAME or NAME:N, the manager's names of functions and their versions. */
        assert_true(lambda_function_ref_is_valid("hello", 5, &v));
        assert_int_equal(v, 0);
        assert_true(lambda_function_ref_is_valid("hello:12", 8, &v));
        assert_int_equal(v, 12);
        assert_true(lambda_function_ref_is_valid("hello:3", 7, NULL));
        assert_false(lambda_function_ref_is_valid("hello:", 6, &v));
        assert_false(lambda_function_ref_is_valid("hello:0", 7, &v));
        assert_false(lambda_function_ref_is_valid("hello:live", 10, &v));
        assert_false(lambda_function_ref_is_valid("hello:$LATEST", 13, &v));
        assert_false(lambda_function_ref_is_valid("hello:1:2", 9, &v));
        assert_false(lambda_function_ref_is_valid(":1", 2, &v));
        assert_false(lambda_function_ref_is_valid("a.b:1", 5, &v));
        assert_false(lambda_function_ref_is_valid(NULL, 0, &v));
}

/* Parses "HEADERS" (CRLF-separated, no request line) as the Invoke API's headers. */
static int parse(const char *headers, LambdaInvokeHeaders *ret, const char **ret_type,
                 const char **ret_message)
{
        HttpRequest req;
        int r;

        test_request_parse(&req, headers);
        r = lambda_invoke_headers_parse(&req, ret, ret_type, ret_message);
        /* The context points into the request, which is about to go. */
        if (r >= 0 && ret->client_context) {
                static char context[4096];

                (void) snprintf(context, sizeof(context), "%s", ret->client_context);
                ret->client_context = context;
        }
        http_request_done(&req);
        return r;
}

static void test_invoke_headers(void **state)
{
        LambdaInvokeHeaders h;
        const char *type, *message;
        char big[4096];

        assert_int_equal(parse("", &h, &type, &message), 0);
        assert_int_equal(h.type, LAMBDA_INVOKE_REQUEST_RESPONSE);
        assert_false(h.log_tail);
        assert_null(h.client_context);

        assert_int_equal(
                parse("X-Amz-Invocation-Type: Event\r\nX-Amz-Log-Type: Tail\r\n", &h, &type, &message), 0);
        assert_int_equal(h.type, LAMBDA_INVOKE_EVENT);
        assert_true(h.log_tail);
        assert_int_equal(parse("X-Amz-Invocation-Type: DryRun\r\n", &h, &type, &message), 0);
        assert_int_equal(h.type, LAMBDA_INVOKE_DRY_RUN);
        /* {"custom":{"k":"v"}} */
        assert_int_equal(
                parse("X-Amz-Client-Context: eyJjdXN0b20iOnsiayI6InYifX0=\r\n", &h, &type, &message), 0);
        assert_string_equal(h.client_context, "eyJjdXN0b20iOnsiayI6InYifX0=");

        assert_int_equal(parse("X-Amz-Invocation-Type: event\r\n", &h, &type, &message), -EINVAL);
        assert_string_equal(type, "InvalidParameterValueException");
        assert_int_equal(parse("X-Amz-Log-Type: All\r\n", &h, &type, &message), -EINVAL);
        assert_string_equal(type, "InvalidParameterValueException");
        assert_int_equal(parse("X-Amz-Client-Context: not base64!\r\n", &h, &type, &message), -EINVAL);
        assert_string_equal(type, "InvalidRequestContentException");
        /* Decodes to a CR LF: it could split a header of the runtime's. */
        assert_int_equal(parse("X-Amz-Client-Context: DQo=\r\n", &h, &type, &message), -EINVAL);
        /* Over 3583 bytes. */
        memcpy(big, "X-Amz-Client-Context: ", 22);
        memset(big + 22, 'A', 3584);
        memcpy(big + 22 + 3584, "\r\n", 3);
        assert_int_equal(parse(big, &h, &type, &message), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_function_names),
                cmocka_unit_test(test_versions),
                cmocka_unit_test(test_invoke_headers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
