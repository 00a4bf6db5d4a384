/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "route.h"
#include "version-request.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Lambda's bound of a version in a request (FunctionVersion, AdditionalVersion). */
#define VERSION_ARG_MAX 1024U

int publish_request_parse(json_object *body, PublishRequest *ret, ApiError *e)
{
        PublishRequest req = {};
        int r;

        r = api_get_string(body, "CodeSha256", e, &req.code_sha256);
        if (r >= 0)
                r = api_get_description(body, e, &req.description);
        if (r >= 0)
                r = api_get_string(body, "RevisionId", e, &req.revision_id);
        if (r < 0)
                return r;
        *ret = req;
        return 0;
}

static bool is_digits(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= VERSION_ARG_MAX && strspn(s, "0123456789") == n;
}

static int get_function_version(json_object *body, bool required, ApiError *e, const char **ret)
{
        int r;

        r = api_get_string(body, "FunctionVersion", e, ret);
        if (r == 0 && required)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "1 validation error detected: Value null at 'functionVersion' failed to "
                                 "satisfy constraint: Member must not be null");
        if (r > 0 && strcmp(*ret, "$LATEST") != 0 && !is_digits(*ret))
                return api_constraint(e, *ret, "functionVersion",
                                      "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)");
        return r;
}

static int get_routing(json_object *body, ApiError *e, AliasSettings *a)
{
        json_object *routing, *weights, *w;
        const char *key = NULL;
        char value[API_QUOTE_MAX + 32];
        int r;

        r = api_get_object(body, "RoutingConfig", e, &routing);
        if (r <= 0)
                return r;
        a->routing = true;
        r = api_get_object(routing, "AdditionalVersionWeights", e, &weights);
        if (r <= 0)
                return r;
        if (json_object_object_length(weights) > 1)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Number of items in AdditionalVersionWeights must be less than or equal "
                                 "to 1: an alias routes to one additional version at most.");
        json_object_object_foreach(weights, k, v)
        {
                key = k;
                w = v;
        }
        if (!key)
                return 0;
        if (!json_object_is_type(w, json_type_double) && !json_object_is_type(w, json_type_int))
                return api_wrong_type(e, "AdditionalVersionWeights", "a map of numbers");
        (void) snprintf(value, sizeof(value), "{%.*s=%g}", API_QUOTE_MAX, key, json_object_get_double(w));
        if (!is_digits(key))
                return api_constraint(e, value, "routingConfig.additionalVersionWeights",
                                      "Map keys must satisfy constraint: [Member must satisfy regular "
                                      "expression pattern: [0-9]+]");
        a->extra_weight = json_object_get_double(w);
        /* Written so that NaN fails too. */
        if (!(a->extra_weight >= 0.0 && a->extra_weight <= 1.0))
                return api_constraint(
                        e, value, "routingConfig.additionalVersionWeights",
                        "Map value must satisfy constraint: [Member must have value less than "
                        "or equal to 1.0, Member must have value greater than or equal to 0.0]");
        a->extra_version = key;
        return 1;
}

int alias_request_parse(bool create, json_object *body, AliasSettings *ret, ApiError *e)
{
        AliasSettings a = {};
        int r = 0;

        if (create) {
                r = api_get_string(body, "Name", e, &a.name);
                if (r == 0)
                        return api_error(e, 400, API_INVALID_PARAMETER,
                                         "1 validation error detected: Value null at 'name' failed to "
                                         "satisfy constraint: Member must not be null");
                if (r > 0 && !route_alias_name_is_valid(a.name))
                        return api_constraint(e, a.name, "name",
                                              "Member must satisfy regular expression pattern: "
                                              "(?!^[0-9]+$)([a-zA-Z0-9-_]+)");
        }
        if (r >= 0)
                r = get_function_version(body, create, e, &a.function_version);
        if (r >= 0)
                r = api_get_description(body, e, &a.description);
        if (r >= 0 && !create)
                r = api_get_string(body, "RevisionId", e, &a.revision_id);
        if (r >= 0)
                r = get_routing(body, e, &a);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

/* A weight as people write it: the shortest text that reads back as the same double (0.1, not
 * 0.10000000000000001). */
static json_object *weight_json(double w)
{
        char text[32];

        (void) snprintf(text, sizeof(text), "%.15g", w);
        if (strtod(text, NULL) != w)
                (void) snprintf(text, sizeof(text), "%.17g", w);
        return json_object_new_double_s(w, text);
}

int alias_json(const AliasSettings *a, const char *function_arn, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        char arn[512];
        int r;

        if (!o)
                return -ENOMEM;
        (void) snprintf(arn, sizeof(arn), "%s:%s", function_arn, a->name ?: "");
        r = api_add_string(o, "AliasArn", arn);
        if (r >= 0)
                r = api_add_string(o, "Name", a->name ?: "");
        if (r >= 0)
                r = api_add_string(o, "FunctionVersion", a->function_version ?: "$LATEST");
        if (r >= 0)
                r = api_add_string(o, "Description", a->description ?: "");
        if (r >= 0 && a->extra_version) {
                _cleanup_(json_object_putp) json_object *routing = json_object_new_object(),
                                                        *weights = json_object_new_object();

                r = routing && weights ? api_add(weights, a->extra_version, weight_json(a->extra_weight))
                                       : -ENOMEM;
                if (r >= 0)
                        r = api_add(routing, "AdditionalVersionWeights", TAKE_PTR(weights));
                if (r >= 0)
                        r = api_add(o, "RoutingConfig", TAKE_PTR(routing));
        }
        if (r >= 0 && a->revision_id)
                r = api_add_string(o, "RevisionId", a->revision_id);
        if (r < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

const char *alias_choose(const AliasSettings *a, double u)
{
        if (a->extra_version && u < a->extra_weight)
                return a->extra_version;
        return a->function_version;
}

double alias_draw(uint64_t bits)
{
        /* The top 53 bits, as many as a double's mantissa holds: exactly uniform, and below 1. */
        return (double) (bits >> 11) * 0x1.0p-53;
}
