/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "api-functions.h"
#include "api-provisioned.h"
#include "api-store.h"
#include "lambda-contract.h"
#include "log.h"
#include "managed-function.h"
#include "registry.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

#define MSG_UNPUBLISHED "Provisioned Concurrency Configs cannot be applied to unpublished function versions."

/* The version (NAME:N) that qualifier (a version or an alias of API function name) names. */
static int resolve(Manager *m, const char *name, const char *qualifier,
                   char ret[static LAMBDA_FUNCTION_REF_MAX + 1], sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        const char *version = qualifier;
        json_object *a, *v;
        int r;

        if (!qualifier[0] || strcmp(qualifier, "$LATEST") == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, MSG_UNPUBLISHED);
        if (strlen(qualifier) > API_QUALIFIER_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid qualifier: %.32s...",
                                         qualifier);
        if (!lambda_version_parse(qualifier, strlen(qualifier), NULL)) {
                r = api_store_read_aliases(api_functions_store(m), name, &aliases);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Failed to read the aliases of '%s': %m",
                                                       name);
                if (!json_object_object_get_ex(aliases, qualifier, &a))
                        return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                                 "Function not found: %s:%s", name, qualifier);
                version = json_object_object_get_ex(a, "function_version", &v) &&
                                          json_object_is_type(v, json_type_string)
                                  ? json_object_get_string(v)
                                  : "$LATEST";
                if (strcmp(version, "$LATEST") == 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, MSG_UNPUBLISHED);
        }
        (void) snprintf(ret, LAMBDA_FUNCTION_REF_MAX + 1, "%s:%.10s", name, version);
        if (!api_declared(m, ret))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "Function not found: %s:%s", name, qualifier);
        return 0;
}

/* Reads the call's function and qualifier and resolves them: an API function's version. */
static int read_target(sd_bus_message *message, Manager *m, const char **ret_name,
                       const char **ret_qualifier, char ret_version[static LAMBDA_FUNCTION_REF_MAX + 1],
                       sd_bus_error *error)
{
        int r;

        r = sd_bus_message_read(message, "ss", ret_name, ret_qualifier);
        if (r >= 0)
                r = api_check_changeable(m, *ret_name, error);
        if (r >= 0)
                r = resolve(m, *ret_name, *ret_qualifier, ret_version, error);
        return r;
}

/* The version's configuration, or ProvisionedConcurrencyConfigNotFound when qualifier did not put it. */
static int read_config(Manager *m, const char *version, const char *qualifier, ApiProvisioned *ret,
                       sd_bus_error *error)
{
        int r;

        r = api_store_read_provisioned(api_functions_store(m), version, ret);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT || (r >= 0 && strcmp(ret->qualifier, qualifier) != 0))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_PROVISIONED_NOT_FOUND,
                                         "No Provisioned Concurrency Config found for this function");
        if (r < 0)
                return sd_bus_error_set_errnof(
                        error, r, "Failed to read the provisioned concurrency of '%s': %m", version);
        return 0;
}

/* The reserved concurrency (max_instances) that $LATEST's declaration sets; -ENOENT when it sets none. */
static int reserved_concurrency(Manager *m, const char *name, unsigned *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *text = NULL, *message = NULL;
        json_object *v;
        int r;

        r = api_store_read(api_functions_store(m), name, &text, NULL);
        if (r >= 0)
                r = config_json_parse(text, strlen(text), &o, &message);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(o, "max_instances", &v) || !json_object_is_type(v, json_type_int))
                return -ENOENT;
        *ret = (unsigned) json_object_get_int64(v);
        return 0;
}

/* The provisioned concurrency of name's published versions other than version, now. */
static unsigned provisioned_elsewhere(Manager *m, const char *name, const char *version)
{
        unsigned n = 0;

        for (ManagedFunction *f = m->functions; f; f = f->next)
                if (!f->removed && f->config && strcmp(f->name, version) != 0 && function_in_family(f, name))
                        n += f->config->provisioned;
        return n;
}

/* The version's pool keeps requested instances (0: none beyond its declaration's), at once. */
static void apply(Manager *m, const char *version, unsigned requested)
{
        ManagedFunction *f = function_find(m, version);

        if (!f || !f->config)
                return;
        f->config->provisioned = requested;
        f->provisioned_usec = now_usec(CLOCK_MONOTONIC);
        function_limits_update(f, "no longer provisioned");
        manager_update_timers(m);
}

/* Lambda's ProvisionedConcurrencyConfig of the version, from what its pool has now (into an open message).
 */
