/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* docker-inspect.c: what the engine says of one container (GET /containers/ID/json, checked as
 * strictly as the rest of docker-json.h): its state, the address and port the gateway connects to
 * (IP literals only), the instance secret it was created with, the host directory of its socket, and
 * the volume mounted at a path (the manager's own container). The other answers are docker-answer.c's. */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json-read.h"
#include "instance-secret.h"
#include "strv.h"
#include "util.h"

static int dup_ip_address(json_object *o, const char *key, char **ret)
{
        _cleanup_free_ char *ip = NULL;
        unsigned char a[sizeof(struct in6_addr)];
        int r;

        r = docker_json_dup_nonempty_string(o, key, INET6_ADDRSTRLEN, &ip);
        if (r < 0)
                return r;
        /* The gateway connects to this address; only an IP literal will do, never a name to resolve. */
        if (ip && inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
                return -EBADMSG;
        *ret = TAKE_PTR(ip);
        return 0;
}

/* The entry of o's Mounts of type at destination: 1 and *ret, 0 when there is none. -EBADMSG for a
 * malformed Mounts list. */
static int mount_at(json_object *o, const char *type, const char *destination, json_object **ret)
{
        json_object *mounts = docker_json_get(o, "Mounts");

        if (!mounts)
                return 0;
        if (!json_object_is_type(mounts, json_type_array))
                return -EBADMSG;
        for (size_t k = 0; k < json_object_array_length(mounts); k++) {
                json_object *e = json_object_array_get_idx(mounts, k), *v;
                const char *t, *dest;

                if (!json_object_is_type(e, json_type_object))
                        return -EBADMSG;
                v = docker_json_get(e, "Type");
                if (!v || docker_json_check_string(v, DOCKER_STRING_MAX, &t) < 0 || strcmp(t, type) != 0)
                        continue;
                v = docker_json_get(e, "Destination");
                if (!v || docker_json_check_string(v, DOCKER_STRING_MAX, &dest) < 0 ||
                    strcmp(dest, destination) != 0)
                        continue;
                *ret = e;
                return 1;
        }
        return 0;
}

void docker_inspect_done(DockerInspect *i)
{
        if (!i)
                return;
        free(i->id);
        free(i->status);
        free(i->ip_address);
        free(i->host_ip);
        free(i->function);
        free(i->lifetime);
        free(i->spec);
        free(i->network);
        free(i->project);
        free(i->image_id);
        strv_free(i->networks);
        if (i->instance_secret)
                explicit_bzero(i->instance_secret, strlen(i->instance_secret));
        free(i->instance_secret);
        free(i->socket_dir);
        *i = (DockerInspect){};
}

static int parse_inspect_state(json_object *state, DockerInspect *i)
{
        json_object *v;

        if (!state)
                return 0;

        v = docker_json_get(state, "Running");
        if (v) {
                if (!json_object_is_type(v, json_type_boolean))
                        return -EBADMSG;
                i->running = json_object_get_boolean(v);
        }

        v = docker_json_get(state, "ExitCode");
        if (v) {
                int64_t code;

                if (!json_object_is_type(v, json_type_int))
                        return -EBADMSG;
                /* Values past int64 come back clamped, and are then refused here. */
                code = json_object_get_int64(v);
                if (code < INT_MIN || code > INT_MAX)
                        return -EBADMSG;
                i->exit_code = (int) code;
        }

        return docker_json_dup_string(state, "Status", DOCKER_STRING_MAX, &i->status);
}

/* Where the engine published our port: Ports["8080/tcp"] is null when nothing is published and a list of
 * bindings otherwise, the first being the one we asked for. */
static int parse_inspect_port(json_object *ports, DockerInspect *i)
{
        _cleanup_free_ char *port = NULL;
        json_object *bindings, *b;
        unsigned p;
        int r;

        if (!ports)
                return 0;
        bindings = docker_json_get(ports, DOCKER_FUNCTION_PORT);
        if (!bindings)
                return 0;
        if (!json_object_is_type(bindings, json_type_array))
                return -EBADMSG;
        if (json_object_array_length(bindings) == 0)
                return 0;
        b = json_object_array_get_idx(bindings, 0);
        if (!json_object_is_type(b, json_type_object))
                return -EBADMSG;

        r = docker_json_dup_nonempty_string(b, "HostPort", 5, &port);
        if (r < 0)
                return r;
        if (port) {
                if (parse_unsigned(port, 1, UINT16_MAX, &p) < 0)
                        return -EBADMSG;
                i->host_port = (uint16_t) p;
        }
        return dup_ip_address(b, "HostIp", &i->host_ip);
}

static int parse_inspect_address(json_object *ns, DockerInspect *i)
{
        json_object *networks;
        int r;

        r = dup_ip_address(ns, "IPAddress", &i->ip_address);
        if (r < 0)
                return r;

        /* Containers on a user-defined network have no top-level address, only one per network. */
        r = docker_json_get_object(ns, "Networks", &networks);
        if (r < 0 || !networks)
                return r;
        json_object_object_foreach(networks, name, net)
        {
                if (!json_object_is_type(net, json_type_object))
                        return -EBADMSG;
                /* A name we could not hand back to the engine is of no use to us. */
                if (docker_name_is_valid(name)) {
                        r = strv_extend(&i->networks, name);
                        if (r < 0)
                                return r;
                }
                if (!i->ip_address) {
                        r = dup_ip_address(net, "IPAddress", &i->ip_address);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The instance secret in Config.Env, which a later lifetime of the manager reads back to serve the
 * instances it adopts. An Env that is not an array of strings is -EBADMSG; a secret that is missing,
 * malformed or there twice is none. */
static int parse_inspect_secret(json_object *config, char **ret)
{
        static const char prefix[] = INSTANCE_SECRET_ENV "=";
        json_object *env = docker_json_get(config, "Env");
        const char *found = NULL;
        size_t n;

        *ret = NULL;
        if (!env)
                return 0;
        if (!json_object_is_type(env, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(env);
        for (size_t k = 0; k < n; k++) {
                const char *e;
                int r;

                r = docker_json_check_string(json_object_array_get_idx(env, k), DOCKER_STRING_MAX, &e);
                if (r < 0)
                        return r;
                if (strncmp(e, prefix, STRLEN(prefix)) != 0)
                        continue;
                if (found)
                        return 0;
                found = e + STRLEN(prefix);
        }
        if (!found || !instance_secret_is_valid(found))
                return 0;
        *ret = strdup(found);
        return *ret ? 0 : -ENOMEM;
}

/* The host directory bound at INSTANCE_SOCKET_MOUNT; NULL when there is none. */
static int parse_inspect_socket_dir(json_object *o, char **ret)
{
        json_object *e, *v;
        const char *source;
        int r;

        r = mount_at(o, "bind", INSTANCE_SOCKET_MOUNT, &e);
        if (r <= 0)
                return r;
        v = docker_json_get(e, "Source");
        if (!v || docker_json_check_string(v, DOCKER_STRING_MAX, &source) < 0 || source[0] != '/')
                return -EBADMSG;
        *ret = strdup(source);
        return *ret ? 0 : -ENOMEM;
}

int docker_parse_inspect(const char *json, size_t len, DockerInspect *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_inspect_done) DockerInspect i = {};
        _cleanup_(docker_labels_done) DockerLabels l = {};
        json_object *state = NULL, *ns = NULL, *ports = NULL, *config = NULL, *labels = NULL;
        int r;

        assert(ret);

        r = docker_json_parse_object(json, len, &o);
        if (r < 0)
                return r;

        r = docker_json_dup_id(o, "Id", &i.id);
        if (r < 0)
                return r;

        r = docker_json_dup_nonempty_string(o, "Image", DOCKER_STRING_MAX, &i.image_id);
        if (r >= 0)
                r = docker_json_get_object(o, "State", &state);
        if (r >= 0)
                r = parse_inspect_state(state, &i);
        if (r < 0)
                return r;

        r = docker_json_get_object(o, "NetworkSettings", &ns);
        if (r >= 0)
                r = parse_inspect_address(ns, &i);
        if (r >= 0)
                r = docker_json_get_object(ns, "Ports", &ports);
        if (r >= 0)
                r = parse_inspect_port(ports, &i);
        if (r < 0)
                return r;

        r = docker_json_get_object(o, "Config", &config);
        if (r >= 0)
                r = docker_json_get_object(config, "Labels", &labels);
        if (r >= 0)
                r = docker_labels_parse(labels, &l);
        if (r >= 0)
                r = parse_inspect_secret(config, &i.instance_secret);
        if (r >= 0)
                r = parse_inspect_socket_dir(o, &i.socket_dir);
        if (r < 0)
                return r;
        i.function = TAKE_PTR(l.function);
        i.lifetime = TAKE_PTR(l.lifetime);
        i.spec = TAKE_PTR(l.spec);
        i.network = TAKE_PTR(l.network);
        i.project = TAKE_PTR(l.project);
        i.managed = l.managed;

        *ret = i;
        i = (DockerInspect){};
        return 0;
}

int docker_parse_volume_at(const char *json, size_t len, const char *destination, char **ret_name)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *e, *v;
        const char *name;
        int r;

        assert(destination);
        assert(ret_name);

        r = docker_json_parse(json, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        *ret_name = NULL;
        r = mount_at(o, "volume", destination, &e);
        if (r <= 0)
                return r;
        v = docker_json_get(e, "Name");
        if (!v || docker_json_check_string(v, DOCKER_STRING_MAX, &name) < 0 || !docker_name_is_valid(name))
                return -EBADMSG;
        *ret_name = strdup(name);
        return *ret_name ? 1 : -ENOMEM;
}
