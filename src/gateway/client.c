/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "auth.h"
#include "client.h"
#include "functions.h"
#include "invocation.h"
#include "lambda-error.h"
#include "lease.h"
#include "list-functions.h"
#include "list.h"
#include "log.h"
#include "manager-client.h"
#include "route.h"
#include "trace.h"
#include "url-call.h"

static const HttpLimits client_limits = {
        .max_url = 8192,
        .max_head = 16384,
        .max_headers = HTTP_MAX_HEADERS,
        .max_body = LAMBDA_PAYLOAD_MAX,
};

static const char *status_class_error(int status)
{
        switch (status) {
        case 400:
                return "InvalidRequestContentException";
        case 404:
                return "ResourceNotFoundException";
        case 405:
                return "MethodNotAllowedException";
        case 408:
                return "RequestTimeoutException";
        case 413:
                return "RequestTooLargeException";
        case 414:
        case 431:
                return "InvalidRequestContentException";
        case 429:
                return "TooManyRequestsException";
        default:
                return "ServiceException";
        }
}

void client_reply_error(ClientConn *c, const char *function, const char *request_id, int status,
                        const char *type, const char *message, const char *reason)
{
        Gateway *g = c->gateway;
        char id[UUID_STRING_MAX];
        Buf b = {};

        if (!request_id) {
                uuid_generator_next(&g->ids, id);
                request_id = id;
        }
        (void) lambda_service_error_json(&b, message, reason);
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "x-amzn-RequestId", request_id);
        http_conn_header(c->http, "x-amzn-ErrorType", type ?: status_class_error(status));
        if (status == 429 || status == 503)
                http_conn_header(c->http, "Retry-After", "1");
        if (status == 405)
                http_conn_header(c->http, "Allow",
                                 route_allow(http_request_url(&c->http->req)) ?: "GET, POST");
        metrics_observe(&g->metrics, function, status, false, false, 0);
        http_conn_end(c->http, b.data ?: "", b.len);
        buf_done(&b);
}

void client_reply_plain(ClientConn *c, int status, const char *content_type, const char *body, size_t len)
{
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", content_type);
        metrics_observe(&c->gateway->metrics, NULL, status, false, false, 0);
        http_conn_end(c->http, body, len);
}

/* The types route.h promises for its errors: the Lambda API's for a bad parameter and an unknown path. */
static const char *route_error_type(int r)
{
        switch (r) {
        case -EINVAL:
                return "InvalidParameterValueException";
        case -ENOENT:
                return "UnknownOperationException";
        default:
                return NULL; /* by the status */
        }
}

/* uri-host [":" port] (RFC 3986): a reg-name or IPv4 address, or an IP literal in brackets. Empty is
 * allowed (a target without an authority). */
