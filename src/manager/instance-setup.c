/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "instance-setup.h"
#include "instance-socket.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

/* After the engine refused a network of the manager's, how long before it is asked again. */
#define OWN_NETWORK_RETRY_USEC (60 * USEC_PER_SEC)

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

/* Whether c's instances are to be kept from reaching each other on this manager (without --network). */
static bool wants_isolation(const Manager *m, const FunctionConfig *c)
{
        return c->network == FUNCTION_NETWORK_ISOLATED ||
               (c->network == FUNCTION_NETWORK_DEFAULT && m->config.isolate_by_default);
}

/* On --network: whether the gateway has a container to join to isolated functions' networks. */
static bool gateway_known(const Manager *m)
{
        const char *g = m->config.gateway_container;

        return g && (strcmp(g, "auto") != 0 || m->compose_project);
}

const char *instance_network_intended(const Manager *m, const FunctionConfig *c)
{
        if (c->network == FUNCTION_NETWORK_NONE)
                return NONE_NETWORK_NAME;
        /* On a network of the deployment's (compose, Swarm) the gateway reaches instances at their
         * address there: a bridge without inter-container traffic would cut it off too; but not those
         * it reaches at a socket (instance-setup.h). */
        if (m->network)
                return c->network == FUNCTION_NETWORK_ISOLATED && !gateway_known(m) ? ISOLATED_NETWORK_NAME
                                                                                    : NULL;
        if (wants_isolation(m, c))
                return m->default_bridge_isolating > 0 ? DEFAULT_BRIDGE_NAME : ISOLATED_NETWORK_NAME;
        return m->default_bridge_isolating > 0 ? SHARED_NETWORK_NAME : NULL;
}

void instance_setup_bridge_learned(Manager *m, int error, long status, const char *body, size_t len)
{
        int k;

        /* The engine did not answer: asked again at the next start. */
        if (error < 0 || status >= 500)
                return;
        k = status == 200 ? docker_parse_network_bridge(body, len) : DOCKER_NETWORK_OTHER;
        m->default_bridge_isolating = k == DOCKER_BRIDGE_ISOLATING ? 1 : -1;
        if (m->default_bridge_isolating > 0)
                log_info("The engine's default bridge keeps its containers from reaching each other "
                         "(icc off): isolated functions run on it, shared ones on " SHARED_NETWORK_NAME ".");
        else
                log_info("The engine's default bridge lets its containers reach each other: isolated "
                         "functions run on " ISOLATED_NETWORK_NAME " (a network of its own costs each cold "
                         "start the engine's DNS set-up; dockerd --icc=false avoids it).");
}

static void network_ready(Instance *i, const char *mode)
{
        i->network_mode = mode;
        instance_inspect_image(i);
}

/* The network of the manager's own that i is settling on (ISOLATED_NETWORK_NAME or SHARED_NETWORK_NAME). */
static const char *own_name(const Instance *i)
{
        return instance_network_intended(i->manager, i->function->config);
}

static bool own_is_shared(const Instance *i)
{
        return strcmp(own_name(i), SHARED_NETWORK_NAME) == 0;
}

static OwnNetwork *own_network(Instance *i)
{
        return own_is_shared(i) ? &i->manager->shared_network : &i->manager->isolated_network;
}

/* The engine cannot give the network: a function that asked for isolation fails; one that did not say
 * runs as before, one that asked to be shared runs on the default bridge (whose containers cannot reach
 * each other); with one warning per lifetime. */
