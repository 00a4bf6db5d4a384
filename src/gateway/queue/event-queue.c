/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The queue's intake and schedule: events accepted (their function's existence checked with the manager
 * first when unknown) and written off the loop, loaded again after a restart, and started as their time
 * comes within the per-function concurrency. What happens when one ends is event-outcome.c's. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event-queue-internal.h"
#include "file-util.h"
#include "event-writer.h"
#include "invocation.h"
#include "lambda-contract.h"
#include "lease.h"
#include "list.h"
#include "log.h"
#include "manager-client.h"
#include "queue-dir.h"
#include "queue-file.h"

/* How long the gateway trusts a function's configuration from the manager. */
#define CONFIG_TTL_USEC (10 * USEC_PER_SEC)

/* An accepted event on its way to disk: counted in the bounds already, in the queue once written. */
struct EventAccept {
        EventWrite write; /* first: done() gets it back */
        QueuedEvent *event;
        EventAcceptDone done;
        void *userdata;     /* NULL with done: the waiter left */
        EventAccept *cnext; /* QueueFunction.checking */
};

/* ---- functions and their configuration ---- */

static QueueFunction *queue_function_get(EventQueue *q, const char *name)
{
        QueueFunction *f;

        for (f = q->functions; f; f = f->next)
                if (strcmp(f->name, name) == 0)
                        return f;
        f = calloc(1, sizeof(QueueFunction));
        if (!f)
                return NULL;
        f->queue = q;
        (void) snprintf(f->name, sizeof(f->name), "%s", name);
        LIST_PREPEND(q->functions, f);
        return f;
}

static void queue_function_free(EventQueue *q, QueueFunction *f)
{
        LIST_REMOVE(q->functions, f);
        sd_bus_slot_unref(f->fetch_slot);
        async_configuration_done(&f->config);
        free(f);
}

static void queue_function_gc(EventQueue *q, QueueFunction *f)
{
        if (f->n_events == 0 && !f->fetching)
                queue_function_free(q, f);
}

static bool configuration_fresh(const QueueFunction *f)
{
        return f->config_usec > 0 && now_usec(CLOCK_MONOTONIC) - f->config_usec < CONFIG_TTL_USEC;
}

/* Whether function is known to exist without asking the manager: the gateway holds a lease on an
 * instance of it, or the manager described it within CONFIG_TTL_USEC. */
static bool function_known(EventQueue *q, const QueueFunction *f)
{
        const GatewayFunction *gf = gateway_function_find(q->gateway, f->name);

        return !f->changed &&
               ((gf && function_holds_leases(gf)) || (configuration_fresh(f) && !f->config.not_found));
}

static void accept_write(EventQueue *q, EventAccept *a);
static void accept_refuse(EventAccept *a, int error);

/* The manager answered (c), or could not say (NULL): the events that waited to learn whether their
 * function exists are written, or refused when the manager does not know it. While the manager is
 * away they are written: it may well know the function once it is back, and the queue retries. */
static void checks_done(QueueFunction *f, const AsyncConfiguration *c)
{
        EventAccept *list = NULL;

        /* In the order they came (the list holds the newest first). */
        while (f->checking) {
                EventAccept *a = f->checking;

                f->checking = a->cnext;
                a->cnext = list;
                list = a;
        }
        while (list) {
                EventAccept *a = list;

                list = a->cnext;
                a->cnext = NULL;
                if (c && (c->not_found || c->throttled))
                        accept_refuse(a, c->not_found ? -ENOENT : -EUSERS);
                else
                        accept_write(f->queue, a);
        }
}

static void on_configuration(const AsyncConfiguration *c, int error, void *userdata)
{
        QueueFunction *f = userdata;
        EventQueue *q = f->queue;

        f->fetching = false;
        f->fetch_slot = sd_bus_slot_unref(f->fetch_slot);
        if (error < 0) {
                f->config_retry_usec = now_usec(CLOCK_REALTIME) +
                                       queue_throttle_delay_usec(1, q->gateway->config.retry_delay_scale);
                checks_done(f, NULL);
        } else {
                async_configuration_done(&f->config);
                f->config = *c; /* taken */
                f->config_usec = now_usec(CLOCK_MONOTONIC);
                f->changed = false;
                checks_done(f, &f->config);
        }
        event_queue_kick(q);
}

