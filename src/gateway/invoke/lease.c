/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invocation.h"
#include "lease.h"
#include "list.h"
#include "log.h"
#include "manager-client.h"
#include "strv.h"
#include "trace.h"

GatewayFunction *gateway_function_find(const Gateway *g, const char *name)
{
        for (GatewayFunction *f = g->functions; f; f = f->next)
                if (strcmp(f->name, name) == 0)
                        return f;
        return NULL;
}

GatewayFunction *gateway_function_get(Gateway *g, const char *name)
{
        GatewayFunction *f = gateway_function_find(g, name);

        if (f)
                return f;
        f = calloc(1, sizeof(GatewayFunction));
        if (!f)
                return NULL;
        f->gateway = g;
        (void) snprintf(f->name, sizeof(f->name), "%s", name);
        LIST_PREPEND(g->functions, f);
        return f;
}

void gateway_function_gc(GatewayFunction *f)
{
        if (f->leases || f->waiting || f->acquiring > 0 || f->n_invocations > 0)
                return;
        LIST_REMOVE(f->gateway->functions, f);
        free(f);
}

static void lease_free(Lease *l)
{
        if (!l)
                return;
        LIST_REMOVE(l->function->leases, l);
        upstream_free(l->upstream);
        /* The head of the last request holds the secret too. */
        if (l->request.data)
                explicit_bzero(l->request.data, l->request.len);
        buf_done(&l->request);
        free(l->id);
        explicit_bzero(l->secret, sizeof(l->secret));
        free(l);
}

void gateway_function_free_all(Gateway *g)
{
        while (g->functions) {
                GatewayFunction *f = g->functions;

                while (f->leases)
                        lease_free(f->leases);
                LIST_REMOVE(g->functions, f);
                free(f);
        }
}

int lease_new(GatewayFunction *f, const char *id, const char *host, uint16_t port, const char *secret,
              Lease **ret)
{
        Lease *l;
        int r;

        if (secret && secret[0] && !instance_secret_is_valid(secret))
                return -EINVAL;
        l = calloc(1, sizeof(Lease));
        if (!l)
                return -ENOMEM;
        if (secret)
                memcpy(l->secret, secret, strlen(secret) + 1);
        l->function = f;
        l->id = strdup(id);
        if (!l->id) {
                free(l);
                return -ENOMEM;
        }
        r = upstream_new(&l->upstream, f->gateway->event, host, port);
        if (r < 0) {
                free(l->id);
                free(l);
                return r;
        }
        LIST_PREPEND(f->leases, l);
        *ret = l;
        return 0;
}

void lease_release(Lease *l, bool healthy)
{
        manager_release(l->function->gateway, l->id, healthy);
        lease_free(l);
}

static bool lease_forgotten(const Lease *l)
{
        return l->idle_since == UINT64_MAX;
}

bool function_holds_leases(const GatewayFunction *f)
{
        for (Lease *l = f->leases; l; l = l->next)
                if (!lease_forgotten(l))
                        return true;
        return false;
}

/* Forgets the lease with this id (id NULL: every lease), except those named in keep; release: giving
 * it back to the manager (at once, or when its invocation ends). */
static void forget(Gateway *g, const char *id, char *const *keep, bool release)
{
        for (GatewayFunction *f = g->functions, *fnext; f; f = fnext) {
                fnext = f->next;
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if ((id && strcmp(l->id, id) != 0) || strv_contains(keep, l->id))
                                continue;
                        if (!l->busy && release)
                                lease_release(l, true);
                        else if (!l->busy)
                                lease_free(l);
                        else {
                                l->idle_since = UINT64_MAX; /* dropped when its invocation ends */
                                l->let_go = release;
                        }
                }
                gateway_function_gc(f);
        }
}

void leases_forget(Gateway *g, const char *id)
{
        forget(g, id, NULL, false);
}

void leases_let_go(Gateway *g, const char *id)
{
        forget(g, id, NULL, true);
}

static const Lease *lease_find(const Gateway *g, const char *id)
{
        for (GatewayFunction *f = g->functions; f; f = f->next)
                for (Lease *l = f->leases; l; l = l->next)
                        if (!lease_forgotten(l) && strcmp(l->id, id) == 0)
                                return l;
        return NULL;
}

void leases_keep_only(Gateway *g, char *const *kept)
{
        /* Released while the call was out: the manager may have taken the Release before it adopted
         * the instance, and leased it to us after all. */
        for (char *const *id = kept; id && *id; id++)
                if (!lease_find(g, *id))
                        manager_release(g, *id, true);
        /* An empty list is no list: nothing was kept. */
        forget(g, NULL, kept ?: (char *[]){ NULL }, false);
}

int leases_ids(const Gateway *g, char ***ret)
{
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        for (GatewayFunction *f = g->functions; f; f = f->next)
                for (Lease *l = f->leases; l; l = l->next) {
                        if (lease_forgotten(l))
                                continue;
                        r = strv_extend(&ids, l->id);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(ids);
        return 0;
}

unsigned leases_count(const Gateway *g)
{
        unsigned n = 0;

        for (GatewayFunction *f = g->functions; f; f = f->next)
                for (Lease *l = f->leases; l; l = l->next)
                        n += !lease_forgotten(l);
        return n;
}

void leases_release_idle(Gateway *g)
{
        for (GatewayFunction *f = g->functions; f; f = f->next)
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy)
                                lease_release(l, true);
                }
        if (g->bus)
                (void) sd_bus_flush(g->bus);
}

