/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "engine-events.h"
#include "instance.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

static void events_watch(Manager *m);

static int on_dead(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;
        _cleanup_strv_free_ char **dead = TAKE_PTR(m->dead);

        for (char **id = dead; id && *id; id++) {
                Instance *i = instance_find(m, *id);

                if (!i)
                        continue;
                if (i->slot->state == INSTANCE_IDLE || i->slot->state == INSTANCE_LEASED) {
                        log_warning("Instance %.12s of '%s' died.", i->id, i->function->name);
                        instance_stop(i, "died");
                } else if (i->slot->state == INSTANCE_STARTING && i->host && !i->exited) {
                        /* Being probed: rather than probing a dead container until the start times out,
                         * learn how it ended. Earlier steps see that it does not run by themselves. */
                        docker_call_cancel(i->call);
                        i->call = NULL;
                        i->probe_timer = sd_event_source_disable_unref(i->probe_timer);
                        if (instance_inspect(i) < 0)
                                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                              "The container of '%s' died while starting.",
                                              i->function->name);
                }
        }
        return 0;
}

/* Runs inside curl's write callback, where no new transfer may start: note the id for on_dead(). */
static void on_event_line(DockerClient *d, const char *line, size_t len, void *userdata)
{
        Manager *m = userdata;
        DockerEvent e = {};

        if (len == 0 || docker_parse_event(line, len, &e) < 0)
                return;
        if (e.type && strcmp(e.type, "container") == 0 && e.action && e.id &&
            (strcmp(e.action, "die") == 0 || strcmp(e.action, "destroy") == 0 ||
             strcmp(e.action, "remove") == 0) &&
            instance_find(m, e.id)) {
                if (strv_extend(&m->dead, e.id) < 0)
                        log_oom();
                (void) sd_event_source_set_enabled(m->dead_event, SD_EVENT_ONESHOT);
        }
        docker_event_done(&e);
}

static int on_events_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        m->events_retry = sd_event_source_disable_unref(m->events_retry);
        events_watch(m);
        return 0;
}

static void on_events_end(DockerClient *d, int error, long status, const char *body, size_t len,
                          void *userdata)
{
        Manager *m = userdata;

        m->events = NULL;
        if (m->exiting)
                return;
        /* The engine went away or restarted: watch again once it may be back. */
        log_debug("The engine's event stream ended (%s), reconnecting.",
                  error < 0 ? strerror(-error) : "closed");
        if (sd_event_add_time_relative(m->event, &m->events_retry, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                       on_events_retry, m) < 0)
                log_warning("Failed to schedule watching the engine's events; dead containers are noticed "
                            "on use.");
}

static void events_watch(Manager *m)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        int r;

        r = docker_label_filter(LABEL_LIFETIME, m->lifetime, &filter);
        if (r >= 0 && asprintf(&path, "/events?filters=%s", filter) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = docker_stream(m->docker, path, on_event_line, on_events_end, m, &m->events);
        if (r < 0)
                log_warning_errno(
                        r, "Failed to watch the engine's events; dead containers are noticed on use: %m");
}

void engine_events_start(Manager *m)
{
        int r;

        r = sd_event_add_defer(m->event, &m->dead_event, on_dead, m);
        if (r < 0) {
                log_warning_errno(
                        r, "Failed to watch the engine's events; dead containers are noticed on use: %m");
                return;
        }
        (void) sd_event_source_set_enabled(m->dead_event, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->dead_event, "engine-dead");
        events_watch(m);
}

void engine_events_stop(Manager *m)
{
        docker_call_cancel(m->events);
        m->events = NULL;
}

void engine_events_done(Manager *m)
{
        engine_events_stop(m);
        m->events_retry = sd_event_source_disable_unref(m->events_retry);
        m->dead_event = sd_event_source_disable_unref(m->dead_event);
        m->dead = strv_free(m->dead);
}
