/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "base64.h"
#include "function-url.h"
#include "json-strict.h"
#include "route.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* The answer's JSON is at most a payload; anything deeper than this is not an HTTP answer. */
#define ANSWER_JSON_DEPTH_MAX 16

static bool utf8_is_valid(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned c = s[i], len, min;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xE0) == 0xC0)
                        len = 2, min = 0x80, cp = c & 0x1F;
                else if ((c & 0xF0) == 0xE0)
                        len = 3, min = 0x800, cp = c & 0x0F;
                else if ((c & 0xF8) == 0xF0)
                        len = 4, min = 0x10000, cp = c & 0x07;
                else
                        return false;
                if (n - i < len)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + k] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return false;
                i += len;
        }
        return true;
}

/* Content types whose bodies AWS passes as text rather than base64. */
static bool content_type_is_text(const char *ct)
{
        static const char *const text_types[] = {
                "application/json",
                "application/javascript",
                "application/xml",
                "application/yaml",
                "application/x-www-form-urlencoded",
        };
        size_t n;

        if (!ct)
                return false;
        n = strcspn(ct, ";");
        while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
                n--;
        if (strncasecmp(ct, "text/", 5) == 0)
                return true;
        if ((n >= 5 && strncasecmp(ct + n - 5, "+json", 5) == 0) ||
            (n >= 4 && strncasecmp(ct + n - 4, "+xml", 4) == 0))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(text_types); i++)
                if (strlen(text_types[i]) == n && strncasecmp(ct, text_types[i], n) == 0)
                        return true;
        return false;
}

/* Appends ",value" to an existing string member, or adds it: repeated headers and query keys. */
static int object_join(json_object *o, const char *key, const char *value, size_t len)
{
        json_object *old;
        _cleanup_free_ char *joined = NULL;
        const char *prev;
        size_t plen;

        if (!json_object_object_get_ex(o, key, &old))
                return json_object_object_add(o, key, json_object_new_string_len(value, (int) len)) < 0
                               ? -ENOMEM
                               : 0;
        prev = json_object_get_string(old);
        plen = (size_t) json_object_get_string_len(old);
        joined = malloc(plen + 1 + len + 1);
        if (!joined)
                return -ENOMEM;
        memcpy(joined, prev, plen);
        joined[plen] = ',';
        memcpy(joined + plen + 1, value, len);
        return json_object_object_add(o, key, json_object_new_string_len(joined, (int) (plen + 1 + len))) < 0
                       ? -ENOMEM
                       : 0;
}

/* "a=1; b=2" into the cookies array, each cookie as sent. */
static int add_cookies(json_object *cookies, const char *v)
{
        while (*v) {
                size_t n;

                v += strspn(v, " \t;");
                n = strcspn(v, ";");
                while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                        n--;
                if (n > 0 && json_object_array_add(cookies, json_object_new_string_len(v, (int) n)) < 0)
                        return -ENOMEM;
                v += n;
                v += strcspn(v, ";");
        }
        return 0;
}

/* Keys and values are percent-decoded ("+" stays "+"), as AWS does; a pair that does not decode
 * is passed as sent. */
static int add_query_parameters(json_object *params, const char *q)
{
        while (*q) {
                size_t n = strcspn(q, "&"), klen;
                const char *eq;
                _cleanup_free_ char *key = NULL, *value = NULL;

                if (n == 0) {
                        q++;
                        continue;
                }
                eq = memchr(q, '=', n);
                klen = eq ? (size_t) (eq - q) : n;
                key = malloc(klen + 1);
                value = malloc(n + 1);
                if (!key || !value)
                        return -ENOMEM;
                if (percent_decode(q, klen, key, klen + 1) < 0) {
                        memcpy(key, q, klen);
                        key[klen] = 0;
                }
                if (eq) {
                        size_t vlen = n - klen - 1;

                        if (percent_decode(eq + 1, vlen, value, vlen + 1) < 0) {
                                memcpy(value, eq + 1, vlen);
                                value[vlen] = 0;
                        }
                } else
                        value[0] = 0;
                if (object_join(params, key, value, strlen(value)) < 0)
                        return -ENOMEM;
                q += n;
                if (*q == '&')
                        q++;
        }
        return 0;
}

