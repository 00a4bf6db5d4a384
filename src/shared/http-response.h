/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * http-response.h: writes HTTP/1.1 responses into a Buf: status line, headers, and a body framed by
 * Content-Length. Header values are checked for CR/LF so nothing from a peer can split a response.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

int http_response_begin(Buf *out, int status);

/* Adds "Name: value"; -EINVAL if the value holds CR, LF or NUL. */
int http_response_header(Buf *out, const char *name, const char *value);
int http_response_headerf(Buf *out, const char *name, const char *format, ...) _printf_(3, 4);

/* Adds Content-Length (and "Connection: close" unless keep_alive) and ends the head; the body follows. */
int http_response_end_head(Buf *out, uint64_t content_length, bool keep_alive);

/* Whether a string may be sent as a header value as it is. */
bool http_header_value_is_valid(const char *v);
