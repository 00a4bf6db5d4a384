/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One declaration, key by key: each key's parser and its limits, the checks across keys, and the
 * comparison that decides whether a reload keeps warm instances. Pure: no file is read here (the
 * loader is registry.c). See function-config.h for the format. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "docker-json.h"
#include "function-config.h"
#include "function-env.h"
#include "lambda-contract.h"
#include "strv.h"
#include "url-config.h"
#include "util.h"

#define IMAGE_REFERENCE_MAX 255U

#define MEMORY_MB_MIN            LAMBDA_MEMORY_MB_MIN
#define MEMORY_MB_MAX            LAMBDA_MEMORY_MB_MAX
#define MEMORY_MB_DEFAULT        LAMBDA_MEMORY_MB_DEFAULT
#define TIMEOUT_SEC_MIN          1U
#define TIMEOUT_SEC_MAX          LAMBDA_TIMEOUT_SEC_MAX
#define TIMEOUT_SEC_DEFAULT      LAMBDA_TIMEOUT_SEC_DEFAULT
#define INSTANCES_MAX            1000U
#define MAX_INSTANCES_DEFAULT    4U
#define IDLE_TIMEOUT_SEC_MIN     1U
#define IDLE_TIMEOUT_SEC_MAX     86400U
#define IDLE_TIMEOUT_SEC_DEFAULT 300U
#define FREEZE_AFTER_MS_MAX      86400000U
#define FREEZE_AFTER_MS_DEFAULT  1000U
#define DESTINATION_PATH_MAX     1000U
#define DESTINATION_EXPECTED     "{\"function\": NAME} or {\"directory\": \"/ABSOLUTE/PATH\"}"

/* AWS's ImageConfig limits: at most 1,500 strings in EntryPoint and Command, a WorkingDirectory of at
 * most 1,000 characters. Each string is bounded by the file's own size limit. */
#define IMAGE_CONFIG_STRINGS_MAX 1500U
#define WORKING_DIRECTORY_MAX    1000U
#define USER_MAX                 64U
#define USER_EXPECTED                                                                                  \
        "a user and optional group, \"UID[:GID]\" or \"NAME[:GROUP]\" (at most 64 characters of A-Z, " \
        "a-z, 0-9, '.', '_' and '-', one ':')"

#define DESCRIBE_SIZE CONFIG_DESCRIBE_SIZE

#define KEYS_EXPECTED                                                                                       \
        "image, environment, environment_files, memory_mb, timeout_sec, cpus, min_instances, "              \
        "max_instances, idle_timeout_sec, freeze_after_ms, spare_instances, pull, command, "                \
        "entrypoint, working_directory, user, url, maximum_retry_attempts, maximum_event_age_sec, "         \
        "on_success, on_failure, engine_runtime, network, runtime, handler, code, code_directory, layers, " \
        "description, tags"
#define IMAGE_EXPECTED                                                                                      \
        "a Docker image reference (1 to 255 characters of A-Z, a-z, 0-9, '.', '_', '/', ':', '@' and '-', " \
        "not starting with '-')"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static bool char_is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool function_name_is_valid(const char *name)
{
        return name && lambda_function_name_is_valid(name, strlen(name));
}

bool function_ref_is_valid(const char *name)
{
        return name && lambda_function_ref_is_valid(name, strlen(name), NULL);
}

bool image_reference_is_valid(const char *image)
{
        size_t n;

        if (!image)
                return false;
        n = strlen(image);
        /* A leading '-' would read as an option to anything that passes the reference on a command line. */
        if (n < 1 || n > IMAGE_REFERENCE_MAX || image[0] == '-')
                return false;
        for (const char *p = image; *p; p++)
                if (!char_is_alnum(*p) && !strchr("._/:@-", *p))
                        return false;
        return true;
}

static bool json_get_string(json_object *v, const char **ret)
{
        const char *s = config_json_string(v);

        if (!s)
                return false;
        *ret = s;
        return true;
}

