/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-json.h"
#include "buf.h"
#include "function-settings-json.h"
#include "function-shape.h"
#include "lambda-contract.h"
#include "macro.h"
#include "unsupported-settings.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* lambdad has no IAM: every function answers with this role. */
#define ROLE_DEFAULT "arn:aws:iam::000000000000:role/lambdad"

static json_object *declaration_member(json_object *decl, const char *key, json_type type)
{
        json_object *v = api_member(decl, key);

        return v && json_object_is_type(v, type) ? v : NULL;
}

static const char *declaration_string(json_object *decl, const char *key)
{
        json_object *v = declaration_member(decl, key, json_type_string);

        return v ? json_object_get_string(v) : NULL;
}

static int64_t declaration_int(json_object *decl, const char *key, int64_t def)
{
        json_object *v = declaration_member(decl, key, json_type_int);

        return v ? json_object_get_int64(v) : def;
}

/* ImageConfigResponse: {"ImageConfig": {EntryPoint, Command, WorkingDirectory}} when any is set. */
static int add_image_config(json_object *fc, json_object *decl)
{
        _cleanup_(json_object_putp) json_object *response = NULL, *config = json_object_new_object();
        json_object *entrypoint = declaration_member(decl, "entrypoint", json_type_array),
                    *command = declaration_member(decl, "command", json_type_array);
        const char *workdir = declaration_string(decl, "working_directory");
        int r = 0;

        if (!config)
                return -ENOMEM;
        if (entrypoint)
                r = api_add_copy(config, "EntryPoint", entrypoint);
        if (r >= 0 && command)
                r = api_add_copy(config, "Command", command);
        if (r >= 0 && workdir)
                r = api_add_string(config, "WorkingDirectory", workdir);
        if (r < 0 || json_object_object_length(config) == 0)
                return r;
        response = json_object_new_object();
        if (!response)
                return -ENOMEM;
        r = api_add(response, "ImageConfig", TAKE_PTR(config));
        if (r >= 0)
                r = api_add(fc, "ImageConfigResponse", TAKE_PTR(response));
        return r;
}

static int add_object(json_object *o, const char *key, const char *k1, const char *v1, const char *k2,
                      const char *v2)
{
        _cleanup_(json_object_putp) json_object *v = json_object_new_object();
        int r;

        if (!v)
                return -ENOMEM;
        r = api_add_string(v, k1, v1);
        if (r >= 0 && k2)
                r = api_add_string(v, k2, v2);
        if (r >= 0)
                r = api_add(o, key, TAKE_PTR(v));
        return r;
}

/* The states, as the manager says them, with the reason codes Lambda's clients know. */
static int add_state(json_object *fc, const ManagerFunction *mf)
{
        const char *state = mf->state ?: "Active", *update = mf->last_update_status ?: "Successful";
        int r;

        r = api_add_string(fc, "State", state);
        if (r >= 0 && strcmp(state, "Pending") == 0) {
                r = api_add_string(fc, "StateReason", mf->state_reason ?: "The function is being created.");
                if (r >= 0)
                        r = api_add_string(fc, "StateReasonCode", "Creating");
        } else if (r >= 0 && strcmp(state, "Active") != 0) {
                r = api_add_string(fc, "StateReason", mf->state_reason ?: "The function cannot run.");
                if (r >= 0)
                        r = api_add_string(fc, "StateReasonCode", "InvalidConfiguration");
        }
        if (r >= 0)
                r = api_add_string(fc, "LastUpdateStatus", update);
        if (r >= 0 && strcmp(update, "InProgress") == 0) {
                r = api_add_string(fc, "LastUpdateStatusReason", "The function is being updated.");
                if (r >= 0)
                        r = api_add_string(fc, "LastUpdateStatusReasonCode", "Creating");
        } else if (r >= 0 && strcmp(update, "Failed") == 0) {
                r = api_add_string(fc, "LastUpdateStatusReason",
                                   mf->last_update_status_reason ?: "The function's last update failed.");
                if (r >= 0)
                        r = api_add_string(fc, "LastUpdateStatusReasonCode", "InvalidConfiguration");
        }
        return r;
}

/* A manager from before PackageType says Runtime of zip functions only. */
static bool is_zip(const ManagerFunction *mf)
{
        return mf->package_type ? strcmp(mf->package_type, "Zip") == 0 : !!mf->runtime;
}

