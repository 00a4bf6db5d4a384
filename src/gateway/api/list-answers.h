/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * list-answers.h: the answers of the list routes of one function as AWS Lambda pages them:
 * ListVersionsByFunction and ListAliases (of those, the ones that run FunctionVersion, by their
 * FunctionVersion or their weights) from the manager's aa{sv}, and ListProvisionedConcurrencyConfigs,
 * each the page that the route's Marker and MaxItems ask for (api_list_page()).
 */

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "api-json.h"
#include "function-shape.h"
#include "route.h"

/* What the route asked of the list; strings borrowed. */
typedef struct ListPage {
        const char *marker;           /* "" when none */
        unsigned max_items;           /* 0 when none */
        const char *function_version; /* ListAliases' filter; "" when none */
} ListPage;

/* The answer of the route of that type to the manager's answer m (read from its start). -EINVAL with
 * *e for a Marker or MaxItems that does not fit; -EBADMSG for a malformed answer; -ENOMEM. */
int list_answer_json(sd_bus_message *m, RouteType type, const FunctionContext *ctx, const ListPage *page,
                     ApiError *e, json_object **ret);
