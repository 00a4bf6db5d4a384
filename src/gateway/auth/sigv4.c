/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The verification of a signature: the Authorization header parsed and its scope checked, the signing
 * time against the clock, the key derived from the secret and the signature compared; the request itself
 * is restated by sigv4-canonical.c. */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4-canonical.h"
#include "sigv4.h"
#include "util.h"

#define ALGORITHM  "AWS4-HMAC-SHA256"
#define SERVICE    "lambda"
#define TERMINATOR "aws4_request"

#define SHA256_SIZE 32U

/* Longer fields than these are nonsense, and the limits keep every copy small. */
#define ACCESS_KEY_ID_MAX 128U
#define REGION_MAX        64U
/* A secret goes through HMAC's int key length, after "AWS4". */
#define SECRET_MAX 4096U

#define MSG_MISSING "Missing Authentication Token"
#define MSG_INCOMPLETE                                                                                  \
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters, each " \
        "once, separated by commas"
#define MSG_CREDENTIAL                                                 \
        "Authorization header has a malformed 'Credential': expected " \
        "ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request"
#define MSG_SIGNED_HEADERS                                                                       \
        "Authorization header has malformed 'SignedHeaders': expected lower-case header names, " \
        "sorted, separated by ';'"
#define MSG_SIGNATURE     "Authorization header has a malformed 'Signature': expected 64 lower-case hex digits"
#define MSG_TWICE         "Authorization, Host, X-Amz-Date, Date and X-Amz-Content-SHA256 may each appear only once"
#define MSG_NO_DATE       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header"
#define MSG_BAD_DATE      "The date in 'X-Amz-Date' (or 'Date') is malformed"
#define MSG_HOST_UNSIGNED "'Host' must be a 'SignedHeader' in the AWS Authorization"
#define MSG_DATE_UNSIGNED \
        "'X-Amz-Date' (or 'Date', when used) must be a 'SignedHeader' in the AWS Authorization"
#define MSG_SERVICE    "Credential should be scoped to correct service: 'lambda'"
#define MSG_TERMINATOR "Credential should be scoped with a valid terminator: 'aws4_request'"
#define MSG_SCOPE_DATE \
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"
#define MSG_UNKNOWN_KEY "The security token included in the request is invalid"
#define MSG_EXPIRED     "Signature expired: the signing time is too far in the past"
#define MSG_NOT_YET     "Signature not yet current: the signing time is too far in the future"
#define MSG_MISMATCH                                                                                 \
        "The request signature we calculated does not match the signature you provided. Check your " \
        "AWS Secret Access Key and signing method"
#define MSG_PAYLOAD_HASH "The provided 'x-amz-content-sha256' header does not match what was computed"

static bool is_lower_hex(char c)
{
        return sigv4_is_digit(c) || (c >= 'a' && c <= 'f');
}

/* A lower-case RFC 9110 token character: what a header name in SignedHeaders may hold. */
static bool is_lower_tchar(char c)
{
        return (c >= 'a' && c <= 'z') || sigv4_is_digit(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static void hex_encode(const uint8_t *p, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * n] = 0;
}

static int sha256(const void *p, size_t n, uint8_t out[static SHA256_SIZE])
{
        if (EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) != 1)
                return -ENOMEM;
        return 0;
}

int sigv4_sha256_hex(const void *p, size_t n, char out[static SHA256_HEX_SIZE])
{
        uint8_t md[SHA256_SIZE];
        int r;

        r = sha256(p, n, md);
        if (r < 0)
                return r;
        hex_encode(md, sizeof(md), out);
        return 0;
}

static int hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                       uint8_t out[static SHA256_SIZE])
{
        unsigned len = 0;

        if (key_len > INT_MAX)
                return -EINVAL;
        if (!HMAC(EVP_sha256(), key, (int) key_len, p, n, out, &len) || len != SHA256_SIZE)
                return -ENOMEM;
        return 0;
}

/* The value of the only header called name: NULL when there is none, *ret_count tells whether there
 * were more (which the caller refuses for the headers that decide what a request means). */
static const char *header_once(const HttpRequest *req, const char *name, size_t *ret_count)
{
        const char *value = NULL;
        size_t count = 0;

        for (size_t i = 0; i < req->n_headers; i++)
                if (strcasecmp(req->head.data + req->headers[i].name, name) == 0) {
                        if (!value)
                                value = req->head.data + req->headers[i].value;
                        count++;
                }
        *ret_count = count;
        return value;
}

/* A copy of a header value without the spaces around it. */
static char *strdup_trimmed(const char *v)
{
        size_t n;

        while (sigv4_is_space(*v))
                v++;
        n = strlen(v);
        while (n > 0 && sigv4_is_space(v[n - 1]))
                n--;
        return strndup(v, n);
}

