/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lease-owner.h: the bus names that hold leases. Each is watched (sd_bus_track); when one leaves the
 * bus, its leases end as unhealthy and its waiting calls are dropped, in every function's pool.
 */

#include <systemd/sd-bus.h>

#include "manager.h"

struct OwnerTrack {
        Manager *manager;
        char *owner;
        sd_bus_track *track;
        OwnerTrack *prev, *next;
};

/* Starts watching the sender of message, unless it is watched already. */
int lease_owner_track(Manager *m, sd_bus_message *message);
/* Starts watching the bus name owner (a lease holder of an earlier lifetime), unless it is watched
 * already. Asks the bus whether it is there: -ENXIO (or another error) when it is not. */
int lease_owner_track_name(Manager *m, const char *owner);
OwnerTrack *lease_owner_free(OwnerTrack *t);
