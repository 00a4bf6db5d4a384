/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invocation.h"
#include "lambda-contract.h"
#include "log.h"
#include "manager-client.h"
#include "strv.h"
#include "util.h"

/* How soon a gateway without the bus tries to reach it again: quickly after a blip, then every
 * second while it stays away. */
#define BUS_RETRY_MIN_USEC (50 * USEC_PER_MSEC)
#define BUS_RETRY_MAX_USEC (1 * USEC_PER_SEC)

#define MANAGER_AWAY_MESSAGE "The function manager is not available; retry shortly."
#define BUS_AWAY_MESSAGE     "The system bus is not reachable yet; retry shortly."

uint64_t manager_bus_retry_usec(unsigned retries)
{
        /* The count from 1; past a few doublings the cap holds anyway (and + 1 must not wrap). */
        return backoff_usec(MIN(retries, 32U) + 1, BUS_RETRY_MIN_USEC, BUS_RETRY_MAX_USEC);
}

const char *manager_error_status(const sd_bus_error *e, int *ret_status)
{
        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_FUNCTION_NOT_FOUND)) {
                *ret_status = 404;
                return "ResourceNotFoundException";
        }
        if (sd_bus_error_has_names(e, LAMBDAD_ERROR_LIMIT_EXCEEDED, LAMBDAD_ERROR_THROTTLED)) {
                *ret_status = 429;
                return "TooManyRequestsException";
        }
        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_START_FAILED)) {
                *ret_status = 502;
                return "ServiceException";
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS)) {
                *ret_status = 400;
                return "InvalidParameterValueException";
        }
        /* Unreachable, restarting, timed out, BackendUnavailable: try again shortly. */
        *ret_status = 503;
        return "ServiceException";
}

static int on_released(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                log_debug("Release failed: %s", e->message);
        return 0;
}

void manager_release(Gateway *g, const char *instance_id, bool healthy)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        /* A lifetime that is gone has nothing to take back, and the call would only activate the
         * next one. Also when it goes in the meantime (NameOwnerChanged may still be on its way): an
         * activation would cancel a `systemctl stop` of the manager. */
        if (!g->bus || g->manager_gone)
                return;
        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, "Release");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", instance_id, healthy);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_released, NULL, 0);
        if (r < 0)
                log_warning_errno(r, "Failed to release %s: %m", instance_id);
}

/* The manager's error for the invocation it was asked for. */
static void fail_waiting(GatewayFunction *f, const char *message, int status, const char *type,
                         const char *reason)
{
        Gateway *g = f->gateway;
        Invocation *inv;
        char text[320];

        /* The error answers the oldest waiting invocation: that is the one it was made for. Others keep
         * theirs; failing it comes last, as that may free the function. */
        inv = function_pop_waiting(f);
        manager_pump(f);
        if (!inv)
                return gateway_function_gc(f);
        if (status == 404) {
                gateway_function_not_found(g, f->name, text, sizeof(text));
                return invocation_fail(inv, status, type, text, NULL);
        }
        invocation_fail(inv, status, type, message, reason);
}

/* It answered: the short check is not needed before the next Acquire. Said once after an outage. */
static void manager_answers(Gateway *g)
{
        if (g->manager_away)
                log_info("The function manager answers again.");
        g->manager_away = false;
        g->manager_known = true;
}

