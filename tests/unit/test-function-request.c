/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The control-plane requests taken apart (function-request.h): CreateFunction, UpdateFunctionCode and
 * UpdateFunctionConfiguration bodies as the AWS CLI, boto3, the JS SDK and Terraform send them, turned
 * into declarations and changes; every validation Lambda makes, with its error type and message; the
 * settings lambdad does not have, passing at their defaults only; and the zip's decoding.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base64.h"
#include "function-request.h"
#include "macro.h"

#define ARCH "x86_64"

/* A zip function's CreateFunction body, with extra members (",..." or ""). */
#define CREATE_ZIP(extra)                                                                                   \
        "{\"FunctionName\":\"hello\",\"Runtime\":\"python3.12\",\"Role\":\"arn:aws:iam::123456789012:role/" \
        "lambda\",\"Handler\":\"app.handler\",\"Code\":{\"ZipFile\":\"UEsFBg==\"}" extra "}"
#define CREATE_IMAGE(extra)                                                                              \
        "{\"FunctionName\":\"img\",\"PackageType\":\"Image\",\"Role\":\"arn:aws:iam::123456789012:role/" \
        "r\",\"Code\":{\"ImageUri\":\"lambdad-test-hello:latest\"}" extra "}"

static int parse(FunctionRequestKind kind, const char *json, const char *function, FunctionRequest *ret,
                 ApiError *ret_error)
{
        json_object *body = json_tokener_parse(json);
        int r;

        if (!body)
                fail_msg("not JSON: %s", json);
        r = function_request_parse(kind, body, function, ARCH, ret, ret_error);
        /* zip points into body: copy what a test looks at before it goes. */
        if (r >= 0 && ret->zip) {
                static char zip[256];

                assert_true(ret->zip_len < sizeof(zip));
                memcpy(zip, ret->zip, ret->zip_len + 1);
                ret->zip = zip;
        }
        json_object_put(body);
        return r;
}

/* The request must convert to exactly this declaration (or changes). */
static void expect_ok(FunctionRequestKind kind, const char *json, const char *function,
                      const char *declaration)
{
        FunctionRequest req = {};
        ApiError e = {};

        if (parse(kind, json, function, &req, &e) < 0)
                fail_msg("%s: %s", json, e.message);
        assert_null(e.message);
        assert_string_equal(req.declaration, declaration);
        function_request_done(&req);
}

/* The request must be refused with this status, type and a message holding part. */
static void expect_error(FunctionRequestKind kind, const char *json, int status, const char *type,
                         const char *part)
{
        FunctionRequest req = {};
        ApiError e = {};

        if (parse(kind, json, "hello", &req, &e) != -EINVAL)
                fail_msg("accepted: %s", json);
        assert_non_null(e.message);
        if (e.status != status || strcmp(e.type, type) != 0 || !strstr(e.message, part))
                fail_msg("%s: got %d %s \"%s\", expected %d %s \"%s\"", json, e.status, e.type, e.message,
                         status, type, part);
        /* Printable, one line: it goes into a JSON answer and a log line. */
        for (const char *p = e.message; *p; p++)
                assert_true((unsigned char) *p >= 0x20);
        assert_null(req.declaration);
        api_error_done(&e);
}

static void create_error(const char *json, const char *part)
{
        expect_error(FUNCTION_REQUEST_CREATE, json, 400, "InvalidParameterValueException", part);
}

