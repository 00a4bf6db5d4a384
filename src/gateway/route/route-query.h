/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * route-query.h: the query of a request target taken apart for route.c: its "key=value" pairs, keys
 * matched after decoding, and the parameters of the list routes (Marker, MaxItems; ListAliases'
 * FunctionVersion), each at most once, refused with the message route_parse() answers. Never
 * allocates.
 */

#include <stdbool.h>

#include "route-span.h"
#include "route.h"

/* Takes the next "key=value" pair off *query; false at the end. Empty pairs ("a=1&&b=2") are skipped. */
bool route_query_next(Span *query, Span *ret_key, Span *ret_value);
/* Whether key, decoded, is name; one that does not decode, or is longer than any we know, is nobody's. */
bool route_query_key_is(Span key, const char *name);
/* Whether the query has that key. */
bool route_query_has(Span query, const char *name);

/* Marker and MaxItems (1 to ROUTE_MAX_ITEMS_MAX) into route. -EINVAL with *ret_error. */
int route_parse_list_query(Span query, Route *route, RouteError *ret_error);
/* ListAliases' FunctionVersion ($LATEST or a version's number) into route. -EINVAL with *ret_error. */
int route_parse_function_version(Span query, Route *route, RouteError *ret_error);
