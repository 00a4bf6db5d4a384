/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l)
{
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s)
{
        for (char *const *p = l; p && *p; p++)
                if (strcmp(*p, s) == 0)
                        return true;
        return false;
}

char **strv_copy(char *const *l)
{
        size_t n = strv_length(l);
        _cleanup_strv_free_ char **c = calloc(n + 1, sizeof(char *));

        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return NULL;
        }
        return TAKE_PTR(c);
}

static int strv_push(char ***l, char *s)
{
        size_t n = strv_length(*l);
        char **c;

        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c)
                return -ENOMEM;
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s)
{
        char *c = strdup(s);
        int r;

        if (!c)
                return -ENOMEM;
        r = strv_push(l, c);
        if (r < 0)
                free(c);
        return r;
}

static char **env_find(char *const *env, const char *name)
{
        size_t n = strlen(name);

        if (!env)
                return NULL;
        for (char *const *i = env; *i; i++)
                if (strncmp(*i, name, n) == 0 && (*i)[n] == '=')
                        return (char **) i;
        return NULL;
}

const char *env_get(char *const *env, const char *name)
{
        char **e = env_find(env, name);

        return e ? *e + strlen(name) + 1 : NULL;
}

int env_entry_compare(const void *a, const void *b)
{
        const char *x = *(const char *const *) a, *y = *(const char *const *) b;
        size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
        int c = memcmp(x, y, MIN(nx, ny));

        if (c != 0)
                return c;
        return (nx > ny) - (nx < ny);
}

bool env_name_is_valid(const char *name)
{
        if (!name || !*name || (*name >= '0' && *name <= '9'))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_'))
                        return false;
        return true;
}

int env_set(char ***env, const char *name, const char *value, bool overwrite)
{
        char **e = env_find(*env, name);
        char *s;
        int r;

        if (!env_name_is_valid(name))
                return -EINVAL;
        if (e && !overwrite)
                return 0;
        if (asprintf(&s, "%s=%s", name, value) < 0)
                return -ENOMEM;
        if (e) {
                free(*e);
                *e = s;
                return 0;
        }
        r = strv_push(env, s);
        if (r < 0)
                free(s);
        return r;
}

bool strv_equal(char *const *a, char *const *b)
{
        size_t n = strv_length(a);

        if (!a || !b)
                return a == b;
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

bool streq_ptr(const char *a, const char *b)
{
        return a && b ? strcmp(a, b) == 0 : a == b;
}
