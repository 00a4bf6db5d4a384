/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "function-request.h"
#include "function-settings.h"
#include "function-shape.h"
#include "functions.h"
#include "json-strict.h"
#include "lambda-contract.h"
#include "log.h"
#include "manager-client.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Requests are flat: Code and ImageConfig are the deepest, a level or two down. */
#define REQUEST_JSON_DEPTH 16
#define FUNCTION_ARN_MAX   256

static void function_call_free(void *userdata)
{
        FunctionCall *fc = userdata;

        if (fc && fc->client)
                fc->client->function_call = NULL;
        free(fc);
}

static void reply_json(ClientConn *c, int status, json_object *o)
{
        Gateway *g = c->gateway;
        char id[UUID_STRING_MAX];
        const char *body;

        body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!body)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        uuid_generator_next(&g->ids, id);
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "x-amzn-RequestId", id);
        metrics_observe(&g->metrics, NULL, status, false, false, 0);
        http_conn_end(c->http, body, strlen(body));
}

static void reply_no_content(ClientConn *c)
{
        Gateway *g = c->gateway;
        char id[UUID_STRING_MAX];

        uuid_generator_next(&g->ids, id);
        http_conn_begin(c->http, 204);
        http_conn_header(c->http, "x-amzn-RequestId", id);
        metrics_observe(&g->metrics, NULL, 204, false, false, 0);
        http_conn_end(c->http, NULL, 0);
}

static void reply_not_found(ClientConn *c, const char *name, const char *qualifier)
{
        char arn[FUNCTION_ARN_MAX], message[FUNCTION_ARN_MAX + 32];

        gateway_function_arn(c->gateway, name, arn, sizeof(arn));
        (void) snprintf(message, sizeof(message), "Function not found: %s%s%s", arn, qualifier ? ":" : "",
                        qualifier ?: "");
        client_reply_error(c, name, NULL, 404, "ResourceNotFoundException", message, NULL);
}

/* The manager's error in Lambda's terms. */
static void reply_manager_error(ClientConn *c, const FunctionCall *fc, const sd_bus_error *e)
{
        Gateway *g = c->gateway;
        const char *type;
        int status;

        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_FUNCTION_NOT_FOUND))
                return reply_not_found(c, fc->name, NULL);
        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_RESOURCE_CONFLICT))
                return client_reply_error(c, fc->name, NULL, 409, "ResourceConflictException",
                                          e->message ?: "The function is being changed.", NULL);
        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_PRECONDITION_FAILED))
                return client_reply_error(c, fc->name, NULL, 412, "PreconditionFailedException",
                                          e->message
                                                  ?: "The RevisionId provided does not match the latest "
                                                     "RevisionId for the Lambda function.",
                                          NULL);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS)) {
                _cleanup_free_ char *message = function_message_translate(e->message ?: "Invalid request.");

                return client_reply_error(c, fc->name, NULL, 400, "InvalidParameterValueException",
                                          message ?: e->message ?: "Invalid request.", NULL);
        }
        /* A manager that has not got the API, or a policy that keeps the gateway from it: retrying
         * does not help, and the operator must hear of it. */
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_ACCESS_DENIED)) {
                log_warning("The function manager refused %s: %s (a manager without the control-plane "
                            "API, or a D-Bus policy without it?)",
                            route_operation(fc->type), e->message ?: e->name);
                return client_reply_error(c, fc->name, NULL, 500, "ServiceException",
                                          "The function manager does not offer this operation.", NULL);
        }
        type = manager_error_status(e, &status);
        g->metrics.manager_errors += status == 503;
        client_reply_error(c, fc->name, NULL, status, type, e->message ?: "The function manager failed.",
                           NULL);
}

