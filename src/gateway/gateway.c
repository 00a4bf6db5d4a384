/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "auth.h"
#include "client.h"
#include "event-queue.h"
#include "gateway.h"
#include "invocation.h"
#include "lease.h"
#include "log.h"
#include "manager-client.h"
#include "socket-util.h"

#define ACCOUNT_ID "000000000000"
#define DRAIN_USEC (30 * USEC_PER_SEC)

void gateway_function_arn(const Gateway *g, const char *name, char *buf, size_t size)
{
        (void) snprintf(buf, size, "arn:aws:lambda:%s:" ACCOUNT_ID ":function:%s", g->config.region, name);
}

void gateway_function_not_found(const Gateway *g, const char *name, char *buf, size_t size)
{
        char arn[256];

        gateway_function_arn(g, name, arn, sizeof(arn));
        (void) snprintf(buf, size, "Function not found: %s", arn);
}

/* ---- connections ---- */

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Gateway *g = userdata;

        for (;;) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "Failed to accept a connection: %m");
                        return 0;
                }
                if (g->n_clients >= g->config.max_connections && !client_evict_waiting(g)) {
                        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";

                        /* Best effort: the socket is fresh, its buffer takes this. */
                        (void) send(cfd, busy, STRLEN(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
                        safe_close(cfd);
                        continue;
                }
                if (client_new(g, cfd) < 0)
                        log_warning("Failed to set up a connection, dropped it.");
        }
}

/* ---- timers: leases, exit on idle, draining ---- */

static void arm(sd_event_source *s, uint64_t usec)
{
        if (usec == UINT64_MAX)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        else {
                (void) sd_event_source_set_time(s, usec);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
}

static int on_lease_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;

        arm(g->lease_timer, leases_tick(g, now_usec(CLOCK_MONOTONIC)));
        gateway_update_timers(g);
        return 0;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;

        log_info("No connections for %llu s, exiting (systemd keeps the socket).",
                 (unsigned long long) (g->config.idle_exit_usec / USEC_PER_SEC));
        leases_release_idle(g);
        return sd_event_exit(g->event, 0);
}

void gateway_update_timers(Gateway *g)
{
        uint64_t next;
        bool idle;

        if (g->lease_timer) {
                next = leases_next_deadline(g);
                /* Only a change re-arms it: the clock is not asked, the kernel timer not touched. */
                if (next != UINT64_MAX || sd_event_source_get_enabled(g->lease_timer, NULL) > 0) {
                        uint64_t current = UINT64_MAX;

                        if (sd_event_source_get_enabled(g->lease_timer, NULL) > 0)
                                (void) sd_event_source_get_time(g->lease_timer, &current);
                        if (current != next)
                                arm(g->lease_timer, next);
                }
        }

        idle = g->n_clients == 0 && g->n_invocations == 0;
        if (g->draining) {
                /* Queued events stay on disk for the next lifetime. */
                if (idle) {
                        leases_release_idle(g);
                        (void) sd_event_exit(g->event, 0);
                }
                return;
        }
        /* Queued events keep the gateway: nothing else would run them when they are due. */
        idle = idle && event_queue_size(g->queue) == 0;
        if (g->idle_timer && g->config.idle_exit_usec > 0) {
                if (idle && sd_event_source_get_enabled(g->idle_timer, NULL) == 0) {
                        (void) sd_event_source_set_time_relative(g->idle_timer, g->config.idle_exit_usec);
                        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_ONESHOT);
                } else if (!idle)
                        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_OFF);
        }
}

static int on_drain_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;

        log_warning("%u connections still open after draining for %llu s, exiting.", g->n_clients,
                    (unsigned long long) (DRAIN_USEC / USEC_PER_SEC));
        leases_release_idle(g);
        return sd_event_exit(g->event, 0);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Gateway *g = userdata;

        log_info("Received %s: draining.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        g->draining = true;
        /* No new connections; systemd keeps the socket and hands it to the next instance. */
        for (size_t i = 0; i < g->n_listeners; i++)
                (void) sd_event_source_set_enabled(g->listeners[i], SD_EVENT_OFF);
        /* Idle keep-alive connections go now; busy ones after their answer. */
        client_drain_all(g);
        (void) sd_event_add_time_relative(g->event, NULL, CLOCK_MONOTONIC, DRAIN_USEC, 0, on_drain_timeout,
                                          g);
        gateway_update_timers(g);
        return 0;
}

/* ---- setup ---- */

