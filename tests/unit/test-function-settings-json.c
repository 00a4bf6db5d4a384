/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A function's concurrency and event invoke config in Lambda's shapes (function-settings-json.h): the
 * requests of PutFunctionConcurrency and {Put,Update}FunctionEventInvokeConfig validated as Lambda
 * validates them and turned into the declaration's changes; destination ARNs (a function's, and the
 * others lambdad refuses); and the answers built from a declaration.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "function-settings-json.h"
#include "macro.h"

#define ARN "arn:aws:lambda:us-east-1:000000000000:function:"

static const FunctionContext ctx = { .name = "f", .arn = ARN "f" };

typedef enum Kind { CONCURRENCY, PUT, UPDATE } Kind;

static int parse(Kind kind, const char *json, char **ret, ApiError *e)
{
        json_object *body = json_tokener_parse(json);
        int r;

        if (!body)
                fail_msg("not JSON: %s", json);
        r = kind == CONCURRENCY ? concurrency_request_parse(body, e, ret)
                                : event_invoke_config_request_parse(body, "f", kind == PUT, e, ret);
        json_object_put(body);
        return r;
}

static void expect_changes(Kind kind, const char *json, const char *changes)
{
        _cleanup_(api_error_done) ApiError e = {};
        _cleanup_free_ char *got = NULL;

        if (parse(kind, json, &got, &e) < 0)
                fail_msg("%s refused: %s", json, e.message);
        assert_string_equal(got, changes);
}

static void expect_error(Kind kind, const char *json, const char *type, const char *message_part)
{
        _cleanup_(api_error_done) ApiError e = {};
        char *got = NULL;

        assert_int_equal(parse(kind, json, &got, &e), -EINVAL);
        assert_null(got);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.type, type);
        if (!strstr(e.message, message_part))
                fail_msg("'%s' does not say '%s'", e.message, message_part);
}

static void test_concurrency_request(void **state)
{
        expect_changes(CONCURRENCY, "{\"ReservedConcurrentExecutions\":0}", "{\"max_instances\":0}");
        expect_changes(CONCURRENCY, "{\"ReservedConcurrentExecutions\":7,\"FunctionName\":\"x\"}",
                       "{\"max_instances\":7}");
        expect_changes(CONCURRENCY, "{\"ReservedConcurrentExecutions\":1000}", "{\"max_instances\":1000}");
        expect_error(CONCURRENCY, "{}", API_INVALID_PARAMETER, "Member must not be null");
        expect_error(CONCURRENCY, "{\"ReservedConcurrentExecutions\":null}", API_INVALID_PARAMETER,
                     "Member must not be null");
        expect_error(
                CONCURRENCY, "{\"ReservedConcurrentExecutions\":-1}", API_INVALID_PARAMETER,
                "Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 0");
        expect_error(CONCURRENCY, "{\"ReservedConcurrentExecutions\":1001}", API_INVALID_PARAMETER,
                     "less than or equal to 1000");
        expect_error(CONCURRENCY, "{\"ReservedConcurrentExecutions\":\"1\"}", API_INVALID_CONTENT, "");
        expect_error(CONCURRENCY, "[]", API_INVALID_CONTENT, "expected a JSON object");
}

