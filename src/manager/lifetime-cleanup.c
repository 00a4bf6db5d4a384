/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-reaper.h"
#include "docker-json.h"
#include "instance.h"
#include "lifetime-cleanup.h"
#include "log.h"
#include "util.h"

/* Whatever the engine does, a cleanup answers within this: ExecStartPre never holds the service back,
 * and CleanupZombies never holds its caller. Containers still going then go in the background. */
#define CLEANUP_DEADLINE_USEC (900 * USEC_PER_MSEC)

typedef struct Cleanup {
        Manager *manager;
        CleanupScope scope;
        unsigned removing;
        unsigned removed;
        unsigned skipped; /* the engine would not remove them yet: left to the reaper */
        bool listing;     /* handing out the removals: outcomes that come at once do not end it */
        int error;
        sd_bus_message *reply_to; /* CleanupZombies, or NULL for the synchronous form */
        DockerCall *list;
        sd_event_source *deadline;
} Cleanup;

/* Answers with what is known now, and lets go of what is still on its way. */
static void cleanup_finish(Cleanup *c)
{
        Manager *m = c->manager;

        if (c->reply_to) {
                if (c->error < 0)
                        (void) sd_bus_reply_method_errorf(c->reply_to, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                                          "Container engine unreachable: %s",
                                                          strerror(-c->error));
                else
                        (void) sd_bus_reply_method_return(c->reply_to, "u", (uint32_t) c->removed);
                sd_bus_message_unref(c->reply_to);
        } else {
                m->cleanup_result = c->error < 0 ? c->error : (int) c->removed;
                m->cleanup_done = true;
                /* Nothing runs after us to retry: say which ones the engine still works on. */
                reaper_detach(m, c,
                              "is still being removed by the engine; the manager removes it when it runs.");
        }
        reaper_detach(m, c, NULL);
        docker_call_cancel(c->list);
        sd_event_source_disable_unref(c->deadline);
        m->n_pending--;
        free(c);
        manager_update_timers(m);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        Cleanup *c = userdata;

        if (c->list)
                c->error = -ETIMEDOUT;
        cleanup_finish(c);
        return 0;
}

static void on_zombie_done(Manager *m, bool removed, void *userdata)
{
        Cleanup *c = userdata;

        c->removing--;
        if (removed)
                c->removed++;
        else
                c->skipped++;
        if (c->removing == 0 && !c->listing)
                cleanup_finish(c);
}

static bool in_scope(const Cleanup *c, const DockerContainer *container)
{
        Manager *m = c->manager;

        if (c->scope == CLEANUP_ALL)
                return true;
        /* Another deployment's (the list of a manager without a network has all of ours). */
        if (!container->network != !m->network ||
            (m->network && strcmp(container->network, m->network) != 0))
                return false;
        if ((container->lifetime && strcmp(container->lifetime, m->lifetime) == 0) ||
            instance_find(m, container->id))
                return false;
        return c->scope == CLEANUP_OTHERS || !container->state ||
               (strcmp(container->state, "running") != 0 && strcmp(container->state, "paused") != 0);
}

static void on_zombies_listed(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        Cleanup *c = userdata;
        Manager *m = c->manager;
        DockerContainer *list = NULL;
        size_t n = 0;

        c->list = NULL;
        if (error < 0 || status != 200) {
                c->error = error < 0 ? error : -EIO;
                return cleanup_finish(c);
        }
        if (docker_parse_container_list(body, len, &list, &n) < 0) {
                c->error = -EBADMSG;
                return cleanup_finish(c);
        }

        c->listing = true;
        for (size_t k = 0; k < n; k++) {
                /* The filter asked for our label; check again, never touching anything else. */
                if (!list[k].managed || !in_scope(c, &list[k]))
                        continue;
                log_info("Removing container %.12s of '%s' left by an earlier lifetime.", list[k].id,
                         list[k].function ?: "?");
                c->removing++;
                if (reaper_remove(m, list[k].id, on_zombie_done, c) < 0) {
                        c->removing--;
                        c->error = -ENOMEM;
                }
        }
        docker_container_array_free(list, n);
        c->listing = false;
        if (c->removing == 0)
                cleanup_finish(c);
}