static bool host_value_is_valid(const char *v)
{
        const char *port = v;

        if (*v == '[') {
                port = strchr(v, ']');
                if (!port || port == v + 1 ||
                    strspn(v + 1, "0123456789abcdefABCDEF:.") != (size_t) (port - v - 1))
                        return false;
                port++;
        } else
                port += strspn(
                        v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%");
        if (*port == ':')
                port += 1 + strspn(port + 1, "0123456789");
        return *port == 0;
}

/* RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host header, HTTP/1.0 at most one, and its
 * value must be a host. */
static bool host_is_valid(const HttpRequest *req)
{
        unsigned n = 0;

        for (size_t i = 0; i < req->n_headers; i++)
                if (strcasecmp(req->head.data + req->headers[i].name, "Host") == 0) {
                        if (!host_value_is_valid(req->head.data + req->headers[i].value))
                                return false;
                        n++;
                }
        if (req->parser.http_minor >= 1)
                return n == 1;
        return n <= 1;
}

/* Answers what auth_check() or auth_authenticate() refused. */
static int reply_auth_refused(ClientConn *c, const char *function, int r, const char *message)
{
        static const char *const types[] = {
                [AUTH_MISSING] = "MissingAuthenticationTokenException",
                [AUTH_DENIED] = "InvalidSignatureException",
                [AUTH_FORBIDDEN_FUNCTION] = "AccessDeniedException",
                [AUTH_BAD_REQUEST] = "XAmzContentSHA256Mismatch",
        };

        Gateway *g = c->gateway;

        /* Nobody is known at all: no key can be right, so say how to configure one. */
        if (r >= 0 && g->auth && g->auth->n_api_keys == 0 && g->auth->n_credentials == 0)
                message = "This gateway has no API key and no credentials, so it refuses every request. "
                          "Set one: LAMBDAD_API_KEY=KEY in the gateway's environment (with docker compose: "
                          "a line LAMBDAD_API_KEY=KEY in the file .env beside docker-compose.yml, then "
                          "'docker compose up -d'), or add keys to its api-keys or credentials file; then "
                          "send 'Authorization: Bearer KEY'.";
        if (r == -ENOMEM)
                client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        else
                client_reply_error(c, function, NULL, r == AUTH_BAD_REQUEST ? 400 : 403,
                                   r >= 0 && (size_t) r < ELEMENTSOF(types) ? types[r]
                                                                            : "AccessDeniedException",
                                   message ?: "Access denied.", NULL);
        return -EACCES;
}

int client_check_auth(ClientConn *c, const char *function)
{
        Gateway *g = c->gateway;
        _cleanup_free_ char *principal = NULL;
        const char *message = NULL;
        int r;

        if (!g->config.auth)
                return 0;
        r = auth_check(g->auth, &c->http->req, function, AUTH_RIGHT_INVOKE,
                       now_usec(CLOCK_REALTIME) / USEC_PER_SEC, &principal, &message);
        if (r == AUTH_OK)
                return 0;
        return reply_auth_refused(c, function, r, message);
}

int client_authenticate(ClientConn *c, const AuthEntry **ret_caller)
{
        Gateway *g = c->gateway;
        const char *message = NULL;
        int r;

        *ret_caller = NULL;
        if (!g->config.auth)
                return 0;
        r = auth_authenticate(g->auth, &c->http->req, now_usec(CLOCK_REALTIME) / USEC_PER_SEC, ret_caller,
                              &message);
        if (r == AUTH_OK)
                return 0;
        return reply_auth_refused(c, NULL, r, message);
}

int client_authorize(ClientConn *c, const AuthEntry *caller, const char *function, AuthRight right,
                     RouteType route)
{
        Gateway *g = c->gateway;
        char arn[256], message[512];

        if (!g->config.auth || auth_entry_allows(caller, function, right))
                return 0;
        /* Who tried what is the operator's to know; the caller hears it in AWS's words. */
        log_warning("%s may not %s function %s: %s refused.", caller ? caller->name : "?",
                    right == AUTH_RIGHT_MANAGE ? "manage" : "invoke", function, route_operation(route));
        gateway_function_arn(g, function, arn, sizeof(arn));
        (void) snprintf(message, sizeof(message),
                        "User: %s is not authorized to perform: lambda:%s on resource: %s",
                        caller ? caller->name : "?", route_operation(route), arn);
        client_reply_error(c, function, NULL, 403, "AccessDeniedException", message, NULL);
        return -EACCES;
}

/* The control plane: the caller may manage the function the path names (CreateFunction's is in its
 * body: functions_handle() asks). */
static void handle_control_plane(ClientConn *c, const Route *route)
{
        const AuthEntry *caller = NULL;

        if (client_authenticate(c, &caller) < 0)
                return;
        if (route->type != ROUTE_CREATE_FUNCTION &&
            client_authorize(c, caller, route->function, AUTH_RIGHT_MANAGE, route->type) < 0)
                return;
        if (!manager_client_ready(c->gateway))
                return client_reply_error(c, NULL, NULL, 503, "ServiceException",
                                          "The system bus is not reachable yet; retry shortly.", NULL);
        functions_handle(c, route, caller);
}

/* The route of the current request, without its errors (those are on_request()'s to answer):
 * -ENOENT when it has none. */
static int current_route(HttpConn *h, Route *ret)
{
        const char *url = http_request_url(&h->req);

        if (route_function_url(url, http_request_header(&h->req, "Host"), ret, NULL, NULL) != -ENOENT)
                return -ENOENT;
        return route_parse(http_request_method(&h->req), url, ret, NULL, NULL);
}

/* Without the bus only the instances we hold serve: their functions' invocations go on. */
static bool bus_serves(Gateway *g, const Route *route)
{
        GatewayFunction *held;

        if (route->type != ROUTE_LIST_FUNCTIONS && route->type != ROUTE_INVOKE)
                return true;
        held = route->type == ROUTE_INVOKE ? gateway_function_find(g, route->function) : NULL;
        return manager_client_ready(g) || (held && function_holds_leases(held));
}

/* Whether the caller may invoke function, as its head alone tells: without authentication, or by an
 * api key. A SigV4 signature covers the body: such a request is checked once it is whole. */
static bool head_authorized(ClientConn *c, const char *function)
{
        Gateway *g = c->gateway;
        bool ok = !g->config.auth ||
                  (auth_by_bearer(&c->http->req) &&
                   auth_check(g->auth, &c->http->req, function, AUTH_RIGHT_INVOKE,
                              now_usec(CLOCK_REALTIME) / USEC_PER_SEC, NULL, NULL) == AUTH_OK);

        if (ok)
                trace_stamp(&c->trace, TRACE_AUTH);
        return ok;
}

/* Whether the invocation of this head may start before its body is in: a RequestResponse Invoke with
 * a body of a known length within the limit, that on_request() would not refuse for its head.
 * Anything else is collected whole first (and refused by on_request() if it is to be). */
static bool invoke_streams(HttpConn *h, const Route *route, LambdaInvokeHeaders *ret)
{
        ClientConn *c = h->userdata;
        const char *type, *message;

        return route->type == ROUTE_INVOKE && h->req.parser.http_major == 1 && h->req.content_length > 0 &&
               h->req.content_length <= LAMBDA_PAYLOAD_MAX && host_is_valid(&h->req) &&
               bus_serves(c->gateway, route) &&
               lambda_invoke_headers_parse(&h->req, ret, &type, &message) >= 0 &&
               ret->type == LAMBDA_INVOKE_REQUEST_RESPONSE && head_authorized(c, route->function);
}

/* The head is in: the body may be as large as its route takes (uploads of code are large), and an
 * invocation's goes to its instance as it comes. */
static int on_head(HttpConn *h)
{
        ClientConn *c = h->userdata;
        char target[LAMBDA_FUNCTION_REF_MAX + 1];
        LambdaInvokeHeaders invoke;
        Route route;

        c->body_streamed = false;
        if (current_route(h, &route) < 0) {
                h->req.limits.max_body = client_limits.max_body;
                return 0;
        }
        h->req.limits.max_body = route_max_body(route.type);
        /* An alias's version is asked of the manager first: such a body is read whole. */
        trace_stamp(&c->trace, TRACE_HEAD);
        if (invoke_streams(h, &route, &invoke) && functions_invoke_target(&route, target) &&
            invocation_stream_begin(c, &route, target, &invoke, h->req.content_length) >= 0)
                c->body_streamed = true;
        return 0;
}

static char *on_body_sink(HttpConn *h, size_t *ret_room)
{
        ClientConn *c = h->userdata;

        if (!c->body_streamed || !c->invocation || !c->invocation->body_streaming)
                return NULL;
        return invocation_stream_sink(c->invocation, ret_room);
}

static int on_body(HttpConn *h, const char *p, size_t n)
{
        ClientConn *c = h->userdata;

        /* Once the invocation answered (it failed), the rest of the body is dropped. */
        if (c->invocation && c->invocation->body_streaming)
                invocation_stream_body(c->invocation, p, n);
        return 0;
}

static void on_request(HttpConn *h)
{
        ClientConn *c = h->userdata;
        Gateway *g = c->gateway;
        const char *message = NULL;
        Route route;
        int status, r;

        if (c->body_streamed) {
                /* Its invocation started at its head and has the whole body now: it answers. */
                c->body_streamed = false;
                if (c->invocation)
                        invocation_stream_end(c->invocation);
                return;
        }
        if (h->req.parser.http_major != 1) {
                /* RFC 9112 §2.3: nothing but HTTP/1.x is spoken here; the rest of the request is not
                 * to be trusted. */
                h->close_after = true;
                return client_reply_error(c, NULL, NULL, 505, NULL,
                                          "Only HTTP/1.1 and HTTP/1.0 are supported.", NULL);
        }
        if (!host_is_valid(&h->req))
                return client_reply_error(c, NULL, NULL, 400, NULL,
                                          "An HTTP/1.1 request must carry exactly one valid Host header.",
                                          NULL);
        r = route_function_url(http_request_url(&h->req), http_request_header(&h->req, "Host"), &route,
                               &status, &message);
        if (r == 0)
                return url_call_handle(c, &route);
        if (r != -ENOENT)
                return client_reply_error(c, NULL, NULL, status, "InvalidRequestContentException",
                                          message ?: "Bad request.", NULL);
        r = route_parse(http_request_method(&h->req), http_request_url(&h->req), &route, &status, &message);
        if (r < 0)
                return client_reply_error(c, NULL, NULL, status, route_error_type(r),
                                          message ?: "Bad request.", NULL);
        if (route.type == ROUTE_HEALTHZ)
                return client_reply_plain(c, 200, "application/json", "{\"status\":\"ok\"}", 15);
        if (route_is_control_plane(route.type))
                return handle_control_plane(c, &route);
        if (client_check_auth(c, route.type == ROUTE_INVOKE ? route.function : NULL) < 0)
                return;
        trace_stamp(&c->trace, TRACE_AUTH);

        if (!bus_serves(g, &route))
                return client_reply_error(c, route.type == ROUTE_INVOKE ? route.function : NULL, NULL, 503,
                                          "ServiceException",
                                          "The system bus is not reachable yet; retry shortly.", NULL);

        switch (route.type) {
        case ROUTE_METRICS: {
                Buf b = {};

                if (metrics_render(&g->metrics, &b) < 0) {
                        buf_done(&b);
                        return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.",
                                                  NULL);
                }
                client_reply_plain(c, 200, "text/plain; version=0.0.4", b.data ?: "", b.len);
                buf_done(&b);
                return;
        }
        case ROUTE_LIST_FUNCTIONS:
                return list_functions_handle(c, &route);
        case ROUTE_INVOKE:
                return functions_invoke(c, &route);
        default:
                return client_reply_error(c, NULL, NULL, 404, NULL, "Unknown path.", NULL);
        }
}

