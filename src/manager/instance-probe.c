/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * instance-probe.c: the readiness probes of a starting instance (its lambda-rie's GET /healthz, every
 * 10 ms until it answers or the start times out; at a unix socket, once the socket is checked to be
 * lambda-rie's, instance-socket.h) and the probe of a thawed or adopted one.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "instance-socket.h"
#include "instance.h"
#include "log.h"
#include "managed-function.h"
#include "util.h"

#define PROBE_TIMEOUT_USEC (1 * USEC_PER_SEC)
/* Probed every 10 ms with 1 ms accuracy: sd-event's default (250 ms) would add that much to cold starts. */
#define PROBE_INTERVAL_USEC (10 * USEC_PER_MSEC)

static void instance_ready(Instance *i)
{
        Manager *m = i->manager;
        PoolActions a = {};

        i->ready_usec = now_usec(CLOCK_MONOTONIC);
        log_info("Instance %.12s of '%s' ready at %s:%u.", i->id, i->function->name, i->host, i->port);
        (void) sd_bus_emit_signal(m->bus, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                  "InstanceStarted", "sssq", i->id, i->function->name, i->host, i->port);
        if (pool_instance_ready(&i->function->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        manager_apply(m, i->function, &a, "stopped");
        pool_actions_done(&a);
}

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Instance *i = userdata;

        i->probe_timer = sd_event_source_disable_unref(i->probe_timer);
        instance_probe(i);
        return 0;
}

/* Whether lambda-rie's /healthz answer says it checks the instance secret: one that predates the check
 * would serve anybody, whatever secret the gateway sends. */
static bool health_checks_secret(const char *body, size_t len)
{
        json_tokener *tok = json_tokener_new();
        json_object *o = NULL, *v;
        bool yes;

        if (!tok)
                return false;
        o = json_tokener_parse_ex(tok, body, (int) MIN(len, (size_t) 4096));
        json_tokener_free(tok);
        yes = o && json_object_object_get_ex(o, INSTANCE_SECRET_HEALTH_KEY, &v) &&
              json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
        json_object_put(o);
        return yes;
}

static void on_probe(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        int r;

        i->call = NULL;
        if (error == 0 && status == 200 && !health_checks_secret(body, len))
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "The lambda-rie of '%s' (image %s's own, or the one lambda-manager lends: "
                        "--rie-path, --rie-volume) predates the instance secret, so anybody could "
                        "invoke the instance: rebuild the image with the current lambda-rie, or "
                        "give lambda-manager the current one to lend (compose: docker volume rm "
                        "PROJECT_rie).",
                        i->function->name, i->function->config->image);
        if (error == 0 && status == 200)
                return instance_ready(i);

        if (now_usec(CLOCK_MONOTONIC) >= i->start_deadline && i->port == 0 && !i->socket_checked)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "The instance made no invoke socket within %llu s (a lambda-rie that predates "
                        "\"network\": \"none\" listens on port 8080 only: rebuild the image with the "
                        "current one).",
                        (unsigned long long) (i->manager->config.start_timeout_usec / USEC_PER_SEC));
        if (now_usec(CLOCK_MONOTONIC) >= i->start_deadline)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED, "The instance did not answer within %llu s.",
                        (unsigned long long) (i->manager->config.start_timeout_usec / USEC_PER_SEC));

        r = sd_event_add_time_relative(i->manager->event, &i->probe_timer, CLOCK_MONOTONIC,
                                       PROBE_INTERVAL_USEC, USEC_PER_MSEC, on_probe_timer, i);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to schedule a readiness probe: %s",
                              strerror(-r));
}

int instance_probe_url(Manager *m, const char *host, uint16_t port, docker_callback_t callback,
                       void *userdata, DockerCall **ret)
{
        _cleanup_free_ char *url = NULL;

        if (port == 0)
                return http_probe(m->docker, "http://localhost/healthz", host, PROBE_TIMEOUT_USEC, callback,
                                  userdata, ret);
        if (asprintf(&url, "http://%s:%u/healthz", host, port) < 0)
                return -ENOMEM;
        return http_probe(m->docker, url, NULL, PROBE_TIMEOUT_USEC, callback, userdata, ret);
}

void instance_probe(Instance *i)
{
        int r;

        /* Before anything is sent to the socket: it is lambda-rie's, and its directory is closed. */
        if (i->port == 0 && !i->socket_checked) {
                uid_t uid = 0;

                r = instance_socket_uid(i->function->config->user ?: CONTAINER_USER_DEFAULT, &uid);
                if (r >= 0)
                        r = instance_socket_check(i->host, uid);
                if (r == -ENOENT) /* lambda-rie does not listen yet */
                        return on_probe(i->manager->docker, r, 0, "", 0, i);
                if (r < 0)
                        return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                             "The invoke socket of the instance of '%s' (%s) is not "
                                             "lambda-rie's (a socket of uid %u): %s",
                                             i->function->name, i->host, (unsigned) uid,
                                             r == -EPERM ? "something else is there" : strerror(-r));
                i->socket_checked = true;
        }
        r = instance_probe_url(i->manager, i->host, i->port, on_probe, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to probe the instance: %s",
                              strerror(-r));
}