int manager_function_read(sd_bus_message *m, ManagerFunction *ret)
{
        static const struct {
                const char *key;
                size_t offset;
        } strings[] = {
                { LAMBDAD_CONFIG_SOURCE, offsetof(ManagerFunction, source) },
                { LAMBDAD_CONFIG_DECLARATION, offsetof(ManagerFunction, declaration) },
                { LAMBDAD_CONFIG_REVISION_ID, offsetof(ManagerFunction, revision_id) },
                { LAMBDAD_CONFIG_LAST_MODIFIED, offsetof(ManagerFunction, last_modified) },
                { LAMBDAD_CONFIG_PACKAGE_TYPE, offsetof(ManagerFunction, package_type) },
                { LAMBDAD_CONFIG_STATE, offsetof(ManagerFunction, state) },
                { LAMBDAD_CONFIG_STATE_REASON, offsetof(ManagerFunction, state_reason) },
                { LAMBDAD_CONFIG_LAST_UPDATE_STATUS, offsetof(ManagerFunction, last_update_status) },
                { LAMBDAD_CONFIG_LAST_UPDATE_STATUS_REASON,
                  offsetof(ManagerFunction, last_update_status_reason) },
                { LAMBDAD_CONFIG_RUNTIME, offsetof(ManagerFunction, runtime) },
                { LAMBDAD_CONFIG_HANDLER, offsetof(ManagerFunction, handler) },
                { LAMBDAD_CONFIG_CODE_SHA256, offsetof(ManagerFunction, code_sha256) },
        };
        ManagerFunction mf = {};
        int r;

        r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, **field = NULL;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                        if (strcmp(key, strings[i].key) == 0)
                                field = (const char **) ((char *) &mf + strings[i].offset);
                if (field)
                        r = sd_bus_message_read(m, "v", "s", field);
                else if (strcmp(key, LAMBDAD_CONFIG_CODE_SIZE) == 0) {
                        r = sd_bus_message_read(m, "v", "t", &mf.code_size);
                        mf.has_code_size = r >= 0;
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return r;
        *ret = mf;
        return 0;
}

static bool changes_function(RouteType type)
{
        return type == ROUTE_CREATE_FUNCTION || type == ROUTE_UPDATE_FUNCTION_CODE ||
               type == ROUTE_UPDATE_FUNCTION_CONFIGURATION || type == ROUTE_DELETE_FUNCTION;
}

static int on_answer(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        FunctionCall *fc = userdata;
        ClientConn *c = fc->client;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        _cleanup_(json_object_putp) json_object *o = NULL;
        char arn[FUNCTION_ARN_MAX];
        ManagerFunction mf;
        FunctionContext ctx;
        int r;

        /* The slot's destroy callback frees fc once this returns. */
        if (!c)
                return 0;
        c->function_call = NULL;
        fc->client = NULL;
        if (e) {
                reply_manager_error(c, fc, e);
                return 0;
        }
        c->gateway->manager_known = true;

        if (changes_function(fc->type))
                log_info("%s %s by %s.", route_operation(fc->type), fc->name, fc->principal);
        if (fc->type == ROUTE_DELETE_FUNCTION) {
                reply_no_content(c);
                return 0;
        }

        if (manager_function_read(m, &mf) < 0) {
                client_reply_error(c, fc->name, NULL, 502, "ServiceException",
                                   "The manager's answer is invalid.", NULL);
                return 0;
        }
        gateway_function_arn(c->gateway, fc->name, arn, sizeof(arn));
        ctx = (FunctionContext){ .name = fc->name, .arn = arn, .arch = lambda_architecture() };
        switch (fc->type) {
        case ROUTE_GET_FUNCTION:
                r = function_get_json(&mf, &ctx, &o);
                break;
        case ROUTE_LIST_VERSIONS_BY_FUNCTION:
                r = function_versions_json(&mf, &ctx, &o);
                break;
        case ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG:
                r = function_code_signing_json(&ctx, &o);
                break;
        default:
                r = function_configuration_json(&mf, &ctx, &o);
        }
        if (r < 0) {
                client_reply_error(c, fc->name, NULL, 500, "ServiceException", "Out of memory.", NULL);
                return 0;
        }
        reply_json(c, fc->type == ROUTE_CREATE_FUNCTION ? 201 : 200, o);
        return 0;
}

/* The request's body as JSON; the raw body is let go of once parsed (an upload is large). */
static int parse_body(ClientConn *c, json_object **ret)
{
        Buf *body = &c->http->req.body;
        enum json_tokener_error error;
        size_t end = 0;
        int r;

        if (body->len == 0 || memchr(body->data, 0, body->len)) {
                client_reply_error(c, NULL, NULL, 400, "InvalidRequestContentException",
                                   "Could not parse request body into json: expected a JSON object.", NULL);
                return -EINVAL;
        }
        r = json_parse_strict(body->data, body->len, REQUEST_JSON_DEPTH, ret, &end, &error);
        if (r >= 0 && strspn(body->data + end, " \t\r\n") != body->len - end) {
                json_object_put(*ret);
                r = -EBADMSG;
        }
        buf_done(body);
        if (r == -ENOMEM) {
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
                return r;
        }
        if (r < 0) {
                char message[256];

                (void) snprintf(message, sizeof(message), "Could not parse request body into json: %s.",
                                r == -EBADMSG && end < body->len ? "trailing data after the JSON value"
                                                                 : json_tokener_error_desc(error));
                client_reply_error(c, NULL, NULL, 400, "InvalidRequestContentException", message, NULL);
                return -EINVAL;
        }
        return 0;
}

/* The upload's zip in a sealed memfd, read by the manager from its start. */
static int zip_memfd(ClientConn *c, const FunctionRequest *req, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = memfd_create("lambdad-upload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) {
                r = -errno;
                log_warning_errno(r, "Failed to make a memfd for an upload: %m");
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "The upload cannot be taken.",
                                   NULL);
                return r;
        }
        r = function_zip_decode(req->zip, req->zip_len, fd);
        if (r == -EINVAL) {
                client_reply_error(c, NULL, NULL, 400, "InvalidParameterValueException",
                                   "Could not decode ZipFile: expected the zip file in base64.", NULL);
                return r;
        }
        if (r == -EFBIG) {
                client_reply_error(c, NULL, NULL, 413, "RequestEntityTooLargeException",
                                   "Zip file must be smaller than 52428800 bytes.", NULL);
                return r;
        }
        if (r >= 0 &&
            (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
             lseek(fd, 0, SEEK_SET) < 0))
                r = -errno;
        if (r < 0) {
                log_warning_errno(r, "Failed to write an upload to its memfd: %m");
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "The upload cannot be taken.",
                                   NULL);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static FunctionRequestKind request_kind(RouteType type)
{
        switch (type) {
        case ROUTE_CREATE_FUNCTION:
                return FUNCTION_REQUEST_CREATE;
        case ROUTE_UPDATE_FUNCTION_CODE:
                return FUNCTION_REQUEST_UPDATE_CODE;
        default:
                return FUNCTION_REQUEST_UPDATE_CONFIGURATION;
        }
}

static bool route_has_body(RouteType type)
{
        return type == ROUTE_CREATE_FUNCTION || type == ROUTE_UPDATE_FUNCTION_CODE ||
               type == ROUTE_UPDATE_FUNCTION_CONFIGURATION;
}

/* The manager's method for the route and its arguments. */
static int append_call(sd_bus_message *m, const FunctionCall *fc, const FunctionRequest *req, int zip_fd)
{
        int r;

        switch (fc->type) {
        case ROUTE_CREATE_FUNCTION:
                r = sd_bus_message_append(m, "ss", fc->name, req->declaration);
                break;
        case ROUTE_UPDATE_FUNCTION_CODE:
        case ROUTE_UPDATE_FUNCTION_CONFIGURATION:
                r = sd_bus_message_append(m, "sss", fc->name, req->revision_id ?: "", req->declaration);
                break;
        default:
                return sd_bus_message_append(m, "s", fc->name);
        }
        if (r >= 0)
                r = zip_fd >= 0 ? sd_bus_message_append(m, "ah", 1, zip_fd)
                                : sd_bus_message_append(m, "ah", 0);
        return r;
}

static const char *manager_method(RouteType type)
{
        switch (type) {
        case ROUTE_CREATE_FUNCTION:
                return "CreateFunction";
        case ROUTE_UPDATE_FUNCTION_CODE:
        case ROUTE_UPDATE_FUNCTION_CONFIGURATION:
                return "UpdateFunction";
        case ROUTE_DELETE_FUNCTION:
                return "DeleteFunction";
        default:
                return "GetFunctionConfiguration";
        }
}

static void call_manager(ClientConn *c, FunctionCall *fc, const FunctionRequest *req, int zip_fd)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        int r;

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, manager_method(fc->type));
        if (r >= 0)
                r = append_call(m, fc, req, zip_fd);
        /* An upload is unpacked and checked before the manager answers: the bound of a cold start. */
        if (r >= 0)
                r = sd_bus_call_async(g->bus, &slot, m, on_answer, fc, g->config.acquire_timeout_usec);
        if (r < 0) {
                free(fc);
                g->metrics.manager_errors++;
                return client_reply_error(c, NULL, NULL, 503, "ServiceException",
                                          "The function manager is not reachable.", NULL);
        }
        /* The slot owns fc from now on, whether the answer comes or the bus goes. */
        (void) sd_bus_slot_set_destroy_callback(slot, function_call_free);
        (void) sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        c->function_call = fc;
}

