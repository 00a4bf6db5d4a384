/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "adoption.h"
#include "api-functions.h"
#include "bus-service.h"
#include "handover.h"
#include "container-reaper.h"
#include "docker-json.h"
#include "declarations.h"
#include "function-code.h"
#include "engine-events.h"
#include "instance-setup.h"
#include "instance.h"
#include "lease-owner.h"
#include "lifetime-cleanup.h"
#include "log.h"
#include "managed-function.h"
#include "memory-budget.h"
#include "pending-call.h"
#include "self.h"
#include "strv.h"
#include "util.h"

#define STOP_GRACE_USEC (15 * USEC_PER_SEC)
/* On SIGTERM, how long leased instances may finish what they answer before they are removed. */
#define STOP_DRAIN_USEC (1 * USEC_PER_SEC)

void manager_apply(Manager *m, ManagedFunction *f, PoolActions *a, const char *stop_reason)
{
        for (size_t k = 0; k < a->n; k++) {
                PoolAction *act = &a->a[k];

                switch (act->type) {
                case POOL_ACTION_START: {
                        Instance *i;

                        if (instance_new(m, f, act->instance, &i) < 0) {
                                PoolActions b = {};

                                log_oom();
                                (void) pool_instance_failed(&f->pool, act->instance,
                                                            now_usec(CLOCK_MONOTONIC), &b);
                                manager_apply(m, f, &b, NULL);
                                pool_actions_done(&b);
                                break;
                        }
                        instance_start(i);
                        break;
                }
                case POOL_ACTION_STOP:
                        instance_stop(act->instance->userdata, stop_reason);
                        break;
                case POOL_ACTION_FREEZE:
                        instance_freeze(act->instance->userdata);
                        break;
                case POOL_ACTION_THAW:
                        instance_thaw(act->instance->userdata);
                        break;
                case POOL_ACTION_GRANT:
                        pending_grant(m, act->waiter, act->instance, act->thawed);
                        break;
                case POOL_ACTION_FAIL:
                        pending_fail(m, act->waiter, act->error);
                        break;
                }
        }
        a->n = 0;
        if (f->removed)
                function_gc_later(m);
        memory_budget_check(m);
        manager_update_timers(m);
        handover_sync(m);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        /* Armed before the adoption began: it ticks once that is settled (manager_update_timers()). */
        if (adoption_holding(m)) {
                manager_update_timers(m);
                return 0;
        }
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                /* A removed function's instances only go: no keep-alive, min_instances or spares. */
                if (!f->config || f->removed)
                        continue;
                if (pool_tick(&f->pool, now, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "idle");
                pool_actions_done(&a);
        }
        manager_update_timers(m);
        return 0;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        log_info("No instances and no calls for %llu s, exiting.",
                 (unsigned long long) (m->config.exit_idle_usec / USEC_PER_SEC));
        return sd_event_exit(m->event, 0);
}

static void on_networks_cleaned(Manager *m)
{
        (void) sd_event_exit(m->event, 0);
}

/* The last instance is gone: exits once the networks of isolated functions are removed too. */
static void exit_when_removed(Manager *m)
{
        if (m->removing_networks)
                return;
        m->removing_networks = true;
        if (cleanup_function_networks(m, on_networks_cleaned) <= 0)
                (void) sd_event_exit(m->event, 0);
}

void manager_update_timers(Manager *m)
{
        uint64_t next = UINT64_MAX;

        if (m->exiting) {
                if (m->n_instances == 0)
                        exit_when_removed(m);
                return;
        }

        /* While the instances of earlier lifetimes are being adopted the pools wait (no call reaches them
         * meanwhile): min_instances, spares and provisioned ones are not started twice. */
        for (ManagedFunction *f = m->functions; f && !adoption_holding(m); f = f->next)
                if (f->config && !f->removed)
                        next = MIN(next, pool_next_deadline(&f->pool));
        if (m->tick_timer) {
                if (next == UINT64_MAX)
                        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_OFF);
                else {
                        (void) sd_event_source_set_time(m->tick_timer, next);
                        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_ONESHOT);
                }
        }

        if (m->idle_timer && m->config.exit_idle_usec > 0) {
                bool idle = m->n_instances == 0 && m->n_pending == 0 && !m->exiting;

                if (idle && sd_event_source_get_enabled(m->idle_timer, NULL) == 0) {
                        (void) sd_event_source_set_time_relative(m->idle_timer, m->config.exit_idle_usec);
                        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ONESHOT);
                } else if (!idle)
                        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        }
}

