/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "instance-setup.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

/* After the engine refused the isolated network, how long before it is asked again. */
#define ISOLATED_RETRY_USEC (60 * USEC_PER_SEC)

static void settle_network(Instance *i);

/* ---- the OCI runtime ---- */

static void on_info(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;
        const char *runtime = i->function->config->engine_runtime;
        _cleanup_free_ char *known = NULL;
        char **runtimes = NULL;
        size_t n = 0;

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Asking the engine's runtimes", error, status, body, len);
        if (docker_parse_info_runtimes(body, len, &runtimes) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "The engine's info answer is invalid.");
        strv_free(m->engine_runtimes);
        m->engine_runtimes = runtimes;
        m->engine_runtimes_known = true;
        /* An engine that does not list its runtimes (some Docker-compatible ones) is left to say it
         * at create. */
        if (!runtimes || strv_contains(runtimes, runtime))
                return settle_network(i);

        for (char **r = runtimes; *r; r++)
                n += strlen(*r) + 2;
        known = calloc(n + 1, 1);
        for (char **r = runtimes; known && *r; r++) {
                if (r != runtimes)
                        strcat(known, ", ");
                strcat(known, *r);
        }
        instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                      "Function '%s' asks for engine_runtime '%s', which this engine does not know (it "
                      "knows: %s). Register the runtime with the engine (dockerd: \"runtimes\" in "
                      "/etc/docker/daemon.json, then restart it) or change the declaration.",
                      i->function->name, runtime, known && known[0] ? known : "none");
}

void instance_setup(Instance *i)
{
        Manager *m = i->manager;
        const char *runtime = i->function->config->engine_runtime;
        int r;

        /* Asked once, and again whenever a runtime is not among those the engine said (one may have
         * been registered since). */
        if (!runtime || (m->engine_runtimes_known &&
                         (!m->engine_runtimes || strv_contains(m->engine_runtimes, runtime))))
                return settle_network(i);
        r = docker_call(m->docker, "GET", "/info", NULL, CALL_TIMEOUT_USEC, on_info, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to ask the engine's runtimes: %s",
                              strerror(-r));
}

/* ---- the network ---- */

const char *instance_network_intended(const Manager *m, const FunctionConfig *c)
{
        /* On a network of the deployment's (compose, Swarm) the gateway reaches instances at their
         * address there: a bridge without inter-container traffic would cut it off too. */
        if (c->network == FUNCTION_NETWORK_SHARED || m->network ||
            (c->network == FUNCTION_NETWORK_DEFAULT && !m->config.isolate_by_default))
                return NULL;
        return ISOLATED_NETWORK_NAME;
}

static void network_ready(Instance *i, const char *mode)
{
        i->network_mode = mode;
        instance_inspect_image(i);
}

/* The engine cannot give the isolated network: a function that asked for it fails; one that did not say
 * runs as before, with one warning per lifetime. */
static void network_unavailable(Instance *i)
{
        Manager *m = i->manager;

        if (i->function->config->network == FUNCTION_NETWORK_ISOLATED)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "Function '%s' wants network \"isolated\", which this engine cannot give: "
                        "%s",
                        i->function->name, m->isolated_problem ?: "?");
        if (!m->isolated_fallback_logged)
                log_warning("Functions without a \"network\" run on the engine's default network, where "
                            "they can reach each other: %s",
                            m->isolated_problem ?: "?");
        m->isolated_fallback_logged = true;
        network_ready(i, NULL);
}

static void isolated_refused(Instance *i, const char *format, ...) _printf_(2, 3);
static void isolated_refused(Instance *i, const char *format, ...)
{
        Manager *m = i->manager;
        va_list ap;

        free(m->isolated_problem);
        va_start(ap, format);
        if (vasprintf(&m->isolated_problem, format, ap) < 0)
                m->isolated_problem = NULL;
        va_end(ap);
        m->isolated_network = -1;
        m->isolated_retry_usec = now_usec(CLOCK_MONOTONIC) + ISOLATED_RETRY_USEC;
        network_unavailable(i);
}

static void inspect_network(Instance *i, bool again);

