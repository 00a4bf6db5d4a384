/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * bus-service.h: the D-Bus interface org.lambdad.Manager1: its vtable (named arguments, as
 * dbus/org.lambdad.Manager1.xml describes them), the validation of every argument, and the methods
 * and properties, which hand the work to the pools and answer at once or through a PendingCall.
 */

#include "manager.h"
#include "registry.h"

int bus_service_register(Manager *m);

/* Runs a method call that adoption_defer() held, answering it as sd-bus would. */
void bus_service_dispatch(Manager *m, sd_bus_message *message);

/* Answers message with f's configuration (GetFunctionConfiguration's a{sv}). */
int bus_reply_function_configuration(Manager *m, sd_bus_message *message, ManagedFunction *f);
/* ... that a{sv} appended to reply. */
int bus_append_function_configuration(Manager *m, sd_bus_message *reply, ManagedFunction *f);
