/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda-contract.h"
#include "rie-env.h"
#include "util.h"

/* The account id AWS's own emulator shows in ARNs; there is no account here. */
#define RIE_ACCOUNT_ID "012345678912"

static int dup_or(char **ret, const char *v, const char *fallback)
{
        *ret = strdup(v && *v ? v : fallback);
        return *ret ? 0 : -ENOMEM;
}

int rie_take_secret(char **env, char ret[static INSTANCE_SECRET_SIZE])
{
        static const char prefix[] = INSTANCE_SECRET_ENV "=";
        int found = 0;

        for (size_t i = 0; env && env[i];) {
                char *e = env[i];

                if (strncmp(e, prefix, STRLEN(prefix)) != 0) {
                        i++;
                        continue;
                }
                /* Two of them: which one holds would be a guess. Both go, whatever they say. */
                if (found == 0 && instance_secret_is_valid(e + STRLEN(prefix))) {
                        memcpy(ret, e + STRLEN(prefix), INSTANCE_SECRET_SIZE);
                        found = 1;
                } else
                        found = -EINVAL;
                explicit_bzero(e, strlen(e));
                memmove(env + i, env + i + 1, (strv_length(env + i + 1) + 1) * sizeof(char *));
        }
        if (found < 0)
                explicit_bzero(ret, INSTANCE_SECRET_SIZE);
        return found;
}

int rie_settings_from_env(RieSettings *s, char *const *env, const char **ret_bad)
{
        const char *v;
        int r;

        *s = (RieSettings){ .memory_mb = 3008, .timeout_sec = 300 };

        if (dup_or(&s->function_name, env_get(env, "AWS_LAMBDA_FUNCTION_NAME"), "function") < 0 ||
            dup_or(&s->function_version, env_get(env, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST") < 0 ||
            dup_or(&s->region, env_get(env, "AWS_REGION") ?: env_get(env, "AWS_DEFAULT_REGION"),
                   "us-east-1") < 0)
                return -ENOMEM;

        v = env_get(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        if (v) {
                r = parse_unsigned(v, 128, 10240, &s->memory_mb);
                if (r < 0) {
                        *ret_bad = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
                        return -EINVAL;
                }
        }
        v = env_get(env, "AWS_LAMBDA_FUNCTION_TIMEOUT");
        if (v) {
                r = parse_unsigned(v, 1, 900, &s->timeout_sec);
                if (r < 0) {
                        *ret_bad = "AWS_LAMBDA_FUNCTION_TIMEOUT";
                        return -EINVAL;
                }
        }
        v = env_get(env, "LAMBDA_RIE_EAGER_INIT");
        if (v) {
                r = parse_boolean(v);
                if (r < 0) {
                        *ret_bad = "LAMBDA_RIE_EAGER_INIT";
                        return -EINVAL;
                }
                s->eager_init = r;
        }
        return 0;
}

const char *rie_listen_from_env(char *const *env)
{
        const char *v = env_get(env, RIE_LISTEN_ENV);

        return v && v[0] ? v : RIE_LISTEN_DEFAULT;
}

int rie_settings_handler_from_argv(RieSettings *s, char *const *env, char *const *bootstrap_argv)
{
        const char *v = env_get(env, "_HANDLER");
        size_t n = strv_length(bootstrap_argv);

        if (s->handler || (v && *v) || n < 2)
                return 1;
        s->handler = strdup(bootstrap_argv[n - 1]);
        return s->handler ? 1 : -ENOMEM;
}

void rie_settings_done(RieSettings *s)
{
        free(s->function_name);
        free(s->function_version);
        free(s->region);
        free(s->handler);
        *s = (RieSettings){};
}

int rie_function_arn(const RieSettings *s, char **ret)
{
        if (asprintf(ret, "arn:aws:lambda:%s:" RIE_ACCOUNT_ID ":function:%s", s->region, s->function_name) <
            0)
                return -ENOMEM;
        return 0;
}

int rie_env_build(char *const *parent, const RieSettings *s, const char *runtime_api, const char *log_stream,
                  char ***ret)
{
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *log_group = NULL;
        char memory[16], timeout[16];
        int r;

        env = strv_copy(parent);
        if (!env)
                return -ENOMEM;

        if (asprintf(&log_group, "/aws/lambda/%s", s->function_name) < 0)
                return -ENOMEM;
        (void) snprintf(memory, sizeof(memory), "%u", s->memory_mb);
        (void) snprintf(timeout, sizeof(timeout), "%u", s->timeout_sec);

        /* What the emulator itself decides always wins over what the image says. */
        const struct {
                const char *name;
                const char *value;
                bool overwrite;
        } vars[] = {
                { "AWS_LAMBDA_RUNTIME_API", runtime_api, true },
                { "AWS_LAMBDA_FUNCTION_NAME", s->function_name, true },
                { "AWS_LAMBDA_FUNCTION_VERSION", s->function_version, true },
                { "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory, true },
                { "AWS_LAMBDA_FUNCTION_TIMEOUT", timeout, true },
                { "_HANDLER", s->handler ?: "", s->handler != NULL },
                { "AWS_REGION", s->region, false },
                { "AWS_DEFAULT_REGION", s->region, false },
                { "AWS_LAMBDA_LOG_GROUP_NAME", log_group, false },
                { "AWS_LAMBDA_LOG_STREAM_NAME", log_stream, false },
                { "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand", false },
                { "LAMBDA_TASK_ROOT", "/var/task", false },
                { "LAMBDA_RUNTIME_DIR", "/var/runtime", false },
                { "PATH", "/usr/local/bin:/usr/bin:/bin:/opt/bin", false },
                { "LD_LIBRARY_PATH",
                  "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/"
                  "opt/lib",
                  false },
                { "LANG", "en_US.UTF-8", false },
                { "TZ", ":UTC", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                r = env_set(&env, vars[i].name, vars[i].value, vars[i].overwrite);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(env);
        return 0;
}
