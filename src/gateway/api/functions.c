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
#include "function-versions.h"
#include "functions.h"
#include "manager-answer.h"
#include "json-strict.h"
#include "list-answers.h"
#include "lambda-contract.h"
#include "log.h"
#include "manager-client.h"
#include "provisioned-json.h"
#include "version-request.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Requests are flat: Code and ImageConfig are the deepest, a level or two down. */
#define REQUEST_JSON_DEPTH 16

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

/* The manager's "Function not found: NAME[:QUALIFIER]" or "Alias not found: NAME:ALIAS" with the ARN. */
static void reply_manager_not_found(ClientConn *c, const FunctionCall *fc, const char *message)
{
        static const char *const kinds[] = { "Function not found: ", "Alias not found: " };
        char arn[FUNCTION_ARN_MAX], text[FUNCTION_ARN_MAX + 32];

        /* An alias that a qualifier names and that is not there: the qualified function is not. */
        if (fc->resolving)
                return reply_not_found(c, fc->name, fc->qualifier);
        for (size_t i = 0; message && i < ELEMENTSOF(kinds); i++)
                if (strncmp(message, kinds[i], strlen(kinds[i])) == 0 &&
                    strlen(message) - strlen(kinds[i]) <=
                            LAMBDA_FUNCTION_NAME_MAX + 1 + ROUTE_QUALIFIER_MAX) {
                        gateway_function_arn(c->gateway, message + strlen(kinds[i]), arn, sizeof(arn));
                        (void) snprintf(text, sizeof(text), "%s%s", kinds[i], arn);
                        return client_reply_error(c, fc->name, NULL, 404, "ResourceNotFoundException", text,
                                                  NULL);
                }
        reply_not_found(c, fc->name, fc->qualifier[0] ? fc->qualifier : NULL);
}

/* The manager's error in Lambda's terms. */
static void reply_manager_error(ClientConn *c, const FunctionCall *fc, const sd_bus_error *e)
{
        Gateway *g = c->gateway;
        const char *type;
        int status;

        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_FUNCTION_NOT_FOUND))
                return reply_manager_not_found(c, fc, e->message);
        if (sd_bus_error_has_name(e, LAMBDAD_ERROR_PROVISIONED_NOT_FOUND))
                return client_reply_error(
                        c, fc->name, NULL, 404, "ProvisionedConcurrencyConfigNotFoundException",
                        e->message ?: "No Provisioned Concurrency Config found for this function", NULL);
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

static bool changes_function(RouteType type)
{
        return type == ROUTE_CREATE_FUNCTION || type == ROUTE_UPDATE_FUNCTION_CODE ||
               type == ROUTE_UPDATE_FUNCTION_CONFIGURATION || type == ROUTE_DELETE_FUNCTION ||
               type == ROUTE_PUBLISH_VERSION || type == ROUTE_CREATE_ALIAS || type == ROUTE_UPDATE_ALIAS ||
               type == ROUTE_DELETE_ALIAS || type == ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG ||
               type == ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG;
}

