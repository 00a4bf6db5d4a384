/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The control-plane API's store (api-store.h) in a temporary folder: functions, their versions
 * (NAME:N.version and .meta, listed in order, numbered past the highest ever published even once it
 * is deleted), their aliases (NAME.aliases), and a function's removal taking all of them along.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>

#include "api-store.h"
#include "macro.h"

static char dir[] = "/tmp/test-api-store.XXXXXX";

static const char *path_of(const char *name, char path[static PATH_MAX])
{
        (void) snprintf(path, PATH_MAX, "%s/%s", dir, name);
        return path;
}

static bool exists(const char *name)
{
        char path[PATH_MAX];

        return access(path_of(name, path), F_OK) == 0;
}

static void expect_versions(ApiStore *s, const char *name, const unsigned *expected, size_t n)
{
        unsigned *versions = NULL;
        size_t k = 99;

        assert_int_equal(api_store_list_versions(s, name, &versions, &k), 0);
        assert_int_equal(k, n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(versions[i], expected[i]);
        free(versions);
}

static void test_versions_and_aliases(void **state)
{
        _cleanup_(api_store_freep) ApiStore *s = NULL;
        json_object *aliases = NULL, *a;
        char *text = NULL;
        ApiMeta meta, read;
        unsigned next = 0;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(api_store_open(dir, &s), 0);
        assert_int_equal(api_meta_new(&meta), 0);

        /* No versions yet: the first is 1. */
        assert_int_equal(api_store_write(s, "fn", "{\"image\": \"x\"}", &meta), 0);
        expect_versions(s, "fn", NULL, 0);
        assert_int_equal(api_store_next_version(s, "fn", &next), 0);
        assert_int_equal(next, 1);

        /* Versions are NAME:N files beside the function's, listed in numeric order. */
        assert_int_equal(api_store_write(s, "fn:10", "{\"image\": \"x:10\"}", &meta), 0);
        assert_int_equal(api_store_write(s, "fn:9", "{\"image\": \"x:9\"}", &meta), 0);
        assert_int_equal(api_store_write(s, "fnx:1", "{\"image\": \"other\"}", &meta), 0);
        assert_true(exists("fn:10.version") && exists("fn:10.meta") && exists("fn.versions"));
        expect_versions(s, "fn", (const unsigned[]){ 9, 10 }, 2);
        assert_int_equal(api_store_read(s, "fn:9", &text, &read), 0);
        assert_string_equal(text, "{\"image\": \"x:9\"}");
        assert_string_equal(read.revision_id, meta.revision_id);
        free(text);

        /* The highest ever is remembered: deleting it does not give its number again. */
        assert_int_equal(api_store_remove(s, "fn:10"), 0);
        expect_versions(s, "fn", (const unsigned[]){ 9 }, 1);
        assert_true(exists("fn.json"));
        assert_int_equal(api_store_next_version(s, "fn", &next), 0);
        assert_int_equal(next, 11);
        assert_int_equal(api_store_read(s, "fn:10", NULL, NULL), -ENOENT);

        /* Names that are no function's or version's. */
        assert_int_equal(api_store_write(s, "fn:0", "{}", &meta), -EINVAL);
        assert_int_equal(api_store_write(s, "fn:x", "{}", &meta), -EINVAL);
        assert_int_equal(api_store_write(s, "../fn", "{}", &meta), -EINVAL);

        /* Aliases: none, then what was written. */
        assert_int_equal(api_store_read_aliases(s, "fn", &aliases), 0);
        assert_int_equal(json_object_object_length(aliases), 0);
        a = json_object_new_object();
        json_object_object_add(a, "function_version", json_object_new_string("9"));
        json_object_object_add(aliases, "live", a);
        assert_int_equal(api_store_write_aliases(s, "fn", aliases), 0);
        json_object_put(aliases);
        assert_int_equal(api_store_read_aliases(s, "fn", &aliases), 0);
        assert_true(json_object_object_get_ex(aliases, "live", &a));
        assert_string_equal(json_object_get_string(json_object_object_get(a, "function_version")), "9");
        json_object_put(aliases);

        /* The function goes with its versions and aliases, and no other function's. */
        assert_int_equal(api_store_remove(s, "fn"), 0);
        assert_false(exists("fn.json") || exists("fn.meta") || exists("fn:9.version") ||
                     exists("fn:9.meta") || exists("fn.versions") || exists("fn.aliases"));
        assert_true(exists("fnx:1.version"));
        assert_int_equal(api_store_remove(s, "fnx:1"), 0);
        {
                char path[PATH_MAX];

                /* fnx was never a function here: what it leaves is its number's record. */
                assert_int_equal(unlink(path_of("fnx.versions", path)), 0);
        }
}

static int teardown(void **state)
{
        char path[PATH_MAX];

        (void) rmdir(path_of("uploads", path));
        (void) rmdir(dir);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_versions_and_aliases),
        };

        return cmocka_run_group_tests(tests, NULL, teardown);
}
