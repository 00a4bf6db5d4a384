/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event-queue.h"
#include "function-settings-json.h"
#include "function-settings.h"
#include "functions.h"
#include "log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* A call in flight: GetFunctionConfiguration, then for a change UpdateFunction. Each step's slot holds
 * a reference. */
typedef struct SettingsCall {
        FunctionCall call; /* first: the client's function_call points at it */
        char *changes;     /* UpdateFunction's; NULL for the calls that only read */
        unsigned n_ref;
} SettingsCall;

static void settings_call_unref(void *userdata)
{
        SettingsCall *sc = userdata;

        if (!sc || --sc->n_ref > 0)
                return;
        if (sc->call.client)
                sc->call.client->function_call = NULL;
        free(sc->changes);
        free(sc);
}

/* The client still waiting for the answer (taken off the call), or NULL when it left. */
static ClientConn *settings_call_client(SettingsCall *sc)
{
        ClientConn *c = sc->call.client;

        if (c) {
                c->function_call = NULL;
                sc->call.client = NULL;
        }
        return c;
}

static int call_manager(ClientConn *c, SettingsCall *sc, const char *method, const char *revision_id,
                        sd_bus_message_handler_t callback)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        int r;

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, method);
        if (r >= 0)
                r = revision_id
                            ? sd_bus_message_append(m, "sssah", sc->call.name, revision_id, sc->changes, 0)
                            : sd_bus_message_append(m, "s", sc->call.name);
        if (r >= 0)
                r = sd_bus_call_async(g->bus, &slot, m, callback, sc, g->config.acquire_timeout_usec);
        if (r < 0) {
                g->metrics.manager_errors++;
                client_reply_error(c, NULL, NULL, 503, "ServiceException",
                                   "The function manager is not reachable.", NULL);
                return r;
        }
        sc->n_ref++;
        (void) sd_bus_slot_set_destroy_callback(slot, settings_call_unref);
        (void) sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        c->function_call = &sc->call;
        sc->call.client = c;
        return 0;
}

static void reply_no_config(ClientConn *c, const char *arn)
{
        char message[FUNCTION_ARN_MAX + 64];

        (void) snprintf(message, sizeof(message), "The function %s doesn't have an EventInvokeConfig", arn);
        client_reply_error(c, NULL, NULL, 404, "ResourceNotFoundException", message, NULL);
}

/* The answer of a call from the function's declaration; NULL for a 204. */
static int answer_json(RouteType type, const ManagerFunction *mf, const FunctionContext *ctx,
                       json_object **ret)
{
        _cleanup_(json_object_putp) json_object *list = NULL, *config = NULL;
        int r;

        *ret = NULL;
        switch (type) {
        case ROUTE_PUT_FUNCTION_CONCURRENCY:
        case ROUTE_GET_FUNCTION_CONCURRENCY:
                return concurrency_json(mf->declaration, ret);
        case ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG:
        case ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG:
        case ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG:
                return event_invoke_config_json(mf->declaration, mf->last_modified, ctx, ret);
        case ROUTE_LIST_FUNCTION_EVENT_INVOKE_CONFIGS:
                *ret = json_object_new_object();
                list = json_object_new_array();
                if (!*ret || !list)
                        return -ENOMEM;
                if (event_invoke_config_exists(mf->declaration)) {
                        r = event_invoke_config_json(mf->declaration, mf->last_modified, ctx, &config);
                        if (r < 0 || json_object_array_add(list, TAKE_PTR(config)) < 0)
                                return -ENOMEM;
                }
                return api_add(*ret, "FunctionEventInvokeConfigs", TAKE_PTR(list));
        default:
                return 0;
        }
}

static void answer(ClientConn *c, SettingsCall *sc, sd_bus_message *m)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        char arn[FUNCTION_ARN_MAX];
        ManagerFunction mf;
        FunctionContext ctx;

        if (manager_function_read(m, &mf) < 0)
                return client_reply_error(c, sc->call.name, NULL, 502, "ServiceException",
                                          "The manager's answer is invalid.", NULL);
        gateway_function_arn(c->gateway, sc->call.name, arn, sizeof(arn));
        ctx = (FunctionContext){ .name = sc->call.name, .arn = arn };
        if (answer_json(sc->call.type, &mf, &ctx, &o) < 0)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        functions_reply(c, 200, o);
}

