/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * invoke-endpoint.c: lambda-rie's invoke endpoint (:8080): /healthz, and POST
 * /2015-03-31/functions/NAME/invocations checked as the Invoke API does, queued for the runtime one at
 * a time (a second concurrent one gets 429), and answered 202 at once when it is an Event. With an
 * instance secret, every request but GET /healthz must carry it, or is refused 403 as soon as its head
 * is in: before its body is read, whatever its path.
 */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base64.h"
#include "lambda-contract.h"
#include "log.h"
#include "rie-server.h"
#include "socket-util.h"

/* Refusals logged per window; past it they are counted, and the count logged with the next window's
 * first: a flood of refused requests does not flood the container's log. */
#define REFUSALS_LOG_BURST     10U
#define REFUSALS_LOG_WINDOW_US (10 * USEC_PER_SEC)

static bool request_id_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 8 || n >= UUID_STRING_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
                      *p == '-'))
                        return false;
        return true;
}

static void handle_invoke(RieConn *c)
{
        Rie *rie = c->rie;
        RieInvocation *inv = &rie->inv;
        const char *given_id = http_request_header(&c->http->req, "X-Amzn-RequestId");
        const char *error_type, *message;
        LambdaInvokeHeaders h;
        char id[UUID_STRING_MAX];
        Buf decoded = {};
        bool event;
        int action;

        if (lambda_invoke_headers_parse(&c->http->req, &h, &error_type, &message) < 0)
                return rie_invoke_reply_error(c, 400, error_type, message, NULL);
        if (h.type == LAMBDA_INVOKE_DRY_RUN) {
                http_conn_begin(c->http, 204);
                http_conn_end(c->http, NULL, 0);
                return;
        }
        event = h.type == LAMBDA_INVOKE_EVENT;
        /* Checked above: it decodes. */
        if (h.client_context && base64_decode(&decoded, h.client_context, strlen(h.client_context)) < 0) {
                buf_done(&decoded);
                return rie_invoke_reply_error(c, 500, "ServiceException", "Out of memory.", NULL);
        }

        if (given_id && request_id_is_valid(given_id))
                strcpy(id, given_id);
        else if (random_uuid(id) < 0) {
                buf_done(&decoded);
                return rie_invoke_reply_error(c, 500, "ServiceException", "No randomness for a request id.",
                                              NULL);
        }

        action = runtime_submit(&rie->rt, id);
        if (action == -EBUSY) {
                buf_done(&decoded);
                return rie_invoke_reply_error(
                        c, 429, "TooManyRequestsException",
                        "This instance runs one invocation at a time; another is in progress.",
                        "ConcurrentInvocationLimitExceeded");
        }
        assert(action >= 0);

        *inv = (RieInvocation){
                .client = event ? NULL : c,
                .client_context = decoded.len > 0 ? buf_steal(&decoded, NULL) : NULL,
                .log_tail = h.log_tail,
                .start_usec = now_usec(CLOCK_MONOTONIC),
                .deadline_ms = (now_usec(CLOCK_REALTIME) + rie->settings.timeout_sec * USEC_PER_SEC) /
                               USEC_PER_MSEC,
        };
        buf_done(&decoded);
        strcpy(inv->id, id);
        inv->payload = buf_steal(&c->http->req.body, &inv->payload_len);

        rie_function_log(rie, "START RequestId: %s Version: %s", id, rie->settings.function_version);

        rie_timeout_arm(rie);

        if (event) {
                http_conn_begin(c->http, 202);
                http_conn_header(c->http, "X-Amzn-RequestId", id);
                http_conn_end(c->http, NULL, 0);
        }

        if (action & RUNTIME_ACTION_SPAWN)
                (void) rie_bootstrap_start(rie);
        if (action & RUNTIME_ACTION_DELIVER)
                rie_deliver(rie);
}

