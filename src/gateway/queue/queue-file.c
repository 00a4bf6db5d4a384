/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json-check.h"
#include "lambda-contract.h"
#include "macro.h"
#include "queue-file.h"

/* AWS: "about 1 minute" after the first function error, "about 2 minutes" after the second. */
#define RETRY_DELAY_USEC (60 * USEC_PER_SEC)
/* Throttles back off from 1 s, doubling, to at most 5 minutes. */
#define THROTTLE_DELAY_MIN_USEC (1 * USEC_PER_SEC)
#define THROTTLE_DELAY_MAX_USEC (300 * USEC_PER_SEC)

bool queue_id_is_valid(const char *s)
{
        for (size_t i = 0; i < UUID_STRING_MAX - 1; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return s[UUID_STRING_MAX - 1] == 0;
}

int queue_record_format(const QueueRecord *r, Buf *out)
{
        int k;

        if (!queue_id_is_valid(r->id) ||
            !lambda_function_ref_is_valid(r->function, strlen(r->function), NULL))
                return -EINVAL;
        k = buf_printf(out,
                       QUEUE_FILE_MAGIC "\nid %s\nfunction %s\nenqueued %" PRIu64 "\ndue %" PRIu64
                                        "\nattempts %u\nlength %zu\n\n",
                       r->id, r->function, r->enqueued_usec, r->due_usec, r->attempts, r->payload_len);
        if (k >= 0 && r->payload_len > 0)
                k = buf_append(out, r->payload, r->payload_len);
        return k < 0 ? k : 0;
}

/* The value of line "KEY VALUE\n" at *p, NUL-terminated into value (at most size - 1 bytes). */
static int take_line(const char **p, const char *end, const char *key, char *value, size_t size)
{
        size_t klen = strlen(key);
        const char *nl;
        size_t n;

        nl = memchr(*p, '\n', (size_t) (end - *p));
        if (!nl || (size_t) (nl - *p) <= klen + 1 || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
                return -EBADMSG;
        n = (size_t) (nl - (*p + klen + 1));
        if (n >= size || memchr(*p + klen + 1, 0, n))
                return -EBADMSG;
        memcpy(value, *p + klen + 1, n);
        value[n] = 0;
        *p = nl + 1;
        return 0;
}

static int take_number(const char **p, const char *end, const char *key, uint64_t max, uint64_t *ret)
{
        char value[24];

        /* Canonical decimal only, as queue_record_format() writes it: no leading zeros. */
        if (take_line(p, end, key, value, sizeof(value)) < 0 || (value[0] == '0' && value[1]) ||
            parse_uint64(value, 0, max, ret) < 0)
                return -EBADMSG;
        return 0;
}

int queue_record_parse(const char *data, size_t len, QueueRecord *ret)
{
        const char *p = data, *end = data + len;
        QueueRecord r = {};
        uint64_t attempts, length;

        if (len < STRLEN(QUEUE_FILE_MAGIC) + 1 ||
            memcmp(p, QUEUE_FILE_MAGIC "\n", STRLEN(QUEUE_FILE_MAGIC) + 1))
                return -EBADMSG;
        p += STRLEN(QUEUE_FILE_MAGIC) + 1;
        if (take_line(&p, end, "id", r.id, sizeof(r.id)) < 0 || !queue_id_is_valid(r.id) ||
            take_line(&p, end, "function", r.function, sizeof(r.function)) < 0 ||
            !lambda_function_ref_is_valid(r.function, strlen(r.function), NULL) ||
            take_number(&p, end, "enqueued", UINT64_MAX, &r.enqueued_usec) < 0 ||
            take_number(&p, end, "due", UINT64_MAX, &r.due_usec) < 0 ||
            take_number(&p, end, "attempts", 1000, &attempts) < 0 ||
            take_number(&p, end, "length", LAMBDA_PAYLOAD_MAX, &length) < 0)
                return -EBADMSG;
        if (p >= end || *p != '\n' || (uint64_t) (end - p - 1) != length)
                return -EBADMSG;
        r.attempts = (unsigned) attempts;
        r.payload = p + 1;
        r.payload_len = (size_t) length;
        *ret = r;
        return 0;
}

static uint64_t scaled(uint64_t usec, double scale)
{
        double d = (double) usec * scale;

        return d >= 1e18 ? (uint64_t) 1e18 : (uint64_t) d;
}

uint64_t queue_retry_delay_usec(unsigned attempts, double scale)
{
        return scaled(RETRY_DELAY_USEC * (attempts >= 2 ? 2 : 1), scale);
}

uint64_t queue_throttle_delay_usec(unsigned throttles, double scale)
{
        return scaled(backoff_usec(throttles, THROTTLE_DELAY_MIN_USEC, THROTTLE_DELAY_MAX_USEC), scale);
}

bool queue_event_expired(const QueuePolicy *p, uint64_t enqueued_usec, uint64_t now_usec)
{
        return now_usec >= enqueued_usec && now_usec - enqueued_usec >= p->maximum_event_age_usec;
}

QueueVerdict queue_decide(const QueuePolicy *p, QueueResult result, unsigned attempts, unsigned throttles,
                          uint64_t enqueued_usec, uint64_t now_usec, uint64_t *ret_due)
{
        uint64_t delay;

        switch (result) {
        case QUEUE_RESULT_SUCCESS:
                return QUEUE_VERDICT_SUCCEEDED;
        case QUEUE_RESULT_FUNCTION_ERROR:
                if (attempts >= p->maximum_retry_attempts)
                        return QUEUE_VERDICT_RETRIES_EXHAUSTED;
                delay = queue_retry_delay_usec(attempts + 1, p->delay_scale);
                break;
        default:
                delay = queue_throttle_delay_usec(throttles + 1, p->delay_scale);
                break;
        }
        /* A retry that would start past the maximum age is no retry: the event is dropped now. */
        if (queue_event_expired(p, enqueued_usec, now_usec + delay))
                return QUEUE_VERDICT_AGE_EXCEEDED;
        *ret_due = now_usec + delay;
        return QUEUE_VERDICT_RETRY;
}

/* A JSON string of arbitrary bytes: what is not valid UTF-8 becomes U+FFFD. */
static int append_json_string(Buf *out, const char *p, size_t n)
{
        int r = buf_append(out, "\"", 1);

        for (size_t i = 0; i < n && r >= 0;) {
                unsigned char c = (unsigned char) p[i];
                size_t k;

                if (c == '"' || c == '\\') {
                        r = buf_printf(out, "\\%c", c);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        r = buf_printf(out, "\\u%04x", c);
                        i++;
                } else if (c < 0x80) {
                        r = buf_append(out, p + i, 1);
                        i++;
                } else if ((k = utf8_sequence_len((const unsigned char *) p + i, n - i)) > 0) {
                        r = buf_append(out, p + i, k);
                        i += k;
                } else {
                        r = buf_append_str(out, "\\ufffd");
                        i++;
                }
        }
        return r < 0 ? r : buf_append(out, "\"", 1);
}

/* A JSON value for bytes that may or may not be JSON text: as they are when they are, else a string;
 * nothing at all is null. */
static int append_payload(Buf *out, const char *p, size_t n)
{
        if (n == 0)
                return buf_append_str(out, "null");
        if (json_text_is_valid(p, n))
                return buf_append(out, p, n);
        return append_json_string(out, p, n);
}

/* An error type as it may appear unquoted in the record; anything else is reported as Unhandled. */
static const char *error_type(const char *t)
{
        size_t n = strlen(t);

        if (n == 0 || n > 64 ||
            strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
                return "Unhandled";
        return t;
}

int queue_destination_record(const QueueOutcome *o, Buf *out)
{
        time_t t = (time_t) (o->timestamp_usec / USEC_PER_SEC);
        char timestamp[64];
        struct tm tm;
        int r;

        if (!gmtime_r(&t, &tm))
                return -EINVAL;
        (void) snprintf(timestamp, sizeof(timestamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        (unsigned) (o->timestamp_usec % USEC_PER_SEC / USEC_PER_MSEC));
        /* The ids, names, ARN and condition are ours and need no escaping. */
        r = buf_printf(out,
                       "{\"version\":\"1.0\",\"timestamp\":\"%s\",\"requestContext\":{\"requestId\":\"%s\","
                       "\"functionArn\":\"%s:$LATEST\",\"condition\":\"%s\",\"approximateInvokeCount\":%u},"
                       "\"requestPayload\":",
                       timestamp, o->request_id, o->function_arn, o->condition, o->invoke_count);
        if (r >= 0)
                r = append_payload(out, o->request_payload, o->request_payload_len);
        if (r >= 0 && o->status > 0)
                r = buf_printf(
                        out,
                        ",\"responseContext\":{\"statusCode\":%d,\"executedVersion\":\"$LATEST\"%s%s%s},"
                        "\"responsePayload\":",
                        o->status, o->function_error ? ",\"functionError\":\"" : "",
                        o->function_error ? error_type(o->function_error) : "",
                        o->function_error ? "\"" : "");
        if (r >= 0 && o->status > 0)
                r = append_payload(out, o->response, o->response_len);
        if (r >= 0)
                r = buf_append_str(out, "}");
        return r < 0 ? r : 0;
}
