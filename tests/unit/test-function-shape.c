/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The manager's answers in AWS's shapes (function-shape.h): FunctionConfiguration of zip and image
 * functions, with the declaration's settings or their defaults, the states the CLI's waiters poll,
 * GetFunction's Code and Tags; and the manager's messages in AWS's field names.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "function-shape.h"
#include "macro.h"

static const FunctionContext ctx = {
        .name = "hello",
        .arn = "arn:aws:lambda:us-east-1:000000000000:function:hello",
        .arch = "x86_64",
};

static json_object *configuration(const ManagerFunction *mf)
{
        json_object *o = NULL;

        assert_int_equal(function_configuration_json(mf, &ctx, &o), 0);
        assert_non_null(o);
        return o;
}

/* The member at a dotted path, or NULL. */
static json_object *at(json_object *o, const char *path)
{
        char key[64];

        while (o && *path) {
                size_t n = strcspn(path, ".");

                assert_true(n < sizeof(key));
                memcpy(key, path, n);
                key[n] = 0;
                if (!json_object_object_get_ex(o, key, &o))
                        return NULL;
                path += n + (path[n] == '.');
        }
        return o;
}

static void assert_string_at(json_object *o, const char *path, const char *value)
{
        json_object *v = at(o, path);

        if (!v)
                fail_msg("%s: missing in %s", path, json_object_to_json_string(o));
        assert_true(json_object_is_type(v, json_type_string));
        assert_string_equal(json_object_get_string(v), value);
}

static void assert_int_at(json_object *o, const char *path, int64_t value)
{
        json_object *v = at(o, path);

        if (!v)
                fail_msg("%s: missing", path);
        assert_true(json_object_is_type(v, json_type_int));
        assert_int_equal(json_object_get_int64(v), value);
}

static void test_zip_function(void **state)
{
        ManagerFunction mf = {
                .source = "api",
                .declaration = "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":256,"
                               "\"timeout_sec\":30,\"environment\":{\"A1\":\"x\"},\"description\":\"hi\","
                               "\"code\":\"/var/lib/lambdad-manager/api/uploads/ab.zip\"}",
                .revision_id = "rev-1",
                .last_modified = "2026-12-06T23:40:00.000+0000",
                .package_type = "Zip",
                .state = "Active",
                .last_update_status = "Successful",
                .runtime = "python3.12",
                .handler = "app.handler",
                .code_sha256 = "q83vEjRWeJA=",
                .code_size = 123,
        };
        json_object *o = configuration(&mf), *v;

        assert_string_at(o, "FunctionName", "hello");
        assert_string_at(o, "FunctionArn", ctx.arn);
        assert_string_at(o, "Runtime", "python3.12");
        assert_string_at(o, "Role", "arn:aws:iam::000000000000:role/lambdad");
        assert_string_at(o, "Handler", "app.handler");
        assert_int_at(o, "CodeSize", 123);
        assert_string_at(o, "Description", "hi");
        assert_int_at(o, "Timeout", 30);
        assert_int_at(o, "MemorySize", 256);
        assert_string_at(o, "LastModified", "2026-12-06T23:40:00.000+0000");
        assert_string_at(o, "CodeSha256", "q83vEjRWeJA=");
        assert_string_at(o, "Version", "$LATEST");
        assert_string_at(o, "Environment.Variables.A1", "x");
        assert_string_at(o, "TracingConfig.Mode", "PassThrough");
        assert_string_at(o, "RevisionId", "rev-1");
        assert_string_at(o, "State", "Active");
        assert_string_at(o, "LastUpdateStatus", "Successful");
        assert_string_at(o, "PackageType", "Zip");
        assert_non_null(v = at(o, "Architectures"));
        assert_int_equal(json_object_array_length(v), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "x86_64");
        assert_int_at(o, "EphemeralStorage.Size", 512);
        assert_string_at(o, "SnapStart.ApplyOn", "None");
        assert_string_at(o, "SnapStart.OptimizationStatus", "Off");
        assert_string_at(o, "LoggingConfig.LogFormat", "Text");
        assert_string_at(o, "LoggingConfig.LogGroup", "/aws/lambda/hello");
        /* Not there when there is nothing to say; and the manager's paths never. */
        assert_null(at(o, "StateReason"));
        assert_null(at(o, "StateReasonCode"));
        assert_null(at(o, "LastUpdateStatusReason"));
        assert_null(at(o, "ImageConfigResponse"));
        assert_null(strstr(json_object_to_json_string(o), "/var/lib"));
        json_object_put(o);
}

