/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * unsupported-settings.h: Lambda's settings that lambdad does not have (VpcConfig, DeadLetterConfig,
 * KMSKeyArn, TracingConfig, FileSystemConfigs, SnapStart, EphemeralStorage, LoggingConfig,
 * CodeSigningConfigArn, ...) and their defaults: what the AWS tools send when nobody set them, which
 * requests may carry, and which answers report.
 */

#include <json-c/json.h>

#include "api-json.h"
#include "lambda-contract.h"

#define LAMBDA_EPHEMERAL_STORAGE_MB 512
#define LAMBDA_TRACING_MODE         "PassThrough"
#define LAMBDA_SNAP_START_APPLY_ON  "None"
#define LAMBDA_LOG_FORMAT           "Text"

/* The default LogGroup, "/aws/lambda/NAME". */
#define LAMBDA_LOG_GROUP_MAX (sizeof("/aws/lambda/") + LAMBDA_FUNCTION_NAME_MAX)
void lambda_log_group(const char *function, char buf[static LAMBDA_LOG_GROUP_MAX]);

/* The settings in body: 0 when each is absent or at its default (function, when not NULL, is the
 * function's name for LoggingConfig's LogGroup); -EINVAL with *e naming the first that is not. */
int api_check_unsupported(json_object *body, const char *function, ApiError *e);
