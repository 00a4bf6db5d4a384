/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * config-file.h: what the manager's configuration files (function declarations, code runtimes,
 * environment files) share: how such a file is read, the strict JSON in it, and how a bad value is
 * described in an error message.
 */

#include <stddef.h>

#include "macro.h"

struct json_object;

/* Larger files are refused before parsing: a config is a handful of lines. */
#define FUNCTION_CONFIG_SIZE_MAX (64U * 1024U)

/* A regular file (no symbolic
 * link, no FIFO) of at most FUNCTION_CONFIG_SIZE_MAX bytes read into a NUL-terminated buffer, and one
 * strict JSON object in it. -EINVAL with *ret_error for what the operator must fix; -ENOMEM. */
int config_file_read(int dir_fd, const char *filename, char **ret_data, size_t *ret_len, char **ret_error);
int config_json_parse(const char *json, size_t len, struct json_object **ret, char **ret_error);

/* A JSON string's value, or NULL when v is no string or one with an embedded NUL (C code downstream
 * would silently cut it short). */
const char *config_json_string(struct json_object *v);

/* Enough of a value in an error message to recognise it, without quoting a whole file into the log. */
#define CONFIG_DESCRIBE_MAX  64U
#define CONFIG_DESCRIBE_SIZE (CONFIG_DESCRIBE_MAX + STRLEN("...") + 1)
/* A JSON value as the operator wrote it (JSON text, so control characters stay escaped), cut short. */
const char *config_describe_value(struct json_object *v, char buf[static CONFIG_DESCRIBE_SIZE]);
/* A name taken from a file name or a JSON key, quoted, with anything but printable ASCII escaped so it
 * cannot forge log lines, cut short. */
const char *config_describe_name(const char *name, char buf[static CONFIG_DESCRIBE_SIZE]);
