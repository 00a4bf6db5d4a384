/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * event-queue-internal.h: the event queue's state, shared by its two halves: event-queue.c takes events
 * in, keeps them on disk and schedules them; event-outcome.c decides, when an invocation ends, whether its
 * event is retried or finished and hands its record to its destination. Not for use outside them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event-queue.h"
#include "event-writer.h"
#include "lambda-contract.h"
#include "manager-client.h"
#include "queue-dir.h"
#include "queue-file.h"

typedef struct QueueFunction QueueFunction;

struct QueuedEvent {
        EventQueue *queue;
        QueueFunction *function;
        char id[UUID_STRING_MAX];
        uint64_t enqueued_usec, due_usec; /* CLOCK_REALTIME */
        unsigned attempts;                /* that ended in a function error */
        unsigned throttles;               /* in a row, for the backoff */
        size_t size;
        bool running;
        QueuedEvent *prev, *next;
};

struct QueueFunction {
        EventQueue *queue;
        char name[LAMBDA_FUNCTION_REF_MAX + 1];
        unsigned n_events, n_running;
        uint64_t bytes;
        /* From GetFunctionConfiguration, fetched before it runs and trusted for CONFIG_TTL_USEC. */
        AsyncConfiguration config;
        uint64_t config_usec;       /* CLOCK_MONOTONIC of the answer; 0: none yet */
        uint64_t config_retry_usec; /* CLOCK_REALTIME: the manager did not answer; not before this */
        bool fetching;
        bool changed; /* changed through the control plane since: ask again before the next event */
        sd_bus_slot *fetch_slot;
        EventAccept *checking; /* accepted events waiting for the answer to learn whether it exists */
        QueueFunction *prev, *next;
};

struct EventQueue {
        Gateway *gateway;
        QueueDirs dirs;
        QueuedEvent *events, *events_tail; /* oldest first */
        unsigned n_events;
        uint64_t bytes;
        QueueFunction *functions;
        sd_event_source *timer;
        EventWriter *writer;
};

/* Forgets the event; its file goes too unless it is already gone (or moved aside). */
void event_remove(QueuedEvent *e, bool unlink_file);
/* The event's file, read again when its time comes: memory holds only what schedules it. */
int event_read(QueuedEvent *e, char **ret_data, QueueRecord *ret);
/* Writes r as its event's file (atomically, blocking). */
int event_file_write(EventQueue *q, const QueueRecord *r);
/* A new event on disk now, blocking on it: for records, whose event goes only once this returned. */
int event_enqueue(EventQueue *q, const char *function, const char *id, const char *payload, size_t len);

/* Dropped for age before another attempt (event-outcome.c). */
void event_expire(QueuedEvent *e);
