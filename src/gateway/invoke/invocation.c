/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "event-stream.h"
#include "invocation.h"
#include "json-check.h"
#include "lambda-contract.h"
#include "lambda-error.h"
#include "list.h"
#include "log.h"
#include "manager-client.h"
#include "url-call.h"

/* The answer may carry a little more than the payload limit: the runtime's envelope. */
#define ANSWER_MAX       (LAMBDA_RUNTIME_RESPONSE_MAX + 64 * 1024)
#define PAYLOAD_NOT_JSON "Could not parse request body into json: the payload must be JSON."
/* Reading from the instance pauses while this much waits for a slow client. */
#define CLIENT_BACKLOG_MAX (256U * 1024U)

void invocation_free(Invocation *inv)
{
        Gateway *g;

        if (!inv)
                return;
        g = inv->gateway;
        if (inv->client)
                inv->client->invocation = NULL;
        if (inv->queued)
                event_queue_done(inv->queued, inv->finished ? inv->status : 0, inv->function_error,
                                 inv->function_error_type, inv->payload, inv->payload_len, inv->answer.data,
                                 inv->answer.len);
        buf_done(&inv->answer);
        buf_done(&inv->stream_error);
        free(inv->stream_error_type);
        free(inv->payload);
        free(inv->client_context);
        free(inv->log_result);
        free(inv->executed_version);
        free(inv->function_error_type);
        free(inv->url_cors);
        free(inv->url_origin);
        free(inv->url_content_type);
        function_url_prelude_done(&inv->url_prelude);
        LIST_REMOVE(g->invocations, inv);
        g->n_invocations--;
        inv->function->n_invocations--;
        gateway_function_gc(inv->function);
        g->metrics.in_flight = g->n_invocations;
        free(inv);
        gateway_update_timers(g);
}

ClientConn *invocation_detach(Invocation *inv)
{
        ClientConn *c = inv->client;

        if (c) {
                c->invocation = NULL;
                if (trace_on()) {
                        /* Its stages go on with the invocation; the connection's next request starts
                         * a record of its own. */
                        inv->trace = c->trace;
                        trace_next(&c->trace);
                }
        }
        inv->client = NULL;
        return c;
}

void invocation_fail(Invocation *inv, int status, const char *type, const char *message, const char *reason)
{
        ClientConn *c = invocation_detach(inv);

        inv->status = status;
        inv->finished = true;
        if (c)
                client_reply_error(c, inv->function->name, inv->request_id, status, type, message, reason);
        else if (inv->event)
                log_info("Event invocation %s of '%s' was not run: %s", inv->request_id, inv->function->name,
                         message);
        invocation_free(inv);
}

/* A streamed body that will not be whole: the instance never sees its end (the connection to it is
 * reset, the instance is fine), and the invocation waits for none. */
static void stream_drop(Invocation *inv)
{
        Lease *l = inv->lease;

        inv->lease = NULL;
        if (l) {
                upstream_abort(l->upstream);
                lease_done(l, true);
        } else
                function_unqueue(inv);
}

void invocation_client_gone(Invocation *inv)
{
        inv->client = NULL;
        if (inv->body_streaming || inv->body_refused) {
                stream_drop(inv);
                return invocation_free(inv);
        }
        if (!inv->lease) {
                /* Still waiting for an instance: nothing runs for it yet. */
                function_unqueue(inv);
                return invocation_free(inv);
        }
        /* The invocation may be running: it finishes, its answer is read and dropped. */
        upstream_pause(inv->lease->upstream, false);
}

void invocation_client_drained(Invocation *inv)
{
        if (inv->lease)
                upstream_pause(inv->lease->upstream, false);
}

/* The head of the client's answer, from what the instance said. */
static void answer_head(Invocation *inv, HttpConn *h, const char *function_error, const char *log_result,
                        const char *executed_version)
{
        http_conn_begin(h, inv->status);
        http_conn_header(h, "Content-Type", "application/json");
        http_conn_header(h, "x-amzn-RequestId", inv->request_id);
        if (inv->status == 200)
                http_conn_header(h, "X-Amz-Executed-Version", executed_version ?: "$LATEST");
        if (inv->function_error)
                http_conn_header(h, "X-Amz-Function-Error", function_error ?: "Unhandled");
        if (inv->log_tail && log_result)
                http_conn_header(h, "X-Amz-Log-Result", log_result);
        if (inv->status == 413)
                http_conn_header(h, "x-amzn-ErrorType", "RequestTooLargeException");
}

