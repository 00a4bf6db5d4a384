/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * functions.h: the control-plane calls on one function, as AWS Lambda's API has them: CreateFunction
 * (201), GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration and
 * DeleteFunction (204); versions (PublishVersion, 201; ListVersionsByFunction; the Qualifier of
 * GetFunction, GetFunctionConfiguration and DeleteFunction) and aliases (CreateAlias, 201; GetAlias,
 * UpdateAlias, ListAliases, DeleteAlias, 204); provisioned concurrency of a version or alias
 * (PutProvisionedConcurrencyConfig, 202; GetProvisionedConcurrencyConfig;
 * DeleteProvisionedConcurrencyConfig, 204; ListProvisionedConcurrencyConfigs; provisioned-json.h);
 * the lists paged (list-answers.h); GetFunctionCodeSigningConfig as Lambda answers it for a function
 * without code signing. The request is taken apart (function-request.h, version-request.h), an
 * uploaded zip decoded into a sealed memfd, the manager asked over the bus (the method of the same
 * name, GetFunctionConfiguration, ListVersions), and its answer or error given in Lambda's shapes
 * (function-shape.h), status codes and error types. Publish: true of CreateFunction and
 * UpdateFunctionCode publishes a version once the change is made (PublishVersion) and answers with
 * its configuration. A version is the manager's function "NAME:N"; an alias qualifier is resolved to
 * its version first (GetAlias), and GetFunction[Configuration] through it shows the alias's ARN: both are
 * function-versions.h's.
 */

#include <systemd/sd-bus.h>

#include <json-c/json.h>

#include "auth.h"
#include "client.h"
#include "function-shape.h"
#include "route.h"

/* A function's ARN fits in this, as gateway_function_arn() writes it. */
#define FUNCTION_ARN_MAX 256

struct FunctionCall {
        ClientConn *client; /* NULL once the client left */
        RouteType type;
        char name[LAMBDA_FUNCTION_NAME_MAX + 1];
        /* The version or alias the route names ("" for $LATEST); the alias of the alias routes. */
        char qualifier[ROUTE_QUALIFIER_MAX + 1];
        bool resolving;        /* asking the manager for the alias that qualifier names (GetAlias) */
        Route invoke;          /* ROUTE_INVOKE of an alias: the route, to run once it is resolved */
        const char *principal; /* who asked, for the log (the caller's entry outlives the call) */
        bool publish;          /* CreateFunction, UpdateFunctionCode: Publish: true, then PublishVersion */
        RouteType published_from; /* PublishVersion of such a call: its route (else ROUTE_INVOKE) */
        char via_alias[ROUTE_QUALIFIER_MAX + 1]; /* GetFunction[Configuration] of the alias resolved */
        char marker[ROUTE_MARKER_MAX + 1];       /* the List routes' page */
        unsigned max_items;
        char function_version[16]; /* ListAliases' filter; "" when none */
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
/* Invoke (route_parse()'s ROUTE_INVOKE): of $LATEST, of a version ("NAME:N" for the manager), or of
 * an alias, which the manager is asked for (GetAlias) and which runs one of its versions by their
 * weights (a random draw per invocation). invocation_handle() then runs it. */
void functions_invoke(ClientConn *c, const Route *route);

/* The manager's name of the function route invokes when it is known without asking: route's function
 * ($LATEST) or "NAME:N" (a version). false for an alias (or a version that cannot be). */
bool functions_invoke_target(const Route *route, char target[static LAMBDA_FUNCTION_REF_MAX + 1]);

/* A call on fc->name for c (NULL once it answered the error itself). */
FunctionCall *functions_call_new(ClientConn *c, RouteType type, const char *name, const char *principal);
/* Asks the manager for fc (owned by the call from now on), with the request's body taken apart
 * (ApiRequest; NULL for none) and an upload's memfd (-EBADF for none); the answer goes to c. */
void functions_call_manager(ClientConn *c, FunctionCall *fc, const void *request, int zip_fd);
