/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * queue-file.h: the pure parts of the durable queue of Event invocations (event-queue.h): the format
 * of one queued event on disk, the schedule of retries (AWS's "about 1 minute, then 2" after a
 * function error; backoff for throttles until the event's maximum age), and the record that
 * destinations receive. No I/O here: parsed, unit-tested and fuzzed.
 *
 * An event file is a short text head, one "key value" per line in a fixed order, an empty line, then
 * exactly `length` bytes of payload:
 *
 *   lambdad-event 1
 *   id 0f6a...            the request id answered with the 202
 *   function NAME
 *   enqueued USEC         CLOCK_REALTIME of the 202: the event's age counts from it
 *   due USEC              CLOCK_REALTIME before which it does not run (a retry's delay)
 *   attempts N            attempts that ended in a function error so far
 *   length N
 *
 *   PAYLOAD
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lambda-contract.h"
#include "util.h"

#define QUEUE_FILE_MAGIC "lambdad-event 1"

typedef struct QueueRecord {
        char id[UUID_STRING_MAX];
        char function[LAMBDA_FUNCTION_REF_MAX + 1];
        uint64_t enqueued_usec;
        uint64_t due_usec;
        unsigned attempts;
        const char *payload; /* points into the parsed buffer */
        size_t payload_len;
} QueueRecord;

/* Appends the file's bytes for r to out. -EINVAL for a record no file may hold (a bad id or name),
 * -ENOMEM / -ENOBUFS from out. */
int queue_record_format(const QueueRecord *r, Buf *out);

/* Parses a whole file. -EBADMSG for anything but a well-formed one (garbage, a truncated payload,
 * trailing bytes, an invalid id or function name). ret->payload points into data. */
int queue_record_parse(const char *data, size_t len, QueueRecord *ret);

/* Whether s is a request id as the gateway makes them (8-4-4-4-12 lower-case hex): the file names. */
bool queue_id_is_valid(const char *s);

typedef enum QueueResult {
        QUEUE_RESULT_SUCCESS,
        QUEUE_RESULT_FUNCTION_ERROR, /* counts as an attempt */
        QUEUE_RESULT_THROTTLED,      /* 429 or 503: retried until the maximum age, not an attempt */
} QueueResult;

typedef enum QueueVerdict {
        QUEUE_VERDICT_SUCCEEDED, /* to on_success, then removed */
        QUEUE_VERDICT_RETRY,     /* runs again at *ret_due */
        QUEUE_VERDICT_RETRIES_EXHAUSTED,
        QUEUE_VERDICT_AGE_EXCEEDED,
} QueueVerdict;

typedef struct QueuePolicy {
        unsigned maximum_retry_attempts;
        uint64_t maximum_event_age_usec;
        double delay_scale; /* --retry-delay-scale: 1 is AWS's timing */
} QueuePolicy;

/* The delay before the retry that follows the attempts-th function error (1: about a minute, 2: about
 * two), and the backoff after the throttles-th throttle in a row (1 s doubling up to 5 minutes), both
 * scaled. */
uint64_t queue_retry_delay_usec(unsigned attempts, double scale);
uint64_t queue_throttle_delay_usec(unsigned throttles, double scale);

/* What becomes of an event after an attempt with this result. attempts is the count before this
 * attempt; throttles the throttles in a row before it. */
QueueVerdict queue_decide(const QueuePolicy *p, QueueResult result, unsigned attempts, unsigned throttles,
                          uint64_t enqueued_usec, uint64_t now_usec, uint64_t *ret_due);

/* Whether an event enqueued then is past its maximum age now (checked before each attempt). */
bool queue_event_expired(const QueuePolicy *p, uint64_t enqueued_usec, uint64_t now_usec);

typedef struct QueueOutcome {
        const char *request_id;
        const char *function_arn;
        const char *condition; /* "Success", "RetriesExhausted", "EventAgeExceeded" */
        unsigned invoke_count;
        const char *request_payload; /* JSON text, or empty */
        size_t request_payload_len;
        int status;                 /* 0: never answered (the age ran out before any attempt) */
        const char *function_error; /* NULL: none */
        const char *response;       /* what the function answered, JSON or not */
        size_t response_len;
        uint64_t timestamp_usec; /* CLOCK_REALTIME */
} QueueOutcome;

/* Appends AWS's destination record (version 1.0) for o to out, as one JSON object. */
int queue_destination_record(const QueueOutcome *o, Buf *out);
