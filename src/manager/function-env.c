/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "function-env.h"
#include "instance-secret.h"
#include "macro.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

/* An environment file's path: as long as a destination's may be. */
#define ENV_FILE_PATH_MAX 1000U

/* What the runtime inside the container learns from lambdad itself; an operator's value would lie to
 * the function about its own limits, point it at a Runtime API that is not there, or (the instance
 * secret) be overwritten anyway. */
static const char *const reserved_env[] = {
        "AWS_LAMBDA_RUNTIME_API",      "AWS_LAMBDA_FUNCTION_NAME",    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_VERSION", "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",          INSTANCE_SECRET_ENV,
};

static bool env_name_is_reserved(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(reserved_env); i++)
                if (strcmp(name, reserved_env[i]) == 0)
                        return true;
        return false;
}

/* The entries of one of the two keys: NAME=STRING for each member, names checked, sorted. For
 * environment_files, each string must be an absolute path. total: the bytes of names (and, for
 * environment, values). */
static int parse_object(const char *key, json_object *v, bool paths, char ***ret, size_t *ret_total,
                        char **ret_error)
{
        _cleanup_strv_free_ char **env = NULL;
        char got[CONFIG_DESCRIBE_SIZE];
        size_t n = 0, total = 0;

        if (!json_object_is_type(v, json_type_object))
                return set_error(ret_error, "%s: expected an object of %s, got %s", key,
                                 paths ? "absolute paths" : "strings", config_describe_value(v, got));

        env = calloc((size_t) json_object_object_length(v) + 1, sizeof(char *));
        if (!env)
                return -ENOMEM;

        for (struct json_object_iterator i = json_object_iter_begin(v), end = json_object_iter_end(v);
             !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
                const char *name = json_object_iter_peek_name(&i), *value;

                if (!env_name_is_valid(name))
                        return set_error(ret_error,
                                         "%s: expected variable names of A-Z, a-z, 0-9 and '_' not starting "
                                         "with a digit, got %s",
                                         key, config_describe_name(name, got));
                if (env_name_is_reserved(name))
                        return set_error(ret_error, "%s: %s is reserved, lambdad sets it itself", key, name);
                value = config_json_string(json_object_iter_peek_value(&i));
                if (!value)
                        return set_error(ret_error, "%s.%s: expected %s, got %s", key, name,
                                         paths ? "an absolute path" : "a string",
                                         config_describe_value(json_object_iter_peek_value(&i), got));
                if (paths && (strlen(value) > ENV_FILE_PATH_MAX || !destination_path_is_valid(value)))
                        return set_error(ret_error,
                                         "%s.%s: expected an absolute path without '.', '..' or '//' "
                                         "components, at most %u characters, got %s",
                                         key, name, ENV_FILE_PATH_MAX,
                                         config_describe_value(json_object_iter_peek_value(&i), got));

                total += strlen(name) + (paths ? 0 : strlen(value));
                if (asprintf(&env[n], "%s=%s", name, value) < 0) {
                        env[n] = NULL;
                        return -ENOMEM;
                }
                n++;
        }

        qsort(env, n, sizeof(char *), env_entry_compare);
        *ret = TAKE_PTR(env);
        *ret_total = total;
        return 0;
}

int function_env_parse(json_object *v, char ***ret, char **ret_error)
{
        _cleanup_strv_free_ char **env = NULL;
        size_t total;
        int r;

        r = parse_object("environment", v, false, &env, &total, ret_error);
        if (r < 0)
                return r;
        if (total > FUNCTION_ENV_SIZE_MAX)
                return set_error(ret_error,
                                 "environment: expected at most %u bytes of names and values in total, "
                                 "got %zu",
                                 FUNCTION_ENV_SIZE_MAX, total);
        *ret = TAKE_PTR(env);
        return 0;
}

int function_env_files_parse(json_object *v, char ***ret, char **ret_error)
{
        size_t total;

        return parse_object("environment_files", v, true, ret, &total, ret_error);
}

/* The bytes of names and values of env ("NAME=VALUE" entries), or of names alone. */
static size_t env_size(char *const *env, bool values)
{
        size_t total = 0;

        for (char *const *e = env; e && *e; e++)
                total += values ? strlen(*e) - 1 : strcspn(*e, "=");
        return total;
}

