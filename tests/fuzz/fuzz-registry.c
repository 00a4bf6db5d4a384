/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the parser of function configs (files an operator writes, but a parser must not trust them)
 * and checks that whatever it accepts keeps every promise of the format, and that whatever it refuses
 * comes with a message fit for a log line. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

static void check_config(const FunctionConfig *f)
{
        size_t n = strv_length(f->env);

        if (!function_name_is_valid(f->name) || !image_reference_is_valid(f->image) || !f->env ||
            f->implicit)
                abort();
        if (f->memory_mb < 128 || f->memory_mb > 10240 || f->timeout_sec < 1 || f->timeout_sec > 900)
                abort();
        if (f->nano_cpus != 0 && (f->nano_cpus < 10000000 || f->nano_cpus > 64000000000))
                abort();
        if (f->max_instances < 1 || f->max_instances > 1000 || f->min_instances > f->max_instances)
                abort();
        if (f->idle_timeout_usec < USEC_PER_SEC || f->idle_timeout_usec > 86400 * USEC_PER_SEC)
                abort();

        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(f->env[i], '=');
                _cleanup_free_ char *key = NULL;

                if (!eq)
                        abort();
                key = strndup(f->env[i], (size_t) (eq - f->env[i]));
                if (!key)
                        return;
                if (!env_name_is_valid(key) || strcmp(key, "AWS_LAMBDA_RUNTIME_API") == 0)
                        abort();
                /* Sorted by key, and so no key twice. */
                if (i > 0) {
                        size_t a = strcspn(f->env[i - 1], "="), b = (size_t) (eq - f->env[i]);
                        int c = memcmp(f->env[i - 1], f->env[i], MIN(a, b));

                        if (c > 0 || (c == 0 && a >= b))
                                abort();
                }
        }

        if (!function_config_equal(f, f))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(function_config_freep) FunctionConfig *f = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = function_config_parse("fuzz", (const char *) data, size, &f, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0) {
                if (r != -EINVAL || !error || !*error || f)
                        abort();
                /* Whatever the input held, the message is one printable line. */
                for (const char *p = error; *p; p++)
                        if ((unsigned char) *p < 0x20)
                                abort();
                return 0;
        }
        if (!f || error)
                abort();
        check_config(f);
        return 0;
}
