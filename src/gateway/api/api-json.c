/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-json.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

void api_error_done(ApiError *e)
{
        free(e->message);
        *e = (ApiError){};
}

int api_error(ApiError *e, int status, const char *type, const char *format, ...)
{
        va_list ap;
        char *m;
        int n;

        va_start(ap, format);
        n = vasprintf(&m, format, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        free(e->message);
        *e = (ApiError){ .status = status, .type = type, .message = m };
        return -EINVAL;
}

/* A value for a message: at most API_QUOTE_MAX characters of it, and "..." when there was more. */
const char *api_quote(const char *s, char buf[static API_QUOTE_MAX + 4])
{
        size_t n = strnlen(s, API_QUOTE_MAX + 1);

        if (n <= API_QUOTE_MAX)
                return s;
        memcpy(buf, s, API_QUOTE_MAX);
        strcpy(buf + API_QUOTE_MAX, "...");
        return buf;
}

/* Lambda's message for a value outside its model's constraint. */
int api_constraint(ApiError *e, const char *value, const char *member, const char *what)
{
        char q[API_QUOTE_MAX + 4];

        return api_error(e, 400, API_INVALID_PARAMETER,
                         "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
                         api_quote(value, q), member, what);
}

int api_wrong_type(ApiError *e, const char *field, const char *expected)
{
        return api_error(e, 400, API_INVALID_CONTENT,
                         "Could not parse request body into json: %s: expected %s", field, expected);
}

int api_unsupported(ApiError *e, const char *field, const char *instead)
{
        return api_error(e, 400, API_INVALID_PARAMETER, "lambdad does not support %s%s%s.", field,
                         instead ? ": " : "", instead ?: "");
}

/* A member, or NULL when absent or null (which Lambda takes for absent). */
json_object *api_member(json_object *o, const char *key)
{
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

int api_get_string(json_object *o, const char *key, ApiError *e, const char **ret)
{
        json_object *v = api_member(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return api_wrong_type(e, key, "a string");
        *ret = json_object_get_string(v);
        return 1;
}

int api_get_object(json_object *o, const char *key, ApiError *e, json_object **ret)
{
        json_object *v = api_member(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return api_wrong_type(e, key, "an object");
        *ret = v;
        return 1;
}

int api_get_array(json_object *o, const char *key, ApiError *e, json_object **ret)
{
        json_object *v = api_member(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return api_wrong_type(e, key, "a list");
        *ret = v;
        return 1;
}

int api_get_bool(json_object *o, const char *key, ApiError *e, bool *ret)
{
        json_object *v = api_member(o, key);

        *ret = false;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return api_wrong_type(e, key, "a boolean");
        *ret = json_object_get_boolean(v);
        return 1;
}

int api_get_description(json_object *o, ApiError *e, const char **ret)
{
        int r;

        r = api_get_string(o, "Description", e, ret);
        if (r > 0 && strlen(*ret) > API_DESCRIPTION_MAX)
                return api_constraint(e, *ret, "description",
                                      "Member must have length less than or equal to 256");
        return r;
}

/* An integer in [min, max], named member in Lambda's messages. */
int api_get_integer(json_object *o, const char *key, const char *member_name, int64_t min, int64_t max,
                    ApiError *e, int64_t *ret)
{
        json_object *v = api_member(o, key);
        char value[32], what[96];
        int64_t n;

        *ret = 0;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return api_wrong_type(e, key, "an integer");
        n = json_object_get_int64(v);
        if (n < min || n > max) {
                (void) snprintf(value, sizeof(value), "%lld", (long long) n);
                (void) snprintf(what, sizeof(what), "Member must have value %s %lld",
                                n < min ? "greater than or equal to" : "less than or equal to",
                                (long long) (n < min ? min : max));
                return api_constraint(e, value, member_name, what);
        }
        *ret = n;
        return 1;
}

int api_body_integer(json_object *body, const char *key, const char *member_name, int64_t min, int64_t max,
                     ApiError *e, int64_t *ret)
{
        int r;

        if (!json_object_is_type(body, json_type_object))
                return api_error(e, 400, API_INVALID_CONTENT,
                                 "Could not parse request body into json: expected a JSON object.");
        r = api_get_integer(body, key, member_name, min, max, e, ret);
        if (r == 0)
                return api_error(
                        e, 400, API_INVALID_PARAMETER,
                        "1 validation error detected: Value null at '%s' failed to satisfy constraint: "
                        "Member must not be null",
                        member_name);
        return r < 0 ? r : 0;
}

/* A list of strings of at most max entries. */
int api_get_string_list(json_object *o, const char *key, size_t max, ApiError *e, json_object **ret)
{
        int r;

        r = api_get_array(o, key, e, ret);
        if (r <= 0)
                return r;
        if (json_object_array_length(*ret) > max)
                return api_error(e, 400, API_INVALID_PARAMETER, "%s: expected at most %zu entries, got %zu.",
                                 key, max, json_object_array_length(*ret));
        for (size_t i = 0; i < json_object_array_length(*ret); i++)
                if (!json_object_is_type(json_object_array_get_idx(*ret, i), json_type_string))
                        return api_wrong_type(e, key, "a list of strings");
        return 1;
}

int api_add(json_object *o, const char *key, json_object *v)
{
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int api_add_null(json_object *o, const char *key)
{
        return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

int api_add_string(json_object *o, const char *key, const char *s)
{
        return api_add(o, key, json_object_new_string(s));
}

int api_add_int(json_object *o, const char *key, int64_t n)
{
        return api_add(o, key, json_object_new_int64(n));
}

/* A deep copy of v (the declaration's environment, tags, lists) for another tree. */
int api_add_copy(json_object *o, const char *key, json_object *v)
{
        json_object *copy = NULL;

        if (json_object_deep_copy(v, &copy, NULL) < 0)
                return -ENOMEM;
        return api_add(o, key, copy);
}

int api_list_page(json_object *all, const char *key, const char *marker, unsigned max_items, unsigned max,
                  ApiError *e, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *list = all, *o = json_object_new_object(),
                                                *page = json_object_new_array();
        size_t n = json_object_array_length(list), first = 0, end;
        char number[32];

        if (!o || !page)
                return -ENOMEM;
        if (max_items > max) {
                char what[96];

                (void) snprintf(number, sizeof(number), "%u", max_items);
                (void) snprintf(what, sizeof(what), "Member must have value less than or equal to %u", max);
                return api_constraint(e, number, "maxItems", what);
        }
        if (marker[0]) {
                size_t k = 0, i;

                for (i = 0; marker[i] >= '0' && marker[i] <= '9' && k <= n; i++)
                        k = k * 10 + (size_t) (marker[i] - '0');
                if (i == 0 || marker[i] || k > n)
                        return api_error(e, 400, API_INVALID_PARAMETER, "Invalid Marker.");
                first = k;
        }
        end = first + MIN(n - first, (size_t) (max_items ?: API_PAGE_DEFAULT));
        for (size_t k = first; k < end; k++)
                if (json_object_array_add(page, json_object_get(json_object_array_get_idx(list, k))) < 0)
                        return -ENOMEM;
        if (api_add(o, key, TAKE_PTR(page)) < 0)
                return -ENOMEM;
        if (end < n) {
                (void) snprintf(number, sizeof(number), "%zu", end);
                if (api_add_string(o, "NextMarker", number) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(o);
        return 0;
}