static void network_unavailable(Instance *i)
{
        Manager *m = i->manager;
        const char *problem = own_network(i)->problem ?: "?";

        if (own_is_shared(i)) {
                if (!m->shared_fallback_logged)
                        log_warning("Functions with \"network\": \"shared\" run on the engine's default "
                                    "bridge, where they cannot reach each other (icc off): %s",
                                    problem);
                m->shared_fallback_logged = true;
                return network_ready(i, NULL);
        }
        if (i->function->config->network == FUNCTION_NETWORK_ISOLATED)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "Function '%s' wants network \"isolated\", which this engine cannot give: "
                        "%s",
                        i->function->name, problem);
        if (!m->isolated_fallback_logged)
                log_warning("Functions without a \"network\" run on the engine's default network, where "
                            "they can reach each other: %s",
                            problem);
        m->isolated_fallback_logged = true;
        network_ready(i, NULL);
}

static void own_refused(Instance *i, const char *format, ...) _printf_(2, 3);
static void own_refused(Instance *i, const char *format, ...)
{
        OwnNetwork *n = own_network(i);
        va_list ap;

        free(n->problem);
        va_start(ap, format);
        if (vasprintf(&n->problem, format, ap) < 0)
                n->problem = NULL;
        va_end(ap);
        n->state = -1;
        n->retry_usec = now_usec(CLOCK_MONOTONIC) + OWN_NETWORK_RETRY_USEC;
        network_unavailable(i);
}

static void own_usable(Instance *i)
{
        own_network(i)->state = 1;
        network_ready(i, own_name(i));
}

static void inspect_network(Instance *i, bool again);

static void on_network_created(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        Instance *i = userdata;
        const char *name = own_name(i);
        _cleanup_free_ char *message = NULL;

        i->call = NULL;
        if (error < 0)
                return instance_fail_call(i, "Creating the manager's network", error, status, body, len);
        /* Made by another start meanwhile (a manager of another deployment on this engine, say). */
        if (status == 409)
                return inspect_network(i, true);
        if (status != 201) {
                (void) docker_parse_error(body, len, &message);
                return own_refused(i, "creating the network %s failed (HTTP %li: %s)", name, status,
                                   message ?: "?");
        }
        if (own_is_shared(i))
                log_info("Made the network %s (a bridge whose containers reach each other) for shared "
                         "functions.",
                         name);
        else
                log_info("Made the network %s (a bridge without traffic between its containers) for "
                         "isolated functions.",
                         name);
        own_usable(i);
}

static void create_network(Instance *i)
{
        _cleanup_free_ char *body = NULL;
        int r;

        r = docker_bridge_network_body(own_name(i), own_is_shared(i), NULL, &body);
        if (r >= 0)
                r = docker_call(i->manager->docker, "POST", "/networks/create", body, CALL_TIMEOUT_USEC,
                                on_network_created, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to create the network %s: %s",
                              own_name(i), strerror(-r));
}

/* What the engine says of the network; again: after a create that conflicted (made meanwhile). */
static void network_inspected(Instance *i, bool again, int error, long status, const char *body, size_t len)
{
        const char *name = own_name(i);
        bool shared = own_is_shared(i);
        int k;

        i->call = NULL;
        if (error < 0 || status >= 500)
                return instance_fail_call(i, "Inspecting the manager's network", error, status, body, len);
        if (status == 404 && !again)
                return create_network(i);
        if (status != 200)
                return own_refused(i, "the engine answers HTTP %li for the network %s", status, name);
        k = docker_parse_network_bridge(body, len);
        if (k < 0)
                return own_refused(i, "the engine's description of the network %s is invalid", name);
        /* Someone else's network of that name: using it would isolate nothing (or cut shared functions
         * off from each other). */
        if (k != (shared ? DOCKER_BRIDGE_OPEN : DOCKER_BRIDGE_ISOLATING))
                return own_refused(i,
                                   "the network %s exists, but is not a bridge %s; remove it (docker "
                                   "network rm %s) and lambda-manager makes it anew",
                                   name,
                                   shared ? "whose containers reach each other"
                                          : "without traffic between its containers",
                                   name);
        own_usable(i);
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
        _cleanup_free_ char *path = NULL;
        int r;

        r = asprintf(&path, "/networks/%s", own_name(i)) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = docker_call(i->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC,
                                again ? on_network_inspected_again : on_network_inspected, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to inspect the network %s: %s",
                              own_name(i), strerror(-r));
}

