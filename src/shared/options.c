/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "util.h"

int parse_seconds_option(const char *name, const char *value, uint64_t min, uint64_t *ret_usec)
{
        uint64_t v;
        int r;

        r = parse_uint64(value, min, 86400, &v);
        if (r < 0)
                return log_error_errno(r, "Invalid --%s '%s': expected %llu-86400 seconds.", name, value,
                                       (unsigned long long) min);
        *ret_usec = v * USEC_PER_SEC;
        return 0;
}

int parse_log_level_option(const char *value)
{
        int r = log_level_from_string(value);

        if (r < 0)
                return log_error_errno(
                        r,
                        "Invalid --log-level '%s': expected emerg, alert, crit, err, warning, "
                        "notice, info or debug.",
                        value);
        log_set_max_level(r);
        return 0;
}

int parse_size(const char *s, uint64_t min, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        unsigned long long v;
        const char *p;
        char *end;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        if (*end) {
                p = strchr(suffixes, *end);
                if (!p || end[1])
                        return -EINVAL;
                for (long k = 0; k <= p - suffixes; k++) {
                        if (v > UINT64_MAX / 1024)
                                return -ERANGE;
                        v *= 1024;
                }
        }
        if (v < min)
                return -ERANGE;
        *ret = v;
        return 0;
}
