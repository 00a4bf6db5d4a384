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
OwnerTrack *lease_owner_free(OwnerTrack *t);