static void on_bridge_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                                void *userdata)
{
        Instance *i = userdata;

        i->call = NULL;
        instance_setup_bridge_learned(i->manager, error, status, body, len);
        if (i->manager->default_bridge_isolating == 0)
                return instance_fail_call(i, "Inspecting the engine's default bridge", error, status, body,
                                          len);
        settle_network(i);
}

/* ---- on --network: an isolated function's own network, joined by the gateway ---- */

int instance_function_network(const Manager *m, const FunctionConfig *c, char **ret)
{
        *ret = NULL;
        if (!m->network || c->network != FUNCTION_NETWORK_ISOLATED || !gateway_known(m))
                return 0;
        if (asprintf(ret, "%s" FUNCTION_NETWORK_INFIX "%s", m->network, c->name) < 0)
                return -ENOMEM;
        return 1;
}

/* Whether the engine's answer to a connect says the container is on the network (403: it was already). */
static bool joined(int error, long status, const char *body, size_t len)
{
        _cleanup_free_ char *message = NULL;

        if (error < 0)
                return false;
        return status == 200 || (status == 403 && docker_parse_error(body, len, &message) >= 0 && message &&
                                 strstr(message, "already exists"));
}

static void join_network(Instance *i, const char *container, docker_callback_t callback)
{
        _cleanup_free_ char *body = NULL, *path = NULL;
        int r;

        r = docker_network_connect_body(container, false, &body);
        if (r >= 0)
                r = asprintf(&path, "/networks/%s/connect", i->function_network) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = docker_call(i->manager->docker, "POST", path, body, CALL_TIMEOUT_USEC, callback, i,
                                &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to join container %s to network %s: %s",
                              container, i->function_network, strerror(-r));
}

static void on_self_connected(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        Instance *i = userdata;

        i->call = NULL;
        if (!joined(error, status, body, len))
                return instance_fail_call(i, "Joining the manager to the function's network", error, status,
                                          body, len);
        network_ready(i, i->function_network);
}

static void on_gateway_connected(DockerClient *d, int error, long status, const char *body, size_t len,
                                 void *userdata)
{
        Instance *i = userdata;

        i->call = NULL;
        if (!joined(error, status, body, len))
                return instance_fail_call(i, "Joining the gateway to the function's network", error, status,
                                          body, len);
        /* The manager probes the instances at their address: a manager in a container joins too (it
         * listens on no port there); one on the engine's host reaches every bridge as it is. */
        if (i->manager->self_container)
                return join_network(i, i->manager->self_container, on_self_connected);
        network_ready(i, i->function_network);
}

static void connect_gateway(Instance *i, const char *container)
{
        join_network(i, container, on_gateway_connected);
}

static void on_gateway_listed(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        Instance *i = userdata;
        DockerContainer *list = NULL;
        size_t n = 0;

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Looking for the gateway's container", error, status, body,
                                          len);
        if (docker_parse_container_list(body, len, &list, &n) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The engine's list of containers is invalid.");
        for (size_t k = 0; k < n; k++)
                if (list[k].service && strcmp(list[k].service, "gateway") == 0) {
                        connect_gateway(i, list[k].id);
                        docker_container_array_free(list, n);
                        return;
                }
        docker_container_array_free(list, n);
        instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                      "Function '%s' runs on a network of its own, which the gateway must join, but compose "
                      "project %s has no service \"gateway\" running.",
                      i->function->name, i->manager->compose_project);
}

static void find_gateway(Instance *i)
{
        Manager *m = i->manager;
        _cleanup_free_ char *filter = NULL, *path = NULL;
        int r;

        if (strcmp(m->config.gateway_container, "auto") != 0)
                return connect_gateway(i, m->config.gateway_container);
        r = docker_label_filter(LABEL_COMPOSE_PROJECT, m->compose_project, &filter);
        if (r >= 0)
                r = asprintf(&path, "/containers/json?filters=%s", filter) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_gateway_listed, i,
                                &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                              "Failed to look for the gateway's container: %s", strerror(-r));
}

