/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "lambda-contract.h"
#include "route-query.h"
#include "route-span.h"
#include "route.h"
#include "util.h"

typedef enum PathKind {
        PATH_UNKNOWN,
        PATH_INVOKE_AWS,
        PATH_INVOKE_STREAM,
        PATH_INVOKE_SIMPLE,
        PATH_FUNCTIONS,                     /* GET: ListFunctions; POST: CreateFunction */
        PATH_FUNCTION,                      /* GET: GetFunction; DELETE: DeleteFunction */
        PATH_FUNCTION_CONFIGURATION,        /* GET, PUT */
        PATH_FUNCTION_CODE,                 /* PUT: UpdateFunctionCode */
        PATH_FUNCTION_VERSIONS,             /* GET: ListVersionsByFunction */
        PATH_FUNCTION_CODE_SIGNING,         /* GET: GetFunctionCodeSigningConfig */
        PATH_FUNCTION_CONCURRENCY,          /* PUT, DELETE: {Put,Delete}FunctionConcurrency */
        PATH_FUNCTION_CONCURRENCY_GET,      /* GET: GetFunctionConcurrency (its own API version) */
        PATH_FUNCTION_EVENT_INVOKE_CONFIG,  /* GET, PUT, POST, DELETE */
        PATH_FUNCTION_EVENT_INVOKE_CONFIGS, /* GET: ListFunctionEventInvokeConfigs */
        PATH_FUNCTION_PROVISIONED,          /* GET, PUT, DELETE; GET ?List=ALL: the list */
        PATH_FUNCTION_ALIASES,              /* GET: ListAliases; POST: CreateAlias */
        PATH_FUNCTION_ALIAS,                /* GET, PUT, DELETE: GetAlias, UpdateAlias, DeleteAlias */
        PATH_HEALTHZ,
        PATH_METRICS,
} PathKind;

static const char msg_unknown[] = "Unknown operation.";
static const char msg_post_only[] = "Method not allowed: this resource takes POST.";
static const char msg_get_only[] = "Method not allowed: this resource takes GET.";
static const char msg_put_only[] = "Method not allowed: this resource takes PUT.";
static const char msg_get_post[] = "Method not allowed: this resource takes GET or POST.";
static const char msg_get_delete[] = "Method not allowed: this resource takes GET or DELETE.";
static const char msg_get_put[] = "Method not allowed: this resource takes GET or PUT.";
static const char msg_put_delete[] = "Method not allowed: this resource takes PUT or DELETE.";
static const char msg_event_invoke_config[] =
        "Method not allowed: this resource takes GET, PUT, POST or DELETE.";
static const char msg_get_put_delete[] = "Method not allowed: this resource takes GET, PUT or DELETE.";
static const char msg_alias[] =
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)";
static const char msg_name_encoding[] = "Function name is not validly percent-encoded.";
static const char msg_name_long[] = "Function name is too long: at most 170 characters.";
static const char msg_name_form[] =
        "Function name is invalid: expected NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:QUALIFIER] or "
        "arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].";
static const char msg_name_chars[] =
        "Function name is invalid: NAME must be 1 to 64 characters of [a-zA-Z0-9-_].";
static const char msg_simple_name[] =
        "Function name is invalid: /functions/NAME/invocations takes a bare name and no qualifier; "
        "use /2015-03-31/functions/NAME/invocations for qualifiers and ARNs.";
static const char msg_arn_partition[] =
        "Function ARN is invalid: the partition must be aws, aws-cn or aws-us-gov.";
static const char msg_arn_region[] = "Function ARN is invalid: malformed region.";
static const char msg_account[] = "Function name is invalid: the account ID must be 12 digits.";
static const char msg_qualifier[] =
        "Qualifier is invalid: expected $LATEST or 1 to 128 characters of [a-zA-Z0-9-_].";