static int dup_value(char **slot, const char *v)
{
        if (!v)
                return 0;
        *slot = strdup(v);
        return *slot ? 0 : -ENOMEM;
}

static int on_upstream_head(Upstream *u, const UpstreamHead *head, void *userdata)
{
        Invocation *inv = userdata;
        ClientConn *c;

        if (inv->body_streaming)
                return -EBADMSG; /* an answer to a request the instance cannot have had whole */
        inv->status = head->status;
        inv->function_error = head->function_error != NULL;
        /* The emulator answers a runtime that died with 502: to Lambda's clients that is a function
         * error like any other. */
        if (inv->status == 502) {
                inv->function_error = true;
                inv->status = 200;
        }
        inv->instance_streamed = head->streaming;
        if (inv->queued) {
                /* The queue keeps the answer for the destination's record. */
                inv->answer.max = ANSWER_MAX;
                return dup_value(&inv->function_error_type, head->function_error);
        }
        if (!inv->client)
                return 0;

        if (inv->stream && inv->status == 200 && !inv->function_error) {
                /* InvokeWithResponseStream: the head now, PayloadChunks as the bytes come. */
                inv->answering = inv->events = true;
                /* A buffered answer's log tail comes in its head, a streamed one's in its trailers. */
                if (dup_value(&inv->log_result, head->log_result) < 0)
                        return -ENOMEM;
                c = inv->client;
                http_conn_begin(c->http, 200);
                http_conn_header(c->http, "Content-Type", "application/vnd.amazon.eventstream");
                http_conn_header(c->http, "x-amzn-RequestId", inv->request_id);
                http_conn_header(c->http, "X-Amz-Executed-Version", head->executed_version ?: "$LATEST");
                http_conn_end_head_chunked(c->http);
                return 0;
        }

        if (inv->url_stream && inv->instance_streamed && inv->status == 200 && !inv->function_error &&
            !http_request_is_method(&inv->client->http->req, HTTP_HEAD))
                /* A RESPONSE_STREAM URL: its head once the prelude is in, the body as it comes (HEAD
                 * gets its head from the whole answer, with the body's length). */
                return url_call_stream_begin(inv, head->content_type);

        if (head->content_length == UINT64_MAX || inv->stream || inv->url) {
                /* No length up front (a chunked answer), or one to wrap in an event stream or map to a
                 * function URL's answer: collected, and sent whole at the end. */
                inv->answer.max = ANSWER_MAX;
                if (dup_value(&inv->function_error_type, head->function_error) < 0 ||
                    dup_value(&inv->log_result, head->log_result) < 0 ||
                    dup_value(&inv->executed_version, head->executed_version) < 0 ||
                    (inv->url && dup_value(&inv->url_content_type, head->content_type) < 0))
                        return -ENOMEM;
                return 0;
        }

        /* Streamed: the head goes now, the body as it arrives. */
        inv->answering = true;
        c = inv->client;
        answer_head(inv, c->http, head->function_error, head->log_result, head->executed_version);
        if (head->content_length == 0)
                c = invocation_detach(inv);
        http_conn_end_head(c->http, head->content_length);
        if (head->content_length == 0)
                trace_stamp(&inv->trace, TRACE_LAST_BYTE);
        return 0;
}

void invocation_write(Invocation *inv, ClientConn *c, const void *p, size_t n)
{
        http_conn_write(c->http, p, n);
        if (inv->client && inv->lease && inv->client->http->out.len > CLIENT_BACKLOG_MAX)
                upstream_pause(inv->lease->upstream, true);
}

