/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "docker-json.h"
#include "docker.h"
#include "launch.h"
#include "list.h"
#include "log.h"
#include "manager.h"
#include "pool.h"
#include "registry.h"
#include "self.h"
#include "strv.h"
#include "util.h"

#define CALL_TIMEOUT_USEC  (30 * USEC_PER_SEC)
#define PROBE_TIMEOUT_USEC (1 * USEC_PER_SEC)
/* Probed every 10 ms with 1 ms accuracy: sd-event's default (250 ms) would add that much to cold starts. */
#define PROBE_INTERVAL_USEC (10 * USEC_PER_MSEC)
#define STOP_GRACE_USEC     (15 * USEC_PER_SEC)
#define MAX_WAITERS         256
#define INSTANCE_PORT       8080
/* On SIGTERM, how long leased instances may finish what they answer before they are removed. */
#define STOP_DRAIN_USEC (1 * USEC_PER_SEC)

typedef struct ManagedFunction ManagedFunction;
typedef struct Instance Instance;
typedef struct PendingCall PendingCall;
typedef struct OwnerTrack OwnerTrack;

typedef enum CallKind {
        CALL_ACQUIRE,
        CALL_ENSURE,
} CallKind;

/* A method call waiting for an instance. */
struct PendingCall {
        Manager *manager;
        ManagedFunction *function;
        sd_bus_message *message;
        CallKind kind;
        uint64_t since;    /* CLOCK_MONOTONIC when the call came */
        PendingCall *next; /* while the function's image is being checked */
};

struct Instance {
        Manager *manager;
        ManagedFunction *function;
        PoolInstance *slot;
        char *id;
        char *name;
        char *host;
        uint16_t port;
        DockerCall *call;
        sd_event_source *probe_timer;
        uint64_t start_deadline;
        int exit_code; /* of a container that exited while starting */
        bool exited;   /* its logs are being read for the error */
        bool pulled;
        const char *stop_reason;
        Instance *prev, *next;
};

struct ManagedFunction {
        Manager *manager;
        char *name;
        FunctionConfig *config; /* NULL while an implicit function's image is being checked */
        Pool pool;
        bool removed; /* gone from the registry: freed once its instances are */
        /* The last failed start, for callers that wait through it and then give up. */
        const char *start_error;
        char *start_message;
        uint64_t start_failed_usec;
        PendingCall *resolving; /* calls waiting for the image check */
        DockerCall *resolve_call;
        ManagedFunction *prev, *next;
};

struct OwnerTrack {
        Manager *manager;
        char *owner;
        sd_bus_track *track;
        OwnerTrack *prev, *next;
};

struct Manager {
        ManagerConfig config;
        char lifetime[33];
        /* What the engine runs, asked once before the first start: images for others are refused. */
        char *engine_os, *engine_arch;

        sd_event *event;
        sd_bus *bus;
        DockerClient *docker;
        Registry *registry;

        ManagedFunction *functions;
        Instance *instances;
        unsigned n_instances;
        OwnerTrack *tracks;
        unsigned n_pending; /* method calls and cleanups not answered yet */

        sd_event_source *tick_timer;
        sd_event_source *idle_timer;
        sd_event_source *gc_event;

        /* What a failed start said, for the FAIL actions it produces. */
        const char *fail_error;
        char *fail_message;

        DockerCall *events;
        sd_event_source *events_retry;
        /* Containers the event stream reported dead, handled outside curl's callbacks. */
        char **dead;
        sd_event_source *dead_event;

        bool exiting;
        int cleanup_result;
        bool cleanup_done;

        char *network;    /* --network, resolved; NULL: the engine's default */
        char *rie_volume; /* --rie-volume=auto, resolved (config.rie_volume then points here) */
};

static void manager_apply(Manager *m, ManagedFunction *f, PoolActions *a, const char *stop_reason);
static void manager_update_timers(Manager *m);
static void instance_start(Instance *i);

/* ---- replies ---- */

static void pending_free(PendingCall *pc)
{
        if (!pc)
                return;
        pc->manager->n_pending--;
        sd_bus_message_unref(pc->message);
        free(pc);
}

static int pending_new(Manager *m, ManagedFunction *f, sd_bus_message *message, CallKind kind,
                       PendingCall **ret)
{
        PendingCall *pc = calloc(1, sizeof(PendingCall));

        if (!pc)
                return -ENOMEM;
        *pc = (PendingCall){
                .manager = m,
                .function = f,
                .message = sd_bus_message_ref(message),
                .kind = kind,
                .since = now_usec(CLOCK_MONOTONIC),
        };
        m->n_pending++;
        *ret = pc;
        return 0;
}

static void pending_reply_error(PendingCall *pc, const char *name, const char *format, ...) _printf_(3, 4);
static void pending_reply_error(PendingCall *pc, const char *name, const char *format, ...)
{
        va_list ap;
        /* Room for a start failure that quotes the container's last output. */
        char text[1024];

        va_start(ap, format);
        (void) vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        (void) sd_bus_reply_method_errorf(pc->message, name, "%s", text);
        pending_free(pc);
}

/* ---- lease owners ---- */

static OwnerTrack *owner_track_free(OwnerTrack *t)
{
        Manager *m;

        if (!t)
                return NULL;
        m = t->manager;
        LIST_REMOVE(m->tracks, t);
        sd_bus_track_unref(t->track);
        free(t->owner);
        free(t);
        return NULL;
}

static int on_owner_gone(sd_bus_track *track, void *userdata)
{
        OwnerTrack *t = userdata;
        Manager *m = t->manager;
        _cleanup_free_ char *owner = TAKE_PTR(t->owner);

        owner_track_free(t);
        log_debug("Lease holder %s disconnected, ending its leases.", owner);
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (pool_owner_gone(&f->pool, owner, now_usec(CLOCK_MONOTONIC), &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "lease holder disconnected");
                pool_actions_done(&a);
        }
        return 0;
}

