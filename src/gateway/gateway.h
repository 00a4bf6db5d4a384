/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * gateway.h: lambda-gateway's daemon state and lifecycle: the listening sockets systemd hands over,
 * the timers (lease keep-alive, exit on idle, draining) and the signals. What it serves lives in its
 * own modules: client connections (client.h), invocations (invocation.h), function URLs
 * (url-call.h), the leases held per function (lease.h), the manager on the bus (manager-client.h)
 * and the connections to instances (upstream.h). It never talks to the container engine.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "metrics.h"
#include "util.h"

typedef struct GatewayConfig {
        char **listen; /* addresses when systemd passes no sockets */
        const char *api_keys_path;
        const char *credentials_path;
        bool auth;                      /* off only with --no-auth */
        const char *region;             /* for ARNs in answers */
        uint64_t manager_timeout_usec;  /* bound on reaching the manager: 503 past it */
        uint64_t acquire_timeout_usec;  /* bound on Acquire once the manager answers (cold starts) */
        uint64_t request_timeout_usec;  /* a whole request (head and body) must arrive within it: 408 */
        uint64_t idle_exit_usec;        /* exit with no connections for this long; 0: never */
        uint64_t lease_idle_usec;       /* give back leases unused for this long */
        uint64_t queue_timeout_usec;    /* at the limit, how long a job waits for one of our instances */
        uint64_t upstream_timeout_usec; /* safety net over the function's own timeout */
        unsigned max_connections;
        /* The durable queue of Event invocations (event-queue.h). */
        const char *state_directory;
        double retry_delay_scale; /* 1: AWS's timing of retries */
        unsigned queue_max_events, queue_function_max_events;
        uint64_t queue_max_bytes, queue_function_max_bytes;
        unsigned queue_concurrency; /* queued events run at once per function */
        uint64_t failed_retention_usec;
        const char *api_key; /* from LAMBDAD_API_KEY: a Bearer key for every function, or NULL */
} GatewayConfig;

typedef struct Auth Auth;
typedef struct ClientConn ClientConn;
typedef struct GatewayFunction GatewayFunction;
typedef struct Invocation Invocation;
typedef struct EventQueue EventQueue;

typedef struct Gateway {
        GatewayConfig config;
        sd_event *event;
        sd_bus *bus;
        Auth *auth;
        Metrics metrics;
        UuidGenerator ids;

        sd_event_source **listeners;
        size_t n_listeners;

        ClientConn *clients;
        unsigned n_clients;
        GatewayFunction *functions;
        Invocation *invocations;
        unsigned n_invocations;
        EventQueue *queue;

        bool manager_known;   /* the manager answered since it last went away */
        bool manager_away;    /* it did not answer the last check: said once in the log */
        bool pinging;         /* a Ping to the manager is in flight */
        bool manager_gone;    /* its name lost its owner, and no next lifetime took it yet */
        sd_bus_slot *reclaim; /* a next lifetime is asked which of our leases it keeps */
        sd_event_source *lease_timer;
        sd_event_source *idle_timer;
        bool draining;

        /* While the system bus cannot be reached (a container started first, or it went away). */
        sd_event_source *bus_retry;
        unsigned bus_retries; /* tries so far: the back-off */
} Gateway;

int gateway_new(Gateway **ret, const GatewayConfig *config);
Gateway *gateway_free(Gateway *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Gateway *, gateway_free);

int gateway_run(Gateway *g);

/* Re-arms the lease and idle timers after what they depend on changed; exits when draining is done. */
void gateway_update_timers(Gateway *g);

/* "arn:aws:lambda:REGION:000000000000:function:NAME" */
void gateway_function_arn(const Gateway *g, const char *name, char *buf, size_t size);
/* The message of a 404 ResourceNotFoundException for the function, as Lambda words it. */
void gateway_function_not_found(const Gateway *g, const char *name, char *buf, size_t size);