/* A piece of a streamed answer, as one PayloadChunk (inv->answer is the scratch buffer). */
static int send_payload_chunk(Invocation *inv, ClientConn *c, const char *p, size_t n)
{
        buf_clear(&inv->answer);
        if (lambda_payload_chunk_append(&inv->answer, p, n) < 0)
                return -ENOMEM;
        invocation_write(inv, c, inv->answer.data, inv->answer.len);
        return 0;
}

static int on_upstream_body(Upstream *u, const char *p, size_t n, void *userdata)
{
        Invocation *inv = userdata;
        ClientConn *c = inv->client;

        if (!c && inv->queued)
                return buf_append(&inv->answer, p, n) < 0 ? -EMSGSIZE : 0;
        if (!c)
                return 0; /* the client left */
        if (inv->events || inv->url_streaming) {
                /* Streamed as it comes, within Lambda's limit for streamed answers. */
                if (inv->streamed + n > LAMBDA_STREAM_RESPONSE_MAX)
                        return -EMSGSIZE;
                inv->streamed += n;
                return inv->events ? send_payload_chunk(inv, c, p, n) : url_call_stream_body(inv, c, p, n);
        }
        if (!inv->answering)
                return buf_append(&inv->answer, p, n) < 0 ? -EMSGSIZE : 0;

        /* The piece that completes the answer frees the connection for its next request first. */
        if ((uint64_t) n >= c->http->body_left)
                (void) invocation_detach(inv);
        invocation_write(inv, c, p, n);
        if (!inv->client)
                trace_stamp(&inv->trace, TRACE_LAST_BYTE);
        return 0;
}

