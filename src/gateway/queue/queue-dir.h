/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * queue-dir.h: the durable queue's directories (event-queue.h) as files: STATE/queue holds one file per
 * event, named ID.event, in queue-file.h's format; STATE/failed the records of failed events, kept for
 * a while; STATE/corrupt what could not be read. Reading the queue back at start, pruning failed/, and
 * the operator's tool (lambda-gateway --queue-list, --queue-delete). Blocking file I/O, for the start
 * and the tool; the loop's writes go through event-writer.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include "queue-file.h"

#define QUEUE_EVENT_SUFFIX    ".event"
#define QUEUE_EVENT_NAME_SIZE (UUID_STRING_MAX + sizeof(QUEUE_EVENT_SUFFIX))

typedef struct QueueDirs {
        int state_fd, queue_fd, failed_fd, corrupt_fd;
} QueueDirs;

#define QUEUE_DIRS_NULL ((QueueDirs){ -EBADF, -EBADF, -EBADF, -EBADF })

/* Opens STATE and STATE/queue (with all, STATE/failed and STATE/corrupt too), making them (0700) when
 * missing. On failure nothing stays open. */
int queue_dirs_open(const char *state_directory, bool all, QueueDirs *ret);
void queue_dirs_close(QueueDirs *d);

/* ID.event */
void queue_event_file_name(const char *id, char buf[static QUEUE_EVENT_NAME_SIZE]);

/* Reads the event file of id from queue_fd and parses it (ret->payload points into *ret_data).
 * -EBADMSG for anything but a regular file of a well-formed event of that id; -ENOENT; -errno. */
int queue_event_read(int queue_fd, const char *id, char **ret_data, QueueRecord *ret);

/* Called for each file of the queue directory, in directory order: with its event (rec->payload
 * pointing into memory that lives until the call returns; the id its name's), or rec NULL and error:
 * -EINVAL for a name that is not ID.event, -EBADMSG for a file that is not a valid event, another
 * -errno for one that cannot be read. A negative return stops the walk. */
typedef int (*queue_visit_t)(const char *name, const QueueRecord *rec, int error, void *userdata);

/* Walks the queue directory. Files whose names start with '.' (a write that never completed) are
 * removed with remove_partial, skipped otherwise. -ENOMEM, or the visitor's negative return. */
int queue_dir_foreach(int queue_fd, bool remove_partial, queue_visit_t visit, void *userdata);

/* Removes the regular files of dir_fd last modified more than retention_usec before now_usec. */
void queue_dir_prune(int dir_fd, uint64_t retention_usec, uint64_t now_usec);

/* lambda-gateway --queue-list / --queue-delete=ID: on the files alone, safe beside a running gateway
 * (which skips a deleted event when its time comes; one running at that moment still finishes). 0, or
 * a negative errno once logged. */
int event_queue_list(const char *state_directory);
int event_queue_delete(const char *state_directory, const char *id);
