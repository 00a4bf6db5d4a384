/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "code-runtime.h"
#include "macro.h"
#include "util.h"

static void test_table(void **state)
{
        assert_string_equal(code_runtime_find("nodejs22.x")->image, "public.ecr.aws/lambda/nodejs:22");
        assert_string_equal(code_runtime_find("python3.12")->image, "public.ecr.aws/lambda/python:3.12");
        assert_string_equal(code_runtime_find("provided.al2023")->image,
                            "public.ecr.aws/lambda/provided:al2023");
        assert_null(code_runtime_find("cobol1.x"));
        /* One of the API's, deprecated: no base image unless the operator maps one. */
        assert_null(code_runtime_find("nodejs16.x"));
        assert_null(code_runtime_find(""));

        assert_true(code_runtime_is_provided("provided"));
        assert_true(code_runtime_is_provided("provided.al2023"));
        assert_false(code_runtime_is_provided("providedx"));
        assert_false(code_runtime_is_provided("nodejs22.x"));

        assert_true(code_runtime_id_is_valid("nodejs22.x"));
        assert_true(code_runtime_id_is_valid("my-runtime.1"));
        assert_false(code_runtime_id_is_valid("Nodejs22.x"));
        assert_false(code_runtime_id_is_valid("1node"));
        assert_false(code_runtime_id_is_valid("../x"));
        assert_false(code_runtime_id_is_valid("a/b"));
        assert_false(code_runtime_id_is_valid(""));
        assert_false(code_runtime_id_is_valid("a23456789012345678901234567890123"));

        assert_true(code_runtime_override_is_valid("nodejs22.x=node:22"));
        assert_false(code_runtime_override_is_valid("nodejs22.x"));
        assert_false(code_runtime_override_is_valid("nodejs22.x="));
        assert_false(code_runtime_override_is_valid("=node:22"));
        assert_false(code_runtime_override_is_valid("nodejs22.x=-x"));
}

static void write_file(const char *dir, const char *name, const char *content)
{
        _cleanup_free_ char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(content, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void test_mapping(void **state)
{
        char dir[] = "/tmp/test-code-runtime-XXXXXX";
        char *overrides[] = { (char *) "nodejs22.x=first:1", (char *) "python3.12=py:1",
                              (char *) "nodejs22.x=second:2", NULL };
        static const char *const files[] = { "python3.12.json", "nodejs20.x.json", "cobol1.x.json",
                                             "ruby3.3.json",    "ruby3.4.json",    "java21.json" };
        _cleanup_free_ char *error = NULL;
        RuntimeImage ri = {};

        assert_non_null(mkdtemp(dir));
        write_file(dir, "python3.12.json", "{\"image\": \"local-python:3.12\", \"pull\": true}");
        write_file(dir, "nodejs20.x.json", "{\"image\": \"local-node:20\"}");
        write_file(dir, "cobol1.x.json", "{\"image\": \"cobol:1\"}");
        write_file(dir, "ruby3.3.json", "{\"image\": \"ruby:3.3\", \"pul\": true}");
        write_file(dir, "ruby3.4.json", "{\"pull\": true}");
        write_file(dir, "java21.json", "[\"x\"]");

        /* The last --runtime for an id wins, over the directory too. */
        assert_int_equal(code_runtime_image("nodejs22.x", overrides, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "second:2");
        assert_false(ri.pull);
        runtime_image_done(&ri);
        assert_int_equal(code_runtime_image("python3.12", overrides, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "py:1");
        runtime_image_done(&ri);

        /* A file, for AWS's ids and the operator's own. */
        assert_int_equal(code_runtime_image("python3.12", NULL, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "local-python:3.12");
        assert_true(ri.pull);
        runtime_image_done(&ri);
        assert_int_equal(code_runtime_image("nodejs20.x", NULL, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "local-node:20");
        assert_false(ri.pull);
        runtime_image_done(&ri);
        assert_int_equal(code_runtime_image("cobol1.x", NULL, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "cobol:1");
        runtime_image_done(&ri);

        /* AWS's base image otherwise, never pulled unless allowed. */
        assert_int_equal(code_runtime_image("nodejs24.x", overrides, dir, &ri, &error), 0);
        assert_string_equal(ri.image, "public.ecr.aws/lambda/nodejs:24");
        assert_false(ri.pull);
        runtime_image_done(&ri);
        assert_int_equal(code_runtime_image("provided.al2023", NULL, NULL, &ri, &error), 0);
        assert_string_equal(ri.image, "public.ecr.aws/lambda/provided:al2023");
        runtime_image_done(&ri);

        /* What is wrong, and how to fix it. */
        assert_int_equal(code_runtime_image("fortran9.x", NULL, dir, &ri, &error), -ENOENT);
        assert_non_null(strstr(error, "runtime \"fortran9.x\" is not one of AWS's"));
        assert_non_null(strstr(error, "--runtime=fortran9.x=IMAGE"));
        assert_non_null(strstr(error, "/fortran9.x.json"));
        free(error);
        error = NULL;
        assert_int_equal(code_runtime_image("ruby3.3", NULL, dir, &ri, &error), -EINVAL);
        assert_non_null(strstr(error, "ruby3.3.json: expected {\"image\": IMAGE_REFERENCE"));
        assert_non_null(strstr(error, "\"pul\""));
        free(error);
        error = NULL;
        assert_int_equal(code_runtime_image("ruby3.4", NULL, dir, &ri, &error), -EINVAL);
        assert_non_null(strstr(error, "ruby3.4.json: image: missing"));
        free(error);
        error = NULL;
        assert_int_equal(code_runtime_image("java21", NULL, dir, &ri, &error), -EINVAL);
        assert_non_null(strstr(error, "java21.json: expected a JSON object"));
        free(error);
        error = NULL;
        assert_int_equal(code_runtime_image("../etc", NULL, dir, &ri, &error), -EINVAL);
        free(error);
        error = NULL;

        for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                _cleanup_free_ char *path = NULL;

                assert_true(asprintf(&path, "%s/%s", dir, files[k]) > 0);
                assert_int_equal(unlink(path), 0);
        }
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_mapping),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
