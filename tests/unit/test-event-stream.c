/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * event-stream.c: CRC32 against its check value, and byte-exact messages. The expected bytes below
 * are what botocore's own decoder (botocore.eventstream.EventStreamBuffer, which checks both CRCs)
 * reads back as a PayloadChunk of "hi" and an InvokeComplete with ErrorCode "Unhandled" and
 * ErrorDetails {"e":1}; the AWS SDKs read the gateway's streams in test-streaming. Also the limits:
 * empty or long header names, long values, oversized payloads are refused and leave nothing behind.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event-stream.h"

static const char expected_hex[] =
        "0000006c0000005ab25efdcf0b3a6576656e742d7479706507000c5061796c6f61644368756e6b0d3a636f6e74656e"
        "742d747970650700186170706c69636174696f6e2f6f637465742d73747265616d0d3a6d6573736167652d7479706507"
        "00056576656e7468691162e4690000009800000054e85226550b3a6576656e742d7479706507000e496e766f6b65436f"
        "6d706c6574650d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d657373616765"
        "2d747970650700056576656e747b224572726f72436f6465223a22556e68616e646c6564222c224572726f7244657461"
        "696c73223a227b5c22655c223a317d227d9177ef54";

static void test_crc32(void **state)
{
        assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926U);
        assert_int_equal(crc32_update(0, "", 0), 0);
        /* In pieces as in one. */
        assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926U);
}

static void test_messages(void **state)
{
        char hex[sizeof(expected_hex)];
        Buf b = {};

        assert_int_equal(lambda_payload_chunk_append(&b, "hi", 2), 0);
        assert_int_equal(b.len, lambda_payload_chunk_size(2));
        assert_int_equal(lambda_invoke_complete_append(&b, "Unhandled", "{\"e\":1}", NULL), 0);
        assert_int_equal(b.len * 2 + 1, sizeof(expected_hex));
        for (size_t i = 0; i < b.len; i++)
                (void) snprintf(hex + 2 * i, 3, "%02x", (unsigned char) b.data[i]);
        assert_string_equal(hex, expected_hex);
        buf_done(&b);

        /* No error, no log: an empty object. */
        assert_int_equal(lambda_invoke_complete_append(&b, NULL, NULL, NULL), 0);
        assert_memory_equal(b.data + b.len - 6, "{}", 2);
        buf_done(&b);
}

static void test_limits(void **state)
{
        char name[300], *value = malloc(EVENT_STREAM_VALUE_MAX + 2);
        EventStreamHeader h[1] = { { "", "v" } };
        Buf b = {};

        assert_non_null(value);
        assert_int_equal(event_stream_append(&b, h, 1, "p", 1), -EINVAL);
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        h[0].name = name;
        assert_int_equal(event_stream_append(&b, h, 1, "p", 1), -EINVAL);
        name[EVENT_STREAM_NAME_MAX] = '\0';
        assert_int_equal(event_stream_append(&b, h, 1, "p", 1), 0);
        assert_int_equal(b.len, event_stream_size(h, 1, 1));
        buf_clear(&b);

        memset(value, 'v', EVENT_STREAM_VALUE_MAX + 1);
        value[EVENT_STREAM_VALUE_MAX + 1] = '\0';
        h[0] = (EventStreamHeader){ "n", value };
        assert_int_equal(event_stream_size(h, 1, 0), 0);
        assert_int_equal(event_stream_append(&b, h, 1, NULL, 0), -EINVAL);
        assert_int_equal(b.len, 0);

        assert_int_equal(lambda_payload_chunk_size(EVENT_STREAM_MESSAGE_MAX), 0);
        /* A buffer that cannot take the whole message keeps none of it. */
        buf_done(&b);
        b = BUF_INIT_MAX(20);
        assert_int_equal(lambda_payload_chunk_append(&b, "hi", 2), -ENOBUFS);
        assert_int_equal(b.len, 0);
        buf_done(&b);
        free(value);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32),
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
