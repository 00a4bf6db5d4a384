/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * http-request.h: incremental HTTP/1.1 request parsing over llhttp, as a pure function over buffers.
 * Collects the request line, headers and body of one message at a time under hard limits, and maps
 * every malformed or oversized input to the HTTP status the server should answer with. Pipelined
 * requests are handled one at a time: parsing stops at the end of each message. A body is collected
 * whole, or, when the owner asks for it once the head is in, handed out piece by piece as it arrives
 * (a chunked body's chunks, then its trailer fields, checked).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "buf.h"

#define HTTP_MAX_HEADERS 64

typedef struct HttpLimits {
        size_t max_url;     /* 414 past it */
        size_t max_head;    /* request line + headers; 431 past it */
        size_t max_headers; /* header count (at most HTTP_MAX_HEADERS); 431 past it */
        uint64_t max_body;  /* 413 past it, decided from Content-Length before any body byte */
} HttpLimits;

extern const HttpLimits http_limits_default;

typedef enum HttpParsePart {
        HTTP_PART_NONE,
        HTTP_PART_URL,
        HTTP_PART_FIELD,
        HTTP_PART_VALUE,
} HttpParsePart;

typedef struct HttpRequest HttpRequest;

typedef struct HttpRequestOps {
        /* The head is complete (r->headers_complete): the owner may call http_request_stream_body(). A
         * negative return fails the request, with the error_status (and error_reason) the callback set,
         * else 500: the owner may refuse a request before its body is read. */
        int (*head)(HttpRequest *r, void *userdata);
        /* A piece of a streamed body, to be used or copied before returning. A negative return fails the
         * request with 500. */
        int (*body)(HttpRequest *r, const char *p, size_t n, void *userdata);
} HttpRequestOps;

struct HttpRequest {
        llhttp_t parser;
        HttpLimits limits;
        const HttpRequestOps *ops; /* optional */
        void *userdata;

        /* The head of the current message: "URL\0name\0value\0name\0value\0...". */
        Buf head;
        size_t url_len;
        struct {
                size_t name;
                size_t value;
        } headers[HTTP_MAX_HEADERS];
        size_t n_headers;
        size_t n_head_headers; /* headers[] past this are the trailer fields of a chunked body */
        HttpParsePart part;

        Buf body;
        uint64_t content_length; /* UINT64_MAX when not announced */
        bool stream_body;        /* the body goes to ops->body instead of into body */
        uint64_t stream_max;     /* a streamed body's limit (413 past it) */
        uint64_t body_bytes;     /* of a streamed body, so far */

        bool started; /* a byte of this message arrived */
        bool headers_complete;
        bool complete;
        bool keep_alive;
        bool chunked;

        int error_status; /* the status to answer after a parse error */
        const char *error_reason;
};

typedef enum HttpFeedResult {
        HTTP_FEED_MORE = 0,     /* all bytes consumed, the message is not complete yet */
        HTTP_FEED_COMPLETE = 1, /* a whole message is parsed; bytes past it were not consumed */
} HttpFeedResult;

void http_request_init(HttpRequest *r, const HttpLimits *limits);
void http_request_done(HttpRequest *r);

/*
 * Feeds bytes to the parser. Returns HttpFeedResult with *ret_consumed set, or a negative errno
 * (-EBADMSG, -ENOBUFS, -ENOMEM) with r->error_status set to the HTTP status to reply with.
 */
int http_request_feed(HttpRequest *r, const char *data, size_t len, size_t *ret_consumed);

/* From ops->head: hand the body out through ops->body as it arrives instead of collecting it; it may
 * be at most max bytes. */
void http_request_stream_body(HttpRequest *r, uint64_t max);

/* Forgets the completed message and readies the parser for the next one on the same connection. */
void http_request_next(HttpRequest *r);

const char *http_request_method(const HttpRequest *r);
bool http_request_is_method(const HttpRequest *r, llhttp_method_t m);

static inline const char *http_request_url(const HttpRequest *r)
{
        return r->head.data ? r->head.data : "";
}

/* Case-insensitive lookup of the first header with this name; NULL when absent. */
const char *http_request_header(const HttpRequest *r, const char *name);

/* The trailer field with this name of a complete chunked message, if the head declared it in
 * "Trailer" (undeclared ones are ignored, RFC 9110 §6.5.2); NULL when absent. */
const char *http_request_trailer(const HttpRequest *r, const char *name);

/* Whether the client sent "Expect: 100-continue" and waits before sending the body. */
bool http_request_expects_continue(const HttpRequest *r);

/* The reason phrase for a status code we send ("Not Found"); "Unknown" for others. */
const char *http_status_reason(int status);
