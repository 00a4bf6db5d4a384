/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * instance-socket.h: where an instance of a function with "network": "none" is invoked. Its container
 * has no network but loopback; lambda-rie listens on a unix socket (RIE_LISTEN_ENV) in a directory that
 * the engine binds into it from the manager's --instance-sockets-dir, and the gateway and the manager's
 * probes connect to that socket on the host (Acquire answers its path as the host, and port 0).
 *
 * lambda-rie (the container's uid) must create the socket there and the gateway (its own uid) connect
 * to it, while the manager cannot chown, and no other local user may put a socket of theirs there
 * first (the gateway would send it the payloads and the instance secret). So: the sockets directory is
 * the manager's, mode 0711 (not listable); each instance gets a directory in it with a random 128-bit
 * name, mode 01777 (sticky: nobody but its owner removes or replaces what is in it); before the
 * instance counts as ready, the manager checks that the socket is a socket (not followed) owned by the
 * container's uid, and then closes the directory (0711): from then on nobody, the function itself
 * included, can add, replace or remove anything in it. lambda-rie starts the function's bootstrap only
 * once the manager has probed it, after that check.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "docker-json.h"
#include "manager.h"

/* The socket's name in its directory (bound in the container at INSTANCE_SOCKET_MOUNT, docker-json.h). */
#define INSTANCE_SOCKET_NAME "invoke.sock"

/* A fresh directory for one instance's socket (the sockets directory made, 0711, when missing): its
 * path into *ret. -ENXIO without --instance-sockets-dir; -EPERM when the sockets directory is not a
 * directory of the manager's closed to others' writes. */
int instance_socket_dir_new(Manager *m, char **ret);

/* The socket's path in dir, into *ret. */
int instance_socket_path(const char *dir, char **ret);

/* The directory of the socket at path when it is one the manager makes: SOCKETS_DIR/32 hex digits/
 * INSTANCE_SOCKET_NAME, into *ret. -EINVAL when not. */
int instance_socket_dir_of(const Manager *m, const char *path, char **ret);

/* Whether the socket at path is lambda-rie's: a socket, not a link, owned by uid; then its directory is
 * closed (0711). 0, -ENOENT when there is nothing there yet, -EPERM when it is something else or
 * someone else's, or -errno. */
int instance_socket_check(const char *path, uid_t uid);

/* The uid lambda-rie runs as in a container of Config.User user: its numeric part ("UID" or "UID:GID").
 * -EINVAL for a user's name (which only the image knows). */
int instance_socket_uid(const char *user, uid_t *ret);

/* Removes dir and what is in it (best effort, said in the log). */
void instance_socket_dir_remove(const char *dir);

/* Removes the directories in the sockets directory that no instance of this manager uses: those of
 * containers of earlier lifetimes that were removed. */
void instance_socket_sweep(Manager *m);
