/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "url-config.h"
#include "util.h"

/* AWS's limits on a FunctionUrl's Cors. */
#define CORS_ORIGINS_MAX    100U
#define CORS_ORIGIN_LEN_MAX 253U
#define CORS_METHODS_MAX    6U
#define CORS_HEADERS_MAX    100U
#define CORS_HEADER_LEN_MAX 1024U
#define CORS_MAX_AGE_MAX    86400

#define URL_KEYS_EXPECTED "auth, invoke_mode, cors"
#define CORS_KEYS_EXPECTED \
        "allow_origins, allow_methods, allow_headers, expose_headers, max_age, allow_credentials"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

UrlConfig *url_config_free(UrlConfig *u)
{
        if (!u)
                return NULL;
        free(u->auth);
        free(u->invoke_mode);
        free(u->cors_json);
        free(u);
        return NULL;
}

static bool str_in(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (strcmp(s, *set) == 0)
                        return true;
        return false;
}

/* An origin as browsers send it: "*", or scheme "://" host [":" port], nothing after. */
static bool origin_is_valid(const char *s)
{
        const char *host;
        size_t n;

        if (strcmp(s, "*") == 0)
                return true;
        host = strstr(s, "://");
        if (!host || host == s ||
            strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+.-") != (size_t) (host - s))
                return false;
        host += 3;
        n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*[]:");
        return n > 0 && host[n] == 0;
}

/* An HTTP token (RFC 9110 §5.6.2), or "*". */
static bool header_name_is_valid(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n <= CORS_HEADER_LEN_MAX &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~") ==
                       n;
}

static bool method_is_valid(const char *s)
{
        static const char *const methods[] = { "GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*", NULL };

        return str_in(s, methods);
}

static bool origin_entry_is_valid(const char *s)
{
        return strlen(s) <= CORS_ORIGIN_LEN_MAX && origin_is_valid(s);
}

/* A JSON array of at most max strings, each passing valid(), copied to *ret as the AWS key. */
static int parse_string_list(const char *key, json_object *v, size_t max, bool (*valid)(const char *),
                             const char *expected, json_object *out, const char *aws_key, char **ret_error)
{
        _cleanup_(json_object_putp) json_object *list = NULL;
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return set_error(ret_error, "url.cors.%s: expected an array of %s", key, expected);
        n = json_object_array_length(v);
        if (n > max)
                return set_error(ret_error, "url.cors.%s: expected at most %zu entries, got %zu", key, max,
                                 n);
        list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                const char *s;

                if (!json_object_is_type(e, json_type_string))
                        return set_error(ret_error, "url.cors.%s[%zu]: expected %s", key, i, expected);
                s = json_object_get_string(e);
                if (strlen(s) != (size_t) json_object_get_string_len(e) || !valid(s))
                        return set_error(ret_error, "url.cors.%s[%zu]: expected %s", key, i, expected);
                if (json_object_array_add(list, json_object_new_string(s)) < 0)
                        return -ENOMEM;
        }
        if (json_object_object_add(out, aws_key, list) < 0)
                return -ENOMEM;
        list = NULL;
        return 0;
}

