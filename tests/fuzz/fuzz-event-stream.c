/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The event-stream encoder against a decoder written here from the format's description: any
 * headers and payload the encoder takes come back out of the bytes it wrote (lengths, both CRCs,
 * header names, types and values, payload), and InvokeComplete's JSON payload gives back the strings
 * it was given. The input: the first byte is the number of headers (mod 5), then NUL-separated
 * strings (name, value, ...), the rest is the payload; its first three strings also feed
 * InvokeComplete.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event-stream.h"
#include "fuzz.h"

#define CHECK(x)                 \
        do {                     \
                if (!(x))        \
                        abort(); \
        } while (0)

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* Decodes the message at p (n bytes, exactly one message); checks it against what was encoded. */
static void decode(const uint8_t *p, size_t n, const EventStreamHeader *headers, size_t n_headers,
                   const void *payload, size_t payload_len)
{
        uint32_t total, hlen;
        const uint8_t *h, *end;

        CHECK(n >= 16);
        total = be32(p);
        hlen = be32(p + 4);
        CHECK(total == n);
        CHECK(be32(p + 8) == crc32_update(0, p, 8));
        CHECK(be32(p + n - 4) == crc32_update(0, p, n - 4));
        CHECK((size_t) 12 + hlen + 4 <= n);
        h = p + 12;
        end = h + hlen;
        for (size_t i = 0; i < n_headers; i++) {
                size_t name_len, value_len;

                CHECK(h < end);
                name_len = *h++;
                CHECK(name_len == strlen(headers[i].name) && memcmp(h, headers[i].name, name_len) == 0);
                h += name_len;
                CHECK(*h++ == 7);
                value_len = (size_t) h[0] << 8 | h[1];
                h += 2;
                CHECK(value_len == strlen(headers[i].value) && memcmp(h, headers[i].value, value_len) == 0);
                h += value_len;
        }
        CHECK(h == end);
        CHECK(n - 12 - hlen - 4 == payload_len);
        CHECK(payload_len == 0 || memcmp(end, payload, payload_len) == 0);
}

static void check_complete(const char *code, const char *details, const char *log)
{
        const char *want[] = { code, details, log }, *keys[] = { "ErrorCode", "ErrorDetails", "LogResult" };
        Buf b = {};
        uint32_t hlen;
        json_object *o, *v;

        if (lambda_invoke_complete_append(&b, code, details, log) < 0) {
                buf_done(&b);
                return;
        }
        hlen = be32((const uint8_t *) b.data + 4);
        /* The payload alone (the message CRC follows it). */
        b.data[b.len - 4] = '\0';
        o = json_tokener_parse(b.data + 12 + hlen);
        CHECK(o);
        for (size_t i = 0; i < 3; i++)
                CHECK(json_object_object_get_ex(o, keys[i], &v) == !!want[i] &&
                      (!want[i] || strcmp(json_object_get_string(v), want[i]) == 0));
        json_object_put(o);
        buf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        EventStreamHeader headers[4];
        char *copy, *s, *strings[8];
        size_t n_headers, n_strings = 0, rest;
        Buf b = {};

        if (size < 1)
                return 0;
        n_headers = data[0] % 5;
        copy = malloc(size);
        CHECK(copy);
        memcpy(copy, data + 1, size - 1);
        copy[size - 1] = '\0';
        s = copy;
        rest = size - 1;
        while (n_strings < 2 * n_headers && n_strings < 8) {
                char *nul = memchr(s, '\0', rest);

                if (!nul || nul == copy + size - 1)
                        break;
                strings[n_strings++] = s;
                rest -= (size_t) (nul - s) + 1;
                s = nul + 1;
        }
        n_headers = n_strings / 2;
        for (size_t i = 0; i < n_headers; i++)
                headers[i] = (EventStreamHeader){ strings[2 * i], strings[2 * i + 1] };

        if (event_stream_append(&b, headers, n_headers, s, rest) >= 0) {
                CHECK(b.len == event_stream_size(headers, n_headers, rest));
                decode((const uint8_t *) b.data, b.len, headers, n_headers, s, rest);
        } else
                CHECK(b.len == 0 && event_stream_size(headers, n_headers, rest) == 0);
        buf_done(&b);

        check_complete(n_strings > 0 ? strings[0] : NULL, n_strings > 1 ? strings[1] : NULL, s);
        free(copy);
        return 0;
}
