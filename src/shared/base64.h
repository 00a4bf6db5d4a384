/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * base64.h: standard (RFC 4648 §4) base64, used for X-Amz-Client-Context and X-Amz-Log-Result.
 * Decoding is strict: padding required, no whitespace, no trailing garbage.
 */

#include <stddef.h>

#include "buf.h"

int base64_encode(Buf *out, const void *data, size_t len);
/* Returns -EINVAL on malformed input; appends the decoded bytes (NUL-terminated) to out. */
int base64_decode(Buf *out, const char *s, size_t len);
