/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The loader: the declarations directory read file by file into a sorted Registry, a bad file
 * reported and skipped, and the lookups the manager makes in it. Parsing one declaration is
 * function-config.c's. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "function-env.h"
#include "registry.h"
#include "util.h"

Registry *registry_free(Registry *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_functions; i++)
                function_config_free(r->functions[i]);
        free(r->functions);
        free(r);
        return NULL;
}

static int load_one(int dir_fd, const char *filename, FunctionConfig **ret, char **ret_error)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;
        _cleanup_free_ char *name = NULL, *data = NULL;
        char buf[CONFIG_DESCRIBE_SIZE];
        size_t len = 0;
        int r;

        name = strndup(filename, strlen(filename) - STRLEN(".json"));
        if (!name)
                return -ENOMEM;
        /* NAME:N is a version's, never a file's. */
        if (!function_name_is_valid(name))
                return set_error(ret_error, "invalid function name %s: expected " FUNCTION_NAME_EXPECTED,
                                 config_describe_name(name, buf));
        r = config_file_read(dir_fd, filename, &data, &len, ret_error);
        if (r < 0)
                return r;
        r = function_config_parse(name, data, len, &f, ret_error);
        if (r < 0)
                return r;
        r = function_env_load_files(&f->env, f->env_files, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

static bool filename_is_config(const char *filename)
{
        size_t n = strlen(filename);

        /* Hidden files are editors' lock and swap files (".#hello.json" is even a dangling symlink). */
        if (filename[0] == '.')
                return false;
        return n > STRLEN(".json") && strcmp(filename + n - STRLEN(".json"), ".json") == 0;
}

static int function_config_compare(const void *a, const void *b)
{
        const FunctionConfig *x = *(const FunctionConfig *const *) a,
                             *y = *(const FunctionConfig *const *) b;

        return strcmp(x->name, y->name);
}

int registry_load(const char *dir, registry_error_handler_t on_error, void *userdata, Registry **ret)
{
        _cleanup_(registry_freep) Registry *reg = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        reg = calloc(1, sizeof(Registry));
        if (!reg)
                return -ENOMEM;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(reg);
                return 0;
        }

        for (;;) {
                _cleanup_(function_config_freep) FunctionConfig *f = NULL;
                _cleanup_free_ char *error = NULL, *path = NULL;
                FunctionConfig **functions;
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (!filename_is_config(de->d_name))
                        continue;

                r = load_one(dirfd(d), de->d_name, &f, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (on_error) {
                                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                                        path = NULL;
                                        return -ENOMEM;
                                }
                                on_error(path, error ?: strerror(-r), userdata);
                        }
                        continue;
                }

                functions = realloc(reg->functions, (reg->n_functions + 1) * sizeof(FunctionConfig *));
                if (!functions)
                        return -ENOMEM;
                reg->functions = functions;
                reg->functions[reg->n_functions++] = TAKE_PTR(f);
        }

        if (reg->n_functions > 0)
                qsort(reg->functions, reg->n_functions, sizeof(FunctionConfig *), function_config_compare);

        *ret = TAKE_PTR(reg);
        return 0;
}

static int name_compare(const void *key, const void *member)
{
        const FunctionConfig *f = *(const FunctionConfig *const *) member;

        return strcmp(key, f->name);
}

const FunctionConfig *registry_find(const Registry *r, const char *name)
{
        FunctionConfig **f;

        if (!r || !name || r->n_functions == 0)
                return NULL;
        f = bsearch(name, r->functions, r->n_functions, sizeof(FunctionConfig *), name_compare);
        return f ? *f : NULL;
}

int registry_add(Registry *r, FunctionConfig *c)
{
        FunctionConfig **functions;
        size_t k = 0;

        if (registry_find(r, c->name))
                return -EEXIST;
        functions = reallocarray(r->functions, r->n_functions + 1, sizeof(FunctionConfig *));
        if (!functions)
                return -ENOMEM;
        r->functions = functions;
        while (k < r->n_functions && strcmp(r->functions[k]->name, c->name) < 0)
                k++;
        memmove(r->functions + k + 1, r->functions + k, (r->n_functions - k) * sizeof(FunctionConfig *));
        r->functions[k] = c;
        r->n_functions++;
        return 0;
}
