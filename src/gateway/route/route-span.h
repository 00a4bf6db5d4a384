/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * route-span.h: what route.c and route-url.c share of a request target taken apart: spans of the raw
 * target (nothing NUL-terminated until it is decoded), the refusal they answer with, and the split
 * into path and query.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lambda-contract.h"

typedef struct Span {
        const char *p;
        size_t n;
} Span;

typedef struct RouteError {
        int status;
        const char *message;
} RouteError;

static inline RouteError route_error(int status, const char *message)
{
        return (RouteError){ .status = status, .message = message };
}

static inline bool span_eq(Span s, const char *literal)
{
        size_t n = strlen(literal);

        return s.n == n && memcmp(s.p, literal, n) == 0;
}

static inline bool span_startswith(Span s, const char *prefix)
{
        size_t n = strlen(prefix);

        return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

/* Copies s, NUL-terminated, into dest (which has room). */
static inline void span_copy(char *dest, Span s)
{
        memcpy(dest, s.p, s.n);
        dest[s.n] = 0;
}

/* A bare function name: 1 to 64 of [A-Za-z0-9_-]. */
static inline bool name_is_valid(Span s)
{
        return lambda_function_name_is_valid(s.p, s.n);
}

/* Splits off the path and the query of a target in origin-form ("/p?q") or absolute-form
 * ("http://host/p?q", which servers must accept too). The fragment, if any, is dropped. */
void route_split_target(const char *target, Span *ret_path, Span *ret_query);