static void test_event_invoke_config_request(void **state)
{
        /* Put replaces everything: what it leaves out goes back to the default. */
        expect_changes(PUT, "{}",
                       "{\"maximum_retry_attempts\":null,\"maximum_event_age_sec\":null,\"on_success\":null,"
                       "\"on_failure\":null}");
        expect_changes(PUT,
                       "{\"MaximumRetryAttempts\":0,\"MaximumEventAgeInSeconds\":60,\"DestinationConfig\":{"
                       "\"OnSuccess\":{\"Destination\":\"" ARN "ok\"},\"OnFailure\":{\"Destination\":\"" ARN
                       "bad:$LATEST\"}}}",
                       "{\"maximum_retry_attempts\":0,\"maximum_event_age_sec\":60,\"on_success\":{"
                       "\"function\":\"ok\"},\"on_failure\":{\"function\":\"bad\"}}");
        /* Update merges: only what it gives changes; an empty destination removes it. */
        expect_changes(UPDATE, "{}", "{}");
        expect_changes(UPDATE, "{\"MaximumRetryAttempts\":2}", "{\"maximum_retry_attempts\":2}");
        expect_changes(UPDATE, "{\"DestinationConfig\":{\"OnFailure\":{}}}", "{\"on_failure\":null}");
        expect_changes(UPDATE, "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"\"}}}",
                       "{\"on_success\":null}");
        expect_changes(
                UPDATE,
                "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"arn:aws-cn:lambda:cn-north-1:"
                "123456789012:function:dest\"}}}",
                "{\"on_success\":{\"function\":\"dest\"}}");

        expect_error(PUT, "{\"MaximumRetryAttempts\":3}", API_INVALID_PARAMETER,
                     "Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have "
                     "value less than or equal to 2");
        expect_error(UPDATE, "{\"MaximumRetryAttempts\":-1}", API_INVALID_PARAMETER,
                     "greater than or equal to 0");
        expect_error(PUT, "{\"MaximumEventAgeInSeconds\":59}", API_INVALID_PARAMETER,
                     "Value '59' at 'maximumEventAgeInSeconds'");
        expect_error(PUT, "{\"MaximumEventAgeInSeconds\":21601}", API_INVALID_PARAMETER,
                     "less than or equal to 21600");
        expect_error(PUT, "{\"MaximumRetryAttempts\":true}", API_INVALID_CONTENT, "");
        expect_error(PUT, "{\"DestinationConfig\":[]}", API_INVALID_CONTENT, "");
        expect_error(PUT, "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":5}}}", API_INVALID_CONTENT,
                     "");
        expect_error(PUT, "{\"DestinationConfig\":{\"OnSuccess\":{\"Destination\":\"" ARN "f\"}}}",
                     API_INVALID_PARAMETER, "destination for itself");
        expect_error(PUT, "7", API_INVALID_CONTENT, "expected a JSON object");
}

static void expect_destination(const char *arn, const char *name)
{
        _cleanup_(api_error_done) ApiError e = {};
        char got[LAMBDA_FUNCTION_NAME_MAX + 1];

        if (destination_arn_parse(arn, "D", &e, got) < 0)
                fail_msg("%s refused: %s", arn, e.message);
        assert_string_equal(got, name);
}

static void expect_destination_refused(const char *arn, const char *message_part)
{
        _cleanup_(api_error_done) ApiError e = {};
        char got[LAMBDA_FUNCTION_NAME_MAX + 1];

        assert_int_equal(destination_arn_parse(arn, "D", &e, got), -EINVAL);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.type, API_INVALID_PARAMETER);
        if (!strstr(e.message, message_part))
                fail_msg("'%s' does not say '%s'", e.message, message_part);
}

static void test_destination_arn(void **state)
{
        char long_arn[400];

        expect_destination(ARN "dest", "dest");
        expect_destination(ARN "dest:$LATEST", "dest");
        expect_destination("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:a_b-9", "a_b-9");

        expect_destination_refused("arn:aws:sqs:us-east-1:123456789012:queue",
                                   "lambdad supports function destinations only");
        expect_destination_refused("arn:aws:sqs:us-east-1:123456789012:queue", "an ARN of sqs");
        expect_destination_refused("arn:aws:sns:us-east-1:123456789012:topic", "an ARN of sns");
        expect_destination_refused("arn:aws:events:us-east-1:123456789012:event-bus/default",
                                   "an ARN of events");
        expect_destination_refused("arn:aws:s3:::bucket", "an ARN of s3");
        expect_destination_refused("kafka://broker:9092", "function destinations only");
        expect_destination_refused("dest", "function destinations only");
        expect_destination_refused("000000000000:function:dest", "function destinations only");
        expect_destination_refused("arn:aws:lambda:us-east-1:000000000000:layer:x:1",
                                   "function destinations only");
        expect_destination_refused(ARN "bad name", "function destinations only");
        expect_destination_refused("arn:aws:lambda:us-east-1:123:function:dest",
                                   "function destinations only");
        expect_destination_refused(ARN "dest:1", "got qualifier '1'");
        expect_destination_refused(ARN "dest:live", "got qualifier 'live'");
        memset(long_arn, 'a', sizeof(long_arn) - 1);
        long_arn[sizeof(long_arn) - 1] = 0;
        memcpy(long_arn, ARN, strlen(ARN));
        expect_destination_refused(long_arn, "Member must have length less than or equal to 350");
}