static void on_function_network_created(DockerClient *d, int error, long status, const char *body,
                                        size_t len, void *userdata)
{
        Instance *i = userdata;

        i->call = NULL;
        /* 409: made by another start meanwhile. */
        if (error < 0 || (status != 201 && status != 409))
                return instance_fail_call(i, "Creating the function's network", error, status, body, len);
        if (status == 201)
                log_info("Made the network %s for the instances of isolated function '%s'.",
                         i->function_network, i->function->name);
        find_gateway(i);
}

static void on_function_network_inspected(DockerClient *d, int error, long status, const char *body,
                                          size_t len, void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *create = NULL;
        int r;

        i->call = NULL;
        if (error >= 0 && status == 404) {
                r = docker_bridge_network_body(i->function_network, true, i->manager->network, &create);
                if (r >= 0)
                        r = docker_call(i->manager->docker, "POST", "/networks/create", create,
                                        CALL_TIMEOUT_USEC, on_function_network_created, i, &i->call);
                if (r < 0)
                        instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to create the network %s: %s",
                                      i->function_network, strerror(-r));
                return;
        }
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Inspecting the function's network", error, status, body, len);
        if (docker_parse_network_bridge(body, len) != DOCKER_BRIDGE_OPEN)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "The network %s exists, but is not a bridge whose containers reach each "
                        "other; remove it (docker network rm %s) and lambda-manager makes it anew.",
                        i->function_network, i->function_network);
        find_gateway(i);
}

/* Settles i on its function's own network: inspected, made if missing, the gateway joined to it. */
static void settle_function_network(Instance *i)
{
        _cleanup_free_ char *path = NULL;
        int r;

        free(i->function_network);
        r = instance_function_network(i->manager, i->function->config, &i->function_network);
        if (r > 0)
                r = asprintf(&path, "/networks/%s", i->function_network) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = docker_call(i->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC,
                                on_function_network_inspected, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to inspect the function's network: %s",
                              strerror(-r));
}

typedef struct GatewayJoin {
        Manager *manager;
        char *id;
} GatewayJoin;

static void on_gateway_rejoined(DockerClient *d, int error, long status, const char *body, size_t len,
                                void *userdata)
{
        if (!joined(error, status, body, len))
                log_warning(
                        "Failed to join the gateway to a network of an isolated function (HTTP %li); its "
                        "instances there cannot be reached until the next start of one.",
                        status);
}

static void on_function_networks_listed(DockerClient *d, int error, long status, const char *body,
                                        size_t len, void *userdata)
{
        _cleanup_free_ GatewayJoin *j = userdata;
        _cleanup_free_ char *gateway = j->id;
        Manager *m = j->manager;
        DockerContainer *list = NULL;
        size_t n = 0;
        unsigned joining = 0;

        if (error < 0 || status != 200 || docker_parse_container_list(body, len, &list, &n) < 0) {
                log_warning("Cannot list the networks of isolated functions to join the gateway to them.");
                return;
        }
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *path = NULL, *connect = NULL;

                if (!list[k].managed || !list[k].network || strcmp(list[k].network, m->network) != 0)
                        continue;
                if (docker_network_connect_body(gateway, false, &connect) < 0 ||
                    asprintf(&path, "/networks/%s/connect", list[k].id) < 0 ||
                    docker_call(m->docker, "POST", path, connect, CALL_TIMEOUT_USEC, on_gateway_rejoined,
                                NULL, NULL) < 0) {
                        (void) log_oom();
                        continue;
                }
                joining++;
        }
        docker_container_array_free(list, n);
        if (joining > 0)
                log_info("The gateway (%.12s) started: joining it to %u network(s) of isolated functions.",
                         gateway, joining);
}