static int answer_status(const FunctionCall *fc)
{
        if (fc->published_from != ROUTE_INVOKE) /* Publish: true: the status of the call that asked */
                return fc->published_from == ROUTE_CREATE_FUNCTION ? 201 : 200;
        switch (fc->type) {
        case ROUTE_CREATE_FUNCTION:
        case ROUTE_PUBLISH_VERSION:
        case ROUTE_CREATE_ALIAS:
                return 201;
        case ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG:
                return 202;
        default:
                return 200;
        }
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
        if (fc->resolving) {
                function_versions_alias_resolved(c, fc, m);
                return 0;
        }

        if (changes_function(fc->type))
                log_info("%s %s%s%s by %s.", route_operation(fc->type), fc->name,
                         fc->qualifier[0] ? ":" : "", fc->qualifier, fc->principal);
        if (fc->publish) {
                function_versions_publish(c, fc);
                return 0;
        }
        if (fc->type == ROUTE_DELETE_FUNCTION || fc->type == ROUTE_DELETE_ALIAS ||
            fc->type == ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG) {
                reply_no_content(c);
                return 0;
        }

        gateway_function_arn(c->gateway, fc->name, arn, sizeof(arn));
        ctx = (FunctionContext){ .name = fc->name, .arn = arn, .arch = lambda_architecture() };
        switch (fc->type) {
        case ROUTE_LIST_VERSIONS_BY_FUNCTION:
        case ROUTE_LIST_ALIASES:
        case ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS: {
                _cleanup_(api_error_done) ApiError error = {};
                ListPage page = { .marker = fc->marker,
                                  .max_items = fc->max_items,
                                  .function_version = fc->function_version };

                r = list_answer_json(m, fc->type, &ctx, &page, &error, &o);
                if (r == -EINVAL) {
                        client_reply_error(c, fc->name, NULL, error.status, error.type, error.message, NULL);
                        return 0;
                }
                break;
        }
        case ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG:
        case ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG: {
                ProvisionedConfig p;

                r = sd_bus_message_rewind(m, true);
                if (r >= 0)
                        r = manager_provisioned_read(m, &p);
                if (r >= 0)
                        r = provisioned_config_json(&p, NULL, &o);
                break;
        }
        case ROUTE_CREATE_ALIAS:
        case ROUTE_GET_ALIAS:
        case ROUTE_UPDATE_ALIAS: {
                AliasSettings a;

                r = sd_bus_message_rewind(m, true);
                if (r >= 0)
                        r = manager_alias_read(m, &a);
                if (r >= 0)
                        r = alias_json(&a, arn, &o);
                break;
        }
        default:
                r = manager_function_read(m, &mf);
                if (r < 0)
                        break;
                if (fc->type == ROUTE_GET_FUNCTION)
                        r = function_get_json(&mf, &ctx, &o);
                else if (fc->type == ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG)
                        r = function_code_signing_json(&ctx, &o);
                else
                        r = function_configuration_json(&mf, &ctx, &o);
                if (r >= 0 && fc->via_alias[0])
                        r = function_versions_arn_of_alias(o, arn, fc->via_alias);
        }
        if (r == -ENOMEM) {
                client_reply_error(c, fc->name, NULL, 500, "ServiceException", "Out of memory.", NULL);
                return 0;
        }
        if (r < 0) {
                client_reply_error(c, fc->name, NULL, 502, "ServiceException",
                                   "The manager's answer is invalid.", NULL);
                return 0;
        }
        reply_json(c, answer_status(fc), o);
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
               type == ROUTE_UPDATE_FUNCTION_CONFIGURATION || type == ROUTE_PUBLISH_VERSION ||
               type == ROUTE_CREATE_ALIAS || type == ROUTE_UPDATE_ALIAS ||
               type == ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG;
}

/* What a request's body asked, as the route has it. */
typedef struct ApiRequest {
        FunctionRequest function;
        PublishRequest publish;
        AliasSettings alias;
        unsigned provisioned; /* ProvisionedConcurrentExecutions */
} ApiRequest;

static void api_request_done(ApiRequest *r)
{
        function_request_done(&r->function);
}

/* An alias's settings for CreateAlias and UpdateAlias (a{sv}: only what is given). */
static int append_alias(sd_bus_message *m, const AliasSettings *a)
{
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && a->function_version)
                r = sd_bus_message_append(m, "{sv}", "FunctionVersion", "s", a->function_version);
        if (r >= 0 && a->description)
                r = sd_bus_message_append(m, "{sv}", "Description", "s", a->description);
        if (r >= 0 && a->routing)
                r = a->extra_version
                            ? sd_bus_message_append(m, "{sv}", "AdditionalVersionWeights", "a{sd}", 1,
                                                    a->extra_version, a->extra_weight)
                            : sd_bus_message_append(m, "{sv}", "AdditionalVersionWeights", "a{sd}", 0);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* The manager's method for the route and its arguments. */
