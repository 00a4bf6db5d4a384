/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "code-archive.h"
#include "code-config.h"
#include "code-runtime.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

#define PATH_EXPECTED "an absolute path without '.', '..' or '//' components"

CodeConfig *code_config_free(CodeConfig *c)
{
        if (!c)
                return NULL;
        free(c->runtime);
        free(c->handler);
        free(c->zip);
        free(c->directory);
        strv_free(c->layers);
        free(c->task_dir);
        free(c->opt_dir);
        free(c->bootstrap);
        free(c->error);
        free(c);
        return NULL;
}

bool code_config_key(const char *key)
{
        return strcmp(key, "runtime") == 0 || strcmp(key, "handler") == 0 || strcmp(key, "code") == 0 ||
               strcmp(key, "code_directory") == 0 || strcmp(key, "layers") == 0;
}

static bool code_path_is_valid(const char *path)
{
        return strlen(path) <= CODE_CONFIG_PATH_MAX && destination_path_is_valid(path) &&
               strcmp(path, "/") != 0;
}

static bool handler_is_valid(const char *s)
{
        size_t n = strlen(s);

        /* AWS's pattern is [^\s]+: no white space, no control characters. */
        if (n < 1 || n > CODE_HANDLER_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

static int set_string(char **field, const char *s)
{
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int parse_layers(json_object *v, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **layers = NULL;
        size_t n;

        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > CODE_LAYERS_MAX)
                return set_error(ret_error, "layers: expected an array of 0 to %u zip files",
                                 CODE_LAYERS_MAX);
        n = json_object_array_length(v);
        layers = calloc(n + 1, sizeof(char *));
        if (!layers)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                const char *s = config_json_string(json_object_array_get_idx(v, k));

                if (!s || !code_path_is_valid(s))
                        return set_error(ret_error, "layers[%zu]: expected " PATH_EXPECTED, k);
                layers[k] = strdup(s);
                if (!layers[k])
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(layers);
        return 0;
}

int code_config_parse_key(CodeConfig **c, const char *key, json_object *v, char **ret_error)
{
        const char *s = config_json_string(v);

        if (!*c) {
                _cleanup_(code_config_freep) CodeConfig *n = calloc(1, sizeof(CodeConfig));

                if (!n)
                        return -ENOMEM;
                n->layers = calloc(1, sizeof(char *));
                if (!n->layers)
                        return -ENOMEM;
                *c = TAKE_PTR(n);
        }
        if (strcmp(key, "runtime") == 0) {
                if (!s || !code_runtime_id_is_valid(s))
                        return set_error(
                                ret_error,
                                "runtime: expected a runtime identifier such as nodejs22.x, python3.12 "
                                "or provided.al2023");
                return set_string(&(*c)->runtime, s);
        }
        if (strcmp(key, "handler") == 0) {
                if (!s || !handler_is_valid(s))
                        return set_error(ret_error,
                                         "handler: expected 1 to %u characters without white space, such as "
                                         "index.handler",
                                         CODE_HANDLER_MAX);
                return set_string(&(*c)->handler, s);
        }
        if (strcmp(key, "code") == 0 || strcmp(key, "code_directory") == 0) {
                if (!s || !code_path_is_valid(s))
                        return set_error(ret_error, "%s: expected " PATH_EXPECTED, key);
                return set_string(strcmp(key, "code") == 0 ? &(*c)->zip : &(*c)->directory, s);
        }
        assert(strcmp(key, "layers") == 0);
        return parse_layers(v, &(*c)->layers, ret_error);
}

int code_config_check(const CodeConfig *c, char **ret_error)
{
        if (!c->runtime)
                return set_error(ret_error,
                                 "runtime: missing, a zip function needs its runtime, handler and code");
        if (!c->zip == !c->directory)
                return set_error(ret_error, "code, code_directory: expected exactly one of them");
        if (!c->handler && !code_runtime_is_provided(c->runtime))
                return set_error(ret_error,
                                 "handler: missing, expected the function's handler (such as "
                                 "index.handler) for runtime %s",
                                 c->runtime);
        return 0;
}

bool code_config_equal(const CodeConfig *a, const CodeConfig *b)
{
        if (!a || !b)
                return a == b;
        return streq_ptr(a->runtime, b->runtime) && streq_ptr(a->handler, b->handler) &&
               streq_ptr(a->zip, b->zip) && streq_ptr(a->directory, b->directory) &&
               strv_equal(a->layers, b->layers) && streq_ptr(a->task_dir, b->task_dir) &&
               streq_ptr(a->opt_dir, b->opt_dir) && streq_ptr(a->bootstrap, b->bootstrap) &&
               strcmp(a->code_sha256, b->code_sha256) == 0 && a->code_size == b->code_size &&
               streq_ptr(a->error, b->error);
}

int code_config_copy_declared(const CodeConfig *c, CodeConfig **ret)
{
        _cleanup_(code_config_freep) CodeConfig *copy = calloc(1, sizeof(CodeConfig));

        if (!copy)
                return -ENOMEM;
        if ((c->runtime && set_string(&copy->runtime, c->runtime) < 0) ||
            (c->handler && set_string(&copy->handler, c->handler) < 0) ||
            (c->zip && set_string(&copy->zip, c->zip) < 0) ||
            (c->directory && set_string(&copy->directory, c->directory) < 0))
                return -ENOMEM;
        copy->layers = strv_copy(c->layers);
        if (c->layers && !copy->layers)
                return -ENOMEM;
        *ret = TAKE_PTR(copy);
        return 0;
}