static const char msg_qualifier_encoding[] = "Qualifier is not validly percent-encoded.";
static const char msg_qualifier_twice[] = "Qualifier is given more than once.";
static const char msg_qualifier_mismatch[] =
        "The derived qualifier from the function name does not match the specified qualifier.";
int percent_decode(const char *in, size_t len, char *out, size_t out_size)
{
        bool invalid = false, overflow = out_size == 0; /* not even the NUL fits */
        size_t n = 0;

        /* Keeps scanning past an overflow, so a bad escape is reported as such whatever the buffer. */
        for (size_t i = 0; i < len; i++) {
                int c = (unsigned char) in[i];

                if (c == '%') {
                        int hi, lo;

                        if (len - i < 3 || (hi = unhexchar(in[i + 1])) < 0 ||
                            (lo = unhexchar(in[i + 2])) < 0) {
                                invalid = true;
                                break;
                        }
                        c = hi << 4 | lo;
                        i += 2;
                }
                if (c == 0) {
                        invalid = true;
                        break;
                }
                if (n + 1 >= out_size)
                        overflow = true;
                else
                        out[n++] = (char) c;
        }

        if (invalid || overflow) {
                if (out_size > 0)
                        out[0] = 0;
                return invalid ? -EINVAL : -ENOBUFS;
        }
        out[n] = 0;
        return 0;
}

static bool char_is_name(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
}

static bool span_is_name_chars(Span s, size_t max)
{
        if (s.n < 1 || s.n > max)
                return false;
        for (size_t i = 0; i < s.n; i++)
                if (!char_is_name(s.p[i]))
                        return false;
        return true;
}

static bool qualifier_is_valid(Span s)
{
        return span_eq(s, "$LATEST") || span_is_name_chars(s, ROUTE_QUALIFIER_MAX);
}

static bool account_is_valid(Span s)
{
        if (s.n != 12)
                return false;
        for (size_t i = 0; i < s.n; i++)
                if (s.p[i] < '0' || s.p[i] > '9')
                        return false;
        return true;
}

static bool is_lower(char c)
{
        return c >= 'a' && c <= 'z';
}

/* "-[a-z]+-[0-9]" and nothing more: the end of a region name. */
static bool region_tail_is_valid(const char *p, size_t n)
{
        size_t i = 1;

        if (n < 4 || p[0] != '-')
                return false;
        while (i < n && is_lower(p[i]))
                i++;
        return i > 1 && n - i == 2 && p[i] == '-' && p[i + 1] >= '0' && p[i + 1] <= '9';
}

/* Lambda's pattern for regions, [a-z]{2}(-gov)?-[a-z]+-\d: "us-east-1", "us-gov-west-1". */
static bool region_is_valid(Span s)
{
        if (s.n < 2 || !is_lower(s.p[0]) || !is_lower(s.p[1]))
                return false;
        if (region_tail_is_valid(s.p + 2, s.n - 2))
                return true;
        return s.n > 6 && memcmp(s.p + 2, "-gov", 4) == 0 && region_tail_is_valid(s.p + 6, s.n - 6);
}

static bool partition_is_valid(Span s)
{
        return span_eq(s, "aws") || span_eq(s, "aws-cn") || span_eq(s, "aws-us-gov");
}

/*
 * Splits the decoded FunctionName into its forms by the number of ':'-separated parts: NAME (1),
 * NAME:QUALIFIER (2), ACCOUNT:function:NAME (3, 4 with a qualifier), arn:...:function:NAME (7, 8).
 * Region and account are checked but not kept: lambdad serves one account in one region.
 */
