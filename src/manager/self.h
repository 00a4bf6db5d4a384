/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * self.h: what lambda-manager checks about its own surroundings at start when it runs in a container
 * (docker-compose, Swarm): whether the engine socket is usable by this process, which network its own
 * container is on (instances join that network and are reached at their address there), and which
 * volume holds the lambda-rie it lends to images without one.
 */

#include <systemd/sd-event.h>

#include "docker.h"

/*
 * 0 when path is a socket this process may read and write. Otherwise negative errno and *ret_message
 * (malloc'd) says what is wrong in words an operator can act on: the socket is missing, is not a
 * socket, or needs a group this process lacks (naming the group). Fails with -ENOMEM alone.
 */
int self_check_engine_socket(const char *path, char **ret_message);

/*
 * Of a container's networks, the one that is not the engine's own ("bridge", "host", "none",
 * "ingress": a container only there is in no deployment with a network of its own). -ENONET when
 * there is none, -ENOTUNIQ when there are several, with *ret_message (malloc'd) saying so; -ENOMEM.
 */
int self_pick_network(char *const *networks, char **ret_network, char **ret_message);

/*
 * The one network of the container this process runs in, asked of the engine (the container is found
 * by the host name, which the engine sets to the container's id). Runs the event loop until the engine
 * answers; also this container's id, and its compose project (NULL when it is none's). Negative errno
 * with *ret_message (malloc'd) when the engine does not know this container, or the container is on no
 * network or on several.
 */
int self_network(DockerClient *d, sd_event *event, char **ret_network, char **ret_self, char **ret_project,
                 char **ret_message);

/*
 * The name of the volume mounted at destination in the container this process runs in (found as for
 * self_network()). Negative errno with *ret_message (malloc'd) when none is mounted there.
 */
int self_volume_at(DockerClient *d, sd_event *event, const char *destination, char **ret_volume,
                   char **ret_message);
