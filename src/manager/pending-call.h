/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * pending-call.h: a method call (Acquire, EnsureContainer) that waits for an instance, holding its
 * message until the pool grants it an instance or fails it (or GetFunctionConfiguration, until its
 * function is known); the reply it then gets, in the bus's
 * error names (org.lambdad.Error.*), is written here and nowhere else.
 */

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "macro.h"
#include "manager.h"
#include "pool.h"
#include "registry.h"

typedef enum CallKind {
        CALL_ACQUIRE,
        CALL_ENSURE,
        CALL_CONFIGURATION, /* GetFunctionConfiguration, waiting for an implicit function's image */
} CallKind;

typedef struct PendingCall PendingCall;
struct PendingCall {
        Manager *manager;
        ManagedFunction *function;
        sd_bus_message *message;
        CallKind kind;
        uint64_t since;    /* CLOCK_MONOTONIC when the call came */
        PendingCall *next; /* while the function's image or code is being readied, or it is replaced */
};

int pending_new(Manager *m, ManagedFunction *f, sd_bus_message *message, CallKind kind, PendingCall **ret);
void pending_free(PendingCall *pc);

/* Answers with the error name and frees the call. */
void pending_reply_error(PendingCall *pc, const char *name, const char *format, ...) _printf_(3, 4);

/* GetFunctionConfiguration's function is known now: answer with its settings. */
void pending_reply_configuration(PendingCall *pc, ManagedFunction *f);

/* The pool granted slot (now leased to the caller; thawed: it was frozen): answer it; EnsureContainer
 * gives it back at once. */
void pending_grant(Manager *m, PendingCall *pc, PoolInstance *slot, bool thawed);

/* The pool failed the call with error (-EBUSY, -EIO, -ECONNRESET, -ECANCELED): answer it. */
void pending_fail(Manager *m, PendingCall *pc, int error);

/* The calls that waited for a function whose declaration changed (a pool's FAIL with -EAGAIN) go to
 * the function now declared under its name. */
void pending_requeued(Manager *m);
/* At exit: they fail. */
void pending_drop_requeued(Manager *m);
