/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * instance.h: one container of a function through its life: started (the engine's platform, the
 * image, an optional pull, create, start, inspect, readiness probes), failed with the engine's own
 * words, frozen (paused) and thawed, stopped and removed. Each step's outcome goes back to the function's
 * pool, whose actions the manager carries out.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "docker-json.h"
#include "docker.h"
#include "instance-secret.h"
#include "manager.h"
#include "pool.h"
#include "registry.h"

struct Instance {
        Manager *manager;
        ManagedFunction *function;
        PoolInstance *slot;
        char *id;
        char *name;
        char *host; /* an address, or with port 0 the path of its unix socket (instance-socket.h) */
        uint16_t port;
        char *socket_dir; /* "network": "none": its socket's directory, which goes with it */
        bool socket_checked;
        /* What its lambda-rie wants from invokers (instance-secret.h): made for it at its start,
         * read back from the engine when adopted; handed out with its leases, and nowhere else. */
        char secret[INSTANCE_SECRET_SIZE];
        const char *network_mode; /* its container's NetworkMode when not the manager's (instance-setup.h) */
        char *function_network;   /* on --network, an isolated function's own network (network_mode) */
        DockerCall *call;
        sd_event_source *probe_timer;
        uint64_t start_deadline;
        uint64_t ready_usec; /* CLOCK_MONOTONIC when it first answered */
        int exit_code;       /* of a container that exited while starting */
        bool adopted;        /* taken over from an earlier lifetime */
        bool exited;         /* its logs are being read for the error */
        bool pulled;
        bool thaw_queued;    /* thaw once the pause in flight is answered */
        uint64_t thaw_since; /* CLOCK_MONOTONIC */
        const char *stop_reason;
        Instance *prev, *next;
};

/* Hex digits of LABEL_SPEC, NUL included: 128 bits of a SHA-256. */
#define INSTANCE_SPEC_SIZE 33

/* For the pool's START on slot: an instance that starts at once (its outcome reaches the pool). */
int instance_new(Manager *m, ManagedFunction *f, PoolInstance *slot, Instance **ret);
/* A running container of an earlier lifetime, adopted into slot: it answers at host:port to those
 * who send secret. */
int instance_adopt(Manager *m, ManagedFunction *f, PoolInstance *slot, const char *id, const char *host,
                   uint16_t port, const char *secret, Instance **ret);

/* Where the container that info describes answers on this manager: 127.0.0.1 and its published port, or
 * its address and 8080, or (no network) the path of its socket in a directory of the manager's and 0.
 * -EADDRNOTAVAIL when it has none. */
int instance_address(Manager *m, const DockerInspect *info, char **ret_host, uint16_t *ret_port);

/* instance-probe.c: probes i until it is ready (the pool learns it), or fails it when the start times
 * out. */
void instance_probe(Instance *i);
/* A readiness probe of the container's /healthz at host:port (port 0: host is a unix socket's path). */
int instance_probe_url(Manager *m, const char *host, uint16_t port, docker_callback_t callback,
                       void *userdata, DockerCall **ret);

/* instance-body.c: the create body of an instance of c from image on this manager, labelled with
 * lifetime and spec (NULL: none), with secret in its environment (NULL: none), and socket_dir bound for
 * its invoke socket (NULL: none). -ENOPKG when the image needs lambda-rie lent and the manager has none. */
int instance_body(Manager *m, const FunctionConfig *c, const DockerImage *image, const char *lifetime,
                  const char *spec, const char *secret, const char *network_mode, const char *socket_dir,
                  char **ret);
/* instance-body.c: LABEL_SPEC of the instances of c from image on this manager: a container whose label
 * differs was made from another declaration, image or manager configuration. What differs between two
 * instances (name, lifetime, secret) is not part of it. -ENOPKG when the image needs lambda-rie lent and the
 * manager has none; -ENOMEM. */
int instance_spec(Manager *m, const FunctionConfig *c, const DockerImage *image,
                  char ret[static INSTANCE_SPEC_SIZE]);
/* ... of an instance attached as network_mode says (the network it really goes on). */
int instance_spec_on(Manager *m, const FunctionConfig *c, const DockerImage *image, const char *network_mode,
                     char ret[static INSTANCE_SPEC_SIZE]);
Instance *instance_free(Instance *i);
Instance *instance_find(Manager *m, const char *id);

void instance_start(Instance *i);
/* Removes the container; the pool learns that the instance is gone once the engine answers. */
void instance_stop(Instance *i, const char *reason);
/* A start failed: the pool learns it, waiting callers get error_name with the message. Frees i. */
void instance_fail(Instance *i, const char *error_name, const char *format, ...) _printf_(3, 4);
/* ... because an engine call for what failed: BackendUnavailable when the engine is away or answered
 * 5xx, StartFailed with the engine's words for what it refused. */
void instance_fail_call(Instance *i, const char *what, int error, long status, const char *body, size_t len);
/* The next step of a start, once the engine is known to have what the instance needs: its image. */
void instance_inspect_image(Instance *i);
/* The engine says the container died: what that means depends on where the instance is. */
void instance_died(Instance *i);

/* The pool froze the instance: pause its container. */
void instance_freeze(Instance *i);
/* The pool thaws it for a waiter: unpause, and make sure it answers; the pool hears either way. */
void instance_thaw(Instance *i);

/* InstanceStopped, for the lease holder: no new invocation may go there. */
void instance_emit_stopped(Instance *i, const char *reason);
