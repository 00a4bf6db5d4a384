/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * runtime-endpoint.c: the Lambda Runtime API lambda-rie serves the bootstrap (127.0.0.1:9001): /next
 * parked until an invocation comes, /response (whole, or streamed: "Lambda-Runtime-Function-Response-
 * Mode: streaming" with a chunked body passed on to the invoker as it arrives, and the function's error
 * in the trailer fields), /error and /init/error.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "lambda-contract.h"
#include "log.h"
#include "rie-server.h"

void rie_deliver(Rie *rie)
{
        RieConn *c = rie->next_conn;
        RieInvocation *inv = &rie->inv;
        char deadline[32], trace[128], ids[41]; /* the trace's root (24 hex digits) and parent (16): one
                                                 * getrandom() */

        if (!c)
                return;
        rie->next_conn = NULL;

        if (rie->initializing) {
                rie->init_duration_usec = now_usec(CLOCK_MONOTONIC) - rie->spawn_usec;
                rie->initializing = false;
        }

        (void) snprintf(deadline, sizeof(deadline), "%llu", (unsigned long long) inv->deadline_ms);
        if (random_hex(ids, 20) < 0)
                memset(ids, '0', 40);
        (void) snprintf(trace, sizeof(trace), "Root=1-%08llx-%.24s;Parent=%.16s;Sampled=0",
                        (unsigned long long) (inv->deadline_ms / 1000), ids, ids + 24);

        http_conn_begin(c->http, 200);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "Lambda-Runtime-Aws-Request-Id", inv->id);
        http_conn_header(c->http, "Lambda-Runtime-Deadline-Ms", deadline);
        http_conn_header(c->http, "Lambda-Runtime-Invoked-Function-Arn", rie->arn);
        http_conn_header(c->http, "Lambda-Runtime-Trace-Id", trace);
        if (inv->client_context)
                http_conn_header(c->http, "Lambda-Runtime-Client-Context", inv->client_context);
        http_conn_end(c->http, inv->payload ?: "", inv->payload_len);
}

static void runtime_reply_accepted(RieConn *c)
{
        static const char body[] = "{\"status\":\"OK\"}";

        http_conn_begin(c->http, 202);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_end(c->http, body, STRLEN(body));
}

/* Whether this request is the running invocation's response, in streaming mode, and so to be passed on
 * as it arrives. Any other is collected and answered when complete, as always. */
static bool is_streamed_response(RieConn *c)
{
        Rie *rie = c->rie;
        const char *mode = http_request_header(&c->http->req, "Lambda-Runtime-Function-Response-Mode");
        char id[UUID_STRING_MAX];

        return mode && strcasecmp(mode, "streaming") == 0 &&
               http_request_is_method(&c->http->req, HTTP_POST) &&
               runtime_route_parse(http_request_url(&c->http->req), id) == RUNTIME_ROUTE_RESPONSE &&
               rie->rt.phase == INVOKE_RUNNING && strcmp(id, rie->inv.id) == 0 && !rie->inv.source;
}

int rie_runtime_head(HttpConn *h)
{
        RieConn *c = h->userdata;
        if (!is_streamed_response(c))
                return 0;
        http_request_stream_body(&c->http->req, LAMBDA_STREAM_RESPONSE_MAX);
        rie_invocation_stream_begin(c->rie, c);
        return 0;
}

int rie_runtime_body(HttpConn *h, const char *p, size_t n)
{
        RieConn *c = h->userdata;
        /* Once the invocation ended (timeout), the rest is read and dropped. */
        if (c->rie->inv.source == c)
                rie_invocation_stream_write(c->rie, p, n);
        return 0;
}

/* A function error sent in trailer fields (type, and the body in base64) after a response. */
static void complete_trailer_error(Rie *rie, const char *type, const char *body_base64)
{
        Buf body = {};

        if (!body_base64 || base64_decode(&body, body_base64, strlen(body_base64)) < 0)
                buf_clear(&body);
        rie_invocation_complete_error(rie, type, body.data ?: "", body.len);
        buf_done(&body);
}

