/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * pool.h: the instance pool of one function, as pure logic over a caller-supplied clock. It decides
 * which Acquire gets which instance, when a container must be started (never more than the
 * function's limit: concurrent cold calls are coalesced onto the starts in flight), when an idle
 * instance is stopped, and when a waiting caller gives up. It does no I/O: every decision comes
 * back as a PoolAction for the manager to carry out, so all of it is unit-tested with a fake clock.
 *
 * An instance idle for freeze_after is frozen (paused in the engine: it uses no CPU, its background
 * work stops, as in Lambda); a caller that finds no idle instance thaws a frozen one before anything is
 * started. A thaw covers a waiter as a start does; one that fails costs the caller nothing but time:
 * the instance is forgotten and the waiter served by another thaw or a start.
 *
 * Pools may share a PoolBudget: the memory limits of all their instances that are not stopping stay
 * within it. A start that does not fit is not made; if a waiter needed it, the budget is marked
 * starved, for the manager to stop the least recently used idle or frozen instances (of any pool,
 * pool_least_recent() and pool_evict()) and serve the waiters again (pool_serve()). What still does
 * not fit waits like any other at its limit, and fails at its deadline.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum InstanceState {
        INSTANCE_STARTING, /* container being created, started, or not answering yet */
        INSTANCE_IDLE,
        INSTANCE_LEASED,
        INSTANCE_FROZEN,  /* idle, paused in the engine */
        INSTANCE_THAWING, /* being unpaused for the oldest waiter */
        INSTANCE_STOPPING,
} InstanceState;

typedef struct PoolInstance PoolInstance;
struct PoolInstance {
        InstanceState state;
        uint64_t idle_since; /* IDLE and FROZEN: keep-alive and freezing count from here */
        char *owner;         /* the lease holder's bus name while LEASED */
        bool doomed;         /* stop instead of idling when released or ready (StopFunction) */
        void *userdata;      /* the manager's instance */
        PoolInstance *prev, *next;
};

typedef struct PoolWaiter PoolWaiter;
struct PoolWaiter {
        char *owner;
        uint64_t deadline;
        void *userdata; /* the manager's pending call */
        PoolWaiter *next;
};

typedef struct PoolLimits {
        unsigned min_instances;
        unsigned spare_instances; /* started and unused instances kept beyond demand */
        unsigned max_instances;
        uint64_t idle_timeout_usec; /* idle instances above min_instances stop after this */
        uint64_t freeze_after_usec; /* idle instances freeze after this; 0: never */
        uint64_t memory_bytes;      /* of each instance, against the budget */
        uint64_t wait_timeout_usec; /* how long an Acquire waits for an instance at the limit */
        unsigned max_waiters;       /* queued Acquires; past it callers are refused at once */
} PoolLimits;

typedef enum PoolActionType {
        POOL_ACTION_START,  /* start a container for .instance */
        POOL_ACTION_STOP,   /* stop and remove .instance's container, then call pool_instance_gone() */
        POOL_ACTION_FREEZE, /* pause .instance's container (it is FROZEN already) */
        POOL_ACTION_THAW,  /* unpause .instance's container, then pool_instance_thawed() or _thaw_failed() */
        POOL_ACTION_GRANT, /* answer .waiter with .instance, now leased to it (.thawed: it was frozen) */
        POOL_ACTION_FAIL,  /* answer .waiter with the error .error (-EBUSY: limit, -EIO: start failed) */
} PoolActionType;

typedef struct PoolAction {
        PoolActionType type;
        PoolInstance *instance;
        void *waiter; /* the PoolWaiter's userdata */
        int error;
        bool thawed;
} PoolAction;

/* What one call decided, in order. Calls reserve room before they change anything, so a call that
 * fails with -ENOMEM changed nothing. */
typedef struct PoolActions {
        PoolAction *a;
        size_t n, cap;
} PoolActions;

void pool_actions_done(PoolActions *out);

typedef struct PoolBudget {
        uint64_t limit; /* bytes; 0: unbounded */
        uint64_t used;  /* memory_bytes of every instance of the pools sharing it, stopping ones aside */
        bool starved;   /* a start that a waiter needed did not fit */
} PoolBudget;

typedef struct Pool {
        PoolLimits limits;
        PoolBudget *budget; /* NULL: none */
        PoolInstance *instances;
        unsigned n_instances; /* all states: what counts against max_instances */
        PoolWaiter *waiters, *waiters_tail;
        unsigned n_waiters;
} Pool;

void pool_init(Pool *p, const PoolLimits *limits);
/* Frees instances and waiters without producing actions; their userdata are the caller's. */
void pool_done(Pool *p);

/*
 * An Acquire from owner. Produces GRANT (an idle instance), or queues the caller and possibly a
 * START, or FAIL with -EBUSY when the queue is full. -ENOMEM on allocation failure.
 */
int pool_acquire(Pool *p, const char *owner, void *waiter, uint64_t now, PoolActions *out);

/* The container of a STARTING instance answers: grant it to the oldest waiter, or keep it idle. */
int pool_instance_ready(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out);

/* A THAW succeeded: the instance goes to the oldest waiter, or idles. */
int pool_instance_thawed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out);