static int add_listener(Gateway *g, int fd)
{
        sd_event_source **l;
        int r;

        l = realloc(g->listeners, (g->n_listeners + 1) * sizeof(sd_event_source *));
        if (!l)
                return -ENOMEM;
        g->listeners = l;
        r = sd_event_add_io(g->event, &g->listeners[g->n_listeners], fd, EPOLLIN, on_accept, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(g->listeners[g->n_listeners], true);
        (void) sd_event_source_set_description(g->listeners[g->n_listeners], "listener");
        g->n_listeners++;
        return 0;
}

static int open_listeners(Gateway *g)
{
        char **names = NULL;
        int n, r;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to take the sockets systemd passed: %m");
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                free(names ? names[i] : NULL);
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_warning("Passed fd %i is not a listening stream socket, ignoring it.", fd);
                        continue;
                }
                (void) fd_set_nonblock(fd);
                r = add_listener(g, fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch a passed socket: %m");
        }
        free(names);

        if (g->n_listeners == 0)
                for (char **a = g->config.listen; a && *a; a++) {
                        SocketAddress addr;
                        int fd;

                        char where[128];

                        if (strncmp(*a, SOCKET_ADDRESS_ROUTE_PREFIX, STRLEN(SOCKET_ADDRESS_ROUTE_PREFIX)) ==
                            0) {
                                r = socket_address_route(*a, &addr);
                                if (r < 0)
                                        return log_error_errno(r,
                                                               "--listen=%s: no IPv4 address of the default "
                                                               "route's interface: %m",
                                                               *a);
                                log_info("--listen=%s: listening on %s (the default route's interface).", *a,
                                         socket_address_format(&addr, where, sizeof(where)));
                        } else {
                                r = socket_address_parse(*a, &addr);
                                if (r < 0)
                                        return log_error_errno(r, "Invalid --listen address '%s'.", *a);
                        }
                        fd = socket_listen(&addr, SOMAXCONN);
                        if (fd < 0)
                                return log_error_errno(fd, "Failed to listen on %s: %m", *a);
                        r = add_listener(g, fd);
                        if (r < 0) {
                                safe_close(fd);
                                return log_error_errno(r, "Failed to watch %s: %m", *a);
                        }
                }
        if (g->n_listeners == 0)
                return log_error_errno(-EINVAL,
                                       "No sockets: run under systemd socket activation or give --listen.");
        return 0;
}

int gateway_new(Gateway **ret, const GatewayConfig *config)
{
        _cleanup_(gateway_freep) Gateway *g = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        g = calloc(1, sizeof(Gateway));
        if (!g)
                return log_oom();
        g->config = *config;
        r = uuid_generator_init(&g->ids);
        if (r < 0)
                return log_error_errno(r, "Failed to seed request ids: %m");

        if (config->auth) {
                r = auth_load(config->api_keys_path, config->credentials_path, &g->auth, &error);
                if (r >= 0 && config->api_key)
                        r = auth_add_api_key(g->auth, "LAMBDAD_API_KEY", config->api_key, &error);
                if (r < 0)
                        return log_error_errno(r, "Refusing to start without valid credentials: %s",
                                               error ?: "?");
                if (config->api_key)
                        log_info("LAMBDAD_API_KEY is a Bearer key that may invoke and manage every "
                                 "function.");
                if (g->auth->n_api_keys == 0 && g->auth->n_credentials == 0)
                        log_warning(
                                "No API keys in %s, no credentials in %s and no LAMBDAD_API_KEY: every "
                                "request will be refused. Set LAMBDAD_API_KEY=KEY in this gateway's "
                                "environment (with docker compose: a line LAMBDAD_API_KEY=KEY in the file "
                                ".env beside docker-compose.yml, then 'docker compose up -d') and send "
                                "'Authorization: Bearer KEY', or add keys to those files (use --no-auth to "
                                "run without authentication).",
                                config->api_keys_path, config->credentials_path);
        }

        r = sd_event_new(&g->event);
        if (r < 0)
                return log_error_errno(r, "Failed to get the event loop: %m");
        r = sd_event_add_time(g->event, &g->lease_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_lease_timer, g);
        if (r >= 0)
                r = sd_event_add_time(g->event, &g->idle_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_idle, g);
        if (r < 0)
                return log_error_errno(r, "Failed to create timers: %m");
        (void) sd_event_source_set_enabled(g->lease_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_OFF);

        *ret = TAKE_PTR(g);
        return 0;
}

Gateway *gateway_free(Gateway *g)
{
        if (!g)
                return NULL;
        while (g->clients)
                http_conn_free(g->clients->http);
        while (g->invocations) {
                /* One still waiting for an instance leaves its function's queue first: the walks of
                 * that queue (the lease timer's) must not meet it freed. */
                if (!g->invocations->lease)
                        function_unqueue(g->invocations);
                invocation_free(g->invocations);
        }
        g->queue = event_queue_free(g->queue);
        gateway_function_free_all(g);
        for (size_t i = 0; i < g->n_listeners; i++)
                sd_event_source_disable_unref(g->listeners[i]);
        free(g->listeners);
        sd_event_source_disable_unref(g->lease_timer);
        sd_event_source_disable_unref(g->idle_timer);
        sd_event_source_disable_unref(g->bus_retry);
        sd_bus_slot_unref(g->reclaim); /* before the bus: the slot holds it */
        sd_bus_flush_close_unref(g->bus);
        sd_event_unref(g->event);
        auth_free(g->auth);
        metrics_done(&g->metrics);
        free(g);
        return NULL;
}

int gateway_run(Gateway *g)
{
        int r;

        r = sd_event_set_watchdog(g->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog: %m");
        r = sd_event_add_signal(g->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_sigterm, g);
        if (r >= 0)
                r = sd_event_add_signal(g->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_sigterm, g);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = event_queue_open(g, &g->queue);
        if (r < 0)
                return r;
        r = manager_client_start(g);
        if (r < 0)
                return r;
        r = open_listeners(g);
        if (r < 0)
                return r;

        gateway_update_timers(g);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving on %zu socket(s)", g->n_listeners);
        log_info("Serving the Lambda Invoke API on %zu socket(s)%s.", g->n_listeners,
                 g->config.auth ? "" : ", WITHOUT authentication");
        return sd_event_loop(g->event);
}