/* Lambda's 413 for the route of the request: its type and message. */
static const char *too_large(HttpConn *h, char *message, size_t size)
{
        Route route;

        if (!h->req.headers_complete || current_route(h, &route) < 0 || route.type == ROUTE_INVOKE ||
            route.type == ROUTE_FUNCTION_URL) {
                (void) snprintf(message, size,
                                "Request must be smaller than %" PRIu64
                                " bytes for the InvokeFunction operation",
                                LAMBDA_PAYLOAD_MAX);
                return "RequestTooLargeException";
        }
        (void) snprintf(message, size, "Request must be smaller than %" PRIu64 " bytes for the %s operation",
                        route_max_body(route.type), route_operation(route.type));
        return "RequestEntityTooLargeException";
}

static void on_bad_request(HttpConn *h)
{
        ClientConn *c = h->userdata;
        int status = h->req.error_status ?: 400;
        char message[128];
        const char *type;

        if (status == 413) {
                type = too_large(h, message, sizeof(message));
                return client_reply_error(c, NULL, NULL, status, type, message, NULL);
        }
        client_reply_error(c, NULL, NULL, status, status_class_error(status),
                           h->req.error_reason ?: "Malformed HTTP request.", NULL);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        ClientConn *c = userdata;
        HttpConn *h = c->http;

        c->timer_armed = false;
        if (http_conn_answering(h))
                return 0;
        /* Nothing of a next request, or the rest of one already answered: just close. Part of one
         * (slow drip): 408. */
        if ((buf_empty(&h->in) && !h->req.started) || h->lingering) {
                http_conn_close(h);
                return 0;
        }
        h->busy = true;
        h->close_after = true;
        client_reply_error(c, NULL, NULL, 408, "RequestTimeoutException",
                           "The request did not arrive in time.", NULL);
        return 0;
}

