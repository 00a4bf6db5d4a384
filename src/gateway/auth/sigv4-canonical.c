/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* SigV4's restatement of a request: the canonical request (URI, query, the signed headers, the payload
 * hash) exactly as the client built it before signing, and the signing time read from X-Amz-Date or Date
 * and written back in ISO 8601. What is checked against what is sigv4.c's. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigv4-canonical.h"
#include "sigv4.h"
#include "util.h"

#define MSG_TARGET        "The request target must be a path"
#define MSG_QUERY         "The query string has a malformed percent escape"
#define MSG_HEADER_ABSENT "A header named in 'SignedHeaders' is missing from the request"

/* RFC 3986's unreserved set: what AWS's URI encoding leaves alone. */
static bool is_unreserved(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || sigv4_is_digit(c) || c == '-' ||
               c == '.' || c == '_' || c == '~';
}

static int append_encoded(Buf *out, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int r;

                if (is_unreserved(p[i]))
                        r = buf_append(out, p + i, 1);
                else
                        r = buf_printf(out, "%%%02X", (unsigned char) p[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sigv4_canonical_uri(const char *wire_path, Buf *out)
{
        /* Where each kept segment starts and ends, so ".." can drop the last one (RFC 3986 §5.2.4). */
        _cleanup_free_ size_t *starts = NULL, *ends = NULL;
        size_t n_segments = 0, max_segments = 1, len;
        const char *p;
        int r;

        if (!wire_path)
                wire_path = "";
        len = strlen(wire_path);
        for (p = wire_path; *p; p++)
                if (*p == '/')
                        max_segments++;
        starts = malloc(max_segments * sizeof(size_t));
        ends = malloc(max_segments * sizeof(size_t));
        if (!starts || !ends)
                return -ENOMEM;

        /* Empty segments go too: botocore and the JS SDK both sign "/a//b" as "/a/b". */
        for (size_t i = 0; i <= len;) {
                size_t j = i;

                while (j < len && wire_path[j] != '/')
                        j++;
                if (j - i == 2 && wire_path[i] == '.' && wire_path[i + 1] == '.') {
                        if (n_segments > 0)
                                n_segments--;
                } else if (j > i && !(j - i == 1 && wire_path[i] == '.')) {
                        starts[n_segments] = i;
                        ends[n_segments] = j;
                        n_segments++;
                }
                i = j + 1;
        }

        if (len > 0 && wire_path[0] == '/') {
                r = buf_append(out, "/", 1);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_segments; i++) {
                if (i > 0) {
                        r = buf_append(out, "/", 1);
                        if (r < 0)
                                return r;
                }
                r = append_encoded(out, wire_path + starts[i], ends[i] - starts[i]);
                if (r < 0)
                        return r;
        }
        if (n_segments > 0 && wire_path[len - 1] == '/') {
                r = buf_append(out, "/", 1);
                if (r < 0)
                        return r;
        }
        /* Even an empty request target names the root. */
        if (len == 0)
                return buf_append(out, "/", 1);
        return 0;
}

typedef struct QueryParam {
        char *name; /* both AWS-encoded */
        char *value;
} QueryParam;

static void query_params_free(QueryParam *params, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(params[i].name);
                free(params[i].value);
        }
        free(params);
}

/* Decodes n bytes of percent-encoded wire text and encodes them again the AWS way. A '+' stays a '+':
 * the SDKs encode spaces as %20, and form encoding has no place in a URI. */
static int reencode(const char *p, size_t n, char **ret)
{
        Buf b = {};
        int r;

        for (size_t i = 0; i < n; i++) {
                char c = p[i];

                if (c == '%') {
                        int hi, lo;

                        if (n - i < 3 || (hi = unhexchar(p[i + 1])) < 0 || (lo = unhexchar(p[i + 2])) < 0) {
                                buf_done(&b);
                                return -EINVAL;
                        }
                        c = (char) (hi << 4 | lo);
                        i += 2;
                }
                r = append_encoded(&b, &c, 1);
                if (r < 0) {
                        buf_done(&b);
                        return r;
                }
        }
        /* An empty value is "", never NULL. */
        if (!b.data) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        *ret = buf_steal(&b, NULL);
        return 0;
}

static int query_param_compare(const void *a, const void *b)
{
        const QueryParam *x = a, *y = b;
        int c;

        /* By name first, as separate strings: "a-b" sorts after "a", though "a-b=" sorts before "a=". */
        c = strcmp(x->name, y->name);
        if (c != 0)
                return c;
        return strcmp(x->value, y->value);
}

int sigv4_canonical_query(const char *wire_query, Buf *out)
{
        QueryParam *params = NULL;
        size_t n_params = 0, max_params = 1;
        int r = 0;

        if (!wire_query || !*wire_query)
                return 0;
        for (const char *p = wire_query; *p; p++)
                if (*p == '&')
                        max_params++;
        params = calloc(max_params, sizeof(QueryParam));
        if (!params)
                return -ENOMEM;

        for (const char *p = wire_query; *p;) {
                size_t n = strcspn(p, "&"), name_len = strcspn(p, "&=");

                /* "a&&b" holds no parameter between the '&'s; neither SDK would send it. */
                if (n > 0) {
                        r = reencode(p, MIN(name_len, n), &params[n_params].name);
                        if (r >= 0)
                                r = name_len < n ? reencode(p + name_len + 1, n - name_len - 1,
                                                            &params[n_params].value)
                                                 : reencode("", 0, &params[n_params].value);
                        n_params++;
                        if (r < 0)
                                goto finish;
                }
                p += n;
                if (*p == '&')
                        p++;
        }

        qsort(params, n_params, sizeof(QueryParam), query_param_compare);
        for (size_t i = 0; i < n_params; i++) {
                r = buf_printf(out, "%s%s=%s", i > 0 ? "&" : "", params[i].name, params[i].value);
                if (r < 0)
                        goto finish;
        }

finish:
        query_params_free(params, n_params);
        return r;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned) (y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
        int64_t era;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned) (z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *ret_d = doy - (153 * mp + 2) / 5 + 1;
        *ret_m = mp < 10 ? mp + 3 : mp - 9;
        *ret_y = (int64_t) yoe + era * 400 + (*ret_m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
        static const unsigned days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return days[m - 1];
}

static bool parse_digits(const char *p, size_t n, unsigned *ret)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!sigv4_is_digit(p[i]))
                        return false;
                v = v * 10 + (unsigned) (p[i] - '0');
        }
        *ret = v;
        return true;
}