static int owner_track(Manager *m, sd_bus_message *message)
{
        const char *sender = sd_bus_message_get_sender(message);
        OwnerTrack *t;
        int r;

        if (!sender)
                return 0;
        for (t = m->tracks; t; t = t->next)
                if (strcmp(t->owner, sender) == 0)
                        return 0;

        t = calloc(1, sizeof(OwnerTrack));
        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->owner = strdup(sender);
        if (!t->owner) {
                free(t);
                return -ENOMEM;
        }
        r = sd_bus_track_new(m->bus, &t->track, on_owner_gone, t);
        if (r >= 0)
                r = sd_bus_track_add_sender(t->track, message);
        if (r < 0) {
                sd_bus_track_unref(t->track);
                free(t->owner);
                free(t);
                return r;
        }
        LIST_PREPEND(m->tracks, t);
        return 0;
}

/* ---- functions ---- */

static PoolLimits function_limits(Manager *m, const FunctionConfig *c)
{
        return (PoolLimits){
                .min_instances = c->min_instances,
                .max_instances = c->max_instances,
                .idle_timeout_usec = c->idle_timeout_usec,
                .wait_timeout_usec = m->config.wait_timeout_usec,
                .max_waiters = MAX_WAITERS,
        };
}

static ManagedFunction *function_free(ManagedFunction *f)
{
        Manager *m;

        if (!f)
                return NULL;
        m = f->manager;
        LIST_REMOVE(m->functions, f);

        docker_call_cancel(f->resolve_call);
        while (f->resolving) {
                PendingCall *pc = f->resolving;

                f->resolving = pc->next;
                pending_reply_error(pc, LAMBDAD_ERROR_CANCELLED, "ManagedFunction '%s' went away.", f->name);
        }
        pool_done(&f->pool);
        function_config_free(f->config);
        free(f->start_message);
        free(f->name);
        free(f);
        return NULL;
}

static ManagedFunction *function_find(Manager *m, const char *name)
{
        for (ManagedFunction *f = m->functions; f; f = f->next)
                if (!f->removed && strcmp(f->name, name) == 0)
                        return f;
        return NULL;
}

static int function_new(Manager *m, const char *name, FunctionConfig *config, ManagedFunction **ret)
{
        ManagedFunction *f = calloc(1, sizeof(ManagedFunction));

        if (!f)
                return -ENOMEM;
        f->manager = m;
        f->name = strdup(name);
        if (!f->name) {
                free(f);
                return -ENOMEM;
        }
        f->config = config;
        /* An implicit function gets its limits once its image is checked. */
        pool_init(&f->pool, &(PoolLimits){ .max_waiters = MAX_WAITERS });
        if (config)
                f->pool.limits = function_limits(m, config);
        LIST_PREPEND(m->functions, f);
        *ret = f;
        return 0;
}

/* Removed functions go once nothing of them is left; from the loop's top, never under a caller. */
static int on_gc(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;

        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                next = f->next;
                if (f->removed && f->pool.n_instances == 0 && f->pool.n_waiters == 0 && !f->resolving)
                        function_free(f);
        }
        return 0;
}

static void function_gc_later(Manager *m)
{
        if (m->gc_event)
                (void) sd_event_source_set_enabled(m->gc_event, SD_EVENT_ONESHOT);
}

/* ---- instances ---- */

static Instance *instance_free(Instance *i)
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
        free(i);
        return NULL;
}

static Instance *instance_find(Manager *m, const char *id)
{
        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && strcmp(i->id, id) == 0)
                        return i;
        return NULL;
}

static void emit_stopped(Instance *i, const char *reason)
{
        if (!i->id || !i->manager->bus)
                return;
        (void) sd_bus_emit_signal(i->manager->bus, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                  "InstanceStopped", "sss", i->id, i->function->name, reason);
}

/* Removal of a container we no longer track: nobody waits for the answer. */
static void on_removed_untracked(DockerClient *d, int error, long status, const char *body, size_t len,
                                 void *userdata)
{
        if (error < 0 || (status >= 300 && status != 404))
                log_warning("Failed to remove a container (status %li, %s); --cleanup will.", status,
                            error < 0 ? strerror(-error) : "engine error");
}

static void remove_container(Manager *m, const char *id)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "/containers/%s?force=1", id) < 0) {
                log_oom();
                return;
        }
        r = docker_call(m->docker, "DELETE", path, NULL, CALL_TIMEOUT_USEC, on_removed_untracked, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to remove container %s: %m", id);
}