static void on_watch(HttpConn *h, uint32_t events)
{
        ClientConn *c = h->userdata;
        Gateway *g = c->gateway;

        (void) sd_event_source_set_io_events(c->io, events);
        (void) sd_event_source_set_enabled(c->io, events ? SD_EVENT_ON : SD_EVENT_OFF);

        /* A request must arrive whole within the timeout from when the connection became ready for it;
         * reading does not extend it (slowloris). */
        if (http_conn_answering(h)) {
                c->timer_armed = false;
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        } else if (!c->timer_armed) {
                c->timer_armed = true;
                (void) sd_event_source_set_time_relative(c->timer, g->config.request_timeout_usec);
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        }
}

static void on_drained(HttpConn *h)
{
        ClientConn *c = h->userdata;

        if (c->invocation)
                invocation_client_drained(c->invocation);
}

static void on_closing(HttpConn *h)
{
        ClientConn *c = h->userdata;
        Gateway *g = c->gateway;

        if (c->invocation) {
                Invocation *inv = c->invocation;

                c->invocation = NULL;
                invocation_client_gone(inv);
        }
        if (c->list_call)
                c->list_call->client = NULL;
        if (c->url_call)
                c->url_call->client = NULL;
        if (c->function_call)
                c->function_call->client = NULL;
        if (c->event_accept)
                event_accept_forget(c->event_accept);
        LIST_REMOVE(g->clients, c);
        g->n_clients--;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        free(c);
        gateway_update_timers(g);
}

