/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * strv.h: NULL-terminated string arrays and "NAME=value" environment blocks built from them: the
 * environment of a function's bootstrap, the Env list of a container.
 */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
/* Whether s is one of the strings of l (NULL: none). */
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
/* Whether a and b hold the same strings in the same order; NULL differs from empty. */
bool strv_equal(char *const *a, char *const *b);
/* strcmp() == 0 that takes NULL: equal when both are NULL. */
bool streq_ptr(const char *a, const char *b);
/* Appends a copy of s. */
int strv_extend(char ***l, const char *s);

/* The value of NAME in an environment block, or NULL. */
const char *env_get(char *const *env, const char *name);
/* Sets NAME=value, replacing an existing entry only when overwrite is set. */
int env_set(char ***env, const char *name, const char *value, bool overwrite);
/* qsort() order of "NAME=value" entries by NAME alone: comparing whole entries would put "A0=" before
 * "A=". */
int env_entry_compare(const void *a, const void *b);
/* Whether NAME is a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*). */
bool env_name_is_valid(const char *name);
