/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rie-env.h"

static void test_defaults(void **state)
{
        char *env[] = { NULL };
        RieSettings s;
        const char *bad = NULL;
        _cleanup_free_ char *arn = NULL;

        assert_int_equal(rie_settings_from_env(&s, env, &bad), 0);
        assert_string_equal(s.function_name, "function");
        assert_string_equal(s.function_version, "$LATEST");
        assert_string_equal(s.region, "us-east-1");
        assert_int_equal(s.timeout_sec, 300);
        assert_int_equal(s.memory_mb, 3008);
        assert_false(s.eager_init);
        assert_int_equal(rie_function_arn(&s, &arn), 0);
        assert_string_equal(arn, "arn:aws:lambda:us-east-1:012345678912:function:function");
        rie_settings_done(&s);
}

static void test_from_env(void **state)
{
        char *env[] = {
                (char *) "AWS_LAMBDA_FUNCTION_NAME=hello",      (char *) "AWS_LAMBDA_FUNCTION_TIMEOUT=3",
                (char *) "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", (char *) "AWS_REGION=eu-west-1",
                (char *) "LAMBDA_RIE_EAGER_INIT=yes",           NULL
        };
        RieSettings s;
        const char *bad = NULL;

        assert_int_equal(rie_settings_from_env(&s, env, &bad), 0);
        assert_string_equal(s.function_name, "hello");
        assert_string_equal(s.region, "eu-west-1");
        assert_int_equal(s.timeout_sec, 3);
        assert_int_equal(s.memory_mb, 256);
        assert_true(s.eager_init);
        rie_settings_done(&s);
}

static void expect_bad(const char *var, const char *name)
{
        char *env[] = { (char *) var, NULL };
        RieSettings s;
        const char *bad = NULL;

        assert_int_equal(rie_settings_from_env(&s, env, &bad), -EINVAL);
        assert_string_equal(bad, name);
        rie_settings_done(&s);
}

