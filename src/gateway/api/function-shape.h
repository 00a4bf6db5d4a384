/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-shape.h: what the manager says of a function (GetFunctionConfiguration's a{sv}, and the
 * declaration in it) in AWS Lambda's shapes: FunctionConfiguration, and the answers of GetFunction,
 * ListVersionsByFunction and GetFunctionCodeSigningConfig; and the manager's messages about a
 * declaration in AWS's field names. Pure functions over json-c values:
 * unit-tested and fuzzed.
 */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* What GetFunctionConfiguration answered (lambda-contract.h's keys), borrowed; NULL when absent. */
typedef struct ManagerFunction {
        const char *source, *declaration, *revision_id, *last_modified, *package_type;
        const char *state, *state_reason, *last_update_status, *last_update_status_reason;
        const char *runtime, *handler, *code_sha256;
        const char *version; /* a published version's number; NULL: $LATEST */
        uint64_t code_size;
        bool has_code_size;
} ManagerFunction;

/* What answers about a function say besides the manager's. */
typedef struct FunctionContext {
        const char *name; /* bare */
        const char *arn;
        const char *arch; /* AWS's name; NULL: "x86_64" */
} FunctionContext;

/* AWS's FunctionConfiguration of the function (of a version: its Version, its FunctionArn qualified),
 * with Lambda's fixed values where lambdad has none (TracingConfig PassThrough, EphemeralStorage 512,
 * ...). A declaration that is not a
 * JSON object counts as empty (the defaults); an absent State is Active, an absent LastUpdateStatus
 * Successful (a manager from before the API). -ENOMEM. */
int function_configuration_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret);

/* GetFunction's answer: {"Configuration", "Code": {"RepositoryType", "ImageUri", ...}, "Tags"}. The code
 * of a zip function is not served: its Code has no Location. -ENOMEM. */
int function_get_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret);

/* An entry of ListVersionsByFunction's Versions: the FunctionConfiguration, its FunctionArn qualified
 * (":$LATEST" too). -ENOMEM. */
int function_version_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret);

/* GetFunctionCodeSigningConfig's answer for a function without code signing:
 * {"CodeSigningConfigArn": "", "FunctionName"}. -ENOMEM. */
int function_code_signing_json(const FunctionContext *ctx, json_object **ret);

/* The manager's message about a declaration, in its key names ("memory_mb: expected ..."), in AWS's
 * field names ("MemorySize: expected ..."). NULL on -ENOMEM. */
char *function_message_translate(const char *message);
