/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the parser of function configs (files an operator writes, but a parser must not trust them)
 * and checks that whatever it accepts keeps every promise of the format and reads back the same when
 * written out again, and that whatever it refuses comes with a message fit for a log line. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "fuzz.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

static void check_config(const FunctionConfig *f)
{
        size_t n = strv_length(f->env);

        if (!function_name_is_valid(f->name) || !f->env || f->implicit)
                abort();
        /* An image function names its image; a zip function its runtime and exactly one code source,
         * and its image is left to the manager. */
        if (f->code ? f->image || !f->code->runtime || !f->code->zip == !f->code->directory ||
                              !f->code->layers || strv_length(f->code->layers) > 5
                    : !image_reference_is_valid(f->image))
                abort();
        if (f->memory_mb < 128 || f->memory_mb > 10240 || f->timeout_sec < 1 || f->timeout_sec > 900)
                abort();
        if (f->nano_cpus != 0 && (f->nano_cpus < 10000000 || f->nano_cpus > 64000000000))
                abort();
        if (f->max_instances < 1 || f->max_instances > 1000 || f->min_instances > f->max_instances)
                abort();
        if (f->idle_timeout_usec < USEC_PER_SEC || f->idle_timeout_usec > 86400 * USEC_PER_SEC)
                abort();

        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(f->env[i], '=');
                _cleanup_free_ char *key = NULL;

                if (!eq)
                        abort();
                key = strndup(f->env[i], (size_t) (eq - f->env[i]));
                if (!key)
                        return;
                if (!env_name_is_valid(key) || strcmp(key, "AWS_LAMBDA_RUNTIME_API") == 0)
                        abort();
                /* Sorted by key, and so no key twice. */
                if (i > 0) {
                        size_t a = strcspn(f->env[i - 1], "="), b = (size_t) (eq - f->env[i]);
                        int c = memcmp(f->env[i - 1], f->env[i], MIN(a, b));

                        if (c > 0 || (c == 0 && a >= b))
                                abort();
                }
        }

        /* environment_files: names as the environment's, none of them in it too, absolute paths. */
        for (char **e = f->env_files; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *key = NULL;

                if (!eq || eq[1] != '/')
                        abort();
                key = strndup(*e, (size_t) (eq - *e));
                if (!key)
                        return;
                if (!env_name_is_valid(key) || strcmp(key, "LAMBDA_RIE_SECRET") == 0 || env_get(f->env, key))
                        abort();
        }

        /* ImageConfig and the user, as the format describes them. */
        if (f->entrypoint &&
            (strv_length(f->entrypoint) < 1 || strv_length(f->entrypoint) > 1500 || !f->entrypoint[0][0]))
                abort();
        if (f->command && (strv_length(f->command) > 1500 || (f->command[0] && !f->command[0][0])))
                abort();
        if (f->working_directory && (f->working_directory[0] != '/' || strlen(f->working_directory) > 1000))
                abort();
        if (f->user && !container_user_is_valid(f->user))
                abort();

        if (!function_config_equal(f, f))
                abort();
}

static json_object *strv_to_json(char *const *l)
{
        json_object *a = json_object_new_array();

        for (; a && l && *l; l++)
                if (json_object_array_add(a, json_object_new_string(*l)) < 0)
                        abort();
        return a;
}

/* The config written back as a declaration: it must read back as the same function. */
static void check_round_trip(const FunctionConfig *f)
{
        _cleanup_(function_config_freep) FunctionConfig *again = NULL;
        json_object *o = json_object_new_object(), *env = json_object_new_object();
        const char *text;
        int r;

        if (!o || !env)
                abort();
        for (char **e = f->env; *e; e++) {
                _cleanup_free_ char *key = strndup(*e, strcspn(*e, "="));

                if (!key ||
                    json_object_object_add(env, key, json_object_new_string(*e + strlen(key) + 1)) < 0)
                        abort();
        }
        if (f->code) {
                json_object_object_add(o, "runtime", json_object_new_string(f->code->runtime));
                if (f->code->handler)
                        json_object_object_add(o, "handler", json_object_new_string(f->code->handler));
                json_object_object_add(o, f->code->zip ? "code" : "code_directory",
                                       json_object_new_string(f->code->zip ?: f->code->directory));
                json_object_object_add(o, "layers", strv_to_json(f->code->layers));
        } else
                json_object_object_add(o, "image", json_object_new_string(f->image));
        json_object_object_add(o, "environment", env);
        if (f->env_files) {
                json_object *files = json_object_new_object();

                for (char **e = f->env_files; files && *e; e++) {
                        _cleanup_free_ char *key = strndup(*e, strcspn(*e, "="));

                        if (!key || json_object_object_add(files, key,
                                                           json_object_new_string(*e + strlen(key) + 1)) < 0)
                                abort();
                }
                json_object_object_add(o, "environment_files", files);
        }
        json_object_object_add(o, "memory_mb", json_object_new_int64(f->memory_mb));
        json_object_object_add(o, "timeout_sec", json_object_new_int64(f->timeout_sec));
        if (f->nano_cpus > 0)
                json_object_object_add(o, "cpus", json_object_new_double((double) f->nano_cpus / 1e9));
        json_object_object_add(o, "min_instances", json_object_new_int64(f->min_instances));
        json_object_object_add(o, "max_instances", json_object_new_int64(f->max_instances));
        json_object_object_add(o, "idle_timeout_sec",
                               json_object_new_int64((int64_t) (f->idle_timeout_usec / USEC_PER_SEC)));
        json_object_object_add(o, "pull", json_object_new_boolean(f->pull));
        if (f->entrypoint)
                json_object_object_add(o, "entrypoint", strv_to_json(f->entrypoint));
        if (f->command)
                json_object_object_add(o, "command", strv_to_json(f->command));
        if (f->working_directory)
                json_object_object_add(o, "working_directory", json_object_new_string(f->working_directory));
        if (f->user)
                json_object_object_add(o, "user", json_object_new_string(f->user));
        if (f->network != FUNCTION_NETWORK_DEFAULT)
                json_object_object_add(o, "network",
                                       json_object_new_string(function_network_to_string(f->network)));

        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        r = function_config_parse(f->name, text, strlen(text), &again, NULL);
        if (r != -ENOMEM && (r < 0 || !function_config_equal(f, again))) {
                fprintf(stderr, "did not read back: %s\n", text);
                abort();
        }
        json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = function_config_parse("fuzz", (const char *) data, size, &f, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0) {
                if (r != -EINVAL || !error || !*error || f)
                        abort();
                /* Whatever the input held, the message is one printable line. */
                for (const char *p = error; *p; p++)
                        if ((unsigned char) *p < 0x20)
                                abort();
                return 0;
        }
        if (!f || error)
                abort();
        check_config(f);
        check_round_trip(f);
        return 0;
}
