/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * list-functions.h: GET /2015-03-31/functions/ (aws lambda list-functions): the manager's function
 * list in the Lambda API's shape, sorted and paginated by name with Marker and MaxItems. Functions
 * with a URL (GetFunctionConfiguration's UrlAuthType, asked for each function of the page at once)
 * also carry FunctionUrl: http://HOST/url/NAME/, HOST as the request's Host header gave it; zip
 * functions PackageType "Zip", Runtime, Handler, CodeSha256 and CodeSize from the same answer. When
 * the manager says a function's Declaration, its entry is the whole FunctionConfiguration, as
 * GetFunctionConfiguration answers it (function-shape.h).
 */

#include "client.h"
#include "route.h"

struct ListCall {
        ClientConn *client; /* NULL once the client left */
        char marker[ROUTE_MARKER_MAX + 1];
        unsigned max_items;
        char *host;               /* the request's Host, for FunctionUrl */
        struct json_object *page; /* the page, while the URLs of its functions are asked for */
        unsigned pending;         /* GetFunctionConfiguration calls in flight: lc lives until they end */
};

void list_functions_handle(ClientConn *c, const Route *route);
