/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lambda-contract.h: what more than one of lambdad's programs must agree on, said once: the manager's
 * bus name, object, interface and error names; Lambda's limits (payloads, client context, function
 * names); and the rules for the Invoke API's request headers, which the gateway and lambda-rie check
 * alike.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-request.h"

/* org.lambdad.Manager1 */
#define LAMBDAD_MANAGER_BUS_NAME  "org.lambdad.Manager1"
#define LAMBDAD_MANAGER_OBJECT    "/org/lambdad/Manager1"
#define LAMBDAD_MANAGER_INTERFACE "org.lambdad.Manager1"

/* How long PublishVersionWhenReady waits for the function's code to load before it answers
 * ResourceConflict; the gateway's call to it allows longer. */
#define LAMBDAD_PUBLISH_WAIT_USEC ((uint64_t) 30 * 1000000)

/* lambda-rie's invoke endpoint where the environment says (the manager, for an instance with "network":
 * "none"): "unix:/PATH" or "HOST:PORT"; --listen wins. An address with port 0 in Acquire's answer means
 * that host is the absolute path of the instance's unix socket. */
#define RIE_LISTEN_ENV "LAMBDA_RIE_LISTEN"

#define LAMBDAD_ERROR_FUNCTION_NOT_FOUND  "org.lambdad.Error.FunctionNotFound"
#define LAMBDAD_ERROR_LIMIT_EXCEEDED      "org.lambdad.Error.LimitExceeded"
#define LAMBDAD_ERROR_BACKEND_UNAVAILABLE "org.lambdad.Error.BackendUnavailable"
#define LAMBDAD_ERROR_START_FAILED        "org.lambdad.Error.StartFailed"
#define LAMBDAD_ERROR_INSTANCE_NOT_FOUND  "org.lambdad.Error.InstanceNotFound"
#define LAMBDAD_ERROR_CANCELLED           "org.lambdad.Error.Cancelled"
#define LAMBDAD_ERROR_RESOURCE_CONFLICT   "org.lambdad.Error.ResourceConflict"
#define LAMBDAD_ERROR_PRECONDITION_FAILED "org.lambdad.Error.PreconditionFailed"
/* A version or alias without provisioned concurrency (Lambda's ProvisionedConcurrencyConfigNotFound). */
#define LAMBDAD_ERROR_PROVISIONED_NOT_FOUND "org.lambdad.Error.ProvisionedConcurrencyConfigNotFound"
/* The function's max_instances is 0 (AWS's reserved concurrency 0): every invocation is refused. */
#define LAMBDAD_ERROR_THROTTLED "org.lambdad.Error.Throttled"

/* GetFunctionConfiguration's key of the function's instance limit (u): 0 throttles it. */
#define LAMBDAD_CONFIG_MAX_INSTANCES "MaxInstances"

/* GetFunctionConfiguration's keys for asynchronous invocation: u, u, s, s (the destinations as
 * "function:NAME" or "directory:/PATH", absent when none). */
#define LAMBDAD_CONFIG_MAXIMUM_RETRY_ATTEMPTS    "MaximumRetryAttempts"
#define LAMBDAD_CONFIG_MAXIMUM_EVENT_AGE_SECONDS "MaximumEventAgeSeconds"
#define LAMBDAD_CONFIG_ON_SUCCESS                "OnSuccess"
#define LAMBDAD_CONFIG_ON_FAILURE                "OnFailure"

/* GetFunctionConfiguration's keys of a zip function (absent for an image function): s, s, s (AWS's
 * CodeSha256), t (CodeSize), s ("Zip"). */
#define LAMBDAD_CONFIG_RUNTIME      "Runtime"
#define LAMBDAD_CONFIG_HANDLER      "Handler"
#define LAMBDAD_CONFIG_CODE_SHA256  "CodeSha256"
#define LAMBDAD_CONFIG_CODE_SIZE    "CodeSize"
#define LAMBDAD_CONFIG_PACKAGE_TYPE "PackageType"

/* GetFunctionConfiguration's keys of every declared function (all s): where it comes from ("api",
 * "operator", "implicit"), its declaration as JSON text in the functions directory's format, its
 * revision and time of change (AWS's form, 2026-12-06T23:40:00.000+0000), State (Pending, Active,
 * Failed) and LastUpdateStatus (InProgress, Successful, Failed) with their reasons. */
#define LAMBDAD_CONFIG_SOURCE                    "Source"
#define LAMBDAD_CONFIG_DECLARATION               "Declaration"
#define LAMBDAD_CONFIG_REVISION_ID               "RevisionId"
#define LAMBDAD_CONFIG_LAST_MODIFIED             "LastModified"
#define LAMBDAD_CONFIG_STATE                     "State"
#define LAMBDAD_CONFIG_STATE_REASON              "StateReason"
#define LAMBDAD_CONFIG_LAST_UPDATE_STATUS        "LastUpdateStatus"
#define LAMBDAD_CONFIG_LAST_UPDATE_STATUS_REASON "LastUpdateStatusReason"
#define LAMBDAD_CONFIG_VERSION                   "Version"