static void log_refusal(RieConn *c, int error)
{
        Rie *rie = c->rie;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        SocketAddress peer = { .len = sizeof(peer.sa) };
        char text[64] = "?";

        if (now - rie->refusals_logged_usec >= REFUSALS_LOG_WINDOW_US) {
                if (rie->refusals_unlogged > 0)
                        log_warning("Refused %u more request(s) without the instance secret.",
                                    rie->refusals_unlogged);
                rie->refusals_logged_usec = now;
                rie->refusals_logged = rie->refusals_unlogged = 0;
        }
        if (rie->refusals_logged >= REFUSALS_LOG_BURST) {
                rie->refusals_unlogged++;
                return;
        }
        rie->refusals_logged++;
        if (getpeername(c->http->fd, (struct sockaddr *) &peer.sa, &peer.len) >= 0)
                (void) socket_address_format(&peer, text, sizeof(text));
        log_warning("Refused %s %.128s from %s: %s.", http_request_method(&c->http->req),
                    http_request_url(&c->http->req), text, instance_secret_refusal_to_string(error));
}

int rie_invoke_head(HttpConn *h)
{
        RieConn *c = h->userdata;
        HttpRequest *req = &c->http->req;
        int r;

        /* The manager's readiness probe needs no secret, and learns nothing from the answer but that we
         * listen (and check one). */
        if (!c->rie->check_secret || strcmp(http_request_url(req), "/healthz") == 0)
                return 0;
        r = instance_secret_check_request(req, c->rie->secret);
        if (r >= 0)
                return 0;
        log_refusal(c, r);
        /* The request fails with this status before its body is read; the connection closes after
         * the answer (rie_invoke_bad_request()). */
        req->error_status = 403;
        req->error_reason = "This instance answers its lease holder only.";
        return r;
}

void rie_invoke_request(HttpConn *h)
{
        RieConn *c = h->userdata;
        const char *url = http_request_url(&c->http->req);
        static const char prefix[] = "/2015-03-31/functions/";
        const char *name, *rest;

        if (strcmp(url, "/healthz") == 0) {
                char body[128];

                if (!http_request_is_method(&c->http->req, HTTP_GET))
                        return rie_invoke_reply_error(c, 405, "MethodNotAllowedException", "Use GET.", NULL);
                (void) snprintf(body, sizeof(body), "{\"status\":\"ok\",\"runtime\":\"%s\",\"%s\":%s}",
                                runtime_process_to_string(c->rie->rt.process), INSTANCE_SECRET_HEALTH_KEY,
                                c->rie->check_secret ? "true" : "false");
                http_conn_begin(c->http, 200);
                http_conn_header(c->http, "Content-Type", "application/json");
                http_conn_end(c->http, body, strlen(body));
                if (c->rie->eager_after_probe)
                        (void) rie_start_eager(c->rie);
                return;
        }

        /* The function name is not ours to check: an instance runs one function, whatever it is called. */
        if (strncmp(url, prefix, STRLEN(prefix)) != 0)
                return rie_invoke_reply_error(c, 404, "ResourceNotFoundException", "Unknown path.", NULL);
        name = url + STRLEN(prefix);
        rest = strchr(name, '/');
        if (!rest || rest == name ||
            (strcmp(rest, "/invocations") != 0 && strncmp(rest, "/invocations?", 13) != 0))
                return rie_invoke_reply_error(c, 404, "ResourceNotFoundException", "Unknown path.", NULL);
        if (!http_request_is_method(&c->http->req, HTTP_POST))
                return rie_invoke_reply_error(c, 405, "MethodNotAllowedException", "Invocations take POST.",
                                              NULL);

        handle_invoke(c);
}

void rie_invoke_bad_request(HttpConn *h)
{
        RieConn *c = h->userdata;
        int status = c->http->req.error_status;

        if (status == 403)
                return rie_invoke_reply_error(c, 403, "AccessDeniedException", c->http->req.error_reason,
                                              NULL);
        if (status == 413)
                return rie_invoke_reply_error(c, 413, "RequestTooLargeException",
                                              "Request must be smaller than 6291456 bytes for the "
                                              "InvokeFunction operation",
                                              NULL);
        rie_invoke_reply_error(c, status, "InvalidRequestContentException",
                               c->http->req.error_reason ?: "Malformed HTTP request.", NULL);
}
