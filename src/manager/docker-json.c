/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "docker-json.h"
#include "strv.h"
#include "util.h"

/* Label values, states and actions are short in practice; a cap keeps a hostile engine from handing us
 * megabytes per field. */
#define DOCKER_STRING_MAX 4096

#define DOCKER_ID_MIN   12
#define DOCKER_ID_MAX   64
#define DOCKER_NAME_MAX 128

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

static bool utf8_is_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *) s;

        while (n > 0) {
                size_t k = utf8_sequence_len(p, n);

                if (k == 0)
                        return false;
                p += k;
                n -= k;
        }
        return true;
}

static bool string_is_valid(const char *s)
{
        return s && utf8_is_valid(s, strlen(s));
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool docker_id_is_valid(const char *id)
{
        size_t n;

        if (!id)
                return false;
        n = strnlen(id, DOCKER_ID_MAX + 1);
        if (n < DOCKER_ID_MIN || n > DOCKER_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_hex(id[i]))
                        return false;
        return true;
}

static bool is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool docker_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        /* The engine's pattern is [a-zA-Z0-9][a-zA-Z0-9_.-]+: a one-character name is refused. */
        n = strnlen(name, DOCKER_NAME_MAX + 1);
        if (n < 2 || n > DOCKER_NAME_MAX || !is_alnum(name[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

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
                if (!string_is_valid(*p))
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
        if (!string_is_valid(value))
                return -EINVAL;
        return add_string(o, key, value);
}

static char *to_string_dup(json_object *o)
{
        const char *s =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return s ? strdup(s) : NULL;
}

static bool env_entry_is_valid(const char *e)
{
        const char *eq;
        _cleanup_free_ char *name = NULL;

        if (!string_is_valid(e))
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
        if (r < 0)
                return r;
        *ret = TAKE_PTR(labels);
        return 0;
}

/* HostConfig.Mounts lending lambda-rie to an image that does not carry it. */
static int build_rie_mounts(const DockerCreateParams *p, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *mounts = NULL, *m = NULL;
        int r;

        if (!p->rie_source || !string_is_valid(p->rie_source) || !p->rie_source[0])
                return -EINVAL;
        /* The engine resolves a bind source on its own host: only an absolute path means one file. */
        if (p->rie == DOCKER_RIE_BIND && p->rie_source[0] != '/')
                return -EINVAL;
        if (p->rie == DOCKER_RIE_VOLUME && !docker_name_is_valid(p->rie_source))
                return -EINVAL;

        mounts = json_object_new_array();
        m = json_object_new_object();
        if (!mounts || !m)
                return -ENOMEM;
        r = add_string(m, "Type", p->rie == DOCKER_RIE_BIND ? "bind" : "volume");
        if (r >= 0)
                r = add_string(m, "Source", p->rie_source);
        if (r >= 0)
                r = add_string(m, "Target", p->rie == DOCKER_RIE_BIND ? RIE_MOUNT_PATH : RIE_MOUNT_DIR);
        if (r >= 0)
                r = add_bool(m, "ReadOnly", true);
        if (r >= 0 && p->rie == DOCKER_RIE_VOLUME) {
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
        if (r < 0)
                return r;
        *ret = TAKE_PTR(mounts);
        return 0;
}

static int build_host_config(const DockerCreateParams *p, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *hc = json_object_new_object(), *tmpfs = NULL,
                                                *bindings = NULL;
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

        if (p->publish_loopback) {
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
        if (r >= 0 && p->network)
                r = add_string(hc, "NetworkMode", p->network);
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

        if (p->rie != DOCKER_RIE_NONE) {
                _cleanup_(json_object_putp) json_object *mounts = NULL;

                r = build_rie_mounts(p, &mounts);
                if (r >= 0)
                        r = object_steal_into(hc, "Mounts", &mounts);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(hc);
        return 0;
}

int docker_create_body(const DockerCreateParams *p, char **ret)
{
        _cleanup_(json_object_putp) json_object *body = NULL, *env = NULL, *labels = NULL, *exposed = NULL,
                                                *hc = NULL;
        char *s;
        int r;

        assert(p);
        assert(ret);

        if (!string_is_valid(p->image) || !p->image[0] || !string_is_valid(p->function) || !p->function[0] ||
            !string_is_valid(p->lifetime) || !p->lifetime[0] ||
            (p->network && !docker_name_is_valid(p->network)))
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

        s = to_string_dup(body);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int docker_label_filter(const char *key, const char *value, char **ret)
{
        static const char hex[] = "0123456789ABCDEF";
        _cleanup_(json_object_putp) json_object *filters = NULL;
        _cleanup_free_ char *term = NULL;
        _cleanup_(buf_done) Buf out = {};
        const char *json;
        int r;

        assert(ret);

        if (!key || !key[0] || strchr(key, '=') || !string_is_valid(key))
                return -EINVAL;
        if (value && !string_is_valid(value))
                return -EINVAL;

        if (value) {
                if (asprintf(&term, "%s=%s", key, value) < 0)
                        return -ENOMEM;
        } else {
                term = strdup(key);
                if (!term)
                        return -ENOMEM;
        }

        filters = json_object_new_object();
        if (!filters)
                return -ENOMEM;
        r = add_string_array(filters, "label", term);
        if (r < 0)
                return r;

        json = json_object_to_json_string_ext(filters,
                                              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!json)
                return -ENOMEM;

        /* Everything but RFC 3986 unreserved characters is encoded, so the value is safe anywhere in a
         * query string whatever the label holds. */
        for (const unsigned char *c = (const unsigned char *) json; *c; c++) {
                if (is_alnum((char) *c) || strchr("-._~", *c))
                        r = buf_append(&out, c, 1);
                else
                        r = buf_append(&out, (char[]){ '%', hex[*c >> 4], hex[*c & 15] }, 3);
                if (r < 0)
                        return r;
        }

        *ret = buf_steal(&out, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* Parsing. */

static int parse_document(const char *json, size_t len, json_object **ret)
{
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        size_t end;

        if (len > DOCKER_JSON_MAX)
                return -EMSGSIZE;
        if (len == 0 || !json)
                return -EBADMSG;
        /* json-c stops at a NUL as if the document ended there; a NUL has no business in JSON text. */
        if (memchr(json, 0, len))
                return -EBADMSG;

        tok = json_tokener_new_ex(32);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                            JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, json, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
                return -EBADMSG;

        /* The engine ends documents with a newline; anything else after the value is not ours to ignore. */
        end = json_tokener_get_parse_end(tok);
        if (end > len)
                return -EBADMSG;
        for (size_t i = end; i < len; i++)
                if (!strchr(" \t\r\n", json[i]))
                        return -EBADMSG;

        *ret = TAKE_PTR(o);
        return 0;
}

/* A document that must be one JSON object. */
static int parse_object(const char *json, size_t len, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        r = parse_document(json, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v; /* NULL for a JSON null as well */
}

/* A member that must be an object when present: NULL (and 0) when absent or null, -EBADMSG otherwise. */
static int get_object(json_object *o, const char *key, json_object **ret)
{
        json_object *v = get(o, key);

        if (v && !json_object_is_type(v, json_type_object))
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* Validates a JSON string for our use: no embedded NUL (from \u0000), UTF-8, bounded. */
static int check_string(json_object *v, size_t max, const char **ret)
{
        const char *s;
        int n;

        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        n = json_object_get_string_len(v);
        if (!s || n < 0 || (size_t) n > max || strlen(s) != (size_t) n || !utf8_is_valid(s, (size_t) n))
                return -EBADMSG;
        *ret = s;
        return 0;
}

/* A string member copied out: NULL when absent or null, -EBADMSG when not a valid string. */
static int dup_string(json_object *o, const char *key, size_t max, char **ret)
{
        json_object *v = get(o, key);
        const char *s;
        char *copy;
        int r;

        if (!v) {
                *ret = NULL;
                return 0;
        }
        r = check_string(v, max, &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* Like dup_string(), but the empty string reads as absent. */
static int dup_nonempty_string(json_object *o, const char *key, size_t max, char **ret)
{
        char *s;
        int r;

        r = dup_string(o, key, max, &s);
        if (r < 0)
                return r;
        if (s && !s[0]) {
                free(s);
                s = NULL;
        }
        *ret = s;
        return 0;
}

static int dup_id(json_object *o, const char *key, char **ret)
{
        _cleanup_free_ char *id = NULL;
        int r;

        r = dup_string(o, key, DOCKER_ID_MAX, &id);
        if (r < 0)
                return r;
        if (!docker_id_is_valid(id))
                return -EBADMSG;
        *ret = TAKE_PTR(id);
        return 0;
}

static int dup_ip_address(json_object *o, const char *key, char **ret)
{
        _cleanup_free_ char *ip = NULL;
        unsigned char a[sizeof(struct in6_addr)];
        int r;

        r = dup_nonempty_string(o, key, INET6_ADDRSTRLEN, &ip);
        if (r < 0)
                return r;
        /* The gateway connects to this address; only an IP literal will do, never a name to resolve. */
        if (ip && inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
                return -EBADMSG;
        *ret = TAKE_PTR(ip);
        return 0;
}

typedef struct LabelValues {
        char *function;
        char *lifetime;
        bool managed;
} LabelValues;

static void label_values_done(LabelValues *l)
{
        free(l->function);
        free(l->lifetime);
        *l = (LabelValues){};
}

/* Reads our labels out of a Labels/Attributes object (absent or null: none of them). */
static int parse_labels(json_object *labels, LabelValues *ret)
{
        _cleanup_(label_values_done) LabelValues l = {};
        _cleanup_free_ char *managed = NULL;
        int r;

        if (labels && !json_object_is_type(labels, json_type_object))
                return -EBADMSG;

        r = dup_string(labels, LABEL_FUNCTION, DOCKER_STRING_MAX, &l.function);
        if (r >= 0)
                r = dup_string(labels, LABEL_LIFETIME, DOCKER_STRING_MAX, &l.lifetime);
        if (r >= 0)
                r = dup_string(labels, LABEL_MANAGED_BY, DOCKER_STRING_MAX, &managed);
        if (r < 0)
                return r;
        l.managed = managed && strcmp(managed, LABEL_MANAGED_BY_VALUE) == 0;

        *ret = l;
        l = (LabelValues){};
        return 0;
}

int docker_parse_create(const char *json, size_t len, char **ret_id)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        char *id;
        int r;

        assert(ret_id);

        r = parse_object(json, len, &o);
        if (r < 0)
                return r;
        r = dup_id(o, "Id", &id);
        if (r < 0)
                return r;
        *ret_id = id;
        return 0;
}

/* Copies at most max bytes of s, cut on a character boundary, with control characters turned into
 * spaces and bytes that are not UTF-8 into '?'. */
static char *sanitize(const char *s, size_t n, size_t max)
{
        _cleanup_(buf_done) Buf b = {};
        const unsigned char *p = (const unsigned char *) s;
        char *ret;

        /* Plain-text error bodies end with a newline that would otherwise show as a trailing space. */
        while (n > 0 && p[n - 1] && strchr(" \t\r\n", p[n - 1]))
                n--;

        while (n > 0) {
                size_t k = utf8_sequence_len(p, n);
                int r;

                if (b.len + MAX(k, (size_t) 1) > max)
                        break;
                if (k == 0)
                        r = buf_append(&b, "?", 1);
                else if (k == 1 && (*p < 0x20 || *p == 0x7f))
                        r = buf_append(&b, " ", 1);
                else if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)
                        r = buf_append(&b, " ", 1); /* C1 controls */
                else
                        r = buf_append(&b, p, k);
                if (r < 0)
                        return NULL;
                p += MAX(k, (size_t) 1);
                n -= MAX(k, (size_t) 1);
        }

        ret = buf_steal(&b, NULL);
        return ret ?: strdup("");
}

int docker_parse_error(const char *json, size_t len, char **ret_message)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *m;
        char *s;

        assert(ret_message);

        if (!json)
                len = 0;

        if (parse_document(json, len, &o) >= 0 && (m = get(o, "message")) &&
            json_object_is_type(m, json_type_string) && json_object_get_string_len(m) > 0)
                s = sanitize(json_object_get_string(m), (size_t) json_object_get_string_len(m),
                             DOCKER_ERROR_MESSAGE_MAX);
        else
                s = sanitize(json ?: "", len, DOCKER_ERROR_MESSAGE_MAX);
        if (!s)
                return -ENOMEM;
        *ret_message = s;
        return 0;
}

int docker_parse_pull_result(const char *body, size_t len, char **ret_error)
{
        const char *p = body ?: "", *end = p + (body ? len : 0);

        /* The answer streams progress, one JSON object a line; a failure is a line with "error",
         * sent after the status 200 was. */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *e;

                if (parse_document(p, n, &o) >= 0 && (e = get(o, "error")) &&
                    json_object_is_type(e, json_type_string)) {
                        char *s = sanitize(json_object_get_string(e), (size_t) json_object_get_string_len(e),
                                           DOCKER_ERROR_MESSAGE_MAX);

                        if (!s)
                                return -ENOMEM;
                        *ret_error = s;
                        return 1;
                }
                p += n + 1;
        }
        *ret_error = NULL;
        return 0;
}

void docker_container_done(DockerContainer *c)
{
        if (!c)
                return;
        free(c->id);
        free(c->function);
        free(c->lifetime);
        free(c->state);
        *c = (DockerContainer){};
}

void docker_container_array_free(DockerContainer *a, size_t n)
{
        if (!a)
                return;
        for (size_t i = 0; i < n; i++)
                docker_container_done(a + i);
        free(a);
}

typedef struct ContainerArray {
        DockerContainer *a;
        size_t n;
} ContainerArray;

static void container_array_done(ContainerArray *c)
{
        docker_container_array_free(c->a, c->n);
        *c = (ContainerArray){};
}

/* One entry of the list. 0 and a filled *ret, 0 and *ret untouched for an entry to skip, or -ENOMEM. */
static int parse_container_entry(json_object *e, DockerContainer *ret, bool *ret_ok)
{
        _cleanup_(docker_container_done) DockerContainer c = {};
        LabelValues l = {};
        json_object *labels;
        int r;

        *ret_ok = false;
        if (!json_object_is_type(e, json_type_object))
                return 0;

        r = dup_id(e, "Id", &c.id);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        /* Wrong-typed fields read as absent: such an entry carries no claim to be ours. */
        if (get_object(e, "Labels", &labels) >= 0) {
                r = parse_labels(labels, &l);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        c.function = l.function;
                        c.lifetime = l.lifetime;
                        c.managed = l.managed;
                }
        }

        r = dup_string(e, "State", DOCKER_STRING_MAX, &c.state);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                c.state = NULL;

        *ret = c;
        c = (DockerContainer){};
        *ret_ok = true;
        return 0;
}

int docker_parse_container_list(const char *json, size_t len, DockerContainer **ret, size_t *ret_n)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(container_array_done) ContainerArray list = {};
        size_t n;
        int r;

        assert(ret);
        assert(ret_n);

        r = parse_document(json, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_array))
                return -EBADMSG;

        n = json_object_array_length(o);
        if (n > 0) {
                list.a = calloc(n, sizeof(DockerContainer));
                if (!list.a)
                        return -ENOMEM;
        }

        for (size_t i = 0; i < n; i++) {
                bool ok;

                r = parse_container_entry(json_object_array_get_idx(o, i), list.a + list.n, &ok);
                if (r < 0)
                        return r;
                if (ok)
                        list.n++;
        }

        if (list.n == 0) {
                free(list.a);
                list.a = NULL;
        }
        *ret = TAKE_PTR(list.a);
        *ret_n = list.n;
        list.n = 0;
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
        strv_free(i->networks);
        *i = (DockerInspect){};
}

static int parse_inspect_state(json_object *state, DockerInspect *i)
{
        json_object *v;

        if (!state)
                return 0;

        v = get(state, "Running");
        if (v) {
                if (!json_object_is_type(v, json_type_boolean))
                        return -EBADMSG;
                i->running = json_object_get_boolean(v);
        }

        v = get(state, "ExitCode");
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

        return dup_string(state, "Status", DOCKER_STRING_MAX, &i->status);
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
        bindings = get(ports, DOCKER_FUNCTION_PORT);
        if (!bindings)
                return 0;
        if (!json_object_is_type(bindings, json_type_array))
                return -EBADMSG;
        if (json_object_array_length(bindings) == 0)
                return 0;
        b = json_object_array_get_idx(bindings, 0);
        if (!json_object_is_type(b, json_type_object))
                return -EBADMSG;

        r = dup_nonempty_string(b, "HostPort", 5, &port);
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
        r = get_object(ns, "Networks", &networks);
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

int docker_parse_inspect(const char *json, size_t len, DockerInspect *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_inspect_done) DockerInspect i = {};
        _cleanup_(label_values_done) LabelValues l = {};
        json_object *state = NULL, *ns = NULL, *ports = NULL, *config = NULL, *labels = NULL;
        int r;

        assert(ret);

        r = parse_object(json, len, &o);
        if (r < 0)
                return r;

        r = dup_id(o, "Id", &i.id);
        if (r < 0)
                return r;

        r = get_object(o, "State", &state);
        if (r >= 0)
                r = parse_inspect_state(state, &i);
        if (r < 0)
                return r;

        r = get_object(o, "NetworkSettings", &ns);
        if (r >= 0)
                r = parse_inspect_address(ns, &i);
        if (r >= 0)
                r = get_object(ns, "Ports", &ports);
        if (r >= 0)
                r = parse_inspect_port(ports, &i);
        if (r < 0)
                return r;

        r = get_object(o, "Config", &config);
        if (r >= 0)
                r = get_object(config, "Labels", &labels);
        if (r >= 0)
                r = parse_labels(labels, &l);
        if (r < 0)
                return r;
        i.function = TAKE_PTR(l.function);
        i.lifetime = TAKE_PTR(l.lifetime);

        *ret = i;
        i = (DockerInspect){};
        return 0;
}

void docker_image_done(DockerImage *i)
{
        if (!i)
                return;
        strv_free(i->entrypoint);
        strv_free(i->cmd);
        free(i->working_dir);
        free(i->architecture);
        free(i->os);
        free(i->function);
        *i = (DockerImage){};
}

/* An image's command line is short; more strings than this is an engine we do not trust. */
#define DOCKER_STRV_MAX 4096

/* A member that must be an array of strings when present: NULL when absent, null or empty. */
static int dup_strv(json_object *o, const char *key, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        json_object *v = get(o, key);
        size_t n;

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(v);
        if (n > DOCKER_STRV_MAX)
                return -EBADMSG;
        if (n == 0)
                return 0;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                const char *s;
                int r;

                r = check_string(json_object_array_get_idx(v, k), DOCKER_STRING_MAX, &s);
                if (r < 0)
                        return r;
                l[k] = strdup(s);
                if (!l[k])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int docker_parse_volume_at(const char *json, size_t len, const char *destination, char **ret_name)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *mounts;
        int r;

        assert(destination);
        assert(ret_name);

        r = parse_document(json, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        mounts = get(o, "Mounts");
        if (!mounts) {
                *ret_name = NULL;
                return 0;
        }
        if (!json_object_is_type(mounts, json_type_array))
                return -EBADMSG;

        for (size_t k = 0; k < json_object_array_length(mounts); k++) {
                json_object *e = json_object_array_get_idx(mounts, k), *v;
                const char *type, *dest, *name;

                if (!json_object_is_type(e, json_type_object))
                        return -EBADMSG;
                v = get(e, "Type");
                if (!v || check_string(v, DOCKER_STRING_MAX, &type) < 0 || strcmp(type, "volume") != 0)
                        continue;
                v = get(e, "Destination");
                if (!v || check_string(v, DOCKER_STRING_MAX, &dest) < 0 || strcmp(dest, destination) != 0)
                        continue;
                v = get(e, "Name");
                if (!v || check_string(v, DOCKER_STRING_MAX, &name) < 0 || !docker_name_is_valid(name))
                        return -EBADMSG;
                *ret_name = strdup(name);
                return *ret_name ? 1 : -ENOMEM;
        }
        *ret_name = NULL;
        return 0;
}

int docker_parse_image(const char *json, size_t len, DockerImage *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_image_done) DockerImage i = {};
        _cleanup_(label_values_done) LabelValues l = {};
        json_object *config = NULL, *labels = NULL;
        int r;

        assert(ret);

        r = parse_object(json, len, &o);
        if (r < 0)
                return r;

        r = dup_nonempty_string(o, "Architecture", DOCKER_STRING_MAX, &i.architecture);
        if (r >= 0)
                r = dup_nonempty_string(o, "Os", DOCKER_STRING_MAX, &i.os);
        if (r >= 0)
                r = get_object(o, "Config", &config);
        if (r >= 0)
                r = dup_strv(config, "Entrypoint", &i.entrypoint);
        if (r >= 0)
                r = dup_strv(config, "Cmd", &i.cmd);
        if (r >= 0)
                r = dup_nonempty_string(config, "WorkingDir", DOCKER_STRING_MAX, &i.working_dir);
        if (r >= 0)
                r = get_object(config, "Labels", &labels);
        if (r >= 0)
                r = parse_labels(labels, &l);
        if (r < 0)
                return r;
        i.function = TAKE_PTR(l.function);

        *ret = i;
        i = (DockerImage){};
        return 0;
}

int docker_parse_version(const char *json, size_t len, char **ret_os, char **ret_arch)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *os = NULL, *arch = NULL;
        int r;

        assert(ret_os);
        assert(ret_arch);

        r = parse_object(json, len, &o);
        if (r < 0)
                return r;
        r = dup_nonempty_string(o, "Os", DOCKER_STRING_MAX, &os);
        if (r >= 0)
                r = dup_nonempty_string(o, "Arch", DOCKER_STRING_MAX, &arch);
        if (r < 0)
                return r;
        if (!os || !arch)
                return -EBADMSG;
        *ret_os = TAKE_PTR(os);
        *ret_arch = TAKE_PTR(arch);
        return 0;
}

#define LOG_FRAME_HEADER 8

/* Whether body is a whole sequence of stdout/stderr frames; their payloads are appended to out. */
static int demultiplex(const char *body, size_t len, Buf *out, bool *ret_framed)
{
        const unsigned char *p = (const unsigned char *) body;
        size_t at = 0;

        *ret_framed = false;
        while (at < len) {
                uint32_t n;

                if (len - at < LOG_FRAME_HEADER || p[at] > 2 || p[at + 1] || p[at + 2] || p[at + 3])
                        return 0;
                n = (uint32_t) p[at + 4] << 24 | (uint32_t) p[at + 5] << 16 | (uint32_t) p[at + 6] << 8 |
                    p[at + 7];
                if (n > len - at - LOG_FRAME_HEADER)
                        return 0;
                at += LOG_FRAME_HEADER + n;
        }
        for (at = 0; at < len;) {
                uint32_t n = (uint32_t) p[at + 4] << 24 | (uint32_t) p[at + 5] << 16 |
                             (uint32_t) p[at + 6] << 8 | p[at + 7];
                int r = buf_append(out, body + at + LOG_FRAME_HEADER, n);

                if (r < 0)
                        return r;
                at += LOG_FRAME_HEADER + n;
        }
        *ret_framed = true;
        return 0;
}

int docker_parse_logs(const char *body, size_t len, char **ret)
{
        _cleanup_(buf_done) Buf text = {}, out = {};
        const char *t;
        size_t n, start, lines = 0;
        bool framed;
        int r;

        assert(ret);

        r = demultiplex(body ?: "", body ? len : 0, &text, &framed);
        if (r < 0)
                return r;
        t = framed ? (text.data ?: "") : (body ?: "");
        n = framed ? text.len : (body ? len : 0);

        /* The tail: trailing newlines dropped, then back to the start of the N-th line from the end,
         * and no further back than the size of a message allows. */
        while (n > 0 && strchr("\r\n", t[n - 1]))
                n--;
        for (start = n; start > 0; start--)
                if (t[start - 1] == '\n' && ++lines == DOCKER_LOG_TAIL_LINES)
                        break;
        if (n - start > DOCKER_ERROR_MESSAGE_MAX) {
                start = n - DOCKER_ERROR_MESSAGE_MAX;
                while (start < n && ((unsigned char) t[start] & 0xc0) == 0x80)
                        start++;
        }

        for (size_t at = start; at <= n;) {
                const char *nl = memchr(t + at, '\n', n - at);
                size_t k = nl ? (size_t) (nl - (t + at)) : n - at;
                _cleanup_free_ char *line = sanitize(t + at, k, DOCKER_ERROR_MESSAGE_MAX);

                if (!line)
                        return -ENOMEM;
                if ((out.len > 0 && buf_append(&out, "\n", 1) < 0) ||
                    buf_append(&out, line, strlen(line)) < 0)
                        return -ENOMEM;
                at += k + 1;
        }

        *ret = buf_steal(&out, NULL);
        if (!*ret)
                *ret = strdup("");
        return *ret ? 0 : -ENOMEM;
}

void docker_event_done(DockerEvent *e)
{
        if (!e)
                return;
        free(e->type);
        free(e->action);
        free(e->id);
        free(e->function);
        free(e->lifetime);
        *e = (DockerEvent){};
}

int docker_parse_event(const char *line, size_t len, DockerEvent *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_event_done) DockerEvent e = {};
        _cleanup_(label_values_done) LabelValues l = {};
        json_object *actor = NULL, *attributes = NULL;
        int r;

        assert(ret);

        r = parse_object(line, len, &o);
        if (r < 0)
                return r;

        r = dup_nonempty_string(o, "Type", DOCKER_STRING_MAX, &e.type);
        if (r >= 0)
                r = dup_nonempty_string(o, "Action", DOCKER_STRING_MAX, &e.action);
        if (r < 0)
                return r;
        if (!e.type || !e.action)
                return -EBADMSG;

        r = get_object(o, "Actor", &actor);
        if (r < 0)
                return r;

        if (strcmp(e.type, "container") == 0) {
                r = dup_id(actor, "ID", &e.id);
                if (r < 0)
                        return r;
        } else {
                /* Images, networks and volumes have ids or names of their own: kept only when id-shaped. */
                r = dup_string(actor, "ID", DOCKER_STRING_MAX, &e.id);
                if (r < 0)
                        return r;
                if (!docker_id_is_valid(e.id)) {
                        free(e.id);
                        e.id = NULL;
                }
        }

        r = get_object(actor, "Attributes", &attributes);
        if (r >= 0)
                r = parse_labels(attributes, &l);
        if (r < 0)
                return r;
        e.function = TAKE_PTR(l.function);
        e.lifetime = TAKE_PTR(l.lifetime);

        *ret = e;
        e = (DockerEvent){};
        return 0;
}