int cleanup_owned_filter(Manager *m, char **ret)
{
        /* On a network of its own, the manager owns only the containers on it: other deployments on
         * the same engine keep theirs (each container is still checked for our managed-by label). */
        if (m->network)
                return docker_label_filter(LABEL_NETWORK, m->network, ret);
        return docker_label_filter(LABEL_MANAGED_BY, LABEL_MANAGED_BY_VALUE, ret);
}

int cleanup_list_path(Manager *m, char **ret)
{
        _cleanup_free_ char *filter = NULL;
        int r;

        r = cleanup_owned_filter(m, &filter);
        if (r < 0)
                return r;
        return asprintf(ret, "/containers/json?all=1&filters=%s", filter) < 0 ? -ENOMEM : 0;
}

int cleanup_start(Manager *m, CleanupScope scope, sd_bus_message *reply_to)
{
        _cleanup_free_ char *path = NULL;
        Cleanup *c;
        int r;

        r = cleanup_list_path(m, &path);
        if (r < 0)
                return r;

        c = calloc(1, sizeof(Cleanup));
        if (!c)
                return -ENOMEM;
        *c = (Cleanup){ .manager = m, .scope = scope };
        r = sd_event_add_time_relative(m->event, &c->deadline, CLOCK_MONOTONIC, CLEANUP_DEADLINE_USEC,
                                       10 * USEC_PER_MSEC, on_deadline, c);
        if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CLEANUP_DEADLINE_USEC, on_zombies_listed, c,
                                &c->list);
        if (r < 0) {
                sd_event_source_disable_unref(c->deadline);
                free(c);
                return r;
        }
        (void) sd_event_source_set_description(c->deadline, "cleanup-deadline");
        c->reply_to = sd_bus_message_ref(reply_to);
        m->n_pending++;
        return 0;
}

int manager_cleanup_sync(Manager *m, CleanupScope scope)
{
        int r;

        m->cleanup_done = false;
        r = cleanup_start(m, scope, NULL);
        if (r < 0)
                return r;
        while (!m->cleanup_done) {
                r = sd_event_run(m->event, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return m->cleanup_result;
}

/* ---- the networks of isolated functions on --network (instance-setup.h) ---- */

typedef struct NetworkCleanup {
        Manager *manager;
        unsigned removing;
        bool listing;
        void (*done)(Manager *m);
        DockerCall *list;
} NetworkCleanup;

static void networks_finish(NetworkCleanup *c)
{
        Manager *m = c->manager;
        void (*done)(Manager * m) = c->done;

        free(c);
        done(m);
}

/* One network on its way out: the containers still on it leave it (the manager's own; a stopped gateway,
 * which could not start again on a network that is gone), then it is removed. */
typedef struct NetworkRemoval {
        NetworkCleanup *cleanup;
        char *id;
        unsigned leaving;
} NetworkRemoval;

static void removal_done(NetworkRemoval *n)
{
        NetworkCleanup *c = n->cleanup;

        free(n->id);
        free(n);
        if (--c->removing == 0 && !c->listing)
                networks_finish(c);
}

static void on_network_removed(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        _cleanup_free_ char *message = NULL;

        /* One a running container is still on (a next lifetime serves on it) stays: the engine says so. */
        if (error < 0)
                log_warning("Removing a function's network failed: %s", strerror(-error));
        else if (status != 204 && status != 404) {
                (void) docker_parse_error(body, len, &message);
                log_info("A function's network stays (HTTP %li: %s).", status, message ?: "?");
        }
        removal_done(userdata);
}

static void remove_network(NetworkRemoval *n)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/networks/%s", n->id) < 0 ||
            docker_call(n->cleanup->manager->docker, "DELETE", path, NULL, CALL_TIMEOUT_USEC,
                        on_network_removed, n, NULL) < 0) {
                (void) log_oom();
                removal_done(n);
        }
}