static bool make_time(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                      uint64_t *ret)
{
        /* The clock of a client that signs before 1970 is broken, and no real one signs past 9999. */
        if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
            mi > 59 || s > 59)
                return false;
        *ret = (uint64_t) days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
        return true;
}

/* "20250102T030405Z", exactly. */
bool sigv4_parse_amz_date(const char *s, uint64_t *ret)
{
        unsigned y, mo, d, h, mi, sec;

        if (strlen(s) != SIGV4_AMZ_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
                return false;
        if (!parse_digits(s, 4, &y) || !parse_digits(s + 4, 2, &mo) || !parse_digits(s + 6, 2, &d) ||
            !parse_digits(s + 9, 2, &h) || !parse_digits(s + 11, 2, &mi) || !parse_digits(s + 13, 2, &sec))
                return false;
        return make_time(y, mo, d, h, mi, sec, ret);
}

/* The RFC 9110 IMF-fixdate "Thu, 02 Jan 2025 03:04:05 GMT", and the "-0000" zone botocore writes when it
 * signs with a Date header (email.utils.formatdate). */
bool sigv4_parse_http_date(const char *s, uint64_t *ret)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        static const char weekdays[] = "MonTueWedThuFriSatSun";
        static const char *const zones[] = { "GMT", "UTC", "+0000", "-0000" };
        unsigned y, mo = 0, d, h, mi, sec;
        bool weekday = false, zone = false;

        if (strlen(s) < STRLEN("Thu, 02 Jan 2025 03:04:05 "))
                return false;
        for (size_t i = 0; i < STRLEN(weekdays); i += 3)
                weekday = weekday || strncmp(s, weekdays + i, 3) == 0;
        for (size_t i = 0; i < STRLEN(months); i += 3)
                if (strncmp(s + 8, months + i, 3) == 0)
                        mo = (unsigned) i / 3 + 1;
        for (size_t i = 0; i < ELEMENTSOF(zones); i++)
                zone = zone || strcmp(s + 26, zones[i]) == 0;
        if (!weekday || mo == 0 || !zone || strncmp(s + 3, ", ", 2) != 0 || s[7] != ' ' || s[11] != ' ' ||
            s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ')
                return false;
        if (!parse_digits(s + 5, 2, &d) || !parse_digits(s + 12, 4, &y) || !parse_digits(s + 17, 2, &h) ||
            !parse_digits(s + 20, 2, &mi) || !parse_digits(s + 23, 2, &sec))
                return false;
        return make_time(y, mo, d, h, mi, sec, ret);
}

static void put_digits(char *out, unsigned v, size_t n)
{
        while (n > 0) {
                out[--n] = (char) ('0' + v % 10);
                v /= 10;
        }
}

/* t is at most the end of 9999 (make_time() said so), so every field fits its width. */
void sigv4_format_amz_date(uint64_t t, char out[static SIGV4_AMZ_DATE_LEN + 1])
{
        int64_t y;
        unsigned m, d, s = (unsigned) (t % 86400);

        civil_from_days((int64_t) (t / 86400), &y, &m, &d);
        put_digits(out, (unsigned) y, 4);
        put_digits(out + 4, m, 2);
        put_digits(out + 6, d, 2);
        out[8] = 'T';
        put_digits(out + 9, s / 3600, 2);
        put_digits(out + 11, s / 60 % 60, 2);
        put_digits(out + 13, s % 60, 2);
        out[15] = 'Z';
        out[16] = 0;
}

/* Appends a header value the way SigV4 signs it: without the spaces around it, inner runs of spaces
 * and tabs as one space. */
static int append_trimmed(Buf *out, const char *v)
{
        const char *p = v;
        int r;

        while (sigv4_is_space(*p))
                p++;
        while (*p) {
                size_t n = 0;

                while (p[n] && !sigv4_is_space(p[n]))
                        n++;
                r = buf_append(out, p, n);
                if (r < 0)
                        return r;
                p += n;
                while (sigv4_is_space(*p))
                        p++;
                if (*p) {
                        r = buf_append(out, " ", 1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int sigv4_build_canonical_request(const HttpRequest *req, const char *signed_headers,
                                  const char *payload_hash, Buf *out, const char **ret_message)
{
        _cleanup_free_ char *path = NULL;
        const char *target = http_request_url(req), *query;
        int r;

        /* Origin form only: the SDKs never send an absolute URI or "*" to the Invoke API. */
        if (target[0] != '/') {
                *ret_message = MSG_TARGET;
                return SIGV4_MALFORMED;
        }
        query = strchr(target, '?');
        path = strndup(target, query ? (size_t) (query - target) : strlen(target));
        if (!path)
                return -ENOMEM;

        r = buf_printf(out, "%s\n", http_request_method(req));
        if (r < 0)
                return r;
        r = sigv4_canonical_uri(path, out);
        if (r < 0)
                return r;
        r = buf_append(out, "\n", 1);
        if (r < 0)
                return r;
        r = sigv4_canonical_query(query ? query + 1 : NULL, out);
        if (r == -EINVAL) {
                *ret_message = MSG_QUERY;
                return SIGV4_MALFORMED;
        }
        if (r < 0)
                return r;
        r = buf_append(out, "\n", 1);
        if (r < 0)
                return r;

        for (const char *p = signed_headers;;) {
                size_t n = strcspn(p, ";");
                bool found = false;

                r = buf_append(out, p, n);
                if (r >= 0)
                        r = buf_append(out, ":", 1);
                if (r < 0)
                        return r;
                /* Repeated headers are signed as one, their values joined by commas in wire order. */
                for (size_t i = 0; i < req->n_headers; i++) {
                        const char *name = req->head.data + req->headers[i].name;

                        if (strlen(name) != n || strncasecmp(name, p, n) != 0)
                                continue;
                        if (found) {
                                r = buf_append(out, ",", 1);
                                if (r < 0)
                                        return r;
                        }
                        r = append_trimmed(out, req->head.data + req->headers[i].value);
                        if (r < 0)
                                return r;
                        found = true;
                }
                if (!found) {
                        *ret_message = MSG_HEADER_ABSENT;
                        return SIGV4_MISMATCH;
                }
                r = buf_append(out, "\n", 1);
                if (r < 0)
                        return r;
                if (p[n] == 0)
                        break;
                p += n + 1;
        }

        r = buf_printf(out, "\n%s\n%s", signed_headers, payload_hash);
        if (r < 0)
                return r;
        return SIGV4_OK;
}