static void instance_fail(Instance *i, const char *error_name, const char *format, ...) _printf_(3, 4);
static void instance_fail(Instance *i, const char *error_name, const char *format, ...)
{
        Manager *m = i->manager;
        ManagedFunction *f = i->function;
        PoolActions a = {};
        va_list ap;

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

        if (i->id)
                remove_container(m, i->id);
        if (pool_instance_failed(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        instance_free(i);
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
        m->fail_error = NULL;
        free(m->fail_message);
        m->fail_message = NULL;
}

/* Maps a failed engine call to the error of the start, with the engine's own words. */
static void instance_fail_call(Instance *i, const char *what, int error, long status, const char *body,
                               size_t len)
{
        _cleanup_free_ char *message = NULL;

        if (error < 0)
                return instance_fail(i, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                     "Container engine unreachable (%s): %s", what, strerror(-error));
        (void) docker_parse_error(body, len, &message);
        instance_fail(i, LAMBDAD_ERROR_START_FAILED, "%s failed (HTTP %li): %s", what, status,
                      message ?: "?");
}

static void instance_probe(Instance *i);

static void instance_ready(Instance *i)
{
        Manager *m = i->manager;
        PoolActions a = {};

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

static void on_probe(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Instance *i = userdata;
        int r;

        i->call = NULL;
        if (error == 0 && status == 200)
                return instance_ready(i);

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

static void instance_probe(Instance *i)
{
        _cleanup_free_ char *url = NULL;
        int r;

        if (asprintf(&url, "http://%s:%u/healthz", i->host, i->port) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        r = http_probe(i->manager->docker, url, PROBE_TIMEOUT_USEC, on_probe, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to probe the instance: %s",
                              strerror(-r));
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

        if (i->manager->config.publish_loopback) {
                i->host = strdup("127.0.0.1");
                i->port = info.host_port;
        } else {
                i->host = info.ip_address ? strdup(info.ip_address) : NULL;
                i->port = INSTANCE_PORT;
        }
        docker_inspect_done(&info);
        if (!i->host || i->port == 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                     "The container has no reachable address.");
        instance_probe(i);
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

static int instance_env(Instance *i, char ***ret)
{
        const FunctionConfig *c = i->function->config;
        _cleanup_strv_free_ char **env = strv_copy(c->env);
        char v[32];
        int r;

        if (!env)
                return -ENOMEM;
        r = env_set(&env, "AWS_LAMBDA_FUNCTION_NAME", c->name, true);
        (void) snprintf(v, sizeof(v), "%u", c->memory_mb);
        if (r >= 0)
                r = env_set(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", v, true);
        (void) snprintf(v, sizeof(v), "%u", c->timeout_sec);
        if (r >= 0)
                r = env_set(&env, "AWS_LAMBDA_FUNCTION_TIMEOUT", v, true);
        /* The runtime initialises while the instance is still being handed out: cold starts are shorter. */
        if (r >= 0)
                r = env_set(&env, "LAMBDA_RIE_EAGER_INIT", "1", true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

static void instance_create(Instance *i, const DockerImage *image)
{
        Manager *m = i->manager;
        const FunctionConfig *c = i->function->config;
        _cleanup_(launch_plan_done) LaunchPlan plan = {};
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *body = NULL, *path = NULL;
        char suffix[9];
        int r;

        if (launch_plan(c->entrypoint, c->command, image->entrypoint, image->cmd, &plan) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");
        if (plan.lend_rie && !m->config.rie_path && !m->config.rie_volume)
                return instance_fail(
                        i, LAMBDAD_ERROR_START_FAILED,
                        "Image %s does not run lambda-rie, and lambda-manager has none to lend it "
                        "(--rie-path, --rie-volume).",
                        c->image);

        free(i->name);
        i->name = NULL;
        if (random_hex(suffix, 4) < 0 || asprintf(&i->name, "lambdad-%s-%s", c->name, suffix) < 0 ||
            instance_env(i, &env) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");

        r = docker_create_body(
                &(DockerCreateParams){
                        .image = c->image,
                        .function = c->name,
                        .lifetime = m->lifetime,
                        .env = env,
                        .memory_bytes = (uint64_t) c->memory_mb * 1024 * 1024,
                        .nano_cpus = c->nano_cpus,
                        .publish_loopback = m->config.publish_loopback,
                        .user = c->user ?: CONTAINER_USER_DEFAULT,
                        .entrypoint = plan.entrypoint,
                        .cmd = plan.cmd,
                        .working_dir = c->working_directory,
                        .rie = !plan.lend_rie         ? DOCKER_RIE_NONE
                               : m->config.rie_volume ? DOCKER_RIE_VOLUME
                                                      : DOCKER_RIE_BIND,
                        .rie_source = m->config.rie_volume ?: m->config.rie_path,
                        .network = m->network,
                },
                &body);
        if (r < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to describe the container: %s",
                                     strerror(-r));
        if (asprintf(&path, "/containers/create?name=%s", i->name) < 0)
                return instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Out of memory.");

        log_debug("Creating container %s from %s%s.", i->name, c->image,
                  plan.lend_rie ? " with lambda-rie lent" : "");
        r = docker_call(m->docker, "POST", path, body, CALL_TIMEOUT_USEC, on_created, i, &i->call);
        if (r < 0)
                instance_fail(i, LAMBDAD_ERROR_START_FAILED, "Failed to create the container: %s",
                              strerror(-r));
}

static void instance_inspect_image(Instance *i);

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

static void instance_inspect_image(Instance *i)
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
        instance_inspect_image(i);
}

static void instance_start(Instance *i)
{
        int r;

        i->start_deadline = now_usec(CLOCK_MONOTONIC) + i->manager->config.start_timeout_usec;
        if (i->manager->engine_arch)
                return instance_inspect_image(i);
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
        if (error < 0 || (status >= 300 && status != 404))
                log_warning("Failed to remove container %.12s of '%s' (status %li); --cleanup will.", i->id,
                            f->name, status);
        else
                log_info("Instance %.12s of '%s' stopped (%s).", i->id, f->name, i->stop_reason);

        emit_stopped(i, i->stop_reason);
        if (pool_instance_gone(&f->pool, i->slot, now_usec(CLOCK_MONOTONIC), &a) < 0)
                log_oom();
        instance_free(i);
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
}

static void instance_stop(Instance *i, const char *reason)
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

/* ---- carrying out what the pools decide ---- */

static void reply_grant(Manager *m, PendingCall *pc, PoolInstance *slot)
{
        Instance *i = slot->userdata;
        ManagedFunction *f = pc->function;
        int r;

        if (pc->kind == CALL_ENSURE) {
                PoolActions a = {};

                /* EnsureContainer only makes sure an instance runs: no lease stays behind. */
                r = sd_bus_reply_method_return(pc->message, "sq", i->host, i->port);
                pending_free(pc);
                if (pool_release(&f->pool, slot, true, now_usec(CLOCK_MONOTONIC), &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, NULL);
                pool_actions_done(&a);
                return;
        }

        r = owner_track(m, pc->message);
        if (r < 0)
                log_warning_errno(r,
                                  "Failed to track the lease holder; the lease ends only with Release: %m");
        r = sd_bus_reply_method_return(pc->message, "ssq", i->id, i->host, i->port);
        if (r < 0)
                log_warning_errno(r, "Failed to answer Acquire: %m");
        pending_free(pc);
}

static void reply_fail(Manager *m, PendingCall *pc, int error)
{
        ManagedFunction *f = pc->function;

        switch (error) {
        case -EBUSY:
                /* Gave up waiting: say why, a start that failed meanwhile being the likelier cause. */
                if (f->start_message && f->start_failed_usec >= pc->since)
                        return pending_reply_error(
                                pc, f->start_error,
                                "No instance of '%s' became free in time; its last start failed: %s",
                                f->name, f->start_message);
                return pending_reply_error(
                        pc, LAMBDAD_ERROR_LIMIT_EXCEEDED,
                        "ManagedFunction '%s' is at its limit of %u instances (%u busy, %u starting) and "
                        "none became free in time.",
                        f->name, f->pool.limits.max_instances, pool_count(&f->pool, INSTANCE_LEASED),
                        pool_count(&f->pool, INSTANCE_STARTING));
        case -EIO:
                return pending_reply_error(pc, m->fail_error ?: LAMBDAD_ERROR_START_FAILED, "%s",
                                           m->fail_message ?: "Starting an instance failed.");
        case -ECONNRESET:
                /* The caller is gone; nobody reads this. */
                return pending_free(pc);
        default:
                return pending_reply_error(pc, LAMBDAD_ERROR_CANCELLED, "ManagedFunction '%s' was stopped.",
                                           pc->function->name);
        }
}

static void manager_apply(Manager *m, ManagedFunction *f, PoolActions *a, const char *stop_reason)
{
        for (size_t k = 0; k < a->n; k++) {
                PoolAction *act = &a->a[k];

                switch (act->type) {
                case POOL_ACTION_START: {
                        Instance *i = calloc(1, sizeof(Instance));

                        if (!i) {
                                PoolActions b = {};

                                log_oom();
                                (void) pool_instance_failed(&f->pool, act->instance,
                                                            now_usec(CLOCK_MONOTONIC), &b);
                                manager_apply(m, f, &b, NULL);
                                pool_actions_done(&b);
                                break;
                        }
                        *i = (Instance){ .manager = m, .function = f, .slot = act->instance };
                        act->instance->userdata = i;
                        LIST_PREPEND(m->instances, i);
                        m->n_instances++;
                        instance_start(i);
                        break;
                }
                case POOL_ACTION_STOP:
                        instance_stop(act->instance->userdata, stop_reason);
                        break;
                case POOL_ACTION_GRANT:
                        reply_grant(m, act->waiter, act->instance);
                        break;
                case POOL_ACTION_FAIL:
                        reply_fail(m, act->waiter, act->error);
                        break;
                }
        }
        a->n = 0;
        if (f->removed)
                function_gc_later(m);
        manager_update_timers(m);
}

/* ---- timers: pool deadlines and exit on idle ---- */

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (!f->config)
                        continue;
                if (pool_tick(&f->pool, now, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "idle");
                pool_actions_done(&a);
        }
        manager_update_timers(m);
        return 0;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        log_info("No instances and no calls for %llu s, exiting.",
                 (unsigned long long) (m->config.exit_idle_usec / USEC_PER_SEC));
        return sd_event_exit(m->event, 0);
}

static void manager_update_timers(Manager *m)
{
        uint64_t next = UINT64_MAX;

        if (m->exiting) {
                if (m->n_instances == 0)
                        (void) sd_event_exit(m->event, 0);
                return;
        }

        for (ManagedFunction *f = m->functions; f; f = f->next)
                if (f->config)
                        next = MIN(next, pool_next_deadline(&f->pool));
        if (m->tick_timer) {
                if (next == UINT64_MAX)
                        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_OFF);
                else {
                        (void) sd_event_source_set_time(m->tick_timer, next);
                        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_ONESHOT);
                }
        }

        if (m->idle_timer && m->config.exit_idle_usec > 0) {
                bool idle = m->n_instances == 0 && m->n_pending == 0 && !m->exiting;

                if (idle && sd_event_source_get_enabled(m->idle_timer, NULL) == 0) {
                        (void) sd_event_source_set_time_relative(m->idle_timer, m->config.exit_idle_usec);
                        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ONESHOT);
                } else if (!idle)
                        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        }
}

/* ---- finding functions, implicit ones included ---- */

static void resolve_finish(ManagedFunction *f, const char *error_name, const char *message)
{
        Manager *m = f->manager;
        PendingCall *calls = TAKE_PTR(f->resolving);

        f->resolve_call = NULL;
        if (error_name) {
                /* Forget the function so that the next call checks again. */
                f->removed = true;
                while (calls) {
                        PendingCall *pc = calls;

                        calls = pc->next;
                        pending_reply_error(pc, error_name, "%s", message);
                }
                function_gc_later(m);
                manager_update_timers(m);
                return;
        }

        while (calls) {
                PendingCall *pc = calls;
                PoolActions a = {};

                calls = pc->next;
                pc->next = NULL;
                if (pool_acquire(&f->pool, pc->kind == CALL_ENSURE ? "" : sd_bus_message_get_sender(pc->message) ?: "",
                                 pc, now_usec(CLOCK_MONOTONIC), &a) < 0)
                        pending_reply_error(pc, SD_BUS_ERROR_NO_MEMORY, "Out of memory.");
                manager_apply(m, f, &a, NULL);
                pool_actions_done(&a);
        }
}

static void on_image_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        ManagedFunction *f = userdata;
        _cleanup_(docker_image_done) DockerImage image = {};
        FunctionConfig *config = NULL;
        char message[512];

        f->resolve_call = NULL;
        if (error < 0) {
                (void) snprintf(message, sizeof(message), "Container engine unreachable: %s",
                                strerror(-error));
                return resolve_finish(f, LAMBDAD_ERROR_BACKEND_UNAVAILABLE, message);
        }
        if (status == 200 && docker_parse_image(body, len, &image) >= 0 && image.function &&
            strcmp(image.function, f->name) == 0 && function_config_new_implicit(f->name, &config) >= 0) {
                f->config = config;
                f->pool.limits = function_limits(f->manager, config);
                log_info("ManagedFunction '%s' runs image %s (labelled org.lambdad.function=%s).", f->name,
                         config->image, f->name);
                return resolve_finish(f, NULL, NULL);
        }
        (void) snprintf(message, sizeof(message),
                        "ManagedFunction not found: '%s' is not declared, and no local image %s:latest "
                        "carries the label "
                        "org.lambdad.function=%s.",
                        f->name, f->name, f->name);
        resolve_finish(f, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, message);
}

/* Finds the function for a call, or starts checking an implicit one (*ret = NULL: the call waits). */
static int function_for_call(Manager *m, const char *name, PendingCall *pc, ManagedFunction **ret)
{
        _cleanup_free_ char *path = NULL;
        ManagedFunction *f;
        int r;

        f = function_find(m, name);
        if (!f && !m->config.implicit_functions)
                return -ENOENT;
        if (!f) {
                r = function_new(m, name, NULL, &f);
                if (r < 0)
                        return r;
                if (asprintf(&path, "/images/%s:latest/json", name) < 0)
                        return -ENOMEM;
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_image_inspected, f,
                                &f->resolve_call);
                if (r < 0) {
                        function_free(f);
                        return r;
                }
        }
        pc->function = f;
        if (!f->config) {
                pc->next = f->resolving;
                f->resolving = pc;
                *ret = NULL;
                return 0;
        }
        *ret = f;
        return 0;
}

/* ---- the bus interface ---- */

static int acquire_common(sd_bus_message *message, Manager *m, CallKind kind, sd_bus_error *error)
{
        PendingCall *pc = NULL;
        PoolActions a = {};
        const char *name;
        ManagedFunction *f;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (!function_name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid function name '%s': 1-64 of [A-Za-z0-9_-].", name);
        if (m->exiting)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                         "lambda-manager is stopping.");

        r = pending_new(m, NULL, message, kind, &pc);
        if (r < 0)
                return r;
        r = function_for_call(m, name, pc, &f);
        if (r == -ENOENT) {
                pending_free(pc);
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction not found: '%s' is not declared.", name);
        }
        if (r < 0) {
                pending_free(pc);
                return r;
        }
        if (!f)
                return 1; /* answered once the image is checked */

        r = pool_acquire(&f->pool, kind == CALL_ENSURE ? "" : sd_bus_message_get_sender(message) ?: "", pc,
                         now_usec(CLOCK_MONOTONIC), &a);
        if (r < 0) {
                pending_free(pc);
                return r;
        }
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
        return 1;
}

static int method_acquire(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return acquire_common(message, userdata, CALL_ACQUIRE, error);
}

static int method_ensure_container(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return acquire_common(message, userdata, CALL_ENSURE, error);
}

static int method_release(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *id, *sender;
        PoolActions a = {};
        Instance *i;
        int healthy, r;

        r = sd_bus_message_read(message, "sb", &id, &healthy);
        if (r < 0)
                return r;
        if (!docker_id_is_valid(id))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid instance id '%s'.", id);

        sender = sd_bus_message_get_sender(message);
        i = instance_find(m, id);
        if (!i || i->slot->state != INSTANCE_LEASED || !sender || !i->slot->owner ||
            strcmp(i->slot->owner, sender) != 0)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_INSTANCE_NOT_FOUND,
                                         "No instance %s is leased to %s.", id, sender ?: "the caller");

        r = pool_release(&i->function->pool, i->slot, healthy, now_usec(CLOCK_MONOTONIC), &a);
        if (r < 0)
                return r;
        manager_apply(m, i->function, &a, healthy ? "stopped" : "released unhealthy");
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_list_functions(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssbuuuu)");
        if (r < 0)
                return r;
        for (ManagedFunction *f = m->functions; f; f = f->next) {
                if (f->removed || !f->config)
                        continue;
                r = sd_bus_message_append(reply, "(ssbuuuu)", f->name, f->config->image, f->config->implicit,
                                          f->config->min_instances, f->config->max_instances,
                                          f->pool.n_instances, pool_count(&f->pool, INSTANCE_IDLE));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_instances(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssqs)");
        if (r < 0)
                return r;
        for (Instance *i = m->instances; i; i = i->next) {
                r = sd_bus_message_append(reply, "(ssssqs)", i->id ?: "", i->function->name,
                                          instance_state_to_string(i->slot->state), i->host ?: "", i->port,
                                          i->slot->owner ?: "");
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_stop_function(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        PoolActions a = {};
        const char *name;
        ManagedFunction *f;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (!function_name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid function name '%s'.",
                                         name);
        f = function_find(m, name);
        if (!f || !f->config)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction '%s' has no instances.", name);

        r = pool_stop_all(&f->pool, &a);
        if (r < 0)
                return r;
        manager_apply(m, f, &a, "stopped by request");
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_prewarm(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        PoolActions a = {};
        const char *name;
        uint32_t count;
        ManagedFunction *f;
        int r;

        r = sd_bus_message_read(message, "su", &name, &count);
        if (r < 0)
                return r;
        if (!function_name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid function name '%s'.",
                                         name);
        f = function_find(m, name);
        if (!f || !f->config)
                return sd_bus_error_setf(
                        error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                        "ManagedFunction '%s' is not declared (implicit functions prewarm on first use).",
                        name);
        if (count > f->config->max_instances)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "ManagedFunction '%s' allows at most %u instances.", name,
                                         f->config->max_instances);

        r = pool_prewarm(&f->pool, count, &a);
        if (r < 0)
                return r;
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, "u", (uint32_t) r);
}

/* ---- cleanup of earlier lifetimes ---- */

typedef struct Cleanup {
        Manager *manager;
        bool all;
        bool background; /* at start, beside serving: only the outcome is logged */
        unsigned removing;
        unsigned removed;
        int error;
        sd_bus_message *reply_to; /* CleanupZombies, or NULL for the synchronous form */
} Cleanup;

static void cleanup_finish(Cleanup *c)
{
        Manager *m = c->manager;

        if (c->removing > 0)
                return;
        if (c->reply_to) {
                if (c->error < 0)
                        (void) sd_bus_reply_method_errorf(c->reply_to, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                                          "Container engine unreachable: %s",
                                                          strerror(-c->error));
                else
                        (void) sd_bus_reply_method_return(c->reply_to, "u", (uint32_t) c->removed);
                sd_bus_message_unref(c->reply_to);
        } else if (c->background) {
                if (c->error < 0)
                        log_warning_errno(c->error,
                                          "Removing the containers of earlier lifetimes failed: %m");
                else if (c->removed > 0)
                        log_info("Removed %u containers of earlier lifetimes.", c->removed);
        } else {
                m->cleanup_result = c->error < 0 ? c->error : (int) c->removed;
                m->cleanup_done = true;
        }
        m->n_pending--;
        free(c);
        manager_update_timers(m);
}

static void on_zombie_removed(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        Cleanup *c = userdata;

        c->removing--;
        if (error < 0)
                c->error = error;
        else if (status < 300 || status == 404)
                c->removed++;
        else
                log_warning("Failed to remove a zombie container (HTTP %li).", status);
        cleanup_finish(c);
}

static void on_zombies_listed(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        Cleanup *c = userdata;
        Manager *m = c->manager;
        DockerContainer *list = NULL;
        size_t n = 0;

        if (error < 0 || status != 200) {
                c->error = error < 0 ? error : -EIO;
                return cleanup_finish(c);
        }
        if (docker_parse_container_list(body, len, &list, &n) < 0) {
                c->error = -EBADMSG;
                return cleanup_finish(c);
        }

        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *path = NULL;

                /* The filter asked for our label; check again, never touching anything else. */
                if (!list[k].managed ||
                    (!c->all && list[k].lifetime && strcmp(list[k].lifetime, m->lifetime) == 0))
                        continue;
                log_info("Removing container %.12s of '%s' left by an earlier lifetime.", list[k].id,
                         list[k].function ?: "?");
                if (asprintf(&path, "/containers/%s?force=1", list[k].id) < 0 ||
                    docker_call(d, "DELETE", path, NULL, CALL_TIMEOUT_USEC, on_zombie_removed, c, NULL) <
                            0) {
                        c->error = -ENOMEM;
                        continue;
                }
                c->removing++;
        }
        docker_container_array_free(list, n);
        cleanup_finish(c);
}

static int cleanup_start(Manager *m, bool all, bool background, sd_bus_message *reply_to)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        Cleanup *c;
        int r;

        /* On a network of its own, the manager owns only the containers on it: other deployments on
         * the same engine keep theirs (each container is still checked for our managed-by label). */
        if (m->network)
                r = docker_label_filter(LABEL_NETWORK, m->network, &filter);
        else
                r = docker_label_filter(LABEL_MANAGED_BY, LABEL_MANAGED_BY_VALUE, &filter);
        if (r < 0)
                return r;
        if (asprintf(&path, "/containers/json?all=1&filters=%s", filter) < 0)
                return -ENOMEM;

        c = calloc(1, sizeof(Cleanup));
        if (!c)
                return -ENOMEM;
        *c = (Cleanup){
                .manager = m, .all = all, .background = background, .reply_to = sd_bus_message_ref(reply_to)
        };
        m->n_pending++;
        r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_zombies_listed, c, NULL);
        if (r < 0) {
                m->n_pending--;
                sd_bus_message_unref(c->reply_to);
                free(c);
                return r;
        }
        return 0;
}

static int method_cleanup_zombies(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        int r;

        r = cleanup_start(userdata, false, false, message);
        if (r < 0)
                return r;
        return 1;
}

int manager_cleanup_sync(Manager *m, bool all)
{
        int r;

        m->cleanup_done = false;
        r = cleanup_start(m, all, false, NULL);
        if (r < 0)
                return r;
        while (!m->cleanup_done) {
                r = sd_event_run(m->event, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return m->cleanup_result;
}

/* ---- the registry ---- */

static void on_config_error(const char *path, const char *message, void *userdata)
{
        log_error("%s: %s (function not loaded)", path, message);
}

/* Loads the declared functions. Unchanged ones keep their warm instances; changed or removed ones
 * stop theirs (leased ones when released) and new calls see the new declaration. */
static int manager_load_functions(Manager *m)
{
        _cleanup_(registry_freep) Registry *reg = NULL;
        int r;

        r = registry_load(m->config.functions_dir, on_config_error, m, &reg);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", m->config.functions_dir);

        for (ManagedFunction *f = m->functions; f; f = f->next) {
                const FunctionConfig *c;
                PoolActions a = {};

                if (f->removed || !f->config)
                        continue;
                c = registry_find(reg, f->name);
                if (c && function_config_equal(c, f->config))
                        continue;
                if (!c && f->config->implicit)
                        continue;
                log_info("ManagedFunction '%s' %s: stopping its instances.", f->name,
                         c ? "changed" : "was removed");
                f->removed = true;
                if (pool_stop_all(&f->pool, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "configuration changed");
                pool_actions_done(&a);
        }

        for (size_t k = 0; k < reg->n_functions; k++) {
                FunctionConfig *c = reg->functions[k];
                ManagedFunction *f = function_find(m, c->name);

                if (f && f->config && !f->config->implicit)
                        continue; /* unchanged */
                if (f) {
                        /* A declaration now replaces the label convention. */
                        PoolActions a = {};

                        f->removed = true;
                        if (pool_stop_all(&f->pool, &a) < 0)
                                log_oom();
                        manager_apply(m, f, &a, "configuration changed");
                        pool_actions_done(&a);
                }
                r = function_new(m, c->name, c, &f);
                if (r < 0)
                        return log_oom();
                reg->functions[k] = NULL; /* the function owns it now */
        }
        function_gc_later(m);
        manager_update_timers(m);
        return 0;
}

static int method_reload(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        int r;

        r = manager_load_functions(userdata);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Failed to reload: %s", strerror(-r));
        return sd_bus_reply_method_return(message, NULL);
}

static int property_get_instances(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) m->n_instances);
}

static int property_get_functions(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        uint32_t n = 0;

        for (ManagedFunction *f = m->functions; f; f = f->next)
                n += !f->removed && f->config;
        return sd_bus_message_append(reply, "u", n);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;

        if (strcmp(property, "Lifetime") == 0)
                return sd_bus_message_append(reply, "s", m->lifetime);
        if (strcmp(property, "DockerSocket") == 0)
                return sd_bus_message_append(reply, "s", m->config.docker_socket);
        return sd_bus_message_append(reply, "s", "docker");
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Backend", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DockerSocket", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Lifetime", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Functions", "u", property_get_functions, 0, 0),
        SD_BUS_PROPERTY("Instances", "u", property_get_instances, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("EnsureContainer", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("s", host, "q", port), method_ensure_container,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Acquire", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("s", instance_id, "s", host, "q", port), method_acquire,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("s", instance_id, "b", healthy), SD_BUS_NO_RESULT,
                                method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListFunctions", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssbuuuu)", functions),
                                method_list_functions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListInstances", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssqs)", instances),
                                method_list_instances, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopFunction", SD_BUS_ARGS("s", function_name), SD_BUS_NO_RESULT,
                                method_stop_function, 0),
        SD_BUS_METHOD_WITH_ARGS("Prewarm", SD_BUS_ARGS("s", function_name, "u", count),
                                SD_BUS_RESULT("u", started), method_prewarm, 0),
        SD_BUS_METHOD_WITH_ARGS("CleanupZombies", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", removed),
                                method_cleanup_zombies, 0),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload, 0),
        SD_BUS_SIGNAL_WITH_ARGS("InstanceStarted",
                                SD_BUS_ARGS("s", instance_id, "s", function_name, "s", host, "q", port), 0),
        SD_BUS_SIGNAL_WITH_ARGS("InstanceStopped",
                                SD_BUS_ARGS("s", instance_id, "s", function_name, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

/* ---- engine events: containers that die under us ---- */

static void events_start(Manager *m);

static int on_dead(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;
        _cleanup_strv_free_ char **dead = TAKE_PTR(m->dead);

        for (char **id = dead; id && *id; id++) {
                Instance *i = instance_find(m, *id);

                if (!i)
                        continue;
                if (i->slot->state == INSTANCE_IDLE || i->slot->state == INSTANCE_LEASED) {
                        log_warning("Instance %.12s of '%s' died.", i->id, i->function->name);
                        instance_stop(i, "died");
                } else if (i->slot->state == INSTANCE_STARTING && i->host && !i->exited) {
                        /* Being probed: rather than probing a dead container until the start times out,
                         * learn how it ended. Earlier steps see that it does not run by themselves. */
                        docker_call_cancel(i->call);
                        i->call = NULL;
                        i->probe_timer = sd_event_source_disable_unref(i->probe_timer);
                        if (instance_inspect(i) < 0)
                                instance_fail(i, LAMBDAD_ERROR_START_FAILED,
                                              "The container of '%s' died while starting.",
                                              i->function->name);
                }
        }
        return 0;
}

/* Runs inside curl's write callback, where no new transfer may start: note the id for on_dead(). */
static void on_event_line(DockerClient *d, const char *line, size_t len, void *userdata)
{
        Manager *m = userdata;
        DockerEvent e = {};

        if (len == 0 || docker_parse_event(line, len, &e) < 0)
                return;
        if (e.type && strcmp(e.type, "container") == 0 && e.action && e.id &&
            (strcmp(e.action, "die") == 0 || strcmp(e.action, "destroy") == 0 ||
             strcmp(e.action, "remove") == 0) &&
            instance_find(m, e.id)) {
                if (strv_extend(&m->dead, e.id) < 0)
                        log_oom();
                (void) sd_event_source_set_enabled(m->dead_event, SD_EVENT_ONESHOT);
        }
        docker_event_done(&e);
}

static int on_events_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        m->events_retry = sd_event_source_disable_unref(m->events_retry);
        events_start(m);
        return 0;
}

static void on_events_end(DockerClient *d, int error, long status, const char *body, size_t len,
                          void *userdata)
{
        Manager *m = userdata;

        m->events = NULL;
        if (m->exiting)
                return;
        /* The engine went away or restarted: watch again once it may be back. */
        log_debug("The engine's event stream ended (%s), reconnecting.",
                  error < 0 ? strerror(-error) : "closed");
        if (sd_event_add_time_relative(m->event, &m->events_retry, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                       on_events_retry, m) < 0)
                log_warning("Failed to schedule watching the engine's events; dead containers are noticed "
                            "on use.");
}

static void events_start(Manager *m)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        int r;

        r = docker_label_filter(LABEL_LIFETIME, m->lifetime, &filter);
        if (r >= 0 && asprintf(&path, "/events?filters=%s", filter) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = docker_stream(m->docker, path, on_event_line, on_events_end, m, &m->events);
        if (r < 0)
                log_warning_errno(
                        r, "Failed to watch the engine's events; dead containers are noticed on use: %m");
}

/* ---- lifecycle ---- */

static int on_stop_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        log_warning("%u instances still being removed; --cleanup will finish.", m->n_instances);
        return sd_event_exit(m->event, 0);
}

static void stop_everything(Manager *m)
{
        for (ManagedFunction *f = m->functions, *next; f; f = next) {
                PoolActions a = {};

                next = f->next;
                if (pool_stop_all(&f->pool, &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, "lambda-manager stopping");
                pool_actions_done(&a);
        }
        /* Leased and starting ones too: the service is going away. */
        for (Instance *i = m->instances, *next; i; i = next) {
                next = i->next;
                if (i->id && i->slot->state != INSTANCE_STOPPING)
                        instance_stop(i, "lambda-manager stopping");
        }
}

static int manager_begin_exit(Manager *m);
static unsigned manager_announce_stop(Manager *m);
static int on_drained(sd_event_source *s, uint64_t usec, void *userdata);

/* The bus went away (a container deployment stops the bus with everything else): nobody can reach
 * us any more, and no next lifetime may come to clean up, so remove the instances before exiting. */
static int on_bus_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error)
{
        log_info("The system bus went away, exiting.");
        return manager_begin_exit(userdata);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP) {
                log_info("Reloading the function declarations.");
                (void) manager_load_functions(m);
                return 0;
        }

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        return manager_begin_exit(m);
}

/* Stops taking calls, removes the instances (unless --keep-instances), and exits once they are gone. */
static int manager_begin_exit(Manager *m)
{
        int r;

        if (m->exiting)
                return 0;
        m->exiting = true;
        docker_call_cancel(m->events);
        m->events = NULL;
        (void) sd_notify(false, "STOPPING=1");
        if (m->config.keep_instances || m->n_instances == 0)
                return sd_event_exit(m->event, 0);

        /* Wait for the removals (manager_update_timers() exits once none is left), but not forever. */
        r = sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, STOP_GRACE_USEC, 0, on_stop_grace,
                                       m);
        if (r < 0)
                return sd_event_exit(m->event, 0);

        /* A leased instance may be answering right now: removing it would cut the answer off. Its
         * holder is told to let go (InstanceStopped: no new invocation goes there, the running one
         * ends), and the removals wait a moment. */
        if (manager_announce_stop(m) > 0) {
                r = sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, STOP_DRAIN_USEC, 0,
                                               on_drained, m);
                if (r >= 0)
                        return 0;
        }
        stop_everything(m);
        manager_update_timers(m);
        return 0;
}

