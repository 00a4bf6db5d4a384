/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the Docker Engine API parsers (every byte the engine answers is untrusted) and the body and
 * filter builders. The first input byte selects the function; corpus files start with '0'..'7'. The
 * checks after each call hold whatever the input: ids are valid ids, messages are bounded and clean,
 * and whatever the builders produce parses back to what went in. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "docker-json.h"
#include "fuzz.h"
#include "macro.h"
#include "strv.h"

static void check_string(const char *s, size_t max)
{
        if (s && strlen(s) > max)
                abort();
}

static void check_id(const char *id)
{
        if (!docker_id_is_valid(id))
                abort();
}

static void fuzz_create(const char *d, size_t n)
{
        char *id = (char *) 1;

        if (docker_parse_create(d, n, &id) >= 0) {
                check_id(id);
                free(id);
        } else if (id != (char *) 1)
                abort();
}

static void fuzz_error(const char *d, size_t n)
{
        char *m = NULL;

        if (docker_parse_error(d, n, &m) < 0)
                abort();
        if (!m || strlen(m) > DOCKER_ERROR_MESSAGE_MAX)
                abort();
        for (const unsigned char *c = (const unsigned char *) m; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        abort();
        free(m);
}

static void fuzz_list(const char *d, size_t n)
{
        DockerContainer *a = NULL;
        size_t k = 0;

        if (docker_parse_container_list(d, n, &a, &k) < 0)
                return;
        if ((k == 0) != (a == NULL))
                abort();
        for (size_t i = 0; i < k; i++)
                check_id(a[i].id);
        docker_container_array_free(a, k);
}

static void fuzz_inspect(const char *d, size_t n)
{
        DockerInspect i = {};

        if (docker_parse_inspect(d, n, &i) < 0) {
                if (i.id)
                        abort();
                return;
        }
        check_id(i.id);
        if (i.ip_address && !i.ip_address[0])
                abort();
        /* A socket's directory is an absolute host path. */
        if (i.socket_dir && i.socket_dir[0] != '/')
                abort();
        docker_inspect_done(&i);
}

static void fuzz_image(const char *d, size_t n)
{
        DockerImage i = {};
        _cleanup_free_ char *text = NULL, *os = NULL, *arch = NULL;

        (void) docker_parse_image(d, n, &i);
        docker_image_done(&i);
        if (docker_parse_version(d, n, &os, &arch) >= 0 && (!os || !arch))
                abort();
        /* The runtimes an engine lists are names it would take back (a declaration's engine_runtime). */
        {
                char **runtimes = NULL;
                int k = docker_parse_info_runtimes(d, n, &runtimes);

                if ((k == 1) != (runtimes != NULL))
                        abort();
                for (char **r = runtimes; r && *r; r++)
                        if (!docker_name_is_valid(*r))
                                abort();
                strv_free(runtimes);
        }
        /* Any bytes are some log output: it never fails but for memory, and stays in bounds. */
        if (docker_parse_logs(d, n, &text) >= 0 && strlen(text) > DOCKER_ERROR_MESSAGE_MAX)
                abort();
}

static void fuzz_event(const char *d, size_t n)
{
        DockerEvent e = {};

        if (docker_parse_event(d, n, &e) < 0)
                return;
        if (!e.type || !e.action)
                abort();
        if (strcmp(e.type, "container") == 0 || e.id)
                check_id(e.id);
        check_string(e.function, 4096);
        docker_event_done(&e);
}

/* Splits the input at NUL bytes into at most max fields. */
static size_t split(const char *d, size_t n, char **fields, size_t max)
{
        size_t k = 0;
        const char *p = d, *end = d + n;

        while (k < max && p <= end) {
                const char *z = memchr(p, 0, (size_t) (end - p));
                size_t l = z ? (size_t) (z - p) : (size_t) (end - p);

                fields[k] = strndup(p, l);
                if (!fields[k])
                        abort();
                k++;
                if (!z)
                        break;
                p = z + 1;
        }
        return k;
}

static const char *member_string(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                abort();
        return json_object_get_string(v);
}

static void fuzz_create_body(const char *d, size_t n)
{
        char *fields[16] = {}, *body = NULL;
        size_t k = split(d, n, fields, ELEMENTSOF(fields) - 1);
        DockerCreateParams p = {
                .image = k > 0 ? fields[0] : NULL,
                .function = k > 1 ? fields[1] : NULL,
                .lifetime = k > 2 ? fields[2] : NULL,
                .env = k > 3 ? fields + 3 : NULL,
                .memory_bytes = n > 1 ? (uint64_t) (unsigned char) d[n - 1] << 20 : 0,
                .publish_loopback = n % 2,
                .user = k > 1 ? fields[1] : NULL,
                .entrypoint = n % 5 == 0 && k > 3 ? fields + 3 : NULL,
                .cmd = n % 7 == 0 && k > 3 ? fields + 3 : NULL,
                .working_dir = n % 11 == 0 && k > 0 ? fields[0] : NULL,
                .rie = (DockerRieSource) (n % 3),
                .rie_source = k > 2 ? fields[2] : NULL,
                .runtime = n % 13 == 0 && k > 1 ? fields[1] : NULL,
        };

        if (docker_create_body(&p, &body) >= 0) {
                json_object *o = json_tokener_parse(body), *labels;

                if (!o || !json_object_object_get_ex(o, "Labels", &labels))
                        abort();
                if (strcmp(member_string(o, "Image"), p.image) != 0 ||
                    strcmp(member_string(labels, LABEL_FUNCTION), p.function) != 0 ||
                    strcmp(member_string(labels, LABEL_LIFETIME), p.lifetime) != 0)
                        abort();
                json_object_put(o);
                free(body);
        }
        for (size_t i = 0; i < k; i++)
                free(fields[i]);
}

static void fuzz_filter(const char *d, size_t n)
{
        char *fields[2] = {}, *f = NULL;
        size_t k = split(d, n, fields, ELEMENTSOF(fields));

        if (docker_label_filter(fields[0], k > 1 ? fields[1] : NULL, &f) >= 0) {
                char *decoded = malloc(strlen(f) + 1), *o = decoded, *term = NULL;
                json_object *j, *labels;

                if (!decoded)
                        abort();
                for (const char *c = f; *c; c++) {
                        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%",
                                    *c))
                                abort();
                        if (*c == '%') {
                                *o++ = (char) strtoul((char[]){ c[1], c[2], 0 }, NULL, 16);
                                c += 2;
                        } else
                                *o++ = *c;
                }
                *o = 0;

                /* What the engine decodes must name exactly the label we asked for. */
                if (k > 1 ? asprintf(&term, "%s=%s", fields[0], fields[1]) < 0 : !(term = strdup(fields[0])))
                        abort();
                j = json_tokener_parse(decoded);
                if (!j || !json_object_object_get_ex(j, "label", &labels) ||
                    json_object_array_length(labels) != 1 ||
                    strcmp(json_object_get_string(json_object_array_get_idx(labels, 0)), term) != 0)
                        abort();
                json_object_put(j);
                free(term);
                free(decoded);
                free(f);
        }
        (void) docker_name_is_valid(fields[0]);
        (void) docker_id_is_valid(fields[0]);
        for (size_t i = 0; i < k; i++)
                free(fields[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *d = (const char *) data + 1;
        size_t n;

        if (size < 1)
                return 0;
        n = size - 1;

        switch (data[0] % 8) {
        case 0:
                fuzz_create(d, n);
                break;
        case 1:
                fuzz_error(d, n);
                break;
        case 2:
                fuzz_list(d, n);
                break;
        case 3:
                fuzz_inspect(d, n);
                break;
        case 4:
                fuzz_image(d, n);
                break;
        case 5:
                fuzz_event(d, n);
                break;
        case 6:
                fuzz_create_body(d, n);
                break;
        case 7:
                fuzz_filter(d, n);
                break;
        }
        return 0;
}
