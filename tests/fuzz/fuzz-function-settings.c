/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Fuzzes a function's settings in Lambda's shapes: a request body of PutFunctionConcurrency,
 * PutFunctionEventInvokeConfig, UpdateFunctionEventInvokeConfig or PutProvisionedConcurrencyConfig (the
 * first byte picks which, the rest is the body) through their parsers; the same text as a destination
 * ARN, as a declaration for the answers, as a LastModified time, and as the Marker of a list's page
 * (api_list_page()). What is accepted is changes of the declaration's keys the call
 * may set; what is refused is a 400 of one of Lambda's two types with a bounded message.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "function-settings-json.h"
#include "provisioned-json.h"
#include "fuzz.h"
#include "json-strict.h"
#include "macro.h"

#define MESSAGE_MAX 2048

static void check_refused(const ApiError *e)
{
        if (e->status != 400 || !e->type || !e->message || strlen(e->message) > MESSAGE_MAX)
                abort();
        if (strcmp(e->type, API_INVALID_PARAMETER) != 0 && strcmp(e->type, API_INVALID_CONTENT) != 0)
                abort();
}

static void check_accepted(unsigned kind, const char *changes)
{
        static const char *const async_keys[] = { "maximum_retry_attempts", "maximum_event_age_sec",
                                                  "on_success", "on_failure" };
        json_object *o = json_tokener_parse(changes), *v;

        if (!o || !json_object_is_type(o, json_type_object))
                abort();
        if (kind == 0) {
                if (json_object_object_length(o) != 1 ||
                    !json_object_object_get_ex(o, "max_instances", &v) || json_object_get_int64(v) < 0 ||
                    json_object_get_int64(v) > LAMBDA_RESERVED_CONCURRENCY_MAX)
                        abort();
        } else {
                json_object_object_foreach(o, key, value)
                {
                        bool known = false;

                        for (size_t i = 0; i < ELEMENTSOF(async_keys); i++)
                                known = known || strcmp(key, async_keys[i]) == 0;
                        if (!known)
                                abort();
                        /* A destination is a function of a valid name, never the function itself. */
                        if (value && json_object_is_type(value, json_type_object) &&
                            (!json_object_object_get_ex(value, "function", &v) ||
                             strcmp(json_object_get_string(v), "fuzz") == 0))
                                abort();
                }
                /* Put sets every key. */
                if (kind == 1 && json_object_object_length(o) != ELEMENTSOF(async_keys))
                        abort();
        }
        json_object_put(o);
}

static void check_request(unsigned kind, const char *text, size_t len)
{
        _cleanup_(api_error_done) ApiError e = {};
        _cleanup_free_ char *changes = NULL;
        json_object *body = NULL;
        size_t end;
        int r;

        if (json_parse_strict(text, len, 16, &body, &end, NULL) < 0)
                return;
        if (kind == 3) {
                unsigned n = 0;

                r = provisioned_request_parse(body, &e, &n);
                if (r == 0 && n < 1)
                        abort();
                if (r == -EINVAL)
                        check_refused(&e);
                else if (r != 0 && r != -ENOMEM)
                        abort();
                json_object_put(body);
                return;
        }
        r = kind == 0 ? concurrency_request_parse(body, &e, &changes)
                      : event_invoke_config_request_parse(body, "fuzz", kind == 1, &e, &changes);
        if (r == 0)
                check_accepted(kind, changes);
        else if (r == -EINVAL)
                check_refused(&e);
        else if (r != -ENOMEM)
                abort();
        if (r != 0 && changes)
                abort();
        json_object_put(body);
}

/* Any text as a Marker of a list of three: a page from it, or a 400. */
static void check_marker(const char *text)
{
        static const ProvisionedConfig item = {
                .qualifier = "1",
                .function_version = "1",
                .status = "READY",
                .status_reason = "",
                .last_modified = "2026-12-07T00:00:00.000+0000",
                .requested = 1,
        };
        _cleanup_(api_error_done) ApiError e = {};
        json_object *all = json_object_new_array(), *o = NULL, *list;
        int r = all ? 0 : -ENOMEM;

        for (size_t k = 0; r >= 0 && k < 3; k++) {
                json_object *i = NULL;

                r = provisioned_config_json(&item, "arn:aws:lambda:us-east-1:000000000000:function:fuzz",
                                            &i);
                if (r >= 0 && json_object_array_add(all, i) < 0) {
                        json_object_put(i);
                        r = -ENOMEM;
                }
        }
        if (r < 0) {
                json_object_put(all);
                return;
        }
        r = api_list_page(all, "ProvisionedConcurrencyConfigs", text, 2, PROVISIONED_LIST_MAX, &e, &o);
        if (r == -EINVAL)
                check_refused(&e);
        else if (r == 0) {
                if (!json_object_object_get_ex(o, "ProvisionedConcurrencyConfigs", &list) ||
                    json_object_array_length(list) > 2)
                        abort();
                json_object_put(o);
        } else if (r != -ENOMEM)
                abort();
}

static void check_text(const char *text)
{
        _cleanup_(api_error_done) ApiError e = {};
        FunctionContext ctx = { .name = "fuzz",
                                .arn = "arn:aws:lambda:us-east-1:000000000000:function:fuzz" };
        char name[LAMBDA_FUNCTION_NAME_MAX + 1];
        json_object *o = NULL;
        double t;
        int r;

        r = destination_arn_parse(text, "Destination", &e, name);
        if (r == 0 && !lambda_function_name_is_valid(name, strlen(name)))
                abort();
        if (r < 0 && r != -ENOMEM)
                check_refused(&e);
        if (concurrency_json(text, &o) == 0)
                json_object_put(o);
        o = NULL;
        if (event_invoke_config_json(text, text, &ctx, &o) == 0) {
                if (!json_object_object_get_ex(o, "FunctionArn", NULL) ||
                    !json_object_object_get_ex(o, "DestinationConfig", NULL))
                        abort();
                json_object_put(o);
        }
        (void) event_invoke_config_exists(text);
        if (lambda_timestamp_parse(text, &t) == 0 && t < 0)
                abort();
        check_marker(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL;

        if (size < 1 || memchr(data + 1, 0, size - 1))
                return 0;
        text = strndup((const char *) data + 1, size - 1);
        if (!text)
                return 0;
        check_request(data[0] % 4, text, size - 1);
        check_text(text);
        return 0;
}
