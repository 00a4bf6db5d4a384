/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-store.h: the directory where lambda-manager keeps zip-packaged functions unpacked, one
 * directory per content, for the containers to bind read-only: the code at /var/task, the merged
 * layers at /opt. Synchronous and file system only; code-job.h runs it off the event loop.
 *
 * Layout of the store: "code-HEX" holds a function's code and "opt-HEX" a merged set of layers,
 * HEX being lower-case hex of a SHA-256: of the zip's bytes (so the same zip is unpacked once, for
 * every function that names it), of a code directory's canonical description (below), or of the
 * layers' CodeSha256 strings concatenated in order. Entries appear under these names whole or not
 * at all: each is filled as ".tmp-XXXXXXXXXXXX" in the store and renamed into place; when another
 * job got there first its result is used and ours removed. Nothing else is ever written, and a
 * prepare that fails leaves the store as it found it. Directories are 0755, files 0644 or 0755 (any
 * x bit in the entry's mode), whatever the umask, for the containers' unprivileged uid.
 *
 * A code directory's CodeSha256 hashes the concatenation, over its entries in a pre-order walk with
 * the names of each directory sorted bytewise (the top itself not included), of "T PATH\0" with T
 * d (directory), f (file), x (file with any x bit) or l (symbolic link) and PATH relative to the
 * top, followed for a file by its size in decimal, "\0" and its content, for a link by its target
 * and "\0". So only the paths, types, exec bits, contents and link targets count, not times,
 * owners or other mode bits.
 *
 * Every entry of a zip or directory must pass code_entry_check(); see code-archive.h for that and
 * the size limits. Bad input gives -EINVAL and a message naming the file and the entry; a source
 * that cannot be read its errno (-ENOENT, -EACCES, ...) with a message; -ENOMEM.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef struct CodeStore CodeStore;

/* A function's code: exactly one of zip and directory, absolute paths; up to CODE_LAYERS_MAX layer
 * zips, merged in order (a later layer's file replaces an earlier one's, as in Lambda). */
typedef struct CodeSource {
        const char *zip;
        const char *directory;
        char *const *layers; /* NULL-terminated; NULL: none */
} CodeSource;

typedef struct CodePrepared {
        char *task_dir;         /* absolute path in the store: bind at /var/task */
        char *opt_dir;          /* absolute path of the merged layers: bind at /opt; NULL when no layers */
        char code_sha256[45];   /* AWS's CodeSha256: base64 of the SHA-256 of the zip's bytes, or of a
                                 * directory's canonical description (above) */
        uint64_t code_size;     /* the zip's size (AWS's CodeSize); a directory's: its files' sizes */
        uint64_t unpacked_size; /* code and layers as stored: file contents and link targets */
        bool task_bootstrap;    /* an executable regular file "bootstrap" at the top of the code */
        bool opt_bootstrap;     /* the same at the top of /opt */
} CodePrepared;

void code_prepared_done(CodePrepared *p);

/* Opens the store at the absolute path dir, making it (and its parents) 0755 if missing, and
 * removes the temporaries a crashed earlier run left in it. */
int code_store_open(const char *dir, CodeStore **ret);
CodeStore *code_store_free(CodeStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(CodeStore *, code_store_free);

/* A second handle on the same store, for another thread: handles share nothing but the files. */
int code_store_dup(const CodeStore *s, CodeStore **ret);

/* Unpacks (or snapshots) src into the store unless its content is there already. Blocks on the
 * disk: up to CODE_UNPACKED_MAX written. A zip is hashed first and unpacked only when missing; a
 * directory's hash is known only once it is read, so it is copied each time, and a copy whose
 * content the store has already is dropped. */
int code_store_prepare(CodeStore *s, const CodeSource *src, CodePrepared *ret, char **ret_error);

/* The same with another limit than CODE_UNPACKED_MAX on code and layers together: for tests and
 * the fuzzer. */
int code_store_prepare_limited(CodeStore *s, const CodeSource *src, uint64_t unpacked_max, CodePrepared *ret,
                               char **ret_error);

/* Removes the store's entries whose absolute path (task_dir, opt_dir) is not in keep. Temporaries
 * are left alone: they belong to running jobs. The first error is returned, after trying all. */
int code_store_remove_unused(CodeStore *s, char *const *keep);
