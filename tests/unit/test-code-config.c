/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "strv.h"
#include "util.h"

static FunctionConfig *parse_ok(const char *json)
{
        FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;

        if (function_config_parse("fn", json, strlen(json), &f, &error) < 0)
                fail_msg("%s: %s", json, error);
        assert_non_null(f);
        return f;
}

static void expect_error(const char *json, const char *message)
{
        FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;

        assert_int_equal(function_config_parse("fn", json, strlen(json), &f, &error), -EINVAL);
        assert_null(f);
        assert_string_equal(error, message);
}

static void test_zip_declarations(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL, *g = NULL, *p = NULL, *d = NULL;

        f = parse_ok("{\"runtime\":\"nodejs22.x\",\"handler\":\"index.handler\",\"code\":\"/srv/f.zip\","
                     "\"layers\":[\"/srv/a.zip\",\"/srv/b.zip\"],\"memory_mb\":256}");
        assert_non_null(f->code);
        assert_null(f->image);
        assert_string_equal(f->code->runtime, "nodejs22.x");
        assert_string_equal(f->code->handler, "index.handler");
        assert_string_equal(f->code->zip, "/srv/f.zip");
        assert_null(f->code->directory);
        assert_int_equal(strv_length(f->code->layers), 2);
        assert_string_equal(f->code->layers[1], "/srv/b.zip");
        assert_int_equal(f->memory_mb, 256);

        /* Another handler, or the same code prepared elsewhere, is another function. */
        g = parse_ok("{\"runtime\":\"nodejs22.x\",\"handler\":\"index.other\",\"code\":\"/srv/f.zip\","
                     "\"layers\":[\"/srv/a.zip\",\"/srv/b.zip\"],\"memory_mb\":256}");
        assert_false(function_config_equal(f, g));
        free(g->code->handler);
        g->code->handler = strdup("index.handler");
        assert_true(function_config_equal(f, g));
        strcpy(g->code->code_sha256, "x");
        assert_false(function_config_equal(f, g));

        /* A custom runtime may go without a handler; a folder instead of a zip, no layers. */
        p = parse_ok("{\"runtime\":\"provided.al2023\",\"code_directory\":\"/home/me/fn\"}");
        assert_null(p->code->handler);
        assert_string_equal(p->code->directory, "/home/me/fn");
        assert_int_equal(strv_length(p->code->layers), 0);
        assert_non_null(p->code->layers);
        d = parse_ok("{\"runtime\":\"cobol1.x\",\"handler\":\"a.b\",\"code\":\"/a.zip\"}");

        expect_error("{\"runtime\":\"nodejs22.x\",\"code\":\"/a.zip\"}",
                     "handler: missing, expected the function's handler (such as index.handler) for runtime "
                     "nodejs22.x");
        expect_error("{\"handler\":\"a.b\",\"code\":\"/a.zip\"}",
                     "runtime: missing, a zip function needs its runtime, handler and code");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\"}",
                     "code, code_directory: expected exactly one of them");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\","
                     "\"code_directory\":\"/a\"}",
                     "code, code_directory: expected exactly one of them");
        expect_error("{\"image\":\"x\",\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\"}",
                     "image: a zip function (runtime, handler, code) has no image settings");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\",\"command\":[]}",
                     "command: a zip function (runtime, handler, code) has no image settings");
        expect_error(
                "{\"runtime\":\"Python3.12\"}",
                "runtime: expected a runtime identifier such as nodejs22.x, python3.12 or provided.al2023");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a b\"}",
                     "handler: expected 1 to 128 characters without white space, such as index.handler");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"a.zip\"}",
                     "code: expected an absolute path without '.', '..' or '//' components");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code_directory\":\"/a/../b\"}",
                     "code_directory: expected an absolute path without '.', '..' or '//' components");
        expect_error(
                "{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\",\"layers\":\"/l.zip\"}",
                "layers: expected an array of 0 to 5 zip files");
        expect_error("{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\",\"layers\":"
                     "[\"/1\",\"/2\",\"/3\",\"/4\",\"/5\",\"/6\"]}",
                     "layers: expected an array of 0 to 5 zip files");
        expect_error(
                "{\"runtime\":\"python3.12\",\"handler\":\"a.b\",\"code\":\"/a.zip\",\"layers\":[\"/1\",7]}",
                "layers[1]: expected an absolute path without '.', '..' or '//' components");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_zip_declarations),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
