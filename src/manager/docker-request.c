/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "docker-json-read.h"
#include "strv.h"
#include "util.h"

/* Building. json-c escapes everything, so the only thing left to check is what the engine would
 * silently change. */

static int object_add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int array_add(json_object *a, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_string(json_object *o, const char *key, const char *value)
{
        return object_add(o, key, json_object_new_string(value));
}

static int add_int64(json_object *o, const char *key, uint64_t value)
{
        if (value > INT64_MAX)
                return -ERANGE;
        return object_add(o, key, json_object_new_int64((int64_t) value));
}

static int add_bool(json_object *o, const char *key, bool value)
{
        return object_add(o, key, json_object_new_boolean(value));
}

static int add_string_array(json_object *o, const char *key, const char *value)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        r = array_add(a, json_object_new_string(value));
        if (r < 0)
                return r;
        return object_add(o, key, TAKE_PTR(a));
}

static int object_steal_into(json_object *parent, const char *key, json_object **child)
{
        return object_add(parent, key, TAKE_PTR(*child));
}

/* key: [strv...], when strv is not NULL. */
static int add_strv(json_object *o, const char *key, char *const *strv)
{
        _cleanup_(json_object_putp) json_object *a = NULL;
        int r;

        if (!strv)
                return 0;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (char *const *p = strv; *p; p++) {
                if (!docker_string_is_valid(*p))
                        return -EINVAL;
                r = array_add(a, json_object_new_string(*p));
                if (r < 0)
                        return r;
        }
        return object_steal_into(o, key, &a);
}

static int add_optional_string(json_object *o, const char *key, const char *value)
{
        if (!value)
                return 0;
        if (!docker_string_is_valid(value))
                return -EINVAL;
        return add_string(o, key, value);
}

static char *to_string_dup(json_object *o)
{
        const char *s =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return s ? strdup(s) : NULL;
}

