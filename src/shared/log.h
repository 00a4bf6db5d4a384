/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * log.h: leveled logging to stderr. When stderr is connected to the journal (JOURNAL_STREAM), each
 * line carries a syslog priority prefix ("<3>") so journald files it at the right level; otherwise
 * lines are plain. The *_errno variants take a negative errno, make %m print it, and return it.
 */

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
void log_set_prefix(const char *prefix);

/* Decides once whether stderr is the journal; call early in main(). */
void log_open(void);

int log_internal(int level, int error, const char *format, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_full(level, ...)              (void) log_internal((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_full_errno(LOG_ERR, -ENOMEM, "Out of memory.")

/* Parses "debug", "info", ... or a number 0-7. Returns the level or -EINVAL. */
int log_level_from_string(const char *s);
