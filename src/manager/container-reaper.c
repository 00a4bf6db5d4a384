/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-reaper.h"
#include "docker-json.h"
#include "list.h"
#include "log.h"
#include "util.h"

/* An engine that cannot remove a container now may for a while: ask again this often. */
#define REAPER_RETRY_USEC (5 * USEC_PER_SEC)

struct Reaping {
        Manager *manager;
        char *id;
        DockerCall *call;
        bool failed; /* logged once: the retries stay quiet until it is gone */
        reaper_done_t done;
        void *userdata;
        Reaping *prev, *next;
};

static Reaping *reaping_free(Reaping *r)
{
        Manager *m;

        if (!r)
                return NULL;
        m = r->manager;
        LIST_REMOVE(m->reapings, r);
        m->n_reapings--;
        docker_call_cancel(r->call);
        free(r->id);
        free(r);
        return NULL;
}

static void reaping_tell(Reaping *r, bool removed)
{
        reaper_done_t done = r->done;
        void *userdata = r->userdata;

        r->done = NULL;
        r->userdata = NULL;
        if (done)
                done(r->manager, removed, userdata);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        reaper_retry_now(userdata);
        return 0;
}

static void retry_later(Manager *m)
{
        if (m->reaper_timer) {
                (void) sd_event_source_set_time_relative(m->reaper_timer, REAPER_RETRY_USEC);
                (void) sd_event_source_set_enabled(m->reaper_timer, SD_EVENT_ONESHOT);
                return;
        }
        if (sd_event_add_time_relative(m->event, &m->reaper_timer, CLOCK_MONOTONIC, REAPER_RETRY_USEC, 0,
                                       on_retry, m) < 0)
                log_warning(
                        "Failed to schedule removing containers again; the next lifetime's cleanup will.");
        else
                (void) sd_event_source_set_description(m->reaper_timer, "reaper-retry");
}

static void on_deleted(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Reaping *r = userdata;
        Manager *m = r->manager;
        _cleanup_free_ char *message = NULL;

        r->call = NULL;
        if (error == 0 && (status < 300 || status == 404)) {
                if (r->failed)
                        log_info("Container %.12s removed at last.", r->id);
                reaping_tell(r, true);
                reaping_free(r);
                return;
        }

        if (!r->failed) {
                r->failed = true;
                if (error < 0)
                        log_warning(
                                "Container %.12s could not be removed (container engine unreachable: %s); "
                                "skipped, retried in the background.",
                                r->id, strerror(-error));
                else {
                        (void) docker_parse_error(body, len, &message);
                        log_warning("Container %.12s could not be removed (HTTP %li: %s); skipped, retried "
                                    "in the background.",
                                    r->id, status, message ?: "?");
                }
        }
        reaping_tell(r, false);
        retry_later(m);
}

static int reaping_start(Reaping *r)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/containers/%s?force=1", r->id) < 0)
                return -ENOMEM;
        return docker_call(r->manager->docker, "DELETE", path, NULL, CALL_TIMEOUT_USEC, on_deleted, r,
                           &r->call);
}

int reaper_remove(Manager *m, const char *id, reaper_done_t done, void *userdata)
{
        Reaping *r;
        int k;

        for (r = m->reapings; r; r = r->next)
                if (strcmp(r->id, id) == 0) {
                        /* Already going; its first outcome is known to whoever asked first. */
                        if (done)
                                done(m, false, userdata);
                        return 0;
                }

        r = calloc(1, sizeof(Reaping));
        if (!r)
                return -ENOMEM;
        *r = (Reaping){ .manager = m, .done = done, .userdata = userdata };
        r->id = strdup(id);
        if (!r->id) {
                free(r);
                return -ENOMEM;
        }
        LIST_PREPEND(m->reapings, r);
        m->n_reapings++;
        k = reaping_start(r);
        if (k < 0) {
                r->done = NULL;
                reaping_free(r);
                return k;
        }
        return 0;
}

void reaper_detach(Manager *m, void *userdata, const char *why)
{
        Reaping *r;

        for (r = m->reapings; r; r = r->next)
                if (r->userdata == userdata) {
                        if (why)
                                log_warning("Container %.12s %s", r->id, why);
                        r->done = NULL;
                        r->userdata = NULL;
                }
}

void reaper_retry_now(Manager *m)
{
        Reaping *r;

        for (r = m->reapings; r; r = r->next)
                if (!r->call && reaping_start(r) < 0)
                        retry_later(m);
}

unsigned reaper_pending(const Manager *m)
{
        return m->n_reapings;
}

void reaper_done(Manager *m)
{
        while (m->reapings)
                reaping_free(m->reapings);
        m->reaper_timer = sd_event_source_disable_unref(m->reaper_timer);
}