static void on_container_left(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        NetworkRemoval *n = userdata;

        /* Whatever it says: the removal that follows tells what stays. */
        if (--n->leaving == 0)
                remove_network(n);
}

static void on_network_containers(DockerClient *d, int error, long status, const char *body, size_t len,
                                  void *userdata)
{
        NetworkRemoval *n = userdata;
        Manager *m = n->cleanup->manager;
        DockerContainer *list = NULL;
        size_t count = 0;

        if (error < 0 || status != 200 || docker_parse_container_list(body, len, &list, &count) < 0)
                return remove_network(n);
        n->leaving = 1;
        for (size_t k = 0; k < count; k++) {
                _cleanup_free_ char *path = NULL, *disconnect = NULL;

                if (docker_network_connect_body(list[k].id, true, &disconnect) < 0 ||
                    asprintf(&path, "/networks/%s/disconnect", n->id) < 0 ||
                    docker_call(m->docker, "POST", path, disconnect, CALL_TIMEOUT_USEC, on_container_left, n,
                                NULL) < 0)
                        continue;
                n->leaving++;
        }
        docker_container_array_free(list, count);
        if (--n->leaving == 0)
                remove_network(n);
}

static void start_removal(NetworkCleanup *c, const char *id)
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        NetworkRemoval *n;

        n = calloc(1, sizeof(NetworkRemoval));
        if (!n || !(n->id = strdup(id))) {
                free(n);
                (void) log_oom();
                return;
        }
        n->cleanup = c;
        c->removing++;
        if (docker_filter("network", id, &filter) < 0 ||
            asprintf(&path, "/containers/json?all=1&filters=%s", filter) < 0 ||
            docker_call(c->manager->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_network_containers, n,
                        NULL) < 0)
                remove_network(n);
}

static void on_networks_listed(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        NetworkCleanup *c = userdata;
        Manager *m = c->manager;
        DockerContainer *list = NULL;
        size_t n = 0;

        c->list = NULL;
        if (error < 0 || status != 200 || docker_parse_container_list(body, len, &list, &n) < 0) {
                log_warning("Cannot list the networks of isolated functions to remove them.");
                return networks_finish(c);
        }
        c->listing = true;
        for (size_t k = 0; k < n; k++)
                /* The filter asked for our deployment's label; check again, and that they are ours. */
                if (list[k].managed && list[k].network && strcmp(list[k].network, m->network) == 0)
                        start_removal(c, list[k].id);
        docker_container_array_free(list, n);
        c->listing = false;
        if (c->removing == 0)
                networks_finish(c);
}

int cleanup_function_networks(Manager *m, void (*done)(Manager *m))
{
        _cleanup_free_ char *filter = NULL, *path = NULL;
        NetworkCleanup *c;
        int r;

        if (!m->network)
                return 0;
        r = docker_label_filter(LABEL_NETWORK, m->network, &filter);
        if (r < 0)
                return r;
        if (asprintf(&path, "/networks?filters=%s", filter) < 0)
                return -ENOMEM;
        c = calloc(1, sizeof(NetworkCleanup));
        if (!c)
                return -ENOMEM;
        *c = (NetworkCleanup){ .manager = m, .done = done };
        r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_networks_listed, c, &c->list);
        if (r < 0) {
                free(c);
                return r;
        }
        return 1;
}

static void on_networks_cleaned_sync(Manager *m)
{
        m->cleanup_done = true;
}

int manager_cleanup_networks_sync(Manager *m)
{
        int r;

        m->cleanup_done = false;
        r = cleanup_function_networks(m, on_networks_cleaned_sync);
        if (r <= 0)
                return r;
        while (!m->cleanup_done) {
                r = sd_event_run(m->event, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}
