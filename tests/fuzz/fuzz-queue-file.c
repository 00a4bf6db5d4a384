/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the parser of the gateway's queue files (what a crash, a full disk or a stray file may leave
 * in STATE/queue), and checks that whatever it accepts formats back to the very same bytes, and that
 * the destination record of any accepted event is one JSON text. */

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "json-check.h"
#include "queue-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        QueueRecord r;
        QueueOutcome o = {
                .request_id = "00000000-0000-4000-8000-000000000000",
                .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                .condition = "RetriesExhausted",
                .invoke_count = 3,
                .status = 200,
                .function_error = "Unhandled",
                .timestamp_usec = 1700000000000000ULL,
        };
        Buf b = {};

        if (queue_record_parse((const char *) data, size, &r) < 0)
                return 0;
        if (!queue_id_is_valid(r.id) || r.payload < (const char *) data ||
            r.payload + r.payload_len != (const char *) data + size)
                abort();
        if (queue_record_format(&r, &b) < 0 || b.len != size || memcmp(b.data, data, size) != 0)
                abort();
        buf_clear(&b);
        /* The payload as both the request and the response: JSON or not, the record is JSON. */
        o.request_payload = o.response = r.payload;
        o.request_payload_len = o.response_len = r.payload_len;
        if (queue_destination_record(&o, &b) < 0 || !json_text_is_valid(b.data, b.len))
                abort();
        buf_done(&b);
        return 0;
}
