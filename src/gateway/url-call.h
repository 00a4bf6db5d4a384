/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * url-call.h: a request to a function URL (/url/NAME/... or Host NAME.lambda-url.HOST): the URL's
 * configuration from the manager (GetFunctionConfiguration, asked for each request: one local bus
 * round trip, never cached, so a reload shows at once), CORS preflights answered by the gateway,
 * SigV4 for AWS_IAM URLs, the payload format 2.0 event run as an invocation (invocation.h: the same
 * queue, limits and 429s as Invoke), and its answer mapped back by function-url.h's rules.
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
