/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool to_journal = false;
static const char *line_prefix = NULL;

void log_set_max_level(int level)
{
        max_level = level;
}

void log_set_prefix(const char *prefix)
{
        line_prefix = prefix;
}

void log_open(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        to_journal = false;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return;
        if (fstat(STDERR_FILENO, &st) < 0)
                return;
        to_journal = (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

int log_internal(int level, int error, const char *format, ...)
{
        char buf[2048];
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;
        if (LOG_PRI(level) > max_level)
                return -error;

        /* %m prints the error we were handed, not whatever errno happens to hold. */
        errno = error;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (to_journal)
                fprintf(stderr, "<%i>%s%s\n", LOG_PRI(level), line_prefix ?: "", buf);
        else
                fprintf(stderr, "%s%s\n", line_prefix ?: "", buf);

        errno = saved;
        return -error;
}

int log_level_from_string(const char *s)
{
        static const char *const names[] = { "emerg",   "alert",  "crit", "err",
                                             "warning", "notice", "info", "debug" };
        char *end;
        long l;

        if (!s || !*s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0)
                        return (int) i;
        if (strcmp(s, "error") == 0)
                return LOG_ERR;

        errno = 0;
        l = strtol(s, &end, 10);
        if (errno != 0 || *end || l < 0 || l > 7)
                return -EINVAL;
        return (int) l;
}