static void expect_json(json_object *o, const char *expected)
{
        const char *got =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        assert_string_equal(got, expected);
        json_object_put(o);
}

static void test_answers(void **state)
{
        json_object *o = NULL;

        assert_int_equal(concurrency_json("{\"image\":\"x\"}", &o), 0);
        expect_json(o, "{}");
        assert_int_equal(concurrency_json("{\"max_instances\":0}", &o), 0);
        expect_json(o, "{\"ReservedConcurrentExecutions\":0}");
        assert_int_equal(concurrency_json("not json", &o), 0);
        expect_json(o, "{}");
        assert_int_equal(concurrency_json(NULL, &o), 0);
        expect_json(o, "{}");

        assert_false(event_invoke_config_exists("{\"image\":\"x\",\"max_instances\":2}"));
        assert_false(event_invoke_config_exists("{\"on_success\":null}"));
        assert_false(event_invoke_config_exists("[1]"));
        assert_false(event_invoke_config_exists(NULL));
        assert_true(event_invoke_config_exists("{\"maximum_event_age_sec\":60}"));
        assert_true(event_invoke_config_exists("{\"on_failure\":{\"function\":\"d\"}}"));

        assert_int_equal(event_invoke_config_json("{\"maximum_retry_attempts\":1,\"maximum_event_age_sec\":"
                                                  "120,\"on_success\":{\"function\":\"d\"},\"on_failure\":{"
                                                  "\"directory\":\"/var/x\"}}",
                                                  "2026-12-06T23:40:00.500+0000", &ctx, &o),
                         0);
        expect_json(o,
                    "{\"LastModified\":1796600400.5,\"FunctionArn\":\"" ARN "f\",\"MaximumRetryAttempts\":"
                    "1,\"MaximumEventAgeInSeconds\":120,\"DestinationConfig\":{\"OnSuccess\":{"
                    "\"Destination\":\"" ARN "d\"},\"OnFailure\":{\"Destination\":\"directory:/var/x\"}}}");
        assert_int_equal(event_invoke_config_json("{}", "yesterday", &ctx, &o), 0);
        expect_json(o, "{\"FunctionArn\":\"" ARN
                       "f\",\"DestinationConfig\":{\"OnSuccess\":{},\"OnFailure\":{}}}");
}

static void test_timestamp(void **state)
{
        double t;

        assert_int_equal(lambda_timestamp_parse("1970-01-01T00:00:00.000+0000", &t), 0);
        assert_true(t == 0);
        assert_int_equal(lambda_timestamp_parse("2026-12-06T23:40:00.250+0000", &t), 0);
        assert_true(t == 1796600400.25);
        assert_int_equal(lambda_timestamp_parse("2026-12-06T23:40:00.250+0100", &t), -EINVAL);
        assert_int_equal(lambda_timestamp_parse("2026-12-06T23:40:00.250+0000x", &t), -EINVAL);
        assert_int_equal(lambda_timestamp_parse("2026-13-06T23:40:00.250+0000", &t), -EINVAL);
        assert_int_equal(lambda_timestamp_parse("2026-12-06T23:40:00+0000", &t), -EINVAL);
        assert_int_equal(lambda_timestamp_parse("", &t), -EINVAL);
        assert_int_equal(lambda_timestamp_parse(NULL, &t), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_concurrency_request),
                cmocka_unit_test(test_event_invoke_config_request),
                cmocka_unit_test(test_destination_arn),
                cmocka_unit_test(test_answers),
                cmocka_unit_test(test_timestamp),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
