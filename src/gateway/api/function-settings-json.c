/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "function-settings-json.h"
#include "macro.h"
#include "route.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static const char msg_function_only[] =
        "lambdad supports function destinations only: expected arn:aws:lambda:REGION:ACCOUNT:function:NAME";

/* The changes as text for the manager. */
static int changes_text(json_object *changes, char **ret)
{
        const char *s = json_object_to_json_string_ext(changes, JSON_C_TO_STRING_PLAIN);
        char *t = s ? strdup(s) : NULL;

        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

int concurrency_request_parse(json_object *body, ApiError *e, char **ret_changes)
{
        _cleanup_(json_object_putp) json_object *changes = NULL;
        int64_t n;
        int r;

        r = api_body_integer(body, "ReservedConcurrentExecutions", "reservedConcurrentExecutions", 0,
                             LAMBDA_RESERVED_CONCURRENCY_MAX, e, &n);
        if (r < 0)
                return r;
        changes = json_object_new_object();
        if (!changes || api_add_int(changes, "max_instances", n) < 0)
                return -ENOMEM;
        return changes_text(changes, ret_changes);
}

static bool is_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* The service of "arn:PARTITION:SERVICE:...", into buf; false when s is no ARN of that form. */
static bool arn_service(const char *s, char *buf, size_t size)
{
        const char *p, *end;

        if (strncmp(s, "arn:aws", 7) != 0 || !(p = strchr(s + 4, ':')))
                return false;
        p++;
        end = p + strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (end == p || *end != ':' || (size_t) (end - p) >= size)
                return false;
        for (const char *q = s + 4; q < p - 1; q++)
                if (!is_name_char(*q))
                        return false;
        memcpy(buf, p, end - p);
        buf[end - p] = 0;
        return true;
}

int destination_arn_parse(const char *arn, const char *member, ApiError *e,
                          char ret_name[static LAMBDA_FUNCTION_NAME_MAX + 1])
{
        char service[32], quoted[API_QUOTE_MAX + 4], qualifier[ROUTE_QUALIFIER_MAX + 1];
        const char *message;

        if (strlen(arn) > LAMBDA_DESTINATION_ARN_MAX)
                return api_constraint(e, api_quote(arn, quoted), member,
                                      "Member must have length less than or equal to 350");
        if (!arn_service(arn, service, sizeof(service)))
                return api_error(e, 400, API_INVALID_PARAMETER, "%s: %s, got '%s'.", member,
                                 msg_function_only, api_quote(arn, quoted));
        if (strcmp(service, "lambda") != 0)
                return api_error(e, 400, API_INVALID_PARAMETER, "%s: %s; an ARN of %s is not one.", member,
                                 msg_function_only, service);
        if (strlen(arn) > ROUTE_FUNCTION_ARG_MAX ||
            route_function_name(arn, ret_name, qualifier, &message) < 0 || strncmp(arn, "arn:", 4) != 0)
                return api_error(e, 400, API_INVALID_PARAMETER, "%s: %s, got '%s'.", member,
                                 msg_function_only, api_quote(arn, quoted));
        if (qualifier[0] && strcmp(qualifier, "$LATEST") != 0)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "%s: a destination is a function's $LATEST in lambdad, got qualifier '%s'.",
                                 member, qualifier);
        return 0;
}

/* DestinationConfig.KEY: absent (0, *ret untouched), or the declaration's value (1): null for none
 * (no Destination, or ""), {"function": NAME} for a function. */
