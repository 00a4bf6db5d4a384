/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lambda-runtime.h"
#include "macro.h"

static void test_find(void **state)
{
        assert_string_equal(lambda_runtime_find("nodejs22.x")->image, "public.ecr.aws/lambda/nodejs:22");
        assert_string_equal(lambda_runtime_find("provided.al2023")->id, "provided.al2023");
        /* Deprecated: still one of the API's identifiers, but no base image by default. */
        assert_null(lambda_runtime_find("nodejs16.x")->image);
        assert_null(lambda_runtime_find("cobol1.x"));
        assert_null(lambda_runtime_find(""));
        assert_null(lambda_runtime_find(NULL));
}

static void test_table(void **state)
{
        for (size_t i = 0; i < lambda_runtimes_count; i++) {
                const LambdaRuntime *r = &lambda_runtimes[i];

                /* Each once: lambda_runtime_find() answers the first. */
                assert_ptr_equal(lambda_runtime_find(r->id), r);
                if (r->image)
                        assert_int_equal(strncmp(r->image, "public.ecr.aws/lambda/",
                                                 STRLEN("public.ecr.aws/lambda/")),
                                         0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_table),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
