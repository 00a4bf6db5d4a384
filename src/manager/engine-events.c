/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-reaper.h"
#include "adoption.h"
#include "docker-json.h"
#include "engine-events.h"
#include "lifetime-cleanup.h"
#include "instance-setup.h"
#include "instance.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

#define ENGINE_PING_TIMEOUT_USEC (1 * USEC_PER_SEC)

static void events_watch(Manager *m);

static int on_dead(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;
        _cleanup_strv_free_ char **dead = TAKE_PTR(m->dead);

        _cleanup_free_ char *gateway = TAKE_PTR(m->gateway_started);

        for (char **id = dead; id && *id; id++) {
                Instance *i = instance_find(m, *id);

                if (i)
                        instance_died(i);
        }
        if (gateway)
                instance_setup_gateway_started(m, gateway);
        return 0;
}

/* A (re)started gateway of this compose project: re-created, it is on none of the networks of isolated
 * functions, whose running instances it must reach. */
static bool is_our_gateway(const Manager *m, const DockerEvent *e)
{
        return m->compose_project && e->project && strcmp(e->project, m->compose_project) == 0 &&
               e->service && strcmp(e->service, "gateway") == 0 && strcmp(e->action, "start") == 0;
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
        } else if (e.type && strcmp(e.type, "container") == 0 && e.action && e.id && is_our_gateway(m, &e)) {
                free(m->gateway_started);
                m->gateway_started = TAKE_PTR(e.id);
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

        /* Not just this lifetime's label: adopted instances carry the one of the lifetime that made
         * them. on_event_line() keeps our instances' events, and in a compose project its gateway's
         * (which carries none of our labels). */
        r = m->compose_project ? docker_filter("type", "container", &filter)
                               : cleanup_owned_filter(m, &filter);
        if (r >= 0 && asprintf(&path, "/events?filters=%s", filter) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = docker_stream(m->docker, path, on_event_line, on_events_end, m, &m->events);
        if (r < 0)
                log_warning_errno(
                        r, "Failed to watch the engine's events; dead containers are noticed on use: %m");
}

/* Our containers that still run, once the engine is back: instances it lost meanwhile (an engine restart
 * kills them, and their events went with the stream) are noted dead like those the stream reports. */
static void on_resynced(DockerClient *d, int error, long status, const char *body, size_t len,
                        void *userdata)
{
        Manager *m = userdata;
        DockerContainer *list = NULL;
        size_t n = 0;

        m->resync = NULL;
        if (error < 0 || status != 200 || docker_parse_container_list(body, len, &list, &n) < 0)
                return; /* the engine is away again, or said nothing usable: its events will tell */

        for (Instance *i = m->instances; i; i = i->next) {
                bool running = false;

                /* Only instances that ran before the list was taken: a younger one may be missing
                 * from it and still run. */
                if (!i->id || i->ready_usec == 0 || i->ready_usec >= m->resync_since ||
                    (i->slot->state != INSTANCE_IDLE && i->slot->state != INSTANCE_LEASED &&
                     i->slot->state != INSTANCE_FROZEN))
                        continue;
                for (size_t k = 0; k < n && !running; k++)
                        running = strcmp(list[k].id, i->id) == 0;
                if (!running && strv_extend(&m->dead, i->id) < 0)
                        log_oom();
        }
        docker_container_array_free(list, n);
        if (m->dead)
                (void) sd_event_source_set_enabled(m->dead_event, SD_EVENT_ONESHOT);
}

static void engine_resync(Manager *m)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        int r;

        if (m->exiting)
                return;
        /* Watch again at once rather than at the next retry. */
        if (!m->events) {
                m->events_retry = sd_event_source_disable_unref(m->events_retry);
                events_watch(m);
        }
        docker_call_cancel(m->resync);
        m->resync = NULL;
        m->resync_since = now_usec(CLOCK_MONOTONIC);
        r = cleanup_owned_filter(m, &filter);
        if (r >= 0 && asprintf(&path, "/containers/json?filters=%s", filter) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_resynced, m, &m->resync);
        if (r < 0)
                log_warning_errno(r, "Failed to ask the engine which instances survived: %m");
}

static void on_pinged(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata);

static int on_engine_ping(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        m->engine_ping = sd_event_source_disable_unref(m->engine_ping);
        if (docker_call(m->docker, "GET", "/_ping", NULL, ENGINE_PING_TIMEOUT_USEC, on_pinged, m, NULL) < 0)
                log_oom();
        return 0;
}

/* Nobody may call while the engine is away: ask it every second, so that instances it lost are
 * forgotten before a call is handed one of them. The answer reaches on_engine_state() first. */
static void engine_ping_later(Manager *m)
{
        if (m->exiting || m->engine_ping)
                return;
        if (sd_event_add_time_relative(m->event, &m->engine_ping, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                       on_engine_ping, m) < 0)
                log_warning("Failed to schedule asking whether the engine is back; the next call will.");
        else
                (void) sd_event_source_set_description(m->engine_ping, "engine-ping");
}

static void on_pinged(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Manager *m = userdata;

        if (m->engine_away_since > 0)
                engine_ping_later(m);
}

/* Logged once per change, whatever number of calls found out. */
static void on_engine_state(DockerClient *d, bool reachable, int error, void *userdata)
{
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!reachable) {
                m->engine_away_since = now;
                log_warning("The container engine at %s cannot be reached (%s); calls are answered "
                            "BackendUnavailable until it is back.",
                            m->config.docker_socket, strerror(-error));
                engine_ping_later(m);
                return;
        }
        log_info("The container engine at %s is back after %.1f s.", m->config.docker_socket,
                 m->engine_away_since > 0 ? (double) (now - m->engine_away_since) / USEC_PER_SEC : 0.0);
        m->engine_away_since = 0;
        /* It may have been restarted with other flags (--icc): the next start asks again. */
        m->default_bridge_isolating = 0;
        engine_resync(m);
        reaper_retry_now(m);
        /* The look for earlier lifetimes' instances at start did not reach the engine: again. */
        if (m->cleanup_again && !m->exiting && adoption_start(m) < 0)
                log_warning("Failed to look for the instances of earlier lifetimes again.");
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
        docker_client_on_state(m->docker, on_engine_state, m);
        events_watch(m);
}

void engine_events_stop(Manager *m)
{
        docker_call_cancel(m->events);
        m->events = NULL;
        docker_call_cancel(m->resync);
        m->resync = NULL;
        m->engine_ping = sd_event_source_disable_unref(m->engine_ping);
        if (m->docker)
                docker_client_on_state(m->docker, NULL, NULL);
}

void engine_events_done(Manager *m)
{
        engine_events_stop(m);
        m->events_retry = sd_event_source_disable_unref(m->events_retry);
        m->dead_event = sd_event_source_disable_unref(m->dead_event);
        m->dead = strv_free(m->dead);
        free(m->gateway_started);
        m->gateway_started = NULL;
}
