/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* instance.c: an instance's container through its life in the engine (instance.h): made from its body
 * (instance-body.c), started, inspected for its address, failed with the engine's words, frozen and
 * thawed, stopped and removed; each outcome told to its function's pool. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#include "container-reaper.h"
#include "docker-json.h"
#include "instance-setup.h"
#include "instance-socket.h"
#include "instance.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "util.h"

#define INSTANCE_PORT 8080

int instance_new(Manager *m, ManagedFunction *f, PoolInstance *slot, Instance **ret)
{
        Instance *i = calloc(1, sizeof(Instance));

        if (!i)
                return -ENOMEM;
        *i = (Instance){ .manager = m, .function = f, .slot = slot };
        slot->userdata = i;
        LIST_PREPEND(m->instances, i);
        m->n_instances++;
        *ret = i;
        return 0;
}

int instance_adopt(Manager *m, ManagedFunction *f, PoolInstance *slot, const char *id, const char *host,
                   uint16_t port, const char *secret, Instance **ret)
{
        _cleanup_free_ char *i_id = strdup(id), *i_host = strdup(host);
        Instance *i;
        int r;

        if (!i_id || !i_host)
                return -ENOMEM;
        r = instance_new(m, f, slot, &i);
        if (r < 0)
                return r;
        i->id = TAKE_PTR(i_id);
        i->host = TAKE_PTR(i_host);
        i->port = port;
        /* Checked by the adoption already. */
        if (port == 0 && instance_socket_dir_of(m, i->host, &i->socket_dir) < 0) {
                instance_free(i);
                return -ENOMEM;
        }
        i->socket_checked = port == 0;
        assert(instance_secret_is_valid(secret));
        memcpy(i->secret, secret, INSTANCE_SECRET_SIZE);
        i->ready_usec = now_usec(CLOCK_MONOTONIC);
        *ret = i;
        return 0;
}

Instance *instance_free(Instance *i)
{
        Manager *m;

        if (!i)
                return NULL;
        m = i->manager;
        LIST_REMOVE(m->instances, i);
        m->n_instances--;

        docker_call_cancel(i->call);
        sd_event_source_disable_unref(i->probe_timer);
        free(i->id);
        free(i->name);
        free(i->host);
        free(i->socket_dir);
        free(i->function_network);
        explicit_bzero(i->secret, sizeof(i->secret));
        free(i);
        return NULL;
}

Instance *instance_find(Manager *m, const char *id)
{
        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && strcmp(i->id, id) == 0)
                        return i;
        return NULL;
}

void instance_emit_stopped(Instance *i, const char *reason)
{
        if (!i->id || !i->manager->bus)
                return;
        (void) sd_bus_emit_signal(i->manager->bus, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                  "InstanceStopped", "sss", i->id, i->function->name, reason);
}

