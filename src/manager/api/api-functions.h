/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-functions.h: the manager's side of the control-plane API: CreateFunction, UpdateFunction and
 * DeleteFunction, the functions they make kept in the store of api-store.h and loaded beside the
 * operator's declarations, and what GetFunctionConfiguration says of every function's source,
 * revision and state. A change is checked whole before anything is stored: the declaration parsed,
 * a zip unpacked into the code store (off the loop); only then is the declaration written and the
 * function loaded, so a failed change leaves nothing behind. The operator's files are never changed.
 */

#include <systemd/sd-bus.h>

#include "api-store.h"
#include "manager.h"
#include "registry.h"

/* Opens the store (--api-functions-dir) and loads its declarations into reg, beside the operator's
 * (those win a name both have, the API's is then left unloaded, with a log line). -ENOMEM; a store
 * that cannot be opened is logged, and the API then refuses changes. */
int api_functions_load(Manager *m, Registry *reg);
void api_functions_free(Manager *m);

int api_method_create_function(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_update_function(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_delete_function(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* The store; NULL when there is none (api_check_changeable() says so). */
ApiStore *api_functions_store(Manager *m);
/* The function of that name the operator or the API declared (not an implicit one); NULL: none. */
const FunctionConfig *api_declared(Manager *m, const char *name);
/* A function the operator or the API declared, in *ret; else InvalidArgs or FunctionNotFound. */
int api_check_declared(Manager *m, const char *name, const FunctionConfig **ret, sd_bus_error *error);
/* The stored declaration of API function name and its revision, which must be revision (unless
 * empty: PreconditionFailed). */
int api_read_stored(Manager *m, const char *name, const char *revision, char **ret, ApiMeta *ret_meta,
                    sd_bus_error *error);
/* PreconditionFailed unless given is empty or current (a RevisionId). */
int api_check_revision(const char *given, const char *current, sd_bus_error *error);
/* A function the API may change (UpdateFunction, DeleteFunction, PublishVersion, the aliases): the
 * API's, not being changed; else a D-Bus error (InvalidArgs, FunctionNotFound, ResourceConflict). */
int api_check_changeable(Manager *m, const char *name, sd_bus_error *error);

/* AWS's form of a time (CLOCK_REALTIME): 2026-12-06T23:40:00.000+0000. */
void api_format_time(uint64_t usec, char ret[static 32]);

/* GetFunctionConfiguration's keys of f's source, declaration, revision and state (into an open a{sv}). */
int api_append_configuration(Manager *m, ManagedFunction *f, sd_bus_message *reply);
