/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Versions and aliases as requests and answers (version-request.h): PublishVersion's body with and
 * without members; CreateAlias and UpdateAlias bodies as the AWS CLI, boto3 and the JS SDK send them,
 * and every check Lambda makes of them (Name, FunctionVersion, Description, RoutingConfig) with its
 * type and message; AliasConfiguration's shape; and the weighted choice at the edges of its draw.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "macro.h"
#include "version-request.h"

static json_object *body;

static int parse_alias(bool create, const char *json, AliasSettings *ret, ApiError *e)
{
        json_object_put(body);
        body = json_tokener_parse(json);
        if (!body)
                fail_msg("not JSON: %s", json);
        return alias_request_parse(create, body, ret, e);
}

static void expect_refused(bool create, const char *json, const char *type, const char *part)
{
        _cleanup_(api_error_done) ApiError e = {};
        AliasSettings a;

        assert_int_equal(parse_alias(create, json, &a, &e), -EINVAL);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.type, type);
        if (!strstr(e.message, part))
                fail_msg("'%s' is not in '%s'", part, e.message);
}

static void test_publish(void **state)
{
        _cleanup_(api_error_done) ApiError e = {};
        json_object *o =
                json_tokener_parse("{\"CodeSha256\":\"abc=\",\"Description\":\"d\",\"RevisionId\":\"r\"}");
        PublishRequest p;

        assert_int_equal(publish_request_parse(o, &p, &e), 0);
        assert_string_equal(p.code_sha256, "abc=");
        assert_string_equal(p.description, "d");
        assert_string_equal(p.revision_id, "r");
        json_object_put(o);

        /* No body at all, and an empty one: nothing asked. */
        assert_int_equal(publish_request_parse(NULL, &p, &e), 0);
        assert_null(p.code_sha256);
        assert_null(p.description);
        assert_null(p.revision_id);

        o = json_tokener_parse("{\"RevisionId\":5}");
        assert_int_equal(publish_request_parse(o, &p, &e), -EINVAL);
        assert_string_equal(e.type, "InvalidRequestContentException");
        json_object_put(o);
        o = json_tokener_parse("{\"Description\":\"" /* 257 characters */
                               "0123456789012345678901234567890123456789012345678901234567890123456789"
                               "0123456789012345678901234567890123456789012345678901234567890123456789"
                               "0123456789012345678901234567890123456789012345678901234567890123456789"
                               "01234567890123456789012345678901234567890123456\"}");
        assert_int_equal(publish_request_parse(o, &p, &e), -EINVAL);
        assert_string_equal(e.type, "InvalidParameterValueException");
        assert_non_null(strstr(e.message, "at 'description'"));
        json_object_put(o);
}

static void test_create_alias(void **state)
{
        _cleanup_(api_error_done) ApiError e = {};
        AliasSettings a;

        /* As the CLI sends --routing-config AdditionalVersionWeights={"2"=0.1}. */
        assert_int_equal(
                parse_alias(true,
                            "{\"Name\":\"live\",\"FunctionVersion\":\"1\",\"Description\":\"90/10\","
                            "\"RoutingConfig\":{\"AdditionalVersionWeights\":{\"2\":0.1}}}",
                            &a, &e),
                0);
        assert_string_equal(a.name, "live");
        assert_string_equal(a.function_version, "1");
        assert_string_equal(a.description, "90/10");
        assert_true(a.routing);
        assert_string_equal(a.extra_version, "2");
        assert_true(a.extra_weight == 0.1);
        assert_null(a.revision_id);

        /* $LATEST, integer weights, no routing. */
        assert_int_equal(parse_alias(true, "{\"Name\":\"dev\",\"FunctionVersion\":\"$LATEST\"}", &a, &e), 0);
        assert_false(a.routing);
        assert_null(a.extra_version);
        assert_int_equal(parse_alias(true,
                                     "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{"
                                     "\"AdditionalVersionWeights\":{\"2\":1}}}",
                                     &a, &e),
                         0);
        assert_true(a.extra_weight == 1.0);
        /* RoutingConfig without weights, or with none: no second version. */
        assert_int_equal(
                parse_alias(true, "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{}}", &a, &e),
                0);
        assert_true(a.routing);
        assert_null(a.extra_version);

        expect_refused(true, "{\"FunctionVersion\":\"1\"}", "InvalidParameterValueException",
                       "Value null at 'name'");
        expect_refused(true, "{\"Name\":\"live\"}", "InvalidParameterValueException",
                       "Value null at 'functionVersion'");
        expect_refused(true, "{\"Name\":\"123\",\"FunctionVersion\":\"1\"}",
                       "InvalidParameterValueException",
                       "Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular "
                       "expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)");
        expect_refused(true, "{\"Name\":\"a b\",\"FunctionVersion\":\"1\"}",
                       "InvalidParameterValueException", "at 'name'");
        expect_refused(true, "{\"Name\":\"a\",\"FunctionVersion\":\"v1\"}", "InvalidParameterValueException",
                       "Value 'v1' at 'functionVersion'");
        expect_refused(true, "{\"Name\":\"a\",\"FunctionVersion\":1}", "InvalidRequestContentException",
                       "FunctionVersion");
        expect_refused(
                true,
                "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":"
                "{\"2\":1.5}}}",
                "InvalidParameterValueException",
                "Value '{2=1.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
                "constraint: Map value must satisfy constraint");
        expect_refused(
                true,
                "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":"
                "{\"2\":-0.01}}}",
                "InvalidParameterValueException", "greater than or equal to 0.0");
        expect_refused(
                true,
                "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":"
                "{\"$LATEST\":0.5}}}",
                "InvalidParameterValueException", "Map keys must satisfy constraint");
        expect_refused(
                true,
                "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":"
                "{\"2\":0.1,\"3\":0.1}}}",
                "InvalidParameterValueException", "less than or equal to 1");
        expect_refused(
                true,
                "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":"
                "{\"2\":\"0.1\"}}}",
                "InvalidRequestContentException", "AdditionalVersionWeights");
        expect_refused(true, "{\"Name\":\"a\",\"FunctionVersion\":\"1\",\"RoutingConfig\":[]}",
                       "InvalidRequestContentException", "RoutingConfig");
}

