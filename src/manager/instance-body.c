/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* instance-body.c: the container an instance of a function is, before the engine makes it: its
 * environment (what Lambda tells a runtime about the function, its version and its code; lambda-rie's
 * socket and secret), its create body (launch.h's plan of what runs, lambda-rie lent or not), and its
 * spec, the hash of that body that tells an adopted container made from another declaration apart.
 * Starting, freezing and stopping the container are instance.c's. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "docker-json.h"
#include "instance-setup.h"
#include "instance-socket.h"
#include "instance.h"
#include "launch.h"
#include "strv.h"
#include "util.h"

/* What Lambda tells a zip function's runtime about it, as AWS's base images expect. */
static int instance_code_env(const CodeConfig *code, char ***env)
{
        _cleanup_free_ char *execution_env = NULL;
        int r = 0;

        if (asprintf(&execution_env, "AWS_Lambda_%s", code->runtime) < 0)
                return -ENOMEM;
        if (code->handler)
                r = env_set(env, "_HANDLER", code->handler, true);
        if (r >= 0)
                r = env_set(env, "LAMBDA_TASK_ROOT", "/var/task", true);
        if (r >= 0)
                r = env_set(env, "LAMBDA_RUNTIME_DIR", "/var/runtime", true);
        if (r >= 0)
                r = env_set(env, "AWS_EXECUTION_ENV", execution_env, true);
        return r;
}

/* The container's environment; with the instance's secret unless secret is NULL (the spec); lambda-rie
 * on a unix socket when there is no network. */
static int instance_env(const FunctionConfig *c, const char *secret, bool on_socket, char ***ret)
{
        _cleanup_strv_free_ char **env = strv_copy(c->env);
        _cleanup_free_ char *name = strdup(c->name);
        const char *version = "$LATEST";
        char v[32], *colon;
        int r;

        if (!env || !name)
                return -ENOMEM;
        /* A version's instances ("NAME:N") run as AWS runs them: NAME, version N (X-Amz-Executed-Version).
         */
        colon = strchr(name, ':');
        if (colon) {
                *colon = 0;
                version = colon + 1;
        }
        r = env_set(&env, "AWS_LAMBDA_FUNCTION_NAME", name, true);
        if (r >= 0)
                r = env_set(&env, "AWS_LAMBDA_FUNCTION_VERSION", version, true);
        (void) snprintf(v, sizeof(v), "%u", c->memory_mb);
        if (r >= 0)
                r = env_set(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", v, true);
        (void) snprintf(v, sizeof(v), "%u", c->timeout_sec);
        if (r >= 0)
                r = env_set(&env, "AWS_LAMBDA_FUNCTION_TIMEOUT", v, true);
        /* The runtime initialises while the instance is still being handed out: cold starts are shorter. */
        if (r >= 0)
                r = env_set(&env, "LAMBDA_RIE_EAGER_INIT", "1", true);
        if (r >= 0 && c->code)
                r = instance_code_env(c->code, &env);
        if (r >= 0 && on_socket)
                r = env_set(&env, RIE_LISTEN_ENV, "unix:" INSTANCE_SOCKET_MOUNT "/" INSTANCE_SOCKET_NAME,
                            true);
        /* Last, overwriting whatever the declaration says: lambda-rie checks it, and takes it out of the
         * environment before the function runs. */
        if (r >= 0 && secret)
                r = env_set(&env, INSTANCE_SECRET_ENV, secret, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

int instance_body(Manager *m, const FunctionConfig *c, const DockerImage *image, const char *lifetime,
                  const char *spec, const char *secret, const char *network_mode, const char *socket_dir,
                  char **ret)
{
        _cleanup_(launch_plan_done) LaunchPlan plan = {};
        _cleanup_strv_free_ char **env = NULL;
        char *const *entrypoint = c->entrypoint, *const *command = c->command;
        char *bootstrap[2] = {}, *handler[2] = {};
        int r;

        if (c->code) {
                /* AWS's base images take the handler as their argument; a custom runtime's bootstrap is
                 * the function's own. */
                handler[0] = c->code->handler;
                command = handler;
                bootstrap[0] = c->code->bootstrap;
                if (bootstrap[0])
                        entrypoint = bootstrap;
        }
        r = launch_plan(entrypoint, command, image->entrypoint, image->cmd, &plan);
        if (r < 0)
                return r;
        if (plan.lend_rie && !m->config.rie_path && !m->config.rie_volume)
                return -ENOPKG;
        r = instance_env(c, secret, socket_dir, &env);
        if (r < 0)
                return r;

        return docker_create_body(
                &(DockerCreateParams){
                        .image = c->image,
                        .function = c->name,
                        .lifetime = lifetime,
                        .env = env,
                        .memory_bytes = (uint64_t) c->memory_mb * 1024 * 1024,
                        .nano_cpus = c->nano_cpus,
                        .publish_loopback = m->config.publish_loopback,
                        .user = c->user ?: CONTAINER_USER_DEFAULT,
                        .entrypoint = plan.entrypoint,
                        .cmd = plan.cmd,
                        .working_dir = c->code ? "/var/task" : c->working_directory,
                        .rie = !plan.lend_rie         ? DOCKER_RIE_NONE
                               : m->config.rie_volume ? DOCKER_RIE_VOLUME
                                                      : DOCKER_RIE_BIND,
                        .rie_source = m->config.rie_volume ?: m->config.rie_path,
                        .network = m->network,
                        .spec = spec,
                        .task_dir = c->code ? c->code->task_dir : NULL,
                        .opt_dir = c->code ? c->code->opt_dir : NULL,
                        .runtime = c->engine_runtime,
                        .network_mode = network_mode,
                        .socket_dir = socket_dir,
                },
                ret);
}

int instance_spec_on(Manager *m, const FunctionConfig *c, const DockerImage *image, const char *network_mode,
                     char ret[static INSTANCE_SPEC_SIZE])
{
        static const char hex[] = "0123456789abcdef";
        _cleanup_free_ char *body = NULL;
        unsigned char md[SHA256_DIGEST_LENGTH];
        EVP_MD_CTX *ctx;
        bool ok;
        int r;

        /* Everything but what differs between two instances of one lifetime, and the image itself:
         * a tag that moved makes another spec. */
        /* Not the instance's own socket directory either: the directory they are all made in. */
        r = instance_body(m, c, image, "-", NULL, NULL, network_mode,
                          network_via_socket(m, network_mode) ? m->config.instance_sockets_dir : NULL,
                          &body);
        if (r < 0)
                return r;
        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, body, strlen(body) + 1) &&
             EVP_DigestUpdate(ctx, image->id ?: "", strlen(image->id ?: "")) &&
             EVP_DigestFinal_ex(ctx, md, NULL);
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return -EIO;
        for (size_t k = 0; k < (INSTANCE_SPEC_SIZE - 1) / 2; k++) {
                ret[2 * k] = hex[md[k] >> 4];
                ret[2 * k + 1] = hex[md[k] & 15];
        }
        ret[INSTANCE_SPEC_SIZE - 1] = 0;
        return 0;
}

int instance_spec(Manager *m, const FunctionConfig *c, const DockerImage *image,
                  char ret[static INSTANCE_SPEC_SIZE])
{
        _cleanup_free_ char *own = NULL;
        int r;

        r = instance_function_network(m, c, &own);
        if (r < 0)
                return r;
        return instance_spec_on(m, c, image, own ?: instance_network_intended(m, c), ret);
}
