/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handover.h"
#include "lease-owner.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "util.h"

OwnerTrack *lease_owner_free(OwnerTrack *t)
{
        Manager *m;

        if (!t)
                return NULL;
        m = t->manager;
        LIST_REMOVE(m->tracks, t);
        sd_bus_track_unref(t->track);
        free(t->owner);
        free(t);
        return NULL;
}

static int on_owner_gone(sd_bus_track *track, void *userdata)
{
        OwnerTrack *t = userdata;
        Manager *m = t->manager;
        _cleanup_free_ char *owner = TAKE_PTR(t->owner);
        unsigned n_ended = 0;

        lease_owner_free(t);
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};
                int r;

                next = f->next;
                r = pool_owner_gone(&f->pool, owner, now_usec(CLOCK_MONOTONIC), &a);
                if (r < 0)
                        log_oom();
                else
                        n_ended += (unsigned) r;
                manager_apply(m, f, &a, "lease holder disconnected");
                pool_actions_done(&a);
        }
        /* A holder that gave its leases back first (a gateway that drains) ends none: nothing to say. */
        if (n_ended > 0)
                log_info("Lease holder %s left the bus holding %u lease(s): their instances are removed "
                         "(an invocation may have been running in them).",
                         owner, n_ended);
        else
                log_debug("Lease holder %s disconnected holding no lease.", owner);
        handover_holder_left(m);
        return 0;
}

/* Watches owner with add (the sender of a message, or a name), unless it is watched already. */
static int track(Manager *m, const char *owner, int (*add)(sd_bus_track *t, const void *what),
                 const void *what)
{
        OwnerTrack *t;
        int r;

        for (t = m->tracks; t; t = t->next)
                if (strcmp(t->owner, owner) == 0)
                        return 0;

        t = calloc(1, sizeof(OwnerTrack));
        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->owner = strdup(owner);
        if (!t->owner) {
                free(t);
                return -ENOMEM;
        }
        r = sd_bus_track_new(m->bus, &t->track, on_owner_gone, t);
        if (r >= 0)
                r = add(t->track, what);
        if (r < 0) {
                sd_bus_track_unref(t->track);
                free(t->owner);
                free(t);
                return r;
        }
        LIST_PREPEND(m->tracks, t);
        return 0;
}

static int add_sender(sd_bus_track *t, const void *message)
{
        return sd_bus_track_add_sender(t, (sd_bus_message *) message);
}

static int add_name(sd_bus_track *t, const void *name)
{
        return sd_bus_track_add_name(t, name);
}

int lease_owner_track(Manager *m, sd_bus_message *message)
{
        const char *sender = sd_bus_message_get_sender(message);

        if (!sender)
                return 0;
        return track(m, sender, add_sender, message);
}

int lease_owner_track_name(Manager *m, const char *owner)
{
        return track(m, owner, add_name, owner);
}
