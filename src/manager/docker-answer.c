/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* docker-answer.c: the engine's answers other than a container's inspect (docker-inspect.c), read into
 * docker-json.h's structures: a created container's id, an error's message (bounded, control characters
 * made harmless), a pull's outcome, the container list, an image, a network's kind, the engine's
 * runtimes and version, a container's logs (framed or not) and one line of the events stream. */

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "docker-json-read.h"
#include "strv.h"
#include "util.h"

int docker_parse_create(const char *json, size_t len, char **ret_id)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        char *id;
        int r;

        assert(ret_id);

        r = docker_json_parse_object(json, len, &o);
        if (r < 0)
                return r;
        r = docker_json_dup_id(o, "Id", &id);
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

        if (docker_json_parse(json, len, &o) >= 0 && (m = docker_json_get(o, "message")) &&
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

                if (docker_json_parse(p, n, &o) >= 0 && (e = docker_json_get(o, "error")) &&
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
        free(c->network);
        free(c->service);
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
        DockerLabels l = {};
        json_object *labels;
        int r;

        *ret_ok = false;
        if (!json_object_is_type(e, json_type_object))
                return 0;

        r = docker_json_dup_id(e, "Id", &c.id);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        /* Wrong-typed fields read as absent: such an entry carries no claim to be ours. */
        if (docker_json_get_object(e, "Labels", &labels) >= 0) {
                r = docker_labels_parse(labels, &l);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        c.function = TAKE_PTR(l.function);
                        c.lifetime = TAKE_PTR(l.lifetime);
                        c.network = TAKE_PTR(l.network);
                        c.service = TAKE_PTR(l.service);
                        c.managed = l.managed;
                        docker_labels_done(&l);
                }
        }

        r = docker_json_dup_string(e, "State", DOCKER_STRING_MAX, &c.state);
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

        r = docker_json_parse(json, len, &o);
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
        free(i->id);
        *i = (DockerImage){};
}

/* An image's command line is short; more strings than this is an engine we do not trust. */
#define DOCKER_STRV_MAX 4096

/* A member that must be an array of strings when present: NULL when absent, null or empty. */
static int dup_strv(json_object *o, const char *key, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        json_object *v = docker_json_get(o, key);
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

                r = docker_json_check_string(json_object_array_get_idx(v, k), DOCKER_STRING_MAX, &s);
                if (r < 0)
                        return r;
                l[k] = strdup(s);
                if (!l[k])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int docker_parse_image(const char *json, size_t len, DockerImage *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_image_done) DockerImage i = {};
        _cleanup_(docker_labels_done) DockerLabels l = {};
        json_object *config = NULL, *labels = NULL;
        int r;

        assert(ret);

        r = docker_json_parse_object(json, len, &o);
        if (r < 0)
                return r;

        r = docker_json_dup_nonempty_string(o, "Id", DOCKER_STRING_MAX, &i.id);
        if (r >= 0)
                r = docker_json_dup_nonempty_string(o, "Architecture", DOCKER_STRING_MAX, &i.architecture);
        if (r >= 0)
                r = docker_json_dup_nonempty_string(o, "Os", DOCKER_STRING_MAX, &i.os);
        if (r >= 0)
                r = docker_json_get_object(o, "Config", &config);
        if (r >= 0)
                r = dup_strv(config, "Entrypoint", &i.entrypoint);
        if (r >= 0)
                r = dup_strv(config, "Cmd", &i.cmd);
        if (r >= 0)
                r = docker_json_dup_nonempty_string(config, "WorkingDir", DOCKER_STRING_MAX, &i.working_dir);
        if (r >= 0)
                r = docker_json_get_object(config, "Labels", &labels);
        if (r >= 0)
                r = docker_labels_parse(labels, &l);
        if (r < 0)
                return r;
        i.function = TAKE_PTR(l.function);

        *ret = i;
        i = (DockerImage){};
        return 0;
}

