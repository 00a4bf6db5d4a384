/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The versions a control-plane call reaches other than by its own name: an alias qualifier resolved
 * (GetAlias) to the version it points to, or to one of its two by their weights for an Invoke; and
 * Publish: true of CreateFunction and UpdateFunctionCode, a PublishVersionWhenReady once the change is
 * made. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "function-versions.h"
#include "functions.h"
#include "invocation.h"
#include "lambda-contract.h"
#include "manager-answer.h"

static bool is_alias_route(RouteType type)
{
        return type == ROUTE_CREATE_ALIAS || type == ROUTE_GET_ALIAS || type == ROUTE_UPDATE_ALIAS ||
               type == ROUTE_DELETE_ALIAS;
}

/* GetAlias answered: an invocation runs one of its versions (by their weights), GetFunction and
 * GetFunctionConfiguration show the version it points to. */
void function_versions_alias_resolved(ClientConn *c, FunctionCall *fc, sd_bus_message *m)
{
        char target[LAMBDA_FUNCTION_REF_MAX + 1];
        AliasSettings a;
        FunctionCall *next;
        const char *version;
        uint64_t bits = 0;

        if (sd_bus_message_rewind(m, true) < 0 || manager_alias_read(m, &a) < 0)
                return client_reply_error(c, fc->name, NULL, 502, "ServiceException",
                                          "The manager's answer is invalid.", NULL);
        if (fc->type != ROUTE_INVOKE) {
                version = a.function_version;
                next = calloc(1, sizeof(FunctionCall));
                if (!next)
                        return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.",
                                                  NULL);
                *next = (FunctionCall){ .client = c, .type = fc->type, .principal = fc->principal };
                memcpy(next->name, fc->name, sizeof(next->name));
                memcpy(next->via_alias, fc->qualifier, sizeof(next->via_alias));
                (void) snprintf(next->qualifier, sizeof(next->qualifier), "%s",
                                strcmp(version, "$LATEST") == 0 ? "" : version);
                return functions_call_manager(c, next, NULL, -EBADF);
        }
        if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) != sizeof(bits))
                bits = (uint64_t) random() << 32 ^ (uint64_t) random();
        version = alias_choose(&a, alias_draw(bits));
        if (strcmp(version, "$LATEST") == 0)
                (void) snprintf(target, sizeof(target), "%s", fc->name);
        else
                (void) snprintf(target, sizeof(target), "%s:%.9s", fc->name, version);
        invocation_handle(c, &fc->invoke, target);
}

/* CreateFunction or UpdateFunctionCode with Publish: true, done: the version published now, whose
 * configuration is the answer, as Lambda's is. The manager has stored the change but may still be
 * loading its code: PublishVersionWhenReady answers once it has (within the call's timeout). */
void function_versions_publish(ClientConn *c, const FunctionCall *fc)
{
        FunctionCall *next = calloc(1, sizeof(FunctionCall));

        if (!next)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        *next = (FunctionCall){ .client = c,
                                .type = ROUTE_PUBLISH_VERSION,
                                .principal = fc->principal,
                                .published_from = fc->type };
        memcpy(next->name, fc->name, sizeof(next->name));
        functions_call_manager(c, next, NULL, -EBADF);
}

/* GetFunction's or GetFunctionConfiguration's answer through an alias: its FunctionArn is the alias's,
 * as Lambda's is (Version stays the version's). */
int function_versions_arn_of_alias(json_object *o, const char *function_arn, const char *alias)
{
        char arn[FUNCTION_ARN_MAX + ROUTE_QUALIFIER_MAX + 2];
        json_object *configuration;

        if (json_object_object_get_ex(o, "Configuration", &configuration))
                o = configuration;
        (void) snprintf(arn, sizeof(arn), "%s:%s", function_arn, alias);
        return api_add_string(o, "FunctionArn", arn);
}

typedef enum QualifierKind {
        QUALIFIER_LATEST,
        QUALIFIER_VERSION,
        QUALIFIER_NO_VERSION, /* digits, but no version's: none is that */
        QUALIFIER_ALIAS,
} QualifierKind;

