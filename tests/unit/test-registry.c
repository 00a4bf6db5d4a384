/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "function-env.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

#define IMAGE_EXPECTED                                                                                      \
        "a Docker image reference (1 to 255 characters of A-Z, a-z, 0-9, '.', '_', '/', ':', '@' and '-', " \
        "not starting with '-')"
#define KEYS                                                                                                \
        "image, environment, environment_files, memory_mb, timeout_sec, cpus, min_instances, "              \
        "max_instances, idle_timeout_sec, freeze_after_ms, spare_instances, pull, command, "                \
        "entrypoint, working_directory, user, url, maximum_retry_attempts, maximum_event_age_sec, "         \
        "on_success, on_failure, engine_runtime, network, runtime, handler, code, code_directory, layers, " \
        "description, tags"

static FunctionConfig *parse_ok(const char *json)
{
        FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = function_config_parse("hello", json, strlen(json), &f, &error);
        if (r < 0)
                fail_msg("%s: %s", json, error);
        assert_non_null(f);
        return f;
}

static void expect_error_len(const char *json, size_t len, const char *message)
{
        FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;

        assert_int_equal(function_config_parse("hello", json, len, &f, &error), -EINVAL);
        assert_null(f);
        assert_non_null(error);
        assert_string_equal(error, message);
}

static void expect_error(const char *json, const char *message)
{
        expect_error_len(json, strlen(json), message);
}

static void test_function_name(void **state)
{
        _cleanup_free_ char *max = NULL, *long_name = NULL;

        assert_true(function_name_is_valid("hello"));
        assert_true(function_name_is_valid("Hello_World-2"));
        assert_true(function_name_is_valid("a"));
        assert_true(function_name_is_valid("-"));
        max = calloc(66, 1);
        memset(max, 'x', 64);
        assert_true(function_name_is_valid(max));
        long_name = calloc(66, 1);
        memset(long_name, 'x', 65);
        assert_false(function_name_is_valid(long_name));

        assert_false(function_name_is_valid(NULL));
        assert_false(function_name_is_valid(""));
        assert_false(function_name_is_valid("hello.json"));
        assert_false(function_name_is_valid("a/b"));
        assert_false(function_name_is_valid("../etc"));
        assert_false(function_name_is_valid("hello world"));
        assert_false(function_name_is_valid("héllo"));
        assert_false(function_name_is_valid("hello:1"));
}

