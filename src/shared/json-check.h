/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * json-check.h: whether bytes are one JSON text (RFC 8259: one value, whitespace around it, UTF-8),
 * decided in one pass without building anything. The gateway checks every invocation payload (up
 * to 6 MB) this way; json-c building a whole tree just to throw it away cost a third of its CPU.
 * Nesting is bounded as json-c bounds it, so both agree (the fuzzer holds them to it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_CHECK_DEPTH_MAX 64

bool json_text_is_valid(const char *s, size_t len);

/*
 * The same check over a text that arrives in pieces (a request body streamed to an instance): feed()
 * each piece as it comes, end() once it is whole. feed() returns false as soon as no continuation can
 * make the text valid (then end() does too); end() says whether everything fed is one JSON text. The
 * verdict is json_text_is_valid()'s over the concatenation, wherever the pieces are cut (the fuzzer
 * holds them to it). No allocation; plain string content is scanned eight bytes at a time.
 */
typedef struct JsonStream {
        uint8_t stack[JSON_CHECK_DEPTH_MAX]; /* as json_text_is_valid()'s: 1 an object, 0 an array */
        uint8_t depth;
        uint8_t state;
        uint8_t key;         /* the string being read is an object's key */
        uint8_t left;        /* bytes left of a \u escape, a UTF-8 sequence, a literal */
        uint8_t lo, hi;      /* the range of a UTF-8 sequence's next byte */
        const char *literal; /* the rest of "true", "false" or "null" */
} JsonStream;

void json_stream_init(JsonStream *j);
bool json_stream_feed(JsonStream *j, const char *p, size_t n);
bool json_stream_end(JsonStream *j);
