/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * instance-setup.h: what the engine must have before an instance's container is made: the OCI runtime
 * its function names (engine_runtime, checked against GET /info), and the network it goes on.
 *
 * On a manager without --network, an isolated function's instances must not open connections to each
 * other; they reach the outside world, and the gateway (on the host) reaches them at their published
 * port, which ICC does not cover. Where the engine's default bridge has inter-container communication
 * off (dockerd --icc=false, asked once: GET /networks/bridge), they run on it; elsewhere on the bridge
 * network ISOLATED_NETWORK_NAME, made on first use with ICC off. A network of the manager's own costs
 * every cold start the engine's embedded DNS resolver, which containers on the default bridge do without,
 * so the default bridge is the cheap way. Shared functions run on the default bridge where its containers
 * reach each other, else on SHARED_NETWORK_NAME, made on first use with ICC on.
 *
 * On --network (compose, Swarm) the gateway reaches instances at their address on a network, so a
 * bridge without ICC would cut it off too: with a gateway container to join (compose), an isolated
 * function gets a bridge of its own that the gateway joins. Without one (Swarm, where joining a task's
 * container to a local bridge moves its default route and its published port), its instances run on
 * ISOLATED_NETWORK_NAME of their node's engine and are invoked at a socket in the sockets directory,
 * as those of "network": "none" are.
 */

#include <string.h>

#include "instance.h"
#include "registry.h"

#define ISOLATED_NETWORK_NAME "lambdad-isolated"
#define SHARED_NETWORK_NAME   "lambdad-shared"
#define DEFAULT_BRIDGE_NAME   "bridge"
/* The engine's NetworkMode of a container with loopback only ("network": "none", instance-socket.h). */
#define NONE_NETWORK_NAME "none"
/* On --network, an isolated function's own network: see FUNCTION_NETWORK_INFIX (docker-json.h). */

static inline bool network_is_none(const char *network_mode)
{
        return network_mode && strcmp(network_mode, NONE_NETWORK_NAME) == 0;
}

/* Whether an instance attached as network_mode is invoked at a socket in the manager's sockets directory
 * (instance-socket.h) rather than at an address: "network": "none", and on --network without a gateway
 * to join to a function's network (Swarm) an isolated function's, on ISOLATED_NETWORK_NAME. */
static inline bool network_via_socket(const Manager *m, const char *network_mode)
{
        return network_is_none(network_mode) ||
               (m->network && network_mode && strcmp(network_mode, ISOLATED_NETWORK_NAME) == 0);
}

/* The step of instance_start() after the engine's platform is known: checks the runtime and settles
 * i->network_mode, then goes on with instance_inspect_image(), or fails the instance saying why. */
void instance_setup(Instance *i);

/* The NetworkMode that an instance of c gets on this manager when its network is as intended (for the
 * spec of instances to adopt): DEFAULT_BRIDGE_NAME, ISOLATED_NETWORK_NAME, SHARED_NETWORK_NAME,
 * NONE_NETWORK_NAME, or NULL for the manager's own (--network, or the engine's default); on --network,
 * ISOLATED_NETWORK_NAME for an isolated function when there is no gateway container to join (Swarm). */
const char *instance_network_intended(const Manager *m, const FunctionConfig *c);

/* On --network with a gateway to join to it: 1 and the name of c's own network when c is isolated, else 0
 * and NULL; -ENOMEM. */
int instance_function_network(const Manager *m, const FunctionConfig *c, char **ret);

/* The gateway's container (id) has started: joins it to the networks of isolated functions of this
 * deployment that exist (a re-created gateway is on none of them). */
void instance_setup_gateway_started(Manager *m, const char *id);

/* Takes the engine's answer to GET /networks/bridge into m->default_bridge_isolating (left 0 when the
 * engine did not answer). */
void instance_setup_bridge_learned(Manager *m, int error, long status, const char *body, size_t len);