static void test_image_function(void **state)
{
        ManagerFunction mf = {
                .declaration = "{\"image\":\"lambdad-test-hello:latest\",\"entrypoint\":[\"/app/run\"],"
                               "\"working_directory\":\"/app\"}",
                .package_type = "Image",
                .code_sha256 = "sha",
                .code_size = 99,
        };
        json_object *o = configuration(&mf), *v;

        assert_string_at(o, "PackageType", "Image");
        assert_null(at(o, "Runtime"));
        assert_null(at(o, "Handler"));
        assert_int_at(o, "CodeSize", 0);
        assert_string_at(o, "CodeSha256", "sha");
        assert_non_null(v = at(o, "ImageConfigResponse.ImageConfig.EntryPoint"));
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "/app/run");
        assert_null(at(o, "ImageConfigResponse.ImageConfig.Command"));
        assert_string_at(o, "ImageConfigResponse.ImageConfig.WorkingDirectory", "/app");
        /* A manager from before the API: Active, Successful, the defaults. */
        assert_string_at(o, "State", "Active");
        assert_string_at(o, "LastUpdateStatus", "Successful");
        assert_int_at(o, "Timeout", 3);
        assert_int_at(o, "MemorySize", 128);
        assert_string_at(o, "Description", "");
        assert_null(at(o, "RevisionId"));
        assert_null(at(o, "LastModified"));
        assert_null(at(o, "Environment"));
        json_object_put(o);
}

/* What aws lambda wait function-active-v2 and function-updated-v2 read. */
static void test_states(void **state)
{
        ManagerFunction pending = { .package_type = "Zip",
                                    .state = "Pending",
                                    .last_update_status = "InProgress" };
        ManagerFunction failed = { .package_type = "Zip",
                                   .state = "Failed",
                                   .state_reason = "the zip holds ../x",
                                   .last_update_status = "Failed",
                                   .last_update_status_reason = "the zip holds ../x" };
        json_object *o;

        o = configuration(&pending);
        assert_string_at(o, "State", "Pending");
        assert_string_at(o, "StateReason", "The function is being created.");
        assert_string_at(o, "StateReasonCode", "Creating");
        assert_string_at(o, "LastUpdateStatus", "InProgress");
        assert_string_at(o, "LastUpdateStatusReasonCode", "Creating");
        json_object_put(o);

        o = configuration(&failed);
        assert_string_at(o, "State", "Failed");
        assert_string_at(o, "StateReason", "the zip holds ../x");
        assert_string_at(o, "StateReasonCode", "InvalidConfiguration");
        assert_string_at(o, "LastUpdateStatus", "Failed");
        assert_string_at(o, "LastUpdateStatusReason", "the zip holds ../x");
        assert_string_at(o, "LastUpdateStatusReasonCode", "InvalidConfiguration");
        json_object_put(o);
}

/* A declaration that is no JSON object: the defaults, never a failure. */
static void test_bad_declarations(void **state)
{
        static const char *const declarations[] = {
                "",         "[]", "null", "{", "{\"memory_mb\":\"x\",\"environment\":[],\"entrypoint\":{}}",
                "\"text\"",
        };

        for (size_t i = 0; i < ELEMENTSOF(declarations); i++) {
                ManagerFunction mf = { .declaration = declarations[i], .package_type = "Image" };
                json_object *o = configuration(&mf), *get = NULL;

                assert_int_at(o, "MemorySize", 128);
                assert_null(at(o, "Environment"));
                assert_null(at(o, "ImageConfigResponse"));
                json_object_put(o);
                assert_int_equal(function_get_json(&mf, &ctx, &get), 0);
                assert_string_at(get, "Code.RepositoryType", "ECR");
                assert_null(at(get, "Code.ImageUri"));
                json_object_put(get);
        }
}