static int on_upstream_trailers(Upstream *u, const UpstreamTrailers *t, void *userdata)
{
        Invocation *inv = userdata;

        if (t->log_result && !inv->log_result && dup_value(&inv->log_result, t->log_result) < 0)
                return -ENOMEM;
        if (!t->error_type)
                return 0;
        if (dup_value(&inv->stream_error_type, t->error_type) < 0)
                return -ENOMEM;
        /* Its details: the error JSON, if the body decodes to some; else Lambda's shape around the type. */
        inv->stream_error.max = UPSTREAM_TRAILER_VALUE_MAX;
        if (!t->error_body || base64_decode(&inv->stream_error, t->error_body, strlen(t->error_body)) < 0 ||
            !json_text_is_valid(inv->stream_error.data ?: "", inv->stream_error.len)) {
                buf_clear(&inv->stream_error);
                inv->stream_error.max = 0;
                if (lambda_function_error_json(&inv->stream_error, t->error_type,
                                               "The function's streamed response failed.") < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The end of an event-stream answer: InvokeComplete with the error, if any, and the log tail. */
static void finish_events(Invocation *inv, const char *error_code, const char *error_details)
{
        ClientConn *c = invocation_detach(inv);
        Buf b = {};

        if (!c)
                return;
        if (lambda_invoke_complete_append(&b, error_code, error_details,
                                          inv->log_tail ? inv->log_result : NULL) < 0) {
                buf_done(&b);
                return http_conn_close(c->http);
        }
        http_conn_finish(c->http, b.data, b.len, NULL);
        buf_done(&b);
}

/* The whole answer as InvokeWithResponseStream's events: the payload in one PayloadChunk, then
 * InvokeComplete; a function error goes into InvokeComplete instead, as Lambda reports it. */
static void answer_stream(Invocation *inv, ClientConn *c)
{
        const char *log_result = inv->log_tail ? inv->log_result : NULL;
        Buf events = {};
        int r = 0;

        if (inv->function_error)
                r = lambda_invoke_complete_append(&events, inv->function_error_type ?: "Unhandled",
                                                  inv->answer.data ?: "", log_result);
        else {
                if (inv->answer.len > 0)
                        r = lambda_payload_chunk_append(&events, inv->answer.data, inv->answer.len);
                if (r >= 0)
                        r = lambda_invoke_complete_append(&events, NULL, NULL, log_result);
        }
        if (r < 0) {
                buf_done(&events);
                return client_reply_error(c, inv->function->name, inv->request_id, 500, "ServiceException",
                                          "Out of memory.", NULL);
        }
        http_conn_begin(c->http, 200);
        http_conn_header(c->http, "Content-Type", "application/vnd.amazon.eventstream");
        http_conn_header(c->http, "x-amzn-RequestId", inv->request_id);
        http_conn_header(c->http, "X-Amz-Executed-Version", inv->executed_version ?: "$LATEST");
        http_conn_end(c->http, events.data, events.len);
        buf_done(&events);
}

static void answer_whole(Invocation *inv)
{
        ClientConn *c = invocation_detach(inv);

        if (!c)
                return;
        if (inv->url)
                return url_call_answer(inv, c);
        if (inv->stream && inv->status == 200)
                return answer_stream(inv, c);
        answer_head(inv, c->http, inv->function_error_type, inv->log_result, inv->executed_version);
        http_conn_end(c->http, inv->answer.data ?: "", inv->answer.len);
        trace_stamp(&inv->trace, TRACE_LAST_BYTE);
}

static const char *upstream_error_message(int error)
{
        switch (error) {
        case -ECONNREFUSED:
        case -ECONNRESET:
                /* It may have run: never twice on our own. An instance that went away under it (its
                 * manager restarting, its container killed) is a passing fault: 503, retry. */
                return "The instance went away during the invocation; retry shortly.";
        case -ETIMEDOUT:
                return "The instance did not answer in time.";
        case -EMSGSIZE:
                return "The instance's answer is too large.";
        case -EPIPE:
                return "The instance's answer was cut short.";
        case -ENOMEM:
                return "Out of memory.";
        default:
                return "The instance's answer is malformed.";
        }
}

static void on_upstream_done(Upstream *u, int error, void *userdata)
{
        Invocation *inv = userdata;
        Gateway *g = inv->gateway;
        Lease *l = inv->lease;
        double seconds = (double) (now_usec(CLOCK_MONOTONIC) - inv->start_usec) / 1e6;
        ClientConn *c;

        inv->lease = NULL;
        if (error == 0) {
                if (inv->stream_error_type && !inv->events) {
                        /* Invoke of a function that streams and failed mid-stream: its error is the
                         * answer, as a function error. */
                        inv->function_error = true;
                        free(inv->function_error_type);
                        inv->function_error_type = NULL;
                        buf_done(&inv->answer);
                        inv->answer = inv->stream_error;
                        inv->stream_error = (Buf){};
                }
                inv->finished = true;
                metrics_observe(&g->metrics, inv->function->name, inv->status,
                                inv->function_error || inv->stream_error_type, inv->cold, seconds);
                if (inv->events)
                        finish_events(inv, inv->stream_error_type, inv->stream_error.data);
                else if (inv->url_streaming)
                        url_call_stream_end(inv, invocation_detach(inv));
                else if (!inv->answering)
                        answer_whole(inv);
                if (trace_on())
                        upstream_trace(l->upstream, &inv->trace);
                /* Any whole answer means lambda-rie is alive: it recovers from a crashed runtime by
                 * itself. */
                lease_done(l, true);
                if (trace_on() && inv->trace.t[TRACE_LAST_BYTE]) {
                        inv->trace.t[TRACE_RELEASED] = trace_now();
                        trace_commit(&inv->trace);
                }
                return invocation_free(inv);
        }

        if (error == -ECONNREFUSED && !inv->retried) {
                /* Nothing reached the function: give the dead instance back (one the manager forgot,
                 * as a restart or its stop does, is only dropped) and try another, once: a free one
                 * we hold, else a fresh Acquire. */
                log_info("Instance %.12s of '%s' refused the connection; retrying on another.", l->id,
                         inv->function->name);
                inv->retried = true;
                lease_done(l, false);
                return function_queue(inv);
        }

        if (inv->answering)
                log_warning("The answer of instance %.12s to invocation %s of '%s' broke off: %s", l->id,
                            inv->request_id, inv->function->name, strerror(-error));
        lease_done(l, false); /* l is gone now */
        if (inv->events) {
                /* The client has part of the stream: InvokeComplete says why it ends here. */
                metrics_observe(&g->metrics, inv->function->name, 502, false, inv->cold, seconds);
                if (error == -EMSGSIZE)
                        finish_events(
                                inv, "Function.ResponseSizeTooLarge",
                                "Response payload size exceeded maximum allowed payload size (20971520 "
                                "bytes).");
                else
                        finish_events(inv, "ServiceException", upstream_error_message(error));
                return invocation_free(inv);
        }
        if (inv->answering) {
                /* Part of the answer is with the client: all that is left is to cut it off. */
                metrics_observe(&g->metrics, inv->function->name, 502, false, inv->cold, seconds);
                c = invocation_detach(inv);
                if (c)
                        http_conn_cut(c->http);
                return invocation_free(inv);
        }
        if (error == -EMSGSIZE && inv->instance_streamed && inv->client) {
                /* Invoke of a function that streams more than Invoke's limit: Lambda's function error. */
                inv->function_error = true;
                buf_clear(&inv->answer);
                if (lambda_function_error_json(&inv->answer, "Function.ResponseSizeTooLarge",
                                               "Response payload size exceeded maximum allowed payload size "
                                               "(6291556 bytes).") >= 0) {
                        answer_whole(inv);
                        return invocation_free(inv);
                }
        }
        switch (error) {
        case -ECONNREFUSED:
        case -ECONNRESET:
                return invocation_fail(inv, 503, "ServiceException", upstream_error_message(error), NULL);
        case -ETIMEDOUT:
                return invocation_fail(inv, 504, "ServiceException", upstream_error_message(error), NULL);
        case -ENOMEM:
                return invocation_fail(inv, 500, "ServiceException", upstream_error_message(error), NULL);
        default:
                return invocation_fail(inv, 502, "ServiceException", upstream_error_message(error), NULL);
        }
}

static const UpstreamOps upstream_ops = {
        .head = on_upstream_head,
        .body = on_upstream_body,
        .trailers = on_upstream_trailers,
        .done = on_upstream_done,
};

/* The request to lambda-rie's invoke endpoint, into the lease's buffer (kept for the next one), with
 * the instance's secret: without it lambda-rie answers 403. */
static int request_head(Invocation *inv, Buf *b)
{
        int r;

        buf_clear(b);
        r = buf_printf(b,
                       "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n"
                       "Host: instance\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: %zu\r\n"
                       "X-Amzn-RequestId: %s\r\n"
                       "%s",
                       inv->body_streaming ? inv->payload_total : inv->payload_len, inv->request_id,
                       inv->log_tail ? "X-Amz-Log-Type: Tail\r\n" : "");
        if (r >= 0 && inv->client_context)
                r = buf_printf(b, "X-Amz-Client-Context: %s\r\n", inv->client_context);
        if (r >= 0 && inv->lease->secret[0])
                r = buf_printf(b, INSTANCE_SECRET_HEADER ": %s\r\n", inv->lease->secret);
        if (r >= 0)
                r = buf_append(b, "\r\n", 2);
        return r;
}

/* How much of the payload may go to the instance: all of it, or, while it is streamed, all that came
 * but its last byte, which waits for the verdict on the whole. */
static size_t payload_ready(const Invocation *inv)
{
        if (!inv->body_streaming)
                return inv->payload_len;
        return MIN(inv->payload_len, inv->payload_total - 1);
}

void invocation_start(Invocation *inv, Lease *l)
{
        int r;

        inv->lease = l;
        if (trace_on() && inv->client)
                inv->client->trace.t[TRACE_LEASE] = trace_now();
        r = request_head(inv, &l->request);
        if (r >= 0)
                r = upstream_request(l->upstream, l->request.data, l->request.len, inv->payload,
                                     payload_ready(inv), inv->body_streaming,
                                     inv->stream || inv->url_stream ? LAMBDA_STREAM_RESPONSE_MAX
                                                                    : ANSWER_MAX,
                                     inv->gateway->config.upstream_timeout_usec, &upstream_ops, inv);
        if (r < 0) {
                inv->lease = NULL;
                lease_done(l, true);
                invocation_fail(inv, 500, "ServiceException", "Failed to start the invocation.", NULL);
        }
}

static Invocation *invocation_alloc(Gateway *g, const char *function)
{
        GatewayFunction *f;
        Invocation *inv;

        f = gateway_function_get(g, function);
        if (!f)
                return NULL;
        inv = calloc(1, sizeof(Invocation));
        if (!inv) {
                gateway_function_gc(f);
                return NULL;
        }
        inv->gateway = g;
        inv->function = f;
        inv->start_usec = now_usec(CLOCK_MONOTONIC);
        uuid_generator_next(&g->ids, inv->request_id);
        LIST_PREPEND(g->invocations, inv);
        g->n_invocations++;
        f->n_invocations++;
        g->metrics.in_flight = g->n_invocations;
        return inv;
}

/* Event: 202 once the queue holds it on disk (or the error that it could not). */
static void event_answer(ClientConn *c, const char *function, const char *id, int r)
{
        Gateway *g = c->gateway;

        if (r == -EXFULL || r == -EDQUOT)
                return client_reply_error(c, function, id, 429, "TooManyRequestsException", "Rate Exceeded.",
                                          r == -EXFULL ? "FunctionInvocationRateLimitExceeded"
                                                       : "CallerRateLimitExceeded");
        if (r == -EUSERS)
                return client_reply_error(c, function, id, 429, "TooManyRequestsException", "Rate Exceeded.",
                                          "ReservedFunctionConcurrentInvocationLimitExceeded");
        if (r == -ENOENT) {
                char text[320];

                /* Asked before anything was queued, as Lambda does. */
                gateway_function_not_found(g, function, text, sizeof(text));
                return client_reply_error(c, function, id, 404, "ResourceNotFoundException", text, NULL);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to queue an Event invocation of '%s': %m", function);
                return client_reply_error(c, function, id, 500, "ServiceException",
                                          "The event could not be stored.", NULL);
        }
        http_conn_begin(c->http, 202);
        http_conn_header(c->http, "x-amzn-RequestId", id);
        metrics_observe(&g->metrics, function, 202, false, false, 0);
        http_conn_end(c->http, NULL, 0);
}

static void on_event_written(int error, const char *function, const char *request_id, void *userdata)
{
        ClientConn *c = userdata;

        c->event_accept = NULL;
        event_answer(c, function, request_id, error);
}

static void accept_event(ClientConn *c, const char *function, HttpRequest *req)
{
        char id[UUID_STRING_MAX];
        int r;

        uuid_generator_next(&c->gateway->ids, id);
        r = event_queue_accept(c->gateway->queue, function, id, req->body.data ?: "", req->body.len,
                               on_event_written, c, &c->event_accept);
        if (r < 0)
                event_answer(c, function, id, r);
}

int invocation_run_event(Gateway *g, const char *function, const char *request_id, char *payload,
                         size_t payload_len, QueuedEvent *e)
{
        Invocation *inv = invocation_alloc(g, function);

        if (!inv) {
                free(payload);
                return -ENOMEM;
        }
        inv->event = true;
        inv->queued = e;
        /* Every attempt of an event carries the request id its 202 gave. */
        memcpy(inv->request_id, request_id, sizeof(inv->request_id));
        inv->payload = payload;
        inv->payload_len = payload_len;
        gateway_update_timers(g);
        function_queue(inv);
        return 0;
}

char *invocation_stream_sink(Invocation *inv, size_t *ret_room)
{
        *ret_room = inv->payload_total - inv->payload_len;
        return inv->payload + inv->payload_len;
}

void invocation_stream_end(Invocation *inv)
{
        if (inv->body_refused)
                invocation_fail(inv, 400, "InvalidRequestContentException", PAYLOAD_NOT_JSON, NULL);
}

/* A RequestResponse invocation for the request on c, tied to it: -ENOMEM. */
static Invocation *invocation_for(ClientConn *c, const Route *route, const char *function,
                                  const LambdaInvokeHeaders *h)
{
        Invocation *inv = invocation_new(c, function);

        if (!inv || (h->client_context && !(inv->client_context = strdup(h->client_context)))) {
                invocation_free(inv); /* made for this request, which never came to be */
                return NULL;
        }
        inv->stream = route->stream;
        inv->log_tail = h->log_tail;
        inv->client = c;
        c->invocation = inv;
        return inv;
}

static void invocation_go(Invocation *inv)
{
        gateway_update_timers(inv->gateway);
        function_queue(inv);
}

void invocation_handle(ClientConn *c, const Route *route, const char *function)
{
        Gateway *g = c->gateway;
        HttpRequest *req = &c->http->req;
        LambdaInvokeHeaders h;
        const char *type, *message;
        Invocation *inv;

        if (lambda_invoke_headers_parse(req, &h, &type, &message) < 0)
                return client_reply_error(c, function, NULL, 400, type, message, NULL);
        if (req->body.len > 0 && !json_text_is_valid(req->body.data, req->body.len))
                return client_reply_error(c, function, NULL, 400, "InvalidRequestContentException",
                                          PAYLOAD_NOT_JSON, NULL);
        if (h.type == LAMBDA_INVOKE_EVENT && route->stream)
                return client_reply_error(c, function, NULL, 400, "InvalidParameterValueException",
                                          "1 validation error detected: Value 'Event' at 'invocationType' "
                                          "failed to satisfy constraint: Member must satisfy enum value "
                                          "set: [RequestResponse, DryRun]",
                                          NULL);
        if (h.type == LAMBDA_INVOKE_EVENT && req->body.len > LAMBDA_EVENT_PAYLOAD_MAX)
                return client_reply_error(
                        c, function, NULL, 413, "RequestTooLargeException",
                        "Request must be smaller than 1048576 bytes for the InvokeAsync operation.", NULL);
        if (h.type == LAMBDA_INVOKE_DRY_RUN) {
                http_conn_begin(c->http, 204);
                metrics_observe(&g->metrics, function, 204, false, false, 0);
                http_conn_end(c->http, NULL, 0);
                return;
        }
        if (h.type == LAMBDA_INVOKE_EVENT)
                return accept_event(c, function, req);

        inv = invocation_for(c, route, function, &h);
        if (!inv)
                return client_reply_error(c, function, NULL, 500, "ServiceException", "Out of memory.",
                                          NULL);
        inv->payload = buf_steal(&req->body, &inv->payload_len);
        invocation_go(inv);
}

int invocation_stream_begin(ClientConn *c, const Route *route, const char *function,
                            const LambdaInvokeHeaders *h, uint64_t length)
{
        Invocation *inv;

        assert(length > 0 && length <= LAMBDA_PAYLOAD_MAX);
        inv = invocation_for(c, route, function, h);
        if (!inv)
                return -ENOMEM;
        inv->payload = malloc(length);
        if (!inv->payload) {
                invocation_detach(inv);
                invocation_free(inv);
                return -ENOMEM;
        }
        inv->payload_total = length;
        inv->body_streaming = true;
        json_stream_init(&inv->json);
        http_request_stream_body(&c->http->req, length);
        /* An instance is sought (and the request's head sent to it) while the body comes. */
        invocation_go(inv);
        return 0;
}

void invocation_stream_body(Invocation *inv, const char *p, size_t n)
{
        n = MIN(n, inv->payload_total - inv->payload_len); /* the parser keeps to Content-Length */
        if (p != inv->payload + inv->payload_len) /* else read there already (invocation_stream_sink()) */
                memcpy(inv->payload + inv->payload_len, p, n);
        inv->payload_len += n;
        if (!json_stream_feed(&inv->json, p, n) ||
            (inv->payload_len == inv->payload_total && !json_stream_end(&inv->json))) {
                stream_drop(inv);
                inv->body_streaming = false;
                inv->body_refused = true;
                return;
        }
        if (inv->payload_len == inv->payload_total)
                inv->body_streaming = false; /* whole, and JSON: the last byte may go */
        if (inv->lease)
                upstream_body(inv->lease->upstream, inv->payload, payload_ready(inv), inv->body_streaming);
}

Invocation *invocation_new(ClientConn *c, const char *function)
{
        return invocation_alloc(c->gateway, function);
}