static void test_create_zip(void **state)
{
        FunctionRequest req = {};
        ApiError e = {};

        assert_int_equal(parse(FUNCTION_REQUEST_CREATE,
                               CREATE_ZIP(",\"MemorySize\":256,\"Timeout\":30,\"Description\":\"hi\","
                                          "\"Environment\":{\"Variables\":{\"GREETING\":\"hey\"}},"
                                          "\"Tags\":{\"team\":\"a\"},\"Publish\":true"),
                               NULL, &req, &e),
                         0);
        assert_string_equal(req.name, "hello");
        assert_string_equal(
                req.declaration,
                "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":256,"
                "\"timeout_sec\":30,\"environment\":{\"GREETING\":\"hey\"},\"description\":\"hi\","
                "\"tags\":{\"team\":\"a\"}}");
        assert_string_equal(req.zip, "UEsFBg==");
        assert_int_equal(req.zip_len, 8);
        assert_null(req.revision_id);
        assert_true(req.publish);
        function_request_done(&req);

        /* The least: what is not given is the manager's default. */
        expect_ok(FUNCTION_REQUEST_CREATE, CREATE_ZIP(""), NULL,
                  "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\"}");
        /* PackageType Zip said out loud; empty settings are no settings; unknown members ignored. */
        expect_ok(FUNCTION_REQUEST_CREATE,
                  CREATE_ZIP(",\"PackageType\":\"Zip\",\"Description\":\"\",\"Environment\":{},"
                             "\"Tags\":{},\"Layers\":[],\"Architectures\":[\"x86_64\"],\"SomethingNew\":1,"
                             "\"MemorySize\":null"),
                  NULL, "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\"}");
        /* provided.* runtimes need no handler. */
        expect_ok(FUNCTION_REQUEST_CREATE,
                  "{\"FunctionName\":\"p\",\"Runtime\":\"provided.al2023\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                  NULL, "{\"runtime\":\"provided.al2023\"}");
        /* Any of Lambda's name forms; Role is optional here (lambdad has no IAM). */
        assert_int_equal(
                parse(FUNCTION_REQUEST_CREATE,
                      "{\"FunctionName\":\"arn:aws:lambda:eu-west-1:123456789012:function:fn-2\","
                      "\"Runtime\":\"nodejs22.x\",\"Handler\":\"index.handler\",\"Code\":{\"ZipFile\":"
                      "\"AAAA\"}}",
                      NULL, &req, &e),
                0);
        assert_string_equal(req.name, "fn-2");
        function_request_done(&req);
}

static void test_create_image(void **state)
{
        expect_ok(FUNCTION_REQUEST_CREATE, CREATE_IMAGE(""), NULL,
                  "{\"image\":\"lambdad-test-hello:latest\"}");
        expect_ok(
                FUNCTION_REQUEST_CREATE,
                CREATE_IMAGE(",\"ImageConfig\":{\"EntryPoint\":[\"/app/run\"],\"Command\":[\"a\",\"b\"],"
                             "\"WorkingDirectory\":\"/app\"},\"MemorySize\":512"),
                NULL,
                "{\"image\":\"lambdad-test-hello:latest\",\"entrypoint\":[\"/app/run\"],\"command\":[\"a\","
                "\"b\"],\"working_directory\":\"/app\",\"memory_mb\":512}");
        /* An empty ImageConfig is the image's own. */
        expect_ok(FUNCTION_REQUEST_CREATE, CREATE_IMAGE(",\"ImageConfig\":{\"EntryPoint\":[]}"), NULL,
                  "{\"image\":\"lambdad-test-hello:latest\"}");
}

/* What Terraform's aws_lambda_function sends when nobody set the settings lambdad does not have. */
static void test_create_defaults_of_unsupported(void **state)
{
        expect_ok(FUNCTION_REQUEST_CREATE,
                  CREATE_ZIP(",\"VpcConfig\":{\"SubnetIds\":[],\"SecurityGroupIds\":[],"
                             "\"Ipv6AllowedForDualStack\":false},\"DeadLetterConfig\":{},\"KMSKeyArn\":\"\","
                             "\"TracingConfig\":{\"Mode\":\"PassThrough\"},\"FileSystemConfigs\":[],"
                             "\"SnapStart\":{\"ApplyOn\":\"None\"},\"EphemeralStorage\":{\"Size\":512},"
                             "\"LoggingConfig\":{\"LogFormat\":\"Text\",\"LogGroup\":\"/aws/lambda/hello\"},"
                             "\"CodeSigningConfigArn\":\"\""),
                  NULL, "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\"}");

        static const char *const refused[] = {
                ",\"VpcConfig\":{\"SubnetIds\":[\"subnet-1\"]}",
                ",\"VpcConfig\":{\"Ipv6AllowedForDualStack\":true}",
                ",\"VpcConfig\":{\"Other\":1}",
                ",\"DeadLetterConfig\":{\"TargetArn\":\"arn:aws:sqs:us-east-1:123456789012:q\"}",
                ",\"KMSKeyArn\":\"arn:aws:kms:us-east-1:123456789012:key/x\"",
                ",\"TracingConfig\":{\"Mode\":\"Active\"}",
                ",\"FileSystemConfigs\":[{\"Arn\":\"a\",\"LocalMountPath\":\"/mnt/x\"}]",
                ",\"SnapStart\":{\"ApplyOn\":\"PublishedVersions\"}",
                ",\"EphemeralStorage\":{\"Size\":1024}",
                ",\"EphemeralStorage\":{\"Size\":\"512\"}",
                ",\"LoggingConfig\":{\"LogFormat\":\"JSON\"}",
                ",\"LoggingConfig\":{\"LogGroup\":\"/custom\"}",
                ",\"LoggingConfig\":{\"ApplicationLogLevel\":\"INFO\"}",
                ",\"CodeSigningConfigArn\":\"arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-"
                "1\"",
                ",\"DurableConfig\":{}",
                ",\"TracingConfig\":\"PassThrough\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                char json[1024];

                (void) snprintf(json, sizeof(json),
                                "{\"FunctionName\":\"hello\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\","
                                "\"Code\":{\"ZipFile\":\"AAAA\"}%s}",
                                refused[i]);
                create_error(json, "lambdad does not support");
        }
}

static void test_create_errors(void **state)
{
        /* FunctionName */
        create_error("{\"Runtime\":\"python3.12\",\"Handler\":\"a.b\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "FunctionName is required");
        create_error("{\"FunctionName\":\"bad name\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "Value 'bad name' at 'functionName' failed to satisfy constraint: Member must satisfy "
                     "regular expression pattern");
        create_error("{\"FunctionName\":\"hello:1\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "may not carry a qualifier");
        create_error(
                "{\"FunctionName\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                "Member must satisfy regular expression pattern");
        /* Role */
        create_error(CREATE_ZIP(",\"Role\":\"lambda-role\""),
                     "Value 'lambda-role' at 'role' failed to satisfy constraint");
        create_error(CREATE_ZIP(",\"Role\":\"arn:aws:iam::12345678901:role/x\""), "at 'role'");
        /* Code and PackageType */
        create_error("{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\"}",
                     "Code is required");
        create_error(
                CREATE_ZIP(",\"PackageType\":\"Docker\""),
                "Value 'Docker' at 'packageType' failed to satisfy constraint: Member must satisfy enum "
                "value set: [Zip, Image]");
        create_error("{\"FunctionName\":\"f\",\"Code\":{\"ZipFile\":\"AAAA\",\"ImageUri\":\"x:1\"}}",
                     "only one of ZipFile and ImageUri");
        create_error("{\"FunctionName\":\"f\",\"PackageType\":\"Image\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "Please provide ImageUri");
        create_error("{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Code\":{\"ImageUri\":\"x:1\"}}",
                     "Please don't provide ImageUri");
        create_error("{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\",\"Code\":{}}",
                     "Code.ZipFile");
        create_error("{\"FunctionName\":\"f\",\"Code\":{\"S3Bucket\":\"b\",\"S3Key\":\"k.zip\"}}",
                     "lambdad does not support S3Bucket: send the zip itself as ZipFile");
        create_error(CREATE_IMAGE(",\"Runtime\":\"python3.12\""), "Runtime and Handler are not supported");
        create_error(CREATE_IMAGE(",\"Handler\":\"a.b\""), "Runtime and Handler are not supported");
        /* Runtime and Handler */
        create_error("{\"FunctionName\":\"f\",\"Handler\":\"a.b\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "Runtime and Handler are mandatory parameters");
        create_error("{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Code\":{\"ZipFile\":\"AAAA\"}}",
                     "Runtime and Handler are mandatory parameters");
        create_error(
                "{\"FunctionName\":\"f\",\"Runtime\":\"cobol1.x\",\"Handler\":\"a.b\",\"Code\":{\"ZipFile\":"
                "\"AAAA\"}}",
                "Value 'cobol1.x' at 'runtime' failed to satisfy constraint: Member must satisfy enum value "
                "set: [nodejs, nodejs4.3");
        create_error(
                CREATE_ZIP(",\"Handler\":\"app handler\""),
                "Value 'app handler' at 'handler' failed to satisfy constraint: Member must satisfy regular "
                "expression pattern: [^\\s]+");
        create_error(CREATE_ZIP(",\"Handler\":"
                                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
                     "Member must have length less than or equal to 128");
        /* Sizes and times */
        create_error(
                CREATE_ZIP(",\"MemorySize\":64"),
                "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater "
                "than or equal to 128");
        create_error(CREATE_ZIP(",\"MemorySize\":10241"),
                     "Member must have value less than or equal to 10240");
        create_error(CREATE_ZIP(",\"Timeout\":0"), "Value '0' at 'timeout'");
        create_error(CREATE_ZIP(",\"Timeout\":901"), "Member must have value less than or equal to 900");
        expect_ok(FUNCTION_REQUEST_CREATE, CREATE_ZIP(",\"Timeout\":900,\"MemorySize\":10240"), NULL,
                  "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":10240,\"timeout_"
                  "sec\":900}");
        /* Description */
        create_error(
                CREATE_ZIP(
                        ",\"Description\":\"" /* 257 characters */
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
                "at 'description' failed to satisfy constraint: Member must have length less than or equal "
                "to 256");
        /* Environment */
        create_error(CREATE_ZIP(",\"Environment\":{\"Variables\":{\"1ABC\":\"x\"}}"),
                     "Environment variable name '1ABC' is invalid");
        create_error(CREATE_ZIP(",\"Environment\":{\"Variables\":{\"A\":\"x\"}}"),
                     "Environment variable name 'A' is invalid");
        /* Tags */
        create_error(CREATE_ZIP(",\"Tags\":{\"aws:x\":\"y\"}"), "the prefix 'aws:' is reserved");
        create_error(CREATE_ZIP(",\"Tags\":{\"\":\"y\"}"), "expected 1 to 128 characters");
        /* Layers, Architectures */
        create_error(CREATE_ZIP(",\"Layers\":[\"arn:aws:lambda:us-east-1:123456789012:layer:l:1\"]"),
                     "lambdad does not support Layers through the API");
        create_error(CREATE_ZIP(",\"Architectures\":[\"arm64\"]"),
                     "lambdad runs functions on this host's architecture, x86_64, not arm64");
        create_error(CREATE_ZIP(",\"Architectures\":[\"mips\"]"),
                     "Member must satisfy enum value set: [x86_64, arm64]");
        create_error(CREATE_ZIP(",\"Architectures\":[\"x86_64\",\"arm64\"]"), "at 'architectures'");
        create_error(CREATE_ZIP(",\"Architectures\":[]"), "at 'architectures'");
}

/* Values of the wrong JSON type: Lambda cannot even read the request. */
static void test_wrong_types(void **state)
{
        static const char *const extras[] = {
                ",\"MemorySize\":\"256\"",
                ",\"MemorySize\":256.0",
                ",\"Timeout\":true",
                ",\"Description\":5",
                ",\"Environment\":[]",
                ",\"Environment\":{\"Variables\":[]}",
                ",\"Environment\":{\"Variables\":{\"AB\":1}}",
                ",\"Tags\":{\"a\":1}",
                ",\"Layers\":{}",
                ",\"Architectures\":\"x86_64\"",
                ",\"Publish\":\"yes\"",
                ",\"Role\":1",
                ",\"Handler\":[]",
        };

        for (size_t i = 0; i < ELEMENTSOF(extras); i++) {
                char json[512];

                (void) snprintf(json, sizeof(json),
                                "{\"FunctionName\":\"hello\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\","
                                "\"Code\":{\"ZipFile\":\"AAAA\"}%s}",
                                extras[i]);
                /* A Handler of the wrong type is not the Handler it replaced: the last one counts. */
                expect_error(FUNCTION_REQUEST_CREATE, json, 400, "InvalidRequestContentException",
                             "Could not parse request body into json");
        }
        expect_error(FUNCTION_REQUEST_CREATE, "[]", 400, "InvalidRequestContentException",
                     "expected a JSON object");
        expect_error(FUNCTION_REQUEST_CREATE, "{\"FunctionName\":[\"x\"]}", 400,
                     "InvalidRequestContentException", "FunctionName: expected a string");
        expect_error(FUNCTION_REQUEST_CREATE, "{\"FunctionName\":\"x\",\"Code\":\"AAAA\"}", 400,
                     "InvalidRequestContentException", "Code: expected an object");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"ZipFile\":5}", 400, "InvalidRequestContentException",
                     "ZipFile: expected a string");
}

/* Lambda's 4 KB of environment: names and values together. */
static void test_environment_size(void **state)
{
        char json[8192], value[4096];
        FunctionRequest req = {};
        ApiError e = {};

        /* "AB" and 4094 bytes of value: exactly 4096. */
        memset(value, 'v', 4094);
        value[4094] = 0;
        (void) snprintf(json, sizeof(json), CREATE_ZIP(",\"Environment\":{\"Variables\":{\"AB\":\"%s\"}}"),
                        value);
        assert_int_equal(parse(FUNCTION_REQUEST_CREATE, json, NULL, &req, &e), 0);
        function_request_done(&req);
        value[4094] = 'v';
        value[4095] = 0;
        (void) snprintf(json, sizeof(json), CREATE_ZIP(",\"Environment\":{\"Variables\":{\"AB\":\"%s\"}}"),
                        value);
        create_error(json, "exceeded the 4KB limit: 4097 bytes");
}

static void test_tags_count(void **state)
{
        Buf b = {};

        assert_int_equal(
                buf_append_str(&b, "{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\","
                                   "\"Code\":{\"ZipFile\":\"AAAA\"},\"Tags\":{"),
                0);
        for (int i = 0; i < 51; i++)
                assert_int_equal(buf_printf(&b, "%s\"k%d\":\"v\"", i > 0 ? "," : "", i), 0);
        assert_int_equal(buf_append_str(&b, "}}"), 0);
        create_error(b.data, "at most 50 tags, got 51");
        buf_done(&b);
}

static void test_update_configuration(void **state)
{
        FunctionRequest req = {};
        ApiError e = {};

        /* What the CLI sends for update-function-configuration --memory-size 256 --environment ... */
        assert_int_equal(parse(FUNCTION_REQUEST_UPDATE_CONFIGURATION,
                               "{\"MemorySize\":256,\"Environment\":{\"Variables\":{\"MODE\":\"fast\"}},"
                               "\"RevisionId\":\"4b4f1b4e-0d6a-4b0e-9d4a-0a0a0a0a0a0a\"}",
                               "hello", &req, &e),
                         0);
        assert_string_equal(req.declaration, "{\"memory_mb\":256,\"environment\":{\"MODE\":\"fast\"}}");
        assert_string_equal(req.revision_id, "4b4f1b4e-0d6a-4b0e-9d4a-0a0a0a0a0a0a");
        assert_null(req.zip);
        function_request_done(&req);

        /* Nothing to change: no changes. An empty RevisionId is no check. */
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"RevisionId\":\"\"}", "hello", "{}");
        /* Given empty: back to the default. */
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION,
                  "{\"Environment\":{\"Variables\":{}},\"Description\":\"\"}", "hello",
                  "{\"environment\":null,\"description\":null}");
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"Environment\":{}}", "hello",
                  "{\"environment\":null}");
        /* ImageConfig is replaced whole. */
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"ImageConfig\":{\"Command\":[\"x\"]}}", "hello",
                  "{\"entrypoint\":null,\"command\":[\"x\"],\"working_directory\":null}");
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"ImageConfig\":{}}", "hello",
                  "{\"entrypoint\":null,\"command\":null,\"working_directory\":null}");
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION,
                  "{\"Runtime\":\"nodejs22.x\",\"Handler\":\"index.handler\",\"Timeout\":10,\"Description\":"
                  "\"d\","
                  "\"Role\":\"arn:aws:iam::123456789012:role/service-role/x\",\"Layers\":[]}",
                  "hello",
                  "{\"runtime\":\"nodejs22.x\",\"handler\":\"index.handler\",\"timeout_sec\":10,"
                  "\"description\":\"d\"}");
        /* Terraform's defaults of what lambdad does not have, named for this function. */
        expect_ok(FUNCTION_REQUEST_UPDATE_CONFIGURATION,
                  "{\"TracingConfig\":{\"Mode\":\"PassThrough\"},\"LoggingConfig\":{\"LogFormat\":\"Text\","
                  "\"LogGroup\":\"/aws/lambda/hello\"},\"EphemeralStorage\":{\"Size\":512}}",
                  "hello", "{}");
        expect_error(FUNCTION_REQUEST_UPDATE_CONFIGURATION,
                     "{\"LoggingConfig\":{\"LogGroup\":\"/aws/lambda/other\"}}", 400,
                     "InvalidParameterValueException", "lambdad does not support LoggingConfig");
        expect_error(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"MemorySize\":1}", 400,
                     "InvalidParameterValueException", "at 'memorySize'");
        expect_error(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"Runtime\":\"python9\"}", 400,
                     "InvalidParameterValueException", "at 'runtime'");
        expect_error(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"RevisionId\":7}", 400,
                     "InvalidRequestContentException", "RevisionId");
        expect_error(FUNCTION_REQUEST_UPDATE_CONFIGURATION, "{\"VpcConfig\":{\"SubnetIds\":[\"s\"]}}", 400,
                     "InvalidParameterValueException", "VpcConfig");
}

static void test_update_code(void **state)
{
        FunctionRequest req = {};
        ApiError e = {};

        assert_int_equal(parse(FUNCTION_REQUEST_UPDATE_CODE,
                               "{\"ZipFile\":\"UEsFBg==\",\"Publish\":true,\"RevisionId\":\"r1\","
                               "\"Architectures\":[\"x86_64\"],\"DryRun\":false}",
                               "hello", &req, &e),
                         0);
        assert_string_equal(req.declaration, "{}");
        assert_string_equal(req.zip, "UEsFBg==");
        assert_string_equal(req.revision_id, "r1");
        assert_true(req.publish);
        function_request_done(&req);

        expect_ok(FUNCTION_REQUEST_UPDATE_CODE, "{\"ImageUri\":\"lambdad-test-hello:v2\"}", "hello",
                  "{\"image\":\"lambdad-test-hello:v2\"}");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{}", 400, "InvalidParameterValueException",
                     "Please provide the new code");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"ZipFile\":\"AAAA\",\"ImageUri\":\"x:1\"}", 400,
                     "InvalidParameterValueException", "only one of ZipFile and ImageUri");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"S3Bucket\":\"b\",\"S3Key\":\"k\"}", 400,
                     "InvalidParameterValueException", "S3Bucket");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"ZipFile\":\"AAAA\",\"DryRun\":true}", 400,
                     "InvalidParameterValueException", "lambdad does not support DryRun");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"ZipFile\":\"AAAA\",\"Architectures\":[\"arm64\"]}",
                     400, "InvalidParameterValueException", "host's architecture");
        expect_error(FUNCTION_REQUEST_UPDATE_CODE, "{\"ZipFile\":\"AAAA\",\"SourceKMSKeyArn\":\"arn:x\"}",
                     400, "InvalidParameterValueException", "SourceKMSKeyArn");
}