/* AWS's bounds and defaults of an asynchronous invocation configuration. */
#define LAMBDA_RETRY_ATTEMPTS_MAX 2U
#define LAMBDA_EVENT_AGE_SEC_MIN  60U
#define LAMBDA_EVENT_AGE_SEC_MAX  21600U

/* The gateway's state (its queue of Event invocations) when systemd's StateDirectory= does not say,
 * and the root under which directory destinations must lie unless the manager is told otherwise. */
#define LAMBDAD_GATEWAY_STATE_DIRECTORY "/var/lib/lambdad-gateway"
#define DESTINATION_ROOT_DEFAULT        LAMBDAD_GATEWAY_STATE_DIRECTORY "/destinations"

/* Lambda's payload limit for synchronous invocations and function responses. */
#define LAMBDA_PAYLOAD_MAX ((uint64_t) 6 * 1024 * 1024)
/* ... and for asynchronous (Event) invocations. */
#define LAMBDA_EVENT_PAYLOAD_MAX ((uint64_t) 1024 * 1024)
/* The Runtime API accepts a little more than the payload limit for the response envelope. */
#define LAMBDA_RUNTIME_RESPONSE_MAX ((uint64_t) 6291556)
/* A streamed response (InvokeWithResponseStream) may be this large, as in Lambda. */
#define LAMBDA_STREAM_RESPONSE_MAX ((uint64_t) 20 * 1024 * 1024)
/* X-Amz-Client-Context: base64 of at most this many bytes. */
#define LAMBDA_CLIENT_CONTEXT_MAX 3583U
/* A function's settings as Lambda bounds them (MB, seconds), and its defaults. */
#define LAMBDA_MEMORY_MB_MIN       128U
#define LAMBDA_MEMORY_MB_MAX       10240U
#define LAMBDA_MEMORY_MB_DEFAULT   128U
#define LAMBDA_TIMEOUT_SEC_MAX     900U
#define LAMBDA_TIMEOUT_SEC_DEFAULT 3U
/* Environment variables: names and values together, in bytes. */
#define LAMBDA_ENVIRONMENT_MAX 4096U
/* A zip uploaded through the API (CreateFunction, UpdateFunctionCode), decoded. */
#define LAMBDA_ZIP_UPLOAD_MAX ((uint64_t) 50 * 1024 * 1024)
/* ... and the request that carries it in base64, as Lambda bounds it ("Request must be smaller than
 * 69905067 bytes"). */
#define LAMBDA_API_REQUEST_MAX ((uint64_t) 69905067)

/* A bare function name: 1 to 64 of [A-Za-z0-9_-]. */
#define LAMBDA_FUNCTION_NAME_MAX 64U

bool lambda_function_name_is_valid(const char *name, size_t len);

/* A published version (PublishVersion): 1 to LAMBDA_VERSION_MAX, written without leading zeros. */
#define LAMBDA_VERSION_MAX 999999999U
/* What the manager calls a function or one of its versions: NAME, or NAME:N for version N. */
#define LAMBDA_FUNCTION_REF_MAX (LAMBDA_FUNCTION_NAME_MAX + 1 + 9)

/* Whether s (len bytes) is a version number: 1 to LAMBDA_VERSION_MAX, no sign, no leading zero; true and
 * the version in *ret (may be NULL). */
bool lambda_version_parse(const char *s, size_t len, unsigned *ret);
/* Whether name is NAME or NAME:N; *ret_version (may be NULL) is N, or 0 for a bare name. */
bool lambda_function_ref_is_valid(const char *name, size_t len, unsigned *ret_version);

typedef enum LambdaInvocationType {
        LAMBDA_INVOKE_REQUEST_RESPONSE,
        LAMBDA_INVOKE_EVENT,
        LAMBDA_INVOKE_DRY_RUN,
} LambdaInvocationType;

typedef struct LambdaInvokeHeaders {
        LambdaInvocationType type;
        bool log_tail;              /* X-Amz-Log-Type: Tail */
        const char *client_context; /* X-Amz-Client-Context as sent (base64), or NULL */
} LambdaInvokeHeaders;

/*
 * The Invoke API's headers of a request: X-Amz-Invocation-Type (RequestResponse, Event, DryRun;
 * default RequestResponse), X-Amz-Log-Type (None, Tail) and X-Amz-Client-Context (base64 of at most
 * LAMBDA_CLIENT_CONTEXT_MAX bytes decoding to text that fits in a header). 0, or -EINVAL with the
 * x-amzn-ErrorType and message to answer 400 with.
 */
int lambda_invoke_headers_parse(const HttpRequest *req, LambdaInvokeHeaders *ret,
                                const char **ret_error_type, const char **ret_message);