static const HttpConnOps client_ops = {
        .head = on_head,
        .body = on_body,
        .body_sink = on_body_sink,
        .request = on_request,
        .bad_request = on_bad_request,
        .watch = on_watch,
        .closing = on_closing,
        .drained = on_drained,
};

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        ClientConn *c = userdata;

        if (trace_on() && (revents & EPOLLIN) && c->trace.t[TRACE_READ] == 0) {
                c->trace.t[TRACE_READ] = trace_now();
                c->trace.request_on_connection++;
        }
        http_conn_on_io(c->http, revents);
        return 0;
}

int client_new(Gateway *g, int fd)
{
        ClientConn *c;
        int one = 1, r;

        /* Answers may go out in pieces as they stream: none may wait for the client's ACK. */
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

        c = calloc(1, sizeof(ClientConn));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->gateway = g;
        trace_stamp(&c->trace, TRACE_ACCEPT);
        r = http_conn_new(&c->http, fd, &client_limits, &client_ops, c);
        if (r < 0) {
                safe_close(fd);
                free(c);
                return r;
        }
        LIST_PREPEND(g->clients, c);
        g->n_clients++;
        g->metrics.connections_total++;

        r = sd_event_add_io(g->event, &c->io, fd, EPOLLIN, on_io, c);
        if (r >= 0)
                r = sd_event_add_time(g->event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timeout, c);
        if (r < 0) {
                http_conn_free(c->http);
                return r;
        }
        (void) sd_event_source_set_description(c->io, "client");
        (void) sd_event_source_set_description(c->timer, "request-timeout");
        on_watch(c->http, EPOLLIN);
        gateway_update_timers(g);
        return 0;
}

/* Bytes wait in its socket that the loop has not read yet: a request, not a silent client. A flood
 * of connections is accepted in one go, before any of them is read, so a client that sent its
 * request at once would otherwise look as silent as the flood. */
static bool client_has_unread(const ClientConn *c)
{
        int fd = sd_event_source_get_io_fd(c->io);
        char b;

        return fd >= 0 && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

bool client_evict_waiting(Gateway *g)
{
        ClientConn *c = g->clients;

        /* Newest first in the list: from its end, the oldest waiting one that is silent. */
        while (c && c->next)
                c = c->next;
        for (; c; c = c->prev)
                if (!http_conn_answering(c->http) && !c->invocation && !c->list_call && !c->url_call &&
                    !c->function_call && !client_has_unread(c)) {
                        g->metrics.connections_evicted++;
                        http_conn_close(c->http);
                        return true;
                }
        return false;
}

void client_drain_all(Gateway *g)
{
        for (ClientConn *c = g->clients, *next; c; c = next) {
                next = c->next;
                if (!http_conn_answering(c->http))
                        http_conn_close(c->http);
                else
                        c->http->close_after = true;
        }
}
