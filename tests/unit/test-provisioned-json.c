/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Provisioned concurrency in Lambda's shapes (provisioned-json.h): PutProvisionedConcurrencyConfig's
 * body validated as Lambda validates it; a configuration as Put and Get answer it and as a list's item;
 * the pages of the list routes (api_list_page(): MaxItems, Marker, NextMarker).
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

#include "macro.h"
#include "provisioned-json.h"

#define ARN "arn:aws:lambda:us-east-1:000000000000:function:f"

static int parse(const char *json, unsigned *ret, ApiError *e)
{
        json_object *body = json_tokener_parse(json);
        int r;

        if (!body)
                fail_msg("not JSON: %s", json);
        r = provisioned_request_parse(body, e, ret);
        json_object_put(body);
        return r;
}

static void expect_error(const char *json, const char *type, const char *message_part)
{
        _cleanup_(api_error_done) ApiError e = {};
        unsigned n = 0;

        assert_int_equal(parse(json, &n, &e), -EINVAL);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.type, type);
        if (!strstr(e.message, message_part))
                fail_msg("%s: \"%s\" does not say \"%s\"", json, e.message, message_part);
}

static void test_request(void **state)
{
        _cleanup_(api_error_done) ApiError e = {};
        unsigned n = 0;

        assert_int_equal(parse("{\"ProvisionedConcurrentExecutions\": 2}", &n, &e), 0);
        assert_int_equal(n, 2);
        assert_int_equal(parse("{\"ProvisionedConcurrentExecutions\": 1000}", &n, &e), 0);
        assert_int_equal(n, 1000);
        /* Lambda's PositiveInteger, and its words for a missing member. */
        expect_error("{\"ProvisionedConcurrentExecutions\": 0}", API_INVALID_PARAMETER,
                     "at 'provisionedConcurrentExecutions'");
        expect_error("{\"ProvisionedConcurrentExecutions\": -3}", API_INVALID_PARAMETER,
                     "at 'provisionedConcurrentExecutions'");
        expect_error("{\"ProvisionedConcurrentExecutions\": 1001}", API_INVALID_PARAMETER,
                     "at 'provisionedConcurrentExecutions'");
        expect_error("{}", API_INVALID_PARAMETER, "Value null at 'provisionedConcurrentExecutions'");
        expect_error("{\"ProvisionedConcurrentExecutions\": null}", API_INVALID_PARAMETER, "Value null");
        expect_error("{\"ProvisionedConcurrentExecutions\": \"2\"}", API_INVALID_CONTENT,
                     "ProvisionedConcurrentExecutions");
        expect_error("[]", API_INVALID_CONTENT, "expected a JSON object");
}

static const ProvisionedConfig configs[] = {
        { .qualifier = "2",
          .function_version = "2",
          .status = "READY",
          .status_reason = "",
          .last_modified = "2026-12-07T01:02:03.000+0000",
          .requested = 2,
          .available = 2,
          .allocated = 2 },
        { .qualifier = "live",
          .function_version = "3",
          .status = "FAILED",
          .status_reason = "no image",
          .last_modified = "2026-12-07T01:02:04.000+0000",
          .requested = 1 },
        { .qualifier = "4",
          .function_version = "4",
          .status = "IN_PROGRESS",
          .status_reason = "",
          .last_modified = "2026-12-07T01:02:05.000+0000",
          .requested = 3,
          .available = 1,
          .allocated = 1 },
};

static void expect_json(json_object *o, const char *expected)
{
        json_object *e = json_tokener_parse(expected);

        if (!e || !json_object_equal(o, e))
                fail_msg("got %s, expected %s", json_object_to_json_string(o), expected);
        json_object_put(e);
}

static void test_answer(void **state)
{
        json_object *o = NULL;

        assert_int_equal(provisioned_config_json(&configs[0], NULL, &o), 0);
        expect_json(o, "{\"RequestedProvisionedConcurrentExecutions\": 2, "
                       "\"AvailableProvisionedConcurrentExecutions\": 2, "
                       "\"AllocatedProvisionedConcurrentExecutions\": 2, \"Status\": \"READY\", "
                       "\"LastModified\": \"2026-12-07T01:02:03.000+0000\"}");
        json_object_put(o);
        /* A list's item names the version or alias; a failure says why. */
        assert_int_equal(provisioned_config_json(&configs[1], ARN, &o), 0);
        expect_json(o,
                    "{\"FunctionArn\": \"" ARN ":live\", \"RequestedProvisionedConcurrentExecutions\": 1, "
                    "\"AvailableProvisionedConcurrentExecutions\": 0, "
                    "\"AllocatedProvisionedConcurrentExecutions\": 0, \"Status\": \"FAILED\", "
                    "\"StatusReason\": \"no image\", \"LastModified\": \"2026-12-07T01:02:04.000+0000\"}");
        json_object_put(o);
}

/* The configurations as a list's items. */
static json_object *all_configs(void)
{
        json_object *all = json_object_new_array();

        for (size_t k = 0; k < ELEMENTSOF(configs); k++) {
                json_object *item = NULL;

                assert_int_equal(provisioned_config_json(&configs[k], ARN, &item), 0);
                assert_int_equal(json_object_array_add(all, item), 0);
        }
        return all;
}

/* The FunctionArns of a page, and its NextMarker ("" when none). */
static void expect_page(const char *marker, unsigned max_items, const char *arns, const char *next)
{
        _cleanup_(api_error_done) ApiError e = {};
        json_object *o = NULL, *list, *m;
        char got[256] = "";

        if (api_list_page(all_configs(), "ProvisionedConcurrencyConfigs", marker, max_items,
                          PROVISIONED_LIST_MAX, &e, &o) < 0)
                fail_msg("marker '%s' refused: %s", marker, e.message);
        assert_true(json_object_object_get_ex(o, "ProvisionedConcurrencyConfigs", &list));
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *arn;

                assert_true(
                        json_object_object_get_ex(json_object_array_get_idx(list, i), "FunctionArn", &arn));
                strcat(got, json_object_get_string(arn) + strlen(ARN ":"));
                strcat(got, " ");
        }
        assert_string_equal(got, arns);
        assert_string_equal(json_object_object_get_ex(o, "NextMarker", &m) ? json_object_get_string(m) : "",
                            next);
        json_object_put(o);
}

static void expect_list_error(const char *marker, unsigned max_items, const char *message_part)
{
        _cleanup_(api_error_done) ApiError e = {};
        json_object *o = NULL;

        assert_int_equal(api_list_page(all_configs(), "ProvisionedConcurrencyConfigs", marker, max_items,
                                       PROVISIONED_LIST_MAX, &e, &o),
                         -EINVAL);
        assert_null(o);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.type, API_INVALID_PARAMETER);
        assert_non_null(strstr(e.message, message_part));
}

static void test_list(void **state)
{
        expect_page("", 0, "2 live 4 ", "");
        expect_page("", 2, "2 live ", "2");
        expect_page("2", 2, "4 ", "");
        expect_page("1", 1, "live ", "2");
        expect_page("3", 0, "", "");
        expect_list_error("", 51, "Member must have value less than or equal to 50");
        expect_list_error("4", 0, "Invalid Marker");
        expect_list_error("x", 0, "Invalid Marker");
        expect_list_error("-1", 0, "Invalid Marker");
        expect_list_error("1x", 0, "Invalid Marker");
        expect_list_error("99999999999999999999999", 0, "Invalid Marker");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request),
                cmocka_unit_test(test_answer),
                cmocka_unit_test(test_list),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
