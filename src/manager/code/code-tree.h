/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-tree.h: the file system side of the code store. A tree is filled entry by entry below a
 * directory fd, each entry checked by code_entry_check() first, never following a link (not even
 * one an earlier entry made), with world-readable modes set explicitly (the manager's umask is
 * 0077) and its size counted against AWS's limit as it is written. Also the walks over trees: copy
 * one (a code directory's snapshot), measure one, remove one.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

/* A tree being filled. Messages name the entry; the caller adds the file it came from. */
typedef struct CodeTree {
        int root_fd;      /* not owned */
        uint64_t limit;   /* of base + size: CODE_UNPACKED_MAX but for tests */
        uint64_t base;    /* bytes counted elsewhere (the code, when this is the layers) */
        uint64_t size;    /* bytes stored: file contents and link targets, less what was overwritten */
        uint64_t written; /* bytes written, overwritten ones included: bounds the work */
} CodeTree;

/* Adds the entry path (as the archive names it) of type S_IFDIR, S_IFREG or S_IFLNK (with target).
 * Missing parent directories are made. A file or link replaces a file or link of the same path (a
 * later layer wins, as in Lambda); anything else in the way is an error. For a file, *ret_fd is
 * its fd to write through code_tree_write(), mode 0755 when executable, else 0644. */
int code_tree_add(CodeTree *t, const char *path, mode_t type, const char *target, bool executable,
                  int *ret_fd, char **ret_error);

/* Writes n bytes of entry path to fd, counting them; -EINVAL with a message, before writing, once
 * base + size would pass the limit. */
int code_tree_write(CodeTree *t, int fd, const char *path, const void *p, size_t n, char **ret_error);

/* Copies the tree below src_fd into t as code_tree_add() would unpack it, and feeds md the canonical
 * description of the tree that code-store.h's CodeSha256 of a directory hashes. *ret_files is the
 * sum of the files' sizes. */
int code_tree_copy(CodeTree *t, int src_fd, EVP_MD_CTX *md, uint64_t *ret_files, char **ret_error);

/* The bytes a stored tree holds, counted as CodeTree.size counts them. */
int code_tree_measure(int dir_fd, uint64_t *ret);

/* The names in the directory dir_fd, "." and ".." left out, sorted bytewise: a strv. */
int code_tree_list(int dir_fd, char ***ret);

/* Removes name below dir_fd and everything in it; never follows a link. Missing: 0. */
int code_tree_remove(int dir_fd, const char *name);
