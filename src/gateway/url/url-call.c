/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "function-url.h"
#include "lambda-contract.h"
#include "lease.h"
#include "log.h"
#include "manager-client.h"
#include "url-call.h"

int url_settings_read(sd_bus_message *m, UrlSettings *ret)
{
        UrlSettings s = {};
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, **slot = NULL;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "UrlAuthType") == 0)
                        slot = &s.auth;
                else if (strcmp(key, "UrlCors") == 0)
                        slot = &s.cors;
                else if (strcmp(key, "UrlInvokeMode") == 0)
                        slot = &s.invoke_mode;
                /* Other settings are other modules' business. */
                r = slot ? sd_bus_message_read(m, "v", "s", slot) : sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* The head of an answer: its status and headers, a Content-Type if it has none and default_type is
 * not NULL, and the request id. */
static void answer_head(ClientConn *c, const char *request_id, const FunctionUrlAnswer *a,
                        const char *default_type)
{
        http_conn_begin(c->http, a->status);
        for (size_t i = 0; i < a->n_headers; i++)
                http_conn_header(c->http, a->headers[i].name, a->headers[i].value);
        if (!a->has_content_type && default_type)
                http_conn_header(c->http, "Content-Type", default_type);
        http_conn_header(c->http, "x-amzn-RequestId", request_id);
}

/* default_type: the Content-Type when the answer names none (NULL: none, for an empty body). */
static void reply_answer(ClientConn *c, const char *request_id, FunctionUrlAnswer *a,
                         const char *default_type)
{
        answer_head(c, request_id, a, a->body.len > 0 ? default_type : NULL);
        http_conn_end(c->http, a->body.data ?: "", a->body.len);
}

static bool is_preflight(const HttpRequest *req)
{
        return strcmp(http_request_method(req), "OPTIONS") == 0 && http_request_header(req, "Origin") &&
               http_request_header(req, "Access-Control-Request-Method");
}

/* AWS answers preflights itself, from the URL's Cors; allowed or not, the status is 200 and only the
 * headers say. */
static void answer_preflight(ClientConn *c, const UrlSettings *s)
{
        Gateway *g = c->gateway;
        FunctionUrlAnswer a = { .status = 200 };
        char id[UUID_STRING_MAX];

        if (function_url_cors(s->cors, http_request_header(&c->http->req, "Origin"), true, &a) < 0) {
                function_url_answer_done(&a);
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Invalid CORS settings.",
                                          NULL);
        }
        uuid_generator_next(&g->ids, id);
        metrics_observe(&g->metrics, NULL, 200, false, false, 0);
        reply_answer(c, id, &a, "application/json");
        function_url_answer_done(&a);
}

static void source_ip(const ClientConn *c, char *buf, size_t size)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        buf[0] = 0;
        if (getpeername(c->http->fd, (struct sockaddr *) &ss, &len) < 0)
                return;
        if (ss.ss_family == AF_INET)
                (void) inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, buf, size);
        else if (ss.ss_family == AF_INET6)
                (void) inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, buf, size);
}

static void start_invocation(ClientConn *c, const Route *route, const UrlSettings *s)
{
        Gateway *g = c->gateway;
        HttpRequest *req = &c->http->req;
        _cleanup_free_ char *path = strndup(route->url_path, route->url_path_len),
                            *query = strndup(route->url_query, route->url_query_len);
        const char *origin = http_request_header(req, "Origin");
        char ip[INET6_ADDRSTRLEN];
        Invocation *inv;
        Buf event = {};
        int r;

        inv = invocation_new(c, route->function);
        if (!inv || !path || !query) {
                if (inv)
                        invocation_free(inv);
                return client_reply_error(c, route->function, NULL, 500, "ServiceException",
                                          "Out of memory.", NULL);
        }
        source_ip(c, ip, sizeof(ip));
        r = function_url_event_build(
                req,
                &(FunctionUrlEventInfo){
                        .raw_path = path,
                        .raw_query = query,
                        .domain_name = http_request_header(req, "Host") ?: "",
                        .api_id = route->function,
                        .account_id = strcmp(s->auth, "AWS_IAM") == 0 ? "000000000000" : "anonymous",
                        .source_ip = ip,
                        .request_id = inv->request_id,
                        .now_usec = now_usec(CLOCK_REALTIME),
                },
                &event);
        inv->url = true;
        inv->url_stream = s->invoke_mode && strcmp(s->invoke_mode, "RESPONSE_STREAM") == 0;
        inv->url_cors = strdup(s->cors ?: "{}");
        inv->url_origin = origin ? strdup(origin) : NULL;
        if (r < 0 || !inv->url_cors || (origin && !inv->url_origin)) {
                buf_done(&event);
                invocation_free(inv);
                return client_reply_error(c, route->function, NULL, 500, "ServiceException",
                                          "Out of memory.", NULL);
        }
        if (event.len > LAMBDA_PAYLOAD_MAX) {
                /* The body fit, but its event (base64 grows it by a third) does not. */
                buf_done(&event);
                invocation_free(inv);
                return client_reply_error(
                        c, route->function, NULL, 413, "RequestTooLargeException",
                        "Request must be smaller than 6291456 bytes for the InvokeFunction "
                        "operation",
                        NULL);
        }
        inv->payload = buf_steal(&event, &inv->payload_len);
        inv->client = c;
        c->invocation = inv;
        gateway_update_timers(g);
        function_queue(inv);
}

