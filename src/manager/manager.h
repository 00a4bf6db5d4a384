/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * manager.h: lambda-manager's daemon: the one Manager that holds the functions, their pools and the
 * containers behind the instances, the event loop with its timers, and the way in and out of a
 * lifetime (start, serve, exit on idle or SIGTERM). The parts live in their own modules: the bus
 * service, instances, functions, declarations, engine events, and the cleanup of other lifetimes.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "docker.h"
#include "lambda-contract.h"
#include "macro.h"
#include "pool.h"
#include "util.h"

/* What SIGTERM does with the instances (--handover). */
typedef enum HandoverMode {
        HANDOVER_AUTO,   /* leave them to a next lifetime if one is coming (handover.h), else remove them */
        HANDOVER_ALWAYS, /* leave them running (--keep-instances) */
        HANDOVER_NEVER,  /* remove them */
} HandoverMode;

typedef struct ManagerConfig {
        const char *docker_socket;
        const char *functions_dir;
        bool implicit_functions; /* NAME -> NAME:latest for images labelled org.lambdad.function=NAME */
        bool publish_loopback;   /* reach instances on a published 127.0.0.1 port, else the container IP */
        uint64_t start_timeout_usec; /* create to first answer of the instance */
        uint64_t wait_timeout_usec;  /* how long Acquire waits at the instance limit */
        uint64_t exit_idle_usec;     /* exit after this long with no instances and no calls; 0: never */
        HandoverMode handover;
        const char *state_dir;   /* the lease record outside systemd; NULL: none */
        const char *rie_path;    /* lambda-rie on the engine's host, lent to images without one */
        const char *rie_volume;  /* or: a volume holding lambda-rie (wins over rie_path) */
        const char *network;     /* instances join it, reached at their address there; "auto": ours */
        bool isolate_by_default; /* functions without "network" are isolated (--default-network) */
        /* With network: the gateway's container, joined to the networks of isolated functions
         * (instance-setup.h); "auto": this compose project's service "gateway"; NULL: none */
        const char *gateway_container;
        uint64_t memory_budget;           /* bytes for the memory limits of all instances; 0: unbounded */
        bool require_engine;              /* exit at start when the engine socket cannot be used */
        const char *destination_root;     /* directory destinations must lie under it */
        const char *code_store;           /* where zip functions' code is unpacked */
        char **runtimes;                  /* --runtime=ID=IMAGE, in order; NULL: none */
        const char *runtimes_dir;         /* ID.json mapping runtimes to images */
        const char *api_functions_dir;    /* the functions made with the control-plane API */
        const char *instance_sockets_dir; /* "network": "none" instances' sockets (instance-socket.h);
                                           * NULL: such functions cannot start */
} ManagerConfig;

/* Every engine call but pulls and the event stream. */
#define CALL_TIMEOUT_USEC (30 * USEC_PER_SEC)

typedef struct Manager Manager;
typedef struct ManagedFunction ManagedFunction;
typedef struct Instance Instance;
typedef struct OwnerTrack OwnerTrack;
typedef struct Reaping Reaping;
typedef struct HandoverState HandoverState;
typedef struct Adoption Adoption;
typedef struct FunctionCode FunctionCode;
typedef struct PendingCall PendingCall;

/* A network the manager makes on first use: state 0 not looked at yet, 1 usable, -1 refused by the
 * engine (problem says why; asked again after retry_usec). */
typedef struct OwnNetwork {
        int state;
        char *problem;
        uint64_t retry_usec;
} OwnNetwork;
typedef struct ApiFunctions ApiFunctions;
typedef struct PublishWait PublishWait;

