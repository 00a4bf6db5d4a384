/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lambda-runtime.h: Lambda's runtime identifiers, said once for the gateway, which accepts any of the
 * API's (CreateFunction's Runtime enum), and the manager, which runs those that have an AWS base image
 * unless the operator maps a runtime to an image of their own (code-runtime.h).
 */

#include <stddef.h>

typedef struct LambdaRuntime {
        const char *id;    /* "nodejs22.x" */
        const char *image; /* AWS's base image for it; NULL: deprecated, none by default */
} LambdaRuntime;

extern const LambdaRuntime lambda_runtimes[];
extern const size_t lambda_runtimes_count;

/* One of the API's runtime identifiers, or NULL. */
const LambdaRuntime *lambda_runtime_find(const char *id);