static int on_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        GatewayFunction *f = userdata;
        Gateway *g = f->gateway;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *id, *host, *secret = NULL;
        uint16_t port;
        int thawed = 0;
        Invocation *inv;
        Lease *l;
        int r;

        f->acquiring--;
        if (e) {
                /* Reserved concurrency 0: nothing comes back to wait for. */
                bool throttled = sd_bus_error_has_name(e, LAMBDAD_ERROR_THROTTLED);
                int status;
                const char *type = manager_error_status(e, &status);

                /* Reserved concurrency counts the leases we keep idle on the function's other versions
                 * too: given back (the manager reads the Release before the next Acquire), ask again. */
                if (throttled && leases_release_idle_of(g, f->name) > 0) {
                        manager_pump(f);
                        return 0;
                }
                if (status == 503) {
                        g->manager_known = false;
                        g->metrics.manager_errors++;
                }
                /* At the limit, or the manager away, while we hold instances of the function: they
                 * come back as their invocations end, and serve the waiting ones (until their
                 * deadline, which counts from now on: the timers must learn of it). */
                if ((status == 429 || status == 503) && !throttled && function_holds_leases(f)) {
                        gateway_update_timers(g);
                        return 0;
                }
                fail_waiting(f, e->message ?: "The function could not be run.", status, type,
                             throttled       ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                             : status == 429 ? "ConcurrentInvocationLimitExceeded"
                                             : NULL);
                return 0;
        }
        g->manager_known = true;

        if (sd_bus_message_read(m, "ssq", &id, &host, &port) < 0) {
                fail_waiting(f, "The manager's answer is invalid.", 502, "ServiceException", NULL);
                return 0;
        }
        /* A manager before freeze/thaw says nothing more; one before instance secrets, no secret. */
        r = sd_bus_message_read(m, "b", &thawed);
        if (r > 0 && thawed)
                metrics_thawed(&g->metrics, f->name);
        if (r > 0 && sd_bus_message_read(m, "s", &secret) <= 0)
                secret = NULL;
        r = lease_new(f, id, host, port, secret, &l);
        if (r < 0) {
                log_warning_errno(r, "Failed to use instance %s at %s:%u: %m", id, host, port);
                manager_release(g, id, true);
                fail_waiting(f, "The instance cannot be reached.", 502, "ServiceException", NULL);
                return 0;
        }

        inv = function_pop_waiting(f);
        if (!inv) {
                /* The waiting invocation went away (its client left): keep the instance warm. */
                l->idle_since = now_usec(CLOCK_MONOTONIC);
                gateway_update_timers(g);
                return 0;
        }
        inv->cold = true;
        l->busy = true;
        invocation_start(inv, l);
        return 0;
}

static int call_acquire(GatewayFunction *f)
{
        Gateway *g = f->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, "Acquire");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", f->name);
        if (r < 0)
                return r;
        /* Once the manager is known to answer, a cold start may take its time; until then the short
         * bound applies, activation included. */
        r = sd_bus_call_async(g->bus, NULL, m, on_acquired, f, g->config.acquire_timeout_usec);
        if (r < 0)
                return r;
        f->acquiring++;
        return 0;
}

static void ping_manager(Gateway *g);

/* Fails a list of invocations (linked through wnext) with 503: last, as failing the last
 * invocation of a function may free the function. */
static void fail_all(Invocation *failed, const char *message)
{
        while (failed) {
                Invocation *inv = failed;

                failed = inv->wnext;
                inv->wnext = NULL;
                invocation_fail(inv, 503, "ServiceException", message, NULL);
        }
}

/* The manager cannot be reached: invocations waiting without an Acquire for them learn it now, 503,
 * unless we hold instances of their function: those serve them as they come free (until their
 * deadline, which the timers must know of). Only f's, or every function's (f NULL). */
static void fail_unserved(Gateway *g, GatewayFunction *only, const char *message)
{
        Invocation *failed = NULL;

        for (GatewayFunction *f = only ?: g->functions; f; f = only ? NULL : f->next) {
                if (function_holds_leases(f))
                        continue;
                while (f->n_waiting > f->acquiring) {
                        Invocation *inv = f->waiting_tail;

                        function_unqueue(inv);
                        inv->wnext = failed;
                        failed = inv;
                }
        }
        gateway_update_timers(g);
        fail_all(failed, message);
}

void manager_pump(GatewayFunction *f)
{
        Gateway *g = f->gateway;
        Invocation *failed = NULL;

        if (f->acquiring >= f->n_waiting)
                return;
        if (!g->bus)
                return fail_unserved(g, f, BUS_AWAY_MESSAGE);
        /* Whether the manager answers at all is learnt within the short bound first; the Acquire may
         * then take as long as a cold start does. */
        if (!g->manager_known)
                return ping_manager(g);

        while (f->acquiring < f->n_waiting)
                if (call_acquire(f) < 0) {
                        Invocation *inv = function_pop_waiting(f);

                        g->metrics.manager_errors++;
                        inv->wnext = failed;
                        failed = inv;
                }
        fail_all(failed, "The function manager is not reachable.");
}

