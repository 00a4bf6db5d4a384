/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * url-config.h: a declared function's Function URL (the "url" key of its declaration, function-config.h),
 * parsed and validated as a pure function over json-c values. What the gateway needs of it travels
 * over D-Bus (GetFunctionConfiguration) as three strings: the auth type, the invoke mode and the CORS
 * settings as JSON text in AWS's FunctionUrl Cors shape.
 *
 *   "url": {
 *     "auth": "NONE",               required: "NONE" (public) or "AWS_IAM" (SigV4, service lambda)
 *     "invoke_mode": "BUFFERED",    "BUFFERED" (default) or "RESPONSE_STREAM"
 *     "cors": {                     optional; AWS's Cors with the declaration's snake_case keys:
 *       "allow_origins": ["https://example.com", "*"],  0..100 origins (scheme://host[:port] or "*")
 *       "allow_methods": ["GET", "POST"],               0..6 of GET PUT HEAD POST PATCH DELETE *
 *       "allow_headers": ["content-type"],              0..100 header names (or "*"), <= 1024 chars
 *       "expose_headers": ["x-request-id"],             likewise
 *       "max_age": 300,                                 integer 0..86400 (seconds)
 *       "allow_credentials": false                      boolean
 *     }
 *   }
 */

#include <stdbool.h>

#include "macro.h"

struct json_object;

typedef struct UrlConfig {
        char *auth;        /* "NONE" or "AWS_IAM" */
        char *invoke_mode; /* "BUFFERED" or "RESPONSE_STREAM" */
        char *cors_json;   /* {"AllowOrigins":[...],...}: only the keys given; "{}" without cors */
} UrlConfig;

UrlConfig *url_config_free(UrlConfig *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(UrlConfig *, url_config_free);

/* Parses the value of "url". -EINVAL with *ret_error (malloc'd, naming the field, "url." prefixed)
 * when ret_error is not NULL; -ENOMEM. */
int url_config_parse(struct json_object *v, UrlConfig **ret, char **ret_error);

/* Whether a and b say the same (either may be NULL: no URL). */
bool url_config_equal(const UrlConfig *a, const UrlConfig *b);