static void test_invalid(void **state)
{
        expect_bad("AWS_LAMBDA_FUNCTION_TIMEOUT=0", "AWS_LAMBDA_FUNCTION_TIMEOUT");
        expect_bad("AWS_LAMBDA_FUNCTION_TIMEOUT=901", "AWS_LAMBDA_FUNCTION_TIMEOUT");
        expect_bad("AWS_LAMBDA_FUNCTION_TIMEOUT=3s", "AWS_LAMBDA_FUNCTION_TIMEOUT");
        expect_bad("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=64", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        expect_bad("LAMBDA_RIE_EAGER_INIT=perhaps", "LAMBDA_RIE_EAGER_INIT");
}

#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_take_secret(void **state)
{
        char a[] = "PATH=/bin", b[] = INSTANCE_SECRET_ENV "=" SECRET, c[] = "HOME=/tmp",
             d[] = INSTANCE_SECRET_ENV "=" SECRET, bad[] = INSTANCE_SECRET_ENV "=0123";
        char *env[] = { a, b, c, NULL }, *none[] = { a, NULL }, *twice[] = { b, d, c, NULL },
             *invalid[] = { bad, a, NULL };
        char secret[INSTANCE_SECRET_SIZE];

        /* Taken: copied, the entry's bytes overwritten where they are, the entry gone from the array. */
        assert_int_equal(rie_take_secret(env, secret), 1);
        assert_string_equal(secret, SECRET);
        assert_ptr_equal(env[0], a);
        assert_ptr_equal(env[1], c);
        assert_null(env[2]);
        for (size_t i = 0; i < sizeof(b); i++)
                assert_int_equal(b[i], 0);
        assert_null(env_get(env, INSTANCE_SECRET_ENV));

        assert_int_equal(rie_take_secret(none, secret), 0);
        assert_ptr_equal(none[0], a);
        assert_int_equal(rie_take_secret(NULL, secret), 0);

        /* Twice, or malformed: an error, and none of it stays behind. */
        memcpy(b, INSTANCE_SECRET_ENV "=" SECRET, sizeof(b));
        assert_int_equal(rie_take_secret(twice, secret), -EINVAL);
        assert_ptr_equal(twice[0], c);
        assert_null(twice[1]);
        assert_int_equal(b[0], 0);
        assert_int_equal(d[0], 0);
        assert_int_equal(rie_take_secret(invalid, secret), -EINVAL);
        assert_ptr_equal(invalid[0], a);
        assert_null(invalid[1]);
}

static void test_build(void **state)
{
        char *parent[] = { (char *) "PATH=/custom/bin", (char *) "_HANDLER=app.handler",
                           (char *) "AWS_LAMBDA_RUNTIME_API=evil:1", (char *) "MY_VAR=kept", NULL };
        char *none[] = { NULL };
        _cleanup_strv_free_ char **env = NULL;
        RieSettings s;
        const char *bad;

        assert_int_equal(rie_settings_from_env(&s, none, &bad), 0);
        assert_int_equal(rie_env_build(parent, &s, "127.0.0.1:9001", "2026/01/01/[$LATEST]abc", &env), 0);

        /* The image's own variables survive; what the emulator decides is forced. */
        assert_string_equal(env_get(env, "PATH"), "/custom/bin");
        assert_string_equal(env_get(env, "MY_VAR"), "kept");
        assert_string_equal(env_get(env, "_HANDLER"), "app.handler");
        assert_string_equal(env_get(env, "AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:9001");

        /* Everything the runtime interface clients need is there. */
        assert_string_equal(env_get(env, "AWS_LAMBDA_FUNCTION_NAME"), "function");
        assert_string_equal(env_get(env, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
        assert_string_equal(env_get(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "3008");
        assert_string_equal(env_get(env, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/function");
        assert_string_equal(env_get(env, "AWS_LAMBDA_LOG_STREAM_NAME"), "2026/01/01/[$LATEST]abc");
        assert_string_equal(env_get(env, "LAMBDA_TASK_ROOT"), "/var/task");
        assert_string_equal(env_get(env, "AWS_REGION"), "us-east-1");
        assert_non_null(env_get(env, "LAMBDA_RUNTIME_DIR"));
        assert_non_null(env_get(env, "TZ"));

        /* --handler overrides the image's _HANDLER. */
        strv_free(env);
        s.handler = strdup("other.handler");
        assert_int_equal(rie_env_build(parent, &s, "127.0.0.1:9001", "x", &env), 0);
        assert_string_equal(env_get(env, "_HANDLER"), "other.handler");
        rie_settings_done(&s);
}

static void test_handler_from_argv(void **state)
{
        char *no_env[] = { NULL };
        char *env_handler[] = { (char *) "_HANDLER=from.env", NULL };
        char *env_empty[] = { (char *) "_HANDLER=", NULL };
        char *base[] = { (char *) "/lambda-entrypoint.sh", (char *) "app.handler", NULL };
        char *ric[] = { (char *) "/usr/bin/npx", (char *) "aws-lambda-ric", (char *) "index.handler", NULL };
        char *alone[] = { (char *) "/var/task/bootstrap", NULL };
        RieSettings s = {};

        /* The image's CMD, last on the command line, is the handler. */
        assert_int_equal(rie_settings_handler_from_argv(&s, no_env, base), 1);
        assert_string_equal(s.handler, "app.handler");
        rie_settings_done(&s);
        assert_int_equal(rie_settings_handler_from_argv(&s, env_empty, ric), 1);
        assert_string_equal(s.handler, "index.handler");
        rie_settings_done(&s);

        /* What the environment or --handler says wins; a bootstrap alone says nothing. */
        assert_int_equal(rie_settings_handler_from_argv(&s, env_handler, base), 1);
        assert_null(s.handler);
        assert_int_equal(rie_settings_handler_from_argv(&s, no_env, alone), 1);
        assert_null(s.handler);
        assert_int_equal(rie_settings_handler_from_argv(&s, no_env, NULL), 1);
        assert_null(s.handler);
        s.handler = strdup("from.option");
        assert_int_equal(rie_settings_handler_from_argv(&s, no_env, base), 1);
        assert_string_equal(s.handler, "from.option");
        rie_settings_done(&s);
}

static void test_listen_from_env(void **state)
{
        char *none[] = { NULL };
        char *empty[] = { (char *) "LAMBDA_RIE_LISTEN=", NULL };
        char *unix_path[] = { (char *) "A=1", (char *) "LAMBDA_RIE_LISTEN=unix:/run/lambdad-rie/invoke.sock",
                              NULL };

        assert_string_equal(rie_listen_from_env(none), "0.0.0.0:8080");
        assert_string_equal(rie_listen_from_env(empty), "0.0.0.0:8080");
        assert_string_equal(rie_listen_from_env(unix_path), "unix:/run/lambdad-rie/invoke.sock");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),          cmocka_unit_test(test_from_env),
                cmocka_unit_test(test_invalid),           cmocka_unit_test(test_build),
                cmocka_unit_test(test_handler_from_argv), cmocka_unit_test(test_take_secret),
                cmocka_unit_test(test_listen_from_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
