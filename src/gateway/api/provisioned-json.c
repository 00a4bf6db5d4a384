/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "provisioned-json.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Lambda's largest: the account's concurrency; ours is the manager's largest max_instances. */
#define PROVISIONED_MAX 1000

int provisioned_request_parse(json_object *body, ApiError *e, unsigned *ret)
{
        int64_t n;
        int r;

        r = api_body_integer(body, "ProvisionedConcurrentExecutions", "provisionedConcurrentExecutions", 1,
                             PROVISIONED_MAX, e, &n);
        if (r < 0)
                return r;
        *ret = (unsigned) n;
        return 0;
}

int provisioned_config_json(const ProvisionedConfig *p, const char *function_arn, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        char arn[512];

        if (!o)
                return -ENOMEM;
        if (function_arn) {
                (void) snprintf(arn, sizeof(arn), "%s:%s", function_arn, p->qualifier);
                if (api_add_string(o, "FunctionArn", arn) < 0)
                        return -ENOMEM;
        }
        if (api_add_int(o, "RequestedProvisionedConcurrentExecutions", p->requested) < 0 ||
            api_add_int(o, "AvailableProvisionedConcurrentExecutions", p->available) < 0 ||
            api_add_int(o, "AllocatedProvisionedConcurrentExecutions", p->allocated) < 0 ||
            api_add_string(o, "Status", p->status) < 0 ||
            (p->status_reason && p->status_reason[0] &&
             api_add_string(o, "StatusReason", p->status_reason) < 0) ||
            api_add_string(o, "LastModified", p->last_modified) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