static int on_stop_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        log_warning("%u instances still being removed; --cleanup will finish.", m->n_instances);
        return sd_event_exit(m->event, 0);
}

static void stop_everything(Manager *m)
{
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (pool_stop_all(&f->pool, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "lambda-manager stopping");
                pool_actions_done(&a);
        }
        /* Leased and starting ones too: the service is going away. */
        for (Instance *i = m->instances, *next; i; i = next) {
                next = i->next;
                if (i->id && i->slot->state != INSTANCE_STOPPING)
                        instance_stop(i, "lambda-manager stopping");
        }
}

static int manager_begin_exit(Manager *m, bool may_hand_over);
static unsigned manager_announce_stop(Manager *m);
static int on_drained(sd_event_source *s, uint64_t usec, void *userdata);

/* The bus went away (a container deployment stops the bus with everything else): nobody can reach
 * us any more, and no next lifetime may come to clean up, so remove the instances before exiting. */
static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error)
{
        log_info("The system bus went away, exiting.");
        return manager_begin_exit(userdata, false);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP) {
                log_info("Reloading the function declarations.");
                (void) declarations_load(m);
                return 0;
        }

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        return manager_begin_exit(m, true);
}

static void on_exit_decided(Manager *m, bool hand_over);

/* Decides whether a next lifetime takes the instances over (serving on meanwhile), then stops taking
 * calls, and hands them over or removes them. */
static int manager_begin_exit(Manager *m, bool may_hand_over)
{
        if (m->exiting)
                return 0;
        /* Without the bus no next lifetime could reach the lease holders: whatever was being
         * decided, they go. */
        if (!may_hand_over || m->n_instances == 0) {
                if (!handover_abort(m))
                        on_exit_decided(m, false);
                return 0;
        }
        handover_decide(m, on_exit_decided);
        return 0;
}

/* Exits at once leaving the instances running (the lease record is current), or once they are removed. */
static void on_exit_decided(Manager *m, bool hand_over)
{
        int r;

        m->exiting = true;
        engine_events_stop(m);
        (void) sd_notify(false, "STOPPING=1");
        if (m->n_instances == 0) {
                exit_when_removed(m);
                return;
        }
        if (hand_over) {
                handover_sync(m);
                log_info("Leaving %u instance(s) running for the next lifetime.", m->n_instances);
                (void) sd_event_exit(m->event, 0);
                return;
        }

        /* Wait for the removals (manager_update_timers() exits once none is left), but not forever. */
        r = sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, STOP_GRACE_USEC, 0, on_stop_grace,
                                       m);
        if (r < 0) {
                (void) sd_event_exit(m->event, 0);
                return;
        }

        /* A leased instance may be answering right now: removing it would cut the answer off. Its
         * holder is told to let go (InstanceStopped: no new invocation goes there, the running one
         * ends), and the removals wait a moment. */
        if (manager_announce_stop(m) > 0) {
                r = sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, STOP_DRAIN_USEC, 0,
                                               on_drained, m);
                if (r >= 0)
                        return;
        }
        stop_everything(m);
        manager_update_timers(m);
}

/* InstanceStopped for every leased instance; returns how many there are. */
static unsigned manager_announce_stop(Manager *m)
{
        unsigned n = 0;

        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && i->slot->state == INSTANCE_LEASED) {
                        instance_emit_stopped(i, "lambda-manager stopping");
                        n++;
                }
        return n;
}

static int on_drained(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        stop_everything(m);
        manager_update_timers(m);
        return 0;
}