static void fetch_configuration(QueueFunction *f)
{
        Gateway *g = f->queue->gateway;
        int r;

        f->fetching = true;
        r = manager_get_configuration(g, f->name, on_configuration, f, &f->fetch_slot);
        if (r < 0) {
                f->fetching = false;
                f->config_retry_usec =
                        now_usec(CLOCK_REALTIME) + queue_throttle_delay_usec(1, g->config.retry_delay_scale);
        }
}

/* ---- events ---- */

static void update_gauge(EventQueue *q)
{
        q->gateway->metrics.events_queued = q->n_events;
}

/* Counts e in (or out of) the bounds of its function and of the queue. */
static void event_account(QueuedEvent *e, bool in)
{
        EventQueue *q = e->queue;
        QueueFunction *f = e->function;

        if (in) {
                q->n_events++;
                q->bytes += e->size;
                f->n_events++;
                f->bytes += e->size;
        } else {
                q->n_events--;
                q->bytes -= e->size;
                f->n_events--;
                f->bytes -= e->size;
        }
        update_gauge(q);
}

/* A counted event, not yet in the list. */
static QueuedEvent *event_new(EventQueue *q, const QueueRecord *r)
{
        QueueFunction *f = queue_function_get(q, r->function);
        QueuedEvent *e;

        if (!f)
                return NULL;
        e = calloc(1, sizeof(QueuedEvent));
        if (!e) {
                queue_function_gc(q, f);
                return NULL;
        }
        e->queue = q;
        e->function = f;
        memcpy(e->id, r->id, sizeof(e->id));
        e->enqueued_usec = r->enqueued_usec;
        e->due_usec = r->due_usec;
        e->attempts = r->attempts;
        e->size = r->payload_len;
        event_account(e, true);
        return e;
}

static void event_link(QueuedEvent *e)
{
        EventQueue *q = e->queue;

        if (q->events_tail) {
                q->events_tail->next = e;
                e->prev = q->events_tail;
        } else
                q->events = e;
        q->events_tail = e;
}

static int event_add(EventQueue *q, const QueueRecord *r)
{
        QueuedEvent *e = event_new(q, r);

        if (!e)
                return -ENOMEM;
        event_link(e);
        return 0;
}

/* An event that never made it to the list (its write failed). */
static void event_drop(QueuedEvent *e)
{
        QueueFunction *f = e->function;

        event_account(e, false);
        free(e);
        queue_function_gc(f->queue, f);
}

void event_remove(QueuedEvent *e, bool unlink_file)
{
        EventQueue *q = e->queue;
        QueueFunction *f = e->function;
        char name[QUEUE_EVENT_NAME_SIZE];

        if (unlink_file) {
                queue_event_file_name(e->id, name);
                if (unlinkat(q->dirs.queue_fd, name, 0) < 0 && errno != ENOENT)
                        log_warning_errno(-errno, "Failed to remove queued event %s: %m", e->id);
        }
        if (e->prev)
                e->prev->next = e->next;
        else
                q->events = e->next;
        if (e->next)
                e->next->prev = e->prev;
        else
                q->events_tail = e->prev;
        if (e->running)
                f->n_running--;
        event_drop(e);
}

int event_file_write(EventQueue *q, const QueueRecord *r)
{
        char name[QUEUE_EVENT_NAME_SIZE];
        Buf b = {};
        int k;

        k = queue_record_format(r, &b);
        if (k >= 0) {
                queue_event_file_name(r->id, name);
                k = write_atomic(q->dirs.queue_fd, name, b.data, b.len, 0600);
        }
        buf_done(&b);
        return k;
}

/* The record of a new event: due now, its age counting from now. */
static void new_record(QueueRecord *r, const char *function, const char *id, const char *payload, size_t len)
{
        *r = (QueueRecord){
                .payload = payload,
                .payload_len = len,
        };
        memcpy(r->id, id, sizeof(r->id));
        (void) snprintf(r->function, sizeof(r->function), "%s", function);
        r->enqueued_usec = r->due_usec = now_usec(CLOCK_REALTIME);
}