static int parse_destination(json_object *config, const char *key, const char *function, ApiError *e,
                             json_object **ret)
{
        _cleanup_(json_object_putp) json_object *d = NULL;
        char member[64], name[LAMBDA_FUNCTION_NAME_MAX + 1];
        json_object *o;
        const char *arn;
        int r;

        r = api_get_object(config, key, e, &o);
        if (r <= 0)
                return r;
        r = api_get_string(o, "Destination", e, &arn);
        if (r < 0)
                return r;
        *ret = NULL;
        if (r == 0 || !arn[0])
                return 1;
        (void) snprintf(member, sizeof(member), "DestinationConfig.%s.Destination", key);
        r = destination_arn_parse(arn, member, e, name);
        if (r < 0)
                return r;
        if (strcmp(name, function) == 0)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "%s: you can't specify the function as a destination for itself.", member);
        d = json_object_new_object();
        if (!d || api_add_string(d, "function", name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(d);
        return 1;
}

/* A setting into changes: its value, or null when the body left it out of a Put. */
static int add_change(json_object *changes, const char *key, bool given, bool put, json_object *v)
{
        if (given)
                return v ? api_add(changes, key, v) : api_add_null(changes, key);
        return put ? api_add_null(changes, key) : 0;
}

int event_invoke_config_request_parse(json_object *body, const char *function, bool put, ApiError *e,
                                      char **ret_changes)
{
        _cleanup_(json_object_putp) json_object *changes = NULL, *on_success = NULL, *on_failure = NULL;
        json_object *config = NULL;
        int64_t retries, age;
        int has_retries, has_age, has_success = 0, has_failure = 0, r;

        if (!json_object_is_type(body, json_type_object))
                return api_error(e, 400, API_INVALID_CONTENT,
                                 "Could not parse request body into json: expected a JSON object.");
        has_retries = api_get_integer(body, "MaximumRetryAttempts", "maximumRetryAttempts", 0,
                                      LAMBDA_RETRY_ATTEMPTS_MAX, e, &retries);
        if (has_retries < 0)
                return has_retries;
        has_age = api_get_integer(body, "MaximumEventAgeInSeconds", "maximumEventAgeInSeconds",
                                  LAMBDA_EVENT_AGE_SEC_MIN, LAMBDA_EVENT_AGE_SEC_MAX, e, &age);
        if (has_age < 0)
                return has_age;
        r = api_get_object(body, "DestinationConfig", e, &config);
        if (r < 0)
                return r;
        if (config) {
                has_success = parse_destination(config, "OnSuccess", function, e, &on_success);
                if (has_success < 0)
                        return has_success;
                has_failure = parse_destination(config, "OnFailure", function, e, &on_failure);
                if (has_failure < 0)
                        return has_failure;
        }

        changes = json_object_new_object();
        if (!changes)
                return -ENOMEM;
        r = add_change(changes, "maximum_retry_attempts", has_retries, put,
                       has_retries ? json_object_new_int64(retries) : NULL);
        if (r >= 0)
                r = add_change(changes, "maximum_event_age_sec", has_age, put,
                               has_age ? json_object_new_int64(age) : NULL);
        if (r >= 0)
                r = add_change(changes, "on_success", has_success, put, TAKE_PTR(on_success));
        if (r >= 0)
                r = add_change(changes, "on_failure", has_failure, put, TAKE_PTR(on_failure));
        if (r < 0)
                return r;
        return changes_text(changes, ret_changes);
}

/* The declaration as an object; NULL (never an error) when it is none. */
static json_object *declaration_parse(const char *declaration)
{
        json_object *o = declaration ? json_tokener_parse(declaration) : NULL;

        if (o && !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static json_object *declaration_int(json_object *decl, const char *key)
{
        json_object *v = api_member(decl, key);

        return v && json_object_is_type(v, json_type_int) ? v : NULL;
}

int concurrency_json(const char *declaration, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *decl = declaration_parse(declaration),
                                                *o = json_object_new_object();
        json_object *n = declaration_int(decl, "max_instances");

        if (!o || (n && api_add_int(o, "ReservedConcurrentExecutions", json_object_get_int64(n)) < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static const char *const async_keys[] = { "maximum_retry_attempts", "maximum_event_age_sec", "on_success",
                                          "on_failure" };

bool event_invoke_config_exists(const char *declaration)
{
        _cleanup_(json_object_putp) json_object *decl = declaration_parse(declaration);

        for (size_t i = 0; i < ELEMENTSOF(async_keys); i++)
                if (api_member(decl, async_keys[i]))
                        return true;
        return false;
}

/* {"Destination": ARN} of the declaration's destination, or {} for none. */
static int add_destination(json_object *config, const char *key, json_object *d, const FunctionContext *ctx)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const char *arn_end = strstr(ctx->arn, ":function:");
        json_object *v;
        int r = 0;

        if (!o)
                return -ENOMEM;
        if (d && json_object_is_type(d, json_type_object)) {
                char buf[4352]; /* an ARN, or a directory's path (4 KiB at most) */

                if (json_object_object_get_ex(d, "function", &v) &&
                    json_object_is_type(v, json_type_string)) {
                        int prefix = arn_end ? (int) (arn_end - ctx->arn) : 0;

                        (void) snprintf(buf, sizeof(buf), "%.*s:function:%s", prefix, ctx->arn,
                                        json_object_get_string(v));
                        r = api_add_string(o, "Destination", buf);
                } else if (json_object_object_get_ex(d, "directory", &v) &&
                           json_object_is_type(v, json_type_string)) {
                        (void) snprintf(buf, sizeof(buf), "directory:%s", json_object_get_string(v));
                        r = api_add_string(o, "Destination", buf);
                }
        }
        if (r < 0)
                return r;
        return api_add(config, key, TAKE_PTR(o));
}

int event_invoke_config_json(const char *declaration, const char *last_modified, const FunctionContext *ctx,
                             json_object **ret)
{
        _cleanup_(json_object_putp) json_object *decl = declaration_parse(declaration),
                                                *o = json_object_new_object(),
                                                *config = json_object_new_object();
        json_object *retries = declaration_int(decl, "maximum_retry_attempts"),
                    *age = declaration_int(decl, "maximum_event_age_sec");
        double t;
        int r = 0;

        if (!o || !config)
                return -ENOMEM;
        if (last_modified && lambda_timestamp_parse(last_modified, &t) >= 0)
                r = api_add(o, "LastModified", json_object_new_double(t));
        if (r >= 0)
                r = api_add_string(o, "FunctionArn", ctx->arn);
        if (r >= 0 && retries)
                r = api_add_int(o, "MaximumRetryAttempts", json_object_get_int64(retries));
        if (r >= 0 && age)
                r = api_add_int(o, "MaximumEventAgeInSeconds", json_object_get_int64(age));
        if (r >= 0)
                r = add_destination(config, "OnSuccess", api_member(decl, "on_success"), ctx);
        if (r >= 0)
                r = add_destination(config, "OnFailure", api_member(decl, "on_failure"), ctx);
        if (r >= 0)
                r = api_add(o, "DestinationConfig", TAKE_PTR(config));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int lambda_timestamp_parse(const char *s, double *ret)
{
        struct tm tm = {};
        unsigned ms;
        int n = 0;
        time_t t;

        if (!s ||
            sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3u+0000%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &n) != 7 ||
            n != (int) strlen(s) || n != 28 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
            tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = (double) t + ms / 1000.0;
        return 0;
}
