/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "event-writer.h"
#include "file-util.h"
#include "macro.h"

struct EventWriter {
        int dir_fd;
        EventWriteDone done;
        void *userdata;
        sd_event_source *source;
        int efd;
        pthread_t thread;
        bool started;
        /* Under lock, shared with the thread; nothing is held across a write. */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        EventWrite *queued, *queued_tail; /* handed over, not yet taken by the thread */
        EventWrite *ended, *ended_tail;   /* written (or failed), not yet reported */
        uint64_t commits;
        bool stopping;
        uint64_t commits_reported; /* the loop's copy */
};

/* Group commit: every file of the batch written and fsync'd, then all renamed, then one directory
 * fsync for them. Returns whether the directory was fsync'd. */
static bool write_batch(int dir_fd, EventWrite *batch)
{
        char tmp[PATH_MAX];
        bool renamed = false;
        int r;

        for (EventWrite *w = batch; w; w = w->next) {
                temporary_name(w->name, tmp);
                w->error = write_temporary(dir_fd, tmp, w->data.data, w->data.len, 0600);
        }
        for (EventWrite *w = batch; w; w = w->next)
                if (w->error == 0) {
                        temporary_name(w->name, tmp);
                        w->error = rename_temporary(dir_fd, tmp, w->name);
                        renamed = renamed || w->error == 0;
                }
        if (!renamed)
                return false;
        r = fsync(dir_fd) < 0 ? -errno : 0;
        for (EventWrite *w = batch; w; w = w->next)
                if (w->error == 0)
                        w->error = r;
        return true;
}

/* The list first..last to the end of the list at head, tail. */
static void append(EventWrite **head, EventWrite **tail, EventWrite *first, EventWrite *last)
{
        if (*tail)
                (*tail)->next = first;
        else
                *head = first;
        *tail = last;
}

static void *writer_thread(void *userdata)
{
        EventWriter *wr = userdata;

        pthread_mutex_lock(&wr->lock);
        for (;;) {
                EventWrite *batch, *last;
                bool committed;

                while (!wr->queued && !wr->stopping)
                        pthread_cond_wait(&wr->cond, &wr->lock);
                if (!wr->queued)
                        break; /* stopping, and all written */
                batch = wr->queued;
                last = wr->queued_tail;
                wr->queued = wr->queued_tail = NULL;
                pthread_mutex_unlock(&wr->lock);

                committed = write_batch(wr->dir_fd, batch);

                pthread_mutex_lock(&wr->lock);
                append(&wr->ended, &wr->ended_tail, batch, last);
                wr->commits += committed;
                pthread_mutex_unlock(&wr->lock);
                /* An eventfd counter cannot overflow from this: it is read on each wakeup. */
                (void) eventfd_write(wr->efd, 1);
                pthread_mutex_lock(&wr->lock);
        }
        pthread_mutex_unlock(&wr->lock);
        return NULL;
}

/* What the thread wrote since last time, to done(). */
static void report_ended(EventWriter *wr)
{
        EventWrite *w, *next;

        pthread_mutex_lock(&wr->lock);
        w = wr->ended;
        wr->ended = wr->ended_tail = NULL;
        wr->commits_reported = wr->commits;
        pthread_mutex_unlock(&wr->lock);
        for (; w; w = next) {
                next = w->next;
                w->next = NULL;
                wr->done(w, wr->userdata);
        }
}

static int on_ended(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        EventWriter *wr = userdata;
        eventfd_t n;

        (void) eventfd_read(fd, &n);
        report_ended(wr);
        return 0;
}

void event_writer_submit(EventWriter *wr, EventWrite *w)
{
        w->next = NULL;
        w->error = 0;
        pthread_mutex_lock(&wr->lock);
        append(&wr->queued, &wr->queued_tail, w, w);
        pthread_cond_signal(&wr->cond);
        pthread_mutex_unlock(&wr->lock);
}

uint64_t event_writer_commits(const EventWriter *wr)
{
        return wr->commits_reported;
}

EventWriter *event_writer_free(EventWriter *wr)
{
        if (!wr)
                return NULL;
        if (wr->started) {
                pthread_mutex_lock(&wr->lock);
                wr->stopping = true;
                pthread_cond_signal(&wr->cond);
                pthread_mutex_unlock(&wr->lock);
                (void) pthread_join(wr->thread, NULL);
                report_ended(wr);
        }
        sd_event_source_disable_unref(wr->source);
        safe_close(wr->efd);
        pthread_cond_destroy(&wr->cond);
        pthread_mutex_destroy(&wr->lock);
        free(wr);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EventWriter *, event_writer_free);

int event_writer_new(sd_event *e, int dir_fd, EventWriteDone done, void *userdata, EventWriter **ret)
{
        _cleanup_(event_writer_freep) EventWriter *wr = NULL;
        sigset_t all, saved;
        int r;

        wr = calloc(1, sizeof(EventWriter));
        if (!wr)
                return -ENOMEM;
        wr->dir_fd = dir_fd;
        wr->done = done;
        wr->userdata = userdata;
        pthread_mutex_init(&wr->lock, NULL);
        pthread_cond_init(&wr->cond, NULL);
        wr->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wr->efd < 0)
                return -errno;
        r = sd_event_add_io(e, &wr->source, wr->efd, EPOLLIN, on_ended, wr);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(wr->source, "event-writer");
        /* Signals are the loop's (signalfd): the thread takes none. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        r = -pthread_create(&wr->thread, NULL, writer_thread, wr);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r < 0)
                return r;
        wr->started = true;
        *ret = TAKE_PTR(wr);
        return 0;
}
