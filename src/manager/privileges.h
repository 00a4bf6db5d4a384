/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * privileges.h: lambda-manager started as root in a container (docker-compose, Swarm) only to join
 * the engine socket's group, whose number nobody knows before the container starts: --user makes it
 * the unprivileged user with that group before it does anything else, for good.
 */

#include <stdbool.h>
#include <sys/types.h>

#define GID_INVALID ((gid_t) -1)

/*
 * Parses --user: "NAME" (looked up in the passwd database: its uid and primary group) or "UID:GID"
 * (numbers). Root (uid or gid 0) is refused with -EPERM, anything else malformed with -EINVAL, an
 * unknown NAME with -ESRCH.
 */
int privileges_parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid);

/*
 * Parses --engine-group: a group number, or "auto" (GID_INVALID: the socket's own). -EINVAL.
 */
int privileges_parse_group(const char *s, gid_t *ret_gid);

/*
 * When this process runs as root: becomes uid:gid (uid and gid not 0) with engine_gid as its one
 * supplementary group, or, when that is GID_INVALID, the group of the socket at socket_path (none
 * when nothing is there: self_check_engine_socket() says why later), then checks that root cannot
 * be regained. On the way, while still root, claim_dir (NULL: none) is given to gid, mode 0775,
 * if it is an empty directory owned by root: what the engine makes of a bind mount whose host path
 * was missing (the code store), which uid could not write otherwise; likewise own_dir (NULL: none)
 * is given to uid:gid, mode 0711 (the sockets directory, which must be uid's own; this needs
 * CAP_CHOWN). Not root: nothing to do.
 * Returns 1 when it dropped root, 0 when not root; negative errno with *ret_message (malloc'd) saying
 * what failed. The process must exit then: it may be half-way.
 */
int privileges_drop(uid_t uid, gid_t gid, gid_t engine_gid, const char *socket_path, const char *claim_dir,
                    const char *own_dir, char **ret_message);
