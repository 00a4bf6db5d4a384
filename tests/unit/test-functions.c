/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The control-plane routes (functions.c, and client.c's part: body bounds, authorization) from a real
 * HTTP client to a fake manager on a private dbus-daemon (fake-manager.h): CreateFunction of zip and
 * image functions (the zip in a sealed memfd, its bytes as uploaded), GetFunction and
 * GetFunctionConfiguration, UpdateFunctionCode and UpdateFunctionConfiguration (the revision and the
 * changes), DeleteFunction (204); the manager's errors in Lambda's types and statuses; qualifiers;
 * bodies that are no JSON or too large (413 before a byte of them is read, a 7 MB upload taken); the
 * manage right, per route and per function; a client that leaves before the answer. Skipped (77) only
 * when dbus-daemon is not installed.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "auth.h"
#include "base64.h"
#include "fake-manager.h"
#include "strv.h"
#include "gateway-test.h"
#include "lambda-contract.h"
#include "manager-client.h"
#include "sigv4.h"

static FakeManager fake;
static Gateway *gw;
static TestClient tc;

static const FakeFunction functions[] = {
        { "hello", "", NULL, "python3.12",
          "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":256,\"tags\":{\"team\":"
          "\"a\"}}",
          NULL, NULL },
        { "img", "", NULL, NULL, "{\"image\":\"lambdad-test-hello:latest\",\"command\":[\"x\"]}", "Pending",
          "InProgress" },
};

static int setup(void **state)
{
        GatewayConfig config = test_gateway_config();

        fake = (FakeManager){ .functions = functions, .n_functions = ELEMENTSOF(functions) };
        assert_int_equal(gateway_new(&gw, &config), 0);
        assert_int_equal(manager_client_start(gw), 0);
        fake_manager_connect(&fake, gw->event);
        test_client_open(gw, &tc);
        return 0;
}

static int teardown(void **state)
{
        test_client_close(&tc);
        fake_manager_disconnect(&fake);
        gw = gateway_free(gw);
        return 0;
}

/* A request with a body (Content-Length set), and extra header lines ending in CRLF. */
static char *request(const char *method, const char *path, const char *headers, const char *body)
{
        char *s;

        if (body)
                assert_true(asprintf(&s,
                                     "%s %s HTTP/1.1\r\nHost: gateway\r\n%sContent-Length: %zu\r\n\r\n%s",
                                     method, path, headers ?: "", strlen(body), body) >= 0);
        else
                assert_true(asprintf(&s, "%s %s HTTP/1.1\r\nHost: gateway\r\n%s\r\n", method, path,
                                     headers ?: "") >= 0);
        return s;
}

static void exchange(const char *method, const char *path, const char *headers, const char *body,
                     TestResponse *ret)
{
        _cleanup_free_ char *s = request(method, path, headers, body);

        test_client_exchange(gw, &tc, s, ret);
}

static void expect_error(const char *method, const char *path, const char *headers, const char *body,
                         int status, const char *type, const char *part)
{
        TestResponse r;

        exchange(method, path, headers, body, &r);
        test_assert_error(&r, status, type, part);
        test_response_done(&r);
}

static json_object *json_at(json_object *o, const char *path)
{
        char key[64];

        while (o && *path) {
                size_t n = strcspn(path, ".");

                (void) snprintf(key, sizeof(key), "%.*s", (int) n, path);
                if (!json_object_object_get_ex(o, key, &o))
                        return NULL;
                path += n + (path[n] == '.');
        }
        return o;
}

static void assert_member(json_object *o, const char *path, const char *value)
{
        json_object *v = json_at(o, path);

        if (!v)
                fail_msg("%s missing in %s", path, json_object_to_json_string(o));
        assert_string_equal(json_object_get_string(v), value);
}

/* A successful answer: its status, x-amzn-RequestId, and its body as JSON (NULL for 204). */
static json_object *expect_ok(const char *method, const char *path, const char *headers, const char *body,
                              int status)
{
        json_object *o = NULL;
        TestResponse r;

        exchange(method, path, headers, body, &r);
        if (r.status != status)
                fail_msg("%s %s: expected %d, got %s%s", method, path, status, r.head, r.body);
        assert_non_null(test_response_header(&r, "x-amzn-RequestId"));
        if (status != 204) {
                assert_string_equal(test_response_header(&r, "Content-Type"), "application/json");
                o = json_tokener_parse(r.body);
                assert_non_null(o);
        } else
                assert_int_equal(r.body_len, 0);
        test_response_done(&r);
        return o;
}

#define ZIP_BYTES "PK\x05\x06 a zip, as far as the gateway cares"

static void test_create_zip(void **state)
{
        _cleanup_free_ char *body = NULL;
        Buf b64 = {};
        json_object *o;

        assert_int_equal(base64_encode(&b64, ZIP_BYTES, STRLEN(ZIP_BYTES)), 0);
        assert_true(asprintf(&body,
                             "{\"FunctionName\":\"fresh\",\"Runtime\":\"python3.12\",\"Role\":"
                             "\"arn:aws:iam::123456789012:role/x\",\"Handler\":\"app.handler\",\"Code\":{"
                             "\"ZipFile\":\"%s\"},\"MemorySize\":256,\"Publish\":false}",
                             b64.data) >= 0);
        buf_done(&b64);

        o = expect_ok("POST", "/2015-03-31/functions", NULL, body, 201);
        assert_string_equal(fake.api_method, "CreateFunction");
        assert_string_equal(fake.api_function, "fresh");
        assert_string_equal(fake.api_declaration,
                            "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":256}");
        /* The zip as uploaded, in one sealed file descriptor read from its start. */
        assert_int_equal(fake.api_n_fds, 1);
        assert_int_equal(fake.api_zip.len, STRLEN(ZIP_BYTES));
        assert_memory_equal(fake.api_zip.data, ZIP_BYTES, STRLEN(ZIP_BYTES));
        assert_true(fake.api_zip_sealed);

        /* The function as Lambda describes it, with what the manager said of it. */
        assert_member(o, "FunctionName", "fresh");
        assert_member(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:fresh");
        assert_member(o, "Runtime", "python3.12");
        assert_member(o, "Handler", "app.handler");
        assert_member(o, "PackageType", "Zip");
        assert_member(o, "State", "Pending");
        assert_member(o, "LastUpdateStatus", "InProgress");
        assert_member(o, "RevisionId", "rev-1");
        assert_member(o, "Version", "$LATEST");
        assert_int_equal(json_object_get_int(json_at(o, "MemorySize")), 256);
        json_object_put(o);
}

/* Publish: true: once the function is made or its code changed, PublishVersionWhenReady (one call: the
 * manager answers once the change's code is loaded), whose version is the answer (with the status of
 * the call that asked). */
static void test_publish(void **state)
{
        json_object *o;

        o = expect_ok(
                "POST", "/2015-03-31/functions", NULL,
                "{\"FunctionName\":\"hello\",\"PackageType\":\"Image\",\"Code\":{\"ImageUri\":\"x:1\"},"
                "\"Publish\":true}",
                201);
        assert_int_equal(fake.n_api, 2);
        assert_string_equal(fake.api_method, "PublishVersionWhenReady");
        assert_string_equal(fake.api_function, "hello");
        assert_member(o, "Version", "1");
        assert_member(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:1");
        json_object_put(o);

        o = expect_ok("PUT", "/2015-03-31/functions/hello/code", NULL,
                      "{\"ImageUri\":\"x:2\",\"Publish\":true}", 200);
        assert_int_equal(fake.n_api, 4);
        assert_string_equal(fake.api_method, "PublishVersionWhenReady");
        assert_member(o, "Version", "1");
        json_object_put(o);

        /* Not for a change of configuration, which has no Publish; not when false. */
        o = expect_ok("PUT", "/2015-03-31/functions/hello/code", NULL,
                      "{\"ImageUri\":\"x:3\",\"Publish\":false}", 200);
        assert_int_equal(fake.n_api, 5);
        assert_string_equal(fake.api_method, "UpdateFunction");
        assert_member(o, "Version", "$LATEST");
        json_object_put(o);

        /* A refusal (of the change, or of the publish after it) is the answer. */
        fake.api_error = LAMBDAD_ERROR_RESOURCE_CONFLICT;
        expect_error("PUT", "/2015-03-31/functions/hello/code", NULL,
                     "{\"ImageUri\":\"x:4\",\"Publish\":true}", 409, "ResourceConflictException", "refused");
        fake.api_error = NULL;
}

static void test_create_image(void **state)
{
        json_object *o;

        o = expect_ok(
                "POST", "/2015-03-31/functions/", NULL,
                "{\"FunctionName\":\"arn:aws:lambda:us-east-1:123456789012:function:pic\",\"PackageType\":"
                "\"Image\",\"Code\":{\"ImageUri\":\"lambdad-test-hello:latest\"},\"ImageConfig\":{"
                "\"Command\":"
                "[\"app.handler\"]}}",
                201);
        assert_string_equal(fake.api_function, "pic");
        assert_string_equal(fake.api_declaration,
                            "{\"image\":\"lambdad-test-hello:latest\",\"command\":[\"app.handler\"]}");
        assert_int_equal(fake.api_n_fds, 0);
        assert_member(o, "PackageType", "Image");
        assert_member(o, "State", "Active");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(
                                    json_at(o, "ImageConfigResponse.ImageConfig.Command"), 0)),
                            "app.handler");
        json_object_put(o);
}

static void test_get(void **state)
{
        json_object *o;

        o = expect_ok("GET", "/2015-03-31/functions/hello", NULL, NULL, 200);
        assert_member(o, "Configuration.FunctionName", "hello");
        assert_member(o, "Configuration.Runtime", "python3.12");
        assert_member(o, "Configuration.RevisionId", "rev-1");
        assert_member(o, "Configuration.State", "Active");
        assert_member(o, "Code.RepositoryType", "S3");
        assert_member(o, "Tags.team", "a");
        json_object_put(o);

        o = expect_ok("GET", "/2015-03-31/functions/img/configuration", NULL, NULL, 200);
        assert_member(o, "FunctionName", "img");
        assert_member(o, "State", "Pending");
        assert_member(o, "StateReasonCode", "Creating");
        assert_member(o, "LastUpdateStatus", "InProgress");
        assert_null(json_at(o, "Configuration"));
        json_object_put(o);

        /* What Terraform reads besides: the versions ($LATEST first), no code signing. */
        o = expect_ok("GET", "/2015-03-31/functions/hello/versions?MaxItems=50", NULL, NULL, 200);
        assert_int_equal(json_object_array_length(json_at(o, "Versions")), 2);
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 0), "Version", "$LATEST");
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 0), "FunctionArn",
                      "arn:aws:lambda:us-east-1:000000000000:function:hello:$LATEST");
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 1), "Version", "1");
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 1), "FunctionArn",
                      "arn:aws:lambda:us-east-1:000000000000:function:hello:1");
        json_object_put(o);
        /* Pages: MaxItems, and the NextMarker that gives the rest. */
        o = expect_ok("GET", "/2015-03-31/functions/hello/versions?MaxItems=1", NULL, NULL, 200);
        assert_int_equal(json_object_array_length(json_at(o, "Versions")), 1);
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 0), "Version", "$LATEST");
        assert_member(o, "NextMarker", "1");
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/versions?MaxItems=1&Marker=1", NULL, NULL, 200);
        assert_member(json_object_array_get_idx(json_at(o, "Versions"), 0), "Version", "1");
        assert_null(json_at(o, "NextMarker"));
        json_object_put(o);
        expect_error("GET", "/2015-03-31/functions/hello/versions?Marker=9", NULL, NULL, 400,
                     "InvalidParameterValueException", "Invalid Marker");
        o = expect_ok("GET", "/2020-06-30/functions/hello/code-signing-config", NULL, NULL, 200);
        assert_member(o, "CodeSigningConfigArn", "");
        assert_member(o, "FunctionName", "hello");
        json_object_put(o);
        expect_error("GET", "/2015-03-31/functions/nope/versions", NULL, NULL, 404,
                     "ResourceNotFoundException", "Function not found");

        /* Qualifiers: $LATEST is the function, a version the manager's NAME:N, an alias its version. */
        o = expect_ok("GET", "/2015-03-31/functions/hello%3A%24LATEST/configuration", NULL, NULL, 200);
        assert_member(o, "Version", "$LATEST");
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/configuration?Qualifier=1", NULL, NULL, 200);
        assert_member(o, "Version", "1");
        assert_member(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:1");
        json_object_put(o);
        /* Through an alias: the version's configuration, the alias's ARN, as Lambda answers. */
        o = expect_ok("GET", "/2015-03-31/functions/hello%3Alive", NULL, NULL, 200);
        assert_member(o, "Configuration.Version", "1");
        assert_member(o, "Configuration.FunctionArn",
                      "arn:aws:lambda:us-east-1:000000000000:function:hello:live");
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/configuration?Qualifier=live", NULL, NULL, 200);
        assert_member(o, "Version", "1");
        assert_member(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:live");
        json_object_put(o);
        expect_error("GET", "/2015-03-31/functions/hello?Qualifier=prod", NULL, NULL, 404,
                     "ResourceNotFoundException",
                     "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello:prod");
        expect_error("GET", "/2015-03-31/functions/hello?Qualifier=2", NULL, NULL, 404,
                     "ResourceNotFoundException",
                     "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello:2");
        expect_error("GET", "/2015-03-31/functions/hello?Qualifier=0", NULL, NULL, 404,
                     "ResourceNotFoundException",
                     "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello:0");
        expect_error("PUT", "/2015-03-31/functions/hello%3A1/configuration", NULL, "{}", 404,
                     "ResourceNotFoundException", "function:hello:1");
        assert_int_equal(fake.n_api, 3); /* GetAlias: prod and live, twice */
        fake.n_api = 0;
        expect_error("GET", "/2015-03-31/functions/nope", NULL, NULL, 404, "ResourceNotFoundException",
                     "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope");
        assert_int_equal(fake.n_api, 0);
}

static void test_versions_and_aliases(void **state)
{
        json_object *o;

        /* PublishVersion: 201, with or without a body. */
        o = expect_ok("POST", "/2015-03-31/functions/hello/versions", NULL,
                      "{\"CodeSha256\":\"q83vEjRWeJA=\",\"Description\":\"first\",\"RevisionId\":\"rev-1\"}",
                      201);
        assert_string_equal(fake.api_method, "PublishVersion");
        assert_string_equal(fake.api_declaration, "q83vEjRWeJA=|first");
        assert_string_equal(fake.api_revision, "rev-1");
        assert_member(o, "Version", "1");
        json_object_put(o);
        o = expect_ok("POST", "/2015-03-31/functions/hello/versions", NULL, NULL, 201);
        assert_string_equal(fake.api_declaration, "|");
        json_object_put(o);
        expect_error("POST", "/2015-03-31/functions/hello/versions", NULL, "{\"Description\":7}", 400,
                     "InvalidRequestContentException", "Description");
        expect_error("DELETE", "/2015-03-31/functions/hello?Qualifier=live", NULL, NULL, 400,
                     "InvalidParameterValueException", "DeleteAlias");

        /* DeleteFunction of a version: the manager's NAME:N. */
        o = expect_ok("DELETE", "/2015-03-31/functions/hello?Qualifier=1", NULL, NULL, 204);
        assert_string_equal(fake.api_method, "DeleteFunction");
        assert_string_equal(fake.api_function, "hello:1");

        /* The aliases. */
        o = expect_ok("POST", "/2015-03-31/functions/hello/aliases", NULL,
                      "{\"Name\":\"beta\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{"
                      "\"AdditionalVersionWeights\":{\"2\":0.25}}}",
                      201);
        assert_string_equal(fake.api_method, "CreateAlias");
        assert_string_equal(fake.api_alias, "beta");
        assert_string_equal(fake.api_alias_version, "1");
        assert_true(fake.api_alias_weight == 0.25);
        assert_member(o, "AliasArn", "arn:aws:lambda:us-east-1:000000000000:function:hello:beta");
        assert_member(o, "RoutingConfig.AdditionalVersionWeights.2", "0.25");
        assert_member(o, "RevisionId", "alias-rev");
        json_object_put(o);
        expect_error("POST", "/2015-03-31/functions/hello/aliases", NULL,
                     "{\"Name\":\"12\",\"FunctionVersion\":\"1\"}", 400, "InvalidParameterValueException",
                     "at 'name'");
        expect_error("POST", "/2015-03-31/functions/hello/aliases", NULL, "{\"Name\":\"b\"}", 400,
                     "InvalidParameterValueException", "at 'functionVersion'");
        o = expect_ok("PUT", "/2015-03-31/functions/hello/aliases/live", NULL,
                      "{\"FunctionVersion\":\"2\",\"RevisionId\":\"alias-rev\",\"RoutingConfig\":{}}", 200);
        assert_string_equal(fake.api_method, "UpdateAlias");
        assert_string_equal(fake.api_revision, "alias-rev");
        assert_string_equal(fake.api_alias_version, "2");
        assert_true(fake.api_alias_weight == 0); /* given, and empty: no more weights */
        assert_null(json_at(o, "RoutingConfig"));
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/aliases/live", NULL, NULL, 200);
        assert_member(o, "Name", "live");
        assert_member(o, "FunctionVersion", "1");
        json_object_put(o);
        expect_error("GET", "/2015-03-31/functions/hello/aliases/nope", NULL, NULL, 404,
                     "ResourceNotFoundException",
                     "Alias not found: arn:aws:lambda:us-east-1:000000000000:function:hello:nope");
        o = expect_ok("GET", "/2015-03-31/functions/hello/aliases", NULL, NULL, 200);
        assert_int_equal(json_object_array_length(json_at(o, "Aliases")), 1);
        json_object_put(o);
        /* FunctionVersion: the aliases that run it (live: version 1, and 2 by its weight). */
        o = expect_ok("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=1", NULL, NULL, 200);
        assert_int_equal(json_object_array_length(json_at(o, "Aliases")), 1);
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=2", NULL, NULL, 200);
        assert_int_equal(json_object_array_length(json_at(o, "Aliases")), 1);
        json_object_put(o);
        o = expect_ok("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=%24LATEST", NULL, NULL,
                      200);
        assert_int_equal(json_object_array_length(json_at(o, "Aliases")), 0);
        json_object_put(o);
        o = expect_ok("DELETE", "/2015-03-31/functions/hello/aliases/live", NULL, NULL, 204);
        assert_string_equal(fake.api_method, "DeleteAlias");
        fake.api_error = LAMBDAD_ERROR_RESOURCE_CONFLICT;
        fake.api_message = "Alias already exists: hello:live";
        expect_error("POST", "/2015-03-31/functions/hello/aliases", NULL,
                     "{\"Name\":\"live\",\"FunctionVersion\":\"1\"}", 409, "ResourceConflictException",
                     "Alias already exists");
}

static void test_updates_and_delete(void **state)
{
        json_object *o;

        o = expect_ok("PUT", "/2015-03-31/functions/hello/code", NULL,
                      "{\"ZipFile\":\"UEsFBg==\",\"RevisionId\":\"rev-1\",\"Publish\":false}", 200);
        assert_string_equal(fake.api_method, "UpdateFunction");
        assert_string_equal(fake.api_function, "hello");
        assert_string_equal(fake.api_revision, "rev-1");
        assert_string_equal(fake.api_declaration, "{}");
        assert_int_equal(fake.api_n_fds, 1);
        assert_memory_equal(fake.api_zip.data, "PK\x05\x06", 4);
        assert_member(o, "LastUpdateStatus", "InProgress");
        json_object_put(o);

        o = expect_ok("PUT", "/2015-03-31/functions/img/code", NULL,
                      "{\"ImageUri\":\"lambdad-test-hello:v2\"}", 200);
        assert_string_equal(fake.api_revision, "");
        assert_string_equal(fake.api_declaration, "{\"image\":\"lambdad-test-hello:v2\"}");
        assert_int_equal(fake.api_n_fds, 0);
        json_object_put(o);

        o = expect_ok(
                "PUT", "/2015-03-31/functions/hello/configuration", NULL,
                "{\"MemorySize\":512,\"Environment\":{\"Variables\":{\"MODE\":\"x\"}},\"Description\":\"\"}",
                200);
        assert_string_equal(fake.api_method, "UpdateFunction");
        assert_string_equal(fake.api_declaration,
                            "{\"memory_mb\":512,\"environment\":{\"MODE\":\"x\"},\"description\":null}");
        assert_int_equal(fake.api_n_fds, 0);
        json_object_put(o);

        assert_null(expect_ok("DELETE", "/2015-03-31/functions/hello", NULL, NULL, 204));
        assert_string_equal(fake.api_method, "DeleteFunction");
        assert_string_equal(fake.api_function, "hello");
        /* $LATEST goes only with the function, as on Lambda. */
        expect_error("DELETE", "/2015-03-31/functions/hello?Qualifier=%24LATEST", NULL, NULL, 400,
                     "InvalidParameterValueException",
                     "$LATEST version cannot be deleted without deleting the function.");
        expect_error("DELETE", "/2015-03-31/functions/hello%3A%24LATEST", NULL, NULL, 400,
                     "InvalidParameterValueException", "$LATEST version cannot be deleted");
        assert_int_equal(fake.n_api, 4);
}

/* A function's concurrency and event invoke config (function-settings.c): read from the declaration,
 * changed through UpdateFunction at the revision read. */
static void test_settings(void **state)
{
        json_object *o;

        o = expect_ok("GET", "/2019-09-30/functions/hello/concurrency", NULL, NULL, 200);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{}");
        json_object_put(o);
        assert_int_equal(fake.n_api, 0);

        o = expect_ok("PUT", "/2017-10-31/functions/hello/concurrency", NULL,
                      "{\"ReservedConcurrentExecutions\":0}", 200);
        /* UpdateFunction of hello, at the revision read, with the changes and no zip. */
        assert_true(streq_ptr(fake.api_method, "UpdateFunction") && streq_ptr(fake.api_function, "hello") &&
                    streq_ptr(fake.api_revision, "rev-1") && fake.api_n_fds == 0);
        assert_string_equal(fake.api_declaration, "{\"max_instances\":0}");
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                            "{\"ReservedConcurrentExecutions\":0}");
        json_object_put(o);

        assert_null(expect_ok("DELETE", "/2017-10-31/functions/hello/concurrency", NULL, NULL, 204));
        assert_string_equal(fake.api_declaration, "{\"max_instances\":null}");

        o = expect_ok("PUT", "/2019-09-25/functions/hello/event-invoke-config", NULL,
                      "{\"MaximumRetryAttempts\":1,\"DestinationConfig\":{\"OnFailure\":{\"Destination\":"
                      "\"arn:aws:lambda:us-east-1:000000000000:function:img\"}}}",
                      200);
        assert_string_equal(
                fake.api_declaration,
                "{\"maximum_retry_attempts\":1,\"maximum_event_age_sec\":null,\"on_success\":null,"
                "\"on_failure\":{\"function\":\"img\"}}");
        assert_member(o, "MaximumRetryAttempts", "1");
        assert_member(o, "DestinationConfig.OnFailure.Destination",
                      "arn:aws:lambda:us-east-1:000000000000:function:img");
        assert_member(o, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:hello");
        assert_true(json_object_is_type(json_at(o, "LastModified"), json_type_double));
        json_object_put(o);

        o = expect_ok("POST", "/2019-09-25/functions/hello/event-invoke-config", NULL,
                      "{\"MaximumEventAgeInSeconds\":600}", 200);
        assert_string_equal(fake.api_declaration, "{\"maximum_event_age_sec\":600}");
        json_object_put(o);
        assert_int_equal(fake.n_api, 4);

        /* hello's declaration has none: Get and Delete find nothing, Delete changes nothing. */
        expect_error("GET", "/2019-09-25/functions/hello/event-invoke-config", NULL, NULL, 404,
                     "ResourceNotFoundException", "doesn't have an EventInvokeConfig");
        expect_error("DELETE", "/2019-09-25/functions/hello/event-invoke-config", NULL, NULL, 404,
                     "ResourceNotFoundException", "doesn't have an EventInvokeConfig");
        assert_int_equal(fake.n_api, 4);
        o = expect_ok("GET", "/2019-09-25/functions/hello/event-invoke-config/list", NULL, NULL, 200);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                            "{\"FunctionEventInvokeConfigs\":[]}");
        json_object_put(o);

        /* Refused before the manager is asked. */
        expect_error("PUT", "/2019-09-25/functions/hello/event-invoke-config", NULL,
                     "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws:sns:us-east-1:"
                     "000000000000:topic\"}}}",
                     400, "InvalidParameterValueException", "lambdad supports function destinations only");
        expect_error("PUT", "/2017-10-31/functions/hello/concurrency", NULL, "{}", 400,
                     "InvalidParameterValueException", "Member must not be null");
        expect_error("PUT", "/2017-10-31/functions/hello/concurrency", NULL, "{", 400,
                     "InvalidRequestContentException", "Could not parse request body");
        expect_error("GET", "/2019-09-30/functions/hello/concurrency?Qualifier=1", NULL, NULL, 404,
                     "ResourceNotFoundException", "function:hello:1");
        expect_error("GET", "/2019-09-30/functions/nosuch/concurrency", NULL, NULL, 404,
                     "ResourceNotFoundException", "function:nosuch");
        assert_int_equal(fake.n_api, 4);

        /* The manager's refusal (the operator's function): 409. */
        fake.api_error = LAMBDAD_ERROR_RESOURCE_CONFLICT;
        expect_error("PUT", "/2017-10-31/functions/hello/concurrency", NULL,
                     "{\"ReservedConcurrentExecutions\":2}", 409, "ResourceConflictException", "refused");
        fake.api_error = NULL;
}