typedef struct Authorization {
        char *buffer; /* a copy of the header value, cut into the strings below */
        const char *access_key_id;
        const char *date;
        const char *region;
        const char *service;
        const char *terminator;
        const char *signed_headers;
        const char *signature;
} Authorization;

static void authorization_done(Authorization *a)
{
        free(a->buffer);
}

static bool is_visible(char c)
{
        return c > ' ' && c < 0x7f;
}

static bool string_is_visible(const char *s, size_t max)
{
        size_t n = 0;

        for (; s[n]; n++)
                if (!is_visible(s[n]))
                        return false;
        return n >= 1 && n <= max;
}

/* "AKID/YYYYMMDD/REGION/SERVICE/aws4_request", cut in place. */
static bool parse_credential(char *s, Authorization *a)
{
        char *parts[5];
        size_t n = 0;

        for (char *p = s;; p++) {
                if (n == ELEMENTSOF(parts))
                        return false;
                parts[n++] = p;
                p = strchr(p, '/');
                if (!p)
                        break;
                *p = 0;
        }
        if (n != ELEMENTSOF(parts))
                return false;
        if (!string_is_visible(parts[0], ACCESS_KEY_ID_MAX) || strlen(parts[1]) != SIGV4_DATE_LEN ||
            strspn(parts[1], "0123456789") != SIGV4_DATE_LEN || !string_is_visible(parts[2], REGION_MAX) ||
            !string_is_visible(parts[3], REGION_MAX) || !string_is_visible(parts[4], REGION_MAX))
                return false;
        a->access_key_id = parts[0];
        a->date = parts[1];
        a->region = parts[2];
        a->service = parts[3];
        a->terminator = parts[4];
        return true;
}

/* Lower-case names, strictly ascending: the order the canonical request lists them in, which every
 * client sends. Anything else would make this server sign something other than what the client did. */
static bool signed_headers_are_valid(const char *s)
{
        const char *prev = NULL;
        size_t prev_len = 0;

        for (const char *p = s;;) {
                size_t n = 0;

                while (is_lower_tchar(p[n]))
                        n++;
                if (n == 0 || (p[n] != 0 && p[n] != ';'))
                        return false;
                if (prev) {
                        int c = memcmp(prev, p, MIN(prev_len, n));

                        if (c > 0 || (c == 0 && prev_len >= n))
                                return false;
                }
                prev = p;
                prev_len = n;
                if (p[n] == 0)
                        return true;
                p += n + 1;
        }
}

static bool signed_headers_contain(const char *list, const char *name)
{
        size_t n = strlen(name);

        for (const char *p = list;;) {
                size_t k = strcspn(p, ";");

                if (k == n && memcmp(p, name, n) == 0)
                        return true;
                if (p[k] == 0)
                        return false;
                p += k + 1;
        }
}

/* Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (any order of the three,
 * spaces around the commas optional). Returns a SigV4Error, or -ENOMEM. */
static int parse_authorization(const char *value, Authorization *a, const char **ret_message)
{
        char *credential = NULL, *p;

        if (strncmp(value, ALGORITHM, STRLEN(ALGORITHM)) != 0 ||
            (value[STRLEN(ALGORITHM)] != 0 && !sigv4_is_space(value[STRLEN(ALGORITHM)]))) {
                *ret_message = MSG_MISSING;
                return SIGV4_MISSING;
        }

        a->buffer = strdup(value + STRLEN(ALGORITHM));
        if (!a->buffer)
                return -ENOMEM;

        for (p = a->buffer;;) {
                char *end, *eq, *item;
                bool more;

                while (sigv4_is_space(*p))
                        p++;
                item = p;
                end = p + strcspn(p, ",");
                /* After a comma comes one more parameter: a trailing comma is as broken as ",,". */
                more = *end == ',';
                p = more ? end + 1 : end;
                *end = 0;
                while (end > item && sigv4_is_space(end[-1]))
                        *--end = 0;

                eq = strchr(item, '=');
                if (!eq) {
                        *ret_message = MSG_INCOMPLETE;
                        return SIGV4_MALFORMED;
                }
                *eq++ = 0;
                if (strcmp(item, "Credential") == 0 && !credential)
                        credential = eq;
                else if (strcmp(item, "SignedHeaders") == 0 && !a->signed_headers)
                        a->signed_headers = eq;
                else if (strcmp(item, "Signature") == 0 && !a->signature)
                        a->signature = eq;
                else {
                        *ret_message = MSG_INCOMPLETE;
                        return SIGV4_MALFORMED;
                }
                if (!more)
                        break;
        }

        if (!credential || !a->signed_headers || !a->signature) {
                *ret_message = MSG_INCOMPLETE;
                return SIGV4_MALFORMED;
        }
        if (!parse_credential(credential, a)) {
                *ret_message = MSG_CREDENTIAL;
                return SIGV4_MALFORMED;
        }
        if (!signed_headers_are_valid(a->signed_headers)) {
                *ret_message = MSG_SIGNED_HEADERS;
                return SIGV4_MALFORMED;
        }
        if (strlen(a->signature) != 2 * SHA256_SIZE) {
                *ret_message = MSG_SIGNATURE;
                return SIGV4_MALFORMED;
        }
        for (const char *s = a->signature; *s; s++)
                if (!is_lower_hex(*s)) {
                        *ret_message = MSG_SIGNATURE;
                        return SIGV4_MALFORMED;
                }
        return SIGV4_OK;
}