static int on_configuration(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        UrlCall *uc = userdata;
        ClientConn *c = uc->client;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        UrlSettings s;
        Gateway *g;
        int status;

        if (!c) {
                free(uc);
                return 0;
        }
        g = c->gateway;
        c->url_call = NULL;
        if (e && !sd_bus_error_has_name(e, LAMBDAD_ERROR_FUNCTION_NOT_FOUND)) {
                const char *type = manager_error_status(e, &status);

                g->metrics.manager_errors += status == 503;
                client_reply_error(c, uc->route.function, NULL, status, type,
                                   e->message ?: "The function manager failed.", NULL);
                free(uc);
                return 0;
        }
        if (!e && url_settings_read(m, &s) < 0) {
                client_reply_error(c, uc->route.function, NULL, 502, "ServiceException",
                                   "The manager's configuration is invalid.", NULL);
                free(uc);
                return 0;
        }
        g->manager_known = true;
        if (e || !s.auth) {
                char arn[256];
                _cleanup_free_ char *message = NULL;

                gateway_function_arn(g, uc->route.function, arn, sizeof(arn));
                if (asprintf(&message, "Function URL not found: %s has no URL.", arn) < 0)
                        message = NULL;
                client_reply_error(c, uc->route.function, NULL, 404, "ResourceNotFoundException",
                                   message ?: "Function URL not found.", NULL);
                free(uc);
                return 0;
        }

        if (is_preflight(&c->http->req))
                answer_preflight(c, &s);
        else if (strcmp(s.auth, "AWS_IAM") != 0 || client_check_auth(c, uc->route.function) >= 0)
                start_invocation(c, &uc->route, &s);
        free(uc);
        return 0;
}

void url_call_handle(ClientConn *c, const Route *route)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        UrlCall *uc;
        int r;

        if (!manager_client_ready(g))
                return client_reply_error(c, route->function, NULL, 503, "ServiceException",
                                          "The system bus is not reachable yet; retry shortly.", NULL);
        uc = calloc(1, sizeof(UrlCall));
        if (!uc)
                return client_reply_error(c, route->function, NULL, 500, "ServiceException",
                                          "Out of memory.", NULL);
        *uc = (UrlCall){ .client = c, .route = *route };

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, "GetFunctionConfiguration");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", route->function);
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_configuration, uc, g->config.manager_timeout_usec);
        if (r < 0) {
                free(uc);
                g->metrics.manager_errors++;
                return client_reply_error(c, route->function, NULL, 503, "ServiceException",
                                          "The function manager is not reachable.", NULL);
        }
        c->url_call = uc;
}

/* Whether the collected answer is a RESPONSE_STREAM URL's stream without a prelude (HEAD collects
 * those): AWS passes it on as it is, 200 with the runtime's type. */
static bool is_raw_stream(const Invocation *inv)
{
        return inv->url_stream && inv->instance_streamed && !function_url_has_prelude(inv->url_content_type);
}

#define PRELUDE_NULS "\0\0\0\0\0\0\0\0"

/* The Content-Type of a streamed answer that names none: a raw stream's is the runtime's. */
static const char *stream_type(const Invocation *inv)
{
        return is_raw_stream(inv) && inv->url_content_type ? inv->url_content_type
                                                           : "application/octet-stream";
}

/* The function's output, by the URL's invoke mode and what the function answered: AWS's buffered
 * rules, a prelude (its head, then the body), or a stream without a prelude. */
static int map_answer(Invocation *inv, FunctionUrlAnswer *ret)
{
        FunctionUrlPrelude p = {};
        size_t consumed;
        int r;

        /* A function that does not stream may still write a prelude as its whole answer; JSON holds
         * no NUL, so without the prelude's 8 NULs the answer is one for AWS's buffered rules. */
        if (!inv->url_stream ||
            (!inv->instance_streamed && !memmem(inv->answer.data ?: "", inv->answer.len, PRELUDE_NULS, 8)))
                return function_url_answer_parse(inv->answer.data ?: "", inv->answer.len, ret);
        if (is_raw_stream(inv)) {
                ret->status = 200;
                return buf_append(&ret->body, inv->answer.data ?: "", inv->answer.len);
        }
        r = function_url_prelude_feed(&p, inv->answer.data ?: "", inv->answer.len, &consumed, ret);
        function_url_prelude_done(&p);
        if (r == 0)
                return -EBADMSG; /* no head at all */
        if (r < 0)
                return r;
        r = buf_append(&ret->body, inv->answer.data + consumed, inv->answer.len - consumed);
        if (r < 0)
                function_url_answer_done(ret);
        return r;
}

