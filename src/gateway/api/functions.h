/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * functions.h: the control-plane calls on one function, as AWS Lambda's API has them: CreateFunction
 * (201), GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration and
 * DeleteFunction (204); and ListVersionsByFunction and GetFunctionCodeSigningConfig as Lambda answers
 * them for a function without versions or code signing (Terraform reads both). The request is taken
 * apart (function-request.h), an uploaded zip decoded into a sealed memfd, the manager asked over the
 * bus (CreateFunction, UpdateFunction, DeleteFunction, GetFunctionConfiguration), and its answer or
 * error given in Lambda's shapes (function-shape.h), status codes and error types. Only $LATEST
 * exists: other qualifiers are functions not found.
 */

#include <systemd/sd-bus.h>

#include <json-c/json.h>

#include "auth.h"
#include "client.h"
#include "function-shape.h"
#include "route.h"

struct FunctionCall {
        ClientConn *client; /* NULL once the client left */
        RouteType type;
        char name[LAMBDA_FUNCTION_NAME_MAX + 1];
        const char *principal; /* who asked, for the log (the caller's entry outlives the call) */
};

/* Answers route (route_is_control_plane()) for caller (NULL when authentication is off), whom the
 * client already authenticated and, but for CreateFunction (whose body names the function),
 * authorized to manage the function. */
void functions_handle(ClientConn *c, const Route *route, const AuthEntry *caller);

/* GetFunctionConfiguration's a{sv} (and CreateFunction's and UpdateFunction's, the same), read from
 * its start, its strings borrowed from m. 0, or a negative errno for a malformed answer. */
int manager_function_read(sd_bus_message *m, ManagerFunction *ret);

/* The answers of functions_handle(), for the calls on a function's settings (function-settings.h): o as
 * JSON with status (NULL: 204 without a body); 404 for the function (qualified); the manager's error in
 * Lambda's terms; the request's body as JSON (-errno once the error is answered). */
void functions_reply(ClientConn *c, int status, json_object *o);
void functions_reply_not_found(ClientConn *c, const char *name, const char *qualifier);
void functions_reply_manager_error(ClientConn *c, const FunctionCall *fc, const sd_bus_error *e);
int functions_parse_body(ClientConn *c, json_object **ret);