static int parse_function_name(const char *s, bool simple, Route *route, RouteError *ret_error)
{
        Span parts[9];
        size_t n = 0;
        Span name, qualifier = {};

        for (const char *p = s;;) {
                const char *colon = strchr(p, ':');
                size_t len = colon ? (size_t) (colon - p) : strlen(p);

                if (n == ELEMENTSOF(parts)) {
                        *ret_error = route_error(400, msg_name_form);
                        return -EINVAL;
                }
                parts[n++] = (Span){ p, len };
                if (!colon)
                        break;
                p = colon + 1;
        }

        if (simple && n != 1) {
                *ret_error = route_error(400, msg_simple_name);
                return -EINVAL;
        }

        switch (n) {
        case 1:
        case 2:
                name = parts[0];
                if (n == 2)
                        qualifier = parts[1];
                break;
        case 3:
        case 4:
                if (!span_eq(parts[1], "function")) {
                        *ret_error = route_error(400, msg_name_form);
                        return -EINVAL;
                }
                if (!account_is_valid(parts[0])) {
                        *ret_error = route_error(400, msg_account);
                        return -EINVAL;
                }
                name = parts[2];
                if (n == 4)
                        qualifier = parts[3];
                break;
        case 7:
        case 8:
                if (!span_eq(parts[0], "arn") || !span_eq(parts[2], "lambda") ||
                    !span_eq(parts[5], "function")) {
                        *ret_error = route_error(400, msg_name_form);
                        return -EINVAL;
                }
                if (!partition_is_valid(parts[1])) {
                        *ret_error = route_error(400, msg_arn_partition);
                        return -EINVAL;
                }
                if (!region_is_valid(parts[3])) {
                        *ret_error = route_error(400, msg_arn_region);
                        return -EINVAL;
                }
                if (!account_is_valid(parts[4])) {
                        *ret_error = route_error(400, msg_account);
                        return -EINVAL;
                }
                name = parts[6];
                if (n == 8)
                        qualifier = parts[7];
                break;
        default:
                *ret_error = route_error(400, msg_name_form);
                return -EINVAL;
        }

        if (!name_is_valid(name)) {
                *ret_error = route_error(400, msg_name_chars);
                return -EINVAL;
        }
        /* "NAME:" is a qualifier that is there but empty, not an absent one. */
        if (qualifier.p && !qualifier_is_valid(qualifier)) {
                *ret_error = route_error(400, msg_qualifier);
                return -EINVAL;
        }

        span_copy(route->function, name);
        if (qualifier.p)
                span_copy(route->qualifier, qualifier);
        return 0;
}

int route_function_name(const char *s, char ret_name[static LAMBDA_FUNCTION_NAME_MAX + 1],
                        char ret_qualifier[static ROUTE_QUALIFIER_MAX + 1], const char **ret_message)
{
        RouteError error = {};
        Route route = {};

        if (!s || strlen(s) > ROUTE_FUNCTION_ARG_MAX) {
                *ret_message = msg_name_long;
                return -EINVAL;
        }
        if (parse_function_name(s, false, &route, &error) < 0) {
                *ret_message = error.message;
                return -EINVAL;
        }
        memcpy(ret_name, route.function, sizeof(route.function));
        memcpy(ret_qualifier, route.qualifier, sizeof(route.qualifier));
        return 0;
}

void route_split_target(const char *target, Span *ret_path, Span *ret_query)
{
        const char *p = target, *end;

        if (strncasecmp(p, "http://", 7) == 0)
                p += 7;
        else if (strncasecmp(p, "https://", 8) == 0)
                p += 8;
        if (p != target)
                p += strcspn(p, "/?#");

        end = p + strcspn(p, "?#");
        *ret_path = (Span){ p, (size_t) (end - p) };
        if (*end == '?') {
                const char *q = end + 1;

                *ret_query = (Span){ q, strcspn(q, "#") };
        } else
                *ret_query = (Span){ end, 0 };
}

/* The paths that name a function: PREFIX NAME SUFFIX, NAME one segment (an encoded "/", %2F, stays
 * inside it and is refused later). */
