/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * upstream-parser.h: incremental parsing of an instance's HTTP/1.1 answer to an invocation, over
 * llhttp, as a pure function over buffers. It reads the status and the few headers the gateway acts
 * on, then hands out body bytes as they arrive so that they can be passed on without being
 * collected. A chunked answer's trailer fields that lambda-rie sends after a streamed response (the
 * function's error, the log tail) are read too. Every byte is untrusted: heads, trailers and bodies are
 * bounded, and anything malformed ends the answer with an error instead of a guess.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "buf.h"

/* A head larger than this (status line and headers) is malformed for our purposes. */
#define UPSTREAM_HEAD_MAX (16U * 1024U)
/* Header values we keep are cut at this length (X-Amz-Log-Result is base64 of at most 4 KiB). */
#define UPSTREAM_VALUE_MAX 8192U
/* The trailer section may be this large, and a value in it (an error body in base64) this long: a
 * runtime's error trailers fit in lambda-rie's 16 KiB request head. */
#define UPSTREAM_TRAILERS_MAX      (32U * 1024U)
#define UPSTREAM_TRAILER_VALUE_MAX (22U * 1024U)

typedef struct UpstreamHead {
        int status;
        uint64_t content_length; /* UINT64_MAX when not announced (chunked, or until the close) */
        bool keep_alive;         /* the connection may carry the next invocation */
        char *function_error;    /* X-Amz-Function-Error, or NULL */
        char *log_result;        /* X-Amz-Log-Result, or NULL */
        char *executed_version;  /* X-Amz-Executed-Version, or NULL */
        char *content_type;      /* Content-Type (a streaming runtime's own), or NULL */
        bool streaming;          /* Lambda-Runtime-Function-Response-Mode: streaming */
} UpstreamHead;

/* The trailer fields of a streamed answer (see lambda-rie's README section): each NULL when absent. */
typedef struct UpstreamTrailers {
        char *error_type; /* Lambda-Runtime-Function-Error-Type: the function failed mid-stream */
        char *error_body; /* Lambda-Runtime-Function-Error-Body: its error JSON, base64 */
        char *log_result; /* X-Amz-Log-Result */
} UpstreamTrailers;

typedef struct UpstreamParserOps {
        /* The head is complete. A negative return stops the parse with that error. */
        int (*head)(const UpstreamHead *head, void *userdata);
        /* Body bytes, pointing into the fed data: used or copied before returning. */
        int (*body)(const char *p, size_t n, void *userdata);
        /* Optional: the whole answer is in, with these trailer fields (borrowed). */
        int (*trailers)(const UpstreamTrailers *trailers, void *userdata);
} UpstreamParserOps;

typedef struct UpstreamParser {
        llhttp_t parser;
        const UpstreamParserOps *ops;
        void *userdata;
        uint64_t max_body;

        UpstreamHead head;
        UpstreamTrailers trailers;
        Buf field, value; /* the header or trailer field being read */
        bool in_value;
        size_t head_bytes, trailer_bytes;
        uint64_t body_bytes;
        bool started, head_complete, complete;
        int error; /* from a callback, or the limit that was passed */
} UpstreamParser;

void upstream_parser_init(UpstreamParser *p, uint64_t max_body, const UpstreamParserOps *ops,
                          void *userdata);
void upstream_parser_done(UpstreamParser *p);

/*
 * Feeds bytes. Returns 1 once the whole answer is parsed (bytes after it leave it whole but clear
 * keep_alive: an instance sends nothing unasked, so the connection is not to be trusted again), 0
 * when more is needed, or -EBADMSG (malformed), -EMSGSIZE (over a limit), or a callback's error. The body of
 * an answer without a length ends at the connection's close: then call upstream_parser_eof().
 */
int upstream_parser_feed(UpstreamParser *p, const char *data, size_t len);

/* The connection closed: 1 if that completes the answer, -EPIPE if the answer is cut short (or
 * never began). */
int upstream_parser_eof(UpstreamParser *p);