int event_enqueue(EventQueue *q, const char *function, const char *id, const char *payload, size_t len)
{
        QueueRecord r;
        int k;

        new_record(&r, function, id, payload, len);
        k = event_file_write(q, &r);
        if (k < 0)
                return k;
        k = event_add(q, &r);
        if (k < 0) {
                /* On disk, so not lost: the next lifetime runs it. */
                log_oom();
                return 0;
        }
        event_queue_kick(q);
        return 0;
}

int event_queue_accept(EventQueue *q, const char *function, const char *request_id, const char *payload,
                       size_t payload_len, EventAcceptDone done, void *userdata, EventAccept **ret)
{
        const GatewayConfig *c = &q->gateway->config;
        _cleanup_free_ EventAccept *a = NULL;
        QueueFunction *f;
        QueueRecord r;
        int k;

        /* Events still being written count: they are in n_events and bytes already. */
        for (f = q->functions; f; f = f->next)
                if (strcmp(f->name, function) == 0)
                        break;
        if (f && (f->n_events >= c->queue_function_max_events ||
                  f->bytes + payload_len > c->queue_function_max_bytes))
                return -EXFULL;
        if (f && function_known(q, f) && configuration_fresh(f) && f->config.throttled)
                return -EUSERS;
        if (q->n_events >= c->queue_max_events || q->bytes + payload_len > c->queue_max_bytes)
                return -EDQUOT;

        a = calloc(1, sizeof(EventAccept));
        if (!a)
                return -ENOMEM;
        new_record(&r, function, request_id, payload, payload_len);
        k = queue_record_format(&r, &a->write.data);
        if (k >= 0) {
                a->event = event_new(q, &r);
                if (!a->event)
                        k = -ENOMEM;
        }
        if (k < 0) {
                buf_done(&a->write.data);
                return k;
        }
        queue_event_file_name(r.id, a->write.name);
        a->done = done;
        a->userdata = userdata;
        f = a->event->function;

        /* As Lambda does, an event of a function that does not exist is refused (404) before it is
         * queued, not failed later. Known functions (the usual case, and every event of a burst after
         * the first) are written at once; for the others the manager is asked, once for all the events
         * that arrive meanwhile. */
        if (!function_known(q, f)) {
                if (!f->fetching)
                        fetch_configuration(f);
                if (f->fetching) {
                        a->cnext = f->checking;
                        f->checking = a;
                        *ret = TAKE_PTR(a);
                        return 0;
                }
                /* The manager cannot even be asked (no bus): as while it is away. */
        }
        event_writer_submit(q->writer, &a->write);
        *ret = TAKE_PTR(a);
        return 0;
}

static void accept_write(EventQueue *q, EventAccept *a)
{
        event_writer_submit(q->writer, &a->write);
}

/* Its function does not exist: the event was never acknowledged, it goes. */
static void accept_refuse(EventAccept *a, int error)
{
        QueuedEvent *e = a->event;
        EventQueue *q = e->queue;

        if (a->done)
                a->done(error, e->function->name, e->id, a->userdata);
        buf_done(&a->write.data);
        event_drop(e);
        free(a);
        gateway_update_timers(q->gateway);
}

void event_queue_function_changed(EventQueue *q, const char *function)
{
        for (QueueFunction *f = q ? q->functions : NULL; f; f = f->next)
                if (strcmp(f->name, function) == 0)
                        f->changed = true;
}

void event_accept_forget(EventAccept *a)
{
        a->done = NULL;
        a->userdata = NULL;
}

/* The writer is done with an accepted event: it joins the queue, or is forgotten if it could not be
 * written (its waiter says so; it was never acknowledged). */
static void on_written(EventWrite *w, void *userdata)
{
        EventAccept *a = (EventAccept *) w;
        QueuedEvent *e = a->event;
        EventQueue *q = userdata;

        buf_done(&w->data);
        q->gateway->metrics.event_commits = event_writer_commits(q->writer);
        if (a->done)
                a->done(w->error, e->function->name, e->id, a->userdata);
        else if (w->error < 0)
                log_error_errno(w->error,
                                "Failed to queue an Event invocation of '%s' (its client left): %m",
                                e->function->name);
        if (w->error < 0) {
                event_drop(e);
                gateway_update_timers(q->gateway);
        } else {
                event_link(e);
                event_queue_kick(q);
        }
        free(a);
}