/* Every function's waiting invocations, once the manager may answer again. */
static void pump_all(Gateway *g)
{
        /* Pumping may fail the last invocation of a function, and so free it. */
        for (GatewayFunction *f = g->functions, *next; f; f = next) {
                next = f->next;
                manager_pump(f);
        }
}

static int on_pong(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        g->pinging = false;
        if (!e) {
                manager_answers(g);
                pump_all(g);
                return 0;
        }

        /* Once per outage: every request meanwhile is counted in the metrics, not logged. */
        if (!g->manager_away)
                log_warning("The function manager does not answer: %s", e->message ?: e->name);
        g->manager_away = true;
        g->metrics.manager_errors++;
        fail_unserved(g, NULL, MANAGER_AWAY_MESSAGE);
        return 0;
}

static void ping_manager(Gateway *g)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (g->pinging)
                return;
        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           "org.freedesktop.DBus.Peer", "Ping");
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_pong, g, g->config.manager_timeout_usec);
        if (r < 0) {
                log_warning_errno(r, "Failed to reach the function manager: %m");
                return fail_unserved(g, NULL, MANAGER_AWAY_MESSAGE);
        }
        g->pinging = true;
}

static int on_reclaimed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        _cleanup_strv_free_ char **kept = NULL;
        unsigned held = leases_count(g);
        int r;

        g->reclaim = sd_bus_slot_unref(g->reclaim);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                /* A manager before Reclaim removes the instances of the lifetime before. */
                log_info("The new function manager lifetime reclaims no instances; forgetting the %u held.",
                         held);
                manager_answers(g);
                leases_forget(g, NULL);
        } else if (e) {
                log_warning("The new function manager lifetime did not say which instances it keeps (%s); "
                            "forgetting the %u held.",
                            e->message ?: e->name, held);
                leases_forget(g, NULL);
        } else if ((r = sd_bus_message_read_strv(m, &kept)) < 0) {
                log_warning_errno(r,
                                  "The manager's answer to Reclaim is invalid (%m); forgetting the %u "
                                  "instance(s) held.",
                                  held);
                leases_forget(g, NULL);
        } else {
                log_info("The new function manager lifetime kept %zu of the %u instance(s) held.",
                         strv_length(kept), held);
                manager_answers(g);
                leases_keep_only(g, kept);
        }
        /* What waited through the restart gets an instance now (or the manager's error). */
        pump_all(g);
        return 0;
}

/* A next lifetime of the manager took its name: it may have adopted the instances we hold leases on.
 * It is asked which; until it answers they keep serving. */
static void reclaim_leases(Gateway *g)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        r = leases_ids(g, &ids);
        if (r >= 0 && !ids)
                return pump_all(g); /* nothing held: as for any manager */
        if (r >= 0)
                r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME,
                                                   LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                                   "Reclaim");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, ids);
        /* For the owner that just appeared: if it went again, the next one is asked. */
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        /* It answers once its adoption at start is over: bounded like a cold start, not like a Ping. */
        if (r >= 0)
                r = sd_bus_call_async(g->bus, &g->reclaim, m, on_reclaimed, g,
                                      g->config.acquire_timeout_usec);
        if (r < 0) {
                log_warning_errno(r,
                                  "Failed to ask the new function manager lifetime for the instances held "
                                  "(%m); forgetting them.");
                leases_forget(g, NULL);
                return pump_all(g);
        }
        log_info("A new function manager lifetime appeared; asking it to keep the %zu instance(s) held.",
                 strv_length(ids));
}

