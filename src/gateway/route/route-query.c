/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "route-query.h"
#include "util.h"

static const char msg_marker[] =
        "Marker is invalid: expected at most 1024 validly percent-encoded characters.";
static const char msg_marker_twice[] = "Marker is given more than once.";
static const char msg_max_items[] = "MaxItems is invalid: expected an integer from 1 to 10000.";
static const char msg_max_items_twice[] = "MaxItems is given more than once.";
static const char msg_function_version[] =
        "1 validation error detected: Value at 'functionVersion' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: (\\$LATEST|[0-9]+)";

/* Takes the next "key=value" pair off *query; false at the end. Empty pairs ("a=1&&b=2") are skipped. */
bool route_query_next(Span *query, Span *ret_key, Span *ret_value)
{
        while (query->n > 0) {
                const char *amp = memchr(query->p, '&', query->n);
                size_t len = amp ? (size_t) (amp - query->p) : query->n;
                Span pair = { query->p, len };
                const char *eq;

                query->p += amp ? len + 1 : len;
                query->n -= amp ? len + 1 : len;
                if (len == 0)
                        continue;

                eq = memchr(pair.p, '=', pair.n);
                if (eq) {
                        *ret_key = (Span){ pair.p, (size_t) (eq - pair.p) };
                        *ret_value = (Span){ eq + 1, pair.n - (size_t) (eq - pair.p) - 1 };
                } else {
                        *ret_key = pair;
                        *ret_value = (Span){ pair.p + pair.n, 0 };
                }
                return true;
        }
        return false;
}

/* Keys are matched after decoding; one that does not decode, or is longer than any we know, is
 * nobody's parameter and so ignored like any other unknown one. */
bool route_query_key_is(Span key, const char *name)
{
        char buf[16];

        if (percent_decode(key.p, key.n, buf, sizeof(buf)) < 0)
                return false;
        return strcmp(buf, name) == 0;
}

bool route_query_has(Span query, const char *name)
{
        Span key, value;

        while (route_query_next(&query, &key, &value))
                if (route_query_key_is(key, name))
                        return true;
        return false;
}

int route_parse_list_query(Span query, Route *route, RouteError *ret_error)
{
        bool seen_marker = false, seen_max_items = false;
        Span key, value;
        int r;

        while (route_query_next(&query, &key, &value)) {
                if (route_query_key_is(key, "Marker")) {
                        if (seen_marker) {
                                *ret_error = route_error(400, msg_marker_twice);
                                return -EINVAL;
                        }
                        seen_marker = true;
                        /* Opaque: any bytes but NUL. The caller made it, and compares it, no more. */
                        r = percent_decode(value.p, value.n, route->marker, sizeof(route->marker));
                        if (r < 0) {
                                *ret_error = route_error(400, msg_marker);
                                return -EINVAL;
                        }
                } else if (route_query_key_is(key, "MaxItems")) {
                        char buf[16];

                        if (seen_max_items) {
                                *ret_error = route_error(400, msg_max_items_twice);
                                return -EINVAL;
                        }
                        seen_max_items = true;
                        if (percent_decode(value.p, value.n, buf, sizeof(buf)) < 0 ||
                            parse_unsigned(buf, 1, ROUTE_MAX_ITEMS_MAX, &route->max_items) < 0) {
                                *ret_error = route_error(400, msg_max_items);
                                return -EINVAL;
                        }
                }
        }
        return 0;
}

/* ListAliases' FunctionVersion: $LATEST or a version's number, once. */
int route_parse_function_version(Span query, Route *route, RouteError *ret_error)
{
        Span key, value;

        while (route_query_next(&query, &key, &value)) {
                char buf[sizeof(route->function_version)];
                size_t n;

                if (!route_query_key_is(key, "FunctionVersion"))
                        continue;
                if (route->function_version[0] || percent_decode(value.p, value.n, buf, sizeof(buf)) < 0) {
                        *ret_error = route_error(400, msg_function_version);
                        return -EINVAL;
                }
                n = strlen(buf);
                if (n == 0)
                        continue;
                if (strcmp(buf, "$LATEST") != 0 && strspn(buf, "0123456789") != n) {
                        *ret_error = route_error(400, msg_function_version);
                        return -EINVAL;
                }
                memcpy(route->function_version, buf, n + 1);
        }
        return 0;
}