static void test_get_function(void **state)
{
        ManagerFunction zip = { .declaration = "{\"runtime\":\"nodejs22.x\",\"tags\":{\"team\":\"a\"}}",
                                .package_type = "Zip" };
        ManagerFunction image = { .declaration = "{\"image\":\"registry.example/fn:2\"}",
                                  .package_type = "Image" };
        json_object *o = NULL;

        assert_int_equal(function_get_json(&zip, &ctx, &o), 0);
        assert_string_at(o, "Configuration.FunctionName", "hello");
        assert_string_at(o, "Configuration.Runtime", "nodejs22.x");
        assert_string_at(o, "Code.RepositoryType", "S3");
        /* The code is not served (yet): no Location that would not answer. */
        assert_null(at(o, "Code.Location"));
        assert_string_at(o, "Tags.team", "a");
        json_object_put(o);

        assert_int_equal(function_get_json(&image, &ctx, &o), 0);
        assert_string_at(o, "Configuration.PackageType", "Image");
        assert_string_at(o, "Code.RepositoryType", "ECR");
        assert_string_at(o, "Code.ImageUri", "registry.example/fn:2");
        assert_string_at(o, "Code.ResolvedImageUri", "registry.example/fn:2");
        assert_null(at(o, "Tags"));
        json_object_put(o);
}

static void test_versions_and_code_signing(void **state)
{
        ManagerFunction mf = { .declaration = "{\"runtime\":\"python3.12\"}",
                               .package_type = "Zip",
                               .revision_id = "rev-3" };
        json_object *o = NULL;

        assert_int_equal(function_version_json(&mf, &ctx, &o), 0);
        assert_string_at(o, "Version", "$LATEST");
        assert_string_at(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:$LATEST");
        assert_string_at(o, "RevisionId", "rev-3");
        json_object_put(o);

        /* A version: its number, its ARN qualified by it, in the list and alone. */
        mf.version = "7";
        assert_int_equal(function_version_json(&mf, &ctx, &o), 0);
        assert_string_at(o, "Version", "7");
        assert_string_at(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:7");
        json_object_put(o);
        assert_int_equal(function_configuration_json(&mf, &ctx, &o), 0);
        assert_string_at(o, "Version", "7");
        assert_string_at(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:7");
        assert_string_at(o, "FunctionName", "hello");
        json_object_put(o);

        assert_int_equal(function_code_signing_json(&ctx, &o), 0);
        assert_string_at(o, "CodeSigningConfigArn", "");
        assert_string_at(o, "FunctionName", "hello");
        json_object_put(o);
}

static void expect_translation(const char *message, const char *expected)
{
        _cleanup_free_ char *t = function_message_translate(message);

        assert_non_null(t);
        assert_string_equal(t, expected);
}

static void test_translate(void **state)
{
        expect_translation("memory_mb: expected an integer from 128 to 10240, got 64",
                           "MemorySize: expected an integer from 128 to 10240, got 64");
        expect_translation("timeout_sec: expected an integer from 1 to 900, got 0",
                           "Timeout: expected an integer from 1 to 900, got 0");
        expect_translation("environment.AWS_LAMBDA_FUNCTION_NAME: reserved",
                           "Environment.AWS_LAMBDA_FUNCTION_NAME: reserved");
        expect_translation("environment: AWS_REGION is reserved, lambdad sets it itself",
                           "Environment: AWS_REGION is reserved, lambdad sets it itself");
        expect_translation("image: expected a Docker image reference",
                           "ImageUri: expected a Docker image reference");
        expect_translation("unknown key 'runtimes', expected 'runtime' or 'handler'",
                           "unknown key 'runtimes', expected 'Runtime' or 'Handler'");
        expect_translation("working_directory must be absolute",
                           "ImageConfig.WorkingDirectory must be absolute");
        /* Prose keeps its words. */
        expect_translation("the image hello:latest is missing; the code and the runtime are fine",
                           "the image hello:latest is missing; the code and the runtime are fine");
        expect_translation("", "");
        assert_null(function_message_translate(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_zip_function),
                cmocka_unit_test(test_image_function),
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_bad_declarations),
                cmocka_unit_test(test_get_function),
                cmocka_unit_test(test_translate),
                cmocka_unit_test(test_versions_and_code_signing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
