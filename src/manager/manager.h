/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * manager.h: lambda-manager's daemon state: the function registry, one instance pool per function,
 * the containers behind the instances, and the D-Bus service org.lambdad.Manager1 that hands them
 * out. It is the only process of lambdad that talks to the container engine.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "lambda-contract.h"
#include "macro.h"

typedef struct ManagerConfig {
        const char *docker_socket;
        const char *functions_dir;
        bool implicit_functions; /* NAME -> NAME:latest for images labelled org.lambdad.function=NAME */
        bool publish_loopback;   /* reach instances on a published 127.0.0.1 port, else the container IP */
        uint64_t start_timeout_usec; /* create to first answer of the instance */
        uint64_t wait_timeout_usec;  /* how long Acquire waits at the instance limit */
        uint64_t exit_idle_usec;     /* exit after this long with no instances and no calls; 0: never */
        bool keep_instances;         /* leave containers running on SIGTERM */
        const char *rie_path;        /* lambda-rie on the engine's host, lent to images without one */
        const char *rie_volume;      /* or: a volume holding lambda-rie (wins over rie_path) */
        const char *network;         /* instances join it, reached at their address there; "auto": ours */
        bool require_engine;         /* exit at start when the engine socket cannot be used */
} ManagerConfig;

typedef struct Manager Manager;

int manager_new(Manager **ret, const ManagerConfig *config);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Removes every container labelled as ours from another lifetime (all of them when all is set),
 * running the event loop until done. Returns how many were removed, or -errno. */
int manager_cleanup_sync(Manager *m, bool all);

/* Connects to the system bus, takes the name, serves until exit on idle or SIGTERM. */
int manager_run(Manager *m);
