/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-request.h: the requests of CreateFunction, UpdateFunctionCode and
 * UpdateFunctionConfiguration, validated as Lambda validates them and turned into a declaration in
 * the functions directory's format (function-config.h), or the changes to one, for the manager; and the
 * upload's zip, decoded from its base64. Pure functions over json-c values (the zip's decoding writes
 * to the fd it is given): unit-tested and fuzzed.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "api-json.h"
#include "lambda-contract.h"

typedef enum FunctionRequestKind {
        FUNCTION_REQUEST_CREATE,
        FUNCTION_REQUEST_UPDATE_CODE,
        FUNCTION_REQUEST_UPDATE_CONFIGURATION,
} FunctionRequestKind;

typedef struct FunctionRequest {
        char name[LAMBDA_FUNCTION_NAME_MAX + 1]; /* CreateFunction: FunctionName, bare */
        /* CreateFunction: the declaration; the updates: the changes (keys to set, null for their
         * default), as JSON text for the manager. */
        char *declaration;
        const char *zip; /* ZipFile's base64, pointing into the request's JSON; NULL: none */
        size_t zip_len;
        char *revision_id; /* NULL: none given, no check */
        bool publish;      /* publish a version once done (CreateFunction, UpdateFunctionCode) */
} FunctionRequest;

void function_request_done(FunctionRequest *r);

/*
 * Validates body (the request's JSON) as Lambda does and converts it. function is the function the
 * path names (NULL for CreateFunction, whose body names it); arch the host's architecture in AWS's
 * name (lambda_architecture()), the only one Architectures may ask for. Lambda's settings that lambdad
 * does not have pass at their defaults only (api_check_unsupported()); fields unknown to Lambda are
 * ignored, as Lambda ignores them. 0 and *ret (zip points into body: keep body until it is decoded);
 * -EINVAL with *ret_error; -ENOMEM.
 */
int function_request_parse(FunctionRequestKind kind, json_object *body, const char *function,
                           const char *arch, FunctionRequest *ret, ApiError *ret_error);

/* Decodes the base64 of a ZipFile into fd, in pieces (never a second copy of the whole). 0; -EINVAL for
 * base64 that is not strict (RFC 4648 §4, padded, nothing else); -EFBIG past LAMBDA_ZIP_UPLOAD_MAX
 * bytes decoded; -errno from write(). */
int function_zip_decode(const char *base64, size_t len, int fd);

/* AWS's name ("x86_64", "arm64") of a machine as uname(2) names it; NULL for others. */
const char *lambda_architecture_of(const char *machine);
/* ... of this host's; NULL when it has none. */
const char *lambda_architecture(void);