/* Whether function names a and b are one function's ($LATEST NAME, its versions NAME:N). */
static bool same_function(const char *a, const char *b)
{
        size_t na = strcspn(a, ":"), nb = strcspn(b, ":");

        return na == nb && memcmp(a, b, na) == 0;
}

unsigned leases_release_idle_of(Gateway *g, const char *name)
{
        unsigned n = 0;

        for (GatewayFunction *f = g->functions; f; f = f->next) {
                if (!same_function(f->name, name))
                        continue;
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy && !lease_forgotten(l)) {
                                lease_release(l, true);
                                n++;
                        }
                }
        }
        return n;
}

static void lease_take(Lease *l, Invocation *inv)
{
        l->busy = true;
        invocation_start(inv, l);
}

void lease_done(Lease *l, bool healthy)
{
        GatewayFunction *f = l->function;
        Gateway *g = f->gateway;
        Invocation *next;

        l->busy = false;
        if (lease_forgotten(l)) {
                /* The manager asked for it back (InstanceStopped), or does not know it (it was not
                 * kept, or was leased on a bus connection that ended): nothing to give back. */
                if (l->let_go)
                        lease_release(l, healthy);
                else
                        lease_free(l);
                manager_pump(f);
                return;
        }
        if (!healthy || g->draining) {
                lease_release(l, healthy);
                manager_pump(f);
                return;
        }
        next = function_pop_waiting(f);
        if (next)
                return lease_take(l, next);
        /* Only a change of state re-arms the keep-alive timer: a lease that was already the next to
         * expire keeps the timer as it is. */
        l->idle_since = now_usec(CLOCK_MONOTONIC);
        gateway_update_timers(g);
}

void function_queue(Invocation *inv)
{
        GatewayFunction *f = inv->function;

        inv->deadline = now_usec(CLOCK_MONOTONIC) + inv->gateway->config.queue_timeout_usec;
        for (Lease *l = f->leases; l; l = l->next)
                if (!l->busy && l->idle_since != UINT64_MAX) {
                        if (trace_on() && inv->client)
                                inv->client->trace.flags |= TRACE_LEASE_KEPT;
                        return lease_take(l, inv);
                }

        if (f->waiting_tail)
                f->waiting_tail->wnext = inv;
        else
                f->waiting = inv;
        f->waiting_tail = inv;
        f->n_waiting++;
        manager_pump(f);
}

void function_unqueue(Invocation *inv)
{
        GatewayFunction *f = inv->function;
        Invocation *prev = NULL;

        for (Invocation *w = f->waiting; w; prev = w, w = w->wnext)
                if (w == inv) {
                        if (prev)
                                prev->wnext = w->wnext;
                        else
                                f->waiting = w->wnext;
                        if (f->waiting_tail == w)
                                f->waiting_tail = prev;
                        f->n_waiting--;
                        w->wnext = NULL;
                        return;
                }
}

Invocation *function_pop_waiting(GatewayFunction *f)
{
        Invocation *inv = f->waiting;

        if (!inv)
                return NULL;
        f->waiting = inv->wnext;
        if (!f->waiting)
                f->waiting_tail = NULL;
        f->n_waiting--;
        inv->wnext = NULL;
        return inv;
}

uint64_t leases_tick(Gateway *g, uint64_t now)
{
        /* Invocations that waited too long for one of our instances at the limit: throttled, as
         * Lambda does (or, while the manager is away, told to come back). */
        for (GatewayFunction *f = g->functions; f; f = f->next)
                for (Invocation *inv = f->waiting, *next; inv; inv = next) {
                        next = inv->wnext;
                        if (inv->deadline > now || f->acquiring >= f->n_waiting)
                                continue;
                        function_unqueue(inv);
                        if (!g->manager_known)
                                /* It waited for our instances while the manager was away: what
                                 * it would have been told at once, had we held none. */
                                invocation_fail(inv, 503, "ServiceException",
                                                "The function manager is not available; retry shortly.",
                                                NULL);
                        else
                                invocation_fail(inv, 429, "TooManyRequestsException",
                                                "Rate exceeded: the function is at its concurrency limit.",
                                                "ConcurrentInvocationLimitExceeded");
                        /* The list changed (and the function may be gone): the next tick. */
                        return now;
                }

        for (GatewayFunction *f = g->functions, *fnext; f; f = fnext) {
                fnext = f->next;
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy && l->idle_since + g->config.lease_idle_usec <= now)
                                lease_release(l, true);
                }
                gateway_function_gc(f);
        }
        return leases_next_deadline(g);
}

uint64_t leases_next_deadline(const Gateway *g)
{
        uint64_t next = UINT64_MAX;

        for (GatewayFunction *f = g->functions; f; f = f->next) {
                for (Lease *l = f->leases; l; l = l->next)
                        if (!l->busy && l->idle_since != UINT64_MAX)
                                next = MIN(next, l->idle_since + g->config.lease_idle_usec);
                /* Invocations whose Acquire already failed wait for our own instances, not forever. */
                if (f->acquiring < f->n_waiting)
                        for (Invocation *inv = f->waiting; inv; inv = inv->wnext)
                                next = MIN(next, inv->deadline);
        }
        return next;
}