static const struct {
        const char *prefix, *suffix;
        PathKind kind;
} function_paths[] = {
        { "/2015-03-31/functions/", "", PATH_FUNCTION },
        { "/2015-03-31/functions/", "/invocations", PATH_INVOKE_AWS },
        { "/2015-03-31/functions/", "/configuration", PATH_FUNCTION_CONFIGURATION },
        { "/2015-03-31/functions/", "/code", PATH_FUNCTION_CODE },
        { "/2015-03-31/functions/", "/versions", PATH_FUNCTION_VERSIONS },
        { "/2015-03-31/functions/", "/aliases", PATH_FUNCTION_ALIASES },
        { "/2015-03-31/functions/", "/aliases/", PATH_FUNCTION_ALIAS }, /* and the alias's segment */
        { "/2020-06-30/functions/", "/code-signing-config", PATH_FUNCTION_CODE_SIGNING },
        { "/2017-10-31/functions/", "/concurrency", PATH_FUNCTION_CONCURRENCY },
        { "/2019-09-30/functions/", "/concurrency", PATH_FUNCTION_CONCURRENCY_GET },
        { "/2019-09-25/functions/", "/event-invoke-config", PATH_FUNCTION_EVENT_INVOKE_CONFIG },
        { "/2019-09-25/functions/", "/event-invoke-config/list", PATH_FUNCTION_EVENT_INVOKE_CONFIGS },
        { "/2019-09-30/functions/", "/provisioned-concurrency", PATH_FUNCTION_PROVISIONED },
        { "/2021-11-15/functions/", "/response-streaming-invocations", PATH_INVOKE_STREAM },
        { "/functions/", "/invocations", PATH_INVOKE_SIMPLE },
};

/* Whether rest (from the slash after the name) is suffix, or for PATH_FUNCTION_ALIAS suffix and one
 * more segment, the alias's (*ret_extra). */
static bool suffix_matches(Span rest, const char *suffix, PathKind kind, Span *ret_extra)
{
        size_t n = strlen(suffix);

        if (kind != PATH_FUNCTION_ALIAS)
                return span_eq(rest, suffix);
        if (!span_startswith(rest, suffix) || rest.n == n || memchr(rest.p + n, '/', rest.n - n))
                return false;
        *ret_extra = (Span){ rest.p + n, rest.n - n };
        return true;
}

/* Classifies the path by shape alone; for paths naming a function *ret_name is the still-encoded name
 * segment (and *ret_extra the alias's). */
static PathKind classify_path(Span path, Span *ret_name, Span *ret_extra)
{
        if (span_eq(path, "/healthz"))
                return PATH_HEALTHZ;
        if (span_eq(path, "/metrics"))
                return PATH_METRICS;
        /* The AWS CLI lists with a trailing slash, other SDKs without. */
        if (span_eq(path, "/2015-03-31/functions") || span_eq(path, "/2015-03-31/functions/"))
                return PATH_FUNCTIONS;

        for (size_t i = 0; i < ELEMENTSOF(function_paths); i++) {
                size_t n = strlen(function_paths[i].prefix);
                Span rest;
                const char *slash;

                if (!span_startswith(path, function_paths[i].prefix))
                        continue;
                rest = (Span){ path.p + n, path.n - n };
                slash = memchr(rest.p, '/', rest.n);
                if (!suffix_matches(slash ? (Span){ slash, rest.n - (size_t) (slash - rest.p) }
                                          : (Span){ "", 0 },
                                    function_paths[i].suffix, function_paths[i].kind, ret_extra))
                        continue;
                *ret_name = (Span){ rest.p, slash ? (size_t) (slash - rest.p) : rest.n };
                return function_paths[i].kind;
        }
        return PATH_UNKNOWN;
}

typedef struct PathMethods {
        const char *allow; /* the Allow header */
        const char *message;
} PathMethods;

