/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "lifetime-cleanup.h"
#include "log.h"
#include "util.h"

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

int cleanup_start(Manager *m, bool all, bool background, sd_bus_message *reply_to)
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