/* The signature of the canonical request under the key derived from the secret and the scope. */
static int compute_signature(const char *secret, const Authorization *a, const char *amz_date,
                             const Buf *canonical, char out[static SHA256_HEX_SIZE])
{
        _cleanup_free_ char *key = NULL, *string_to_sign = NULL;
        char canonical_hash[SHA256_HEX_SIZE];
        uint8_t k1[SHA256_SIZE], k2[SHA256_SIZE], sig[SHA256_SIZE];
        size_t key_len;
        int r;

        r = sigv4_sha256_hex(canonical->data ?: "", canonical->len, canonical_hash);
        if (r < 0)
                return r;
        if (asprintf(&string_to_sign, ALGORITHM "\n%s\n%s/%s/%s/%s\n%s", amz_date, a->date, a->region,
                     a->service, a->terminator, canonical_hash) < 0) {
                string_to_sign = NULL;
                return -ENOMEM;
        }

        key_len = STRLEN("AWS4") + strlen(secret);
        key = malloc(key_len + 1);
        if (!key)
                return -ENOMEM;
        memcpy(key, "AWS4", STRLEN("AWS4"));
        memcpy(key + STRLEN("AWS4"), secret, key_len - STRLEN("AWS4"));

        /* Each step into the other buffer: HMAC() is not promised to read its key before it writes. */
        r = hmac_sha256(key, key_len, a->date, strlen(a->date), k1);
        if (r >= 0)
                r = hmac_sha256(k1, sizeof(k1), a->region, strlen(a->region), k2);
        if (r >= 0)
                r = hmac_sha256(k2, sizeof(k2), a->service, strlen(a->service), k1);
        if (r >= 0)
                r = hmac_sha256(k1, sizeof(k1), a->terminator, strlen(a->terminator), k2);
        if (r >= 0)
                r = hmac_sha256(k2, sizeof(k2), string_to_sign, strlen(string_to_sign), sig);
        /* The derived keys are as good as the secret for a day. */
        OPENSSL_cleanse(key, key_len);
        OPENSSL_cleanse(k1, sizeof(k1));
        OPENSSL_cleanse(k2, sizeof(k2));
        if (r < 0)
                return r;
        hex_encode(sig, sizeof(sig), out);
        return 0;
}