static int add_string(json_object *o, const char *key, const char *value)
{
        return json_object_object_add(o, key, json_object_new_string(value ?: "")) < 0 ? -ENOMEM : 0;
}

static int add_body(json_object *event, const HttpRequest *req)
{
        const char *ct = http_request_header(req, "Content-Type");
        Buf b64 = {};
        int r;

        if (req->body.len == 0)
                return json_object_object_add(event, "isBase64Encoded", json_object_new_boolean(false)) < 0
                               ? -ENOMEM
                               : 0;
        if (content_type_is_text(ct) && !memchr(req->body.data, 0, req->body.len) &&
            utf8_is_valid((const unsigned char *) req->body.data, req->body.len)) {
                if (json_object_object_add(event, "body",
                                           json_object_new_string_len(req->body.data, (int) req->body.len)) <
                    0)
                        return -ENOMEM;
                return json_object_object_add(event, "isBase64Encoded", json_object_new_boolean(false)) < 0
                               ? -ENOMEM
                               : 0;
        }
        r = base64_encode(&b64, req->body.data, req->body.len);
        if (r >= 0 &&
            json_object_object_add(event, "body", json_object_new_string_len(b64.data, (int) b64.len)) < 0)
                r = -ENOMEM;
        buf_done(&b64);
        if (r < 0)
                return r;
        return json_object_object_add(event, "isBase64Encoded", json_object_new_boolean(true)) < 0 ? -ENOMEM
                                                                                                   : 0;
}