static PathMethods path_methods(PathKind kind)
{
        switch (kind) {
        case PATH_INVOKE_AWS:
        case PATH_INVOKE_STREAM:
        case PATH_INVOKE_SIMPLE:
                return (PathMethods){ "POST", msg_post_only };
        case PATH_FUNCTIONS:
        case PATH_FUNCTION_VERSIONS:
        case PATH_FUNCTION_ALIASES:
                return (PathMethods){ "GET, POST", msg_get_post };
        case PATH_FUNCTION:
                return (PathMethods){ "GET, DELETE", msg_get_delete };
        case PATH_FUNCTION_CONFIGURATION:
                return (PathMethods){ "GET, PUT", msg_get_put };
        case PATH_FUNCTION_CODE:
                return (PathMethods){ "PUT", msg_put_only };
        case PATH_FUNCTION_ALIAS:
        case PATH_FUNCTION_PROVISIONED:
                return (PathMethods){ "GET, PUT, DELETE", msg_get_put_delete };
        case PATH_FUNCTION_CODE_SIGNING:
        case PATH_FUNCTION_CONCURRENCY_GET:
        case PATH_FUNCTION_EVENT_INVOKE_CONFIGS:
        case PATH_HEALTHZ:
        case PATH_METRICS:
                return (PathMethods){ "GET", msg_get_only };
        case PATH_FUNCTION_CONCURRENCY:
                return (PathMethods){ "PUT, DELETE", msg_put_delete };
        case PATH_FUNCTION_EVENT_INVOKE_CONFIG:
                return (PathMethods){ "GET, PUT, POST, DELETE", msg_event_invoke_config };
        case PATH_UNKNOWN:
                break;
        }
        return (PathMethods){};
}

/* Whether method is one of allow's comma-separated list, exactly. */
static bool method_is_allowed(const char *method, const char *allow)
{
        size_t n = strlen(method);

        for (const char *p = allow; *p;) {
                size_t k = strcspn(p, ",");

                if (k == n && n > 0 && memcmp(p, method, n) == 0)
                        return true;
                p += k;
                p += strspn(p, ", ");
        }
        return false;
}

static int parse_invoke_query(Span query, bool simple, Route *route, RouteError *ret_error)
{
        char qualifier[ROUTE_QUALIFIER_MAX + 1];
        bool seen = false;
        Span key, value;
        int r;

        while (route_query_next(&query, &key, &value)) {
                if (!route_query_key_is(key, "Qualifier"))
                        continue;
                if (simple) {
                        *ret_error = route_error(400, msg_simple_name);
                        return -EINVAL;
                }
                if (seen) {
                        *ret_error = route_error(400, msg_qualifier_twice);
                        return -EINVAL;
                }
                seen = true;

                r = percent_decode(value.p, value.n, qualifier, sizeof(qualifier));
                if (r == -ENOBUFS) {
                        *ret_error = route_error(400, msg_qualifier);
                        return -EINVAL;
                }
                if (r < 0) {
                        *ret_error = route_error(400, msg_qualifier_encoding);
                        return -EINVAL;
                }
                if (!qualifier[0])
                        continue;
                if (!qualifier_is_valid((Span){ qualifier, strlen(qualifier) })) {
                        *ret_error = route_error(400, msg_qualifier);
                        return -EINVAL;
                }
                if (route->qualifier[0] && strcmp(route->qualifier, qualifier) != 0) {
                        *ret_error = route_error(400, msg_qualifier_mismatch);
                        return -EINVAL;
                }
                strcpy(route->qualifier, qualifier);
        }
        return 0;
}

/* The function the path's name segment names, and the qualifier of the segment or the query. */
static int parse_function_segment(Span name, Span query, bool simple, Route *route, RouteError *ret_error)
{
        char decoded[ROUTE_FUNCTION_ARG_MAX + 1];
        int r;

        /* Decoded exactly once: a "%25" in the name becomes "%", which is then just invalid. */
        r = percent_decode(name.p, name.n, decoded, sizeof(decoded));
        if (r == -ENOBUFS) {
                *ret_error = route_error(400, msg_name_long);
                return -EINVAL;
        }
        if (r < 0) {
                *ret_error = route_error(400, msg_name_encoding);
                return -EINVAL;
        }
        r = parse_function_name(decoded, simple, route, ret_error);
        if (r < 0)
                return r;
        return parse_invoke_query(query, simple, route, ret_error);
}

