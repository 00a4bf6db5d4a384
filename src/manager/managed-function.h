/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * managed-function.h: a function as the manager serves it: its configuration, its pool of instances,
 * and the last start failure that callers waiting through it are told. It finds the function a call
 * names, declared or implicit (an undeclared NAME whose image NAME:latest carries our label is checked
 * with the engine once, the calls waiting meanwhile), and frees functions that were removed once
 * nothing of them is left.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "docker-json.h"
#include "docker.h"
#include "manager.h"
#include "pending-call.h"
#include "pool.h"
#include "registry.h"

/* Queued Acquires per function; past it callers are refused at once. */
#define MAX_WAITERS 256

struct ManagedFunction {
        Manager *manager;
        char *name;
        FunctionConfig *config; /* NULL while an implicit function's image is being checked */
        Pool pool;
        bool removed; /* gone from the registry: freed once its instances are */
        /* The last failed start, for callers that wait through it and then give up. */
        const char *start_error;
        char *start_message;
        uint64_t start_failed_usec;
        PendingCall *resolving; /* calls waiting for the image check or the code */
        bool code_pending;      /* a zip function whose code is being prepared (config NULL meanwhile) */
        FunctionConfig *pending_config; /* what comes once its code is prepared; NULL: nothing */
        uint64_t created_usec;          /* CLOCK_REALTIME: its configuration's LastModified */
        uint64_t provisioned_usec;      /* CLOCK_MONOTONIC: when its provisioned concurrency was set */
        DockerCall *resolve_call;
        ManagedFunction *prev, *next;
};

/* The pool limits of config c. A published version NAME:N has the max_instances of its function NAME
 * now (its reserved concurrency), not the one it was published with. */
PoolLimits function_limits(Manager *m, const FunctionConfig *c);
/* f's config changed in place (its limits, its provisioned instances): its pool follows at once, the
 * instances no longer kept stopping for stop_reason. */
void function_limits_update(ManagedFunction *f, const char *stop_reason);
/* After NAME's declaration changed: its published versions take its reserved concurrency. */
void function_versions_follow(Manager *m);

/* Takes config (NULL: an implicit function whose image is still to be checked). */
int function_new(Manager *m, const char *name, FunctionConfig *config, ManagedFunction **ret);
ManagedFunction *function_free(ManagedFunction *f);
ManagedFunction *function_find(Manager *m, const char *name);
/* Whether f is function name or one of its published versions name:N. */
bool function_in_family(const ManagedFunction *f, const char *name);

/* An implicit function that an earlier lifetime ran, from its image (adoption): -ENOENT unless the image
 * carries our label for name. */
int function_new_implicit(Manager *m, const char *name, const DockerImage *image, ManagedFunction **ret);

/* The config of a function that had none (an implicit function's image checked, a zip function's code
 * prepared): the calls waiting for it go on. Takes config. */
void function_resolved(ManagedFunction *f, FunctionConfig *config);
/* It cannot be had: the waiting calls fail with error_name and message, and the function goes. */
void function_resolve_failed(ManagedFunction *f, const char *error_name, const char *message);

/* pc asks f's pool for an instance (or is refused, see below); the answer comes when the pool decides. */
void function_acquire(ManagedFunction *f, PendingCall *pc);

/* When calls to f fail at once (a zip function whose code or runtime cannot be used): answers pc with
 * the reason and says true. */
bool function_refuses(ManagedFunction *f, PendingCall *pc);

/* Frees removed functions with nothing left (the manager's gc_event handler). */
int function_gc(sd_event_source *s, void *userdata);
/* Runs function_gc() from the loop's top, never under a caller. */
void function_gc_later(Manager *m);

/* Finds the function for a call, or starts checking an implicit one (*ret = NULL: the call waits and
 * is answered once the image is checked). -ENOENT when there is no such function. */
int function_for_call(Manager *m, const char *name, PendingCall *pc, ManagedFunction **ret);