static int append_config(Manager *m, sd_bus_message *reply, const char *version, const ApiProvisioned *p)
{
        ManagedFunction *f = function_find(m, version);
        unsigned ready = 0, starting = 0, available;
        const char *status = "IN_PROGRESS", *reason = "";
        char last_modified[32];
        int r;

        if (f && f->config) {
                ready = pool_count(&f->pool, INSTANCE_IDLE) + pool_count(&f->pool, INSTANCE_FROZEN) +
                        pool_count(&f->pool, INSTANCE_LEASED) + pool_count(&f->pool, INSTANCE_THAWING);
                starting = pool_count(&f->pool, INSTANCE_STARTING);
        }
        api_format_time(p->last_modified_usec, last_modified);
        available = MIN(ready, p->requested);
        if (available >= p->requested)
                status = "READY";
        else if (f && starting == 0 && f->start_message && f->start_failed_usec >= f->provisioned_usec) {
                status = "FAILED";
                reason = f->start_message;
        }
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "Qualifier", "s",
                                          p->qualifier, "FunctionVersion", "s", strchr(version, ':') + 1,
                                          "Requested", "u", p->requested, "Available", "u", available,
                                          "Allocated", "u", available, "Status", "s", status, "StatusReason",
                                          "s", reason);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "LastModified", "s", last_modified);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_config(Manager *m, sd_bus_message *message, const char *version, const ApiProvisioned *p)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = append_config(m, reply, version, p);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int api_method_put_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        char version[LAMBDA_FUNCTION_REF_MAX + 1];
        Manager *m = userdata;
        const char *name, *qualifier;
        const FunctionConfig *c;
        ApiProvisioned p = {};
        unsigned requested, reserved;
        int r;

        r = read_target(message, m, &name, &qualifier, version, error);
        if (r >= 0)
                r = sd_bus_message_read(message, "u", &requested);
        if (r < 0)
                return r;
        if (requested < 1)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS,
                        "ProvisionedConcurrentExecutions: expected an integer of at least 1.");
        r = reserved_concurrency(m, name, &reserved);
        if (r == -ENOMEM)
                return r;
        /* All its versions' provisioned concurrency within the reserved one, as on Lambda. */
        if (r >= 0 && requested + provisioned_elsewhere(m, name, version) > reserved)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Requested Provisioned Concurrency should not be greater than the "
                                         "reservedConcurrentExecution for function");
        /* The version's instances are within its function's max_instances (function_limits()). */
        c = api_declared(m, name) ?: api_declared(m, version);
        if (requested > c->max_instances)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS,
                        "Requested Provisioned Concurrency (%u) exceeds the max_instances of "
                        "function %s (%u).",
                        requested, name, c->max_instances);
        /* One configuration per version: another qualifier's is a conflict, as in Lambda. */
        r = api_store_read_provisioned(api_functions_store(m), version, &p);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && strcmp(p.qualifier, qualifier) != 0)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Version %s already has a provisioned concurrency configuration "
                                         "through %s.",
                                         strchr(version, ':') + 1, p.qualifier);
        p = (ApiProvisioned){ .requested = requested, .last_modified_usec = now_usec(CLOCK_REALTIME) };
        (void) snprintf(p.qualifier, sizeof(p.qualifier), "%s", qualifier);
        r = api_store_write_provisioned(api_functions_store(m), version, &p);
        if (r < 0)
                return sd_bus_error_set_errnof(
                        error, r, "Failed to store the provisioned concurrency of '%s': %m", version);
        log_info("Version '%s' provisioned with %u instances.", version, requested);
        apply(m, version, requested);
        return reply_config(m, message, version, &p);
}

/* Get's and Delete's target: the version's configuration, which the qualifier must have put. */
static int read_existing(sd_bus_message *message, Manager *m,
                         char version[static LAMBDA_FUNCTION_REF_MAX + 1], ApiProvisioned *ret,
                         sd_bus_error *error)
{
        const char *name, *qualifier;
        int r;

        r = read_target(message, m, &name, &qualifier, version, error);
        if (r >= 0)
                r = read_config(m, version, qualifier, ret, error);
        return r;
}

/* Get (answers the configuration) and Delete (removes it and the instances it kept). */
static int get_or_delete(sd_bus_message *message, Manager *m, bool delete, sd_bus_error *error)
{
        char version[LAMBDA_FUNCTION_REF_MAX + 1];
        ApiProvisioned p;
        int r;

        r = read_existing(message, m, version, &p, error);
        if (r < 0)
                return r;
        if (!delete)
                return reply_config(m, message, version, &p);
        r = api_store_write_provisioned(api_functions_store(m), version, NULL);
        if (r < 0)
                return sd_bus_error_set_errnof(
                        error, r, "Failed to remove the provisioned concurrency of '%s': %m", version);
        log_info("Version '%s' no longer provisioned.", version);
        apply(m, version, 0);
        return sd_bus_reply_method_return(message, NULL);
}

int api_method_get_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return get_or_delete(message, userdata, false, error);
}

int api_method_delete_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return get_or_delete(message, userdata, true, error);
}

int api_method_list_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ unsigned *versions = NULL;
        Manager *m = userdata;
        const char *name;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r >= 0)
                r = api_check_changeable(m, name, error);
        if (r >= 0)
                r = api_store_list_versions(api_functions_store(m), name, &versions, &n);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t k = 0; r >= 0 && k < n; k++) {
                char version[LAMBDA_FUNCTION_REF_MAX + 1];
                ApiProvisioned p;

                (void) snprintf(version, sizeof(version), "%s:%u", name, versions[k]);
                if (api_store_read_provisioned(api_functions_store(m), version, &p) >= 0)
                        r = append_config(m, reply, version, &p);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
