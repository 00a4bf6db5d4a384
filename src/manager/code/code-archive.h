/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-archive.h: the rules a zip-packaged function's code must follow before any of it reaches the
 * disk: AWS's size limits, and which entries of a zip (or of a code directory) may be unpacked and
 * where. Pure functions, no I/O, so they can be tested and fuzzed; code-store.h applies them.
 */

#include <stdint.h>
#include <sys/types.h>

#include "lambda-contract.h"

/* AWS's limits: the zip as uploaded, and code and all layers together once unpacked. */
#define CODE_ZIPPED_MAX   LAMBDA_ZIP_UPLOAD_MAX
#define CODE_UNPACKED_MAX (UINT64_C(250) * 1024 * 1024)
#define CODE_LAYERS_MAX   5U

/* lambdad's own limits on a path inside the code, so that every path of a tree fits in PATH_MAX
 * under the store and a walk of the tree holds a bounded number of directory fds. */
#define CODE_PATH_MAX  1024U /* bytes */
#define CODE_DEPTH_MAX 128U  /* components */

/*
 * Whether an entry of the code may be unpacked: path as the archive names it, type its S_IFMT bits,
 * link_target the target of a symbolic link (NULL otherwise). Refused, with -EINVAL and a message
 * naming the entry in *ret_error: an empty path, an absolute one, a ".." component, control
 * characters, more than CODE_PATH_MAX bytes or CODE_DEPTH_MAX components, a component longer than
 * NAME_MAX; devices, fifos, sockets and unknown types; hard links (any non-symlink type that comes
 * with a link_target: zip has none, and refusing them is simpler than proving where they lead);
 * symbolic links whose target is empty or absolute, or leaves the tree. A target may use ".." only
 * as its leading components and no more of them than the link's own directory is deep: those walk
 * up through real directories only (the store never writes through a link), and what follows only
 * descends, through directories or links that obey the same rule, so no chain of links can leave
 * the tree. Paths that name the top itself ("." or "./") are fine for a directory only.
 */
int code_entry_check(const char *path, mode_t type, const char *link_target, char **ret_error);

/* path with "." components and empty ones ("a//b", a trailing "/") dropped: "./a//b/" is "a/b"; the
 * top itself is "". For paths code_entry_check() accepted; -EINVAL for any other, -ENOMEM. */
int code_path_normalize(const char *path, char **ret);

/* s in double quotes for a message, anything but printable ASCII escaped as \xNN (so a name cannot
 * forge log lines), cut with "..." past about 100 bytes. Returns buf. */
#define CODE_QUOTE_SIZE 128U
const char *code_quote(const char *s, char buf[static CODE_QUOTE_SIZE]);

/* Sets *ret_error to "entry "PATH": " and the formatted reason, PATH quoted by code_quote().
 * Returns -EINVAL, or -ENOMEM. */
int code_entry_error(char **ret_error, const char *path, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
