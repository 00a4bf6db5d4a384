/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-runtime.h: which image runs a zip function's runtime. AWS's runtime identifiers map to AWS's base
 * images for them by default; the operator maps any identifier to an image of their own, on the command
 * line (--runtime=ID=IMAGE) or in a file DIR/ID.json ({"image": "REF", "pull": false}), which is how a
 * site without a registry runs zip functions. A `provided.*` runtime runs the function's own bootstrap;
 * every other runtime runs its image's entry point with the handler as its argument.
 */

#include <stdbool.h>

#include "lambda-runtime.h"

/* AWS's runtime identifiers are short: "nodejs22.x", "provided.al2023". */
#define RUNTIME_ID_MAX 32U

/* One of AWS's runtimes that has a base image (lambda-runtime.h), or NULL. */
const LambdaRuntime *code_runtime_find(const char *id);

/* 1 to RUNTIME_ID_MAX characters of a-z, 0-9, '.' and '-', starting with a letter: any identifier AWS
 * uses, and safe as a file name. */
bool code_runtime_id_is_valid(const char *id);

/* Whether functions of runtime id run their own bootstrap (/var/task/bootstrap or /opt/bootstrap). */
bool code_runtime_is_provided(const char *id);

/* AWS's runtime identifiers, comma separated, for messages. */
const char *code_runtime_list(void);

typedef struct RuntimeImage {
        char *image;
        bool pull; /* the mapping allows pulling it */
        const char
                *from; /* where the mapping comes from: "--runtime", the file's name or "AWS's base image" */
} RuntimeImage;

void runtime_image_done(RuntimeImage *r);

/*
 * The image for runtime id: the first of overrides ("ID=IMAGE" strings) that names it, else DIR/ID.json
 * (dir may be NULL), else AWS's base image. -ENOENT with *ret_error when id is none of AWS's and nothing
 * maps it; -EINVAL with *ret_error for an invalid id or mapping file; -ENOMEM.
 */
int code_runtime_image(const char *id, char *const *overrides, const char *dir, RuntimeImage *ret,
                       char **ret_error);

/* Whether an --runtime argument reads "ID=IMAGE" with a valid id and image reference. */
bool code_runtime_override_is_valid(const char *arg);
