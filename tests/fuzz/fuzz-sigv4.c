/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes SigV4 verification and auth_check(). The input is "SECRET\nREQUEST": the first line is the
 * secret every access key id has, the rest a raw HTTP request signed (or not) at 2025-01-02T03:04:05Z.
 * Each verdict must come with what its contract promises, and whatever is refused with a message fit
 * for a log line. (The credentials files have their own target, fuzz-auth-files.) */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "http-request.h"
#include "sigv4.h"

#define NOW UINT64_C(1735787045)

/* SHA-256 of "fuzz-key", which a seed sends as its bearer token. */
#define FUZZ_KEY_SHA256 "231e9b2f757db8d48ecd0711b60135e1cc57a3a807be9dc12638856f17a7872c"

static const char *any_key(const char *access_key_id, void *userdata)
{
        return userdata;
}

static const char *no_key(const char *access_key_id, void *userdata)
{
        return NULL;
}

static bool is_upper_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static bool is_unreserved(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '_' || c == '~';
}

static bool is_log_line(const char *s)
{
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static void check_canonical_uri(const char *path)
{
        Buf b = {};
        int r;

        r = sigv4_canonical_uri(path, &b);
        if (r == -ENOMEM)
                goto finish;
        if (r < 0)
                abort();
        /* A relative path such as "." may come out empty; an absolute or empty one starts with '/'. */
        if (b.len == 0) {
                if (path[0] == '/' || path[0] == 0)
                        abort();
                goto finish;
        }
        if (b.len != strlen(b.data) || (path[0] == '/' || path[0] == 0) != (b.data[0] == '/'))
                abort();
        /* Only unreserved characters, '/' and escapes %XX with upper-case hex. */
        for (size_t i = 0; i < b.len; i++) {
                char c = b.data[i];

                if (c == '%') {
                        if (i + 2 >= b.len || !is_upper_hex(b.data[i + 1]) || !is_upper_hex(b.data[i + 2]))
                                abort();
                        i += 2;
                } else if (!is_unreserved(c) && c != '/')
                        abort();
        }
        /* Never "//", which the normalisation removes. */
        if (strstr(b.data, "//"))
                abort();
finish:
        buf_done(&b);
}

static void check_canonical_query(const char *query)
{
        Buf b = {};
        int r;

        r = sigv4_canonical_query(query, &b);
        if (r == -ENOMEM || r == -EINVAL)
                goto finish;
        if (r < 0)
                abort();
        for (size_t i = 0; i < b.len; i++)
                if (!b.data[i] || (!is_unreserved(b.data[i]) && !strchr("%=&", b.data[i])))
                        abort();
finish:
        buf_done(&b);
}

static void check_verify(const HttpRequest *req, sigv4_secret_lookup_t lookup, const char *secret)
{
        char *id = NULL;
        const char *message = "unset";
        int r;

        r = sigv4_verify(req, lookup, (void *) secret, NOW, SIGV4_MAX_SKEW_SEC, &id, &message);
        if (r == -ENOMEM)
                return;
        if (r < SIGV4_OK || r > SIGV4_BAD_PAYLOAD_HASH)
                abort();
        if (r == SIGV4_OK) {
                if (!id || message || lookup == no_key)
                        abort();
                free(id);
                return;
        }
        if (id || !is_log_line(message))
                abort();
        if (r != SIGV4_MISSING && !sigv4_error_type(r))
                abort();
}

static void check_auth(const HttpRequest *req, const char *secret)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
        _cleanup_free_ char *line = NULL, *principal = NULL;
        const char *message = "unset";
        int r;

        if (!a)
                return;
        if (asprintf(&line, "AKIDEXAMPLE12345678 %s hello\n", secret) < 0)
                return;
        (void) auth_parse_credentials(a, line, strlen(line), "fuzz", NULL);
        (void) auth_parse_api_keys(a, "fuzz " FUZZ_KEY_SHA256 " hello\n",
                                   STRLEN("fuzz " FUZZ_KEY_SHA256 " hello\n"), "fuzz", NULL);

        r = auth_check(a, req, "hello", AUTH_RIGHT_INVOKE, NOW, &principal, &message);
        if (r == -ENOMEM)
                return;
        if (r < AUTH_OK || r > AUTH_BAD_REQUEST)
                abort();
        if (r == AUTH_OK) {
                if (!principal || message ||
                    (strcmp(principal, "AKIDEXAMPLE12345678") != 0 && strcmp(principal, "fuzz") != 0))
                        abort();
        } else if (principal || !is_log_line(message))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nl = memchr(data, '\n', size);
        _cleanup_free_ char *secret = NULL;
        const char *raw;
        size_t raw_len, consumed = 0;
        HttpRequest req;

        if (!nl)
                return 0;
        secret = strndup((const char *) data, (size_t) (nl - data));
        if (!secret)
                return 0;
        raw = (const char *) nl + 1;
        raw_len = size - (size_t) (nl - data) - 1;

        /* The secret line doubles as a path and a query string. */
        check_canonical_uri(secret);
        check_canonical_query(secret);

        http_request_init(&req, NULL);
        if (http_request_feed(&req, raw, raw_len, &consumed) == HTTP_FEED_COMPLETE) {
                check_verify(&req, any_key, secret);
                check_verify(&req, no_key, NULL);
                check_auth(&req, secret);
        } else if (req.headers_complete)
                /* Headers without the whole body: verification must still keep its contract. */
                check_verify(&req, any_key, secret);
        http_request_done(&req);
        return 0;
}