static void test_update_alias(void **state)
{
        _cleanup_(api_error_done) ApiError e = {};
        AliasSettings a;

        /* Everything optional; a Name in the body is not UpdateAlias's (the path names it). */
        assert_int_equal(parse_alias(false, "{}", &a, &e), 0);
        assert_null(a.function_version);
        assert_null(a.description);
        assert_false(a.routing);
        assert_int_equal(parse_alias(false,
                                     "{\"Name\":\"x\",\"FunctionVersion\":\"2\",\"RevisionId\":\"r-1\","
                                     "\"RoutingConfig\":{\"AdditionalVersionWeights\":{}}}",
                                     &a, &e),
                         0);
        assert_null(a.name);
        assert_string_equal(a.function_version, "2");
        assert_string_equal(a.revision_id, "r-1");
        assert_true(a.routing);
        assert_null(a.extra_version);
        expect_refused(false, "{\"RevisionId\":[]}", "InvalidRequestContentException", "RevisionId");
}

static void test_alias_json(void **state)
{
        AliasSettings a = { .name = "live",
                            .function_version = "1",
                            .revision_id = "rev",
                            .extra_version = "2",
                            .extra_weight = 0.1 };
        json_object *o = NULL, *v;

        assert_int_equal(alias_json(&a, "arn:aws:lambda:us-east-1:000000000000:function:hello", &o), 0);
        assert_string_equal(
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                "{\"AliasArn\":\"arn:aws:lambda:us-east-1:000000000000:function:hello:live\","
                "\"Name\":\"live\",\"FunctionVersion\":\"1\",\"Description\":\"\",\"RoutingConfig\":"
                "{\"AdditionalVersionWeights\":{\"2\":0.1}},\"RevisionId\":\"rev\"}");
        json_object_put(o);

        /* No weights: no RoutingConfig. */
        a.extra_version = NULL;
        assert_int_equal(alias_json(&a, "arn:x", &o), 0);
        assert_false(json_object_object_get_ex(o, "RoutingConfig", &v));
        json_object_put(o);
}

static void test_choose(void **state)
{
        AliasSettings a = { .function_version = "1", .extra_version = "2", .extra_weight = 0.1 };
        unsigned twos = 0;

        /* The draw: [0, 1), its ends reached. */
        assert_true(alias_draw(0) == 0.0);
        assert_true(alias_draw(UINT64_MAX) < 1.0);
        assert_true(alias_draw(UINT64_MAX) > 0.999999);
        assert_true(alias_draw(UINT64_C(1) << 63) == 0.5);

        /* Below the weight: the additional version; at or above it: FunctionVersion. */
        assert_string_equal(alias_choose(&a, 0.0), "2");
        assert_string_equal(alias_choose(&a, 0.0999), "2");
        assert_string_equal(alias_choose(&a, 0.1), "1");
        assert_string_equal(alias_choose(&a, 0.9999), "1");

        /* Weight 0 never runs it, weight 1 always does. */
        a.extra_weight = 0.0;
        assert_string_equal(alias_choose(&a, 0.0), "1");
        a.extra_weight = 1.0;
        assert_string_equal(alias_choose(&a, alias_draw(UINT64_MAX)), "2");
        a.extra_version = NULL;
        assert_string_equal(alias_choose(&a, 0.0), "1");

        /* Evenly spaced draws (the middles of 1000 equal parts) split exactly by the weight. */
        a.extra_version = "2";
        a.extra_weight = 0.1;
        for (uint64_t k = 0; k < 1000; k++)
                twos += strcmp(alias_choose(&a, alias_draw((2 * k + 1) * (UINT64_MAX / 2000))), "2") == 0;
        assert_int_equal(twos, 100);
}

static int teardown(void **state)
{
        body = (json_object_put(body), NULL);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_publish),      cmocka_unit_test(test_create_alias),
                cmocka_unit_test(test_update_alias), cmocka_unit_test(test_alias_json),
                cmocka_unit_test(test_choose),
        };

        return cmocka_run_group_tests(tests, NULL, teardown);
}
