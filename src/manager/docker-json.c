/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json-read.h"
#include "util.h"

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

bool docker_string_is_valid(const char *s)
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

bool docker_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        /* The engine's pattern is [a-zA-Z0-9][a-zA-Z0-9_.-]+: a one-character name is refused. */
        n = strnlen(name, DOCKER_NAME_MAX + 1);
        if (n < 2 || n > DOCKER_NAME_MAX || !ascii_isalnum(name[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!ascii_isalnum(name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

int docker_json_parse(const char *json, size_t len, json_object **ret)
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

int docker_json_parse_object(const char *json, size_t len, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        r = docker_json_parse(json, len, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

json_object *docker_json_get(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v; /* NULL for a JSON null as well */
}

int docker_json_get_object(json_object *o, const char *key, json_object **ret)
{
        json_object *v = docker_json_get(o, key);

        if (v && !json_object_is_type(v, json_type_object))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int docker_json_check_string(json_object *v, size_t max, const char **ret)
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

int docker_json_dup_string(json_object *o, const char *key, size_t max, char **ret)
{
        json_object *v = docker_json_get(o, key);
        const char *s;
        char *copy;
        int r;

        if (!v) {
                *ret = NULL;
                return 0;
        }
        r = docker_json_check_string(v, max, &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int docker_json_dup_nonempty_string(json_object *o, const char *key, size_t max, char **ret)
{
        char *s;
        int r;

        r = docker_json_dup_string(o, key, max, &s);
        if (r < 0)
                return r;
        if (s && !s[0]) {
                free(s);
                s = NULL;
        }
        *ret = s;
        return 0;
}

int docker_json_dup_id(json_object *o, const char *key, char **ret)
{
        _cleanup_free_ char *id = NULL;
        int r;

        r = docker_json_dup_string(o, key, DOCKER_ID_MAX, &id);
        if (r < 0)
                return r;
        if (!docker_id_is_valid(id))
                return -EBADMSG;
        *ret = TAKE_PTR(id);
        return 0;
}

void docker_labels_done(DockerLabels *l)
{
        free(l->function);
        free(l->lifetime);
        free(l->spec);
        free(l->network);
        free(l->project);
        free(l->service);
        *l = (DockerLabels){};
}

int docker_labels_parse(json_object *labels, DockerLabels *ret)
{
        _cleanup_(docker_labels_done) DockerLabels l = {};
        _cleanup_free_ char *managed = NULL;
        int r;

        if (labels && !json_object_is_type(labels, json_type_object))
                return -EBADMSG;

        r = docker_json_dup_string(labels, LABEL_FUNCTION, DOCKER_STRING_MAX, &l.function);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_LIFETIME, DOCKER_STRING_MAX, &l.lifetime);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_SPEC, DOCKER_STRING_MAX, &l.spec);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_NETWORK, DOCKER_STRING_MAX, &l.network);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_COMPOSE_PROJECT, DOCKER_STRING_MAX, &l.project);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_COMPOSE_SERVICE, DOCKER_STRING_MAX, &l.service);
        if (r >= 0)
                r = docker_json_dup_string(labels, LABEL_MANAGED_BY, DOCKER_STRING_MAX, &managed);
        if (r < 0)
                return r;
        l.managed = managed && strcmp(managed, LABEL_MANAGED_BY_VALUE) == 0;

        *ret = l;
        l = (DockerLabels){};
        return 0;
}
