/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * file-util.h: files written whole or not at all, the way every durable file of lambdad is written: a
 * temporary in the same directory, written and fsync'd, renamed over the name, and the directory
 * fsync'd so that the rename itself survives a crash. The gateway's Event queue writes its events
 * so (in batches, event-writer.h), the manager the functions of the control-plane API.
 */

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* The temporary of name: ".NAME.tmp" (hidden, so that directory readers skip it). */
void temporary_name(const char *name, char tmp[static PATH_MAX]);

/* The temporary, written and fsync'd: nothing of it is visible under name yet. Removed on failure. */
int write_temporary(int dir_fd, const char *tmp, const char *data, size_t len, mode_t mode);

/* Renames tmp over name (removing tmp on failure); the directory is not fsync'd. */
int rename_temporary(int dir_fd, const char *tmp, const char *name);

/* name in dir_fd, whole or not at all, now: a temporary file written and fsync'd, renamed over, and
 * the directory fsync'd, so that the rename itself survives a crash. Blocks on the disk. */
int write_atomic(int dir_fd, const char *name, const char *data, size_t len, mode_t mode);
