/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * instance-setup.h: what the engine must have before an instance's container is made: the OCI runtime
 * its function names (engine_runtime, checked against GET /info), and the network it goes on. A
 * function whose network is isolated, on a manager without --network, runs on the bridge network
 * ISOLATED_NETWORK_NAME, made on first use with inter-container communication off: its instances reach
 * the outside world, and the gateway (on the host) reaches them at their published port, but they
 * cannot open connections to each other.
 */

#include "instance.h"
#include "registry.h"

#define ISOLATED_NETWORK_NAME "lambdad-isolated"

/* The step of instance_start() after the engine's platform is known: checks the runtime and settles
 * i->network_mode, then goes on with instance_inspect_image(), or fails the instance saying why. */
void instance_setup(Instance *i);

/* The NetworkMode that an instance of c gets on this manager when its network is as intended (for the
 * spec of instances to adopt): ISOLATED_NETWORK_NAME, or NULL for the manager's own. */
const char *instance_network_intended(const Manager *m, const FunctionConfig *c);
