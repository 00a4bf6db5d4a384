/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-aliases.h: the aliases of the control-plane API's functions (CreateAlias, GetAlias, UpdateAlias,
 * DeleteAlias, ListAliases), each a name for $LATEST or a published version, and optionally a second
 * version with the weight (0.0 to 1.0) of the invocations it gets (RoutingConfig). They are kept in the
 * store (api-store.h, NAME.aliases, written atomically) and checked as Lambda checks them; the gateway
 * asks GetAlias for the versions an invocation of one may run, and draws between them.
 */

#include <systemd/sd-bus.h>

#include "manager.h"

int api_method_create_alias(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_get_alias(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_update_alias(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_delete_alias(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_list_aliases(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* 0 when no alias of version NAME:N's function points at it; else ResourceConflict naming them. */
int api_aliases_check_unused(Manager *m, const char *version, sd_bus_error *error);