static void on_network_created(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;
        _cleanup_free_ char *message = NULL;

        i->call = NULL;
        if (error < 0)
                return instance_fail_call(i, "Creating the network " ISOLATED_NETWORK_NAME, error, status,
                                          body, len);
        /* Made by another start meanwhile (a manager of another deployment on this engine, say). */
        if (status == 409)
                return inspect_network(i, true);
        if (status != 201) {
                (void) docker_parse_error(body, len, &message);
                return isolated_refused(
                        i, "creating the network " ISOLATED_NETWORK_NAME " failed (HTTP %li: %s)", status,
                        message ?: "?");
        }
        log_info("Made the network " ISOLATED_NETWORK_NAME
                 " (a bridge without traffic between its containers) "
                 "for isolated functions.");
        m->isolated_network = 1;
        network_ready(i, ISOLATED_NETWORK_NAME);
}

static void create_network(Instance *i)
{
        _cleanup_free_ char *body = NULL;
        int r;

        r = docker_isolated_network_body(ISOLATED_NETWORK_NAME, &body);
        if (r >= 0)
                r = docker_call(i->manager->docker, "POST", "/networks/create", body, CALL_TIMEOUT_USEC,
                                on_network_created, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to create the network %s: %s",
                              ISOLATED_NETWORK_NAME, strerror(-r));
}

/* What the engine says of the network; again: after a create that conflicted (made meanwhile). */
static void network_inspected(Instance *i, bool again, int error, long status, const char *body, size_t len)
{
        int k;

        i->call = NULL;
        if (error < 0 || status >= 500)
                return instance_fail_call(i, "Inspecting the network " ISOLATED_NETWORK_NAME, error, status,
                                          body, len);
        if (status == 404 && !again)
                return create_network(i);
        if (status != 200)
                return isolated_refused(
                        i, "the engine answers HTTP %li for the network " ISOLATED_NETWORK_NAME, status);
        k = docker_parse_network_isolating(body, len);
        if (k < 0)
                return isolated_refused(i, "the engine's description of the network " ISOLATED_NETWORK_NAME
                                           " is invalid");
        /* Someone else's network of that name: using it would isolate nothing. */
        if (k == 0)
                return isolated_refused(i,
                                        "the network " ISOLATED_NETWORK_NAME " exists, but is not a bridge "
                                        "without traffic between its containers; remove it (docker network "
                                        "rm " ISOLATED_NETWORK_NAME ") and lambda-manager makes it anew");
        i->manager->isolated_network = 1;
        network_ready(i, ISOLATED_NETWORK_NAME);
}

static void on_network_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                                 void *userdata)
{
        network_inspected(userdata, false, error, status, body, len);
}

static void on_network_inspected_again(DockerClient *d, int error, long status, const char *body, size_t len,
                                       void *userdata)
{
        network_inspected(userdata, true, error, status, body, len);
}

static void inspect_network(Instance *i, bool again)
{
        int r;

        r = docker_call(i->manager->docker, "GET", "/networks/" ISOLATED_NETWORK_NAME, NULL,
                        CALL_TIMEOUT_USEC, again ? on_network_inspected_again : on_network_inspected, i,
                        &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to inspect the network %s: %s",
                              ISOLATED_NETWORK_NAME, strerror(-r));
}

static void settle_network(Instance *i)
{
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        const char *intended = instance_network_intended(m, c);

        if (!intended) {
                if (c->network == FUNCTION_NETWORK_ISOLATED)
                        return instance_fail(
                                i, LAMBDAD_ERROR_START_FAILED,
                                "Function '%s' wants network \"isolated\", which a manager on --network=%s "
                                "cannot give (the gateway reaches instances on that network); declare "
                                "\"network\": \"shared\", or run the manager without --network.",
                                i->function->name, m->network);
                if (c->network == FUNCTION_NETWORK_DEFAULT && m->network && !m->isolated_fallback_logged) {
                        log_warning(
                                "Functions without a \"network\" run on --network=%s, where they can reach "
                                "each other (the instance secret still refuses their invocations).",
                                m->network);
                        m->isolated_fallback_logged = true;
                }
                return network_ready(i, NULL);
        }
        if (m->isolated_network > 0)
                return network_ready(i, intended);
        if (m->isolated_network < 0 && now_usec(CLOCK_MONOTONIC) < m->isolated_retry_usec)
                return network_unavailable(i);
        inspect_network(i, false);
}
