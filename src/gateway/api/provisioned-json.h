/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * provisioned-json.h: provisioned concurrency as AWS Lambda's API has it:
 * PutProvisionedConcurrencyConfig's body validated as Lambda validates it, and the manager's
 * configurations (its a{sv}, api-provisioned.h) in Lambda's shapes. Pure functions over json-c values:
 * unit-tested and fuzzed.
 */

#include <stdint.h>

#include <json-c/json.h>

#include "api-json.h"

/* ListProvisionedConcurrencyConfigs' MaxItems, at most (Lambda's model; list-answers.h pages it). */
#define PROVISIONED_LIST_MAX 50U

/* A version's or alias's configuration as the manager answers it (strings borrowed from the answer). */
typedef struct ProvisionedConfig {
        const char *qualifier;        /* the version or alias it was put on */
        const char *function_version; /* the version that has the instances */
        const char *status;           /* IN_PROGRESS, READY, FAILED */
        const char *status_reason;    /* "" unless FAILED */
        const char *last_modified;    /* AWS's form */
        unsigned requested, available, allocated;
} ProvisionedConfig;

/* PutProvisionedConcurrencyConfig's body: 0 and ProvisionedConcurrentExecutions in *ret (1 or more);
 * -EINVAL with *e; -ENOMEM. */
int provisioned_request_parse(json_object *body, ApiError *e, unsigned *ret);

/* Put's and Get's answer (function_arn NULL), or a list's item, with the FunctionArn of
 * function_arn:QUALIFIER. -ENOMEM. */
int provisioned_config_json(const ProvisionedConfig *p, const char *function_arn, json_object **ret);
