/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * options.h: the command-line values the binaries share, parsed with an error message that names
 * the option, so that every binary refuses a bad value the same way.
 */

#include <stdint.h>

/* --NAME=SECONDS: whole seconds from min to 86400, stored in microseconds. Logs and returns -errno. */
int parse_seconds_option(const char *name, const char *value, uint64_t min, uint64_t *ret_usec);

/* --log-level=LEVEL: sets the log level. Logs and returns -errno. */
int parse_log_level_option(const char *value);

/* BYTES[K|M|G|T], powers of 1024, at least min. -EINVAL, -ERANGE; does not log. */
int parse_size(const char *s, uint64_t min, uint64_t *ret);
