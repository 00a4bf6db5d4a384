/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * docker-json-read.h: the strict primitives lambda-manager reads the engine's JSON with (one document
 * of bounded size, bounded UTF-8 strings without NULs, id-shaped ids, our labels), shared by the
 * answer parsers (docker-answer.c, docker-inspect.c) and the request builder (docker-request.c).
 * Internal to the docker-json.h module: docker-json.h is the interface the rest of the manager uses.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "docker-json.h"

/* Label values, states and actions are short in practice; a cap keeps a hostile engine from handing us
 * megabytes per field. */
#define DOCKER_STRING_MAX 4096

#define DOCKER_ID_MIN   12
#define DOCKER_ID_MAX   64
#define DOCKER_NAME_MAX 128

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static inline bool ascii_isalnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* NUL-terminated, and valid UTF-8 (what the engine would otherwise silently change). */
bool docker_string_is_valid(const char *s);

/* One JSON document of at most DOCKER_JSON_MAX bytes, with nothing but whitespace after it: -EMSGSIZE,
 * -EBADMSG. */
int docker_json_parse(const char *json, size_t len, json_object **ret);
/* A document that must be one JSON object. */
int docker_json_parse_object(const char *json, size_t len, json_object **ret);

/* A member of an object: NULL when o is no object, or the member is absent or null. */
json_object *docker_json_get(json_object *o, const char *key);
/* A member that must be an object when present: NULL (and 0) when absent or null, -EBADMSG otherwise. */
int docker_json_get_object(json_object *o, const char *key, json_object **ret);
/* Validates a JSON string for our use: no embedded NUL (from \u0000), UTF-8, at most max bytes. */
int docker_json_check_string(json_object *v, size_t max, const char **ret);
/* A string member copied out: NULL when absent or null, -EBADMSG when not a valid string. */
int docker_json_dup_string(json_object *o, const char *key, size_t max, char **ret);
/* Like docker_json_dup_string(), but the empty string reads as absent. */
int docker_json_dup_nonempty_string(json_object *o, const char *key, size_t max, char **ret);
/* A string member that must be a container id (docker_id_is_valid()). */
int docker_json_dup_id(json_object *o, const char *key, char **ret);

typedef struct DockerLabels {
        char *function;
        char *lifetime;
        char *spec;
        char *network;
        char *project; /* LABEL_COMPOSE_PROJECT */
        char *service; /* LABEL_COMPOSE_SERVICE */
        bool managed;
} DockerLabels;

void docker_labels_done(DockerLabels *l);
/* Reads our labels out of a Labels/Attributes object (absent or null: none of them). */
int docker_labels_parse(json_object *labels, DockerLabels *ret);