static void test_manager_errors(void **state)
{
        static const struct {
                const char *error, *message;
                int status;
                const char *type, *part;
        } table[] = {
                { LAMBDAD_ERROR_RESOURCE_CONFLICT, "Function already exist: hello", 409,
                  "ResourceConflictException", "Function already exist: hello" },
                { LAMBDAD_ERROR_PRECONDITION_FAILED, "The Revision Id provided does not match", 412,
                  "PreconditionFailedException", "does not match" },
                { SD_BUS_ERROR_INVALID_ARGS, "memory_mb: expected an integer from 128 to 10240, got 64", 400,
                  "InvalidParameterValueException", "MemorySize: expected an integer" },
                { SD_BUS_ERROR_INVALID_ARGS, "environment.AWS_LAMBDA_FUNCTION_NAME: reserved", 400,
                  "InvalidParameterValueException", "Environment.AWS_LAMBDA_FUNCTION_NAME: reserved" },
                { LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "No function 'hello'.", 404, "ResourceNotFoundException",
                  "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello" },
                { LAMBDAD_ERROR_BACKEND_UNAVAILABLE, "the engine is away", 503, "ServiceException",
                  "the engine is away" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                fake.api_error = table[i].error;
                fake.api_message = table[i].message;
                expect_error("PUT", "/2015-03-31/functions/hello/configuration", NULL, "{\"Timeout\":5}",
                             table[i].status, table[i].type, table[i].part);
        }
        fake.api_error = LAMBDAD_ERROR_RESOURCE_CONFLICT;
        fake.api_message = "Function already exist: hello";
        expect_error("DELETE", "/2015-03-31/functions/hello", NULL, NULL, 409, "ResourceConflictException",
                     "Function already exist");

        /* A manager without the control plane: not worth retrying. */
        fake.api_error = NULL;
        fake.api_absent = true;
        expect_error("DELETE", "/2015-03-31/functions/hello", NULL, NULL, 500, "ServiceException",
                     "does not offer this operation");
        /* None at all: try again. */
        fake_manager_disconnect(&fake);
        expect_error("GET", "/2015-03-31/functions/hello", NULL, NULL, 503, "ServiceException", "");
        fake_manager_connect(&fake, gw->event);
}

static void test_bad_bodies(void **state)
{
        static const struct {
                const char *method, *path, *body, *type, *part;
        } table[] = {
                { "POST", "/2015-03-31/functions", "", "InvalidRequestContentException",
                  "expected a JSON object" },
                { "POST", "/2015-03-31/functions", "{\"FunctionName\":", "InvalidRequestContentException",
                  "Could not parse request body into json" },
                { "POST", "/2015-03-31/functions", "{} {}", "InvalidRequestContentException",
                  "Could not parse request body into json" },
                { "PUT", "/2015-03-31/functions/hello/configuration", "[1]",
                  "InvalidRequestContentException", "expected a JSON object" },
                { "PUT", "/2015-03-31/functions/hello/configuration", "{\"MemorySize\":64}",
                  "InvalidParameterValueException", "Value '64' at 'memorySize'" },
                { "PUT", "/2015-03-31/functions/hello/code", "{\"ZipFile\":\"not base64!\"}",
                  "InvalidParameterValueException", "Could not decode ZipFile" },
                { "PUT", "/2015-03-31/functions/hello/code", "{\"ZipFile\":\"AA==AA==\"}",
                  "InvalidParameterValueException", "Could not decode ZipFile" },
                { "POST", "/2015-03-31/functions",
                  "{\"FunctionName\":\"f\",\"Runtime\":\"cobol\",\"Handler\":\"a\",\"Code\":{\"ZipFile\":"
                  "\"AAAA\"}}",
                  "InvalidParameterValueException", "at 'runtime' failed to satisfy constraint" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                expect_error(table[i].method, table[i].path, NULL, table[i].body, 400, table[i].type,
                             table[i].part);
        /* A NUL inside the body. */
        test_client_send_len(&tc,
                             "PUT /2015-03-31/functions/hello/configuration HTTP/1.1\r\nHost: g\r\n"
                             "Content-Length: 4\r\n\r\n{\0}\n",
                             STRLEN("PUT /2015-03-31/functions/hello/configuration HTTP/1.1\r\nHost: g\r\n"
                                    "Content-Length: 4\r\n\r\n{\0}\n"));
        {
                TestResponse r;

                test_client_response(gw, &tc, &r);
                test_assert_error(&r, 400, "InvalidRequestContentException", "expected a JSON object");
                test_response_done(&r);
        }
        /* Nothing reached the manager, and the connection is still good. */
        assert_int_equal(fake.n_api, 0);
        assert_false(tc.eof);
}

/* Sends len bytes, running the gateway's loop while the socket's buffer is full. */
static void send_large(const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = send(tc.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0) {
                        assert_int_equal(errno, EAGAIN);
                        assert_true(sd_event_run(gw->event, 10 * USEC_PER_MSEC) >= 0);
                        continue;
                }
                p += n;
                len -= (size_t) n;
        }
}

static void test_body_limits(void **state)
{
        _cleanup_free_ char *head = NULL, *body = NULL;
        static const char prefix[] =
                "{\"FunctionName\":\"big\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\","
                "\"Code\":{\"ZipFile\":\"",
                          suffix[] = "\"}}";
        size_t zip_b64 = 7 * 1024 * 1024, len = STRLEN(prefix) + zip_b64 + STRLEN(suffix);
        TestResponse r;
        json_object *o;

        /* Past Lambda's bound for an upload, answered from the head alone. */
        test_client_exchange(
                gw, &tc,
                "POST /2015-03-31/functions HTTP/1.1\r\nHost: g\r\nContent-Length: 69905068\r\n\r\n", &r);
        test_assert_error(&r, 413, "RequestEntityTooLargeException",
                          "Request must be smaller than 69905067 bytes for the CreateFunction operation");
        test_response_done(&r);
        test_client_wait_eof(gw, &tc);
        test_client_close(&tc);
        test_client_open(gw, &tc);
        test_client_exchange(gw, &tc,
                             "PUT /2015-03-31/functions/hello/configuration HTTP/1.1\r\nHost: g\r\n"
                             "Content-Length: 6291457\r\n\r\n",
                             &r);
        test_assert_error(
                &r, 413, "RequestEntityTooLargeException",
                "Request must be smaller than 6291456 bytes for the UpdateFunctionConfiguration operation");
        test_response_done(&r);
        test_client_close(&tc);
        test_client_open(gw, &tc);
        /* Invocations keep their own bound and words. */
        test_client_exchange(gw, &tc,
                             "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: g\r\n"
                             "Content-Length: 6291457\r\n\r\n",
                             &r);
        test_assert_error(&r, 413, "RequestTooLargeException", "for the InvokeFunction operation");
        test_response_done(&r);
        test_client_close(&tc);
        test_client_open(gw, &tc);

        /* A 7 MB upload (past the invocation bound) is taken: 5.25 MB of zip reach the manager. */
        assert_true(asprintf(&head,
                             "POST /2015-03-31/functions HTTP/1.1\r\nHost: g\r\nContent-Length: %zu\r\n\r\n",
                             len) >= 0);
        body = malloc(len);
        assert_non_null(body);
        memcpy(body, prefix, STRLEN(prefix));
        memset(body + STRLEN(prefix), 'A', zip_b64);
        memcpy(body + STRLEN(prefix) + zip_b64, suffix, STRLEN(suffix));
        send_large(head, strlen(head));
        send_large(body, len);
        test_client_response(gw, &tc, &r);
        if (r.status != 201)
                fail_msg("%s%s", r.head, r.body);
        o = json_tokener_parse(r.body);
        assert_member(o, "FunctionName", "big");
        json_object_put(o);
        test_response_done(&r);
        assert_int_equal(fake.api_zip.len, zip_b64 / 4 * 3);
}

/* An api-keys line for key. */
static void add_key(Auth *a, const char *name, const char *key, const char *allowed, const char *rights)
{
        _cleanup_free_ char *line = NULL;
        char hash[SHA256_HEX_SIZE];

        assert_int_equal(sigv4_sha256_hex(key, strlen(key), hash), 0);
        assert_true(asprintf(&line, "%s %s %s %s\n", name, hash, allowed, rights) >= 0);
        assert_int_equal(auth_parse_api_keys(a, line, strlen(line), "api-keys", NULL), 0);
}

/* Authentication on, with Bearer keys: invoker may invoke everything, deployer manage hello, admin
 * (as LAMBDAD_API_KEY) do both to everything. */
static void auth_on(void)
{
        Auth *a = calloc(1, sizeof(Auth));

        assert_non_null(a);
        assert_int_equal(auth_add_api_key(a, "admin", "admin-key-00", NULL), 0);
        add_key(a, "invoker", "invoke-key-1", "*", "invoke");
        add_key(a, "deployer", "deploy-key-0", "hello", "manage");
        gw->auth = a;
        gw->config.auth = true;
}

static void test_authorization(void **state)
{
        static const struct {
                const char *method, *path, *body, *operation;
        } routes[] = {
                { "POST", "/2015-03-31/functions",
                  "{\"FunctionName\":\"hello\",\"Runtime\":\"python3.12\",\"Handler\":\"a.b\",\"Code\":{"
                  "\"ZipFile\":"
                  "\"AAAA\"}}",
                  "CreateFunction" },
                { "GET", "/2015-03-31/functions/hello", NULL, "GetFunction" },
                { "GET", "/2015-03-31/functions/hello/configuration", NULL, "GetFunctionConfiguration" },
                { "PUT", "/2015-03-31/functions/hello/code", "{\"ZipFile\":\"AAAA\"}",
                  "UpdateFunctionCode" },
                { "PUT", "/2015-03-31/functions/hello/configuration", "{\"Timeout\":4}",
                  "UpdateFunctionConfiguration" },
                { "DELETE", "/2015-03-31/functions/hello", NULL, "DeleteFunction" },
                { "GET", "/2015-03-31/functions/hello/versions", NULL, "ListVersionsByFunction" },
                { "GET", "/2020-06-30/functions/hello/code-signing-config", NULL,
                  "GetFunctionCodeSigningConfig" },
                { "POST", "/2015-03-31/functions/hello/versions", "{}", "PublishVersion" },
                { "POST", "/2015-03-31/functions/hello/aliases",
                  "{\"Name\":\"b\",\"FunctionVersion\":\"1\"}", "CreateAlias" },
                { "GET", "/2015-03-31/functions/hello/aliases", NULL, "ListAliases" },
                { "GET", "/2015-03-31/functions/hello/aliases/live", NULL, "GetAlias" },
                { "PUT", "/2015-03-31/functions/hello/aliases/live", "{\"FunctionVersion\":\"1\"}",
                  "UpdateAlias" },
                { "DELETE", "/2015-03-31/functions/hello/aliases/live", NULL, "DeleteAlias" },
        };

        auth_on();

        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                char message[256];
                json_object *o;

                /* Invoke rights do not manage: 403, and nothing reaches the manager. */
                (void) snprintf(message, sizeof(message),
                                "User: invoker is not authorized to perform: lambda:%s on resource: "
                                "arn:aws:lambda:us-east-1:000000000000:function:hello",
                                routes[i].operation);
                expect_error(routes[i].method, routes[i].path, "Authorization: Bearer invoke-key-1\r\n",
                             routes[i].body, 403, "AccessDeniedException", message);
                /* No credentials at all. */
                expect_error(routes[i].method, routes[i].path, NULL, routes[i].body, 403,
                             "MissingAuthenticationTokenException", "Missing Authentication Token");
                assert_int_equal(fake.n_api, 0);

                /* Manage rights on the function do; so does LAMBDAD_API_KEY's. */
                o = expect_ok(routes[i].method, routes[i].path, "Authorization: Bearer deploy-key-0\r\n",
                              routes[i].body,
                              strcmp(routes[i].method, "POST") == 0     ? 201
                              : strcmp(routes[i].method, "DELETE") == 0 ? 204
                                                                        : 200);
                json_object_put(o);
                o = expect_ok(routes[i].method, routes[i].path, "Authorization: Bearer admin-key-00\r\n",
                              routes[i].body,
                              strcmp(routes[i].method, "POST") == 0     ? 201
                              : strcmp(routes[i].method, "DELETE") == 0 ? 204
                                                                        : 200);
                json_object_put(o);
                fake.n_api = 0;
        }
        /* Manage rights on hello are not on other functions, wherever the name is. */
        expect_error("GET", "/2015-03-31/functions/img", "Authorization: Bearer deploy-key-0\r\n", NULL, 403,
                     "AccessDeniedException", "lambda:GetFunction on resource");
        expect_error(
                "POST", "/2015-03-31/functions", "Authorization: Bearer deploy-key-0\r\n",
                "{\"FunctionName\":\"other\",\"PackageType\":\"Image\",\"Code\":{\"ImageUri\":\"x:1\"}}",
                403, "AccessDeniedException",
                "lambda:CreateFunction on resource: "
                "arn:aws:lambda:us-east-1:000000000000:function:other");
        assert_int_equal(fake.n_api, 0);
        /* Nor do they invoke; ListFunctions is any known caller's. */
        expect_error("POST", "/2015-03-31/functions/hello/invocations",
                     "Authorization: Bearer deploy-key-0\r\n", "{}", 403, "AccessDeniedException",
                     "not authorized");
        {
                TestResponse r;

                exchange("GET", "/2015-03-31/functions/", "Authorization: Bearer invoke-key-1\r\n", NULL,
                         &r);
                assert_int_equal(r.status, 200);
                test_response_done(&r);
        }
}

static void test_client_leaves(void **state)
{
        json_object *o;

        fake.api_hold = true;
        test_client_send(&tc, "DELETE /2015-03-31/functions/hello HTTP/1.1\r\nHost: g\r\n\r\n");
        RUN_UNTIL(gw, fake.api_call);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_clients == 0);
        fake.api_hold = false;
        fake_manager_answer_api(&fake);

        /* The late answer is dropped; the next call is answered. */
        test_client_open(gw, &tc);
        o = expect_ok("GET", "/2015-03-31/functions/hello/configuration", NULL, NULL, 200);
        json_object_put(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_zip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get, setup, teardown),
                cmocka_unit_test_setup_teardown(test_versions_and_aliases, setup, teardown),
                cmocka_unit_test_setup_teardown(test_updates_and_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
                cmocka_unit_test_setup_teardown(test_body_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authorization, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves, setup, teardown),
        };

        return test_bus_run_tests(tests, NULL);
}