static int on_manager_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        /* The answer of a lifetime that is no longer the owner says nothing of the next one. */
        g->reclaim = sd_bus_slot_unref(g->reclaim);
        if (old_owner[0] && !new_owner[0]) {
                /* Its instances live on: a next lifetime may adopt them, and the leases on them keep
                 * serving meanwhile (an instance that died fails its invocation, and is let go). */
                log_info("The function manager went away; serving on the %u instance(s) held.",
                         leases_count(g));
                g->manager_known = false;
                g->manager_gone = true;
        }
        if (new_owner[0]) {
                g->manager_gone = false;
                reclaim_leases(g);
        }
        return 0;
}

static int on_instance_stopped(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *id, *function, *reason;

        if (sd_bus_message_read(m, "sss", &id, &function, &reason) >= 0)
                leases_let_go(userdata, id);
        return 0;
}

static int on_bus_retry(sd_event_source *s, uint64_t usec, void *userdata);

static int arm_bus_retry(Gateway *g)
{
        int r;

        if (g->bus_retry) {
                r = sd_event_source_set_time_relative(g->bus_retry, manager_bus_retry_usec(g->bus_retries));
                if (r >= 0)
                        r = sd_event_source_set_enabled(g->bus_retry, SD_EVENT_ONESHOT);
                return r;
        }
        r = sd_event_add_time_relative(g->event, &g->bus_retry, CLOCK_MONOTONIC,
                                       manager_bus_retry_usec(g->bus_retries), 0, on_bus_retry, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(g->bus_retry, "bus-retry");
        return 0;
}

static int on_bus_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        int r;

        /* Calls in flight were answered with errors just before this. The leases held keep serving
         * their functions (the instances do not need the bus); what needs the manager gets 503 until
         * the bus is back. */
        log_warning("The system bus went away; serving on the %u instance(s) held, reconnecting.",
                    leases_count(g));
        g->reclaim = sd_bus_slot_unref(g->reclaim);
        g->bus = sd_bus_close_unref(g->bus);
        g->manager_known = g->pinging = false;
        g->bus_retries = 0;
        r = arm_bus_retry(g);
        if (r < 0) {
                log_error_errno(r, "Failed to arm the bus retry timer: %m");
                return sd_event_exit(g->event, r);
        }
        return 0;
}

/* Connects to the system bus and follows the manager's comings and goings on it, and its own loss. */
static int connect_bus(Gateway *g)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(
                bus, NULL,
                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                "member='NameOwnerChanged',arg0='" LAMBDAD_MANAGER_BUS_NAME "'",
                on_manager_owner_changed, NULL, g);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, NULL, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                              LAMBDAD_MANAGER_INTERFACE, "InstanceStopped",
                                              on_instance_stopped, NULL, g);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus.Local",
                                              "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                              "Disconnected", on_bus_disconnected, NULL, g);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to the manager's signals: %m");
        r = sd_bus_attach_event(bus, g->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus: %m");
        g->bus = TAKE_PTR(bus);
        /* A new connection is a new unique name: the leases of the last one ended with it, and what
         * the manager is now is learnt afresh. */
        g->manager_known = g->manager_gone = false;
        leases_forget(g, NULL);
        return 0;
}

static int on_bus_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;
        int r;

        r = connect_bus(g);
        if (r >= 0) {
                log_info("Connected to the system bus.");
                g->bus_retry = sd_event_source_disable_unref(g->bus_retry);
                g->bus_retries = 0;
                /* What waited for the bus on our instances asks the manager now. */
                pump_all(g);
                return 0;
        }
        log_full_errno(LOG_DEBUG, r, "The system bus is still not reachable: %m");
        g->bus_retries++;
        (void) arm_bus_retry(g);
        return 0;
}

int manager_client_start(Gateway *g)
{
        int r;

        r = connect_bus(g);
        if (r == -ENOMEM)
                return log_oom();
        if (r >= 0)
                return 0;

        /* A container deployment may start the gateway before the bus: serve anyway (503 for what
         * needs the manager, see manager_client_ready()) and connect once the bus is there. */
        log_warning_errno(r, "The system bus is not reachable (%m); retrying, answering 503 meanwhile.");
        r = arm_bus_retry(g);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the bus retry timer: %m");
        return 0;
}

