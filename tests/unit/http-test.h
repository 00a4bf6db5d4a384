/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * http-test.h: a request head for the tests of what reads one (the Invoke API's headers, the instance
 * secret): these header lines, after a request line and a Host, parsed whole.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http-request.h"

/* Parses "POST /x" with headers (CRLF-separated lines, each ending in CRLF) into req, which the caller
 * ends with http_request_done(). */
static inline void test_request_parse(HttpRequest *req, const char *headers)
{
        char text[8192];
        size_t consumed;

        (void) snprintf(text, sizeof(text), "POST /x HTTP/1.1\r\nHost: h\r\n%sContent-Length: 0\r\n\r\n",
                        headers);
        http_request_init(req, NULL);
        assert_int_equal(http_request_feed(req, text, strlen(text), &consumed), HTTP_FEED_COMPLETE);
}