/* The route of a path that names one function, by its kind and the method. */
static RouteType function_route_type(PathKind kind, const char *method)
{
        bool get = strcmp(method, "GET") == 0;

        switch (kind) {
        case PATH_FUNCTION:
                return get ? ROUTE_GET_FUNCTION : ROUTE_DELETE_FUNCTION;
        case PATH_FUNCTION_CONFIGURATION:
                return get ? ROUTE_GET_FUNCTION_CONFIGURATION : ROUTE_UPDATE_FUNCTION_CONFIGURATION;
        case PATH_FUNCTION_CODE:
                return ROUTE_UPDATE_FUNCTION_CODE;
        case PATH_FUNCTION_VERSIONS:
                return get ? ROUTE_LIST_VERSIONS_BY_FUNCTION : ROUTE_PUBLISH_VERSION;
        case PATH_FUNCTION_ALIASES:
                return get ? ROUTE_LIST_ALIASES : ROUTE_CREATE_ALIAS;
        case PATH_FUNCTION_ALIAS:
                return get                          ? ROUTE_GET_ALIAS
                       : strcmp(method, "PUT") == 0 ? ROUTE_UPDATE_ALIAS
                                                    : ROUTE_DELETE_ALIAS;
        case PATH_FUNCTION_CODE_SIGNING:
                return ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG;
        case PATH_FUNCTION_CONCURRENCY:
                return strcmp(method, "PUT") == 0 ? ROUTE_PUT_FUNCTION_CONCURRENCY
                                                  : ROUTE_DELETE_FUNCTION_CONCURRENCY;
        case PATH_FUNCTION_CONCURRENCY_GET:
                return ROUTE_GET_FUNCTION_CONCURRENCY;
        case PATH_FUNCTION_EVENT_INVOKE_CONFIG:
                return get                           ? ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG
                       : strcmp(method, "PUT") == 0  ? ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG
                       : strcmp(method, "POST") == 0 ? ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG
                                                     : ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG;
        case PATH_FUNCTION_EVENT_INVOKE_CONFIGS:
                return ROUTE_LIST_FUNCTION_EVENT_INVOKE_CONFIGS;
        case PATH_FUNCTION_PROVISIONED:
                return get                          ? ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG
                       : strcmp(method, "PUT") == 0 ? ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG
                                                    : ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG;
        default:
                return ROUTE_INVOKE;
        }
}

bool route_alias_name_is_valid(const char *s)
{
        size_t n = strlen(s);

        return span_is_name_chars((Span){ s, n }, ROUTE_QUALIFIER_MAX) && strspn(s, "0123456789") != n;
}

/* The alias's segment of the path. */
static int parse_alias_segment(Span alias, Route *route, RouteError *ret_error)
{
        if (percent_decode(alias.p, alias.n, route->alias, sizeof(route->alias)) < 0 ||
            !route_alias_name_is_valid(route->alias)) {
                *ret_error = route_error(400, msg_alias);
                return -EINVAL;
        }
        return 0;
}

