/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * registry.h: the functions lambda-manager may run, as the operator declared them: one JSON file per
 * function in a directory (the format is function-config.h's). Only registry_load() touches the file
 * system.
 */

#include <stddef.h>

#include "function-config.h"
#include "macro.h"

typedef struct Registry {
        FunctionConfig **functions; /* sorted by name */
        size_t n_functions;
} Registry;

Registry *registry_free(Registry *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Registry *, registry_free);

typedef void (*registry_error_handler_t)(const char *path, const char *message, void *userdata);

/* Loads every DIR/NAME.json. A bad file does not stop the others: on_error (may be NULL) is called
 * with its path and what is wrong, and the file is skipped. A missing DIR gives an empty registry.
 * -errno only when DIR itself cannot be read (other than ENOENT), or -ENOMEM. */
int registry_load(const char *dir, registry_error_handler_t on_error, void *userdata, Registry **ret);

const FunctionConfig *registry_find(const Registry *r, const char *name);
/* Takes c into r, in its place by name. -EEXIST when r has that name already (c is not taken). */
int registry_add(Registry *r, FunctionConfig *c);