/* A value quoted in a message is cut short: an upload is never echoed whole. */
static void test_quoted_values_are_short(void **state)
{
        char json[2048], name[1024];
        FunctionRequest req = {};
        ApiError e = {};

        memset(name, 'x', sizeof(name) - 1);
        name[sizeof(name) - 1] = 0;
        (void) snprintf(json, sizeof(json), CREATE_ZIP(",\"Runtime\":\"%s\""), name);
        assert_int_equal(parse(FUNCTION_REQUEST_CREATE, json, NULL, &req, &e), -EINVAL);
        assert_non_null(strstr(e.message, "xxx...' at 'runtime'"));
        assert_true(strlen(e.message) < 2048);
        api_error_done(&e);
}

static char *memfd_contents(int fd, size_t *ret_len)
{
        off_t n = lseek(fd, 0, SEEK_END);
        char *p;

        assert_true(n >= 0);
        p = malloc((size_t) n + 1);
        assert_non_null(p);
        assert_int_equal(pread(fd, p, (size_t) n, 0), n);
        *ret_len = (size_t) n;
        return p;
}

static void test_zip_decode(void **state)
{
        _cleanup_free_ char *big = NULL, *got = NULL;
        uint8_t bytes[200000];
        Buf b64 = {};
        size_t len;
        int fd;

        /* Several pieces, and every padding. */
        for (size_t i = 0; i < sizeof(bytes); i++)
                bytes[i] = (uint8_t) (i * 7 + i / 251);
        for (size_t n = sizeof(bytes) - 2; n <= sizeof(bytes); n++) {
                buf_clear(&b64);
                assert_int_equal(base64_encode(&b64, bytes, n), 0);
                fd = memfd_create("test", MFD_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(function_zip_decode(b64.data, b64.len, fd), 0);
                got = memfd_contents(fd, &len);
                assert_int_equal(len, n);
                assert_memory_equal(got, bytes, n);
                free(TAKE_PTR(got));
                close(fd);
        }
        buf_done(&b64);

        fd = memfd_create("test", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(function_zip_decode("", 0, fd), 0);
        assert_int_equal(function_zip_decode("AAA", 3, fd), -EINVAL);
        assert_int_equal(function_zip_decode("AA==AAAA", 8, fd), -EINVAL);
        assert_int_equal(function_zip_decode("AA A", 4, fd), -EINVAL);
        assert_int_equal(function_zip_decode("AAA\n", 4, fd), -EINVAL);
        assert_int_equal(function_zip_decode("Zz==", 4, fd), -EINVAL);
        assert_int_equal(function_zip_decode("=AAA", 4, fd), -EINVAL);

        /* Past 50 MB decoded: refused before a byte is written. */
        len = (size_t) (LAMBDA_ZIP_UPLOAD_MAX / 3 + 2) * 4;
        big = malloc(len);
        assert_non_null(big);
        memset(big, 'A', len);
        assert_int_equal(function_zip_decode(big, len, fd), -EFBIG);
        assert_int_equal(lseek(fd, 0, SEEK_END), 0);
        close(fd);
        /* A descriptor that takes nothing. */
        assert_int_equal(function_zip_decode("AAAA", 4, -1), -EBADF);
}

static void test_architecture(void **state)
{
        assert_string_equal(lambda_architecture_of("x86_64"), "x86_64");
        assert_string_equal(lambda_architecture_of("aarch64"), "arm64");
        assert_null(lambda_architecture_of("riscv64"));
        assert_null(lambda_architecture_of(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create_zip),
                cmocka_unit_test(test_create_image),
                cmocka_unit_test(test_create_defaults_of_unsupported),
                cmocka_unit_test(test_create_errors),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_environment_size),
                cmocka_unit_test(test_tags_count),
                cmocka_unit_test(test_update_configuration),
                cmocka_unit_test(test_update_code),
                cmocka_unit_test(test_quoted_values_are_short),
                cmocka_unit_test(test_zip_decode),
                cmocka_unit_test(test_architecture),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