/* A function's answer that cannot be mapped: -ENOMEM is 500, anything else 502. */
static void reply_unmapped(Invocation *inv, ClientConn *c, int error)
{
        if (error == -ENOMEM)
                return client_reply_error(c, inv->function->name, inv->request_id, 500, "ServiceException",
                                          "Out of memory.", NULL);
        log_info("Function URL invocation %s of '%s': the function's answer is malformed.", inv->request_id,
                 inv->function->name);
        client_reply_error(c, inv->function->name, inv->request_id, 502, "ServiceException",
                           "The function's answer is malformed.", NULL);
}

void url_call_answer(Invocation *inv, ClientConn *c)
{
        FunctionUrlAnswer a = {};
        int r;

        if (inv->function_error || inv->status != 200) {
                log_debug("Function URL invocation %s of '%s' failed (status %d%s).", inv->request_id,
                          inv->function->name, inv->status, inv->function_error ? ", function error" : "");
                return client_reply_error(c, inv->function->name, inv->request_id, 502, "ServiceException",
                                          "Internal Server Error", NULL);
        }
        r = map_answer(inv, &a);
        if (r >= 0)
                r = function_url_cors(inv->url_cors, inv->url_origin, false, &a);
        if (r < 0) {
                function_url_answer_done(&a);
                return reply_unmapped(inv, c, r);
        }
        reply_answer(c, inv->request_id, &a, is_raw_stream(inv) ? stream_type(inv) : "application/json");
        function_url_answer_done(&a);
}

int url_call_stream_begin(Invocation *inv, const char *content_type)
{
        inv->url_streaming = true;
        if (content_type && !(inv->url_content_type = strdup(content_type)))
                return -ENOMEM;
        if (!is_raw_stream(inv))
                return 0;
        /* No prelude: AWS answers 200 with the runtime's type, and the bytes as they are. */
        inv->url_prelude.state = PRELUDE_BODY;
        return 0;
}

/* The head of a streamed answer (a: the prelude's, or an empty one without a prelude), with CORS; the
 * body follows in chunks. */
static int stream_head(Invocation *inv, ClientConn *c, FunctionUrlAnswer *a)
{
        int r;

        r = function_url_cors(inv->url_cors, inv->url_origin, false, a);
        if (r < 0)
                return r;
        inv->answering = true;
        answer_head(c, inv->request_id, a, stream_type(inv));
        http_conn_end_head_chunked(c->http);
        return 0;
}

int url_call_stream_body(Invocation *inv, ClientConn *c, const char *p, size_t n)
{
        FunctionUrlAnswer head = { .status = 200 };
        size_t used = 0;
        int r;

        if (!inv->answering) {
                r = function_url_prelude_feed(&inv->url_prelude, p, n, &used, &head);
                if (r == 0)
                        return 0; /* the prelude goes on */
                if (r > 0)
                        r = stream_head(inv, c, &head);
                function_url_answer_done(&head);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* Nothing went out yet: 502, and the rest of the answer is dropped. */
                        inv->status = 502;
                        reply_unmapped(inv, invocation_detach(inv), r);
                        return 0;
                }
        }
        if (used < n)
                invocation_write(inv, c, p + used, n - used);
        return 0;
}

void url_call_stream_end(Invocation *inv, ClientConn *c)
{
        FunctionUrlAnswer a = { .status = 200 };
        int r;

        if (!c)
                return;
        if (inv->answering && inv->stream_error_type) {
                /* The client has the head and part of the body: only an answer that ends without its
                 * last chunk tells it that the rest is missing (RFC 9112 §7.1). */
                log_info("Function URL invocation %s of '%s' failed mid-stream (%s): its answer is cut off.",
                         inv->request_id, inv->function->name, inv->stream_error_type);
                return http_conn_cut(c->http);
        }
        if (!inv->answering && !inv->function_error && inv->url_prelude.state == PRELUDE_BODY) {
                /* Passed through, and empty. */
                r = stream_head(inv, c, &a);
                function_url_answer_done(&a);
                if (r < 0)
                        return reply_unmapped(inv, c, r);
        }
        if (inv->answering)
                return http_conn_finish(c->http, NULL, 0, NULL);
        /* An error before the first byte (502), or a prelude that never ended. */
        url_call_answer(inv, c);
}
