/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "event-stream.h"

#define PRELUDE_SIZE  12U /* total length, headers length, prelude CRC */
#define TRAILER_SIZE  4U  /* message CRC */
#define HEADER_STRING 7

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
        static uint32_t table[256];
        const uint8_t *s = p;

        if (table[1] == 0)
                for (uint32_t i = 0; i < 256; i++) {
                        uint32_t c = i;

                        for (int k = 0; k < 8; k++)
                                c = c & 1 ? 0xedb88320U ^ (c >> 1) : c >> 1;
                        table[i] = c;
                }
        crc = ~crc;
        while (n-- > 0)
                crc = table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
        return ~crc;
}

static size_t headers_size(const EventStreamHeader *headers, size_t n_headers)
{
        size_t size = 0;

        for (size_t i = 0; i < n_headers; i++) {
                size_t name = strlen(headers[i].name), value = strlen(headers[i].value);

                if (name == 0 || name > EVENT_STREAM_NAME_MAX || value > EVENT_STREAM_VALUE_MAX)
                        return SIZE_MAX;
                size += 1 + name + 1 + 2 + value;
        }
        return size;
}

size_t event_stream_size(const EventStreamHeader *headers, size_t n_headers, size_t n)
{
        size_t h = headers_size(headers, n_headers);

        if (h > EVENT_STREAM_HEADERS_MAX || n > EVENT_STREAM_MESSAGE_MAX ||
            PRELUDE_SIZE + h + n + TRAILER_SIZE > EVENT_STREAM_MESSAGE_MAX)
                return 0;
        return PRELUDE_SIZE + h + n + TRAILER_SIZE;
}

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

int event_stream_append(Buf *b, const EventStreamHeader *headers, size_t n_headers, const void *payload,
                        size_t n)
{
        size_t total = event_stream_size(headers, n_headers, n), start = b->len;
        uint8_t prelude[PRELUDE_SIZE], crc[TRAILER_SIZE];
        int r;

        if (total == 0)
                return -EINVAL;
        put_be32(prelude, (uint32_t) total);
        put_be32(prelude + 4, (uint32_t) (total - PRELUDE_SIZE - n - TRAILER_SIZE));
        put_be32(prelude + 8, crc32_update(0, prelude, 8));
        r = buf_append(b, prelude, sizeof(prelude));
        for (size_t i = 0; r >= 0 && i < n_headers; i++) {
                size_t name = strlen(headers[i].name), value = strlen(headers[i].value);
                uint8_t head[1] = { (uint8_t) name },
                        type[3] = { HEADER_STRING, (uint8_t) (value >> 8), (uint8_t) value };

                r = buf_append(b, head, sizeof(head));
                if (r >= 0)
                        r = buf_append(b, headers[i].name, name);
                if (r >= 0)
                        r = buf_append(b, type, sizeof(type));
                if (r >= 0)
                        r = buf_append(b, headers[i].value, value);
        }
        if (r >= 0 && n > 0)
                r = buf_append(b, payload, n);
        if (r >= 0) {
                put_be32(crc, crc32_update(0, b->data + start, b->len - start));
                r = buf_append(b, crc, sizeof(crc));
        }
        if (r < 0)
                b->len = start; /* nothing of a message that did not fit */
        return r;
}

static const EventStreamHeader chunk_headers[] = {
        { ":event-type", "PayloadChunk" },
        { ":content-type", "application/octet-stream" },
        { ":message-type", "event" },
};

size_t lambda_payload_chunk_size(size_t n)
{
        return event_stream_size(chunk_headers, ELEMENTSOF(chunk_headers), n);
}

int lambda_payload_chunk_append(Buf *b, const void *p, size_t n)
{
        return event_stream_append(b, chunk_headers, ELEMENTSOF(chunk_headers), p, n);
}

int lambda_invoke_complete_append(Buf *b, const char *error_code, const char *error_details,
                                  const char *log_result)
{
        static const EventStreamHeader headers[] = {
                { ":event-type", "InvokeComplete" },
                { ":content-type", "application/json" },
                { ":message-type", "event" },
        };
        json_object *o = json_object_new_object();
        const char *text;
        int r = -ENOMEM;

        if (!o)
                return -ENOMEM;
        if ((error_code && json_object_object_add(o, "ErrorCode", json_object_new_string(error_code)) < 0) ||
            (error_details &&
             json_object_object_add(o, "ErrorDetails", json_object_new_string(error_details)) < 0) ||
            (log_result && json_object_object_add(o, "LogResult", json_object_new_string(log_result)) < 0))
                goto out;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text)
                r = event_stream_append(b, headers, ELEMENTSOF(headers), text, strlen(text));
out:
        json_object_put(o);
        return r;
}