/* InstanceStopped for every leased instance; returns how many there are. */
static unsigned manager_announce_stop(Manager *m)
{
        unsigned n = 0;

        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && i->slot->state == INSTANCE_LEASED) {
                        emit_stopped(i, "lambda-manager stopping");
                        n++;
                }
        return n;
}

static int on_drained(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        stop_everything(m);
        manager_update_timers(m);
        return 0;
}

/* --require-engine and --network: what a manager in a container must know before anything else. */
static int manager_check_surroundings(Manager *m)
{
        _cleanup_free_ char *socket_message = NULL, *network_message = NULL, *rie_message = NULL;
        int r;

        if (m->config.require_engine) {
                r = self_check_engine_socket(m->config.docker_socket, &socket_message);
                if (r < 0)
                        return log_error_errno(r, "%s", socket_message ?: "Out of memory.");
        }

        /* The volume this container has lambda-rie in: instances get the same one. */
        if (m->config.rie_volume && strcmp(m->config.rie_volume, "auto") == 0) {
                r = self_volume_at(m->docker, m->event, RIE_MOUNT_DIR, &m->rie_volume, &rie_message);
                if (r < 0)
                        return log_error_errno(r, "%s", rie_message ?: "Out of memory.");
                m->config.rie_volume = m->rie_volume;
                log_info("lambda-rie is lent from volume %s (mounted at " RIE_MOUNT_DIR " here).",
                         m->rie_volume);
        }

        if (!m->config.network)
                return 0;
        if (strcmp(m->config.network, "auto") != 0) {
                m->network = strdup(m->config.network);
                return m->network ? 0 : log_oom();
        }
        r = self_network(m->docker, m->event, &m->network, &network_message);
        if (r < 0)
                return log_error_errno(r, "%s", network_message ?: "Out of memory.");
        log_info("Instances join network %s (the network of this container).", m->network);
        return 0;
}