static int parse_integer(const char *key, json_object *v, unsigned min, unsigned max, unsigned *ret,
                         char **ret_error)
{
        char got[DESCRIBE_SIZE];

        /* Only a JSON integer: json-c would happily turn "128", 128.5 or true into a number. A uint64
         * beyond INT64_MAX reads as INT64_MAX, which is out of range all the same. */
        if (json_object_is_type(v, json_type_int)) {
                int64_t i = json_object_get_int64(v);

                if (i >= (int64_t) min && i <= (int64_t) max) {
                        *ret = (unsigned) i;
                        return 0;
                }
        }
        return set_error(ret_error, "%s: expected an integer from %u to %u, got %s", key, min, max,
                         config_describe_value(v, got));
}

static int parse_cpus(json_object *v, uint64_t *ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];

        if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
                double d = json_object_get_double(v);

                /* Written so that NaN fails too. */
                if (d >= 0.01 && d <= 64) {
                        *ret = (uint64_t) (d * 1e9 + 0.5);
                        return 0;
                }
        }
        return set_error(ret_error, "cpus: expected a number from 0.01 to 64, got %s",
                         config_describe_value(v, got));
}

static int parse_boolean_field(const char *key, json_object *v, bool *ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];

        if (!json_object_is_type(v, json_type_boolean))
                return set_error(ret_error, "%s: expected true or false, got %s", key,
                                 config_describe_value(v, got));
        *ret = json_object_get_boolean(v);
        return 0;
}

static int parse_image(json_object *v, char **ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        const char *s;
        char *image;

        if (!json_get_string(v, &s) || !image_reference_is_valid(s))
                return set_error(ret_error, "image: expected " IMAGE_EXPECTED ", got %s",
                                 config_describe_value(v, got));
        image = strdup(s);
        if (!image)
                return -ENOMEM;
        *ret = image;
        return 0;
}

/* ImageConfig's EntryPoint or Command: an array of strings, which must not be empty for EntryPoint
 * (an empty one would leave nothing to run). */
static int parse_argv_field(const char *key, json_object *v, bool allow_empty, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **argv = NULL;
        char got[DESCRIBE_SIZE];
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return set_error(ret_error, "%s: expected an array of strings, got %s", key,
                                 config_describe_value(v, got));
        n = json_object_array_length(v);
        if (n > IMAGE_CONFIG_STRINGS_MAX || (n == 0 && !allow_empty))
                return set_error(ret_error, "%s: expected %s to %u strings, got %zu", key,
                                 allow_empty ? "0" : "1", IMAGE_CONFIG_STRINGS_MAX, n);

        argv = calloc(n + 1, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                const char *s;

                if (!json_get_string(e, &s))
                        return set_error(ret_error, "%s[%zu]: expected a string, got %s", key, i,
                                         config_describe_value(e, got));
                argv[i] = strdup(s);
                if (!argv[i])
                        return -ENOMEM;
        }
        if (n > 0 && !argv[0][0])
                return set_error(ret_error, "%s[0]: expected the program to run, got \"\"", key);

        strv_free(*ret);
        *ret = TAKE_PTR(argv);
        return 0;
}