static int route_parse_internal(const char *method, const char *target, Route *route, RouteError *ret_error)
{
        Span path, query, name = {}, extra = {};
        PathMethods methods;
        PathKind kind;

        route_split_target(target, &path, &query);
        kind = classify_path(path, &name, &extra);
        methods = path_methods(kind);
        if (!methods.allow) {
                *ret_error = route_error(404, msg_unknown);
                return -ENOENT;
        }
        if (!method_is_allowed(method, methods.allow)) {
                *ret_error = route_error(405, methods.message);
                return -EOPNOTSUPP;
        }

        switch (kind) {
        case PATH_HEALTHZ:
                route->type = ROUTE_HEALTHZ;
                return 0;
        case PATH_METRICS:
                route->type = ROUTE_METRICS;
                return 0;
        case PATH_FUNCTIONS:
                if (strcmp(method, "POST") == 0) {
                        route->type = ROUTE_CREATE_FUNCTION;
                        return 0;
                }
                route->type = ROUTE_LIST_FUNCTIONS;
                return route_parse_list_query(query, route, ret_error);
        case PATH_INVOKE_AWS:
        case PATH_INVOKE_STREAM:
        case PATH_INVOKE_SIMPLE:
                route->type = ROUTE_INVOKE;
                route->stream = kind == PATH_INVOKE_STREAM;
                return parse_function_segment(name, query, kind == PATH_INVOKE_SIMPLE, route, ret_error);
        case PATH_FUNCTION_VERSIONS:
        case PATH_FUNCTION_ALIASES:
                route->type = function_route_type(kind, method);
                /* ListVersionsByFunction and ListAliases page; ListAliases filters by FunctionVersion. */
                if (strcmp(method, "GET") == 0 &&
                    (route_parse_list_query(query, route, ret_error) < 0 ||
                     (kind == PATH_FUNCTION_ALIASES &&
                      route_parse_function_version(query, route, ret_error) < 0)))
                        return -EINVAL;
                return parse_function_segment(name, query, false, route, ret_error);
        case PATH_FUNCTION:
        case PATH_FUNCTION_CONFIGURATION:
        case PATH_FUNCTION_CODE:
        case PATH_FUNCTION_CODE_SIGNING:
        case PATH_FUNCTION_CONCURRENCY:
        case PATH_FUNCTION_CONCURRENCY_GET:
        case PATH_FUNCTION_EVENT_INVOKE_CONFIG:
        case PATH_FUNCTION_EVENT_INVOKE_CONFIGS:
                route->type = function_route_type(kind, method);
                return parse_function_segment(name, query, false, route, ret_error);
        case PATH_FUNCTION_PROVISIONED:
                route->type = function_route_type(kind, method);
                /* ListProvisionedConcurrencyConfigs is GET ...?List=ALL, with Marker and MaxItems. */
                if (route->type == ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG &&
                    route_query_has(query, "List")) {
                        route->type = ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS;
                        if (route_parse_list_query(query, route, ret_error) < 0)
                                return -EINVAL;
                }
                return parse_function_segment(name, query, false, route, ret_error);
        case PATH_FUNCTION_ALIAS:
                route->type = function_route_type(kind, method);
                if (parse_alias_segment(extra, route, ret_error) < 0)
                        return -EINVAL;
                return parse_function_segment(name, query, false, route, ret_error);
        case PATH_UNKNOWN:
                break;
        }
        *ret_error = route_error(404, msg_unknown);
        return -ENOENT;
}

int route_parse(const char *method, const char *target, Route *ret, int *ret_status,
                const char **ret_message)
{
        RouteError error = {};
        Route route = {};
        int r;

        r = route_parse_internal(method ?: "", target ?: "", &route, &error);
        if (r < 0) {
                if (ret_status)
                        *ret_status = error.status;
                if (ret_message)
                        *ret_message = error.message;
                return r;
        }
        *ret = route;
        return 0;
}

const char *route_allow(const char *target)
{
        Span path, query, name, extra;

        route_split_target(target ?: "", &path, &query);
        return path_methods(classify_path(path, &name, &extra)).allow;
}

/* Every route: its AWS operation's name, and what sets it apart (RouteFlag). The one list of the
 * control plane's calls, of those on a function's settings, and of provisioned concurrency's. */