static int parse_cors(json_object *v, char **ret, char **ret_error)
{
        _cleanup_(json_object_putp) json_object *out = NULL;
        int r = 0;

        if (!json_object_is_type(v, json_type_object))
                return set_error(ret_error, "url.cors: expected an object with keys " CORS_KEYS_EXPECTED);
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;

        json_object_object_foreach(v, key, value)
        {
                if (strcmp(key, "allow_origins") == 0)
                        r = parse_string_list(
                                key, value, CORS_ORIGINS_MAX, origin_entry_is_valid,
                                "origins: \"*\" or SCHEME://HOST[:PORT] of at most 253 characters", out,
                                "AllowOrigins", ret_error);
                else if (strcmp(key, "allow_methods") == 0)
                        r = parse_string_list(key, value, CORS_METHODS_MAX, method_is_valid,
                                              "methods: GET, PUT, HEAD, POST, PATCH, DELETE or *", out,
                                              "AllowMethods", ret_error);
                else if (strcmp(key, "allow_headers") == 0 || strcmp(key, "expose_headers") == 0)
                        r = parse_string_list(key, value, CORS_HEADERS_MAX, header_name_is_valid,
                                              "header names of at most 1024 characters", out,
                                              key[0] == 'a' ? "AllowHeaders" : "ExposeHeaders", ret_error);
                else if (strcmp(key, "max_age") == 0) {
                        int64_t i = json_object_get_int64(value);

                        if (!json_object_is_type(value, json_type_int) || i < 0 || i > CORS_MAX_AGE_MAX)
                                return set_error(ret_error,
                                                 "url.cors.max_age: expected an integer from 0 to 86400");
                        if (json_object_object_add(out, "MaxAge", json_object_new_int64(i)) < 0)
                                return -ENOMEM;
                } else if (strcmp(key, "allow_credentials") == 0) {
                        if (!json_object_is_type(value, json_type_boolean))
                                return set_error(ret_error,
                                                 "url.cors.allow_credentials: expected true or false");
                        if (json_object_object_add(out, "AllowCredentials",
                                                   json_object_new_boolean(json_object_get_boolean(value))) <
                            0)
                                return -ENOMEM;
                } else
                        return set_error(ret_error,
                                         "url.cors: unknown key, expected one of " CORS_KEYS_EXPECTED);
                if (r < 0)
                        return r;
        }
        *ret = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
        return *ret ? 0 : -ENOMEM;
}

static int parse_enum(const char *key, json_object *v, const char *const *values, const char *expected,
                      char **ret, char **ret_error)
{
        const char *s;

        if (!json_object_is_type(v, json_type_string) || !str_in(s = json_object_get_string(v), values))
                return set_error(ret_error, "url.%s: expected %s", key, expected);
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int url_config_parse(json_object *v, UrlConfig **ret, char **ret_error)
{
        static const char *const auths[] = { "NONE", "AWS_IAM", NULL };
        static const char *const modes[] = { "BUFFERED", "RESPONSE_STREAM", NULL };
        _cleanup_(url_config_freep) UrlConfig *u = NULL;
        int r = 0;

        if (!json_object_is_type(v, json_type_object))
                return set_error(ret_error, "url: expected an object with keys " URL_KEYS_EXPECTED);
        u = calloc(1, sizeof(UrlConfig));
        if (!u)
                return -ENOMEM;

        json_object_object_foreach(v, key, value)
        {
                if (strcmp(key, "auth") == 0)
                        r = parse_enum(key, value, auths, "\"NONE\" or \"AWS_IAM\"", &u->auth, ret_error);
                else if (strcmp(key, "invoke_mode") == 0)
                        r = parse_enum(key, value, modes, "\"BUFFERED\" or \"RESPONSE_STREAM\"",
                                       &u->invoke_mode, ret_error);
                else if (strcmp(key, "cors") == 0)
                        r = parse_cors(value, &u->cors_json, ret_error);
                else
                        r = set_error(ret_error, "url: unknown key, expected one of " URL_KEYS_EXPECTED);
                if (r < 0)
                        return r;
        }
        if (!u->auth)
                return set_error(ret_error, "url.auth: missing, expected \"NONE\" or \"AWS_IAM\"");
        if (!u->invoke_mode && !(u->invoke_mode = strdup("BUFFERED")))
                return -ENOMEM;
        if (!u->cors_json && !(u->cors_json = strdup("{}")))
                return -ENOMEM;
        *ret = TAKE_PTR(u);
        return 0;
}

bool url_config_equal(const UrlConfig *a, const UrlConfig *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a->auth, b->auth) == 0 && strcmp(a->invoke_mode, b->invoke_mode) == 0 &&
               strcmp(a->cors_json, b->cors_json) == 0;
}
