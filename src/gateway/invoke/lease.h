/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lease.h: the instances the gateway holds, per function. A lease on an instance (from the manager's
 * Acquire) is kept while it is warm and reused by the next invocation, with one kept-alive upstream
 * connection; invocations that find none free wait in the function's queue, in order, for a lease
 * that comes back or one the manager grants. Leases unused for --lease-idle go back to the manager.
 * Across a restart of the manager, the leases its next lifetime keeps (manager-client.h's Reclaim)
 * serve on; the others are forgotten: dropped without a word to the manager, which does not know them.
 */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "lambda-contract.h"
#include "gateway.h"
#include "instance-secret.h"
#include "upstream.h"

typedef struct Lease Lease;

struct Lease {
        GatewayFunction *function;
        char *id;
        char secret[INSTANCE_SECRET_SIZE]; /* sent with each request to the instance; "": none */
        Upstream *upstream;
        Buf request; /* the head of the request in flight, its memory kept for the next */
        bool busy;
        uint64_t idle_since; /* UINT64_MAX: forgotten while busy, dropped when its invocation ends */
        bool let_go;         /* forgotten at the manager's word: given back when its invocation ends */
        Lease *prev, *next;
};

struct GatewayFunction {
        Gateway *gateway;
        char name[LAMBDA_FUNCTION_REF_MAX + 1];
        Lease *leases;
        Invocation *waiting, *waiting_tail;
        unsigned n_waiting;
        unsigned acquiring; /* Acquire calls in flight */
        unsigned n_invocations;
        GatewayFunction *prev, *next;
};

/* The function of this name, made on first use. NULL on ENOMEM. */
GatewayFunction *gateway_function_get(Gateway *g, const char *name);
/* The function of this name if the gateway knows it, else NULL. */
GatewayFunction *gateway_function_find(const Gateway *g, const char *name);
/* Whether f holds a lease that can serve again (a forgotten one cannot). */
bool function_holds_leases(const GatewayFunction *f);
/* Forgets the function once nothing refers to it (clients may name any number of functions). */
void gateway_function_gc(GatewayFunction *f);
void gateway_function_free_all(Gateway *g);

/* A lease the manager granted on the instance at host:port, which wants secret (NULL or "": a manager
 * that gave none) with each request. -EINVAL for a secret that is not one. */
int lease_new(GatewayFunction *f, const char *id, const char *host, uint16_t port, const char *secret,
              Lease **ret);
/* Gives the lease back to the manager and forgets it. */
void lease_release(Lease *l, bool healthy);
/* After an invocation: the lease goes to the next waiting invocation, idles, goes back to the
 * manager (unhealthy, draining), or is dropped (forgotten). */
void lease_done(Lease *l, bool healthy);
/* The manager's lifetime or the bus connection ended (id NULL): leases pointing there are worthless. A
 * busy one is dropped when its invocation ends. */
void leases_forget(Gateway *g, const char *id);
/* The manager asks for instance id back (InstanceStopped: it stops, or its function changed): no new
 * invocation goes there; it is released at once, or when its invocation ends. */
void leases_let_go(Gateway *g, const char *id);
/* A next lifetime of the manager answered Reclaim: the leases it kept serve on, the rest are
 * forgotten. A kept id no longer held (its lease ended while the manager decided) goes back. */
void leases_keep_only(Gateway *g, char *const *kept);
/* The ids of the leases held (not forgotten ones), NULL when none: what Reclaim names. */
int leases_ids(const Gateway *g, char ***ret);
/* How many leases are held (not counting forgotten ones still in use). */
unsigned leases_count(const Gateway *g);
/* Gives back the leases not in use of name's function, its $LATEST and versions alike: the manager
 * counts them against the function's reserved concurrency. How many went back. */
unsigned leases_release_idle_of(Gateway *g, const char *name);
/* Gives back every lease not in use (exit). */
void leases_release_idle(Gateway *g);

/* Queues an invocation for an instance: a free lease at once, else the function's queue (which asks
 * the manager for one). */
void function_queue(Invocation *inv);
void function_unqueue(Invocation *inv);
Invocation *function_pop_waiting(GatewayFunction *f);

/* Timers: leases past their keep-alive go back, invocations waiting too long at the limit get 429.
 * Returns the next deadline (UINT64_MAX: none). */
uint64_t leases_tick(Gateway *g, uint64_t now);
uint64_t leases_next_deadline(const Gateway *g);
