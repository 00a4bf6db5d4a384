/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * event-queue.h: the gateway's durable queue of Event invocations. An accepted event is a file in
 * STATE/queue (written, fsync'd, renamed, directory fsync'd) before its 202 goes out, and is removed
 * only once it succeeded or its record reached its destination: at-least-once across crashes and
 * restarts. It runs like any invocation (invocation.h), at most --queue-concurrency at a time per
 * function; function errors are retried as the manager's declaration says (GetFunctionConfiguration,
 * cached for CONFIG_TTL), throttles and unavailable instances back off until the event's maximum age;
 * records go to a function (as a new queued event), a directory (one JSON file each) or STATE/failed.
 * Unreadable files go to STATE/corrupt. The file format and the schedule are queue-file.h's.
 */

#include <stdbool.h>
#include <stddef.h>

#include "gateway.h"

typedef struct EventQueue EventQueue;
typedef struct QueuedEvent QueuedEvent;

/* Opens (making them when missing) STATE/queue, STATE/failed, STATE/corrupt; loads the queued events,
 * moving unreadable ones aside; prunes STATE/failed past the retention. */
int event_queue_open(Gateway *g, EventQueue **ret);
EventQueue *event_queue_free(EventQueue *q);

/* Accepts an Event invocation: on disk when this returns 0. -EXFULL past a bound of the function,
 * -EDQUOT past a bound of the whole queue, -errno when it could not be written. */
int event_queue_accept(EventQueue *q, const char *function, const char *request_id, const char *payload,
                       size_t payload_len);

/* Events queued, running or waiting for a retry: the gateway does not exit on idle while any are. */
unsigned event_queue_size(const EventQueue *q);

/* Its invocation ended (status 0: it never finished, the gateway is exiting): retry, deliver, or
 * remove it. */
void event_queue_done(QueuedEvent *e, int status, bool function_error, const char *function_error_type,
                      const char *payload, size_t payload_len, const char *response, size_t response_len);

/* Something an event may have waited for changed (a free slot, the manager back, draining over). */
void event_queue_kick(EventQueue *q);

/* lambda-gateway --queue-list / --queue-delete=ID: on the files alone, safe beside a running gateway
 * (which skips a deleted event when its time comes; one running at that moment still finishes). */
int event_queue_list(const char *state_directory);
int event_queue_delete(const char *state_directory, const char *id);