unsigned event_queue_size(const EventQueue *q)
{
        return q ? q->n_events : 0;
}

/* Moves an unreadable file aside, where an operator can look at it. */
static void move_corrupt(EventQueue *q, const char *name, const char *why)
{
        log_warning("Queued event file %s is %s; moved to corrupt/ and skipped.", name, why);
        q->gateway->metrics.events_corrupt++;
        if (renameat(q->dirs.queue_fd, name, q->dirs.corrupt_fd, name) < 0) {
                log_warning_errno(-errno, "Failed to move %s aside, removing it: %m", name);
                (void) unlinkat(q->dirs.queue_fd, name, 0);
        }
}

int event_read(QueuedEvent *e, char **ret_data, QueueRecord *ret)
{
        char name[QUEUE_EVENT_NAME_SIZE];
        int r;

        r = queue_event_read(e->queue->dirs.queue_fd, e->id, ret_data, ret);
        if (r == -ENOENT)
                log_info("Queued event %s of '%s' was deleted.", e->id, e->function->name);
        else if (r == -EBADMSG) {
                queue_event_file_name(e->id, name);
                move_corrupt(e->queue, name, "not a valid queued event");
        } else if (r < 0)
                log_warning_errno(r, "Failed to read queued event %s: %m", e->id);
        return r;
}