static void test_image_reference(void **state)
{
        _cleanup_free_ char *max = NULL, *too_long = NULL;

        assert_true(image_reference_is_valid("hello"));
        assert_true(image_reference_is_valid("hello:latest"));
        assert_true(image_reference_is_valid("registry.example.com:5000/team/hello:v1.2-rc_3"));
        assert_true(image_reference_is_valid(
                "hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        max = calloc(257, 1);
        memset(max, 'a', 255);
        assert_true(image_reference_is_valid(max));
        too_long = calloc(257, 1);
        memset(too_long, 'a', 256);
        assert_false(image_reference_is_valid(too_long));

        assert_false(image_reference_is_valid(NULL));
        assert_false(image_reference_is_valid(""));
        assert_false(image_reference_is_valid("-hello"));
        assert_false(image_reference_is_valid("--privileged"));
        assert_false(image_reference_is_valid("hello latest"));
        assert_false(image_reference_is_valid("hello\n"));
        assert_false(image_reference_is_valid("hello;rm"));
        assert_false(image_reference_is_valid("héllo"));
}

static void test_defaults(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *f = parse_ok("{\"image\": \"hello:latest\"}");

        assert_string_equal(f->name, "hello");
        assert_string_equal(f->image, "hello:latest");
        assert_non_null(f->env);
        assert_null(f->env[0]);
        assert_int_equal(f->memory_mb, 128);
        assert_int_equal(f->timeout_sec, 3);
        assert_int_equal(f->nano_cpus, 0);
        assert_int_equal(f->min_instances, 0);
        assert_int_equal(f->max_instances, 4);
        assert_int_equal(f->idle_timeout_usec, 300 * USEC_PER_SEC);
        assert_int_equal(f->freeze_after_usec, 1000 * USEC_PER_MSEC);
        assert_false(f->pull);
        assert_false(f->implicit);
}

static void test_all_fields(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *f =
                parse_ok("{\n"
                         "  \"image\": \"registry.local:5000/hello@sha256:abc\",\n"
                         "  \"environment\": {\"B\": \"2\", \"A0\": \"x=y\", \"A\": \"\", \"_HANDLER\": "
                         "\"app.handler\",\n"
                         "                    \"AWS_LAMBDA_LOG_FORMAT\": \"JSON\", \"lower_case\": \"é\"},\n"
                         "  \"memory_mb\": 10240,\n"
                         "  \"timeout_sec\": 900,\n"
                         "  \"cpus\": 1.5,\n"
                         "  \"min_instances\": 2,\n"
                         "  \"max_instances\": 1000,\n"
                         "  \"idle_timeout_sec\": 86400,\n"
                         "  \"pull\": true,\n"
                         "  \"description\": \"Grüße\",\n"
                         "  \"tags\": {\"team\": \"web\", \"env\": \"\"}\n"
                         "}\n");

        assert_string_equal(f->image, "registry.local:5000/hello@sha256:abc");
        /* Sorted by name, not by the whole entry ("A0=" would sort before "A="). */
        assert_int_equal(strv_length(f->env), 6);
        assert_string_equal(f->env[0], "A=");
        assert_string_equal(f->env[1], "A0=x=y");
        assert_string_equal(f->env[2], "AWS_LAMBDA_LOG_FORMAT=JSON");
        assert_string_equal(f->env[3], "B=2");
        assert_string_equal(f->env[4], "_HANDLER=app.handler");
        assert_string_equal(f->env[5], "lower_case=é");
        assert_int_equal(f->memory_mb, 10240);
        assert_int_equal(f->timeout_sec, 900);
        assert_int_equal(f->nano_cpus, 1500000000);
        assert_int_equal(f->min_instances, 2);
        assert_int_equal(f->max_instances, 1000);
        assert_int_equal(f->idle_timeout_usec, 86400 * USEC_PER_SEC);
        assert_true(f->pull);
        assert_false(f->implicit);
        assert_string_equal(f->description, "Grüße");
        assert_int_equal(strv_length(f->tags), 2);
        assert_string_equal(f->tags[0], "env=");
        assert_string_equal(f->tags[1], "team=web");
        /* The text it came from, for those who ask for the declaration. */
        assert_non_null(strstr(f->declaration, "\"tags\""));
}

static void test_ranges(void **state)
{
        FunctionConfig *f;

        /* The lower bounds, and cpus given as an integer. */
        f = parse_ok(
                "{\"image\":\"a\",\"memory_mb\":128,\"timeout_sec\":1,\"cpus\":0.01,\"min_instances\":0,"
                "\"max_instances\":1,\"idle_timeout_sec\":1,\"pull\":false,\"environment\":{}}");
        assert_int_equal(f->nano_cpus, 10000000);
        assert_int_equal(f->max_instances, 1);
        assert_int_equal(f->idle_timeout_usec, USEC_PER_SEC);
        function_config_free(f);

        f = parse_ok("{\"image\":\"a\",\"max_instances\":2,\"spare_instances\":2}");
        assert_int_equal(f->spare_instances, 2);
        function_config_free(f);

        /* freeze_after_ms: 0 disables freezing; the upper bound is a day. */
        f = parse_ok("{\"image\":\"a\",\"freeze_after_ms\":0}");
        assert_int_equal(f->freeze_after_usec, 0);
        function_config_free(f);
        f = parse_ok("{\"image\":\"a\",\"freeze_after_ms\":86400000}");
        assert_int_equal(f->freeze_after_usec, 86400000ULL * USEC_PER_MSEC);
        function_config_free(f);

        f = parse_ok("{\"image\":\"a\",\"cpus\":64}");
        assert_int_equal(f->nano_cpus, 64000000000);
        function_config_free(f);

        f = parse_ok("{\"image\":\"a\",\"cpus\":0.333333333333}");
        assert_int_equal(f->nano_cpus, 333333333);
        function_config_free(f);

        /* min_instances may equal max_instances. */
        f = parse_ok("{\"image\":\"a\",\"min_instances\":4}");
        assert_int_equal(f->min_instances, 4);
        function_config_free(f);

        f = parse_ok("{\"min_instances\":7,\"image\":\"a\",\"max_instances\":7}");
        assert_int_equal(f->min_instances, 7);
        function_config_free(f);

        /* max_instances 0: the function is throttled. */
        f = parse_ok("{\"image\":\"a\",\"max_instances\":0}");
        assert_int_equal(f->max_instances, 0);
        function_config_free(f);
}

static void test_invalid_values(void **state)
{
        char long_value[300];

        memset(long_value, 'x', 257);
        long_value[257] = 0;
        expect_error("{\"image\":\"a\",\"description\":7}",
                     "description: expected a string of at most 256 characters");
        expect_error("{\"image\":\"a\",\"tags\":[]}", "tags: expected an object of at most 50 strings");
        expect_error("{\"image\":\"a\",\"tags\":{\"a=b\":\"c\"}}",
                     "tags: expected keys of 1 to 128 characters without '='");
        expect_error("{\"image\":\"a\",\"tags\":{\"\":\"c\"}}",
                     "tags: expected keys of 1 to 128 characters without '='");
        expect_error("{\"image\":\"a\",\"tags\":{\"k\":1}}",
                     "tags.k: expected a string of at most 256 characters");
        {
                _cleanup_free_ char *json = NULL;

                assert_true(asprintf(&json, "{\"image\":\"a\",\"description\":\"%s\"}", long_value) > 0);
                expect_error(json, "description: expected a string of at most 256 characters");
        }
        expect_error("{\"image\":\"a\",\"memory_mb\":64}",
                     "memory_mb: expected an integer from 128 to 10240, got 64");
        expect_error("{\"image\":\"a\",\"memory_mb\":10241}",
                     "memory_mb: expected an integer from 128 to 10240, got 10241");
        expect_error("{\"image\":\"a\",\"memory_mb\":-128}",
                     "memory_mb: expected an integer from 128 to 10240, got -128");
        expect_error("{\"image\":\"a\",\"memory_mb\":18446744073709551616}",
                     "memory_mb: expected an integer from 128 to 10240, got 18446744073709551615");
        expect_error("{\"image\":\"a\",\"timeout_sec\":0}",
                     "timeout_sec: expected an integer from 1 to 900, got 0");
        expect_error("{\"image\":\"a\",\"timeout_sec\":901}",
                     "timeout_sec: expected an integer from 1 to 900, got 901");
        expect_error("{\"image\":\"a\",\"cpus\":0}", "cpus: expected a number from 0.01 to 64, got 0");
        expect_error("{\"image\":\"a\",\"cpus\":0.001}",
                     "cpus: expected a number from 0.01 to 64, got 0.001");
        expect_error("{\"image\":\"a\",\"cpus\":64.5}", "cpus: expected a number from 0.01 to 64, got 64.5");
        expect_error("{\"image\":\"a\",\"cpus\":-1}", "cpus: expected a number from 0.01 to 64, got -1");
        expect_error("{\"image\":\"a\",\"cpus\":NaN}", "cpus: expected a number from 0.01 to 64, got NaN");
        expect_error("{\"image\":\"a\",\"cpus\":1e400}",
                     "cpus: expected a number from 0.01 to 64, got 1e400");
        expect_error("{\"image\":\"a\",\"max_instances\":-1}",
                     "max_instances: expected an integer from 0 to 1000, got -1");
        /* 0 throttles the function (reserved concurrency 0); nothing may then be kept started. */
        expect_error("{\"image\":\"a\",\"max_instances\":0,\"min_instances\":1}",
                     "min_instances: expected an integer from 0 to max_instances (0), got 1");
        expect_error("{\"image\":\"a\",\"max_instances\":1001}",
                     "max_instances: expected an integer from 0 to 1000, got 1001");
        expect_error("{\"image\":\"a\",\"min_instances\":-1}",
                     "min_instances: expected an integer from 0 to 1000, got -1");
        expect_error("{\"image\":\"a\",\"idle_timeout_sec\":0}",
                     "idle_timeout_sec: expected an integer from 1 to 86400, got 0");
        expect_error("{\"image\":\"a\",\"idle_timeout_sec\":86401}",
                     "idle_timeout_sec: expected an integer from 1 to 86400, got 86401");
        expect_error("{\"image\":\"a\",\"max_instances\":2,\"spare_instances\":3}",
                     "spare_instances: expected an integer from 0 to max_instances (2), got 3");
        expect_error("{\"image\":\"a\",\"freeze_after_ms\":-1}",
                     "freeze_after_ms: expected an integer from 0 to 86400000, got -1");
        expect_error("{\"image\":\"a\",\"freeze_after_ms\":86400001}",
                     "freeze_after_ms: expected an integer from 0 to 86400000, got 86400001");
        expect_error("{\"image\":\"a\",\"freeze_after_ms\":1.5}",
                     "freeze_after_ms: expected an integer from 0 to 86400000, got 1.5");

        expect_error("{\"image\":\"-v\"}", "image: expected " IMAGE_EXPECTED ", got \"-v\"");
        expect_error("{\"image\":\"\"}", "image: expected " IMAGE_EXPECTED ", got \"\"");
        expect_error("{\"image\":\"a\\nb\"}", "image: expected " IMAGE_EXPECTED ", got \"a\\nb\"");
        /* json-c keeps a \u0000 inside the string; C would read only "hello". */
        expect_error("{\"image\":\"hello\\u0000 --privileged\"}",
                     "image: expected " IMAGE_EXPECTED ", got \"hello\\u0000 --privileged\"");
}

static void test_async(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *d = parse_ok("{\"image\":\"a\"}");
        _cleanup_(function_config_freep) FunctionConfig *f = parse_ok(
                "{\"image\":\"a\",\"maximum_retry_attempts\":0,\"maximum_event_age_sec\":60,"
                "\"on_success\":{\"function\":\"next\"},\"on_failure\":{\"directory\":\"/var/dlq\"}}");

        assert_int_equal(d->maximum_retry_attempts, 2);
        assert_int_equal(d->maximum_event_age_sec, 21600);
        assert_null(d->on_success);
        assert_null(d->on_failure);
        assert_int_equal(f->maximum_retry_attempts, 0);
        assert_int_equal(f->maximum_event_age_sec, 60);
        assert_string_equal(f->on_success, "function:next");
        assert_string_equal(f->on_failure, "directory:/var/dlq");
        assert_false(function_config_equal(d, f));

        expect_error("{\"image\":\"a\",\"maximum_retry_attempts\":3}",
                     "maximum_retry_attempts: expected an integer from 0 to 2, got 3");
        expect_error("{\"image\":\"a\",\"maximum_event_age_sec\":59}",
                     "maximum_event_age_sec: expected an integer from 60 to 21600, got 59");
        expect_error("{\"image\":\"a\",\"on_success\":\"next\"}",
                     "on_success: expected {\"function\": NAME} or {\"directory\": \"/ABSOLUTE/PATH\"}, "
                     "got \"next\"");
        expect_error("{\"image\":\"a\",\"on_failure\":{\"function\":\"a b\"}}",
                     "on_failure.function: expected 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_', got "
                     "\"a b\"");
        expect_error("{\"image\":\"a\",\"on_failure\":{\"directory\":\"/a/../etc\"}}",
                     "on_failure.directory: expected an absolute path without '.', '..' or '//' of at most "
                     "1000 characters, got \"/a/../etc\"");
        expect_error("{\"image\":\"a\",\"on_failure\":{\"directory\":\"dlq\"}}",
                     "on_failure.directory: expected an absolute path without '.', '..' or '//' of at most "
                     "1000 characters, got \"dlq\"");
        assert_true(destination_path_is_valid("/"));
        assert_false(destination_path_is_valid("/a/"));
        assert_false(destination_path_is_valid("/a/.."));
        assert_false(destination_path_is_valid("/a\nb"));
}

#define MISSING_IMAGE \
        "image: missing, expected " IMAGE_EXPECTED " (or runtime, handler and code for a zip function)"

static void test_missing_image(void **state)
{
        expect_error("{}", MISSING_IMAGE);
        expect_error("{\"memory_mb\":256}", MISSING_IMAGE);
}

static void test_wrong_types(void **state)
{
        /* json-c would convert all of these; the config must say what it means. */
        expect_error("{\"image\":\"a\",\"memory_mb\":\"128\"}",
                     "memory_mb: expected an integer from 128 to 10240, got \"128\"");
        expect_error("{\"image\":\"a\",\"memory_mb\":128.0}",
                     "memory_mb: expected an integer from 128 to 10240, got 128.0");
        expect_error("{\"image\":\"a\",\"timeout_sec\":true}",
                     "timeout_sec: expected an integer from 1 to 900, got true");
        expect_error("{\"image\":\"a\",\"timeout_sec\":null}",
                     "timeout_sec: expected an integer from 1 to 900, got null");
        expect_error("{\"image\":\"a\",\"max_instances\":[4]}",
                     "max_instances: expected an integer from 0 to 1000, got [4]");
        expect_error("{\"image\":\"a\",\"cpus\":\"1\"}",
                     "cpus: expected a number from 0.01 to 64, got \"1\"");
        expect_error("{\"image\":\"a\",\"pull\":\"true\"}", "pull: expected true or false, got \"true\"");
        expect_error("{\"image\":\"a\",\"pull\":1}", "pull: expected true or false, got 1");
        expect_error("{\"image\":5}", "image: expected " IMAGE_EXPECTED ", got 5");
        expect_error("{\"image\":null}", "image: expected " IMAGE_EXPECTED ", got null");
        expect_error("{\"image\":\"a\",\"environment\":[\"A=1\"]}",
                     "environment: expected an object of strings, got [\"A=1\"]");
        expect_error("{\"image\":\"a\",\"environment\":\"A=1\"}",
                     "environment: expected an object of strings, got \"A=1\"");
        expect_error("{\"image\":\"a\",\"environment\":{\"PORT\":8080}}",
                     "environment.PORT: expected a string, got 8080");
        expect_error("{\"image\":\"a\",\"environment\":{\"X\":null}}",
                     "environment.X: expected a string, got null");
        expect_error("{\"image\":\"a\",\"environment\":{\"X\":\"a\\u0000b\"}}",
                     "environment.X: expected a string, got \"a\\u0000b\"");
}

static void test_unknown_key(void **state)
{
        expect_error("{\"image\":\"a\",\"memroy_mb\":256}",
                     "\"memroy_mb\": unknown key, expected one of " KEYS);
        expect_error("{\"Image\":\"a\"}", "\"Image\": unknown key, expected one of " KEYS);
        /* Control characters in keys are escaped, so an error message cannot forge log lines. */
        expect_error("{\"image\":\"a\",\"x\\n<3>y\":1}",
                     "\"x\\x0a<3>y\": unknown key, expected one of " KEYS);
}

static void test_image_config(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *plain = parse_ok("{\"image\":\"x\"}"), *f = NULL,
                                                        *empty = NULL;

        /* Not given: the image's own, and Lambda's unprivileged user. */
        assert_null(plain->entrypoint);
        assert_null(plain->command);
        assert_null(plain->working_directory);
        assert_null(plain->user);

        f = parse_ok("{\"image\":\"x\",\"entrypoint\":[\"/usr/bin/npx\",\"aws-lambda-ric\"],"
                     "\"command\":[\"index.handler\",\"\"],\"working_directory\":\"/function\","
                     "\"user\":\"sbx_user1051:990\"}");
        assert_int_equal(strv_length(f->entrypoint), 2);
        assert_string_equal(f->entrypoint[1], "aws-lambda-ric");
        assert_int_equal(strv_length(f->command), 2);
        assert_string_equal(f->command[1], "");
        assert_string_equal(f->working_directory, "/function");
        assert_string_equal(f->user, "sbx_user1051:990");

        /* An empty command means "no arguments", not "the image's". */
        empty = parse_ok("{\"image\":\"x\",\"command\":[]}");
        assert_non_null(empty->command);
        assert_int_equal(strv_length(empty->command), 0);

        expect_error("{\"image\":\"x\",\"entrypoint\":[]}", "entrypoint: expected 1 to 1500 strings, got 0");
        expect_error("{\"image\":\"x\",\"entrypoint\":\"/bin/sh\"}",
                     "entrypoint: expected an array of strings, got \"/bin/sh\"");
        expect_error("{\"image\":\"x\",\"entrypoint\":[\"\"]}",
                     "entrypoint[0]: expected the program to run, got \"\"");
        expect_error("{\"image\":\"x\",\"command\":[\"a\",1]}", "command[1]: expected a string, got 1");
        expect_error("{\"image\":\"x\",\"command\":[\"a\\u0000b\"]}",
                     "command[0]: expected a string, got \"a\\u0000b\"");
        expect_error("{\"image\":\"x\",\"working_directory\":\"var/task\"}",
                     "working_directory: expected an absolute path of at most 1000 characters, got "
                     "\"var/task\"");
        expect_error(
                "{\"image\":\"x\",\"user\":\"a:b:c\"}",
                "user: expected a user and optional group, \"UID[:GID]\" or \"NAME[:GROUP]\" (at most 64 "
                "characters of A-Z, a-z, 0-9, '.', '_' and '-', one ':'), got \"a:b:c\"");
        expect_error(
                "{\"image\":\"x\",\"user\":\"\"}",
                "user: expected a user and optional group, \"UID[:GID]\" or \"NAME[:GROUP]\" (at most 64 "
                "characters of A-Z, a-z, 0-9, '.', '_' and '-', one ':'), got \"\"");

        assert_true(container_user_is_valid("993:990"));
        assert_true(container_user_is_valid("root"));
        assert_true(container_user_is_valid(CONTAINER_USER_DEFAULT));
        assert_false(container_user_is_valid(":990"));
        assert_false(container_user_is_valid("993:"));
        assert_false(container_user_is_valid("a b"));
        assert_false(container_user_is_valid(NULL));
}

static void test_environment(void **state)
{
        _cleanup_free_ char *big = NULL, *too_big = NULL;
        FunctionConfig *f;

        expect_error(
                "{\"image\":\"a\",\"environment\":{\"1X\":\"a\"}}",
                "environment: expected variable names of A-Z, a-z, 0-9 and '_' not starting with a digit, "
                "got \"1X\"");
        expect_error(
                "{\"image\":\"a\",\"environment\":{\"A=B\":\"a\"}}",
                "environment: expected variable names of A-Z, a-z, 0-9 and '_' not starting with a digit, "
                "got \"A=B\"");
        expect_error(
                "{\"image\":\"a\",\"environment\":{\"\":\"a\"}}",
                "environment: expected variable names of A-Z, a-z, 0-9 and '_' not starting with a digit, "
                "got \"\"");
        expect_error(
                "{\"image\":\"a\",\"environment\":{\"A-B\":\"a\"}}",
                "environment: expected variable names of A-Z, a-z, 0-9 and '_' not starting with a digit, "
                "got \"A-B\"");

        static const char *const reserved[] = {
                "AWS_LAMBDA_RUNTIME_API",
                "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_LAMBDA_FUNCTION_TIMEOUT",
                "AWS_LAMBDA_FUNCTION_VERSION",
                "LAMBDA_TASK_ROOT",
                "LAMBDA_RUNTIME_DIR",
        };
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
                _cleanup_free_ char *json = NULL, *message = NULL;

                assert_true(asprintf(&json, "{\"image\":\"a\",\"environment\":{\"OK\":\"1\",\"%s\":\"x\"}}",
                                     reserved[i]) > 0);
                assert_true(asprintf(&message, "environment: %s is reserved, lambdad sets it itself",
                                     reserved[i]) > 0);
                expect_error(json, message);
        }

        /* 4 KiB of names and values is allowed, one byte more is not. */
        big = malloc(8192);
        too_big = malloc(8192);
        (void) snprintf(big, 8192, "{\"image\":\"a\",\"environment\":{\"A\":\"%0*d\"}}", 4095, 0);
        (void) snprintf(too_big, 8192, "{\"image\":\"a\",\"environment\":{\"A\":\"%0*d\"}}", 4096, 0);
        f = parse_ok(big);
        assert_int_equal(strlen(f->env[0]), 4097);
        function_config_free(f);
        expect_error(too_big,
                     "environment: expected at most 4096 bytes of names and values in total, got 4097");

        /* A later "environment" replaces an earlier one, as json-c keeps the last of duplicate keys. */
        f = parse_ok("{\"image\":\"a\",\"environment\":{\"A\":\"1\"},\"environment\":{\"B\":\"2\"}}");
        assert_int_equal(strv_length(f->env), 1);
        assert_string_equal(f->env[0], "B=2");
        function_config_free(f);
}

static void test_min_max(void **state)
{
        expect_error("{\"image\":\"a\",\"min_instances\":5}",
                     "min_instances: expected an integer from 0 to max_instances (4), got 5");
        expect_error("{\"image\":\"a\",\"min_instances\":3,\"max_instances\":2}",
                     "min_instances: expected an integer from 0 to max_instances (2), got 3");
        expect_error("{\"max_instances\":2,\"min_instances\":3,\"image\":\"a\"}",
                     "min_instances: expected an integer from 0 to max_instances (2), got 3");
}

static void test_invalid_json(void **state)
{
        _cleanup_free_ char *deep = NULL, *huge = NULL;
        _cleanup_free_ char *error = NULL;
        FunctionConfig *f = NULL;

        expect_error("", "expected a JSON object, got an empty file");
        expect_error("[1]", "expected a JSON object, got [1]");
        expect_error("\"hello\"", "expected a JSON object, got \"hello\"");
        expect_error("null", "expected a JSON object, got null");
        expect_error("42", "expected a JSON object, got 42");
        expect_error("  \n ", "invalid JSON at line 2, column 2: unexpected end of file");
        expect_error("{\"image\":\"a", "invalid JSON at line 1, column 12: unexpected end of file");
        expect_error("{\"image\":\"a\"", "invalid JSON at line 1, column 13: unexpected end of file");
        expect_error("{\"image\":\"a\",}", "invalid JSON at line 1, column 14: unexpected character");
        expect_error("{\"image\":\"a\"} {}", "invalid JSON at line 1, column 15: unexpected character");
        expect_error("{\n  \"image\": \"a\" // comment\n}",
                     "invalid JSON at line 2, column 16: object value separator ',' expected");
        expect_error("{\"image\":\"a\",\"memory_mb\":0128}",
                     "invalid JSON at line 1, column 30: number expected");
        expect_error("{\"image\":\"\xff\"}", "invalid JSON at line 1, column 11: invalid utf-8 string");
        expect_error("{\"image\":\"a\",\"pull\":True}",
                     "invalid JSON at line 1, column 21: boolean expected");
        expect_error_len("{\"image\":\"a\"}\0junk", 18, "invalid JSON at line 1, column 14: NUL byte");
        expect_error("{\"image\":\"a\",\"environment\":{\"A\":{\"B\":{\"C\":{\"D\":{\"E\":1}}}}}}",
                     "invalid JSON at line 1, column 48: nesting too deep");

        /* Deep nesting is refused early, not recursed into. */
        deep = malloc(100001);
        memset(deep, '[', 100000);
        deep[100000] = 0;
        expect_error_len(deep, 100000, "expected at most 65536 bytes of JSON, got 100000");
        expect_error_len(deep, 1000, "invalid JSON at line 1, column 6: nesting too deep");

        /* Whitespace is fine; 64 KiB is the limit. */
        huge = malloc(FUNCTION_CONFIG_SIZE_MAX + 2);
        memset(huge, ' ', FUNCTION_CONFIG_SIZE_MAX + 1);
        memcpy(huge, "{\"image\":\"a\"}", STRLEN("{\"image\":\"a\"}"));
        huge[FUNCTION_CONFIG_SIZE_MAX + 1] = 0;
        assert_int_equal(function_config_parse("hello", huge, FUNCTION_CONFIG_SIZE_MAX, &f, &error), 0);
        function_config_free(f);
        f = NULL;
        expect_error_len(huge, FUNCTION_CONFIG_SIZE_MAX + 1,
                         "expected at most 65536 bytes of JSON, got 65537");

        /* ret_error may be NULL. */
        assert_int_equal(function_config_parse("hello", "{}", 2, &f, NULL), -EINVAL);
        assert_null(f);
}

static void test_invalid_name(void **state)
{
        FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;
        const char *json = "{\"image\":\"a\"}";

        assert_int_equal(function_config_parse("a b", json, strlen(json), &f, &error), -EINVAL);
        assert_string_equal(
                error,
                "invalid function name \"a b\": expected 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'");
        free(error);
        error = NULL;
        assert_int_equal(function_config_parse("", json, strlen(json), &f, &error), -EINVAL);
        assert_string_equal(
                error,
                "invalid function name \"\": expected 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'");
        free(error);
        error = NULL;
        assert_int_equal(function_config_parse("x\x1b[2Jy", json, strlen(json), &f, &error), -EINVAL);
        assert_string_equal(error,
                            "invalid function name \"x\\x1b[2Jy\": expected 1 to 64 characters of A-Z, a-z, "
                            "0-9, '-' and '_'");
        free(error);
        error = NULL;
        assert_int_equal(
                function_config_parse("ééééééééééééééééééééééééééééééééé", json, strlen(json), &f, &error),
                -EINVAL);
        /* Cut short, on an escape boundary. */
        assert_string_equal(error,
                            "invalid function name "
                            "\"\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3\\xa9\\xc3"
                            "\"...: expected 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'");
        assert_null(f);
}

static void test_implicit(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL, *declared = NULL;
        FunctionConfig *g = NULL;

        assert_int_equal(function_config_new_implicit("hello", &f), 0);
        assert_string_equal(f->name, "hello");
        assert_string_equal(f->image, "hello:latest");
        assert_true(f->implicit);
        assert_non_null(f->env);
        assert_null(f->env[0]);
        assert_int_equal(f->memory_mb, 128);
        assert_int_equal(f->timeout_sec, 3);
        assert_int_equal(f->max_instances, 4);
        assert_int_equal(f->idle_timeout_usec, 300 * USEC_PER_SEC);
        assert_int_equal(f->freeze_after_usec, 1000 * USEC_PER_MSEC);
        assert_false(f->pull);

        /* Declaring exactly what the convention gives is the same function. */
        declared = parse_ok("{\"image\":\"hello:latest\"}");
        assert_true(function_config_equal(f, declared));

        assert_int_equal(function_config_new_implicit("a/b", &g), -EINVAL);
        assert_int_equal(function_config_new_implicit("", &g), -EINVAL);
        assert_int_equal(function_config_new_implicit(NULL, &g), -EINVAL);
        assert_int_equal(function_config_new_implicit("-rm", &g), -EINVAL);
        assert_null(g);
}

static void test_equal(void **state)
{
        static const char *const variants[] = {
                "{\"image\":\"hello:v2\"}",
                "{\"image\":\"hello:latest\",\"environment\":{\"A\":\"1\"}}",
                "{\"image\":\"hello:latest\",\"environment\":{\"A\":\"2\"}}",
                "{\"image\":\"hello:latest\",\"memory_mb\":256}",
                "{\"image\":\"hello:latest\",\"timeout_sec\":4}",
                "{\"image\":\"hello:latest\",\"cpus\":1}",
                "{\"image\":\"hello:latest\",\"min_instances\":1}",
                "{\"image\":\"hello:latest\",\"max_instances\":5}",
                "{\"image\":\"hello:latest\",\"idle_timeout_sec\":301}",
                "{\"image\":\"hello:latest\",\"pull\":true}",
                "{\"image\":\"hello:latest\",\"entrypoint\":[\"/x\"]}",
                "{\"image\":\"hello:latest\",\"command\":[]}",
                "{\"image\":\"hello:latest\",\"command\":[\"a\"]}",
                "{\"image\":\"hello:latest\",\"working_directory\":\"/\"}",
                "{\"image\":\"hello:latest\",\"user\":\"0\"}",
        };
        _cleanup_(function_config_freep) FunctionConfig *a = NULL, *b = NULL, *other = NULL;
        _cleanup_free_ char *error = NULL;
        const char *json = "{\"image\":\"hello:latest\",\"environment\":{\"A\":\"1\",\"B\":\"2\"}}";

        /* Key order in the file does not matter. */
        a = parse_ok(json);
        b = parse_ok(
                "{\"environment\":{\"B\":\"2\",\"A\":\"1\"},\"image\":\"hello:latest\",\"memory_mb\":128}");
        assert_true(function_config_equal(a, b));
        assert_true(function_config_equal(a, a));
        assert_true(function_config_equal(NULL, NULL));
        assert_false(function_config_equal(a, NULL));
        assert_false(function_config_equal(NULL, a));

        assert_int_equal(function_config_parse("other", json, strlen(json), &other, &error), 0);
        assert_false(function_config_equal(a, other));

        for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
                _cleanup_(function_config_freep) FunctionConfig *plain =
                        parse_ok("{\"image\":\"hello:latest\"}");
                _cleanup_(function_config_freep) FunctionConfig *v = parse_ok(variants[i]);

                if (function_config_equal(plain, v))
                        fail_msg("%s compares equal to the defaults", variants[i]);
        }
}

