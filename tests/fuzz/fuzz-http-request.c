/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the HTTP request parser as both of lambda-rie's servers drive it: bytes arriving in
 * arbitrary pieces, pipelined requests, limits, header lookups, Runtime API routing, and bodies
 * streamed piece by piece (the Runtime API's streaming mode) with their trailer fields: a streamed
 * body must be handed out whole, the same however the bytes arrive, and never past its limit. */

#include <string.h>

#include "fuzz-http.h"
#include "fuzz.h"
#include "http-request.h"
#include "runtime.h"

static const HttpLimits small_limits = { .max_url = 64, .max_head = 256, .max_headers = 8, .max_body = 128 };

#define STREAM_MAX 512

typedef struct Streamed {
        bool stream; /* ask for streaming when the head says so */
        uint64_t bytes, bytes_complete;
        uint32_t crc, crc_complete; /* of the streamed bytes of complete messages */
        unsigned messages;
} Streamed;

static int on_head(HttpRequest *r, void *userdata)
{
        Streamed *s = userdata;

        s->bytes = 0;
        s->crc = 0;
        if (s->stream && http_request_header(r, "Lambda-Runtime-Function-Response-Mode"))
                http_request_stream_body(r, STREAM_MAX);
        return 0;
}

static int on_body(HttpRequest *r, const char *p, size_t n, void *userdata)
{
        Streamed *s = userdata;

        s->bytes += n;
        if (s->bytes > STREAM_MAX || r->body.len > 0)
                abort();
        for (size_t i = 0; i < n; i++)
                s->crc = s->crc * 31 + (uint8_t) p[i];
        return 0;
}

static const HttpRequestOps stream_ops = { .head = on_head, .body = on_body };

/* A complete message: looked at as the servers look at one. */
static void on_complete(HttpRequest *r, void *userdata)
{
        Streamed *s = userdata;
        char id[UUID_STRING_MAX];

        (void) http_request_header(r, "Content-Type");
        (void) http_request_expects_continue(r);
        (void) http_request_method(r);
        (void) runtime_route_parse(http_request_url(r), id);
        (void) http_request_trailer(r, "Lambda-Runtime-Function-Error-Type");
        (void) http_request_trailer(r, "Lambda-Runtime-Function-Error-Body");
        if (r->stream_body) {
                s->bytes_complete += s->bytes;
                s->crc_complete = s->crc_complete * 7 + s->crc;
        }
        s->messages++;
}

static void run(const uint8_t *data, size_t size, const HttpLimits *limits, size_t piece, Streamed *s)
{
        HttpRequest r;

        http_request_init(&r, limits);
        r.ops = &stream_ops;
        r.userdata = s;
        fuzz_http_feed(&r, data, size, piece, on_complete, s);
        http_request_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t piece;

        if (size < 1)
                return 0;
        Streamed whole = { .stream = true }, pieces = { .stream = true }, plain = {};

        /* The first byte picks how the bytes are split into reads. */
        piece = (size_t) data[0] % 17 + 1;
        run(data + 1, size - 1, NULL, size, &plain);
        run(data + 1, size - 1, &small_limits, piece, &plain);
        run(data + 1, size - 1, NULL, size, &whole);
        run(data + 1, size - 1, NULL, piece, &pieces);
        /* Complete messages stream the same bytes however they arrive. */
        if (whole.messages != pieces.messages || whole.bytes_complete != pieces.bytes_complete ||
            whole.crc_complete != pieces.crc_complete)
                abort();
        return 0;
}