int docker_parse_network_bridge(const char *json, size_t len)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *driver = NULL, *icc = NULL;
        json_object *options = NULL;
        int r;

        r = docker_json_parse_object(json, len, &o);
        if (r >= 0)
                r = docker_json_dup_string(o, "Driver", DOCKER_STRING_MAX, &driver);
        if (r >= 0)
                r = docker_json_get_object(o, "Options", &options);
        if (r >= 0)
                r = docker_json_dup_string(options, DOCKER_BRIDGE_ICC_OPTION, DOCKER_STRING_MAX, &icc);
        if (r < 0)
                return r;
        if (!driver)
                return -EBADMSG;
        if (strcmp(driver, "bridge") != 0)
                return DOCKER_NETWORK_OTHER;
        return icc && strcmp(icc, "false") == 0 ? DOCKER_BRIDGE_ISOLATING : DOCKER_BRIDGE_OPEN;
}

int docker_parse_info_runtimes(const char *json, size_t len, char ***ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_strv_free_ char **names = NULL;
        json_object *runtimes;
        int r;

        assert(ret);

        r = docker_json_parse_object(json, len, &o);
        if (r >= 0)
                r = docker_json_get_object(o, "Runtimes", &runtimes);
        if (r < 0)
                return r;
        *ret = NULL;
        if (!runtimes)
                return 0;
        /* An empty list is one too: the engine said what it has. */
        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        json_object_object_foreach(runtimes, name, v)
        {
                (void) v;
                /* A name we could not send back is of no use (and not one a declaration can hold). */
                if (!docker_name_is_valid(name))
                        continue;
                r = strv_extend(&names, name);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(names);
        return 1;
}

int docker_parse_version(const char *json, size_t len, char **ret_os, char **ret_arch)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *os = NULL, *arch = NULL;
        int r;

        assert(ret_os);
        assert(ret_arch);

        r = docker_json_parse_object(json, len, &o);
        if (r < 0)
                return r;
        r = docker_json_dup_nonempty_string(o, "Os", DOCKER_STRING_MAX, &os);
        if (r >= 0)
                r = docker_json_dup_nonempty_string(o, "Arch", DOCKER_STRING_MAX, &arch);
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
        free(e->project);
        free(e->service);
        *e = (DockerEvent){};
}

int docker_parse_event(const char *line, size_t len, DockerEvent *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(docker_event_done) DockerEvent e = {};
        _cleanup_(docker_labels_done) DockerLabels l = {};
        json_object *actor = NULL, *attributes = NULL;
        int r;

        assert(ret);

        r = docker_json_parse_object(line, len, &o);
        if (r < 0)
                return r;

        r = docker_json_dup_nonempty_string(o, "Type", DOCKER_STRING_MAX, &e.type);
        if (r >= 0)
                r = docker_json_dup_nonempty_string(o, "Action", DOCKER_STRING_MAX, &e.action);
        if (r < 0)
                return r;
        if (!e.type || !e.action)
                return -EBADMSG;

        r = docker_json_get_object(o, "Actor", &actor);
        if (r < 0)
                return r;

        if (strcmp(e.type, "container") == 0) {
                r = docker_json_dup_id(actor, "ID", &e.id);
                if (r < 0)
                        return r;
        } else {
                /* Images, networks and volumes have ids or names of their own: kept only when id-shaped. */
                r = docker_json_dup_string(actor, "ID", DOCKER_STRING_MAX, &e.id);
                if (r < 0)
                        return r;
                if (!docker_id_is_valid(e.id)) {
                        free(e.id);
                        e.id = NULL;
                }
        }

        r = docker_json_get_object(actor, "Attributes", &attributes);
        if (r >= 0)
                r = docker_labels_parse(attributes, &l);
        if (r < 0)
                return r;
        e.function = TAKE_PTR(l.function);
        e.lifetime = TAKE_PTR(l.lifetime);
        e.project = TAKE_PTR(l.project);
        e.service = TAKE_PTR(l.service);

        *ret = e;
        e = (DockerEvent){};
        return 0;
}