/* Temporary directory helpers for registry_load(). */

static void test_url(void **state)
{
        _cleanup_(function_config_freep) FunctionConfig *none = NULL, *full = NULL, *plain = NULL;

        plain = parse_ok("{\"image\":\"a\"}");
        assert_null(plain->url);

        none = parse_ok("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\"}}");
        assert_non_null(none->url);
        assert_string_equal(none->url->auth, "NONE");
        assert_string_equal(none->url->invoke_mode, "BUFFERED");
        assert_string_equal(none->url->cors_json, "{}");
        assert_false(function_config_equal(plain, none));

        full = parse_ok(
                "{\"image\":\"a\",\"url\":{\"auth\":\"AWS_IAM\",\"invoke_mode\":\"RESPONSE_STREAM\","
                "\"cors\":{\"allow_origins\":[\"http://a.example:8080\",\"*\"],\"allow_methods\":[\"GET\"],"
                "\"allow_headers\":[\"content-type\"],\"expose_headers\":[\"x-id\"],\"max_age\":60,"
                "\"allow_credentials\":true}}}");
        assert_string_equal(full->url->auth, "AWS_IAM");
        assert_string_equal(full->url->invoke_mode, "RESPONSE_STREAM");
        assert_string_equal(full->url->cors_json,
                            "{\"AllowOrigins\":[\"http://a.example:8080\",\"*\"],\"AllowMethods\":[\"GET\"],"
                            "\"AllowHeaders\":[\"content-type\"],\"ExposeHeaders\":[\"x-id\"],\"MaxAge\":60,"
                            "\"AllowCredentials\":true}");
        assert_false(function_config_equal(none, full));

        expect_error("{\"image\":\"a\",\"url\":true}",
                     "url: expected an object with keys auth, invoke_mode, cors");
        expect_error("{\"image\":\"a\",\"url\":{}}", "url.auth: missing, expected \"NONE\" or \"AWS_IAM\"");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"none\"}}",
                     "url.auth: expected \"NONE\" or \"AWS_IAM\"");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"invoke_mode\":1}}",
                     "url.invoke_mode: expected \"BUFFERED\" or \"RESPONSE_STREAM\"");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"x\":1}}",
                     "url: unknown key, expected one of auth, invoke_mode, cors");
        expect_error(
                "{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allow_origins\":[\"example.com\"]}}"
                "}",
                "url.cors.allow_origins[0]: expected origins: \"*\" or SCHEME://HOST[:PORT] of at most 253 "
                "characters");
        expect_error(
                "{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allow_methods\":[\"TRACE\"]}}}",
                "url.cors.allow_methods[0]: expected methods: GET, PUT, HEAD, POST, PATCH, DELETE or *");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allow_headers\":[\"a b\"]}}}",
                     "url.cors.allow_headers[0]: expected header names of at most 1024 characters");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"max_age\":86401}}}",
                     "url.cors.max_age: expected an integer from 0 to 86400");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allow_credentials\":1}}}",
                     "url.cors.allow_credentials: expected true or false");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allowOrigins\":[]}}}",
                     "url.cors: unknown key, expected one of allow_origins, allow_methods, allow_headers, "
                     "expose_headers, max_age, allow_credentials");
        expect_error("{\"image\":\"a\",\"url\":{\"auth\":\"NONE\",\"cors\":{\"allow_methods\":"
                     "[\"GET\",\"GET\",\"GET\",\"GET\",\"GET\",\"GET\",\"GET\"]}}}",
                     "url.cors.allow_methods: expected at most 6 entries, got 7");
}

