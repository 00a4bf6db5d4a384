/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-config.h: the part of a declaration (function-config.h) that makes a zip function, parsed and
 * validated as pure functions over json-c values, and what the manager found when it prepared the code (the
 * store's directories and AWS's CodeSha256), which decides whether two declarations run the same code.
 *
 *   "runtime": "nodejs22.x",         required: AWS's runtime identifier, or one the operator mapped to
 *                                    an image (code-runtime.h)
 *   "handler": "index.handler",      required but for provided.* runtimes: at most 128 characters, no
 *                                    white space
 *   "code": "/srv/fn/function.zip",  the zip package (AWS's limits: 50 MB zipped, 250 MB unpacked
 *                                    with the layers), or
 *   "code_directory": "/srv/fn/src", a folder, snapshotted; a change to it is in effect within a second
 *   "layers": ["/srv/l/a.zip"]       0 to 5 zip files merged into /opt in order
 *
 * Paths are absolute, without '.', '..' or '//' components; what they name is checked when the code is
 * prepared, not here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct json_object;

#define CODE_HANDLER_MAX     128U
#define CODE_CONFIG_PATH_MAX 4096U
#define CODE_SHA256_SIZE     45 /* base64 of 32 bytes, NUL included */

typedef struct CodeConfig {
        char *runtime;
        char *handler; /* NULL: none (provided.* runtimes only) */
        char *zip;     /* "code"; NULL when code_directory */
        char *directory;
        char **layers; /* never NULL once parsed */

        /* Filled by the manager when the code is prepared: */
        char *task_dir;  /* the unpacked code in the store, bound at /var/task */
        char *opt_dir;   /* the merged layers, bound at /opt; NULL: no layers */
        char *bootstrap; /* provided.*: "/var/task/bootstrap" or "/opt/bootstrap" */
        char code_sha256[CODE_SHA256_SIZE];
        uint64_t code_size;
        char *error; /* why the code or runtime cannot be used: every call to the function fails with it */
} CodeConfig;

CodeConfig *code_config_free(CodeConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CodeConfig *, code_config_free);

/* Whether key belongs to code_config_parse_key(). */
bool code_config_key(const char *key);

/* Parses one of the keys into *c (allocated on the first). -EINVAL with *ret_error naming the key;
 * -ENOMEM. */
int code_config_parse_key(CodeConfig **c, const char *key, struct json_object *v, char **ret_error);

/* The checks between the keys, once all are read: -EINVAL with *ret_error. */
int code_config_check(const CodeConfig *c, char **ret_error);

/* Whether a and b run the same code the same way (either may be NULL: an image function). */
bool code_config_equal(const CodeConfig *a, const CodeConfig *b);

/* A copy of what the declaration says, without what the manager filled in. */
int code_config_copy_declared(const CodeConfig *c, CodeConfig **ret);
