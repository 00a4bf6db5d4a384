/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-settings-json.h: a function's reserved concurrency and asynchronous invocation settings
 * (PutFunctionConcurrency, {Put,Update}FunctionEventInvokeConfig) in AWS Lambda's shapes, and their
 * mapping onto the declaration's keys (function-config.h): ReservedConcurrentExecutions is max_instances (0
 * throttles the function), MaximumRetryAttempts maximum_retry_attempts, MaximumEventAgeInSeconds
 * maximum_event_age_sec, and a destination's Lambda function ARN {"function": NAME}. Requests are
 * validated as Lambda validates them and turned into the changes of UpdateFunction (keys to set, null
 * for their default); answers are built from the declaration the manager keeps. Pure functions over
 * json-c values: unit-tested and fuzzed.
 */

#include <stdbool.h>

#include <json-c/json.h>

#include "api-json.h"
#include "function-shape.h"
#include "lambda-contract.h"

/* The largest ReservedConcurrentExecutions: the manager's largest max_instances. */
#define LAMBDA_RESERVED_CONCURRENCY_MAX 1000
/* DestinationArn's longest, as Lambda's model has it. */
#define LAMBDA_DESTINATION_ARN_MAX 350

/* UpdateFunction's changes of DeleteFunctionConcurrency and DeleteFunctionEventInvokeConfig. */
#define CONCURRENCY_DELETE_CHANGES "{\"max_instances\":null}"
#define EVENT_INVOKE_CONFIG_DELETE_CHANGES                                                     \
        "{\"maximum_retry_attempts\":null,\"maximum_event_age_sec\":null,\"on_success\":null," \
        "\"on_failure\":null}"

/* PutFunctionConcurrency's body: 0 and the changes ({"max_instances": N}) in *ret_changes, -EINVAL
 * with *e, -ENOMEM. */
int concurrency_request_parse(json_object *body, ApiError *e, char **ret_changes);

/* {Put,Update}FunctionEventInvokeConfig's body for function: 0 and the changes in *ret_changes (put:
 * every key, null for what the body leaves out, as Put replaces the whole configuration; update: only
 * what the body gives); -EINVAL with *e; -ENOMEM. */
int event_invoke_config_request_parse(json_object *body, const char *function, bool put, ApiError *e,
                                      char **ret_changes);

/* A destination's ARN: 0 and the function's bare name for a Lambda function ARN
 * (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:$LATEST]); -EINVAL with *e for any other (SQS,
 * SNS, EventBridge, S3 and Kafka destinations are not lambdad's), naming member in the message. */
int destination_arn_parse(const char *arn, const char *member, ApiError *e,
                          char ret_name[static LAMBDA_FUNCTION_NAME_MAX + 1]);

/* The declaration (JSON text; NULL or not an object counts as empty) as GetFunctionConcurrency
 * answers: {"ReservedConcurrentExecutions": N} when it sets max_instances, else {}. -ENOMEM. */
int concurrency_json(const char *declaration, json_object **ret);

/* Whether the declaration sets any of the asynchronous invocation settings. */
bool event_invoke_config_exists(const char *declaration);

/* FunctionEventInvokeConfig of the declaration: LastModified (epoch seconds, from last_modified in
 * AWS's form; absent when that is NULL or malformed), FunctionArn (ctx->arn), the settings the
 * declaration has, DestinationConfig with function destinations as ARNs beside ctx->arn's (a directory
 * destination, which only the operator declares, as "directory:/PATH"). -ENOMEM. */
int event_invoke_config_json(const char *declaration, const char *last_modified, const FunctionContext *ctx,
                             json_object **ret);

/* AWS's time form (2026-12-06T23:40:00.000+0000) in seconds since the epoch; -EINVAL if malformed. */
int lambda_timestamp_parse(const char *s, double *ret);