static int verify(const HttpRequest *req, sigv4_secret_lookup_t lookup, void *userdata, uint64_t now_sec,
                  uint64_t max_skew_sec, char **ret_access_key_id, const char **ret_message)
{
        _cleanup_(authorization_done) Authorization a = {};
        _cleanup_free_ char *date_value = NULL, *content_sha256 = NULL;
        Buf canonical = {};
        char amz_date[SIGV4_AMZ_DATE_LEN + 1], body_hash[SHA256_HEX_SIZE], signature[SHA256_HEX_SIZE];
        const char *value, *secret, *date_header;
        size_t count, n_host, n_sha;
        uint64_t t;
        int r;

        value = header_once(req, "Authorization", &count);
        if (!value) {
                *ret_message = MSG_MISSING;
                return SIGV4_MISSING;
        }
        r = parse_authorization(value, &a, ret_message);
        if (r != SIGV4_OK)
                return r;
        /* Two of them would let whatever sits in front of the gateway read a different request than
         * the one verified here. */
        if (count > 1) {
                *ret_message = MSG_TWICE;
                return SIGV4_MALFORMED;
        }

        (void) header_once(req, "Host", &n_host);
        value = header_once(req, "X-Amz-Content-SHA256", &n_sha);
        if (value) {
                content_sha256 = strdup_trimmed(value);
                if (!content_sha256)
                        return -ENOMEM;
        }
        /* X-Amz-Date wins over Date, as at AWS. */
        date_header = "x-amz-date";
        value = header_once(req, date_header, &count);
        if (!value) {
                date_header = "date";
                value = header_once(req, date_header, &count);
        }
        if (n_host > 1 || n_sha > 1 || count > 1) {
                *ret_message = MSG_TWICE;
                return SIGV4_MALFORMED;
        }
        if (!value) {
                *ret_message = MSG_NO_DATE;
                return SIGV4_MALFORMED;
        }
        date_value = strdup_trimmed(value);
        if (!date_value)
                return -ENOMEM;
        if (!(strcmp(date_header, "x-amz-date") == 0 ? sigv4_parse_amz_date(date_value, &t)
                                                     : sigv4_parse_http_date(date_value, &t))) {
                *ret_message = MSG_BAD_DATE;
                return SIGV4_MALFORMED;
        }
        sigv4_format_amz_date(t, amz_date);

        if (!signed_headers_contain(a.signed_headers, "host")) {
                *ret_message = MSG_HOST_UNSIGNED;
                return SIGV4_MALFORMED;
        }
        if (!signed_headers_contain(a.signed_headers, date_header)) {
                *ret_message = MSG_DATE_UNSIGNED;
                return SIGV4_MALFORMED;
        }
        if (strcmp(a.service, SERVICE) != 0) {
                *ret_message = MSG_SERVICE;
                return SIGV4_MISMATCH;
        }
        if (strcmp(a.terminator, TERMINATOR) != 0) {
                *ret_message = MSG_TERMINATOR;
                return SIGV4_MISMATCH;
        }
        if (strncmp(a.date, amz_date, SIGV4_DATE_LEN) != 0) {
                *ret_message = MSG_SCOPE_DATE;
                return SIGV4_MISMATCH;
        }

        secret = lookup(a.access_key_id, userdata);
        if (!secret || strlen(secret) > SECRET_MAX) {
                *ret_message = MSG_UNKNOWN_KEY;
                return SIGV4_UNKNOWN_KEY;
        }

        if (t > now_sec && t - now_sec > max_skew_sec) {
                *ret_message = MSG_NOT_YET;
                return SIGV4_EXPIRED;
        }
        if (now_sec > t && now_sec - t > max_skew_sec) {
                *ret_message = MSG_EXPIRED;
                return SIGV4_EXPIRED;
        }

        r = sigv4_sha256_hex(req->body.data ?: "", req->body.len, body_hash);
        if (r < 0)
                return r;
        /* A client that sends the header signs its value rather than the body (botocore and the JS SDK
         * alike), so the signature is checked over the header and the header against the body. */
        r = sigv4_build_canonical_request(req, a.signed_headers, content_sha256 ?: body_hash, &canonical,
                                          ret_message);
        if (r == SIGV4_OK)
                r = compute_signature(secret, &a, amz_date, &canonical, signature);
        buf_done(&canonical);
        if (r != SIGV4_OK)
                return r;

        if (CRYPTO_memcmp(signature, a.signature, 2 * SHA256_SIZE) != 0) {
                *ret_message = MSG_MISMATCH;
                return SIGV4_MISMATCH;
        }
        if (content_sha256 && strcmp(content_sha256, body_hash) != 0) {
                *ret_message = MSG_PAYLOAD_HASH;
                return SIGV4_BAD_PAYLOAD_HASH;
        }

        if (ret_access_key_id) {
                char *id = strdup(a.access_key_id);

                if (!id)
                        return -ENOMEM;
                *ret_access_key_id = id;
        }
        *ret_message = NULL;
        return SIGV4_OK;
}

int sigv4_verify(const HttpRequest *req, sigv4_secret_lookup_t lookup, void *userdata, uint64_t now_sec,
                 uint64_t max_skew_sec, char **ret_access_key_id, const char **ret_message)
{
        const char *message = NULL;
        int r;

        if (!req || !lookup)
                return -EINVAL;
        /* A request whose head is not complete has no headers to verify. */
        if (!req->headers_complete) {
                message = MSG_MISSING;
                r = SIGV4_MISSING;
        } else
                r = verify(req, lookup, userdata, now_sec, max_skew_sec, ret_access_key_id, &message);
        if (r >= 0 && ret_message)
                *ret_message = message;
        return r;
}

const char *sigv4_error_type(SigV4Error r)
{
        switch (r) {
        case SIGV4_MALFORMED:
                return "IncompleteSignatureException";
        case SIGV4_UNKNOWN_KEY:
                return "UnrecognizedClientException";
        case SIGV4_EXPIRED:
        case SIGV4_MISMATCH:
                return "InvalidSignatureException";
        case SIGV4_BAD_PAYLOAD_HASH:
                return "XAmzContentSHA256Mismatch";
        default:
                return NULL;
        }
}
