/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * manager-client.h: the gateway's side of org.lambdad.Manager1 on the system bus: Acquire and Release
 * of instances, a short-bounded check that the manager answers at all (so that a manager that is
 * away gets 503 within --manager-timeout, never D-Bus's 25 s, for functions we hold no instance of),
 * its signals (a new lifetime, asked to Reclaim the instances we hold; an instance that stopped), the
 * bus connection's loss (reconnected with a back-off, serving on the instances held meanwhile), and
 * the HTTP status each of its errors means.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "gateway.h"
#include "lease.h"

/* Connects to the system bus and subscribes to the manager's signals. When the bus is not there
 * (yet), or goes away later, tries again after manager_bus_retry_usec(); only a failure to arrange
 * that is an error. */
int manager_client_start(Gateway *g);

/* The delay before the next try to reach the bus after this many failed ones: 50 ms, doubling, at
 * most 1 s. */
uint64_t manager_bus_retry_usec(unsigned retries);

/* Whether the bus is connected: until it is, nothing can reach the manager. */
bool manager_client_ready(const Gateway *g);

/* Invocations waiting without an Acquire in flight for them get one (after the manager is known to
 * answer). While it cannot be reached they get 503, unless we hold instances of their function: then
 * they wait for those (until their deadline). */
void manager_pump(GatewayFunction *f);

/* Tells the manager a lease ended. */
void manager_release(Gateway *g, const char *instance_id, bool healthy);

/* The HTTP status and x-amzn-ErrorType for an error the manager answered. */
const char *manager_error_status(const sd_bus_error *e, int *ret_status);

/* A function's configuration for its Event invocations, from GetFunctionConfiguration. */
typedef struct AsyncConfiguration {
        unsigned maximum_retry_attempts;
        uint64_t maximum_event_age_usec;
        char *on_success, *on_failure; /* "function:NAME", "directory:/PATH", or NULL */
        bool not_found;                /* the manager does not know the function (the rest: defaults) */
        bool throttled;                /* its max_instances is 0: events are refused (429) */
} AsyncConfiguration;

void async_configuration_done(AsyncConfiguration *c);

/* c is the handler's to keep (its strings are taken); error is 0, or -EIO when the manager could not
 * say (c is NULL then). A function the manager does not know, or a manager without the method, gets
 * the defaults: its invocation reports what is wrong. */
typedef void (*configuration_handler_t)(const AsyncConfiguration *c, int error, void *userdata);

/* Asks the manager; the handler is called once, unless *ret_slot is unref'd first. */
int manager_get_configuration(Gateway *g, const char *function, configuration_handler_t handler,
                              void *userdata, sd_bus_slot **ret_slot);