static int parse_working_directory(json_object *v, char **ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        const char *s;

        if (!json_get_string(v, &s) || s[0] != '/' || strlen(s) > WORKING_DIRECTORY_MAX)
                return set_error(ret_error,
                                 "working_directory: expected an absolute path of at most %u characters, "
                                 "got %s",
                                 WORKING_DIRECTORY_MAX, config_describe_value(v, got));
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

bool destination_path_is_valid(const char *path)
{
        size_t n = strlen(path);

        /* Absolute and normal, so that the check against the allowed roots cannot be talked around. */
        if (path[0] != '/' || n > DESTINATION_PATH_MAX || (n > 1 && path[n - 1] == '/') ||
            strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
            (n >= 2 && streq(path + n - 2, "/.")) || (n >= 3 && streq(path + n - 3, "/..")))
                return false;
        for (const char *p = path; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* {"function": NAME} or {"directory": "/ABSOLUTE/PATH"}, as "function:NAME" or "directory:/PATH". */
static int parse_destination(const char *key, json_object *v, char **ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        json_object *target;
        const char *s;
        char *d;

        if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) != 1)
                return set_error(ret_error, "%s: expected " DESTINATION_EXPECTED ", got %s", key,
                                 config_describe_value(v, got));
        if (json_object_object_get_ex(v, "function", &target)) {
                if (!json_get_string(target, &s) || !function_name_is_valid(s))
                        return set_error(ret_error,
                                         "%s.function: expected " FUNCTION_NAME_EXPECTED ", got %s", key,
                                         config_describe_value(target, got));
                if (asprintf(&d, DESTINATION_FUNCTION_PREFIX "%s", s) < 0)
                        return -ENOMEM;
        } else if (json_object_object_get_ex(v, "directory", &target)) {
                if (!json_get_string(target, &s) || !destination_path_is_valid(s))
                        return set_error(ret_error,
                                         "%s.directory: expected an absolute path without '.', '..' or "
                                         "'//' of at most %u characters, got %s",
                                         key, DESTINATION_PATH_MAX, config_describe_value(target, got));
                if (asprintf(&d, DESTINATION_DIRECTORY_PREFIX "%s", s) < 0)
                        return -ENOMEM;
        } else
                return set_error(ret_error, "%s: expected " DESTINATION_EXPECTED ", got %s", key,
                                 config_describe_value(v, got));
        free(*ret);
        *ret = d;
        return 0;
}

bool container_user_is_valid(const char *user)
{
        size_t n, colons = 0;

        if (!user)
                return false;
        n = strlen(user);
        if (n < 1 || n > USER_MAX || user[0] == ':' || user[n - 1] == ':')
                return false;
        for (const char *p = user; *p; p++) {
                if (*p == ':')
                        colons++;
                else if (!char_is_alnum(*p) && !strchr("._-", *p))
                        return false;
        }
        return colons <= 1;
}

static int parse_user(json_object *v, char **ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        const char *s;

        if (!json_get_string(v, &s) || !container_user_is_valid(s))
                return set_error(ret_error, "user: expected " USER_EXPECTED ", got %s",
                                 config_describe_value(v, got));
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

#define ENGINE_RUNTIME_EXPECTED                                                                        \
        "the name of an OCI runtime the engine knows (2 to 128 characters of A-Z, a-z, 0-9, '_', '.' " \
        "and '-', starting with a letter or digit), such as \"runsc\" or \"kata-runtime\""

static int parse_engine_runtime(json_object *v, char **ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        const char *s;

        /* Whether the engine knows it is asked before the first start (instance.c). */
        if (!json_get_string(v, &s) || !docker_name_is_valid(s))
                return set_error(ret_error, "engine_runtime: expected " ENGINE_RUNTIME_EXPECTED ", got %s",
                                 config_describe_value(v, got));
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

const char *function_network_to_string(FunctionNetwork n)
{
        switch (n) {
        case FUNCTION_NETWORK_ISOLATED:
                return "isolated";
        case FUNCTION_NETWORK_SHARED:
                return "shared";
        case FUNCTION_NETWORK_NONE:
                return "none";
        default:
                return "default";
        }
}

static int parse_network(json_object *v, FunctionNetwork *ret, char **ret_error)
{
        char got[DESCRIBE_SIZE];
        const char *s;

        if (json_get_string(v, &s) && streq(s, "isolated"))
                *ret = FUNCTION_NETWORK_ISOLATED;
        else if (json_get_string(v, &s) && streq(s, "shared"))
                *ret = FUNCTION_NETWORK_SHARED;
        else if (json_get_string(v, &s) && streq(s, "none"))
                *ret = FUNCTION_NETWORK_NONE;
        else
                return set_error(ret_error, "network: expected \"isolated\", \"shared\" or \"none\", got %s",
                                 config_describe_value(v, got));
        return 0;
}

/* Characters of a string the strict JSON parser took as UTF-8: its bytes but continuation bytes. */
static size_t utf8_length(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += ((unsigned char) *s & 0xC0) != 0x80;
        return n;
}

#define DESCRIPTION_MAX 256U
#define TAGS_MAX        50U
#define TAG_KEY_MAX     128U
#define TAG_VALUE_MAX   256U

static int parse_description(json_object *v, char **ret, char **ret_error)
{
        const char *s;

        if (!json_get_string(v, &s) || utf8_length(s) > DESCRIPTION_MAX)
                return set_error(ret_error, "description: expected a string of at most %u characters",
                                 DESCRIPTION_MAX);
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* AWS's tags: an object of strings, as "KEY=VALUE" sorted by key (a key may hold '=' no more than an
 * environment name may, so it is refused). */
static int parse_tags(json_object *v, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **tags = NULL;
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) > (int) TAGS_MAX)
                return set_error(ret_error, "tags: expected an object of at most %u strings", TAGS_MAX);
        tags = calloc((size_t) json_object_object_length(v) + 1, sizeof(char *));
        if (!tags)
                return -ENOMEM;
        json_object_object_foreach(v, key, value)
        {
                const char *s;

                if (utf8_length(key) < 1 || utf8_length(key) > TAG_KEY_MAX || strchr(key, '='))
                        return set_error(ret_error, "tags: expected keys of 1 to %u characters without '='",
                                         TAG_KEY_MAX);
                if (!json_get_string(value, &s) || utf8_length(s) > TAG_VALUE_MAX)
                        return set_error(ret_error, "tags.%s: expected a string of at most %u characters",
                                         key, TAG_VALUE_MAX);
                if (asprintf(&tags[n], "%s=%s", key, s) < 0) {
                        tags[n] = NULL;
                        return -ENOMEM;
                }
                n++;
        }
        qsort(tags, n, sizeof(char *), env_entry_compare);
        strv_free(*ret);
        *ret = TAKE_PTR(tags);
        return 0;
}

FunctionConfig *function_config_free(FunctionConfig *f)
{
        if (!f)
                return NULL;
        free(f->name);
        free(f->image);
        /* With the values of environment_files: secrets, maybe. */
        for (char **e = f->env; e && *e; e++)
                explicit_bzero(*e, strlen(*e));
        strv_free(f->env);
        strv_free(f->env_files);
        strv_free(f->entrypoint);
        strv_free(f->command);
        free(f->working_directory);
        free(f->user);
        free(f->engine_runtime);
        free(f->on_success);
        free(f->on_failure);
        url_config_free(f->url);
        code_config_free(f->code);
        free(f->description);
        strv_free(f->tags);
        free(f->declaration);
        free(f);
        return NULL;
}

/* A config holding the defaults and no image yet. */
static int function_config_new(const char *name, FunctionConfig **ret)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;

        f = calloc(1, sizeof(FunctionConfig));
        if (!f)
                return -ENOMEM;
        *f = (FunctionConfig){
                .memory_mb = MEMORY_MB_DEFAULT,
                .timeout_sec = TIMEOUT_SEC_DEFAULT,
                .max_instances = MAX_INSTANCES_DEFAULT,
                .idle_timeout_usec = IDLE_TIMEOUT_SEC_DEFAULT * USEC_PER_SEC,
                .freeze_after_usec = FREEZE_AFTER_MS_DEFAULT * USEC_PER_MSEC,
                .maximum_retry_attempts = LAMBDA_RETRY_ATTEMPTS_MAX,
                .maximum_event_age_sec = LAMBDA_EVENT_AGE_SEC_MAX,
        };
        f->name = strdup(name);
        f->env = calloc(1, sizeof(char *));
        f->tags = calloc(1, sizeof(char *));
        if (!f->name || !f->env || !f->tags)
                return -ENOMEM;

        *ret = TAKE_PTR(f);
        return 0;
}

