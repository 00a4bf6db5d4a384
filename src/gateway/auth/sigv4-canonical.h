/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sigv4-canonical.h: what sigv4.c needs from sigv4-canonical.c, the restating half of SigV4: the
 * canonical request as the client built it before signing, and the signing time it names. Internal to
 * the signature's verification; sigv4.h is the interface.
 */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "http-request.h"

/* "20250102T030405Z" and its "20250102" */
#define SIGV4_AMZ_DATE_LEN 16U
#define SIGV4_DATE_LEN     8U

static inline bool sigv4_is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* The blanks SigV4 trims from header values. */
static inline bool sigv4_is_space(char c)
{
        return c == ' ' || c == '\t';
}

/* The signing time as seconds since the epoch, from X-Amz-Date's "20250102T030405Z" (exactly) or from
 * Date's IMF-fixdate (with botocore's "-0000" zone too); false when malformed or out of 1970..9999. */
bool sigv4_parse_amz_date(const char *s, uint64_t *ret);
bool sigv4_parse_http_date(const char *s, uint64_t *ret);
/* t as X-Amz-Date writes it; t is one that the parsers above returned. */
void sigv4_format_amz_date(uint64_t t, char out[static SIGV4_AMZ_DATE_LEN + 1]);

/* The canonical request: method, URI, query, the signed headers, their names, the payload hash, appended
 * to out. Returns a SigV4Error (*ret_message says what is wrong), or -ENOMEM. */
int sigv4_build_canonical_request(const HttpRequest *req, const char *signed_headers,
                                  const char *payload_hash, Buf *out, const char **ret_message);