static void write_file(const char *dir, const char *name, const char *content, size_t len)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, len), (ssize_t) len);
}

static void write_string(const char *dir, const char *name, const char *content)
{
        write_file(dir, name, content, strlen(content));
}

static void remove_tree(const char *dir)
{
        _cleanup_free_ char *command = NULL;

        assert_true(asprintf(&command, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(command), 0);
}

typedef struct Errors {
        char **paths;
        char **messages;
} Errors;

static void collect_error(const char *path, const char *message, void *userdata)
{
        Errors *e = userdata;

        assert_int_equal(strv_extend(&e->paths, path), 0);
        assert_int_equal(strv_extend(&e->messages, message), 0);
}

/* The message given for path, or NULL when there was none. */
static const char *error_for(const Errors *e, const char *dir, const char *name)
{
        _cleanup_free_ char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        for (size_t i = 0; e->paths && e->paths[i]; i++)
                if (strcmp(e->paths[i], path) == 0)
                        return e->messages[i];
        return NULL;
}

static void test_registry_load(void **state)
{
        _cleanup_(registry_freep) Registry *r = NULL;
        _cleanup_free_ char *big = NULL, *link = NULL, *fifo = NULL, *subdir = NULL;
        char dir[] = "/tmp/test-registry-XXXXXX";
        Errors e = {};

        assert_non_null(mkdtemp(dir));

        write_string(dir, "zeta.json", "{\"image\":\"zeta:1\",\"memory_mb\":256}");
        write_string(dir, "alpha.json", "{\"image\":\"alpha\"}");
        write_string(dir, "Mid_dle-1.json", "{\"image\":\"middle\",\"pull\":true}");
        /* Ignored: not *.json, or hidden. */
        write_string(dir, "README", "Put functions here.");
        write_string(dir, "alpha.json~", "{\"image\":\"old\"}");
        write_string(dir, "alpha.json.bak", "garbage");
        write_string(dir, ".hidden.json", "garbage");
        write_string(dir, ".json", "garbage");
        /* Bad. */
        write_string(dir, "typo.json", "{\"image\":\"a\",\"memroy_mb\":256}");
        write_string(dir, "broken.json", "{\"image\":");
        write_string(dir, "empty.json", "");
        write_string(dir, "bad name.json", "{\"image\":\"a\"}");
        big = malloc(FUNCTION_CONFIG_SIZE_MAX + 2);
        memset(big, ' ', FUNCTION_CONFIG_SIZE_MAX + 1);
        memcpy(big, "{\"image\":\"a\"}", STRLEN("{\"image\":\"a\"}"));
        write_file(dir, "big.json", big, FUNCTION_CONFIG_SIZE_MAX + 1);
        assert_true(asprintf(&link, "%s/link.json", dir) > 0);
        assert_int_equal(symlink("alpha.json", link), 0);
        assert_true(asprintf(&fifo, "%s/fifo.json", dir) > 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_true(asprintf(&subdir, "%s/dir.json", dir) > 0);
        assert_int_equal(mkdir(subdir, 0755), 0);

        assert_int_equal(registry_load(dir, collect_error, &e, &r), 0);

        assert_int_equal(r->n_functions, 3);
        /* Sorted by name (strcmp: upper case first). */
        assert_string_equal(r->functions[0]->name, "Mid_dle-1");
        assert_string_equal(r->functions[1]->name, "alpha");
        assert_string_equal(r->functions[2]->name, "zeta");
        assert_string_equal(r->functions[0]->image, "middle");
        assert_true(r->functions[0]->pull);
        assert_string_equal(r->functions[1]->image, "alpha");
        assert_int_equal(r->functions[2]->memory_mb, 256);

        assert_int_equal(strv_length(e.paths), 8);
        assert_string_equal(error_for(&e, dir, "typo.json"),
                            "\"memroy_mb\": unknown key, expected one of " KEYS);
        assert_string_equal(error_for(&e, dir, "broken.json"),
                            "invalid JSON at line 1, column 10: unexpected end of file");
        assert_string_equal(error_for(&e, dir, "empty.json"), "expected a JSON object, got an empty file");
        assert_string_equal(
                error_for(&e, dir, "bad name.json"),
                "invalid function name \"bad name\": expected 1 to 64 characters of A-Z, a-z, 0-9, "
                "'-' and '_'");
        assert_string_equal(error_for(&e, dir, "big.json"),
                            "expected at most 65536 bytes of JSON, got 65537");
        assert_string_equal(error_for(&e, dir, "link.json"), "is a symbolic link, refusing to follow it");
        assert_string_equal(error_for(&e, dir, "fifo.json"), "not a regular file");
        assert_string_equal(error_for(&e, dir, "dir.json"), "not a regular file");
        assert_null(error_for(&e, dir, "README"));
        assert_null(error_for(&e, dir, ".hidden.json"));

        assert_non_null(registry_find(r, "alpha"));
        assert_ptr_equal(registry_find(r, "zeta"), r->functions[2]);
        assert_null(registry_find(r, "link"));
        assert_null(registry_find(r, "typo"));

        /* No handler: bad files are skipped all the same. */
        registry_free(r);
        r = NULL;
        assert_int_equal(registry_load(dir, NULL, NULL, &r), 0);
        assert_int_equal(r->n_functions, 3);

        strv_free(e.paths);
        strv_free(e.messages);
        remove_tree(dir);
}

static void test_engine_runtime(void **state)
{
        FunctionConfig *f, *g;

        f = parse_ok("{\"image\":\"a\",\"engine_runtime\":\"runsc\"}");
        assert_string_equal(f->engine_runtime, "runsc");
        g = parse_ok("{\"image\":\"a\",\"engine_runtime\":\"kata-runtime\"}");
        /* Another runtime is another function: its instances are not kept on reload. */
        assert_false(function_config_equal(f, g));
        function_config_free(f);
        function_config_free(g);
        f = parse_ok("{\"image\":\"a\"}");
        assert_null(f->engine_runtime);
        function_config_free(f);

        expect_error(
                "{\"image\":\"a\",\"engine_runtime\":\"run sc\"}",
                "engine_runtime: expected the name of an OCI runtime the engine knows (2 to 128 characters "
                "of "
                "A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit), such as \"runsc\" or "
                "\"kata-runtime\", got \"run sc\"");
        expect_error(
                "{\"image\":\"a\",\"engine_runtime\":true}",
                "engine_runtime: expected the name of an OCI runtime the engine knows (2 to 128 characters "
                "of "
                "A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit), such as \"runsc\" or "
                "\"kata-runtime\", got true");
}

static void test_network(void **state)
{
        FunctionConfig *f, *g;

        f = parse_ok("{\"image\":\"a\"}");
        assert_int_equal(f->network, FUNCTION_NETWORK_DEFAULT);
        function_config_free(f);
        f = parse_ok("{\"image\":\"a\",\"network\":\"isolated\"}");
        assert_int_equal(f->network, FUNCTION_NETWORK_ISOLATED);
        g = parse_ok("{\"image\":\"a\",\"network\":\"shared\"}");
        assert_int_equal(g->network, FUNCTION_NETWORK_SHARED);
        assert_false(function_config_equal(f, g));
        function_config_free(g);
        g = parse_ok("{\"image\":\"a\",\"network\":\"none\"}");
        assert_int_equal(g->network, FUNCTION_NETWORK_NONE);
        assert_string_equal(function_network_to_string(g->network), "none");
        assert_false(function_config_equal(f, g));
        function_config_free(f);
        function_config_free(g);
        expect_error("{\"image\":\"a\",\"network\":\"host\"}",
                     "network: expected \"isolated\", \"shared\" or \"none\", got \"host\"");
        expect_error("{\"image\":\"a\",\"network\":\"None\"}",
                     "network: expected \"isolated\", \"shared\" or \"none\", got \"None\"");
        expect_error("{\"image\":\"a\",\"network\":null}",
                     "network: expected \"isolated\", \"shared\" or \"none\", got null");
}

static void test_environment_files(void **state)
{
        _cleanup_free_ char *json = NULL;
        FunctionConfig *f;

        f = parse_ok("{\"image\":\"a\",\"environment\":{\"B\":\"1\"},"
                     "\"environment_files\":{\"TOKEN\":\"/etc/lambdad/secrets/token\",\"A\":\"/run/a\"}}");
        assert_int_equal(strv_length(f->env_files), 2);
        assert_string_equal(f->env_files[0], "A=/run/a");
        assert_string_equal(f->env_files[1], "TOKEN=/etc/lambdad/secrets/token");
        /* Parsing reads nothing: the values come at load. */
        assert_int_equal(strv_length(f->env), 1);
        function_config_free(f);

        expect_error("{\"image\":\"a\",\"environment_files\":[\"/a\"]}",
                     "environment_files: expected an object of absolute paths, got [\"/a\"]");
        expect_error("{\"image\":\"a\",\"environment_files\":{\"A\":\"secret.txt\"}}",
                     "environment_files.A: expected an absolute path without '.', '..' or '//' components, "
                     "at most 1000 characters, got \"secret.txt\"");
        expect_error("{\"image\":\"a\",\"environment_files\":{\"A\":\"/etc/../shadow\"}}",
                     "environment_files.A: expected an absolute path without '.', '..' or '//' components, "
                     "at most 1000 characters, got \"/etc/../shadow\"");
        expect_error("{\"image\":\"a\",\"environment_files\":{\"A\":1}}",
                     "environment_files.A: expected an absolute path, got 1");
        expect_error("{\"image\":\"a\",\"environment_files\":{\"1A\":\"/a\"}}",
                     "environment_files: expected variable names of A-Z, a-z, 0-9 and '_' not starting with "
                     "a digit, got \"1A\"");
        expect_error("{\"image\":\"a\",\"environment_files\":{\"LAMBDA_RIE_SECRET\":\"/a\"}}",
                     "environment_files: LAMBDA_RIE_SECRET is reserved, lambdad sets it itself");
        expect_error("{\"image\":\"a\",\"environment\":{\"LAMBDA_RIE_SECRET\":\"x\"}}",
                     "environment: LAMBDA_RIE_SECRET is reserved, lambdad sets it itself");
        expect_error("{\"image\":\"a\",\"environment\":{\"A\":\"x\"},\"environment_files\":{\"A\":\"/a\"}}",
                     "environment_files: A is in environment too");
        /* The names of the files count before they are read. */
        assert_true(asprintf(&json,
                             "{\"image\":\"a\",\"environment\":{\"A\":\"%0*d\"},"
                             "\"environment_files\":{\"BB\":\"/b\"}}",
                             4094, 0) > 0);
        expect_error(json,
                     "environment_files: expected at most 4096 bytes of names and values in total, got 4097 "
                     "before the files are read");
}

/* What an error message says must never be what a file holds. */
#define FILE_SECRET "s3cr3t-d0-n0t-l0g"

/* DIR/NAME.json: a function with Z=1 in environment and environment_files VAR -> SECRETS/FILE for each
 * VAR, FILE pair of vars. */
static void declare_with_files(const char *dir, const char *name, const char *secrets,
                               const char *const *vars)
{
        _cleanup_free_ char *file = NULL;
        Buf decl = {};

        assert_int_equal(
                buf_printf(&decl, "{\"image\":\"a\",\"environment\":{\"Z\":\"1\"},\"environment_files\":{"),
                0);
        for (size_t k = 0; vars[k]; k += 2)
                assert_int_equal(buf_printf(&decl, "%s\"%s\":\"%s/%s\"", k > 0 ? "," : "", vars[k], secrets,
                                            vars[k + 1]),
                                 0);
        assert_int_equal(buf_printf(&decl, "}}"), 0);
        assert_true(asprintf(&file, "%s.json", name) > 0);
        write_file(dir, file, decl.data, decl.len);
        buf_done(&decl);
}

static void test_environment_files_load(void **state)
{
        /* One each: a file missing, with a NUL, not UTF-8, too large, a directory; and 4093 bytes of
         * value with AL, Z and 1: one byte too many, known only once it is read. */
        static const struct {
                const char *name, *var, *file;
        } bad[] = {
                { "missing", "MISSING", "missing" }, { "nul", "NUL", "nul" },
                { "latin", "LATIN", "latin1" },      { "big", "BIG", "big" },
                { "almost", "AL", "almost" },        { "dir", "DIR", "sub" },
        };
        _cleanup_(registry_freep) Registry *r = NULL, *again = NULL;
        _cleanup_free_ char *big = NULL, *path = NULL;
        char dir[] = "/tmp/test-registry-XXXXXX", secrets[] = "/tmp/test-registry-secrets-XXXXXX";
        const FunctionConfig *f;
        Errors e = {};

        assert_non_null(mkdtemp(dir));
        assert_non_null(mkdtemp(secrets));
        write_string(secrets, "token", FILE_SECRET "\n");
        write_string(secrets, "plain", "no newline");
        write_string(secrets, "two-newlines", FILE_SECRET "\n\n");
        write_file(secrets, "nul", FILE_SECRET "\0x", STRLEN(FILE_SECRET) + 2);
        write_string(secrets, "latin1", "caf\xe9");
        big = malloc(FUNCTION_ENV_SIZE_MAX + 1);
        memset(big, 'x', FUNCTION_ENV_SIZE_MAX + 1);
        write_file(secrets, "big", big, FUNCTION_ENV_SIZE_MAX + 1);
        write_file(secrets, "almost", big, FUNCTION_ENV_SIZE_MAX - 3);
        assert_true(asprintf(&path, "%s/sub", secrets) > 0);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
        path = NULL;

        declare_with_files(
                dir, "good", secrets,
                (const char *const[]){ "TOKEN", "token", "PLAIN", "plain", "TWO", "two-newlines", NULL });
        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                declare_with_files(dir, bad[k].name, secrets,
                                   (const char *const[]){ bad[k].var, bad[k].file, NULL });

        assert_int_equal(registry_load(dir, collect_error, &e, &r), 0);
        assert_int_equal(r->n_functions, 1);
        f = registry_find(r, "good");
        assert_non_null(f);
        /* The values, sorted with the others; one trailing newline dropped. */
        assert_int_equal(strv_length(f->env), 4);
        assert_string_equal(f->env[0], "PLAIN=no newline");
        assert_string_equal(f->env[1], "TOKEN=" FILE_SECRET);
        assert_string_equal(f->env[2], "TWO=" FILE_SECRET "\n");
        assert_string_equal(f->env[3], "Z=1");

        assert_true(asprintf(&path,
                             "environment_files.MISSING: cannot open %s/missing: No such file or directory",
                             secrets) > 0);
        assert_string_equal(error_for(&e, dir, "missing.json"), path);
        free(path);
        assert_true(asprintf(&path, "environment_files.NUL: %s/nul is not UTF-8 text without NUL bytes",
                             secrets) > 0);
        assert_string_equal(error_for(&e, dir, "nul.json"), path);
        free(path);
        assert_true(asprintf(&path, "environment_files.LATIN: %s/latin1 is not UTF-8 text without NUL bytes",
                             secrets) > 0);
        assert_string_equal(error_for(&e, dir, "latin.json"), path);
        free(path);
        assert_true(asprintf(&path, "environment_files.BIG: %s/big holds more than 4096 bytes", secrets) >
                    0);
        assert_string_equal(error_for(&e, dir, "big.json"), path);
        free(path);
        assert_string_equal(error_for(&e, dir, "almost.json"),
                            "environment_files: expected at most 4096 bytes of names and values in total "
                            "with the files' contents, got 4097");
        path = NULL;
        assert_non_null(strstr(error_for(&e, dir, "dir.json"), "is not a regular file"));
        for (size_t i = 0; e.messages[i]; i++)
                assert_null(strstr(e.messages[i], FILE_SECRET));

        /* A changed file changes the function: its instances are not kept on reload. */
        write_string(secrets, "token", "rotated");
        assert_int_equal(registry_load(dir, NULL, NULL, &again), 0);
        assert_false(function_config_equal(registry_find(r, "good"), registry_find(again, "good")));

        strv_free(e.paths);
        strv_free(e.messages);
        remove_tree(dir);
        remove_tree(secrets);
}

static void test_registry_load_missing(void **state)
{
        _cleanup_(registry_freep) Registry *r = NULL;
        Registry *none = NULL;
        char dir[] = "/tmp/test-registry-XXXXXX";
        _cleanup_free_ char *missing = NULL, *file = NULL;
        Errors e = {};

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&missing, "%s/functions.d", dir) > 0);
        assert_int_equal(registry_load(missing, collect_error, &e, &r), 0);
        assert_non_null(r);
        assert_int_equal(r->n_functions, 0);
        assert_null(registry_find(r, "hello"));
        assert_null(e.paths);

        /* An empty directory, likewise. */
        registry_free(r);
        r = NULL;
        assert_int_equal(registry_load(dir, collect_error, &e, &r), 0);
        assert_int_equal(r->n_functions, 0);

        /* Not a directory: the caller must hear about that. */
        write_string(dir, "file", "{}");
        assert_true(asprintf(&file, "%s/file", dir) > 0);
        assert_int_equal(registry_load(file, collect_error, &e, &none), -ENOTDIR);
        assert_null(none);

        remove_tree(dir);
}

