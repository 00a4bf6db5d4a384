/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* How an Event invocation ends: after each attempt the event is retried (its file rewritten with the
 * attempt counted), backed off on a throttle, or finished; a finished or expired event's record goes to
 * its destination (a function, a directory, or failed/) before its file is removed. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "event-queue-internal.h"
#include "file-util.h"
#include "log.h"

static const char *const condition_names[] = {
        [DESTINATION_SUCCESS] = "Success",
        [DESTINATION_RETRIES_EXHAUSTED] = "RetriesExhausted",
        [DESTINATION_EVENT_AGE_EXCEEDED] = "EventAgeExceeded",
};

static int write_record_file(int dir_fd, const char *id, const Buf *record)
{
        char name[UUID_STRING_MAX + STRLEN(".json")];

        (void) snprintf(name, sizeof(name), "%s.json", id);
        return write_atomic(dir_fd, name, record->data, record->len, 0640);
}

/* Hands the record to its destination (or failed/ when there is none for a failure). 0 when it is
 * somewhere safe and the event may go. */
static int deliver(EventQueue *q, QueuedEvent *e, const char *destination, DestinationCondition condition,
                   const Buf *record)
{
        Gateway *g = q->gateway;
        char id[UUID_STRING_MAX];
        int r = -EINVAL;

        if (destination && strncmp(destination, "function:", STRLEN("function:")) == 0) {
                uuid_generator_next(&g->ids, id);
                r = event_enqueue(q, destination + STRLEN("function:"), id, record->data, record->len);
                if (r >= 0) {
                        g->metrics.destination_deliveries[DESTINATION_KIND_FUNCTION][condition]++;
                        log_info("Event %s of '%s' (%s): record queued for '%s' as %s.", e->id,
                                 e->function->name, condition_names[condition],
                                 destination + STRLEN("function:"), id);
                        return 0;
                }
        } else if (destination && strncmp(destination, "directory:", STRLEN("directory:")) == 0) {
                _cleanup_close_ int fd =
                        open(destination + STRLEN("directory:"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                r = fd < 0 ? -errno : write_record_file(fd, e->id, record);
                if (r >= 0) {
                        g->metrics.destination_deliveries[DESTINATION_KIND_DIRECTORY][condition]++;
                        return 0;
                }
        } else if (condition == DESTINATION_SUCCESS)
                return 0;
        if (destination)
                log_error_errno(r,
                                "Failed to deliver the record of event %s of '%s' to %s (%m); keeping it "
                                "in failed/.",
                                e->id, e->function->name, destination);
        if (condition == DESTINATION_SUCCESS)
                return 0; /* a success is not kept in failed/ */

        r = write_record_file(q->dirs.failed_fd, e->id, record);
        if (r < 0)
                return log_error_errno(r, "Failed to keep the record of failed event %s of '%s': %m", e->id,
                                       e->function->name);
        g->metrics.events_failed++;
        log_warning("Event %s of '%s' failed (%s, %u attempt(s)); its record is in %s/failed/%s.json.",
                    e->id, e->function->name, condition_names[condition], e->attempts,
                    g->config.state_directory, e->id);
        return 0;
}

/* The end of the event: its record to where it belongs, then its file goes. */
static void event_finish(QueuedEvent *e, DestinationCondition condition, unsigned invoke_count,
                         const QueueOutcome *outcome_in)
{
        EventQueue *q = e->queue;
        Gateway *g = q->gateway;
        QueueFunction *f = e->function;
        const char *destination =
                condition == DESTINATION_SUCCESS ? f->config.on_success : f->config.on_failure;
        QueueOutcome o = *outcome_in;
        char arn[256];
        Buf record = {};
        int r = 0;

        if (destination || condition != DESTINATION_SUCCESS) {
                gateway_function_arn(g, f->name, arn, sizeof(arn));
                o.request_id = e->id;
                o.function_arn = arn;
                o.condition = condition_names[condition];
                o.invoke_count = invoke_count;
                o.timestamp_usec = now_usec(CLOCK_REALTIME);
                r = queue_destination_record(&o, &record);
                if (r >= 0)
                        r = deliver(q, e, destination, condition, &record);
                buf_done(&record);
        }
        if (r < 0) {
                /* Nowhere to put it yet: it stays queued and is tried again later. */
                e->due_usec = now_usec(CLOCK_REALTIME) +
                              queue_throttle_delay_usec(++e->throttles, g->config.retry_delay_scale);
                return;
        }
        event_remove(e, true);
}

void event_expire(QueuedEvent *e)
{
        _cleanup_free_ char *data = NULL;
        QueueRecord r;
        QueueOutcome o = {};

        if (event_read(e, &data, &r) < 0)
                return event_remove(e, false);
        e->queue->gateway->metrics.events_expired++;
        log_info("Event %s of '%s' is past its maximum age after %u attempt(s): dropped.", e->id,
                 e->function->name, e->attempts);
        o.request_payload = r.payload;
        o.request_payload_len = r.payload_len;
        event_finish(e, DESTINATION_EVENT_AGE_EXCEEDED, e->attempts, &o);
}

void event_queue_done(QueuedEvent *e, int status, bool function_error, const char *function_error_type,
                      const char *payload, size_t payload_len, const char *response, size_t response_len)
{
        EventQueue *q = e->queue;
        Gateway *g = q->gateway;
        QueueFunction *f = e->function;
        QueuePolicy p = {
                .maximum_retry_attempts = f->config.maximum_retry_attempts,
                .maximum_event_age_usec = f->config.maximum_event_age_usec,
                .delay_scale = g->config.retry_delay_scale,
        };
        QueueOutcome o = {
                .request_payload = payload,
                .request_payload_len = payload_len,
                .status = status,
                .function_error = function_error ? (function_error_type ?: "Unhandled") : NULL,
                .response = response,
                .response_len = response_len,
        };
        QueueResult result;
        QueueVerdict v;
        uint64_t due = 0;

        e->running = false;
        f->n_running--;
        event_queue_kick(q);
        if (status == 0)
                return; /* never finished (the gateway is exiting): it runs again */

        if (status == 200)
                result = function_error ? QUEUE_RESULT_FUNCTION_ERROR : QUEUE_RESULT_SUCCESS;
        else if (status == 429 || status == 503)
                result = QUEUE_RESULT_THROTTLED;
        else
                result = QUEUE_RESULT_FUNCTION_ERROR; /* it may have run: an attempt */
        if (result != QUEUE_RESULT_FUNCTION_ERROR)
                o.function_error = NULL;

        v = queue_decide(&p, result, e->attempts, e->throttles, e->enqueued_usec, now_usec(CLOCK_REALTIME),
                         &due);
        switch (v) {
        case QUEUE_VERDICT_RETRY:
                if (result == QUEUE_RESULT_THROTTLED) {
                        e->throttles++;
                        g->metrics.event_throttles++;
                        e->due_usec = due;
                        return;
                }
                {
                        QueueRecord r = {
                                .enqueued_usec = e->enqueued_usec,
                                .due_usec = due,
                                .attempts = e->attempts + 1,
                                .payload = payload,
                                .payload_len = payload_len,
                        };
                        char name[QUEUE_EVENT_NAME_SIZE];
                        int k;

                        memcpy(r.id, e->id, sizeof(r.id));
                        (void) snprintf(r.function, sizeof(r.function), "%s", f->name);
                        queue_event_file_name(e->id, name);
                        /* Deleted by the operator while it ran: it stays deleted. */
                        if (faccessat(q->dirs.queue_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                                return event_remove(e, false);
                        k = event_file_write(q, &r);
                        if (k < 0)
                                log_warning_errno(k, "Failed to record the retry of event %s: %m", e->id);
                }
                e->attempts++;
                e->throttles = 0;
                e->due_usec = due;
                g->metrics.event_retries++;
                log_info("Event %s of '%s' failed (attempt %u); retrying in %.1f s.", e->id, f->name,
                         e->attempts, (double) (due - now_usec(CLOCK_REALTIME)) / 1e6);
                return;
        case QUEUE_VERDICT_SUCCEEDED:
                return event_finish(e, DESTINATION_SUCCESS, e->attempts + 1, &o);
        case QUEUE_VERDICT_RETRIES_EXHAUSTED:
                return event_finish(e, DESTINATION_RETRIES_EXHAUSTED, e->attempts + 1, &o);
        case QUEUE_VERDICT_AGE_EXCEEDED:
                g->metrics.events_expired++;
                return event_finish(e, DESTINATION_EVENT_AGE_EXCEEDED,
                                    e->attempts + (result == QUEUE_RESULT_FUNCTION_ERROR), &o);
        }
}
