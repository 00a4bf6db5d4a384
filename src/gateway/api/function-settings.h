/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-settings.h: the control-plane calls on a function's settings, as AWS Lambda's API has them:
 * PutFunctionConcurrency, GetFunctionConcurrency and DeleteFunctionConcurrency (204), and
 * {Put,Update,Get,Delete}FunctionEventInvokeConfig and ListFunctionEventInvokeConfigs. Each reads the
 * function's declaration (the manager's GetFunctionConfiguration) and, for a change, asks the manager's
 * UpdateFunction to change its keys (function-settings-json.h has the mapping), at the revision it
 * read: a change made meanwhile is a 412, an operator's function a 409 as for every change. Only
 * $LATEST exists: other qualifiers are functions not found.
 */

#include <stdbool.h>

#include "auth.h"
#include "client.h"
#include "route.h"

/* Answers route (one with ROUTE_FLAG_FUNCTION_SETTINGS) for caller (NULL when authentication is off), whom
 * the client already authenticated and authorized to manage the function. */
void function_settings_handle(ClientConn *c, const Route *route, const AuthEntry *caller);