static int request_context(const HttpRequest *req, const FunctionUrlEventInfo *info, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *ctx = json_object_new_object(),
                                                *http = json_object_new_object();
        char time_buf[64], prefix[256];
        time_t t = (time_t) (info->now_usec / USEC_PER_SEC);
        struct tm tm;
        size_t n = strcspn(info->domain_name, ".:");

        if (!ctx || !http)
                return -ENOMEM;
        if (!gmtime_r(&t, &tm) || strftime(time_buf, sizeof(time_buf), "%d/%b/%Y:%H:%M:%S +0000", &tm) == 0)
                time_buf[0] = 0;
        snprintf(prefix, sizeof(prefix), "%.*s", (int) MIN(n, sizeof(prefix) - 1), info->domain_name);

        if (add_string(http, "method", http_request_method(req)) < 0 ||
            add_string(http, "path", info->raw_path) < 0 ||
            add_string(http, "protocol", req->parser.http_minor >= 1 ? "HTTP/1.1" : "HTTP/1.0") < 0 ||
            add_string(http, "sourceIp", info->source_ip) < 0 ||
            add_string(http, "userAgent", http_request_header(req, "User-Agent")) < 0)
                return -ENOMEM;
        if (add_string(ctx, "accountId", info->account_id) < 0 ||
            add_string(ctx, "apiId", info->api_id) < 0 ||
            add_string(ctx, "domainName", info->domain_name) < 0 ||
            add_string(ctx, "domainPrefix", prefix) < 0 || json_object_object_add(ctx, "http", http) < 0)
                return -ENOMEM;
        http = NULL;
        if (add_string(ctx, "requestId", info->request_id) < 0 ||
            add_string(ctx, "routeKey", "$default") < 0 || add_string(ctx, "stage", "$default") < 0 ||
            add_string(ctx, "time", time_buf) < 0 ||
            json_object_object_add(ctx, "timeEpoch",
                                   json_object_new_int64((int64_t) (info->now_usec / 1000))) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(ctx);
        return 0;
}

int function_url_event_build(const HttpRequest *req, const FunctionUrlEventInfo *info, Buf *out)
{
        _cleanup_(json_object_putp) json_object *event = json_object_new_object(),
                                                *headers = json_object_new_object(),
                                                *cookies = json_object_new_array(),
                                                *params = json_object_new_object(), *ctx = NULL;
        const char *text;
        int r;

        if (!event || !headers || !cookies || !params)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_headers; i++) {
                const char *name = req->head.data + req->headers[i].name;
                const char *value = req->head.data + req->headers[i].value;
                char lower[256];
                size_t n = strlen(name);

                if (n >= sizeof(lower))
                        continue; /* no header name is this long */
                for (size_t k = 0; k <= n; k++)
                        lower[k] = (char) ((name[k] >= 'A' && name[k] <= 'Z') ? name[k] + 32 : name[k]);
                /* Cookies go into their own list, as AWS does. */
                r = strcmp(lower, "cookie") == 0 ? add_cookies(cookies, value)
                                                 : object_join(headers, lower, value, strlen(value));
                if (r < 0)
                        return r;
        }
        r = add_query_parameters(params, info->raw_query);
        if (r < 0)
                return r;
        r = request_context(req, info, &ctx);
        if (r < 0)
                return r;

        if (add_string(event, "version", "2.0") < 0 || add_string(event, "routeKey", "$default") < 0 ||
            add_string(event, "rawPath", info->raw_path) < 0 ||
            add_string(event, "rawQueryString", info->raw_query) < 0)
                return -ENOMEM;
        if (json_object_array_length(cookies) > 0) {
                if (json_object_object_add(event, "cookies", cookies) < 0)
                        return -ENOMEM;
                cookies = NULL;
        }
        if (json_object_object_add(event, "headers", headers) < 0)
                return -ENOMEM;
        headers = NULL;
        if (json_object_object_length(params) > 0) {
                if (json_object_object_add(event, "queryStringParameters", params) < 0)
                        return -ENOMEM;
                params = NULL;
        }
        if (json_object_object_add(event, "requestContext", ctx) < 0)
                return -ENOMEM;
        ctx = NULL;
        r = add_body(event, req);
        if (r < 0)
                return r;
        text = json_object_to_json_string_ext(event,
                                              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return text ? buf_append_str(out, text) : -ENOMEM;
}

void function_url_answer_done(FunctionUrlAnswer *a)
{
        for (size_t i = 0; i < a->n_headers; i++) {
                free(a->headers[i].name);
                free(a->headers[i].value);
        }
        free(a->headers);
        buf_done(&a->body);
        *a = (FunctionUrlAnswer){};
}

static bool token_is_valid(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n < 256 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~") ==
                       n;
}

static bool value_is_valid(const char *s, size_t len)
{
        return strlen(s) == len && !strpbrk(s, "\r\n");
}

static int answer_add_header(FunctionUrlAnswer *a, const char *name, const char *value, size_t len)
{
        FunctionUrlHeader *h;

        if (!token_is_valid(name) || !value_is_valid(value, len) || a->n_headers >= FUNCTION_URL_HEADERS_MAX)
                return -EBADMSG;
        h = reallocarray(a->headers, a->n_headers + 1, sizeof(FunctionUrlHeader));
        if (!h)
                return -ENOMEM;
        a->headers = h;
        h[a->n_headers] = (FunctionUrlHeader){ strdup(name), strdup(value) };
        if (!h[a->n_headers].name || !h[a->n_headers].value) {
                free(h[a->n_headers].name);
                free(h[a->n_headers].value);
                return -ENOMEM;
        }
        a->n_headers++;
        if (strcasecmp(name, "Content-Type") == 0)
                a->has_content_type = true;
        return 0;
}

/* statusCode, headers and cookies of an answer object (or a streaming prelude). */
static int answer_head_from(json_object *o, FunctionUrlAnswer *a)
{
        json_object *v;
        int r;

        a->status = 200;
        if (json_object_object_get_ex(o, "statusCode", &v)) {
                int64_t s = json_object_get_int64(v);

                if (!json_object_is_type(v, json_type_int) || s < 100 || s > 599)
                        return -EBADMSG;
                a->status = (int) s;
        }
        if (json_object_object_get_ex(o, "headers", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_object_is_type(v, json_type_object))
                        return -EBADMSG;
                json_object_object_foreach(v, name, value)
                {
                        if (!json_object_is_type(value, json_type_string) &&
                            !json_object_is_type(value, json_type_int) &&
                            !json_object_is_type(value, json_type_double) &&
                            !json_object_is_type(value, json_type_boolean))
                                return -EBADMSG;
                        r = answer_add_header(a, name, json_object_get_string(value),
                                              json_object_is_type(value, json_type_string)
                                                      ? (size_t) json_object_get_string_len(value)
                                                      : strlen(json_object_get_string(value)));
                        if (r < 0)
                                return r;
                }
        }
        if (json_object_object_get_ex(o, "cookies", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_object_is_type(v, json_type_array))
                        return -EBADMSG;
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        json_object *c = json_object_array_get_idx(v, i);

                        if (!json_object_is_type(c, json_type_string))
                                return -EBADMSG;
                        r = answer_add_header(a, "Set-Cookie", json_object_get_string(c),
                                              (size_t) json_object_get_string_len(c));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_json(const char *data, size_t len, json_object **ret)
{
        json_object *o;
        size_t end;
        int r;

        if (len == 0 || memchr(data, 0, len))
                return -EBADMSG;
        r = json_parse_strict(data, len, ANSWER_JSON_DEPTH_MAX, &o, &end, NULL);
        if (r < 0)
                return r;
        /* Whitespace after the value is fine (a runtime's trailing newline). */
        while (end < len && strchr(" \t\r\n", data[end]))
                end++;
        if (end != len) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

static int answer_from_object(json_object *o, FunctionUrlAnswer *a)
{
        json_object *body = NULL, *b64 = NULL;
        bool base64 = false;
        int r;

        r = answer_head_from(o, a);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(o, "isBase64Encoded", &b64) &&
            !json_object_is_type(b64, json_type_null)) {
                if (!json_object_is_type(b64, json_type_boolean))
                        return -EBADMSG;
                base64 = json_object_get_boolean(b64);
        }
        if (!json_object_object_get_ex(o, "body", &body) || json_object_is_type(body, json_type_null))
                return 0;
        if (!json_object_is_type(body, json_type_string))
                return -EBADMSG;
        if (base64) {
                r = base64_decode(&a->body, json_object_get_string(body),
                                  (size_t) json_object_get_string_len(body));
                return r == -EINVAL ? -EBADMSG : r;
        }
        return buf_append(&a->body, json_object_get_string(body), (size_t) json_object_get_string_len(body));
}

int function_url_answer_parse(const char *data, size_t len, FunctionUrlAnswer *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        FunctionUrlAnswer a = {};
        int r;

        r = parse_json(data, len, &o);
        if (r < 0)
                return r;
        if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "statusCode", NULL))
                r = answer_from_object(o, &a);
        else {
                /* Lambda infers the answer: 200, JSON, the output itself (a string's contents). */
                a.status = 200;
                r = answer_add_header(&a, "Content-Type", "application/json", STRLEN("application/json"));
                if (r >= 0)
                        r = json_object_is_type(o, json_type_string)
                                    ? buf_append(&a.body, json_object_get_string(o),
                                                 (size_t) json_object_get_string_len(o))
                                    : buf_append(&a.body, data, len);
        }
        if (r < 0) {
                function_url_answer_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void function_url_prelude_done(FunctionUrlPrelude *p)
{
        buf_done(&p->json);
        *p = (FunctionUrlPrelude){};
}

bool function_url_has_prelude(const char *content_type)
{
        static const char type[] = "application/vnd.awslambda.http-integration-response";
        size_t n;

        if (!content_type)
                return false;
        n = strcspn(content_type, "; \t");
        return n == STRLEN(type) && strncasecmp(content_type, type, n) == 0;
}

static int prelude_parse_head(FunctionUrlPrelude *p, FunctionUrlAnswer *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        FunctionUrlAnswer a = {};
        int r;

        r = parse_json(p->json.data, p->json.len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object) || json_object_object_get_ex(o, "body", NULL))
                return -EBADMSG;
        r = answer_head_from(o, &a);
        if (r < 0) {
                function_url_answer_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

int function_url_prelude_feed(FunctionUrlPrelude *p, const char *data, size_t n, size_t *ret_consumed,
                              FunctionUrlAnswer *ret_head)
{
        if (p->state == PRELUDE_BODY) {
                *ret_consumed = 0;
                return 2;
        }
        for (size_t i = 0; i < n; i++) {
                int r;

                if (data[i] != 0) {
                        /* A NUL cannot be part of JSON text: fewer than 8 of them is malformed. */
                        if (p->nuls > 0)
                                return -EBADMSG;
                        if (p->json.len >= FUNCTION_URL_PRELUDE_MAX)
                                return -EBADMSG;
                        r = buf_append(&p->json, data + i, 1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (++p->nuls < 8)
                        continue;
                r = prelude_parse_head(p, ret_head);
                if (r < 0)
                        return r;
                p->state = PRELUDE_BODY;
                buf_done(&p->json);
                *ret_consumed = i + 1;
                return 1;
        }
        *ret_consumed = n;
        return 0;
}

/* The strings of list, comma-joined; "" when none. */
static int join_list(json_object *list, Buf *out)
{
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(list, i));
                int r;

                r = buf_printf(out, "%s%s", i > 0 ? "," : "", s ?: "");
                if (r < 0)
                        return r;
        }
        return 0;
}

static json_object *cors_list(json_object *cors, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(cors, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

static bool origin_allowed(json_object *origins, const char *origin, bool *ret_wildcard)
{
        *ret_wildcard = false;
        for (size_t i = 0; origins && i < json_object_array_length(origins); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(origins, i));

                if (s && strcmp(s, "*") == 0)
                        *ret_wildcard = true;
                else if (s && strcasecmp(s, origin) == 0)
                        return true;
        }
        return *ret_wildcard;
}

static int add_list_header(FunctionUrlAnswer *a, const char *name, json_object *list)
{
        Buf b = {};
        int r;

        if (!list || json_object_array_length(list) == 0)
                return 0;
        r = join_list(list, &b);
        if (r >= 0)
                r = answer_add_header(a, name, b.data ?: "", b.len);
        buf_done(&b);
        return r;
}

int function_url_cors(const char *cors_json, const char *origin, bool preflight, FunctionUrlAnswer *a)
{
        _cleanup_(json_object_putp) json_object *cors = NULL;
        json_object *v;
        bool wildcard, credentials = false;
        int r;

        if (!cors_json || parse_json(cors_json, strlen(cors_json), &cors) < 0 ||
            !json_object_is_type(cors, json_type_object))
                return -EBADMSG;
        if (!origin || !value_is_valid(origin, strlen(origin)) ||
            !origin_allowed(cors_list(cors, "AllowOrigins"), origin, &wildcard))
                return 0;
        if (json_object_object_get_ex(cors, "AllowCredentials", &v))
                credentials = json_object_get_boolean(v);

        /* With credentials a browser accepts no "*": the origin itself is named. */
        r = answer_add_header(a, "Access-Control-Allow-Origin", wildcard && !credentials ? "*" : origin,
                              wildcard && !credentials ? 1 : strlen(origin));
        if (r >= 0 && !(wildcard && !credentials))
                r = answer_add_header(a, "Vary", "Origin", STRLEN("Origin"));
        if (r >= 0 && credentials)
                r = answer_add_header(a, "Access-Control-Allow-Credentials", "true", 4);
        if (r >= 0 && preflight) {
                r = add_list_header(a, "Access-Control-Allow-Methods", cors_list(cors, "AllowMethods"));
                if (r >= 0)
                        r = add_list_header(a, "Access-Control-Allow-Headers",
                                            cors_list(cors, "AllowHeaders"));
                if (r >= 0 && json_object_object_get_ex(cors, "MaxAge", &v))
                        r = answer_add_header(a, "Access-Control-Max-Age", json_object_get_string(v),
                                              strlen(json_object_get_string(v)));
        } else if (r >= 0)
                r = add_list_header(a, "Access-Control-Expose-Headers", cors_list(cors, "ExposeHeaders"));
        return r < 0 ? r : 1;
}
