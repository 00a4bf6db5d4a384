/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * event-writer.h: the durable writes of the event queue's accept path, off the event loop. One thread
 * writes and fsyncs each file it is handed as a temporary, renames all it took at once and fsyncs the
 * directory once for them (group commit), then reports them back to the loop through an eventfd: the
 * loop never waits for the disk.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "buf.h"

typedef struct EventWriter EventWriter;
typedef struct EventWrite EventWrite;

/* One file to write, owned by the caller (who may embed it) until it comes back to done(). */
struct EventWrite {
        char name[64]; /* in the writer's directory; the temporary is ".NAME.tmp" */
        Buf data;
        int error; /* set when it comes back: 0, it is on disk and the directory fsync'd */
        EventWrite *next;
};

/* Called on the loop for each write that ended, in the order they were handed over. */
typedef void (*EventWriteDone)(EventWrite *w, void *userdata);

/* Writes into dir_fd (not taken; it must outlive the writer). */
int event_writer_new(sd_event *e, int dir_fd, EventWriteDone done, void *userdata, EventWriter **ret);

/* Waits for the thread to write what it was handed, reports it to done(), joins it. */
EventWriter *event_writer_free(EventWriter *w);

/* Hands w over: done() is called for it later, from the loop, never from here. */
void event_writer_submit(EventWriter *wr, EventWrite *w);

/* Directory fsyncs so far (each commits a group of files), as of the writes reported. */
uint64_t event_writer_commits(const EventWriter *wr);
