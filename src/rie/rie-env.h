/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rie-env.h: the settings lambda-rie takes from its command line and environment, and the
 * environment it builds for the function's bootstrap: everything a Lambda runtime (the AWS runtime
 * interface clients included) expects to find, with the container's own variables kept.
 */

#include <stdbool.h>

#include "instance-secret.h"
#include "strv.h"

typedef struct RieSettings {
        char *function_name;
        char *function_version;
        char *region;
        char *handler; /* NULL: keep _HANDLER from the environment */
        unsigned memory_mb;
        unsigned timeout_sec;
        bool eager_init;
} RieSettings;

/*
 * Takes the instance secret out of env (INSTANCE_SECRET_ENV): copies it to ret, overwrites the entry's
 * bytes where they are (for the process's first environment block, that is what /proc/PID/environ
 * shows) and removes the entry from the array, so that nothing started later inherits it. 1 when it was
 * there, 0 when not, -EINVAL (and still removed) when it is not a valid secret.
 */
int rie_take_secret(char **env, char ret[static INSTANCE_SECRET_SIZE]);

/* Fills settings from the environment (AWS_LAMBDA_FUNCTION_NAME, ..._TIMEOUT, ...), with AWS's
 * defaults for what is unset. -EINVAL with *ret_bad naming the variable when one is malformed. */
int rie_settings_from_env(RieSettings *s, char *const *env, const char **ret_bad);
void rie_settings_done(RieSettings *s);

#define RIE_LISTEN_DEFAULT "0.0.0.0:8080"

/* The invoke endpoint's address when --listen does not say: RIE_LISTEN_ENV when set and not empty (it
 * is checked when lambda-rie listens), else RIE_LISTEN_DEFAULT. */
const char *rie_listen_from_env(char *const *env);

/* Like AWS's emulator: without a handler from --handler or _HANDLER in env, a bootstrap given with
 * arguments (an image's ENTRYPOINT and CMD) makes its last argument the handler. 1, or -ENOMEM. */
int rie_settings_handler_from_argv(RieSettings *s, char *const *env, char *const *bootstrap_argv);

/* The bootstrap's environment: the parent's, plus the Lambda variables. log_stream is the value of
 * AWS_LAMBDA_LOG_STREAM_NAME to use when the parent has none. */
int rie_env_build(char *const *parent, const RieSettings *s, const char *runtime_api, const char *log_stream,
                  char ***ret);

/* The function's ARN as the runtime sees it. */
int rie_function_arn(const RieSettings *s, char **ret);
