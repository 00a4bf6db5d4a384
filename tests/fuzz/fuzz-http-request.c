/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the HTTP request parser as both of lambda-rie's servers drive it: bytes arriving in
 * arbitrary pieces, pipelined requests, limits, header lookups, and Runtime API routing. */

#include <string.h>

#include "fuzz.h"
#include "http-request.h"
#include "runtime.h"

static const HttpLimits small_limits = { .max_url = 64, .max_head = 256, .max_headers = 8, .max_body = 128 };

static void run(const uint8_t *data, size_t size, const HttpLimits *limits, size_t piece)
{
        HttpRequest r;
        size_t off = 0;

        http_request_init(&r, limits);
        while (off < size) {
                size_t len = MIN(piece, size - off), consumed = 0;
                int k = http_request_feed(&r, (const char *) data + off, len, &consumed);

                if (k < 0)
                        break;
                off += consumed;
                if (k == HTTP_FEED_COMPLETE) {
                        char id[UUID_STRING_MAX];

                        (void) http_request_header(&r, "Content-Type");
                        (void) http_request_expects_continue(&r);
                        (void) http_request_method(&r);
                        (void) runtime_route_parse(http_request_url(&r), id);
                        http_request_next(&r);
                }
        }
        http_request_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t piece;

        if (size < 1)
                return 0;
        /* The first byte picks how the bytes are split into reads. */
        piece = (size_t) data[0] % 17 + 1;
        run(data + 1, size - 1, NULL, size);
        run(data + 1, size - 1, &small_limits, piece);
        return 0;
}
