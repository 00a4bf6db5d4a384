/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fuzz-http.h: what the fuzz targets over lambda-rie's request parsing share: the bytes fed to a parser
 * in reads of a given size, as a connection would, one complete message at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include "http-request.h"
#include "macro.h"

/* Feeds data to r in pieces of at most piece bytes until it is used up or malformed; complete() gets
 * each complete message before the parser moves on to the next. */
static inline void fuzz_http_feed(HttpRequest *r, const uint8_t *data, size_t size, size_t piece,
                                  void (*complete)(HttpRequest *r, void *userdata), void *userdata)
{
        size_t off = 0;

        while (off < size) {
                size_t len = MIN(piece, size - off), consumed = 0;
                int k = http_request_feed(r, (const char *) data + off, len, &consumed);

                if (k < 0)
                        break;
                off += consumed;
                if (k == HTTP_FEED_COMPLETE) {
                        if (complete)
                                complete(r, userdata);
                        http_request_next(r);
                }
        }
}
