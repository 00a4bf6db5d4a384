/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * gateway.h: lambda-gateway's daemon state: the listening sockets systemd hands over, the HTTP
 * connections on them, the Lambda Invoke API on top, the leases it holds on the manager's
 * instances, and the upstream calls that proxy each invocation to an instance. It never talks to
 * the container engine: instances come from org.lambdad.Manager1 over D-Bus.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

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
        unsigned max_events; /* queued Event invocations */
        const char *api_key; /* from LAMBDAD_API_KEY: a Bearer key for every function, or NULL */
} GatewayConfig;

typedef struct Gateway Gateway;

int gateway_new(Gateway **ret, const GatewayConfig *config);
Gateway *gateway_free(Gateway *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Gateway *, gateway_free);

int gateway_run(Gateway *g);
