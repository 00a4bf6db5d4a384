/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-json.h: the members of a control-plane request's JSON read as Lambda's model types them, the
 * errors Lambda answers for what does not fit (its messages: "1 validation error detected: Value 'x'
 * at 'memorySize' failed to satisfy constraint: ..."), and the small builders of the answers' JSON.
 * Pure functions over json-c values.
 */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

#define API_INVALID_PARAMETER "InvalidParameterValueException"
#define API_INVALID_CONTENT   "InvalidRequestContentException"
/* A value quoted in a message: enough to recognise it, never a whole upload. */
#define API_QUOTE_MAX 64
/* Description, of a function, a version or an alias. */
#define API_DESCRIPTION_MAX 256U

/* A refused request: the status, x-amzn-ErrorType and message to answer with. */
typedef struct ApiError {
        int status;
        const char *type;
        char *message;
} ApiError;

void api_error_done(ApiError *e);

/* Sets *e (replacing what it held) and returns -EINVAL; -ENOMEM when the message cannot be made. */
int api_error(ApiError *e, int status, const char *type, const char *format, ...) _printf_(4, 5);
/* 400 InvalidParameterValueException in Lambda's words for a value outside its model's constraint
 * (what: "Member must have value less than or equal to 10240"); member is the model's lowerCamel name. */
int api_constraint(ApiError *e, const char *value, const char *member, const char *what);
/* 400 InvalidRequestContentException: a member of the wrong JSON type. */
int api_wrong_type(ApiError *e, const char *field, const char *expected);
/* 400 InvalidParameterValueException: "lambdad does not support FIELD: INSTEAD." */
int api_unsupported(ApiError *e, const char *field, const char *instead);

/* s, or its first API_QUOTE_MAX characters and "..." in buf. */
const char *api_quote(const char *s, char buf[static API_QUOTE_MAX + 4]);

/* A member, or NULL when absent or null (which Lambda takes for absent). */
json_object *api_member(json_object *o, const char *key);

/* A member of this type: 1 and *ret, 0 when absent (*ret NULL, false or 0), or -EINVAL with *e for
 * another type (or a value outside [min, max], or a list longer than max or not of strings). */
int api_get_string(json_object *o, const char *key, ApiError *e, const char **ret);
int api_get_object(json_object *o, const char *key, ApiError *e, json_object **ret);
int api_get_array(json_object *o, const char *key, ApiError *e, json_object **ret);
int api_get_bool(json_object *o, const char *key, ApiError *e, bool *ret);
int api_get_integer(json_object *o, const char *key, const char *member_name, int64_t min, int64_t max,
                    ApiError *e, int64_t *ret);
/* A body that is an object whose one required member is that integer (PutFunctionConcurrency's,
 * PutProvisionedConcurrencyConfig's): 0 and *ret, or -EINVAL with *e in Lambda's words. */
int api_body_integer(json_object *body, const char *key, const char *member_name, int64_t min, int64_t max,
                     ApiError *e, int64_t *ret);
int api_get_string_list(json_object *o, const char *key, size_t max, ApiError *e, json_object **ret);
/* Description: a string of at most API_DESCRIPTION_MAX bytes. */
int api_get_description(json_object *o, ApiError *e, const char **ret);

/* Adds a member to o, taking v (freed on failure; NULL counts as a failure); 0 or -ENOMEM. */
int api_add(json_object *o, const char *key, json_object *v);
int api_add_null(json_object *o, const char *key);
int api_add_string(json_object *o, const char *key, const char *s);
int api_add_int(json_object *o, const char *key, int64_t n);
/* ... a deep copy of v. */
int api_add_copy(json_object *o, const char *key, json_object *v);

/* The page of a list answer ({KEY: [...], "NextMarker": M}) that a Marker and MaxItems ask for: the
 * items of all (an array, taken) from marker ("" or a NextMarker given before: the index of its
 * page's first item) on, at most max_items (0: API_PAGE_DEFAULT), and NextMarker when more are left.
 * -EINVAL with *e for a Marker that is none of ours or a MaxItems above max (Lambda's words); -ENOMEM. */
#define API_PAGE_DEFAULT 50U
int api_list_page(json_object *all, const char *key, const char *marker, unsigned max_items, unsigned max,
                  ApiError *e, json_object **ret);