struct Manager {
        ManagerConfig config;
        char lifetime[33];
        /* What the engine runs, asked once before the first start: images for others are refused. */
        char *engine_os, *engine_arch;
        /* The OCI runtimes it knows (GET /info), asked before the first start of a function that names
         * one (engine_runtime), and again when one is not among them; NULL: not asked, or the engine
         * does not say. */
        char **engine_runtimes;
        bool engine_runtimes_known;
        /* The engine's default bridge (GET /networks/bridge, asked once): 1 without traffic between its
         * containers (dockerd --icc=false; isolated functions go on it), -1 with (or not known: isolated
         * functions go on ISOLATED_NETWORK_NAME), 0 not asked yet. See instance-setup.h. */
        int default_bridge_isolating;
        /* The bridge networks the manager makes on first use (instance-setup.h): ISOLATED_NETWORK_NAME,
         * and SHARED_NETWORK_NAME where the default bridge isolates. */
        OwnNetwork isolated_network, shared_network;
        bool isolated_fallback_logged, shared_fallback_logged;

        sd_event *event;
        sd_bus *bus;
        DockerClient *docker;

        ManagedFunction *functions;
        Instance *instances;
        unsigned n_instances;
        OwnerTrack *tracks;
        unsigned n_pending; /* method calls and cleanups not answered yet */

        sd_event_source *tick_timer;
        sd_event_source *idle_timer;
        sd_event_source *gc_event;

        /* What a failed start said, for the FAIL actions it produces. */
        const char *fail_error;
        char *fail_message;

        DockerCall *events;
        sd_event_source *events_retry;
        /* Containers the event stream reported dead, handled outside curl's callbacks. */
        char **dead;
        sd_event_source *dead_event;
        char *gateway_started;        /* the gateway's container, seen starting (engine-events.c) */
        uint64_t engine_away_since;   /* CLOCK_MONOTONIC; 0 while the engine answers */
        sd_event_source *engine_ping; /* while the engine is away: is it back? */
        DockerCall *resync;           /* which of our containers still run, once the engine is back */
        uint64_t resync_since;

        Reaping *reapings; /* containers to remove, retried until they are gone */
        unsigned n_reapings;
        sd_event_source *reaper_timer;

        PoolBudget budget;
        uint64_t budget_seen; /* budget.used when last looked at: less now means memory came free */
        sd_event_source *budget_event;
        bool budget_busy;
        bool budget_hungry; /* a caller waits for memory that nothing could be stopped for */

        bool exiting;
        bool removing_networks; /* exiting: the networks of isolated functions go last */
        int cleanup_result;
        bool cleanup_done;
        bool cleanup_again; /* the cleanup at start did not reach the engine */

        HandoverState *handover; /* the lease record, for the next lifetime */
        Adoption *adoption;      /* taking over the instances of earlier lifetimes */
        FunctionCode *code;      /* zip functions' code; NULL until the first is declared */
        PendingCall *requeued;   /* calls whose function was replaced, for its successor */
        ApiFunctions *api;       /* the control-plane API's functions and changes in flight */
        /* PublishVersionWhenReady calls waiting for their function's code to load */
        PublishWait *publish_waits;
        bool loaded; /* the declarations were loaded once: later loads prepare code off the loop */
        /* Calls that need the pools, held while the adoption settles what is in them. */
        sd_bus_message **deferred;
        size_t n_deferred;

        char *network; /* --network, resolved; NULL: the engine's default */
        /* --gateway-container=auto: the compose project of this container, whose service "gateway" it
         * is; NULL otherwise (and when this container is not one of a compose project) */
        char *compose_project;
        /* --network=auto: the container this manager runs in, which joins the networks of isolated
         * functions with the gateway (it probes their instances) */
        char *self_container;
        char *rie_volume; /* --rie-volume=auto, resolved (config.rie_volume then points here) */
};

int manager_new(Manager **ret, const ManagerConfig *config);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Connects to the system bus, takes the name, serves until exit on idle or SIGTERM. */
int manager_run(Manager *m);

/* Carries out what f's pool decided; stop_reason goes with the STOP actions. */
void manager_apply(Manager *m, ManagedFunction *f, PoolActions *a, const char *stop_reason);

/* Re-arms the pool tick and the exit-on-idle timer after anything changed. */
void manager_update_timers(Manager *m);