/* A THAW failed (the container died while frozen): the instance is forgotten (the caller removes its
 * container), and its waiter served by another thaw or a start, never failed for it. */
int pool_instance_thaw_failed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out);

/* A START failed (the instance is gone): waiters that nothing else will serve are failed (-EIO). */
int pool_instance_failed(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out);

/* The lease ends. Unhealthy instances are stopped; healthy ones go to a waiter or idle. */
int pool_release(Pool *p, PoolInstance *i, bool healthy, uint64_t now, PoolActions *out);

/* The instance's container died or was removed: forget it, and start a replacement if waiters or
 * min_instances need one. */
int pool_instance_gone(Pool *p, PoolInstance *i, uint64_t now, PoolActions *out);

/* A bus name vanished: its leases end as unhealthy (an invocation may still run in them), its
 * waiting calls are dropped without an answer. Returns how many leases ended, or -ENOMEM. */
int pool_owner_gone(Pool *p, const char *owner, uint64_t now, PoolActions *out);

/* Time passes: waiters past their deadline fail (-EBUSY), except the oldest ones that the starts and
 * thaws in flight will serve (they learn the outcome of their start); idle instances past freeze_after
 * freeze; idle and frozen instances past their keep-alive stop (down to min_instances, and never below
 * spare_instances unused ones), and instances are started up to min_instances and spare_instances
 * unused (within max_instances): a scale-out that took a spare is refilled. */
int pool_tick(Pool *p, uint64_t now, PoolActions *out);

/* An instance that an earlier lifetime left running joins the pool in state: IDLE, FROZEN, or LEASED to
 * owner (it held the lease in the earlier lifetime). -EBUSY when it does not fit the limit or the memory
 * budget (the caller removes its container), -EINVAL for another state, -ENOMEM. */
int pool_adopt(Pool *p, InstanceState state, const char *owner, uint64_t now, PoolInstance **ret);

/* A lease holder of an earlier lifetime names an instance that no record gave it: an idle one becomes
 * its lease. -EBUSY when the instance is not idle. */
int pool_reclaim(Pool *p, PoolInstance *i, const char *owner);

/* Starts instances so that count more callers would find one warm (Prewarm), within the limit.
 * Returns how many starts it produced. */
int pool_prewarm(Pool *p, unsigned count, PoolActions *out);

/* Starts or thaws for the waiters that nothing serves yet, if that fits now (after an eviction). */
int pool_serve(Pool *p, PoolActions *out);

/* The idle or frozen instance unused the longest, or NULL. */
PoolInstance *pool_least_recent(const Pool *p);

/* Stops an idle or frozen instance to make room in the budget (STOP). */
int pool_evict(Pool *p, PoolInstance *i, PoolActions *out);

/* Stops the idle and frozen instances that lowered limits no longer keep (above min_instances and
 * beyond the spares) at once, without waiting for their keep-alive (STOP). */
int pool_trim(Pool *p, PoolActions *out);

/* Stops every instance that is not leased; leased, starting and thawing ones stop when released or ready.
 * Fails all waiters (-ECANCELED). */
int pool_stop_all(Pool *p, PoolActions *out);

/* When pool_tick() next has something to do (a deadline or a keep-alive end); UINT64_MAX if never. */
uint64_t pool_next_deadline(const Pool *p);

unsigned pool_count(const Pool *p, InstanceState state);

/* The concurrent executions of p as a reserved concurrency counts them: leases held and Acquires queued. */
unsigned pool_in_use(const Pool *p);

/* Whether an Acquire of a pool that shares a reserved concurrency of cap with other pools (a function
 * and its published versions) is refused at once: cap 0 refuses every one; otherwise when the executions
 * in use (pool_in_use()), own of this pool and others of the rest, reach cap and some are the others'.
 * A pool alone at cap queues its caller as at its own max_instances (which is cap). */
bool pool_shared_refuses(unsigned cap, unsigned own, unsigned others);

const char *instance_state_to_string(InstanceState s);
