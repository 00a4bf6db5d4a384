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

#define JSON_CHECK_DEPTH_MAX 64

bool json_text_is_valid(const char *s, size_t len);
