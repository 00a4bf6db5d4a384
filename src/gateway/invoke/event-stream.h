/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * event-stream.h: the AWS event stream encoding (application/vnd.amazon.eventstream) that
 * InvokeWithResponseStream answers in, and its two Lambda events. A message is a prelude (total
 * length, headers length, both big-endian 32-bit, and the CRC32 of those 8 bytes), the headers (name
 * length byte, name, value type 7 = string, 16-bit value length, value), the payload, and the CRC32
 * of everything before it. Pure: it only appends bytes to a buffer.
 */

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Header names and values longer than these are refused (-EINVAL). */
#define EVENT_STREAM_NAME_MAX  255U
#define EVENT_STREAM_VALUE_MAX 32767U
/* What AWS's decoders take at most: a message of 16 MiB, headers of 128 KiB. */
#define EVENT_STREAM_MESSAGE_MAX (16U * 1024 * 1024)
#define EVENT_STREAM_HEADERS_MAX (128U * 1024)

typedef struct EventStreamHeader {
        const char *name;
        const char *value; /* a string value (type 7) */
} EventStreamHeader;

/* The IEEE 802.3 CRC32 (as zlib's crc32()): start from 0, feed any number of pieces. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

/* The encoded size of a message with these headers and a payload of n bytes; 0 when it would be
 * refused. */
size_t event_stream_size(const EventStreamHeader *headers, size_t n_headers, size_t n);
/* Appends one message. -EINVAL for a header that cannot be encoded or a message past the limits;
 * buf_append()'s errors. */
int event_stream_append(Buf *b, const EventStreamHeader *headers, size_t n_headers, const void *payload,
                        size_t n);

/* Lambda's events, with :message-type event. PayloadChunk carries the function's bytes as they are
 * (application/octet-stream); InvokeComplete a JSON object of the fields given (NULL: left out). */
size_t lambda_payload_chunk_size(size_t n);
int lambda_payload_chunk_append(Buf *b, const void *p, size_t n);
int lambda_invoke_complete_append(Buf *b, const char *error_code, const char *error_details,
                                  const char *log_result);