static void test_registry_find(void **state)
{
        _cleanup_(registry_freep) Registry *r = NULL;
        static const char *const names[] = { "a", "b", "c", "d", "e" };

        assert_null(registry_find(NULL, "a"));

        r = calloc(1, sizeof(Registry));
        assert_null(registry_find(r, "a"));

        r->functions = calloc(ELEMENTSOF(names), sizeof(FunctionConfig *));
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                assert_int_equal(function_config_new_implicit(names[i], &r->functions[i]), 0);
                r->n_functions++;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                assert_ptr_equal(registry_find(r, names[i]), r->functions[i]);
        assert_null(registry_find(r, "0"));
        assert_null(registry_find(r, "bb"));
        assert_null(registry_find(r, "f"));
        assert_null(registry_find(r, ""));
        assert_null(registry_find(r, NULL));

        assert_null(registry_free(NULL));
        assert_null(function_config_free(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_function_name),
                cmocka_unit_test(test_image_reference),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_fields),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_invalid_values),
                cmocka_unit_test(test_missing_image),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_unknown_key),
                cmocka_unit_test(test_environment),
                cmocka_unit_test(test_environment_files),
                cmocka_unit_test(test_engine_runtime),
                cmocka_unit_test(test_network),
                cmocka_unit_test(test_environment_files_load),
                cmocka_unit_test(test_image_config),
                cmocka_unit_test(test_min_max),
                cmocka_unit_test(test_invalid_json),
                cmocka_unit_test(test_invalid_name),
                cmocka_unit_test(test_implicit),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_url),
                cmocka_unit_test(test_registry_load),
                cmocka_unit_test(test_registry_load_missing),
                cmocka_unit_test(test_registry_find),
                cmocka_unit_test(test_async),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
