/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The queue's pure parts (queue-file.h): the event file format, the retry and backoff schedule, the
 * verdict after each attempt, and the destination record. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "queue-file.h"

#define ID "0f6a0000-0000-4000-8000-000000000001"
#define S  USEC_PER_SEC

static void test_round_trip(void **state)
{
        QueueRecord r = { .id = ID,
                          .function = "hello",
                          .enqueued_usec = 1700000000000000ULL,
                          .due_usec = 1700000060000000ULL,
                          .attempts = 1,
                          .payload = "{\"a\":1}",
                          .payload_len = 7 };
        QueueRecord p;
        Buf b = {};

        assert_int_equal(queue_record_format(&r, &b), 0);
        assert_string_equal(b.data, "lambdad-event 1\nid " ID "\nfunction hello\nenqueued 1700000000000000\n"
                                    "due 1700000060000000\nattempts 1\nlength 7\n\n{\"a\":1}");
        assert_int_equal(queue_record_parse(b.data, b.len, &p), 0);
        assert_string_equal(p.id, ID);
        assert_string_equal(p.function, "hello");
        assert_true(p.enqueued_usec == r.enqueued_usec && p.due_usec == r.due_usec);
        assert_int_equal(p.attempts, 1);
        assert_int_equal(p.payload_len, 7);
        assert_memory_equal(p.payload, "{\"a\":1}", 7);

        /* Every cut of a valid file is refused: a truncated write never passes. */
        for (size_t n = 0; n < b.len; n++)
                assert_int_equal(queue_record_parse(b.data, n, &p), -EBADMSG);
        buf_done(&b);

        /* What no file may hold. */
        r.function[0] = 0;
        assert_int_equal(queue_record_format(&r, &b), -EINVAL);
        (void) snprintf(r.function, sizeof(r.function), "ok");
        (void) snprintf(r.id, sizeof(r.id), "../x");
        assert_int_equal(queue_record_format(&r, &b), -EINVAL);
        buf_done(&b);
}

static void expect_bad(const char *s)
{
        QueueRecord p;

        assert_int_equal(queue_record_parse(s, strlen(s), &p), -EBADMSG);
}

static void test_bad_files(void **state)
{
        expect_bad("");
        expect_bad("garbage");
        expect_bad("lambdad-event 2\nid " ID "\nfunction f\nenqueued 1\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nid " ID "\nfunction f\nenqueued 1\ndue 1\nattempts 0\nlength 1\n\n{}");
        expect_bad("lambdad-event 1\nid " ID "\nfunction f\nenqueued 01\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nid " ID "\nfunction f\nenqueued -1\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nid " ID "\nfunction a/b\nenqueued 1\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nid " ID "X\nfunction f\nenqueued 1\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nfunction f\nid " ID "\nenqueued 1\ndue 1\nattempts 0\nlength 0\n\n");
        expect_bad("lambdad-event 1\nid " ID "\nfunction f\nenqueued 1\ndue 1\nattempts 0\nlength 0\n");
        assert_true(queue_id_is_valid(ID));
        assert_false(queue_id_is_valid("0F6A0000-0000-4000-8000-000000000001"));
        assert_false(queue_id_is_valid(ID "0"));
        assert_false(queue_id_is_valid(""));
}

static void test_schedule(void **state)
{
        /* AWS: about a minute, then about two; scaled for tests. */
        assert_true(queue_retry_delay_usec(1, 1) == 60 * S);
        assert_true(queue_retry_delay_usec(2, 1) == 120 * S);
        assert_true(queue_retry_delay_usec(2, 0.01) == 1200000);
        /* Throttles: 1 s doubling, at most 5 minutes. */
        assert_true(queue_throttle_delay_usec(1, 1) == 1 * S);
        assert_true(queue_throttle_delay_usec(2, 1) == 2 * S);
        assert_true(queue_throttle_delay_usec(9, 1) == 256 * S);
        assert_true(queue_throttle_delay_usec(10, 1) == 300 * S);
        assert_true(queue_throttle_delay_usec(1000, 1) == 300 * S);
}

