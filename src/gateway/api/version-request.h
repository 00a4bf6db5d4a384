/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * version-request.h: versions and aliases as AWS Lambda's API has them. The requests of PublishVersion,
 * CreateAlias and UpdateAlias validated as Lambda validates them (its members, patterns and bounds);
 * the manager's answer about an alias (GetAlias's a{sv}) in AWS's AliasConfiguration shape; and which
 * version an invocation of an alias runs, by its RoutingConfig's weight. Pure functions over json-c
 * values: unit-tested and fuzzed.
 */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "api-json.h"
#include "lambda-contract.h"

/* PublishVersion's body: each NULL when not given (borrowed from the body). */
typedef struct PublishRequest {
        const char *code_sha256, *description, *revision_id;
} PublishRequest;

/* 0 and *ret; -EINVAL with *e. A NULL body is an empty one (the request may have none). */
int publish_request_parse(json_object *body, PublishRequest *ret, ApiError *e);

/* What an alias is, or the change to one; strings borrowed (from the body or the manager's answer). */
typedef struct AliasSettings {
        const char *name;             /* CreateAlias's Name; GetAlias's */
        const char *function_version; /* "$LATEST" or a version; NULL: not given (UpdateAlias) */
        const char *description;      /* NULL: not given */
        const char *revision_id;      /* UpdateAlias's precondition, or the alias's; NULL: none */
        bool routing;                 /* RoutingConfig given (UpdateAlias: replaces the alias's) */
        const char *extra_version;    /* its one AdditionalVersionWeights entry; NULL: none */
        double extra_weight;          /* 0.0 to 1.0 */
} AliasSettings;

/* CreateAlias's (create) or UpdateAlias's body: 0 and *ret (borrowing from body); -EINVAL with *e. */
int alias_request_parse(bool create, json_object *body, AliasSettings *ret, ApiError *e);

/* AWS's AliasConfiguration of an alias of function_arn (unqualified): AliasArn, Name, FunctionVersion,
 * Description, RoutingConfig (when it has weights) and RevisionId. -ENOMEM. */
int alias_json(const AliasSettings *a, const char *function_arn, json_object **ret);

/* The version an invocation of a runs: u is uniform in [0, 1) (the caller's random draw); it runs the
 * additional version when u < its weight, else FunctionVersion. */
const char *alias_choose(const AliasSettings *a, double u);

/* A uniform draw in [0, 1) from 64 random bits. */
double alias_draw(uint64_t bits);
