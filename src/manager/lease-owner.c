/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

        lease_owner_free(t);
        log_debug("Lease holder %s disconnected, ending its leases.", owner);
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (pool_owner_gone(&f->pool, owner, now_usec(CLOCK_MONOTONIC), &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "lease holder disconnected");
                pool_actions_done(&a);
        }
        return 0;
}

int lease_owner_track(Manager *m, sd_bus_message *message)
{
        const char *sender = sd_bus_message_get_sender(message);
        OwnerTrack *t;
        int r;

        if (!sender)
                return 0;
        for (t = m->tracks; t; t = t->next)
                if (strcmp(t->owner, sender) == 0)
                        return 0;

        t = calloc(1, sizeof(OwnerTrack));
        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->owner = strdup(sender);
        if (!t->owner) {
                free(t);
                return -ENOMEM;
        }
        r = sd_bus_track_new(m->bus, &t->track, on_owner_gone, t);
        if (r >= 0)
                r = sd_bus_track_add_sender(t->track, message);
        if (r < 0) {
                sd_bus_track_unref(t->track);
                free(t->owner);
                free(t);
                return r;
        }
        LIST_PREPEND(m->tracks, t);
        return 0;
}