static int append_call(sd_bus_message *m, const FunctionCall *fc, const ApiRequest *req, int zip_fd)
{
        char target[LAMBDA_FUNCTION_REF_MAX + 1];
        int r;

        if (fc->resolving)
                return sd_bus_message_append(m, "ss", fc->name, fc->qualifier);
        switch (fc->type) {
        case ROUTE_CREATE_FUNCTION:
                r = sd_bus_message_append(m, "ss", fc->name, req->function.declaration);
                break;
        case ROUTE_UPDATE_FUNCTION_CODE:
        case ROUTE_UPDATE_FUNCTION_CONFIGURATION:
                r = sd_bus_message_append(m, "sss", fc->name, req->function.revision_id ?: "",
                                          req->function.declaration);
                break;
        case ROUTE_PUBLISH_VERSION:
                if (!req) /* Publish: true of CreateFunction or UpdateFunctionCode */
                        return sd_bus_message_append(m, "ssss", fc->name, "", "", "");
                return sd_bus_message_append(m, "ssss", fc->name, req->publish.code_sha256 ?: "",
                                             req->publish.revision_id ?: "", req->publish.description ?: "");
        case ROUTE_CREATE_ALIAS:
                r = sd_bus_message_append(m, "ss", fc->name, fc->qualifier);
                return r < 0 ? r : append_alias(m, &req->alias);
        case ROUTE_UPDATE_ALIAS:
                r = sd_bus_message_append(m, "sss", fc->name, fc->qualifier, req->alias.revision_id ?: "");
                return r < 0 ? r : append_alias(m, &req->alias);
        case ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG:
                return sd_bus_message_append(m, "ssu", fc->name, fc->qualifier, req->provisioned);
        case ROUTE_GET_ALIAS:
        case ROUTE_DELETE_ALIAS:
        case ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG:
        case ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG:
                return sd_bus_message_append(m, "ss", fc->name, fc->qualifier);
        default:
                /* A version is the manager's function NAME:N. */
                (void) snprintf(target, sizeof(target), "%s%s%.9s", fc->name, fc->qualifier[0] ? ":" : "",
                                fc->qualifier);
                return sd_bus_message_append(m, "s", target);
        }
        if (r >= 0)
                r = zip_fd >= 0 ? sd_bus_message_append(m, "ah", 1, zip_fd)
                                : sd_bus_message_append(m, "ah", 0);
        return r;
}

static const char *manager_method(const FunctionCall *fc)
{
        if (fc->resolving)
                return "GetAlias";
        switch (fc->type) {
        case ROUTE_UPDATE_FUNCTION_CODE:
        case ROUTE_UPDATE_FUNCTION_CONFIGURATION:
                return "UpdateFunction";
        case ROUTE_LIST_VERSIONS_BY_FUNCTION:
                return "ListVersions";
        case ROUTE_PUBLISH_VERSION:
                /* Publish: true of a change waits for its code; a PublishVersion of its own does not. */
                return fc->published_from != ROUTE_INVOKE ? "PublishVersionWhenReady" : "PublishVersion";
        case ROUTE_GET_FUNCTION:
        case ROUTE_GET_FUNCTION_CONFIGURATION:
        case ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG:
                return "GetFunctionConfiguration";
        default:
                /* The manager's method has the operation's name. */
                return route_operation(fc->type);
        }
}

void functions_call_manager(ClientConn *c, FunctionCall *fc, const void *request, int zip_fd)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        int r;

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, manager_method(fc));
        if (r >= 0)
                r = append_call(m, fc, request, zip_fd);
        /* An upload is unpacked and checked before the manager answers: the bound of a cold start;
         * PublishVersionWhenReady answers within its own bound. */
        if (r >= 0)
                r = sd_bus_call_async(g->bus, &slot, m, on_answer, fc,
                                      strcmp(manager_method(fc), "PublishVersionWhenReady") == 0
                                              ? MAX(g->config.acquire_timeout_usec,
                                                    LAMBDAD_PUBLISH_WAIT_USEC + 10 * USEC_PER_SEC)
                                              : g->config.acquire_timeout_usec);
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

