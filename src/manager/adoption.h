/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * adoption.h: a new lifetime takes over the instances that earlier ones left running, whether a planned
 * restart handed them over or a crash left them. A container labelled as ours from another lifetime,
 * on this manager's network, is adopted into its function's pool when its function is still declared,
 * its spec label (declaration, image, manager configuration) is what this lifetime would make, and it
 * answers /healthz (a paused one is adopted frozen: its thaw probes it). It comes back leased to the
 * holder the lease record names, if that holder is still on the bus, else idle. Every other container
 * of ours on the network is removed, concurrently. Calls that need or show the pools wait until that
 * is settled, at most ADOPTION_HOLD_USEC.
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "manager.h"

#define ADOPTION_HOLD_USEC (1 * USEC_PER_SEC)

/* Starts looking for instances to adopt (at start, and once the engine is back). */
int adoption_start(Manager *m);
void adoption_free(Manager *m);

/* Whether calls that need the pools must wait: then adoption_defer() them. */
bool adoption_holding(const Manager *m);
int adoption_defer(Manager *m, sd_bus_message *message);