int function_configuration_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *decl = NULL, *fc = json_object_new_object(), *arch = NULL;
        json_object *env;
        char group[LAMBDA_LOG_GROUP_MAX];
        bool zip = is_zip(mf);
        const char *runtime, *handler;
        char arn[512];
        int r;

        if (!fc)
                return -ENOMEM;
        /* A version's ARN is qualified by it. */
        (void) snprintf(arn, sizeof(arn), "%s%s%s", ctx->arn, mf->version ? ":" : "", mf->version ?: "");
        if (mf->declaration)
                decl = json_tokener_parse(mf->declaration);
        if (decl && !json_object_is_type(decl, json_type_object))
                decl = (json_object_put(decl), NULL);
        runtime = mf->runtime ?: declaration_string(decl, "runtime");
        handler = mf->handler ?: declaration_string(decl, "handler");
        env = declaration_member(decl, "environment", json_type_object);

        r = api_add_string(fc, "FunctionName", ctx->name);
        if (r >= 0)
                r = api_add_string(fc, "FunctionArn", arn);
        if (r >= 0 && zip && runtime)
                r = api_add_string(fc, "Runtime", runtime);
        if (r >= 0)
                r = api_add_string(fc, "Role", ROLE_DEFAULT);
        if (r >= 0 && zip && handler)
                r = api_add_string(fc, "Handler", handler);
        if (r >= 0)
                r = api_add_int(fc, "CodeSize", (int64_t) (zip ? mf->code_size : 0));
        if (r >= 0)
                r = api_add_string(fc, "Description", declaration_string(decl, "description") ?: "");
        if (r >= 0)
                r = api_add_int(fc, "Timeout",
                                declaration_int(decl, "timeout_sec", LAMBDA_TIMEOUT_SEC_DEFAULT));
        if (r >= 0)
                r = api_add_int(fc, "MemorySize",
                                declaration_int(decl, "memory_mb", LAMBDA_MEMORY_MB_DEFAULT));
        if (r >= 0 && mf->last_modified)
                r = api_add_string(fc, "LastModified", mf->last_modified);
        if (r >= 0)
                r = api_add_string(fc, "CodeSha256", mf->code_sha256 ?: "");
        if (r >= 0)
                r = api_add_string(fc, "Version", mf->version ?: "$LATEST");
        if (r >= 0 && env && json_object_object_length(env) > 0) {
                _cleanup_(json_object_putp) json_object *e = json_object_new_object();

                r = e ? api_add_copy(e, "Variables", env) : -ENOMEM;
                if (r >= 0)
                        r = api_add(fc, "Environment", TAKE_PTR(e));
        }
        if (r >= 0)
                r = add_object(fc, "TracingConfig", "Mode", LAMBDA_TRACING_MODE, NULL, NULL);
        if (r >= 0 && mf->revision_id)
                r = api_add_string(fc, "RevisionId", mf->revision_id);
        if (r >= 0)
                r = add_state(fc, mf);
        if (r >= 0)
                r = api_add_string(fc, "PackageType", zip ? "Zip" : "Image");
        if (r >= 0 && !zip)
                r = add_image_config(fc, decl);
        if (r >= 0) {
                arch = json_object_new_array();
                r = arch ? json_object_array_add(arch, json_object_new_string(ctx->arch ?: "x86_64"))
                         : -ENOMEM;
                if (r >= 0)
                        r = api_add(fc, "Architectures", TAKE_PTR(arch));
        }
        if (r >= 0) {
                _cleanup_(json_object_putp) json_object *storage = json_object_new_object();

                r = storage ? api_add_int(storage, "Size", LAMBDA_EPHEMERAL_STORAGE_MB) : -ENOMEM;
                if (r >= 0)
                        r = api_add(fc, "EphemeralStorage", TAKE_PTR(storage));
        }
        if (r >= 0)
                r = add_object(fc, "SnapStart", "ApplyOn", LAMBDA_SNAP_START_APPLY_ON, "OptimizationStatus",
                               "Off");
        lambda_log_group(ctx->name, group);
        if (r >= 0)
                r = add_object(fc, "LoggingConfig", "LogFormat", LAMBDA_LOG_FORMAT, "LogGroup", group);
        if (r < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(fc);
        return 0;
}