static const struct {
        const char *operation;
        unsigned flags;
} route_table[_ROUTE_TYPE_MAX] = {
        [ROUTE_INVOKE] = { "Invoke", 0 },
        [ROUTE_LIST_FUNCTIONS] = { "ListFunctions", 0 },
        [ROUTE_HEALTHZ] = { "Healthz", 0 },
        [ROUTE_METRICS] = { "Metrics", 0 },
        [ROUTE_FUNCTION_URL] = { "InvokeFunctionUrl", 0 },
        [ROUTE_CREATE_FUNCTION] = { "CreateFunction", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_GET_FUNCTION] = { "GetFunction", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_GET_FUNCTION_CONFIGURATION] = { "GetFunctionConfiguration", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_UPDATE_FUNCTION_CODE] = { "UpdateFunctionCode", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_UPDATE_FUNCTION_CONFIGURATION] = { "UpdateFunctionConfiguration", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_DELETE_FUNCTION] = { "DeleteFunction", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_LIST_VERSIONS_BY_FUNCTION] = { "ListVersionsByFunction", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG] = { "GetFunctionCodeSigningConfig",
                                                     ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_PUT_FUNCTION_CONCURRENCY] = { "PutFunctionConcurrency",
                                             ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_GET_FUNCTION_CONCURRENCY] = { "GetFunctionConcurrency",
                                             ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_DELETE_FUNCTION_CONCURRENCY] = { "DeleteFunctionConcurrency",
                                                ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG] = { "PutFunctionEventInvokeConfig",
                                                     ROUTE_FLAG_CONTROL_PLANE |
                                                             ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG] = { "UpdateFunctionEventInvokeConfig",
                                                        ROUTE_FLAG_CONTROL_PLANE |
                                                                ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG] = { "GetFunctionEventInvokeConfig",
                                                     ROUTE_FLAG_CONTROL_PLANE |
                                                             ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG] = { "DeleteFunctionEventInvokeConfig",
                                                        ROUTE_FLAG_CONTROL_PLANE |
                                                                ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_LIST_FUNCTION_EVENT_INVOKE_CONFIGS] = { "ListFunctionEventInvokeConfigs",
                                                       ROUTE_FLAG_CONTROL_PLANE |
                                                               ROUTE_FLAG_FUNCTION_SETTINGS },
        [ROUTE_PUBLISH_VERSION] = { "PublishVersion", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_CREATE_ALIAS] = { "CreateAlias", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_LIST_ALIASES] = { "ListAliases", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_GET_ALIAS] = { "GetAlias", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_UPDATE_ALIAS] = { "UpdateAlias", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_DELETE_ALIAS] = { "DeleteAlias", ROUTE_FLAG_CONTROL_PLANE },
        [ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG] = { "PutProvisionedConcurrencyConfig",
                                                       ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_PROVISIONED },
        [ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG] = { "GetProvisionedConcurrencyConfig",
                                                       ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_PROVISIONED },
        [ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG] = { "DeleteProvisionedConcurrencyConfig",
                                                          ROUTE_FLAG_CONTROL_PLANE |
                                                                  ROUTE_FLAG_PROVISIONED },
        [ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS] = { "ListProvisionedConcurrencyConfigs",
                                                         ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_PROVISIONED },
};

unsigned route_flags(RouteType type)
{
        return (size_t) type < ELEMENTSOF(route_table) ? route_table[type].flags : 0;
}

bool route_is_control_plane(RouteType type)
{
        return route_flags(type) & ROUTE_FLAG_CONTROL_PLANE;
}

const char *route_operation(RouteType type)
{
        return (size_t) type < ELEMENTSOF(route_table) && route_table[type].operation
                       ? route_table[type].operation
                       : "Unknown";
}

uint64_t route_max_body(RouteType type)
{
        return type == ROUTE_CREATE_FUNCTION || type == ROUTE_UPDATE_FUNCTION_CODE ? LAMBDA_API_REQUEST_MAX
                                                                                   : LAMBDA_PAYLOAD_MAX;
}