int manager_new(Manager **ret, const ManagerConfig *config)
{
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->config = *config;
        r = random_hex(m->lifetime, 16);
        if (r < 0)
                return log_error_errno(r, "Failed to get randomness for the lifetime id: %m");

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to get the event loop: %m");
        r = docker_client_new(&m->docker, m->event, config->docker_socket);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the Docker client: %m");
        r = manager_check_surroundings(m);
        if (r < 0)
                return r;

        r = sd_event_add_time(m->event, &m->tick_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_tick, m);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_idle, m);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->gc_event, on_gc, m);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->dead_event, on_dead, m);
        if (r < 0)
                return log_error_errno(r, "Failed to create timers: %m");
        (void) sd_event_source_set_enabled(m->tick_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->gc_event, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->dead_event, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->tick_timer, "pool-tick");
        (void) sd_event_source_set_description(m->idle_timer, "exit-on-idle");
        (void) sd_event_source_set_description(m->gc_event, "function-gc");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m)
{
        if (!m)
                return NULL;
        while (m->functions)
                function_free(m->functions);
        while (m->instances)
                instance_free(m->instances);
        while (m->tracks)
                owner_track_free(m->tracks);
        sd_event_source_disable_unref(m->tick_timer);
        sd_event_source_disable_unref(m->idle_timer);
        sd_event_source_disable_unref(m->gc_event);
        sd_event_source_disable_unref(m->events_retry);
        sd_event_source_disable_unref(m->dead_event);
        strv_free(m->dead);
        docker_client_free(m->docker);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->fail_message);
        free(m->engine_os);
        free(m->engine_arch);
        free(m->network);
        free(m->rie_volume);
        free(m);
        return NULL;
}

