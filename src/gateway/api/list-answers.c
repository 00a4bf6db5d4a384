/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "list-answers.h"
#include "manager-answer.h"
#include "provisioned-json.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Whether alias a (an AliasConfiguration) runs version. */
static bool alias_runs(json_object *a, const char *version)
{
        json_object *v, *routing, *weights;

        if (json_object_object_get_ex(a, "FunctionVersion", &v) &&
            strcmp(json_object_get_string(v), version) == 0)
                return true;
        return json_object_object_get_ex(a, "RoutingConfig", &routing) &&
               json_object_object_get_ex(routing, "AdditionalVersionWeights", &weights) &&
               json_object_object_get_ex(weights, version, NULL);
}

/* ListProvisionedConcurrencyConfigs' items, each named by its version's or alias's ARN. */
static int provisioned_list(sd_bus_message *m, const FunctionContext *ctx, json_object *list)
{
        _cleanup_free_ ProvisionedConfig *items = NULL;
        size_t n = 0;
        int r;

        r = manager_provisioned_list_read(m, &items, &n);
        for (size_t k = 0; r >= 0 && k < n; k++) {
                json_object *item = NULL;

                r = provisioned_config_json(&items[k], ctx->arn, &item);
                if (r >= 0 && json_object_array_add(list, item) < 0) {
                        json_object_put(item);
                        r = -ENOMEM;
                }
        }
        return r;
}

int list_answer_json(sd_bus_message *m, RouteType type, const FunctionContext *ctx, const ListPage *page,
                     ApiError *e, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *list = json_object_new_array();
        bool aliases = type == ROUTE_LIST_ALIASES;
        int r;

        if (!list)
                return -ENOMEM;
        r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = type == ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS
                            ? provisioned_list(m, ctx, list)
                            : manager_list_read(m, ctx, aliases, list);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        for (size_t k = json_object_array_length(list); aliases && page->function_version[0] && k > 0; k--)
                if (!alias_runs(json_object_array_get_idx(list, k - 1), page->function_version))
                        (void) json_object_array_del_idx(list, k - 1, 1);
        if (type == ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS)
                return api_list_page(TAKE_PTR(list), "ProvisionedConcurrencyConfigs", page->marker,
                                     page->max_items, PROVISIONED_LIST_MAX, e, ret);
        return api_list_page(TAKE_PTR(list), aliases ? "Aliases" : "Versions", page->marker, page->max_items,
                             ROUTE_MAX_ITEMS_MAX, e, ret);
}
