/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rie.h: lambda-rie's server. It accepts invocations on the invoke endpoint, runs the function's
 * bootstrap as a child, serves it the Lambda Runtime API, and turns what the runtime does (respond,
 * fail, crash, overrun its timeout) into the answer the invoker gets, one invocation at a time.
 */

#include <stdbool.h>

#include "rie-env.h"

typedef struct RieConfig {
        const char *invoke_address;  /* "0.0.0.0:8080", "unix:/PATH" */
        const char *runtime_address; /* "127.0.0.1:9001" */
        char *const *bootstrap_argv; /* NULL: search the standard bootstrap paths */
        const char *instance_secret; /* what invokers must send (instance-secret.h); NULL: none */
        RieSettings settings;
} RieConfig;

typedef struct Rie Rie;

/* Takes over config->settings, also on failure. */
int rie_new(Rie **ret, RieConfig *config);
Rie *rie_free(Rie *rie);
DEFINE_TRIVIAL_CLEANUP_FUNC(Rie *, rie_free);

/* Runs until SIGTERM or SIGINT, then returns 0. With eager init, a bootstrap that cannot be executed
 * ends it at once with the status a shell would give: 127 (not found) or 126 (not executable).
 * -errno when the event loop fails. */
int rie_run(Rie *rie);