FunctionCall *functions_call_new(ClientConn *c, RouteType type, const char *name, const char *principal)
{
        FunctionCall *fc = calloc(1, sizeof(FunctionCall));

        if (!fc) {
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
                return NULL;
        }
        *fc = (FunctionCall){ .client = c, .type = type, .principal = principal };
        (void) snprintf(fc->name, sizeof(fc->name), "%s", name);
        return fc;
}

/* Takes the request's body apart as the route wants it. */
static int parse_request(ClientConn *c, const Route *route, json_object *body, ApiRequest *req)
{
        _cleanup_(api_error_done) ApiError error = {};
        int r;

        switch (route->type) {
        case ROUTE_PUBLISH_VERSION:
                r = publish_request_parse(body, &req->publish, &error);
                break;
        case ROUTE_CREATE_ALIAS:
        case ROUTE_UPDATE_ALIAS:
                r = alias_request_parse(route->type == ROUTE_CREATE_ALIAS, body, &req->alias, &error);
                break;
        case ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG:
                r = provisioned_request_parse(body, &error, &req->provisioned);
                break;
        default:
                r = function_request_parse(request_kind(route->type), body,
                                           route->type == ROUTE_CREATE_FUNCTION ? NULL : route->function,
                                           lambda_architecture(), &req->function, &error);
        }
        if (r == -ENOMEM)
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        else if (r < 0)
                client_reply_error(c, route->function[0] ? route->function : NULL, NULL, error.status,
                                   error.type, error.message, NULL);
        return r;
}

void functions_handle(ClientConn *c, const Route *route, const AuthEntry *caller)
{
        _cleanup_(api_request_done) ApiRequest req = {};
        _cleanup_(json_object_putp) json_object *body = NULL;
        _cleanup_close_ int zip_fd = -EBADF;
        FunctionCall *fc;

        if (route_flags(route->type) & ROUTE_FLAG_FUNCTION_SETTINGS)
                return function_settings_handle(c, route, caller);
        /* PublishVersion may come without a body. */
        if (route_has_body(route->type) &&
            !(route->type == ROUTE_PUBLISH_VERSION && c->http->req.body.len == 0)) {
                if (parse_body(c, &body) < 0)
                        return;
                if (parse_request(c, route, body, &req) < 0)
                        return;
        }
        if (route->type == ROUTE_CREATE_FUNCTION &&
            client_authorize(c, caller, req.function.name, AUTH_RIGHT_MANAGE, route->type) < 0)
                return;
        if (req.function.zip && zip_memfd(c, &req.function, &zip_fd) < 0)
                return;
        /* The upload's text is in the memfd now. */
        if (req.function.zip)
                json_object_put(TAKE_PTR(body));

        fc = functions_call_new(c, route->type,
                                route->type == ROUTE_CREATE_FUNCTION ? req.function.name : route->function,
                                caller ? caller->name : "anybody (no authentication)");
        if (!fc)
                return;
        if (function_versions_route_qualifier(c, route, fc) < 0) {
                free(fc);
                return;
        }
        if (route->type == ROUTE_CREATE_ALIAS)
                (void) snprintf(fc->qualifier, sizeof(fc->qualifier), "%s", req.alias.name);
        fc->publish = req.function.publish &&
                      (route->type == ROUTE_CREATE_FUNCTION || route->type == ROUTE_UPDATE_FUNCTION_CODE);
        memcpy(fc->marker, route->marker, sizeof(fc->marker));
        memcpy(fc->function_version, route->function_version, sizeof(fc->function_version));
        fc->max_items = route->max_items;
        functions_call_manager(c, fc, &req, zip_fd);
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