int function_get_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *root = json_object_new_object(), *fc = NULL, *decl = NULL,
                                                *code = json_object_new_object();
        json_object *tags;
        const char *image;
        int r;

        if (!root || !code)
                return -ENOMEM;
        r = function_configuration_json(mf, ctx, &fc);
        if (r < 0)
                return r;
        if (mf->declaration)
                decl = json_tokener_parse(mf->declaration);
        image = declaration_string(decl, "image");
        tags = declaration_member(decl, "tags", json_type_object);

        /* Where the code can be fetched is not served (yet): a zip's Location is left out. */
        r = api_add(root, "Configuration", TAKE_PTR(fc));
        if (r >= 0)
                r = api_add_string(code, "RepositoryType", is_zip(mf) ? "S3" : "ECR");
        if (r >= 0 && image && !is_zip(mf)) {
                r = api_add_string(code, "ImageUri", image);
                if (r >= 0)
                        r = api_add_string(code, "ResolvedImageUri", image);
        }
        if (r >= 0)
                r = api_add(root, "Code", TAKE_PTR(code));
        if (r >= 0 && tags && json_object_object_length(tags) > 0)
                r = api_add_copy(root, "Tags", tags);
        if (r >= 0 && declaration_member(decl, "max_instances", json_type_int)) {
                json_object *concurrency = NULL;

                r = concurrency_json(mf->declaration, &concurrency);
                if (r >= 0)
                        r = api_add(root, "Concurrency", concurrency);
        }
        if (r < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(root);
        return 0;
}

/* ---- the manager's messages ---- */

int function_version_json(const ManagerFunction *mf, const FunctionContext *ctx, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *fc = NULL;
        char arn[512];
        int r;

        r = function_configuration_json(mf, ctx, &fc);
        if (r < 0)
                return r;
        /* In a list of versions, each names its own: $LATEST's ARN is qualified too. */
        if (!mf->version) {
                (void) snprintf(arn, sizeof(arn), "%s:$LATEST", ctx->arn);
                if (api_add_string(fc, "FunctionArn", arn) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(fc);
        return 0;
}

int function_code_signing_json(const FunctionContext *ctx, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        int r;

        if (!root)
                return -ENOMEM;
        r = api_add_string(root, "CodeSigningConfigArn", "");
        if (r >= 0)
                r = api_add_string(root, "FunctionName", ctx->name);
        if (r < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(root);
        return 0;
}

static const struct {
        const char *declaration, *aws;
} field_names[] = {
        { "memory_mb", "MemorySize" },
        { "timeout_sec", "Timeout" },
        { "environment", "Environment" },
        { "runtime", "Runtime" },
        { "handler", "Handler" },
        { "image", "ImageUri" },
        { "entrypoint", "ImageConfig.EntryPoint" },
        { "command", "ImageConfig.Command" },
        { "working_directory", "ImageConfig.WorkingDirectory" },
        { "description", "Description" },
        { "tags", "Tags" },
        { "layers", "Layers" },
        { "code", "ZipFile" },
        { "zip", "ZipFile" },
        { "max_instances", "ReservedConcurrentExecutions" },
        { "maximum_retry_attempts", "MaximumRetryAttempts" },
        { "maximum_event_age_sec", "MaximumEventAgeInSeconds" },
        { "on_success", "DestinationConfig.OnSuccess" },
        { "on_failure", "DestinationConfig.OnFailure" },
};

static bool is_word_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether the word of n characters at p names a field where it stands: a name no prose uses
 * (memory_mb), or a word that labels ("handler: ..."), leads a path ("environment.KEY") or is quoted. */
static bool word_is_field(const char *message, const char *p, size_t n)
{
        char next = p[n], prev = p > message ? p[-1] : 0;

        return memchr(p, '_', n) || next == ':' || (next == '.' && is_word_char(p[n + 1])) ||
               ((prev == '\'' || prev == '"') && next == prev);
}

char *function_message_translate(const char *message)
{
        Buf b = {};
        int r = 0;

        if (!message)
                return NULL;
        for (const char *p = message; *p && r >= 0;) {
                size_t n = 0;
                const char *aws = NULL;

                if (!is_word_char(*p)) {
                        r = buf_append(&b, p++, 1);
                        continue;
                }
                while (is_word_char(p[n]))
                        n++;
                for (size_t i = 0; i < ELEMENTSOF(field_names) && word_is_field(message, p, n); i++)
                        if (strlen(field_names[i].declaration) == n &&
                            memcmp(p, field_names[i].declaration, n) == 0)
                                aws = field_names[i].aws;
                r = aws ? buf_append_str(&b, aws) : buf_append(&b, p, n);
                p += n;
        }
        if (r < 0 || buf_append(&b, "", 0) < 0) {
                buf_done(&b);
                return NULL;
        }
        return buf_steal(&b, NULL);
}