int function_config_parse(const char *name, const char *json, size_t len, FunctionConfig **ret,
                          char **ret_error)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        char buf[DESCRIBE_SIZE];
        int r;

        if (!function_ref_is_valid(name))
                return set_error(ret_error, "invalid function name %s: expected " FUNCTION_NAME_EXPECTED,
                                 config_describe_name(name ?: "", buf));

        r = config_json_parse(json, len, &o, ret_error);
        if (r < 0)
                return r;

        r = function_config_new(name, &f);
        if (r < 0)
                return r;

        for (struct json_object_iterator i = json_object_iter_begin(o), end = json_object_iter_end(o);
             !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
                const char *key = json_object_iter_peek_name(&i);
                json_object *v = json_object_iter_peek_value(&i);
                unsigned idle_sec, freeze_ms;

                if (streq(key, "image"))
                        r = parse_image(v, &f->image, ret_error);
                else if (streq(key, "environment")) {
                        char **env = NULL;

                        r = function_env_parse(v, &env, ret_error);
                        if (r >= 0) {
                                strv_free(f->env);
                                f->env = env;
                        }
                } else if (streq(key, "environment_files")) {
                        char **files = NULL;

                        r = function_env_files_parse(v, &files, ret_error);
                        if (r >= 0) {
                                strv_free(f->env_files);
                                f->env_files = files;
                        }
                } else if (streq(key, "memory_mb"))
                        r = parse_integer(key, v, MEMORY_MB_MIN, MEMORY_MB_MAX, &f->memory_mb, ret_error);
                else if (streq(key, "timeout_sec"))
                        r = parse_integer(key, v, TIMEOUT_SEC_MIN, TIMEOUT_SEC_MAX, &f->timeout_sec,
                                          ret_error);
                else if (streq(key, "cpus"))
                        r = parse_cpus(v, &f->nano_cpus, ret_error);
                else if (streq(key, "min_instances"))
                        /* Checked against max_instances below, once both are known. */
                        r = parse_integer(key, v, 0, INSTANCES_MAX, &f->min_instances, ret_error);
                else if (streq(key, "spare_instances"))
                        /* Checked against max_instances below, once both are known. */
                        r = parse_integer(key, v, 0, INSTANCES_MAX, &f->spare_instances, ret_error);
                else if (streq(key, "max_instances"))
                        r = parse_integer(key, v, 0, INSTANCES_MAX, &f->max_instances, ret_error);
                else if (streq(key, "idle_timeout_sec")) {
                        r = parse_integer(key, v, IDLE_TIMEOUT_SEC_MIN, IDLE_TIMEOUT_SEC_MAX, &idle_sec,
                                          ret_error);
                        if (r >= 0)
                                f->idle_timeout_usec = idle_sec * USEC_PER_SEC;
                } else if (streq(key, "freeze_after_ms")) {
                        r = parse_integer(key, v, 0, FREEZE_AFTER_MS_MAX, &freeze_ms, ret_error);
                        if (r >= 0)
                                f->freeze_after_usec = (uint64_t) freeze_ms * USEC_PER_MSEC;
                } else if (streq(key, "pull"))
                        r = parse_boolean_field(key, v, &f->pull, ret_error);
                else if (streq(key, "entrypoint"))
                        r = parse_argv_field(key, v, false, &f->entrypoint, ret_error);
                else if (streq(key, "command"))
                        r = parse_argv_field(key, v, true, &f->command, ret_error);
                else if (streq(key, "working_directory"))
                        r = parse_working_directory(v, &f->working_directory, ret_error);
                else if (streq(key, "user"))
                        r = parse_user(v, &f->user, ret_error);
                else if (streq(key, "engine_runtime"))
                        r = parse_engine_runtime(v, &f->engine_runtime, ret_error);
                else if (streq(key, "network"))
                        r = parse_network(v, &f->network, ret_error);
                else if (streq(key, "url")) {
                        url_config_free(f->url);
                        f->url = NULL;
                        r = url_config_parse(v, &f->url, ret_error);
                } else if (streq(key, "maximum_retry_attempts"))
                        r = parse_integer(key, v, 0, LAMBDA_RETRY_ATTEMPTS_MAX, &f->maximum_retry_attempts,
                                          ret_error);
                else if (streq(key, "maximum_event_age_sec"))
                        r = parse_integer(key, v, LAMBDA_EVENT_AGE_SEC_MIN, LAMBDA_EVENT_AGE_SEC_MAX,
                                          &f->maximum_event_age_sec, ret_error);
                else if (streq(key, "on_success"))
                        r = parse_destination(key, v, &f->on_success, ret_error);
                else if (streq(key, "on_failure"))
                        r = parse_destination(key, v, &f->on_failure, ret_error);
                else if (code_config_key(key))
                        r = code_config_parse_key(&f->code, key, v, ret_error);
                else if (streq(key, "description"))
                        r = parse_description(v, &f->description, ret_error);
                else if (streq(key, "tags"))
                        r = parse_tags(v, &f->tags, ret_error);
                else
                        r = set_error(ret_error, "%s: unknown key, expected one of " KEYS_EXPECTED,
                                      config_describe_name(key, buf));
                if (r < 0)
                        return r;
        }

        if (f->code) {
                /* A zip function's image is its runtime's, chosen by the manager. */
                if (f->image || f->entrypoint || f->command || f->working_directory)
                        return set_error(ret_error,
                                         "%s: a zip function (runtime, handler, code) has no image settings",
                                         f->image        ? "image"
                                         : f->entrypoint ? "entrypoint"
                                         : f->command    ? "command"
                                                         : "working_directory");
                r = code_config_check(f->code, ret_error);
                if (r < 0)
                        return r;
        } else if (!f->image)
                return set_error(ret_error, "image: missing, expected " IMAGE_EXPECTED
                                            " (or runtime, handler and code for a zip function)");
        r = function_env_check(f->env, f->env_files, ret_error);
        if (r < 0)
                return r;
        if (f->min_instances > f->max_instances)
                return set_error(ret_error,
                                 "min_instances: expected an integer from 0 to max_instances (%u), got %u",
                                 f->max_instances, f->min_instances);
        if (f->spare_instances > f->max_instances)
                return set_error(ret_error,
                                 "spare_instances: expected an integer from 0 to max_instances (%u), got %u",
                                 f->max_instances, f->spare_instances);
        f->declaration = strndup(json, len);
        if (!f->declaration)
                return -ENOMEM;

        *ret = TAKE_PTR(f);
        return 0;
}