static QualifierKind qualifier_kind(const char *q)
{
        size_t n = strlen(q);

        if (n == 0 || strcmp(q, "$LATEST") == 0)
                return QUALIFIER_LATEST;
        if (lambda_version_parse(q, n, NULL))
                return QUALIFIER_VERSION;
        return strspn(q, "0123456789") == n ? QUALIFIER_NO_VERSION : QUALIFIER_ALIAS;
}

bool functions_invoke_target(const Route *route, char target[static LAMBDA_FUNCTION_REF_MAX + 1])
{
        switch (qualifier_kind(route->qualifier)) {
        case QUALIFIER_LATEST:
                (void) snprintf(target, LAMBDA_FUNCTION_REF_MAX + 1, "%s", route->function);
                return true;
        case QUALIFIER_VERSION:
                (void) snprintf(target, LAMBDA_FUNCTION_REF_MAX + 1, "%s:%.9s", route->function,
                                route->qualifier);
                return true;
        default:
                return false;
        }
}

void functions_invoke(ClientConn *c, const Route *route)
{
        char target[LAMBDA_FUNCTION_REF_MAX + 1];
        FunctionCall *fc;

        if (functions_invoke_target(route, target))
                return invocation_handle(c, route, target);
        if (qualifier_kind(route->qualifier) == QUALIFIER_NO_VERSION)
                return functions_reply_not_found(c, route->function, route->qualifier);
        fc = functions_call_new(c, ROUTE_INVOKE, route->function, "");
        if (!fc)
                return;
        fc->resolving = true;
        fc->invoke = *route;
        memcpy(fc->qualifier, route->qualifier, sizeof(fc->qualifier));
        functions_call_manager(c, fc, NULL, -EBADF);
}

/* Which of the function the route is about: "" ($LATEST), a version, an alias (resolving), or the
 * alias of the alias routes. -EINVAL once answered. */
int function_versions_route_qualifier(ClientConn *c, const Route *route, FunctionCall *fc)
{
        QualifierKind kind = qualifier_kind(route->qualifier);
        bool qualified = route->type == ROUTE_GET_FUNCTION ||
                         route->type == ROUTE_GET_FUNCTION_CONFIGURATION ||
                         route->type == ROUTE_DELETE_FUNCTION;

        if (is_alias_route(route->type) && route->type != ROUTE_CREATE_ALIAS)
                memcpy(fc->qualifier, route->alias, sizeof(fc->qualifier));
        /* Provisioned concurrency: a version or an alias, which the manager resolves ($LATEST refused). */
        if ((route_flags(route->type) & ROUTE_FLAG_PROVISIONED) &&
            route->type != ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS) {
                if (!route->qualifier[0]) {
                        client_reply_error(
                                c, route->function, NULL, 400, API_INVALID_PARAMETER,
                                "1 validation error detected: Value null at 'qualifier' failed to "
                                "satisfy constraint: Member must not be null",
                                NULL);
                        return -EINVAL;
                }
                memcpy(fc->qualifier, route->qualifier, sizeof(fc->qualifier));
                return 0;
        }
        if (route->type == ROUTE_DELETE_FUNCTION && strcmp(route->qualifier, "$LATEST") == 0) {
                client_reply_error(c, route->function, NULL, 400, API_INVALID_PARAMETER,
                                   "$LATEST version cannot be deleted without deleting the function.", NULL);
                return -EINVAL;
        }
        if (kind == QUALIFIER_LATEST)
                return 0;
        if (!qualified || kind == QUALIFIER_NO_VERSION) {
                functions_reply_not_found(c, route->function, route->qualifier);
                return -EINVAL;
        }
        if (kind == QUALIFIER_ALIAS && route->type == ROUTE_DELETE_FUNCTION) {
                client_reply_error(
                        c, route->function, NULL, 400, API_INVALID_PARAMETER,
                        "Deletion of aliases is not supported by DeleteFunction: use DeleteAlias.", NULL);
                return -EINVAL;
        }
        fc->resolving = kind == QUALIFIER_ALIAS;
        memcpy(fc->qualifier, route->qualifier, sizeof(fc->qualifier));
        return 0;
}