static void handle_finish(RieConn *c, const char *id, bool error)
{
        Rie *rie = c->rie;
        HttpRequest *req = &c->http->req;
        const char *trailer_type = http_request_trailer(req, "Lambda-Runtime-Function-Error-Type");
        const char *trailer_body = http_request_trailer(req, "Lambda-Runtime-Function-Error-Body");
        bool streamed = rie->inv.source == c;
        int r;

        r = runtime_finish(&rie->rt, id);
        if (r == -EALREADY)
                return rie_runtime_reply_error(c, 403, "InvalidStateTransition",
                                               "This invocation has already ended.");
        if (r < 0)
                return rie_runtime_reply_error(c, 400, "InvalidRequestID", "Invalid request ID");

        /* Answer the invoker first: replying to the runtime lets its next request reuse req. */
        if (error)
                rie_invocation_complete_error(rie,
                                              http_request_header(req, "Lambda-Runtime-Function-Error-Type"),
                                              req->body.data ?: "", req->body.len);
        else if (streamed)
                rie_invocation_stream_end(rie, trailer_type, trailer_body);
        else if (trailer_type)
                complete_trailer_error(rie, trailer_type, trailer_body);
        else
                rie_invocation_complete(rie, 200, false, req->body.data ?: "", req->body.len);
        runtime_reply_accepted(c);
}
static void handle_init_error(RieConn *c)
{
        Rie *rie = c->rie;
        int r;

        r = runtime_init_error(&rie->rt);
        if (r < 0)
                return rie_runtime_reply_error(c, 403, "InvalidStateTransition",
                                               "Init errors can be reported only during initialization.");
        log_warning("Runtime reported an initialization error.");

        if (rie->rt.phase != INVOKE_NONE) {
                /* The invocation that triggered the init sees the init error, as in Lambda. */
                rie->init_duration_usec = now_usec(CLOCK_MONOTONIC) - rie->spawn_usec;
                rie->initializing = false;
                rie_invocation_complete_error(
                        rie, http_request_header(&c->http->req, "Lambda-Runtime-Function-Error-Type"),
                        c->http->req.body.data ?: "", c->http->req.body.len);
        }
        /* The runtime is expected to exit now; make sure it does, the next invoke initialises afresh. */
        rie_bootstrap_kill(rie);
        runtime_reply_accepted(c);
}

void rie_runtime_request(HttpConn *h)
{
        RieConn *c = h->userdata;
        Rie *rie = c->rie;
        char id[UUID_STRING_MAX];
        int route, action;

        route = runtime_route_parse(http_request_url(&c->http->req), id);
        if (route == -EMSGSIZE)
                return rie_runtime_reply_error(c, 400, "InvalidRequestID", "Invalid request ID");
        if (route < 0)
                return rie_runtime_reply_error(c, 404, "NotFound", "Unknown Runtime API path.");
        if (strcmp(http_request_method(&c->http->req), runtime_route_method(route)) != 0)
                return rie_runtime_reply_error(c, 405, "MethodNotAllowed",
                                               "Method not allowed for this path.");

        switch (route) {
        case RUNTIME_ROUTE_NEXT:
                action = runtime_next(&rie->rt);
                if (action == -EBUSY)
                        return rie_runtime_reply_error(c, 403, "InvalidStateTransition",
                                                       "An invocation is in progress or already requested.");
                if (action < 0)
                        return rie_runtime_reply_error(c, 403, "InvalidStateTransition",
                                                       "The runtime failed to initialize.");
                rie->next_conn = c;
                if (action & RUNTIME_ACTION_DELIVER)
                        rie_deliver(rie);
                return;
        case RUNTIME_ROUTE_INIT_ERROR:
                return handle_init_error(c);
        case RUNTIME_ROUTE_RESPONSE:
        case RUNTIME_ROUTE_ERROR:
                return handle_finish(c, id, route == RUNTIME_ROUTE_ERROR);
        }
}

/* A malformed request, or a body over the limit: refused without reading it. If it was the running
 * invocation's response, the invoker learns what happened. */
void rie_runtime_bad_request(HttpConn *h)
{
        RieConn *c = h->userdata;
        Rie *rie = c->rie;
        int status = c->http->req.error_status;
        bool streamed = rie->inv.source == c;

        if (streamed && runtime_finish(&rie->rt, rie->inv.id) >= 0) {
                if (status == 413)
                        rie_invocation_fail(rie, 200, "Function.ResponseSizeTooLarge",
                                            "Response payload size exceeded maximum allowed payload size "
                                            "(20971520 bytes).");
                else
                        rie_invocation_fail(rie, 200, "Runtime.TruncatedResponse",
                                            "The runtime's streamed response is malformed.");
        } else if (status == 413 && rie->rt.phase == INVOKE_RUNNING) {
                const char *url = http_request_url(&c->http->req);
                char expect[128];

                (void) snprintf(expect, sizeof(expect), "/2018-06-01/runtime/invocation/%s/response",
                                rie->inv.id);
                if (strcmp(url, expect) == 0 && runtime_finish(&rie->rt, rie->inv.id) >= 0)
                        rie_invocation_fail(
                                rie, 200, "Function.ResponseSizeTooLarge",
                                "Response payload size exceeded maximum allowed payload size (6291556 "
                                "bytes).");
        }
        if (status == 413)
                return rie_runtime_reply_error(
                        c, 413, "RequestEntityTooLarge",
                        streamed ? "Exceeded maximum allowed payload size (20971520 bytes)."
                                 : "Exceeded maximum allowed payload size (6291556 bytes).");
        rie_runtime_reply_error(c, status, "InvalidRequest",
                                c->http->req.error_reason ?: "Malformed HTTP request.");
}
