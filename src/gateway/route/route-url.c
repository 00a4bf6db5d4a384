/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Function URLs' routing (route.h's route_function_url()): the function a request is for, by its host
 * or its /url/NAME prefix, and a path that cannot leave the function's prefix. */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "route-span.h"
#include "route.h"

static const char msg_url_escape[] =
        "The path is invalid: it must start with '/' and may not hold '.' or '..' "
        "segments, encoded slashes or backslashes.";
static const char msg_url_name[] =
        "Function URL is invalid: NAME must be 1 to 64 characters of [a-zA-Z0-9-_].";

/* Whether a segment of the still-encoded path is "." or "..", however its dots are written. */
static bool segment_is_dots(Span seg)
{
        size_t dots = 0;

        for (size_t i = 0; i < seg.n;) {
                if (seg.p[i] == '.')
                        i++;
                else if (seg.n - i >= 3 && seg.p[i] == '%' && seg.p[i + 1] == '2' &&
                         (seg.p[i + 2] == 'e' || seg.p[i + 2] == 'E'))
                        i += 3;
                else
                        return false;
                dots++;
        }
        return dots == 1 || dots == 2;
}

static bool url_path_is_contained(Span path)
{
        char decoded[8192];

        if (memchr(path.p, '\\', path.n))
                return false;
        for (size_t i = 0; i + 2 < path.n; i++)
                if (path.p[i] == '%' &&
                    ((path.p[i + 1] == '2' && (path.p[i + 2] == 'f' || path.p[i + 2] == 'F')) ||
                     (path.p[i + 1] == '5' && (path.p[i + 2] == 'c' || path.p[i + 2] == 'C'))))
                        return false;
        for (size_t i = 0; i < path.n;) {
                const char *slash = memchr(path.p + i, '/', path.n - i);
                size_t end = slash ? (size_t) (slash - path.p) : path.n;

                if (segment_is_dots((Span){ path.p + i, end - i }))
                        return false;
                i = end + 1;
        }
        /* Strictly encoded, as any other name or value here. */
        return percent_decode(path.p, path.n, decoded, sizeof(decoded)) != -EINVAL;
}

/* "NAME.lambda-url." at the start of host, case-insensitively for the fixed part. */
static bool host_names_function(const char *host, Span *ret_name)
{
        static const char marker[] = ".lambda-url.";
        const char *dot = host ? strchr(host, '.') : NULL;

        if (!dot || strncasecmp(dot, marker, STRLEN(marker)) != 0)
                return false;
        *ret_name = (Span){ host, (size_t) (dot - host) };
        return true;
}

static int route_function_url_internal(const char *target, const char *host, Route *route,
                                       RouteError *ret_error)
{
        static const char prefix[] = "/url/";
        Span path, query, name;

        route_split_target(target, &path, &query);
        if (!host_names_function(host, &name)) {
                const char *slash;

                if (!span_startswith(path, prefix))
                        return -ENOENT;
                name = (Span){ path.p + STRLEN(prefix), path.n - STRLEN(prefix) };
                slash = memchr(name.p, '/', name.n);
                if (slash)
                        name.n = (size_t) (slash - name.p);
                path = (Span){ name.p + name.n, path.n - STRLEN(prefix) - name.n };
        }
        if (!name_is_valid(name)) {
                *ret_error = route_error(400, msg_url_name);
                return -EINVAL;
        }
        /* Only origin-form (and absolute-form) reach a function: not "*", nor a path without "/". */
        if (!url_path_is_contained(path) || (path.n > 0 && path.p[0] != '/')) {
                *ret_error = route_error(400, msg_url_escape);
                return -EINVAL;
        }
        route->type = ROUTE_FUNCTION_URL;
        span_copy(route->function, name);
        route->url_path = path.n > 0 ? path.p : "/";
        route->url_path_len = path.n > 0 ? path.n : 1;
        route->url_query = query.p;
        route->url_query_len = query.n;
        return 0;
}

int route_function_url(const char *target, const char *host, Route *ret, int *ret_status,
                       const char **ret_message)
{
        RouteError error = {};
        Route route = {};
        int r;

        r = route_function_url_internal(target ?: "", host, &route, &error);
        if (r == -EINVAL) {
                if (ret_status)
                        *ret_status = error.status;
                if (ret_message)
                        *ret_message = error.message;
        }
        if (r < 0)
                return r;
        *ret = route;
        return 0;
}