/* A whole body, as its text into *ret. */
static int body_to_string(json_object *body, char **ret)
{
        char *s = to_string_dup(body);

        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool env_entry_is_valid(const char *e)
{
        const char *eq;
        _cleanup_free_ char *name = NULL;

        if (!docker_string_is_valid(e))
                return false;
        eq = strchr(e, '=');
        if (!eq)
                return false;
        name = strndup(e, (size_t) (eq - e));
        return name && env_name_is_valid(name);
}

static int build_labels(const DockerCreateParams *p, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *labels = json_object_new_object();
        int r;

        if (!labels)
                return -ENOMEM;
        r = add_string(labels, LABEL_MANAGED_BY, LABEL_MANAGED_BY_VALUE);
        if (r >= 0)
                r = add_string(labels, LABEL_FUNCTION, p->function);
        if (r >= 0)
                r = add_string(labels, LABEL_LIFETIME, p->lifetime);
        if (r >= 0 && p->network)
                r = add_string(labels, LABEL_NETWORK, p->network);
        if (r >= 0 && p->spec)
                r = add_string(labels, LABEL_SPEC, p->spec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(labels);
        return 0;
}

/* A mount of source (a host path for "bind", a volume's name for "volume") at target, read-only
 * unless writable. */
static int add_mount(json_object *mounts, const char *type, const char *source, const char *target,
                     bool writable)
{
        _cleanup_(json_object_putp) json_object *m = json_object_new_object();
        int r;

        if (!m)
                return -ENOMEM;
        r = add_string(m, "Type", type);
        if (r >= 0)
                r = add_string(m, "Source", source);
        if (r >= 0)
                r = add_string(m, "Target", target);
        if (r >= 0)
                r = add_bool(m, "ReadOnly", !writable);
        if (r >= 0 && strcmp(type, "volume") == 0) {
                _cleanup_(json_object_putp) json_object *options = json_object_new_object();

                /* Never let the engine copy the image's files into the shared volume. */
                if (!options)
                        return -ENOMEM;
                r = add_bool(options, "NoCopy", true);
                if (r >= 0)
                        r = object_steal_into(m, "VolumeOptions", &options);
        }
        if (r >= 0)
                r = array_add(mounts, TAKE_PTR(m));
        return r;
}

/* HostConfig.Mounts: lambda-rie lent to an image that does not carry it, a zip function's code and
 * layers. *ret stays NULL when there is nothing to mount. */
static int build_mounts(const DockerCreateParams *p, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *mounts = NULL;
        int r = 0;

        if (p->rie == DOCKER_RIE_NONE && !p->task_dir && !p->socket_dir)
                return 0;
        mounts = json_object_new_array();
        if (!mounts)
                return -ENOMEM;
        if (p->rie != DOCKER_RIE_NONE) {
                if (!p->rie_source || !docker_string_is_valid(p->rie_source) || !p->rie_source[0])
                        return -EINVAL;
                /* The engine resolves a bind source on its own host: only an absolute path means one
                 * file. */
                if (p->rie == DOCKER_RIE_BIND && p->rie_source[0] != '/')
                        return -EINVAL;
                if (p->rie == DOCKER_RIE_VOLUME && !docker_name_is_valid(p->rie_source))
                        return -EINVAL;
                r = add_mount(mounts, p->rie == DOCKER_RIE_BIND ? "bind" : "volume", p->rie_source,
                              p->rie == DOCKER_RIE_BIND ? RIE_MOUNT_PATH : RIE_MOUNT_DIR, false);
        }
        for (size_t k = 0; r >= 0 && k < 2; k++) {
                const char *source = k == 0 ? p->task_dir : p->opt_dir;

                if (!source)
                        continue;
                if (source[0] != '/' || !docker_string_is_valid(source))
                        return -EINVAL;
                r = add_mount(mounts, "bind", source, k == 0 ? "/var/task" : "/opt", false);
        }
        /* lambda-rie makes its invoke socket there: the one thing of the host it may write. */
        if (r >= 0 && p->socket_dir) {
                if (p->socket_dir[0] != '/' || !docker_string_is_valid(p->socket_dir))
                        return -EINVAL;
                r = add_mount(mounts, "bind", p->socket_dir, INSTANCE_SOCKET_MOUNT, true);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(mounts);
        return 0;
}

static int build_host_config(const DockerCreateParams *p, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *hc = json_object_new_object(), *tmpfs = NULL,
                                                *bindings = NULL, *mounts = NULL;
        int r;

        if (!hc)
                return -ENOMEM;

        r = add_int64(hc, "Memory", p->memory_bytes);
        if (r < 0)
                return r;
        /* MemorySwap is memory plus swap: equal to Memory means no swap at all. */
        r = add_int64(hc, "MemorySwap", p->memory_bytes);
        if (r < 0)
                return r;
        r = add_int64(hc, "NanoCpus", p->nano_cpus);
        if (r < 0)
                return r;

        /* Without a network there is nothing to publish: it is reached at its socket. */
        if (p->publish_loopback && !p->socket_dir) {
                _cleanup_(json_object_putp) json_object *list = json_object_new_array(),
                                                        *binding = json_object_new_object();

                bindings = json_object_new_object();
                if (!list || !binding || !bindings)
                        return -ENOMEM;
                /* An empty HostPort asks the engine for a free ephemeral port. */
                r = add_string(binding, "HostIp", "127.0.0.1");
                if (r >= 0)
                        r = add_string(binding, "HostPort", "");
                if (r >= 0)
                        r = array_add(list, TAKE_PTR(binding));
                if (r >= 0)
                        r = object_steal_into(bindings, DOCKER_FUNCTION_PORT, &list);
                if (r >= 0)
                        r = object_steal_into(hc, "PortBindings", &bindings);
                if (r < 0)
                        return r;
        }

        r = add_string_array(hc, "CapDrop", "ALL");
        if (r >= 0)
                r = add_string_array(hc, "SecurityOpt", "no-new-privileges");
        if (r >= 0)
                r = add_int64(hc, "PidsLimit", 1024);
        if (r >= 0 && (p->network_mode || p->network))
                r = add_string(hc, "NetworkMode", p->network_mode ?: p->network);
        if (r >= 0 && p->runtime)
                r = docker_name_is_valid(p->runtime) ? add_string(hc, "Runtime", p->runtime) : -EINVAL;
        if (r >= 0)
                r = add_bool(hc, "ReadonlyRootfs", true);
        if (r < 0)
                return r;

        tmpfs = json_object_new_object();
        if (!tmpfs)
                return -ENOMEM;
        r = add_string(tmpfs, "/tmp", "rw,nosuid,nodev,size=512m");
        if (r >= 0)
                r = object_steal_into(hc, "Tmpfs", &tmpfs);
        if (r >= 0)
                r = add_bool(hc, "Privileged", false);
        /* We remove containers ourselves, after reading why they died. */
        if (r >= 0)
                r = add_bool(hc, "AutoRemove", false);
        /* lambda-rie is PID 1 on purpose: it reaps the bootstrap and forwards signals itself. */
        if (r >= 0)
                r = add_bool(hc, "Init", false);
        if (r < 0)
                return r;

        r = build_mounts(p, &mounts);
        if (r >= 0 && mounts)
                r = object_steal_into(hc, "Mounts", &mounts);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(hc);
        return 0;
}

int docker_create_body(const DockerCreateParams *p, char **ret)
{
        _cleanup_(json_object_putp) json_object *body = NULL, *env = NULL, *labels = NULL, *exposed = NULL,
                                                *hc = NULL;
        int r;

        assert(p);
        assert(ret);

        if (!docker_string_is_valid(p->image) || !p->image[0] || !docker_string_is_valid(p->function) ||
            !p->function[0] || !docker_string_is_valid(p->lifetime) || !p->lifetime[0] ||
            (p->network && !docker_name_is_valid(p->network)) ||
            (p->network_mode && !docker_name_is_valid(p->network_mode)) ||
            (p->spec && !docker_string_is_valid(p->spec)))
                return -EINVAL;
        if (p->memory_bytes > INT64_MAX || p->nano_cpus > INT64_MAX)
                return -ERANGE;

        body = json_object_new_object();
        env = json_object_new_array();
        exposed = json_object_new_object();
        if (!body || !env || !exposed)
                return -ENOMEM;

        r = add_string(body, "Image", p->image);
        if (r >= 0)
                r = add_optional_string(body, "User", p->user);
        if (r >= 0)
                r = add_strv(body, "Entrypoint", p->entrypoint);
        if (r >= 0)
                r = add_strv(body, "Cmd", p->cmd);
        if (r >= 0)
                r = add_optional_string(body, "WorkingDir", p->working_dir);
        if (r < 0)
                return r;

        for (char *const *e = p->env; e && *e; e++) {
                if (!env_entry_is_valid(*e))
                        return -EINVAL;
                r = array_add(env, json_object_new_string(*e));
                if (r < 0)
                        return r;
        }
        r = object_steal_into(body, "Env", &env);
        if (r < 0)
                return r;

        r = build_labels(p, &labels);
        if (r >= 0)
                r = object_steal_into(body, "Labels", &labels);
        if (r < 0)
                return r;

        r = object_add(exposed, DOCKER_FUNCTION_PORT, json_object_new_object());
        if (r >= 0)
                r = object_steal_into(body, "ExposedPorts", &exposed);
        if (r < 0)
                return r;

        r = build_host_config(p, &hc);
        if (r >= 0)
                r = object_steal_into(body, "HostConfig", &hc);
        if (r < 0)
                return r;
        return body_to_string(body, ret);
}

int docker_bridge_network_body(const char *name, bool icc, const char *deployment, char **ret)
{
        _cleanup_(json_object_putp) json_object *body = json_object_new_object(),
                                                *options = json_object_new_object(),
                                                *labels = json_object_new_object();
        int r;

        assert(ret);

        if (!docker_name_is_valid(name))
                return -EINVAL;
        if (!body || !options || !labels)
                return -ENOMEM;
        r = add_string(body, "Name", name);
        if (r >= 0)
                r = add_string(body, "Driver", "bridge");
        if (r >= 0)
                r = add_bool(body, "CheckDuplicate", true);
        /* Not internal: instances reach the outside world (an internal network has no route out). */
        if (r >= 0)
                r = add_bool(body, "Internal", false);
        if (r >= 0)
                r = add_string(options, DOCKER_BRIDGE_ICC_OPTION, icc ? "true" : "false");
        if (r >= 0)
                r = object_steal_into(body, "Options", &options);
        if (r >= 0)
                r = add_string(labels, LABEL_MANAGED_BY, LABEL_MANAGED_BY_VALUE);
        if (r >= 0 && deployment)
                r = add_string(labels, LABEL_NETWORK, deployment);
        if (r >= 0)
                r = object_steal_into(body, "Labels", &labels);
        if (r < 0)
                return r;
        return body_to_string(body, ret);
}

int docker_network_connect_body(const char *container, bool force, char **ret)
{
        _cleanup_(json_object_putp) json_object *body = json_object_new_object();
        int r;

        assert(ret);

        if (!docker_name_is_valid(container))
                return -EINVAL;
        if (!body)
                return -ENOMEM;
        r = add_string(body, "Container", container);
        if (r >= 0 && force)
                r = add_bool(body, "Force", true);
        if (r < 0)
                return r;
        return body_to_string(body, ret);
}

static int filter_query(const char *kind, const char *term, char **ret);

int docker_label_filter(const char *key, const char *value, char **ret)
{
        _cleanup_free_ char *term = NULL;

        assert(ret);

        if (!key || !key[0] || strchr(key, '=') || !docker_string_is_valid(key))
                return -EINVAL;
        if (value && !docker_string_is_valid(value))
                return -EINVAL;

        if (value) {
                if (asprintf(&term, "%s=%s", key, value) < 0)
                        return -ENOMEM;
        } else {
                term = strdup(key);
                if (!term)
                        return -ENOMEM;
        }

        return filter_query("label", term, ret);
}

int docker_filter(const char *kind, const char *term, char **ret)
{
        assert(ret);

        if (!docker_name_is_valid(kind) || !docker_name_is_valid(term))
                return -EINVAL;
        return filter_query(kind, term, ret);
}

static int filter_query(const char *kind, const char *term, char **ret)
{
        static const char hex[] = "0123456789ABCDEF";
        _cleanup_(json_object_putp) json_object *filters = NULL;
        _cleanup_(buf_done) Buf out = {};
        const char *json;
        int r;

        filters = json_object_new_object();
        if (!filters)
                return -ENOMEM;
        r = add_string_array(filters, kind, term);
        if (r < 0)
                return r;

        json = json_object_to_json_string_ext(filters,
                                              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!json)
                return -ENOMEM;

        /* Everything but RFC 3986 unreserved characters is encoded, so the value is safe anywhere in a
         * query string whatever the label holds. */
        for (const unsigned char *c = (const unsigned char *) json; *c; c++) {
                if (ascii_isalnum((char) *c) || strchr("-._~", *c))
                        r = buf_append(&out, c, 1);
                else
                        r = buf_append(&out, (char[]){ '%', hex[*c >> 4], hex[*c & 15] }, 3);
                if (r < 0)
                        return r;
        }

        *ret = buf_steal(&out, NULL);
        return *ret ? 0 : -ENOMEM;
}
