/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * route.h: maps lambda-gateway's request lines (method + raw request target) to what they ask for, as
 * a pure function: the AWS Invoke, InvokeWithResponseStream and ListFunctions paths, the control-plane
 * calls on one function (CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, ListVersionsByFunction, GetFunctionCodeSigningConfig,
 * PublishVersion and the aliases' CreateAlias, ListAliases, GetAlias, UpdateAlias and DeleteAlias; a
 * function's concurrency and event invoke config), lambdad's own simple invoke path, /healthz and
 * /metrics. Function names arrive percent-encoded and in any of Lambda's name/ARN forms; this is the one
 * place that decodes and validates them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lambda-contract.h"

#define ROUTE_QUALIFIER_MAX    128  /* a version or alias */
#define ROUTE_FUNCTION_ARG_MAX 170  /* a whole FunctionName (ARN, qualifier and all), decoded */
#define ROUTE_MARKER_MAX       1024 /* ListFunctions' opaque Marker, decoded */
#define ROUTE_MAX_ITEMS_MAX    10000

typedef enum RouteType {
        ROUTE_INVOKE,
        ROUTE_LIST_FUNCTIONS,
        ROUTE_HEALTHZ,
        ROUTE_METRICS,
        ROUTE_FUNCTION_URL,
        /* The control plane (api/functions.h): */
        ROUTE_CREATE_FUNCTION,               /* POST /2015-03-31/functions; the name is in the body */
        ROUTE_GET_FUNCTION,                  /* GET .../functions/NAME */
        ROUTE_GET_FUNCTION_CONFIGURATION,    /* GET .../functions/NAME/configuration */
        ROUTE_UPDATE_FUNCTION_CODE,          /* PUT .../functions/NAME/code */
        ROUTE_UPDATE_FUNCTION_CONFIGURATION, /* PUT .../functions/NAME/configuration */
        ROUTE_DELETE_FUNCTION,               /* DELETE .../functions/NAME */
        /* What Terraform reads of every function, answered as for one with no versions and no code
         * signing: */
        ROUTE_LIST_VERSIONS_BY_FUNCTION,        /* GET .../functions/NAME/versions */
        ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG, /* GET /2020-06-30/functions/NAME/code-signing-config */
        /* Versions and aliases: */
        ROUTE_PUBLISH_VERSION, /* POST .../functions/NAME/versions */
        ROUTE_CREATE_ALIAS,    /* POST .../functions/NAME/aliases */
        ROUTE_LIST_ALIASES,    /* GET .../functions/NAME/aliases */
        ROUTE_GET_ALIAS,       /* GET .../functions/NAME/aliases/ALIAS */
        ROUTE_UPDATE_ALIAS,    /* PUT .../functions/NAME/aliases/ALIAS */
        ROUTE_DELETE_ALIAS,    /* DELETE .../functions/NAME/aliases/ALIAS */
        /* A function's settings (api/function-settings.h): */
        ROUTE_PUT_FUNCTION_CONCURRENCY,            /* PUT /2017-10-31/functions/NAME/concurrency */
        ROUTE_GET_FUNCTION_CONCURRENCY,            /* GET /2019-09-30/functions/NAME/concurrency */
        ROUTE_DELETE_FUNCTION_CONCURRENCY,         /* DELETE /2017-10-31/functions/NAME/concurrency */
        ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG,    /* PUT /2019-09-25/functions/NAME/event-invoke-config */
        ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG, /* POST ... */
        ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG,    /* GET ... */
        ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG, /* DELETE ... */
        ROUTE_LIST_FUNCTION_EVENT_INVOKE_CONFIGS,  /* GET .../event-invoke-config/list */
        /* Provisioned concurrency (api/provisioned-concurrency.h): */
        ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG, /* PUT /2019-09-30/functions/NAME/provisioned-concurrency
                                                   */
        ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG, /* GET ... */
        ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG, /* DELETE ... */
        ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS,  /* GET ...?List=ALL */
        _ROUTE_TYPE_MAX,
} RouteType;

typedef struct Route {
        RouteType type;
        char function[LAMBDA_FUNCTION_NAME_MAX + 1]; /* the bare name, decoded */
        char qualifier[ROUTE_QUALIFIER_MAX + 1];     /* "" when none; "$LATEST" when given so */
        char alias[ROUTE_QUALIFIER_MAX + 1];         /* GetAlias, UpdateAlias, DeleteAlias: decoded */
        char marker[ROUTE_MARKER_MAX + 1];           /* the List routes' Marker; "" when none */
        char function_version[16];                   /* ListAliases' FunctionVersion; "" when none */
        unsigned max_items;                          /* 0 = not given */
        bool stream;                                 /* InvokeWithResponseStream */
        /* ROUTE_FUNCTION_URL: the path the function sees (from "/", still encoded) and the query,
         * pointing into the target. */
        const char *url_path;
        size_t url_path_len;
        const char *url_query;
        size_t url_query_len;
} Route;

/*
 * Routes a request. Returns 0 and fills *ret, or a negative errno and sets *ret_status and
 * *ret_message (a static string, never echoing the input; either pointer may be NULL):
 *   -ENOENT      404: no such path (answer as UnknownOperationException);
 *   -EOPNOTSUPP  405: the path exists but takes other methods (see route_allow());
 *   -EINVAL      400: malformed function name, qualifier, percent-encoding or query parameter (answer
 *                as InvalidParameterValueException with the message).
 * *ret is written only on success, the status and message only on failure. Methods are matched
 * case-sensitively and without HEAD for GET. The target may be in origin-form or absolute-form.
 * Query parameters other than the route's own are ignored; the route's own may appear once (Qualifier
 * for invocations and the calls on one function; Marker and MaxItems for ListFunctions,
 * ListVersionsByFunction, ListAliases and ListProvisionedConcurrencyConfigs; FunctionVersion for
 * ListAliases). Query
 * values are percent-decoded ("+" stays "+"); an empty Qualifier or Marker counts as not given.
 * Never allocates.
 */
int route_parse(const char *method, const char *target, Route *ret, int *ret_status,
                const char **ret_message);

/*
 * Function URLs: "/url/NAME[/PATH]" (any method), or any path when host is "NAME.lambda-url.ANYTHING"
 * (host may be NULL). Returns 0 and fills *ret (type ROUTE_FUNCTION_URL) when the request is for a
 * function URL; -ENOENT when it is not (route it with route_parse()); -EINVAL with 400 and a message
 * when its path would escape the function's prefix: "." or ".." segments (also percent-encoded),
 * encoded slashes or backslashes (%2F, %5C), raw backslashes, or a bad percent-escape; or when it
 * does not start with "/" ("*", for one).
 */
int route_function_url(const char *target, const char *host, Route *ret, int *ret_status,
                       const char **ret_message);

/* Whether s is an alias's name as Lambda has them: 1 to 128 of [a-zA-Z0-9-_], not all digits (that is a
 * version). */
bool route_alias_name_is_valid(const char *s);

/* The methods the target's path takes ("GET", "POST", "GET, POST", "GET, DELETE", "GET, PUT", "PUT",
 * "GET, PUT, DELETE"), for
 * the Allow header of a 405; NULL when the path is unknown. */
const char *route_allow(const char *target);

/* What sets a route apart (route_flags()), said once for everything that groups routes. */
typedef enum RouteFlag {
        ROUTE_FLAG_CONTROL_PLANE = 1U << 0,     /* authorized by the "manage" right (auth.h) */
        ROUTE_FLAG_FUNCTION_SETTINGS = 1U << 1, /* on a function's settings (api/function-settings.h) */
        ROUTE_FLAG_PROVISIONED = 1U << 2,       /* on a version's or alias's provisioned concurrency */
} RouteFlag;

/* The route's RouteFlags; 0 for a type that is none. */
unsigned route_flags(RouteType type);

/* Whether the route is one of the control plane's: authorized by the "manage" right (auth.h). */
bool route_is_control_plane(RouteType type);

/* AWS's name of the route's operation ("Invoke", "CreateFunction", ...), for logs and messages. */
const char *route_operation(RouteType type);

/* The largest body the route takes: Lambda's request limit for the calls that upload a zip
 * (CreateFunction, UpdateFunctionCode), the invocation payload limit for the others. */
uint64_t route_max_body(RouteType type);

/*
 * A FunctionName as a request body carries it (CreateFunction), decoded already: NAME, NAME:QUALIFIER,
 * ACCOUNT:function:NAME[:QUALIFIER] or arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], as
 * in paths. 0 with the bare name in ret_name and the qualifier ("" when none) in ret_qualifier; -EINVAL
 * with a static message.
 */
int route_function_name(const char *s, char ret_name[static LAMBDA_FUNCTION_NAME_MAX + 1],
                        char ret_qualifier[static ROUTE_QUALIFIER_MAX + 1], const char **ret_message);

/*
 * Strict percent-decoding of len bytes: "%" must be followed by two hex digits, and neither a raw nor
 * a decoded byte may be NUL. Writes a NUL-terminated result to out. Returns 0, -EINVAL on a bad escape
 * or NUL (reported even when the output would not fit), -ENOBUFS when the result and its NUL exceed
 * out_size. On failure out holds "" (if out_size > 0).
 */
int percent_decode(const char *in, size_t len, char *out, size_t out_size);