static int on_updated(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SettingsCall *sc = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        ClientConn *c = settings_call_client(sc);

        if (!c)
                return 0;
        if (e) {
                functions_reply_manager_error(c, &sc->call, e);
                return 0;
        }
        log_info("%s %s by %s.", route_operation(sc->call.type), sc->call.name, sc->call.principal);
        /* What the queue knows of the function (its limit, retries, destinations) is asked again. */
        event_queue_function_changed(c->gateway->queue, sc->call.name);
        answer(c, sc, m);
        return 0;
}

static int on_configuration(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SettingsCall *sc = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        ClientConn *c = settings_call_client(sc);
        char arn[FUNCTION_ARN_MAX];
        ManagerFunction mf;

        if (!c)
                return 0;
        if (e) {
                functions_reply_manager_error(c, &sc->call, e);
                return 0;
        }
        c->gateway->manager_known = true;
        if (manager_function_read(m, &mf) < 0) {
                client_reply_error(c, sc->call.name, NULL, 502, "ServiceException",
                                   "The manager's answer is invalid.", NULL);
                return 0;
        }
        gateway_function_arn(c->gateway, sc->call.name, arn, sizeof(arn));
        if ((sc->call.type == ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG ||
             sc->call.type == ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG) &&
            !event_invoke_config_exists(mf.declaration)) {
                reply_no_config(c, arn);
                return 0;
        }
        if (!sc->changes) {
                answer(c, sc, m);
                return 0;
        }
        /* At the revision read: a change made meanwhile is not overwritten unseen. */
        (void) call_manager(c, sc, "UpdateFunction", mf.revision_id ?: "", on_updated);
        return 0;
}

/* The request's changes for the manager (NULL for the calls that only read): 0, or -errno once
 * answered. */
static int request_changes(ClientConn *c, const Route *route, char **ret)
{
        _cleanup_(api_error_done) ApiError error = {};
        _cleanup_(json_object_putp) json_object *body = NULL;
        const char *fixed = NULL;
        int r;

        *ret = NULL;
        switch (route->type) {
        case ROUTE_DELETE_FUNCTION_CONCURRENCY:
                fixed = CONCURRENCY_DELETE_CHANGES;
                break;
        case ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG:
                fixed = EVENT_INVOKE_CONFIG_DELETE_CHANGES;
                break;
        case ROUTE_PUT_FUNCTION_CONCURRENCY:
        case ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG:
        case ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG:
                break;
        default:
                return 0;
        }
        if (fixed) {
                *ret = strdup(fixed);
                r = *ret ? 0 : -ENOMEM;
        } else {
                r = functions_parse_body(c, &body);
                if (r < 0)
                        return r;
                r = route->type == ROUTE_PUT_FUNCTION_CONCURRENCY
                            ? concurrency_request_parse(body, &error, ret)
                            : event_invoke_config_request_parse(
                                      body, route->function,
                                      route->type == ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG, &error, ret);
        }
        if (r == -ENOMEM)
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        else if (r < 0)
                client_reply_error(c, route->function, NULL, error.status, error.type, error.message, NULL);
        return r;
}

void function_settings_handle(ClientConn *c, const Route *route, const AuthEntry *caller)
{
        _cleanup_free_ char *changes = NULL;
        SettingsCall *sc;

        if (route->qualifier[0] && strcmp(route->qualifier, "$LATEST") != 0)
                return functions_reply_not_found(c, route->function, route->qualifier);
        if (request_changes(c, route, &changes) < 0)
                return;

        sc = calloc(1, sizeof(SettingsCall));
        if (!sc)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        sc->call = (FunctionCall){
                .type = route->type,
                .principal = caller ? caller->name : "anybody (no authentication)",
        };
        (void) snprintf(sc->call.name, sizeof(sc->call.name), "%s", route->function);
        sc->changes = TAKE_PTR(changes);
        sc->n_ref = 1;
        (void) call_manager(c, sc, "GetFunctionConfiguration", NULL, on_configuration);
        settings_call_unref(sc);
}