static void test_decide(void **state)
{
        QueuePolicy p = { .maximum_retry_attempts = 2,
                          .maximum_event_age_usec = 21600 * S,
                          .delay_scale = 1 };
        uint64_t t0 = 1000 * S, due = 0;

        assert_int_equal(queue_decide(&p, QUEUE_RESULT_SUCCESS, 0, 0, t0, t0, &due),
                         QUEUE_VERDICT_SUCCEEDED);
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_FUNCTION_ERROR, 0, 0, t0, t0, &due),
                         QUEUE_VERDICT_RETRY);
        assert_true(due == t0 + 60 * S);
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_FUNCTION_ERROR, 1, 0, t0, t0 + 61 * S, &due),
                         QUEUE_VERDICT_RETRY);
        assert_true(due == t0 + 181 * S);
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_FUNCTION_ERROR, 2, 0, t0, t0, &due),
                         QUEUE_VERDICT_RETRIES_EXHAUSTED);
        p.maximum_retry_attempts = 0;
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_FUNCTION_ERROR, 0, 0, t0, t0, &due),
                         QUEUE_VERDICT_RETRIES_EXHAUSTED);

        /* Throttles do not count: retried whatever the attempts, until the age. */
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_THROTTLED, 0, 3, t0, t0, &due), QUEUE_VERDICT_RETRY);
        assert_true(due == t0 + 8 * S);
        p.maximum_event_age_usec = 60 * S;
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_THROTTLED, 0, 8, t0, t0 + 50 * S, &due),
                         QUEUE_VERDICT_AGE_EXCEEDED);
        /* A retry that would start past the age is not made. */
        p.maximum_retry_attempts = 2;
        assert_int_equal(queue_decide(&p, QUEUE_RESULT_FUNCTION_ERROR, 0, 0, t0, t0 + 1 * S, &due),
                         QUEUE_VERDICT_AGE_EXCEEDED);
        assert_false(queue_event_expired(&p, t0, t0 + 59 * S));
        assert_true(queue_event_expired(&p, t0, t0 + 60 * S));
        /* A clock that went back does not expire anything. */
        assert_false(queue_event_expired(&p, t0, t0 - 5 * S));
}

static json_object *record(const QueueOutcome *o)
{
        Buf b = {};
        json_object *j;

        assert_int_equal(queue_destination_record(o, &b), 0);
        j = json_tokener_parse(b.data);
        assert_non_null(j);
        buf_done(&b);
        return j;
}

static const char *get(json_object *j, const char *path)
{
        char key[64];
        const char *dot;

        while ((dot = strchr(path, '.'))) {
                (void) snprintf(key, sizeof(key), "%.*s", (int) (dot - path), path);
                assert_true(json_object_object_get_ex(j, key, &j));
                path = dot + 1;
        }
        assert_true(json_object_object_get_ex(j, path, &j));
        return json_object_get_string(j);
}

static void test_record(void **state)
{
        QueueOutcome o = {
                .request_id = ID,
                .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                .condition = "RetriesExhausted",
                .invoke_count = 3,
                .request_payload = "{\"a\":1}",
                .request_payload_len = 7,
                .status = 200,
                .function_error = "Unhandled",
                .response = "{\"errorType\":\"HandlerError\"}",
                .response_len = 28,
                .timestamp_usec = 1700000000123456ULL,
        };
        json_object *j = record(&o);

        assert_string_equal(get(j, "version"), "1.0");
        assert_string_equal(get(j, "timestamp"), "2023-11-14T22:13:20.123Z");
        assert_string_equal(get(j, "requestContext.requestId"), ID);
        assert_string_equal(get(j, "requestContext.functionArn"),
                            "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST");
        assert_string_equal(get(j, "requestContext.condition"), "RetriesExhausted");
        assert_string_equal(get(j, "requestContext.approximateInvokeCount"), "3");
        assert_string_equal(get(j, "requestPayload.a"), "1");
        assert_string_equal(get(j, "responseContext.statusCode"), "200");
        assert_string_equal(get(j, "responseContext.executedVersion"), "$LATEST");
        assert_string_equal(get(j, "responseContext.functionError"), "Unhandled");
        assert_string_equal(get(j, "responsePayload.errorType"), "HandlerError");
        json_object_put(j);

        /* A response that is not JSON is a string; a hostile error type is not copied. */
        o.response = "Task timed out \"\n\xff";
        o.response_len = strlen(o.response);
        o.function_error = "x\",\"y";
        j = record(&o);
        assert_string_equal(get(j, "responsePayload"), "Task timed out \"\n\xef\xbf\xbd");
        assert_string_equal(get(j, "responseContext.functionError"), "Unhandled");
        json_object_put(j);

        /* Never invoked (dropped for age): no responseContext; no payload: null. */
        o.status = 0;
        o.request_payload_len = 0;
        j = record(&o);
        assert_false(json_object_object_get_ex(j, "responseContext", NULL));
        assert_false(json_object_object_get_ex(j, "responsePayload", NULL));
        assert_true(json_object_object_get_ex(j, "requestPayload", NULL));
        json_object_put(j);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip), cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_schedule),   cmocka_unit_test(test_decide),
                cmocka_unit_test(test_record),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
