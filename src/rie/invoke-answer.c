/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * invoke-answer.c: the end of an invocation, and the answer its invoker gets: whole (status, headers,
 * the runtime's response or error), or streamed when the runtime streams its response (the head at the
 * first byte, then the bytes as they come, then the function's error and the log tail in trailers).
 */

#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "http-response.h"
#include "lambda-error.h"
#include "log.h"
#include "rie-server.h"

/* Reading the runtime's streamed response pauses while this much waits for a slow invoker. */
#define STREAM_BACKLOG_MAX (256U * 1024U)
/* The longest error type passed on from a runtime's trailer. */
#define ERROR_TYPE_MAX 256U

void rie_reply_json(RieConn *c, int status, const char *error_type, const Buf *json)
{
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", "application/json");
        if (error_type)
                http_conn_header(c->http, "x-amzn-ErrorType", error_type);
        if (status == 429)
                http_conn_header(c->http, "Retry-After", "1");
        http_conn_end(c->http, json->data ?: "", json->len);
}

/* Service errors of the invoke endpoint, in the Invoke API's shape. */
void rie_invoke_reply_error(RieConn *c, int status, const char *type, const char *message,
                            const char *reason)
{
        Buf b = {};

        (void) lambda_service_error_json(&b, message, reason);
        rie_reply_json(c, status, type, &b);
        buf_done(&b);
}

/* Errors of the Runtime API, in its {"errorMessage","errorType"} shape. */
void rie_runtime_reply_error(RieConn *c, int status, const char *type, const char *message)
{
        Buf b = {};

        (void) lambda_function_error_json(&b, type, message);
        rie_reply_json(c, status, NULL, &b);
        buf_done(&b);
}

/* The invocation's log tail, base64, into b (empty unless the invoker asked for it). */
static void log_result(Rie *rie, Buf *b)
{
        if (rie->inv.log_tail)
                (void) base64_encode(b, rie->inv.log.data ?: "", rie->inv.log.len);
}

/* Ends the current invocation: log, REPORT. Returns who waits for the answer (or NULL), and the
 * log tail in log; the invocation itself is forgotten by invocation_forget(). */
static RieConn *invocation_end(Rie *rie, Buf *log)
{
        RieInvocation *inv = &rie->inv;

        /* The timer stays armed: it fires at most once per timeout, finds no invocation or a later one,
         * and is armed again for that (rie.c's on_timeout()). Two timerfd_settime() fewer per invocation. */
        rie_drain_function_output(rie);
        rie_log_report(rie);
        log_result(rie, log);
        /* Whatever more the runtime streams for it is dropped. */
        if (inv->source)
                http_conn_pause_input(inv->source->http, false);
        return inv->client;
}

/* Forgets the invocation before answering: the answer may let a pipelined invoke in. */
static void invocation_forget(Rie *rie)
{
        RieInvocation *inv = &rie->inv;

        (void) runtime_abort(&rie->rt);
        free(inv->payload);
        free(inv->client_context);
        buf_done(&inv->log);
        *inv = (RieInvocation){};
}

/* The errorType of a function error object, or NULL. */
static char *error_type_of(const char *body, size_t len)
{
        json_object *o = json_tokener_parse(body), *t;
        char *type = NULL;

        if (o && strlen(body) == len && json_object_object_get_ex(o, "errorType", &t) &&
            json_object_is_type(t, json_type_string))
                type = strdup(json_object_get_string(t));
        json_object_put(o);
        return type;
}

void rie_invocation_complete(Rie *rie, int status, bool function_error, const char *body, size_t len)
{
        RieInvocation *inv = &rie->inv;
        Buf log = {};
        RieConn *c;

        if (inv->streaming) {
                /* The head is out: the error can only go into the trailers. */
                _cleanup_free_ char *type = NULL;
                Buf b64 = {};

                if (function_error || status != 200) {
                        type = error_type_of(body, len);
                        (void) base64_encode(&b64, body, len);
                }
                rie_invocation_stream_end(
                        rie, type ?: (function_error || status != 200 ? "Unhandled" : NULL), b64.data);
                buf_done(&b64);
                return;
        }

        c = invocation_end(rie, &log);
        if (c) {
                http_conn_begin(c->http, status);
                http_conn_header(c->http, "Content-Type", "application/json");
                http_conn_header(c->http, "X-Amzn-RequestId", inv->id);
                if (status == 200)
                        http_conn_header(c->http, "X-Amz-Executed-Version", rie->settings.function_version);
                if (function_error)
                        http_conn_header(c->http, "X-Amz-Function-Error", "Unhandled");
                if (log.data)
                        http_conn_header(c->http, "X-Amz-Log-Result", log.data);
        }
        invocation_forget(rie);
        buf_done(&log);
        if (c)
                http_conn_end(c->http, body, len);
}

void rie_invocation_fail(Rie *rie, int status, const char *type, const char *message)
{
        Buf b = {};

        (void) lambda_function_error_json(&b, type, message);
        rie_invocation_complete(rie, status, status == 200, b.data ?: "", b.len);
        buf_done(&b);
}

/* Function errors must reach the invoker as a JSON object; wrap anything else the runtime sent. */
void rie_invocation_complete_error(Rie *rie, const char *type, const char *body, size_t len)
{
        json_object *o = json_tokener_parse(body);
        bool is_object = o && json_object_is_type(o, json_type_object) && strlen(body) == len;

        json_object_put(o);
        if (is_object) {
                rie_invocation_complete(rie, 200, true, body, len);
                return;
        }
        rie_invocation_fail(rie, 200, type && *type ? type : "Unhandled",
                            len > 0 ? body : "The function reported an error without details.");
}

void rie_invocation_stream_begin(Rie *rie, RieConn *source)
{
        RieInvocation *inv = &rie->inv;
        const char *type = http_request_header(&source->http->req, "Content-Type");
        RieConn *c = inv->client;

        inv->streaming = true;
        inv->source = source;
        if (!c)
                return;
        http_conn_begin(c->http, 200);
        http_conn_header(c->http, "Content-Type",
                         type && *type && http_header_value_is_valid(type) ? type
                                                                           : "application/octet-stream");
        http_conn_header(c->http, "X-Amzn-RequestId", inv->id);
        http_conn_header(c->http, "X-Amz-Executed-Version", rie->settings.function_version);
        http_conn_header(c->http, "Lambda-Runtime-Function-Response-Mode", "streaming");
        http_conn_header(c->http, "Trailer",
                         "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body, "
                         "X-Amz-Log-Result");
        http_conn_end_head_chunked(c->http);
}

void rie_invocation_stream_write(Rie *rie, const char *p, size_t n)
{
        RieInvocation *inv = &rie->inv;

        if (!inv->client)
                return; /* nobody to tell: an Event invocation, or the invoker left */
        http_conn_write(inv->client->http, p, n);
        if (inv->client && inv->source && inv->client->http->out.len > STREAM_BACKLOG_MAX)
                http_conn_pause_input(inv->source->http, true);
}

void rie_invocation_client_drained(Rie *rie)
{
        if (rie->inv.source)
                http_conn_pause_input(rie->inv.source->http, false);
}

/* An error type from a runtime's trailer, if it can be passed on as it is. */
static bool error_type_is_valid(const char *t)
{
        return t && *t && strlen(t) <= ERROR_TYPE_MAX && http_header_value_is_valid(t);
}

void rie_invocation_stream_end(Rie *rie, const char *error_type, const char *error_body_base64)
{
        Buf log = {}, body = {}, decoded = {};
        const char *trailers[7] = {};
        size_t n = 0;
        RieConn *c;

        if (error_type && !error_type_is_valid(error_type))
                error_type = "Unhandled";
        if (error_type) {
                /* The body must be base64 of something: else the invoker gets one in Lambda's shape. */
                if (!error_body_base64 || !http_header_value_is_valid(error_body_base64) ||
                    base64_decode(&decoded, error_body_base64, strlen(error_body_base64)) < 0) {
                        buf_clear(&decoded);
                        (void) lambda_function_error_json(&decoded, error_type,
                                                          "The function's streamed response failed.");
                        (void) base64_encode(&body, decoded.data ?: "", decoded.len);
                        error_body_base64 = body.data;
                }
                trailers[n++] = "Lambda-Runtime-Function-Error-Type";
                trailers[n++] = error_type;
                trailers[n++] = "Lambda-Runtime-Function-Error-Body";
                trailers[n++] = error_body_base64;
        }

        c = invocation_end(rie, &log);
        if (log.data) {
                trailers[n++] = "X-Amz-Log-Result";
                trailers[n++] = log.data;
        }
        invocation_forget(rie);
        if (c)
                http_conn_finish(c->http, NULL, 0, trailers);
        buf_done(&log);
        buf_done(&body);
        buf_done(&decoded);
}
