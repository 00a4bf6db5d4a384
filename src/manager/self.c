/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker-json.h"
#include "self.h"
#include "strv.h"
#include "util.h"

/* Bound on the engine's answer about our own container. */
#define SELF_CALL_TIMEOUT_USEC (10 * USEC_PER_SEC)

static int message_errno(char **ret_message, int error, const char *format, ...) _printf_(3, 4);
static int message_errno(char **ret_message, int error, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(ret_message, format, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : error;
}

int self_check_engine_socket(const char *path, char **ret_message)
{
        struct stat st;
        struct group *gr;
        int r;

        if (stat(path, &st) < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return message_errno(ret_message, r,
                                             "The engine socket %s does not exist: mount the Docker Engine "
                                             "socket there (e.g. -v /var/run/docker.sock:%s).",
                                             path, path);
                return message_errno(ret_message, r, "Cannot look at the engine socket %s: %s.", path,
                                     strerror(-r));
        }
        /* A bind mount of a missing host path makes the engine create an empty directory instead. */
        if (!S_ISSOCK(st.st_mode))
                return message_errno(ret_message, -ENOTSOCK,
                                     "The engine socket %s is not a socket (mode %06o): the host path "
                                     "mounted there is not the Docker Engine socket.",
                                     path, (unsigned) st.st_mode);
        if (access(path, R_OK | W_OK) >= 0)
                return 0;
        r = -errno;
        if (r != -EACCES)
                return message_errno(ret_message, r, "Cannot use the engine socket %s: %s.", path,
                                     strerror(-r));
        /* In a container the group database rarely knows the host's group: the number is what counts. */
        gr = getgrgid(st.st_gid);
        return message_errno(ret_message, r,
                             "Permission denied on the engine socket %s (owner uid %u, group %u%s%s%s, mode "
                             "%04o); this process runs as uid %u, gid %u. Run lambda-manager with the "
                             "socket's group %u as one of its groups (not as root).",
                             path, (unsigned) st.st_uid, (unsigned) st.st_gid, gr ? " '" : "",
                             gr ? gr->gr_name : "", gr ? "'" : "", (unsigned) (st.st_mode & 07777),
                             (unsigned) getuid(), (unsigned) getgid(), (unsigned) st.st_gid);
}

typedef struct SelfCall {
        bool done;
        int error;
        long status;
        char *body;
        size_t len;
} SelfCall;

static void on_self_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        SelfCall *c = userdata;

        c->done = true;
        c->error = error;
        c->status = status;
        c->body = malloc(len + 1);
        if (!c->body) {
                c->error = -ENOMEM;
                return;
        }
        memcpy(c->body, body, len);
        c->body[len] = 0;
        c->len = len;
}

/* Whether name is the network of an isolated function of another network in networks (which the
 * manager joins to probe its instances). */
static bool is_function_network(char *const *networks, const char *name)
{
        for (char *const *p = networks; *p; p++) {
                size_t k = strlen(*p);

                if (strncmp(name, *p, k) == 0 &&
                    strncmp(name + k, FUNCTION_NETWORK_INFIX, STRLEN(FUNCTION_NETWORK_INFIX)) == 0)
                        return true;
        }
        return false;
}

int self_pick_network(char *const *networks, char **ret_network, char **ret_message)
{
        const char *found = NULL;

        for (char *const *n = networks; n && *n; n++) {
                if (strcmp(*n, "bridge") == 0 || strcmp(*n, "host") == 0 || strcmp(*n, "none") == 0 ||
                    strcmp(*n, "ingress") == 0 || is_function_network(networks, *n))
                        continue;
                if (found)
                        return message_errno(ret_message, -ENOTUNIQ,
                                             "This container is on several networks ('%s', '%s', ...): "
                                             "choose the instances' one with --network=NAME.",
                                             found, *n);
                found = *n;
        }
        if (!found)
                return message_errno(ret_message, -ENONET,
                                     "This container is on no network of its own (only the engine's "
                                     "default ones): give --network=NAME.");
        *ret_network = strdup(found);
        return *ret_network ? 0 : -ENOMEM;
}

/* GET /containers/HOSTNAME/json: this process's own container, as the engine describes it. */
static int self_inspect(DockerClient *d, sd_event *event, const char *what, SelfCall *ret,
                        char **ret_message)
{
        _cleanup_free_ char *path = NULL;
        SelfCall c = {};
        char host[256] = {};
        int r;

        /* The engine names a container's host after its id unless told otherwise. */
        if (gethostname(host, sizeof(host) - 1) < 0 || !docker_name_is_valid(host))
                return message_errno(ret_message, -EINVAL, "%s=auto: the host name is not a container id.",
                                     what);
        if (asprintf(&path, "/containers/%s/json", host) < 0)
                return -ENOMEM;
        r = docker_call(d, "GET", path, NULL, SELF_CALL_TIMEOUT_USEC, on_self_inspected, &c, NULL);
        if (r < 0)
                return r;
        while (!c.done) {
                r = sd_event_run(event, UINT64_MAX);
                if (r < 0) {
                        free(c.body);
                        return r;
                }
        }
        if (c.error < 0) {
                free(c.body);
                return message_errno(ret_message, c.error, "%s=auto: the engine does not answer: %s.", what,
                                     strerror(-c.error));
        }
        if (c.status != 200) {
                free(c.body);
                return message_errno(
                        ret_message, -ENOENT,
                        "%s=auto: the engine knows no container '%s' (HTTP %li); is lambda-manager "
                        "running in a container of this engine?",
                        what, host, c.status);
        }
        *ret = c;
        return 0;
}

int self_network(DockerClient *d, sd_event *event, char **ret_network, char **ret_self, char **ret_project,
                 char **ret_message)
{
        _cleanup_(docker_inspect_done) DockerInspect info = {};
        SelfCall c = {};
        int r;

        r = self_inspect(d, event, "--network", &c, ret_message);
        if (r < 0)
                return r;
        r = docker_parse_inspect(c.body, c.len, &info);
        free(c.body);
        if (r < 0)
                return message_errno(
                        ret_message, r,
                        "--network=auto: the engine's description of this container is invalid.");
        r = self_pick_network(info.networks, ret_network, ret_message);
        if (r >= 0) {
                *ret_self = TAKE_PTR(info.id);
                *ret_project = TAKE_PTR(info.project);
        }
        return r;
}

int self_volume_at(DockerClient *d, sd_event *event, const char *destination, char **ret_volume,
                   char **ret_message)
{
        SelfCall c = {};
        int r;

        r = self_inspect(d, event, "--rie-volume", &c, ret_message);
        if (r < 0)
                return r;
        r = docker_parse_volume_at(c.body, c.len, destination, ret_volume);
        free(c.body);
        if (r < 0)
                return message_errno(
                        ret_message, r,
                        "--rie-volume=auto: the engine's description of this container is invalid.");
        if (r == 0)
                return message_errno(ret_message, -ENOENT,
                                     "--rie-volume=auto: no volume is mounted at %s in this container.",
                                     destination);
        return 0;
}