int manager_run(Manager *m)
{
        int r;

        r = manager_load_functions(m);
        if (r < 0)
                return r;

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                     manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object: %m");
        r = sd_bus_request_name_async(m->bus, NULL, LAMBDAD_MANAGER_BUS_NAME, 0, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to request the name %s: %m", LAMBDAD_MANAGER_BUS_NAME);
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* Without the bus nobody can reach us: exit, removing the instances first. */
        r = sd_bus_match_signal_async(m->bus, NULL, "org.freedesktop.DBus.Local",
                                      "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                      "Disconnected", on_bus_disconnected, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus connection: %m");

        /* Containers of earlier lifetimes go beside serving: they carry another lifetime label, so
         * none of them is ever handed out, and an engine slow to remove them (seconds per container
         * after it restarted) must not keep callers waiting for the bus name. */
        r = cleanup_start(m, false, true, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to start removing the containers of earlier lifetimes: %m");
        events_start(m);
        manager_update_timers(m);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving %s, lifetime %s", LAMBDAD_MANAGER_BUS_NAME,
                          m->lifetime);
        log_info("Serving %s (lifetime %s, engine at %s).", LAMBDAD_MANAGER_BUS_NAME, m->lifetime,
                 m->config.docker_socket);

        return sd_event_loop(m->event);
}