static void event_start(QueuedEvent *e)
{
        _cleanup_free_ char *data = NULL;
        QueueRecord r;
        char *payload;
        int k;

        if (event_read(e, &data, &r) < 0)
                return event_remove(e, false);
        payload = malloc(r.payload_len + 1);
        if (!payload) {
                log_oom();
                return;
        }
        memcpy(payload, r.payload, r.payload_len);
        payload[r.payload_len] = 0;
        e->running = true;
        e->function->n_running++;
        k = invocation_run_event(e->queue->gateway, e->function->name, e->id, payload, r.payload_len, e);
        if (k < 0) {
                e->running = false;
                e->function->n_running--;
                e->due_usec = now_usec(CLOCK_REALTIME) + USEC_PER_SEC;
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        EventQueue *q = userdata;
        Gateway *g = q->gateway;
        uint64_t now = now_usec(CLOCK_REALTIME), next = UINT64_MAX;
        QueuedEvent *e, *enext;

        if (g->draining)
                return 0;
        for (e = q->events; e; e = enext) {
                QueueFunction *f = e->function;
                QueuePolicy p = { .maximum_event_age_usec = f->config.maximum_event_age_usec };

                enext = e->next;
                if (e->running)
                        continue;
                if (e->due_usec > now) {
                        next = MIN(next, e->due_usec);
                        continue;
                }
                if (f->n_running >= g->config.queue_concurrency)
                        continue; /* kicked when one of them ends */
                if (!configuration_fresh(f) || f->changed) {
                        if (f->fetching)
                                continue;
                        if (f->config_retry_usec > now) {
                                next = MIN(next, f->config_retry_usec);
                                continue;
                        }
                        fetch_configuration(f);
                        if (!f->fetching)
                                next = MIN(next, f->config_retry_usec);
                        continue;
                }
                /* Either may end other events (an invocation that fails at once can fail others
                 * waiting with it): the walk starts over, past what already runs or waits. */
                if (queue_event_expired(&p, e->enqueued_usec, now))
                        event_expire(e);
                else
                        event_start(e);
                enext = q->events;
        }
        if (next == UINT64_MAX)
                (void) sd_event_source_set_enabled(q->timer, SD_EVENT_OFF);
        else {
                (void) sd_event_source_set_time(q->timer, next);
                (void) sd_event_source_set_enabled(q->timer, SD_EVENT_ONESHOT);
        }
        gateway_update_timers(g);
        return 0;
}

void event_queue_kick(EventQueue *q)
{
        uint64_t t;

        if (!q)
                return;
        if (sd_event_source_get_enabled(q->timer, NULL) > 0 && sd_event_source_get_time(q->timer, &t) >= 0 &&
            t <= now_usec(CLOCK_REALTIME))
                return;
        (void) sd_event_source_set_time(q->timer, 0);
        (void) sd_event_source_set_enabled(q->timer, SD_EVENT_ONESHOT);
}

/* ---- start and stop ---- */

typedef struct LoadedEvents {
        EventQueue *queue;
        QueueRecord *records;
        size_t n, cap;
} LoadedEvents;

static int load_event(const char *name, const QueueRecord *rec, int error, void *userdata)
{
        LoadedEvents *l = userdata;

        if (!rec) {
                move_corrupt(l->queue, name,
                             error == -EINVAL    ? "not named ID" QUEUE_EVENT_SUFFIX
                             : error == -EBADMSG ? "not a valid queued event"
                                                 : "unreadable");
                return 0;
        }
        if (l->n == l->cap) {
                size_t cap = MAX(l->cap * 2, (size_t) 64);
                QueueRecord *records = reallocarray(l->records, cap, sizeof(QueueRecord));

                if (!records)
                        return -ENOMEM;
                l->records = records;
                l->cap = cap;
        }
        l->records[l->n] = *rec;
        l->records[l->n++].payload = NULL; /* not kept: read again when it runs */
        return 0;
}

static int compare_enqueued(const void *a, const void *b)
{
        const QueueRecord *x = a, *y = b;

        return x->enqueued_usec < y->enqueued_usec ? -1 : x->enqueued_usec > y->enqueued_usec;
}

static int load_events(EventQueue *q)
{
        LoadedEvents l = { .queue = q };
        int r;

        r = queue_dir_foreach(q->dirs.queue_fd, true, load_event, &l);
        if (r >= 0 && l.n > 0)
                qsort(l.records, l.n, sizeof(QueueRecord), compare_enqueued);
        for (size_t i = 0; r >= 0 && i < l.n; i++)
                r = event_add(q, &l.records[i]);
        free(l.records);
        if (r < 0)
                return r;
        if (l.n > 0)
                log_info("%zu queued event(s) from an earlier lifetime.", l.n);
        return 0;
}

EventQueue *event_queue_free(EventQueue *q)
{
        if (!q)
                return NULL;
        /* Events still waiting to learn whether their function exists are written as they are: the
         * gateway is exiting, and at-least-once beats a lost event. */
        for (QueueFunction *f = q->functions; f; f = f->next) {
                f->fetch_slot = sd_bus_slot_unref(f->fetch_slot);
                f->fetching = false;
                checks_done(f, NULL);
        }
        /* What it has goes to disk (and into the list, to be forgotten with the rest) first. */
        q->writer = event_writer_free(q->writer);
        while (q->events)
                event_remove(q->events, false);
        while (q->functions)
                queue_function_free(q, q->functions);
        sd_event_source_disable_unref(q->timer);
        queue_dirs_close(&q->dirs);
        free(q);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EventQueue *, event_queue_free);

int event_queue_open(Gateway *g, EventQueue **ret)
{
        _cleanup_(event_queue_freep) EventQueue *q = NULL;
        const char *dir = g->config.state_directory;
        int r;

        q = calloc(1, sizeof(EventQueue));
        if (!q)
                return log_oom();
        q->gateway = g;
        q->dirs = QUEUE_DIRS_NULL;
        r = queue_dirs_open(dir, true, &q->dirs);
        if (r < 0)
                return log_error_errno(r, "Failed to open the state directory %s: %m", dir);
        r = sd_event_add_time(g->event, &q->timer, CLOCK_REALTIME, 0, 0, on_timer, q);
        if (r < 0)
                return log_error_errno(r, "Failed to create the queue's timer: %m");
        (void) sd_event_source_set_description(q->timer, "event-queue");
        r = event_writer_new(g->event, q->dirs.queue_fd, on_written, q, &q->writer);
        if (r < 0)
                return log_error_errno(r, "Failed to start the queue's writer: %m");
        r = load_events(q);
        if (r < 0)
                return log_error_errno(r, "Failed to load the queued events from %s/queue: %m", dir);
        /* Records of failed events are kept for --failed-retention. */
        queue_dir_prune(q->dirs.failed_fd, g->config.failed_retention_usec, now_usec(CLOCK_REALTIME));
        *ret = TAKE_PTR(q);
        return 0;
}
