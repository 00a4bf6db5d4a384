/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-versions.h: the versions a control-plane call reaches other than by its own name, for
 * functions.c: alias qualifiers resolved to their version (GetAlias first), and Publish: true, which
 * publishes a version once CreateFunction's or UpdateFunctionCode's change is made.
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include <json-c/json.h>

#include "functions.h"

/* Which of the function route is about, in fc->qualifier: "" ($LATEST), a version, an alias
 * (fc->resolving: asked for first), or the alias of the alias routes. -EINVAL once answered. */
int function_versions_route_qualifier(ClientConn *c, const Route *route, FunctionCall *fc);

/* The manager's GetAlias answer m for fc: the call goes on with the alias's version (an Invoke: one of
 * its versions by their weights). */
void function_versions_alias_resolved(ClientConn *c, FunctionCall *fc, sd_bus_message *m);

/* fc's change is made and it asked Publish: true: the version is published (PublishVersionWhenReady),
 * its configuration the answer. */
void function_versions_publish(ClientConn *c, const FunctionCall *fc);

/* GetFunction[Configuration]'s answer o through an alias: its FunctionArn is the alias's. */
int function_versions_arn_of_alias(json_object *o, const char *function_arn, const char *alias);
