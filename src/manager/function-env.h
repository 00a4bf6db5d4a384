/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-env.h: a declared function's environment: "environment" (NAME → value) and
 * "environment_files" (NAME → the absolute path of a file whose content is the value, read when the
 * declarations load, as systemd's LoadCredential= reads files), under AWS's rules: names of
 * [A-Za-z_][A-Za-z0-9_]*, none that lambdad sets itself, at most 4 KiB of names and values in all.
 * Parsing is pure; only function_env_load_files() reads files, and no value read from a file ever goes
 * into an error message.
 */

#include <stddef.h>

#include "lambda-contract.h"

struct json_object;

/* AWS's limit on the size of a function's environment, counted as the names plus the values. */
#define FUNCTION_ENV_SIZE_MAX LAMBDA_ENVIRONMENT_MAX

/* "environment": a JSON object of strings -> sorted "NAME=VALUE" strv. -EINVAL with *ret_error; -ENOMEM. */
int function_env_parse(struct json_object *v, char ***ret, char **ret_error);

/* "environment_files": a JSON object of absolute paths -> sorted "NAME=/PATH" strv. -EINVAL with
 * *ret_error; -ENOMEM. */
int function_env_files_parse(struct json_object *v, char ***ret, char **ret_error);

/* Both keys of one declaration together: no name in both, and the names and values known before the
 * files are read within the limit. -EINVAL with *ret_error; -ENOMEM. */
int function_env_check(char *const *env, char *const *files, char **ret_error);

/*
 * Reads each file of files ("NAME=/PATH") and adds NAME=CONTENT to *env, kept sorted. A file must be a
 * regular file (symbolic links are followed) of at most FUNCTION_ENV_SIZE_MAX bytes of UTF-8 without
 * NUL bytes; one trailing newline (as echo writes it) is dropped; the environment as a whole must stay
 * within FUNCTION_ENV_SIZE_MAX. -EINVAL with *ret_error naming the variable and the path (never the
 * content); -ENOMEM.
 */
int function_env_load_files(char ***env, char *const *files, char **ret_error);