void functions_handle(ClientConn *c, const Route *route, const AuthEntry *caller)
{
        _cleanup_(function_request_done) FunctionRequest req = {};
        _cleanup_(api_error_done) ApiError error = {};
        _cleanup_(json_object_putp) json_object *body = NULL;
        _cleanup_close_ int zip_fd = -EBADF;
        FunctionCall *fc;
        int r;

        if (function_settings_route(route->type))
                return function_settings_handle(c, route, caller);
        if (route->qualifier[0] && strcmp(route->qualifier, "$LATEST") != 0)
                return reply_not_found(c, route->function, route->qualifier);

        if (route_has_body(route->type)) {
                if (parse_body(c, &body) < 0)
                        return;
                r = function_request_parse(request_kind(route->type), body,
                                           route->type == ROUTE_CREATE_FUNCTION ? NULL : route->function,
                                           lambda_architecture(), &req, &error);
                if (r == -ENOMEM)
                        return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.",
                                                  NULL);
                if (r < 0)
                        return client_reply_error(c, route->function[0] ? route->function : NULL, NULL,
                                                  error.status, error.type, error.message, NULL);
        }
        if (route->type == ROUTE_CREATE_FUNCTION &&
            client_authorize(c, caller, req.name, AUTH_RIGHT_MANAGE, route->type) < 0)
                return;
        if (req.zip && zip_memfd(c, &req, &zip_fd) < 0)
                return;
        /* The upload's text is in the memfd now. */
        json_object_put(TAKE_PTR(body));
        if (req.publish)
                log_debug("%s of %s asked to publish a version: lambdad has none, $LATEST changes.",
                          route_operation(route->type), req.name[0] ? req.name : route->function);

        fc = calloc(1, sizeof(FunctionCall));
        if (!fc)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        *fc = (FunctionCall){
                .client = c,
                .type = route->type,
                .principal = caller ? caller->name : "anybody (no authentication)",
        };
        (void) snprintf(fc->name, sizeof(fc->name), "%s",
                        route->type == ROUTE_CREATE_FUNCTION ? req.name : route->function);
        call_manager(c, fc, &req, zip_fd);
}

/* For the calls on a function's settings (function-settings.h), answered as the others are. */
void functions_reply(ClientConn *c, int status, json_object *o)
{
        if (o)
                reply_json(c, status, o);
        else
                reply_no_content(c);
}

void functions_reply_not_found(ClientConn *c, const char *name, const char *qualifier)
{
        reply_not_found(c, name, qualifier);
}

void functions_reply_manager_error(ClientConn *c, const FunctionCall *fc, const sd_bus_error *e)
{
        reply_manager_error(c, fc, e);
}

int functions_parse_body(ClientConn *c, json_object **ret)
{
        return parse_body(c, ret);
}
