/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * list-functions.h: GET /2015-03-31/functions/ (aws lambda list-functions): the manager's function
 * list in the Lambda API's shape, sorted and paginated by name with Marker and MaxItems.
 */

#include "client.h"
#include "route.h"

struct ListCall {
        ClientConn *client; /* NULL once the client left */
        char marker[ROUTE_MARKER_MAX + 1];
        unsigned max_items;
};

void list_functions_handle(ClientConn *c, const Route *route);