int function_config_new_implicit(const char *name, FunctionConfig **ret)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;
        int r;

        if (!function_name_is_valid(name))
                return -EINVAL;

        r = function_config_new(name, &f);
        if (r < 0)
                return r;
        if (asprintf(&f->image, "%s:latest", name) < 0) {
                f->image = NULL;
                return -ENOMEM;
        }
        /* A valid function name may still start with '-', which no image reference may. */
        if (!image_reference_is_valid(f->image))
                return -EINVAL;
        f->implicit = true;

        *ret = TAKE_PTR(f);
        return 0;
}

bool function_config_equal(const FunctionConfig *a, const FunctionConfig *b)
{
        if (a == b)
                return true;
        if (!a || !b)
                return false;
        return streq_ptr(a->name, b->name) && streq_ptr(a->image, b->image) && strv_equal(a->env, b->env) &&
               strv_equal(a->env_files, b->env_files) && a->memory_mb == b->memory_mb &&
               a->timeout_sec == b->timeout_sec && a->nano_cpus == b->nano_cpus &&
               a->min_instances == b->min_instances && a->spare_instances == b->spare_instances &&
               a->max_instances == b->max_instances && a->provisioned == b->provisioned &&
               a->idle_timeout_usec == b->idle_timeout_usec &&
               a->freeze_after_usec == b->freeze_after_usec && a->pull == b->pull &&
               strv_equal(a->entrypoint, b->entrypoint) && strv_equal(a->command, b->command) &&
               streq_ptr(a->working_directory, b->working_directory) && streq_ptr(a->user, b->user) &&
               streq_ptr(a->engine_runtime, b->engine_runtime) && a->network == b->network &&
               url_config_equal(a->url, b->url) && code_config_equal(a->code, b->code) &&
               streq_ptr(a->description, b->description) && strv_equal(a->tags, b->tags) &&
               a->maximum_retry_attempts == b->maximum_retry_attempts &&
               a->maximum_event_age_sec == b->maximum_event_age_sec &&
               streq_ptr(a->on_success, b->on_success) && streq_ptr(a->on_failure, b->on_failure);
}
