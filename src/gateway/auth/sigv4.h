/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sigv4.h: verification of AWS Signature Version 4 on an incoming Invoke API request, so the AWS CLI,
 * boto3 and the AWS SDKs can call the gateway with their usual credentials. Pure functions over a
 * parsed request: no I/O, no clock (the caller passes the time), libcrypto for SHA-256 and HMAC only.
 *
 * Accepted: the Authorization header form ("AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/lambda/
 * aws4_request, SignedHeaders=a;b, Signature=HEX") with the time in X-Amz-Date (or else Date), both
 * host and that date header signed, any REGION (the gateway is its own region). Not accepted:
 * presigned query strings, streaming (aws-chunked) payloads, UNSIGNED-PAYLOAD. A session token
 * (X-Amz-Security-Token) is signed like any header, but means nothing here: there is no STS.
 */

#include <stdint.h>

#include "buf.h"
#include "http-request.h"

/* AWS's own limit on the distance between the signing time and the server's clock. */
#define SIGV4_MAX_SKEW_SEC 300U

/* Looks up the secret of an access key id; NULL if unknown. */
typedef const char *(*sigv4_secret_lookup_t)(const char *access_key_id, void *userdata);

typedef enum SigV4Error {
        SIGV4_OK = 0,
        SIGV4_MISSING,          /* no Authorization header, or not AWS4-HMAC-SHA256: the caller decides */
        SIGV4_MALFORMED,        /* 403 IncompleteSignatureException */
        SIGV4_UNKNOWN_KEY,      /* 403 UnrecognizedClientException */
        SIGV4_EXPIRED,          /* 403 InvalidSignatureException "Signature expired" */
        SIGV4_MISMATCH,         /* 403 InvalidSignatureException */
        SIGV4_BAD_PAYLOAD_HASH, /* 400 XAmzContentSHA256Mismatch */
} SigV4Error;

/*
 * Verifies req (method, target, headers, complete body) as signed at most max_skew_sec away from
 * now_sec (seconds since the epoch). On SIGV4_OK, *ret_access_key_id (malloc'd) names the key. For the
 * other results *ret_message is a human message (static string) fit for the error reply; it is NULL on
 * SIGV4_OK. Either ret_ pointer may be NULL. Returns a SigV4Error, or -ENOMEM.
 */
int sigv4_verify(const HttpRequest *req, sigv4_secret_lookup_t lookup, void *userdata, uint64_t now_sec,
                 uint64_t max_skew_sec, char **ret_access_key_id, const char **ret_message);

/* The AWS exception name that answers r ("InvalidSignatureException"); NULL for SIGV4_OK and
 * SIGV4_MISSING. */
const char *sigv4_error_type(SigV4Error r);

/* SHA-256 of n bytes as lower-case hex (out: SHA256_HEX_SIZE bytes, NUL-terminated); -ENOMEM. */
#define SHA256_HEX_SIZE 65U
int sigv4_sha256_hex(const void *p, size_t n, char out[static SHA256_HEX_SIZE]);

/*
 * Exposed for tests: the pieces of the canonical request, appended to out.
 *
 * The canonical URI of a non-S3 service: the path as sent on the wire with dot segments and empty
 * segments removed (as botocore and the JS SDK do before signing), then URI-encoded once more, so
 * "hello%3Aprod" is signed as "hello%253Aprod". -ENOMEM.
 *
 * The canonical query: wire_query (the part after '?', NULL or "" for none) split at '&', each name and
 * value percent-decoded and encoded again the AWS way, '=' always present, sorted by name then value.
 * -EINVAL on a broken percent escape, -ENOMEM.
 */
int sigv4_canonical_uri(const char *wire_path, Buf *out);
int sigv4_canonical_query(const char *wire_query, Buf *out);
