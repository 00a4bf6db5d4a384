/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes lambda-gateway's routing with request lines "METHOD TARGET" as a client may send them, and
 * checks that whatever it accepts is a route the gateway can act on without checking again, that
 * whatever it refuses comes with a status and a one-line message, and that percent-decoding agrees
 * with a plain re-encoding of its output. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "route.h"

static bool is_name_chars(const char *s, size_t max)
{
        size_t n = strlen(s);

        if (n < 1 || n > max)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* Whether method is one of the comma-separated list. */
static bool allowed(const char *allow, const char *method)
{
        size_t n = strlen(method);

        for (const char *p = allow; *p; p += strspn(p, ", ")) {
                size_t k = strcspn(p, ",");

                if (k == n && memcmp(p, method, n) == 0)
                        return true;
                p += k;
        }
        return false;
}

static bool is_qualifier(const char *q)
{
        return !q[0] || strcmp(q, "$LATEST") == 0 || is_name_chars(q, ROUTE_QUALIFIER_MAX);
}

/* A call on one function (GetFunction, the versions and aliases): the function as an invocation names
 * it; the lists page. */
static void check_function_route(const char *method, const Route *r)
{
        if (!is_name_chars(r->function, LAMBDA_FUNCTION_NAME_MAX) || !is_qualifier(r->qualifier) ||
            ((r->marker[0] || r->max_items != 0) && r->type != ROUTE_LIST_VERSIONS_BY_FUNCTION &&
             r->type != ROUTE_LIST_ALIASES))
                abort();
        /* ListAliases' FunctionVersion: $LATEST or digits. */
        if (r->function_version[0] &&
            (r->type != ROUTE_LIST_ALIASES ||
             (strcmp(r->function_version, "$LATEST") != 0 &&
              strspn(r->function_version, "0123456789") != strlen(r->function_version))))
                abort();
        /* The alias the path names: an alias's name (not a version's), decoded. */
        if ((r->type == ROUTE_GET_ALIAS || r->type == ROUTE_UPDATE_ALIAS || r->type == ROUTE_DELETE_ALIAS)
                    ? !route_alias_name_is_valid(r->alias)
                    : r->alias[0] != 0)
                abort();
        if ((strcmp(method, "GET") == 0) !=
            (r->type == ROUTE_GET_FUNCTION || r->type == ROUTE_GET_FUNCTION_CONFIGURATION ||
             r->type == ROUTE_LIST_VERSIONS_BY_FUNCTION ||
             r->type == ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG || r->type == ROUTE_LIST_ALIASES ||
             r->type == ROUTE_GET_ALIAS))
                abort();
        if ((strcmp(method, "PUT") == 0) !=
            (r->type == ROUTE_UPDATE_FUNCTION_CODE || r->type == ROUTE_UPDATE_FUNCTION_CONFIGURATION ||
             r->type == ROUTE_UPDATE_ALIAS))
                abort();
        if ((strcmp(method, "POST") == 0) !=
            (r->type == ROUTE_PUBLISH_VERSION || r->type == ROUTE_CREATE_ALIAS))
                abort();
}

/* Provisioned concurrency of a version or alias, or their list. */
static void check_provisioned_route(const char *method, const Route *r)
{
        if (!is_name_chars(r->function, LAMBDA_FUNCTION_NAME_MAX) || !is_qualifier(r->qualifier) ||
            r->alias[0] || r->function_version[0] ||
            ((r->marker[0] || r->max_items != 0) && r->type != ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS))
                abort();
        if ((strcmp(method, "GET") == 0) != (r->type == ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG ||
                                             r->type == ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS))
                abort();
}

/* A function's settings (concurrency, event invoke config): the function and at most a qualifier. */
static void check_settings_route(const Route *r)
{
        if (!is_name_chars(r->function, LAMBDA_FUNCTION_NAME_MAX) || !is_qualifier(r->qualifier) ||
            r->alias[0] || r->function_version[0] || r->marker[0] || r->max_items != 0)
                abort();
}

static void check_route(const char *method, const char *target, const Route *r)
{
        const char *allow = route_allow(target);
        unsigned flags = route_flags(r->type);

        if (!allow || !allowed(allow, method))
                abort();
        if (route_is_control_plane(r->type) != (r->type >= ROUTE_CREATE_FUNCTION))
                abort();
        if (strcmp(route_operation(r->type), "Unknown") == 0)
                abort();
        if (strnlen(r->marker, sizeof(r->marker)) >= sizeof(r->marker) || r->max_items > ROUTE_MAX_ITEMS_MAX)
                abort();

        /* The groups as route.h's table says them. */
        if (flags & ROUTE_FLAG_FUNCTION_SETTINGS)
                return check_settings_route(r);
        if (flags & ROUTE_FLAG_PROVISIONED)
                return check_provisioned_route(method, r);
        if ((flags & ROUTE_FLAG_CONTROL_PLANE) && r->type != ROUTE_CREATE_FUNCTION)
                return check_function_route(method, r);

        switch (r->type) {
        case ROUTE_INVOKE:
                if (strcmp(method, "POST") != 0 || !is_name_chars(r->function, LAMBDA_FUNCTION_NAME_MAX))
                        abort();
                if (r->qualifier[0] && strcmp(r->qualifier, "$LATEST") != 0 &&
                    !is_name_chars(r->qualifier, ROUTE_QUALIFIER_MAX))
                        abort();
                /* lambdad's simple path takes no qualifier. */
                if (strncmp(target, "/functions/", 11) == 0 && r->qualifier[0])
                        abort();
                if (r->marker[0] || r->max_items != 0)
                        abort();
                break;
        case ROUTE_LIST_FUNCTIONS:
                if (strcmp(method, "GET") != 0 || r->function[0] || r->qualifier[0])
                        abort();
                break;
        case ROUTE_CREATE_FUNCTION:
                if (strcmp(method, "POST") != 0 || r->function[0] || r->qualifier[0])
                        abort();
                break;
        case ROUTE_HEALTHZ:
        case ROUTE_METRICS:
                if (strcmp(method, "GET") != 0 || r->function[0] || r->qualifier[0] || r->marker[0] ||
                    r->max_items != 0)
                        abort();
                break;
        default:
                abort();
        }
}

static void check_refusal(const char *target, int k, int status, const char *message)
{
        if (!message || !*message)
                abort();
        for (const char *p = message; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        abort();
        switch (status) {
        case 400:
                if (k != -EINVAL || !route_allow(target))
                        abort();
                break;
        case 404:
                if (k != -ENOENT || route_allow(target))
                        abort();
                break;
        case 405:
                if (k != -EOPNOTSUPP || !route_allow(target))
                        abort();
                break;
        default:
                abort();
        }
}

static bool route_equal(const Route *a, const Route *b)
{
        return a->type == b->type && a->max_items == b->max_items && strcmp(a->function, b->function) == 0 &&
               strcmp(a->qualifier, b->qualifier) == 0 && strcmp(a->marker, b->marker) == 0 &&
               strcmp(a->alias, b->alias) == 0;
}

/* A function URL's route: a valid name, and a path from "/" inside the target that holds no dot
 * segment and no encoded slash; a refusal is a 400 with a message. */
static void check_function_url(const char *target, const char *host)
{
        const char *message = NULL;
        int status = 0, k;
        Route r;

        k = route_function_url(target, host, &r, &status, &message);
        if (k == -ENOENT)
                return;
        if (k == -EINVAL) {
                if (status != 400 || !message || !*message)
                        abort();
                return;
        }
        if (k != 0 || r.type != ROUTE_FUNCTION_URL || !is_name_chars(r.function, LAMBDA_FUNCTION_NAME_MAX))
                abort();
        if (r.url_path_len == 0 || r.url_path[0] != '/' || memchr(r.url_path, '\\', r.url_path_len))
                abort();
        if (r.url_path_len > 1 &&
            (r.url_path < target || r.url_path + r.url_path_len > target + strlen(target)))
                abort();
        for (size_t i = 0; i + 2 < r.url_path_len; i++)
                if (r.url_path[i] == '%' &&
                    ((r.url_path[i + 1] == '2' && (r.url_path[i + 2] | 0x20) == 'f') ||
                     (r.url_path[i + 1] == '5' && (r.url_path[i + 2] | 0x20) == 'c')))
                        abort();
        for (size_t i = 0; i + 1 < r.url_path_len; i++)
                if (r.url_path[i] == '/' && r.url_path[i + 1] == '.' &&
                    (i + 2 == r.url_path_len || r.url_path[i + 2] == '/' ||
                     (r.url_path[i + 2] == '.' && (i + 3 == r.url_path_len || r.url_path[i + 3] == '/'))))
                        abort();
}

/* Decodes with a buffer of every size from 0 up, and checks the result against re-encoding it. */
static void check_percent_decode(const char *in, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        char out[64], again[64], encoded[3 * 64];
        int full;

        full = percent_decode(in, len, out, sizeof(out));
        if (full == 0) {
                size_t n = strlen(out), m = 0;

                /* Decoding never grows, and never yields a NUL. */
                if (n > len || memchr(out, 0, n))
                        abort();
                for (size_t i = 0; i < n; i++) {
                        encoded[m++] = '%';
                        encoded[m++] = hex[(unsigned char) out[i] >> 4];
                        encoded[m++] = hex[(unsigned char) out[i] & 15];
                }
                if (percent_decode(encoded, m, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
                        abort();
        } else if (full != -EINVAL && full != -ENOBUFS)
                abort();

        for (size_t size = 0; size <= sizeof(again); size++) {
                int k = percent_decode(in, len, again, size);

                /* A bad escape is bad at any size; a good one fits exactly from strlen + 1 on. */
                if ((full == -EINVAL || full == -ENOBUFS) && k != full)
                        abort();
                if (full == 0 && (k == 0) != (size > strlen(out)))
                        abort();
                if (full == 0 && k == 0 && strcmp(again, out) != 0)
                        abort();
                if (k != 0 && k != -EINVAL && k != -ENOBUFS)
                        abort();
                if (k < 0 && size > 0 && again[0] != 0)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *line = NULL;
        const char *message, *target;
        char *space;
        int status, k, k2;
        Route r, r2;

        /* A C string, like the HTTP parser's request line: an embedded NUL ends it. */
        line = strndup((const char *) data, size);
        if (!line)
                return 0;
        space = strchr(line, ' ');
        if (space) {
                *space = 0;
                target = space + 1;
        } else
                target = line;

        check_percent_decode((const char *) data, MIN(size, (size_t) 64));

        k = route_parse(space ? line : "GET", target, &r, &status, &message);
        if (k == 0)
                check_route(space ? line : "GET", target, &r);
        else
                check_refusal(target, k, status, message);

        /* The request line's method doubles as a Host header. */
        check_function_url(target, space ? line : NULL);

        /* Routing is a function of its input alone. */
        k2 = route_parse(space ? line : "GET", target, &r2, &status, &message);
        if (k2 != k || (k == 0 && !route_equal(&r, &r2)))
                abort();
        return 0;
}