bool manager_client_ready(const Gateway *g)
{
        return g->bus;
}

/* AWS's defaults, as the manager's declarations have them. */
static void async_configuration_defaults(AsyncConfiguration *c)
{
        *c = (AsyncConfiguration){
                .maximum_retry_attempts = LAMBDA_RETRY_ATTEMPTS_MAX,
                .maximum_event_age_usec = LAMBDA_EVENT_AGE_SEC_MAX * USEC_PER_SEC,
        };
}

void async_configuration_done(AsyncConfiguration *c)
{
        free(c->on_success);
        free(c->on_failure);
        async_configuration_defaults(c);
}

static int read_destination(sd_bus_message *m, char **slot)
{
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        free(*slot);
        *slot = strdup(s);
        return *slot ? 0 : -ENOMEM;
}

static int read_configuration(sd_bus_message *m, AsyncConfiguration *c)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                uint32_t u;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                /* Out of range values are brought into AWS's bounds, not trusted. */
                if (strcmp(key, LAMBDAD_CONFIG_MAX_INSTANCES) == 0) {
                        r = sd_bus_message_read(m, "v", "u", &u);
                        c->throttled = u == 0;
                } else if (strcmp(key, LAMBDAD_CONFIG_MAXIMUM_RETRY_ATTEMPTS) == 0) {
                        r = sd_bus_message_read(m, "v", "u", &u);
                        c->maximum_retry_attempts = MIN(u, LAMBDA_RETRY_ATTEMPTS_MAX);
                } else if (strcmp(key, LAMBDAD_CONFIG_MAXIMUM_EVENT_AGE_SECONDS) == 0) {
                        r = sd_bus_message_read(m, "v", "u", &u);
                        c->maximum_event_age_usec =
                                (uint64_t) MAX(MIN(u, LAMBDA_EVENT_AGE_SEC_MAX), LAMBDA_EVENT_AGE_SEC_MIN) *
                                USEC_PER_SEC;
                } else if (strcmp(key, LAMBDAD_CONFIG_ON_SUCCESS) == 0)
                        r = read_destination(m, &c->on_success);
                else if (strcmp(key, LAMBDAD_CONFIG_ON_FAILURE) == 0)
                        r = read_destination(m, &c->on_failure);
                else
                        r = sd_bus_message_skip(m, "v"); /* keys for other parts of the gateway */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

typedef struct ConfigurationCall {
        configuration_handler_t handler;
        void *userdata;
} ConfigurationCall;

static int on_configuration(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ConfigurationCall call = *(ConfigurationCall *) userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        AsyncConfiguration c;
        int r = 0;

        async_configuration_defaults(&c);
        if (!e)
                r = read_configuration(m, &c);
        else if (sd_bus_error_has_name(e, LAMBDAD_ERROR_FUNCTION_NOT_FOUND))
                c.not_found = true;
        else if (!sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD))
                r = -EIO;
        if (r < 0) {
                log_warning("Could not learn a function's configuration for its queued events: %s",
                            e ? (e->message ?: e->name) : strerror(-r));
                async_configuration_done(&c);
                call.handler(NULL, -EIO, call.userdata);
                return 0;
        }
        call.handler(&c, 0, call.userdata);
        return 0;
}

static void free_call(void *userdata)
{
        free(userdata);
}

int manager_get_configuration(Gateway *g, const char *function, configuration_handler_t handler,
                              void *userdata, sd_bus_slot **ret_slot)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        ConfigurationCall *call;
        int r;

        if (!g->bus)
                return -ENOTCONN;
        call = malloc(sizeof(ConfigurationCall));
        if (!call)
                return -ENOMEM;
        *call = (ConfigurationCall){ handler, userdata };
        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, "GetFunctionConfiguration");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", function);
        /* Bounded like every first call to the manager, activation included: never D-Bus's 25 s. */
        if (r >= 0)
                r = sd_bus_call_async(g->bus, ret_slot, m, on_configuration, call,
                                      g->config.manager_timeout_usec);
        if (r < 0) {
                free(call);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(*ret_slot, free_call);
        return 0;
}
