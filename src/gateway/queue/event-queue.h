/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * event-queue.h: the gateway's durable queue of Event invocations. An accepted event is a file in
 * STATE/queue (written, fsync'd, renamed, directory fsync'd, off the loop) before its 202 goes out, and is
 * removed only once it succeeded or its record reached its destination: at-least-once across crashes and
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

typedef struct EventAccept EventAccept;

/* An accepted event is on disk (error 0: file and directory fsync'd) or could not be written. */
typedef void (*EventAcceptDone)(int error, const char *function, const char *request_id, void *userdata);

/* Accepts an Event invocation: it is written off the loop (event-writer.h) and done() called, from
 * the loop, once it is on disk or could not be written; *ret until then. A function not known to exist
 * (no lease held on it, no configuration from the manager within the last 10 s) is first asked about:
 * done() gets -ENOENT when the manager does not know it (nothing is written); while the manager cannot
 * be asked, the event is written. Counts in the bounds at once: -EXFULL past a bound of the function,
 * -EDQUOT past a bound of the whole queue, -ENOMEM (done() is not called for these). */
int event_queue_accept(EventQueue *q, const char *function, const char *request_id, const char *payload,
                       size_t payload_len, EventAcceptDone done, void *userdata, EventAccept **ret);

/* The waiter of an accepted event left: done() is not called, the event is queued all the same once
 * written (at-least-once). */
void event_accept_forget(EventAccept *a);

/* function was changed through the control plane: what the queue knows of it is asked again before
 * its next event is accepted or run. */
void event_queue_function_changed(EventQueue *q, const char *function);

/* Events being written, queued, running or waiting for a retry: the gateway does not exit on idle while any
 * are. */
unsigned event_queue_size(const EventQueue *q);

/* Its invocation ended (status 0: it never finished, the gateway is exiting): retry, deliver, or
 * remove it. */
void event_queue_done(QueuedEvent *e, int status, bool function_error, const char *function_error_type,
                      const char *payload, size_t payload_len, const char *response, size_t response_len);

/* Something an event may have waited for changed (a free slot, the manager back, draining over). */
void event_queue_kick(EventQueue *q);