/* --require-engine and --network: what a manager in a container must know before anything else. */
static int manager_check_surroundings(Manager *m)
{
        _cleanup_free_ char *socket_message = NULL, *network_message = NULL, *rie_message = NULL;
        int r;

        if (m->config.require_engine) {
                r = self_check_engine_socket(m->config.docker_socket, &socket_message);
                if (r < 0)
                        return log_error_errno(r, "%s", socket_message ?: "Out of memory.");
        }

        /* The volume this container has lambda-rie in: instances get the same one. */
        if (m->config.rie_volume && strcmp(m->config.rie_volume, "auto") == 0) {
                r = self_volume_at(m->docker, m->event, RIE_MOUNT_DIR, &m->rie_volume, &rie_message);
                if (r < 0)
                        return log_error_errno(r, "%s", rie_message ?: "Out of memory.");
                m->config.rie_volume = m->rie_volume;
                log_info("lambda-rie is lent from volume %s (mounted at " RIE_MOUNT_DIR " here).",
                         m->rie_volume);
        }

        if (!m->config.network)
                return 0;
        if (strcmp(m->config.network, "auto") != 0) {
                m->network = strdup(m->config.network);
                return m->network ? 0 : log_oom();
        }
        r = self_network(m->docker, m->event, &m->network, &m->self_container, &m->compose_project,
                         &network_message);
        if (r < 0)
                return log_error_errno(r, "%s", network_message ?: "Out of memory.");
        log_info("Instances join network %s (the network of this container).", m->network);
        if (m->config.gateway_container && strcmp(m->config.gateway_container, "auto") == 0) {
                if (m->compose_project)
                        log_info("Isolated functions run on networks of their own, joined by the gateway "
                                 "of compose project %s.",
                                 m->compose_project);
                else if (m->config.instance_sockets_dir)
                        log_info("This container is not one of a compose project (Swarm): isolated "
                                 "functions run on " ISOLATED_NETWORK_NAME " of this engine, invoked at "
                                 "sockets in %s.",
                                 m->config.instance_sockets_dir);
                else
                        log_warning("--gateway-container=auto: this container is not one of a compose "
                                    "project, and there is no --instance-sockets-dir; functions with "
                                    "\"network\": \"isolated\" cannot start.");
        }
        return 0;
}

int manager_new(Manager **ret, const ManagerConfig *config)
{
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->config = *config;
        r = random_hex(m->lifetime, 16);
        if (r < 0)
                return log_error_errno(r, "Failed to get randomness for the lifetime id: %m");

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to get the event loop: %m");
        r = docker_client_new(&m->docker, m->event, config->docker_socket);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the Docker client: %m");
        r = manager_check_surroundings(m);
        if (r < 0)
                return r;

        r = sd_event_add_time(m->event, &m->tick_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_tick, m);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_idle, m);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->gc_event, function_gc, m);
        if (r >= 0)
                r = memory_budget_init(m, config->memory_budget);
        if (r < 0)
                return log_error_errno(r, "Failed to create timers: %m");
        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->gc_event, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->tick_timer, "pool-tick");
        (void) sd_event_source_set_description(m->idle_timer, "exit-on-idle");
        (void) sd_event_source_set_description(m->gc_event, "function-gc");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m)
{
        if (!m)
                return NULL;
        pending_drop_requeued(m);
        while (m->functions)
                function_free(m->functions);
        while (m->instances)
                instance_free(m->instances);
        while (m->tracks)
                lease_owner_free(m->tracks);
        sd_event_source_disable_unref(m->tick_timer);
        sd_event_source_disable_unref(m->idle_timer);
        sd_event_source_disable_unref(m->gc_event);
        engine_events_done(m);
        adoption_free(m);
        api_functions_free(m);
        function_code_free(m);
        handover_close(m);
        reaper_done(m);
        memory_budget_done(m);
        docker_client_free(m->docker);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->fail_message);
        free(m->engine_os);
        free(m->engine_arch);
        strv_free(m->engine_runtimes);
        free(m->isolated_network.problem);
        free(m->shared_network.problem);
        free(m->network);
        free(m->compose_project);
        free(m->self_container);
        free(m->rie_volume);
        free(m);
        return NULL;
}

int manager_run(Manager *m)
{
        int r;

        r = declarations_load(m);
        if (r < 0)
                return r;
        handover_open(m);

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = bus_service_register(m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object: %m");
        r = sd_bus_request_name_async(m->bus, NULL, LAMBDAD_MANAGER_BUS_NAME, 0, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to request the name %s: %m", LAMBDAD_MANAGER_BUS_NAME);
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* Without the bus nobody can reach us: exit, removing the instances first. */
        r = sd_bus_match_signal_async(m->bus, NULL, "org.freedesktop.DBus.Local",
                                      "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                      "Disconnected", on_bus_disconnected, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus connection: %m");

        /* Instances of earlier lifetimes are adopted or removed beside serving: the calls that need the
         * pools wait for that (a second at most), the others are served at once. */
        r = adoption_start(m);
        if (r < 0)
                log_warning_errno(r, "Failed to look for the instances of earlier lifetimes: %m");
        engine_events_start(m);
        manager_update_timers(m);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving %s, lifetime %s", LAMBDAD_MANAGER_BUS_NAME,
                          m->lifetime);
        log_info("Serving %s (lifetime %s, engine at %s).", LAMBDAD_MANAGER_BUS_NAME, m->lifetime,
                 m->config.docker_socket);

        return sd_event_loop(m->event);
}