void instance_fail(Instance *i, const char *error_name, const char *format, ...)
{
        Manager *m = i->manager;
        ManagedFunction *f = i->function;
        PoolActions a = {};
        va_list ap;

        /* Whatever step failed, with the engine away the start never had its chance: try again. */
        if (!docker_client_reachable(m->docker))
                error_name = LAMBDAD_ERROR_BACKEND_UNAVAILABLE;
        free(m->fail_message);
        va_start(ap, format);
        if (vasprintf(&m->fail_message, format, ap) < 0)
                m->fail_message = NULL;
        va_end(ap);
        m->fail_error = error_name;
        log_warning("Starting an instance of '%s' failed: %s", f->name, m->fail_message ?: "?");
        free(f->start_message);
        f->start_message = m->fail_message ? strdup(m->fail_message) : NULL;
        f->start_error = error_name;
        f->start_failed_usec = now_usec(CLOCK_MONOTONIC);

        if (i->id && reaper_remove(m, i->id, NULL, NULL) < 0)
                log_oom();
        instance_socket_dir_remove(i->socket_dir);
        if (pool_instance_failed(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        instance_free(i);
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
        m->fail_error = NULL;
        free(m->fail_message);
        m->fail_message = NULL;
}

/* Maps a failed engine call to the error of the start, with the engine's own words. The engine's own
 * faults (it cannot be reached, it went away mid-call, or it answers 5xx: its containerd restarting, it
 * shutting down) are BackendUnavailable, for the caller to try again; what it refuses (4xx: a bad image
 * or command) is StartFailed. */
void instance_fail_call(Instance *i, const char *what, int error, long status, const char *body, size_t len)
{
        _cleanup_free_ char *message = NULL;

        if (error < 0)
                return instance_fail(i, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                     "Container engine unreachable (%s): %s", what, strerror(-error));
        (void) docker_parse_error(body, len, &message);
        instance_fail(i, status >= 500 ? LAMBDAD_ERROR_BACKEND_UNAVAILABLE : LAMBDAD_ERROR_START_FAILED,
                      "%s failed (HTTP %li): %s", what, status, message ?: "?");
}

static void on_logs(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *output = NULL;

        i->call = NULL;
        if (error == 0 && status == 200 && docker_parse_logs(body, len, &output) >= 0 && output[0])
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "The container of '%s' exited at once (exit code %i). Its last output:\n%s",
                        i->function->name, i->exit_code, output);
        instance_fail(
                i, LAMBDAD_ERROR_START_FAILED, "The container of '%s' exited at once (exit code %i)%s.",
                i->function->name, i->exit_code,
                error == 0 && status == 200 ? " without any output" : "; its output could not be read");
}

/* The container stopped before it answered: say why, with its exit code and last words. */
static void instance_exited(Instance *i, int exit_code)
{
        _cleanup_free_ char *path = NULL;
        int r;

        i->exit_code = exit_code;
        i->exited = true;
        if (asprintf(&path, "/containers/%s/logs?stdout=1&stderr=1&tail=%u", i->id, DOCKER_LOG_TAIL_LINES) <
            0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        r = docker_call(i->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_logs, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                              "The container of '%s' exited at once (exit code %i).", i->function->name,
                              exit_code);
}

static void on_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                         void *userdata)
{
        Instance *i = userdata;
        DockerInspect info = {};
        int r;

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Inspecting the container", error, status, body, len);
        r = docker_parse_inspect(body, len, &info);
        if (r < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The engine's description of the container is invalid.");
        if (!info.running) {
                instance_exited(i, info.exit_code);
                docker_inspect_done(&info);
                return;
        }
        /* Inspected again after the engine said it died while it was being probed. */
        if (i->host) {
                docker_inspect_done(&info);
                return instance_probe(i);
        }

        r = instance_address(i->manager, &info, &i->host, &i->port);
        docker_inspect_done(&info);
        if (r == -ENOMEM)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        if (r < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The container has no reachable address.");
        instance_probe(i);
}

int instance_address(Manager *m, const DockerInspect *info, char **ret_host, uint16_t *ret_port)
{
        _cleanup_free_ char *dir = NULL;
        const char *host = m->config.publish_loopback ? "127.0.0.1" : info->ip_address;
        uint16_t port = m->config.publish_loopback ? info->host_port : INSTANCE_PORT;
        char *h;
        int r;

        /* Without a network: its socket, in a directory of ours (no other path is trusted). */
        if (info->socket_dir) {
                _cleanup_free_ char *path = NULL;

                r = instance_socket_path(info->socket_dir, &path);
                if (r < 0)
                        return r;
                r = instance_socket_dir_of(m, path, &dir);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return -EADDRNOTAVAIL;
                *ret_host = TAKE_PTR(path);
                *ret_port = 0;
                return 0;
        }
        if (!host || port == 0)
                return -EADDRNOTAVAIL;
        h = strdup(host);
        if (!h)
                return -ENOMEM;
        *ret_host = h;
        *ret_port = port;
        return 0;
}

static int instance_inspect(Instance *i)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/containers/%s/json", i->id) < 0)
                return -ENOMEM;
        return docker_call(i->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_inspected, i,
                           &i->call);
}

static void on_started(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        int r;

        i->call = NULL;
        if (error < 0 || (status != 204 && status != 304))
                return instance_fail_call(i, "Starting the container", error, status, body, len);

        r = instance_inspect(i);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to inspect the container: %s",
                              strerror(-r));
}

static void on_created(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *path = NULL;
        int r;

        i->call = NULL;
        if (error < 0 || status != 201)
                return instance_fail_call(i, "Creating the container", error, status, body, len);
        r = docker_parse_create(body, len, &i->id);
        if (r < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The engine's answer to create is invalid.");

        if (asprintf(&path, "/containers/%s/start", i->id) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        r = docker_call(d, "POST", path, NULL, CALL_TIMEOUT_USEC, on_started, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to start the container: %s",
                              strerror(-r));
}

static void instance_create(Instance *i, const DockerImage *image)
{
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        _cleanup_free_ char *body = NULL, *path = NULL;
        char suffix[9], spec[INSTANCE_SPEC_SIZE];
        int r;

        /* Of the network it really goes on: one that could not be isolated is not adopted as isolated. */
        r = instance_spec_on(m, c, image, i->network_mode, spec);
        if (r >= 0)
                r = instance_secret_new(i->secret);
        if (r >= 0 && network_via_socket(m, i->network_mode) && !i->socket_dir) {
                r = instance_socket_dir_new(m, &i->socket_dir);
                if (r < 0)
                        return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                             "Failed to make the directory of the instance's invoke socket "
                                             "in %s: %s",
                                             m->config.instance_sockets_dir, strerror(-r));
        }
        if (r >= 0)
                r = instance_body(m, c, image, m->lifetime, spec, i->secret, i->network_mode, i->socket_dir,
                                  &body);
        if (r == -ENOPKG)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "Image %s does not run lambda-rie, and lambda-manager has none to lend it "
                        "(--rie-path, --rie-volume).",
                        c->image);
        if (r == -ENOMEM)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        if (r < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to describe the container: %s",
                                     strerror(-r));

        free(i->name);
        i->name = NULL;
        if (random_hex(suffix, 4) < 0 || asprintf(&i->name, "lambdad-%s-%s", c->name, suffix) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        /* A container's name has no ':': a version's ("NAME:N") is lambdad-NAME.N-SUFFIX. */
        for (char *p = strchr(i->name, ':'); p; p = strchr(p, ':'))
                *p = '.';

        if (asprintf(&path, "/containers/create?name=%s", i->name) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");

        log_debug("Creating container %s from %s.", i->name, c->image);
        r = docker_call(m->docker, "POST", path, body, CALL_TIMEOUT_USEC, on_created, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to create the container: %s",
                              strerror(-r));
}

static void on_pulled(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *message = NULL;

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Pulling the image", error, status, body, len);
        if (docker_parse_pull_result(body, len, &message) != 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Pulling %s failed: %s",
                                     i->function->config->image, message ?: "out of memory");
        log_info("Pulled %s.", i->function->config->image);
        instance_inspect_image(i);
}

static void instance_pull(Instance *i)
{
        _cleanup_free_ char *path = NULL;
        int r;

        /* Only the declaration's "pull": true lets an image come from a registry. */
        i->pulled = true;
        if (asprintf(&path, "/images/create?fromImage=%s", i->function->config->image) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        log_info("Pulling %s for '%s'.", i->function->config->image, i->function->name);
        r = docker_call(i->manager->docker, "POST", path, NULL, 10 * 60 * USEC_PER_SEC, on_pulled, i,
                        &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to pull the image: %s", strerror(-r));
}

static void on_image(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        _cleanup_(docker_image_done) DockerImage image = {};

        i->call = NULL;
        if (error == 0 && status == 404 && c->pull && !i->pulled)
                return instance_pull(i);
        if (error == 0 && status == 404 && c->code)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "Runtime %s runs in image %s, which this engine does not have: pull it "
                                     "(docker pull %s), let lambda-manager pull it (\"pull\": true in the "
                                     "declaration or in the runtime's file of --runtimes-dir), or map the "
                                     "runtime to a local image (--runtime=%s=IMAGE).",
                                     c->code->runtime, c->image, c->image, c->code->runtime);
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Inspecting the image", error, status, body, len);
        if (docker_parse_image(body, len, &image) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The engine's description of image %s is invalid.", c->image);
        /* Go's names on both sides; an image that says nothing is taken to fit, as the engine does. */
        if ((image.os && strcmp(image.os, m->engine_os) != 0) ||
            (image.architecture && strcmp(image.architecture, m->engine_arch) != 0))
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "Image %s is built for %s/%s, but this engine runs %s/%s containers.",
                                     c->image, image.os ?: m->engine_os,
                                     image.architecture ?: m->engine_arch, m->engine_os, m->engine_arch);
        instance_create(i, &image);
}

void instance_inspect_image(Instance *i)
{
        _cleanup_free_ char *path = NULL;
        int r;

        /* Every start reads the image afresh: a tag may have moved since the last one. */
        if (asprintf(&path, "/images/%s/json", i->function->config->image) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        r = docker_call(i->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_image, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to inspect the image: %s",
                              strerror(-r));
}

static void on_version(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_fail_call(i, "Asking the engine's version", error, status, body, len);
        if (!m->engine_arch) {
                if (docker_parse_version(body, len, &m->engine_os, &m->engine_arch) < 0)
                        return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                             "The engine's version answer is invalid.");
                log_debug("The engine runs %s/%s containers.", m->engine_os, m->engine_arch);
        }
        instance_setup(i);
}

void instance_start(Instance *i)
{
        const FunctionConfig *c = i->function->config;
        int r;

        i->start_deadline = now_usec(CLOCK_MONOTONIC) + i->manager->config.start_timeout_usec;
        if (c->code && c->code->error)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "%s", c->code->error);
        if (i->manager->engine_arch)
                return instance_setup(i);
        r = docker_call(i->manager->docker, "GET", "/version", NULL, CALL_TIMEOUT_USEC, on_version, i,
                        &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to ask the engine's version: %s",
                              strerror(-r));
}

static void on_instance_removed(DockerClient *d, int error, long status, const char *body, size_t len,
                                void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;
        ManagedFunction *f = i->function;
        PoolActions a = {};

        i->call = NULL;
        log_info("Instance %.12s of '%s' stopped (%s).", i->id, f->name, i->stop_reason);
        /* The engine would not remove it now: it goes in the background, the instance goes now. */
        if (i->id && (error < 0 || (status >= 300 && status != 404)) &&
            reaper_remove(m, i->id, NULL, NULL) < 0)
                log_oom();

        instance_emit_stopped(i, i->stop_reason);
        instance_socket_dir_remove(i->socket_dir);
        if (pool_instance_gone(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        instance_free(i);
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
}

void instance_stop(Instance *i, const char *reason)
{
        _cleanup_free_ char *path = NULL;
        int r;

        i->stop_reason = reason ?: "stopped";
        docker_call_cancel(i->call);
        i->call = NULL;
        i->probe_timer = sd_event_source_disable_unref(i->probe_timer);

        if (asprintf(&path, "/containers/%s?force=1", i->id) >= 0) {
                r = docker_call(i->manager->docker, "DELETE", path, NULL, CALL_TIMEOUT_USEC,
                                on_instance_removed, i, &i->call);
                if (r >= 0)
                        return;
        }
        /* Nothing to wait for: count it gone now, the next cleanup removes the container. */
        on_instance_removed(i->manager->docker, -EIO, 0, "", 0, i);
}

/* The caller never sees this: the pool serves it from another instance or a fresh one. */
static void instance_thaw_failed(Instance *i, const char *why)
{
        Manager *m = i->manager;
        ManagedFunction *f = i->function;
        PoolActions a = {};

        log_warning("Instance %.12s of '%s' could not be thawed (%s); removing it, serving the call from "
                    "another.",
                    i->id, f->name, why);
        if (reaper_remove(m, i->id, NULL, NULL) < 0)
                log_oom();
        instance_emit_stopped(i, "thaw failed");
        instance_socket_dir_remove(i->socket_dir);
        if (pool_instance_thaw_failed(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        instance_free(i);
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
}

void instance_died(Instance *i)
{
        switch (i->slot->state) {
        case INSTANCE_IDLE:
        case INSTANCE_LEASED:
        case INSTANCE_FROZEN:
                log_warning("Instance %.12s of '%s' died.", i->id, i->function->name);
                return instance_stop(i, "died");
        case INSTANCE_THAWING:
                return instance_thaw_failed(i, "it died");
        case INSTANCE_STARTING:
                if (!i->host || i->exited)
                        return; /* earlier steps see that it does not run by themselves */
                /* Being probed: rather than probing a dead container until the start times out, learn
                 * how it ended. */
                docker_call_cancel(i->call);
                i->call = NULL;
                i->probe_timer = sd_event_source_disable_unref(i->probe_timer);
                if (instance_inspect(i) < 0)
                        instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                      "The container of '%s' died while starting.", i->function->name);
                return;
        case INSTANCE_STOPPING:
                return;
        }
}

/* A container that does not run cannot be paused: the instance is dead; any other failure (the engine
 * away) leaves it running, which the thaw copes with. */
static void on_paused(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *message = NULL;

        i->call = NULL;
        if (error == 0 && status < 300)
                log_debug("Instance %.12s of '%s' frozen.", i->id, i->function->name);
        else if (error == 0 && (status == 404 || status == 409)) {
                (void) docker_parse_error(body, len, &message);
                log_warning("Instance %.12s of '%s' could not be frozen (HTTP %li: %s).", i->id,
                            i->function->name, status, message ?: "?");
                return instance_died(i);
        } else
                log_debug("Instance %.12s of '%s' could not be frozen (%s); it runs on.", i->id,
                          i->function->name, error < 0 ? strerror(-error) : "engine error");
        if (i->thaw_queued) {
                i->thaw_queued = false;
                instance_thaw(i);
        }
}

void instance_freeze(Instance *i)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "/containers/%s/pause", i->id) < 0) {
                log_oom();
                return;
        }
        r = docker_call(i->manager->docker, "POST", path, NULL, CALL_TIMEOUT_USEC, on_paused, i, &i->call);
        if (r < 0)
                log_warning_errno(r, "Failed to freeze instance %.12s: %m", i->id);
}

static void on_thaw_probe(DockerClient *d, int error, long status, const char *body, size_t len,
                          void *userdata)
{
        Instance *i = userdata;
        Manager *m = i->manager;
        ManagedFunction *f = i->function;
        PoolActions a = {};

        i->call = NULL;
        if (error < 0 || status != 200)
                return instance_thaw_failed(i, "it does not answer");
        log_debug("Instance %.12s of '%s' thawed in %.1f ms.", i->id, f->name,
                  (double) (now_usec(CLOCK_MONOTONIC) - i->thaw_since) / USEC_PER_MSEC);
        if (pool_instance_thawed(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        manager_apply(m, f, &a, "stopped");
        pool_actions_done(&a);
}

static void on_unpaused(DockerClient *d, int error, long status, const char *body, size_t len,
                        void *userdata)
{
        Instance *i = userdata;
        _cleanup_free_ char *message = NULL;
        int r;

        i->call = NULL;
        if (error < 0)
                return instance_thaw_failed(i, "the container engine is unreachable");
        /* "is not paused": the pause never happened (the engine was away), and it may well answer. */
        if (status >= 300) {
                (void) docker_parse_error(body, len, &message);
                if (!message || !strstr(message, "is not paused"))
                        return instance_thaw_failed(i, message ?: "the engine refused");
        }
        /* Killed while frozen, it dies only now: ask it, so that no caller is handed a dead one. */
        r = instance_probe_url(i->manager, i->host, i->port, on_thaw_probe, i, &i->call);
        if (r < 0)
                instance_thaw_failed(i, "it could not be probed");
}

void instance_thaw(Instance *i)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (i->call) {
                i->thaw_queued = true; /* the pause is still on its way */
                return;
        }
        i->thaw_since = now_usec(CLOCK_MONOTONIC);
        if (asprintf(&path, "/containers/%s/unpause", i->id) < 0)
                return instance_thaw_failed(i, "out of memory");
        r = docker_call(i->manager->docker, "POST", path, NULL, CALL_TIMEOUT_USEC, on_unpaused, i, &i->call);
        if (r < 0)
                instance_thaw_failed(i, "the unpause could not be sent");
}