void instance_setup_gateway_started(Manager *m, const char *id)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        GatewayJoin *j;

        if (!m->network || docker_label_filter(LABEL_NETWORK, m->network, &filter) < 0 ||
            asprintf(&path, "/networks?filters=%s", filter) < 0)
                return (void) log_oom();
        j = calloc(1, sizeof(GatewayJoin));
        if (!j || !(j->id = strdup(id))) {
                free(j);
                return (void) log_oom();
        }
        j->manager = m;
        if (docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_function_networks_listed, j,
                        NULL) < 0) {
                free(j->id);
                free(j);
                (void) log_oom();
        }
}

/* Whether i can be reached at a socket in the sockets directory (instance-socket.h), which on --network
 * is bound at its host path into the gateway's container as into the manager's; fails i when not. */
static bool socket_possible(Instance *i, const char *network)
{
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        uid_t uid;

        if (!m->config.instance_sockets_dir) {
                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                              "Function '%s' wants network \"%s\", whose instances are invoked at a "
                              "socket in lambda-manager's --instance-sockets-dir here, which is not set "
                              "(nor $RUNTIME_DIRECTORY).",
                              i->function->name, network);
                return false;
        }
        /* The socket's owner is checked against it: a name only the image could resolve. */
        if (instance_socket_uid(c->user ?: CONTAINER_USER_DEFAULT, &uid) < 0) {
                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                              "Function '%s' wants network \"%s\", which needs a numeric \"user\" here "
                              "(UID or UID:GID), not '%s'.",
                              i->function->name, network, c->user);
                return false;
        }
        return true;
}

/* "network": "none": the container gets loopback only, and is reached at a unix socket on this host. */
static void settle_no_network(Instance *i)
{
        if (socket_possible(i, "none"))
                network_ready(i, NONE_NETWORK_NAME);
}

/* ISOLATED_NETWORK_NAME, SHARED_NETWORK_NAME: made on first use, checked before. */
static void settle_own_network(Instance *i)
{
        OwnNetwork *own = own_network(i);

        if (own->state > 0)
                return network_ready(i, own_name(i));
        if (own->state < 0 && now_usec(CLOCK_MONOTONIC) < own->retry_usec)
                return network_unavailable(i);
        inspect_network(i, false);
}

static void settle_network(Instance *i)
{
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        const char *intended;
        int r;

        if (c->network == FUNCTION_NETWORK_NONE)
                return settle_no_network(i);
        if (m->network) {
                if (c->network == FUNCTION_NETWORK_ISOLATED && gateway_known(m))
                        return settle_function_network(i);
                /* Swarm: on ISOLATED_NETWORK_NAME, invoked at a socket (instance-setup.h). */
                if (c->network == FUNCTION_NETWORK_ISOLATED) {
                        if (socket_possible(i, "isolated"))
                                settle_own_network(i);
                        return;
                }
                if (c->network == FUNCTION_NETWORK_DEFAULT && !m->isolated_fallback_logged) {
                        log_warning(
                                "Functions without a \"network\" run on --network=%s, where they can reach "
                                "each other (the instance secret still refuses their invocations).",
                                m->network);
                        m->isolated_fallback_logged = true;
                }
                return network_ready(i, NULL);
        }
        /* Asked once a lifetime (adoption asks first): dockerd's icc is fixed while it runs. */
        if (m->default_bridge_isolating == 0) {
                r = docker_call(m->docker, "GET", "/networks/" DEFAULT_BRIDGE_NAME, NULL, CALL_TIMEOUT_USEC,
                                on_bridge_inspected, i, &i->call);
                if (r < 0)
                        instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                      "Failed to inspect the engine's default bridge: %s", strerror(-r));
                return;
        }
        intended = instance_network_intended(m, c);
        if (!intended || strcmp(intended, DEFAULT_BRIDGE_NAME) == 0)
                return network_ready(i, intended);
        settle_own_network(i);
}
