/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * client.h: one client's HTTP/1.1 connection to the gateway: the whole-request timeout (slow
 * clients get 408), the bound on each request's body (Lambda's for uploads, the payload limit
 * otherwise), authentication and routing of each request to the API that answers it, and the service
 * errors in the Invoke API's shape.
 */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "auth.h"
#include "event-queue.h"
#include "gateway.h"
#include "http-conn.h"
#include "route.h"
#include "trace.h"

typedef struct FunctionCall FunctionCall;
typedef struct ListCall ListCall;
typedef struct UrlCall UrlCall;

struct ClientConn {
        Gateway *gateway;
        HttpConn *http;
        sd_event_source *io;
        sd_event_source *timer; /* the request must be complete before it fires */
        bool timer_armed;
        bool body_streamed;     /* the current request's invocation started at its head (its body streams) */
        Invocation *invocation; /* the invocation answering the current request */
        ListCall *list_call;    /* or the ListFunctions call doing so */
        UrlCall *url_call;      /* or the configuration call of a function URL */
        FunctionCall *function_call; /* or a control-plane call (api/functions.h) */
        EventAccept *event_accept;   /* or the queue writing its Event invocation to disk */
        TraceRecord trace;           /* the current request's stages (trace.h; bench only) */
        ClientConn *prev, *next;
};

/* Takes over fd, an accepted connection. */
int client_new(Gateway *g, int fd);

/* At the connection limit: closes the oldest connection that has no complete request (a silent or
 * slow one, or an idle keep-alive one), so that a connection that sends one is served. Returns
 * whether there was one: connections with a request being answered are never evicted. */
bool client_evict_waiting(Gateway *g);

/* Drops idle keep-alive connections now and closes busy ones once answered (draining). */
void client_drain_all(Gateway *g);

/* A service error in the Invoke API's shape ({"Type":"User","message"}, x-amzn-ErrorType,
 * x-amzn-RequestId, Retry-After for 429/503), counted in the metrics. request_id may be NULL. */
void client_reply_error(ClientConn *c, const char *function, const char *request_id, int status,
                        const char *type, const char *message, const char *reason);

/* Checks the request's credentials for invoking function (NULL: a call that touches none); when they
 * do not pass, answers (403, or 400 for a body that does not match its signed hash) and returns
 * -EACCES. */
int client_check_auth(ClientConn *c, const char *function);

/* Who sent the request: *ret_caller (NULL when authentication is off); when the credentials do not
 * pass, answers as client_check_auth() does and returns -EACCES. */
int client_authenticate(ClientConn *c, const AuthEntry **ret_caller);

/* Whether caller (from client_authenticate()) has right on function; when not, answers 403
 * AccessDeniedException naming the operation of route, logs who was refused what, and returns
 * -EACCES. */
int client_authorize(ClientConn *c, const AuthEntry *caller, const char *function, AuthRight right,
                     RouteType route);

void client_reply_plain(ClientConn *c, int status, const char *content_type, const char *body, size_t len);
