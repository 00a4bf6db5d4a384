/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * url-call.h: a request to a function URL (/url/NAME/... or Host NAME.lambda-url.HOST): the URL's
 * configuration from the manager (GetFunctionConfiguration, asked for each request: one local bus
 * round trip, never cached, so a reload shows at once), CORS preflights answered by the gateway,
 * SigV4 for AWS_IAM URLs, the payload format 2.0 event run as an invocation (invocation.h: the same
 * queue, limits and 429s as Invoke), and its answer mapped back by function-url.h's rules: whole, or,
 * for a RESPONSE_STREAM URL of a function that streams, as it comes (the prelude's head, then the
 * body in chunks).
 */

#include "client.h"
#include "invocation.h"
#include "route.h"

/* What GetFunctionConfiguration says of a function's URL; the strings point into the message. */
typedef struct UrlSettings {
        const char *auth; /* NULL: no URL */
        const char *cors;
        const char *invoke_mode;
} UrlSettings;

/* Reads GetFunctionConfiguration's reply, skipping the keys of other features. Negative errno for a
 * malformed reply. */
int url_settings_read(sd_bus_message *m, UrlSettings *ret);

typedef struct UrlCall {
        ClientConn *client; /* NULL once the client left */
        Route route;
} UrlCall;

void url_call_handle(ClientConn *c, const Route *route);

/* The whole answer of a URL's invocation, to its client. */
void url_call_answer(Invocation *inv, ClientConn *c);

/* The instance streams the answer of a RESPONSE_STREAM URL's invocation, with this Content-Type (NULL:
 * none): with the prelude, or passed through as it is. -ENOMEM. */
int url_call_stream_begin(Invocation *inv, const char *content_type);

/* A piece of it, for client c: into the prelude until its head is complete, then to the client. A
 * malformed prelude is answered 502 at once (the rest is dropped). -ENOMEM. */
int url_call_stream_body(Invocation *inv, ClientConn *c, const char *p, size_t n);

/* It is complete (c: its client, or NULL when gone): the body ends, or, for a function that failed
 * mid-stream, is cut off; an answer whose head never went out is answered whole (502 for an error). */
void url_call_stream_end(Invocation *inv, ClientConn *c);
