/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-url.h: Function URLs' payload format 2.0, as pure functions over buffers: the event built
 * from an HTTP request, the mapping of the function's answer to an HTTP answer by AWS's rules, and a
 * push parser for the application/vnd.awslambda.http-integration-response prelude of streaming URLs
 * (JSON head, 8 NUL bytes, then the body), which takes the answer in whatever pieces it arrives.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http-request.h"

/* A streaming answer's JSON head may be at most this long. */
#define FUNCTION_URL_PRELUDE_MAX (64U * 1024U)
/* Headers and cookies one answer may set. */
#define FUNCTION_URL_HEADERS_MAX 100U

typedef struct FunctionUrlEventInfo {
        const char *raw_path;    /* the path the function sees, from "/", still percent-encoded */
        const char *raw_query;   /* without "?"; "" when none */
        const char *domain_name; /* the Host header, or "" */
        const char *api_id;      /* requestContext.apiId: the function name */
        const char *account_id;  /* "anonymous" for NONE, the account for AWS_IAM */
        const char *source_ip;   /* the client's address */
        const char *request_id;
        uint64_t now_usec; /* CLOCK_REALTIME */
} FunctionUrlEventInfo;

/* Appends the event for req (its headers and body) to out. -ENOMEM. */
int function_url_event_build(const HttpRequest *req, const FunctionUrlEventInfo *info, Buf *out);

typedef struct FunctionUrlHeader {
        char *name;
        char *value;
} FunctionUrlHeader;

typedef struct FunctionUrlAnswer {
        int status;
        FunctionUrlHeader *headers; /* Set-Cookie ones included, each on its own */
        size_t n_headers;
        bool has_content_type;
        Buf body;
} FunctionUrlAnswer;

void function_url_answer_done(FunctionUrlAnswer *a);

/*
 * The HTTP answer for a buffered function's output: an object with "statusCode" gives that status,
 * "headers" (string, number or boolean values), "cookies" (each a Set-Cookie), "body" and
 * "isBase64Encoded"; any other JSON gives 200, application/json, with a JSON string's contents or the
 * whole output as the body. -EBADMSG when the output is no JSON, or a field has the wrong type, a
 * status outside 100..599, a header that is not a token or a value with CR, LF or NUL, or bad base64
 * (the caller answers 502); -ENOMEM. *ret is written only on success.
 */
int function_url_answer_parse(const char *data, size_t len, FunctionUrlAnswer *ret);

typedef enum FunctionUrlPreludeState {
        PRELUDE_HEAD, /* collecting the JSON head */
        PRELUDE_BODY, /* the head was parsed: the rest is body */
} FunctionUrlPreludeState;

typedef struct FunctionUrlPrelude {
        FunctionUrlPreludeState state;
        Buf json;
        unsigned nuls; /* NUL bytes seen in a row at the end of json */
} FunctionUrlPrelude;

void function_url_prelude_done(FunctionUrlPrelude *p);

/* Whether a streamed answer's Content-Type says it starts with the prelude
 * (application/vnd.awslambda.http-integration-response, parameters and case aside); NULL: no. */
bool function_url_has_prelude(const char *content_type);

/*
 * Feeds bytes of a streaming answer. In PRELUDE_HEAD: returns 0 when all n bytes went into the head
 * and it is not complete yet; 1 when the head is complete: *ret_head holds its status and headers
 * (no body), and *ret_consumed says how many of the n bytes it took (the rest is body). In
 * PRELUDE_BODY: returns 2 and consumes nothing: every byte is body. -EBADMSG for a head that is too
 * long or malformed (as function_url_answer_parse() rules, with "body" not allowed), -ENOMEM.
 */
int function_url_prelude_feed(FunctionUrlPrelude *p, const char *data, size_t n, size_t *ret_consumed,
                              FunctionUrlAnswer *ret_head);

/*
 * CORS as AWS does it for function URLs, from the URL's Cors (cors_json, GetFunctionConfiguration's
 * UrlCors): when origin (the request's Origin; NULL: none) is allowed, adds the Access-Control-*
 * headers to *a: for a preflight, Allow-Origin, Allow-Methods, Allow-Headers, Max-Age and
 * Allow-Credentials; for other answers Allow-Origin, Expose-Headers and Allow-Credentials. Returns
 * 1 when the origin is allowed, 0 when not (nothing added), -EBADMSG for a cors_json that is not an
 * object, -ENOMEM.
 */
int function_url_cors(const char *cors_json, const char *origin, bool preflight, FunctionUrlAnswer *a);
