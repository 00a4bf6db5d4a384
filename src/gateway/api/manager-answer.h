/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * manager-answer.h: the manager's answers about functions, versions and aliases read off the bus: a
 * function's a{sv} (GetFunctionConfiguration's, and CreateFunction's, UpdateFunction's and
 * PublishVersion's), an alias's (GetAlias's, CreateAlias's, UpdateAlias's), and lists of either
 * (ListVersions, ListAliases) as the JSON entries of Lambda's answers, and provisioned concurrency
 * configurations. Strings are borrowed from the
 * message; unknown keys are skipped. 0, or a negative errno for a malformed answer.
 */

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "function-shape.h"
#include "provisioned-json.h"
#include "version-request.h"

/* GetFunctionConfiguration's a{sv}, read from the message's start. */
int manager_function_read(sd_bus_message *m, ManagerFunction *ret);
/* ... where the message is (an entry of ListVersions'). */
int manager_function_read_next(sd_bus_message *m, ManagerFunction *ret);
/* An alias's a{sv}, where the message is; -EBADMSG without Name or FunctionVersion. */
int manager_alias_read(sd_bus_message *m, AliasSettings *ret);
/* An aa{sv} where the message is, of aliases (AliasConfigurations) or of functions (ListVersions'
 * entries, function_version_json()), appended to list. */
int manager_list_read(sd_bus_message *m, const FunctionContext *ctx, bool aliases, json_object *list);
/* A provisioned concurrency configuration's a{sv}, where m is; -EBADMSG without Qualifier or Status. */
int manager_provisioned_read(sd_bus_message *m, ProvisionedConfig *ret);
/* ListProvisionedConcurrencyConfigs' aa{sv}, where m is, into *ret (freed by the caller). */
int manager_provisioned_list_read(sd_bus_message *m, ProvisionedConfig **ret, size_t *ret_n);