/* Whether env has an entry named as entry ("NAME=..."). */
static bool env_has_name(char *const *env, const char *entry)
{
        size_t n = strcspn(entry, "=");

        for (char *const *e = env; e && *e; e++)
                if (strcspn(*e, "=") == n && strncmp(*e, entry, n) == 0)
                        return true;
        return false;
}

int function_env_check(char *const *env, char *const *files, char **ret_error)
{
        size_t total;

        for (char *const *f = files; f && *f; f++)
                if (env_has_name(env, *f))
                        return set_error(ret_error, "environment_files: %.*s is in environment too",
                                         (int) strcspn(*f, "="), *f);
        total = env_size(env, true) + env_size(files, false);
        if (total > FUNCTION_ENV_SIZE_MAX)
                return set_error(ret_error,
                                 "environment_files: expected at most %u bytes of names and values in "
                                 "total, got %zu before the files are read",
                                 FUNCTION_ENV_SIZE_MAX, total);
        return 0;
}

static bool text_is_valid(const char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                size_t k = utf8_sequence_len((const unsigned char *) s + i, n - i);

                if (k == 0 || s[i] == 0)
                        return false;
                i += k;
        }
        return true;
}

/* The content of one file, or -EINVAL with what is wrong (never what it holds). */
static int read_value(const char *name, const char *path, char **ret, char **ret_error)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;

        /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return errno == ENOMEM ? -ENOMEM
                                       : set_error(ret_error, "environment_files.%s: cannot open %s: %m",
                                                   name, path);
        if (fstat(fd, &st) < 0)
                return set_error(ret_error, "environment_files.%s: cannot stat %s: %m", name, path);
        if (!S_ISREG(st.st_mode))
                return set_error(ret_error, "environment_files.%s: %s is not a regular file", name, path);

        /* One byte more than allowed, to notice a file larger than it may be (or that grew). */
        data = malloc(FUNCTION_ENV_SIZE_MAX + 2);
        if (!data)
                return -ENOMEM;
        while (len <= FUNCTION_ENV_SIZE_MAX) {
                ssize_t n = read(fd, data + len, FUNCTION_ENV_SIZE_MAX + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return set_error(ret_error, "environment_files.%s: cannot read %s: %m", name, path);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > FUNCTION_ENV_SIZE_MAX) {
                explicit_bzero(data, len);
                return set_error(ret_error, "environment_files.%s: %s holds more than %u bytes", name, path,
                                 FUNCTION_ENV_SIZE_MAX);
        }
        if (len > 0 && data[len - 1] == '\n')
                len--;
        data[len] = 0;
        if (!text_is_valid(data, len)) {
                explicit_bzero(data, len);
                return set_error(ret_error, "environment_files.%s: %s is not UTF-8 text without NUL bytes",
                                 name, path);
        }
        *ret = TAKE_PTR(data);
        return 0;
}

/* A copy of an environment with secrets in it: overwritten before it is freed. */
static char **strv_free_erase(char **l)
{
        for (char **e = l; e && *e; e++)
                explicit_bzero(*e, strlen(*e));
        return strv_free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free_erase);

int function_env_load_files(char ***env, char *const *files, char **ret_error)
{
        _cleanup_(strv_free_erasep) char **merged = NULL;
        size_t n;
        int r;

        if (!files || !files[0])
                return 0;
        merged = strv_copy(*env);
        if (!merged)
                return -ENOMEM;

        for (char *const *f = files; *f; f++) {
                _cleanup_free_ char *name = strndup(*f, strcspn(*f, "=")), *value = NULL;

                if (!name)
                        return -ENOMEM;
                r = read_value(name, *f + strlen(name) + 1, &value, ret_error);
                if (r < 0)
                        return r;
                r = env_set(&merged, name, value, true);
                explicit_bzero(value, strlen(value));
                if (r < 0)
                        return r;
        }
        if (env_size(merged, true) > FUNCTION_ENV_SIZE_MAX)
                return set_error(ret_error,
                                 "environment_files: expected at most %u bytes of names and values in "
                                 "total with the files' contents, got %zu",
                                 FUNCTION_ENV_SIZE_MAX, env_size(merged, true));

        n = strv_length(merged);
        qsort(merged, n, sizeof(char *), env_entry_compare);
        strv_free_erase(*env);
        *env = TAKE_PTR(merged);
        return 0;
}
