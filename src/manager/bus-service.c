/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adoption.h"
#include "api-aliases.h"
#include "api-functions.h"
#include "api-provisioned.h"
#include "api-versions.h"
#include "bus-service.h"
#include "handover.h"
#include "lease-owner.h"
#include "strv.h"
#include "declarations.h"
#include "docker-json.h"
#include "instance.h"
#include "lifetime-cleanup.h"
#include "log.h"
#include "managed-function.h"
#include "pending-call.h"
#include "util.h"

/* Instance ids in one Reclaim: more than any gateway holds. */
#define RECLAIM_MAX 4096U

/* A function name from a caller: 0, or InvalidArgs saying what a name may be. */
static int check_function_name(const char *name, sd_bus_error *error)
{
        if (!function_ref_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid function name '%s': 1-64 of [A-Za-z0-9_-], or that, ':' "
                                         "and a version.",
                                         name);
        return 0;
}

/* The one argument of a method taking a function's name. */
static int read_function_name(sd_bus_message *message, sd_bus_error *error, const char **ret)
{
        int r;

        r = sd_bus_message_read(message, "s", ret);
        if (r < 0)
                return r;
        return check_function_name(*ret, error);
}

static int acquire_common(sd_bus_message *message, Manager *m, CallKind kind, sd_bus_error *error)
{
        PendingCall *pc = NULL;
        const char *name;
        ManagedFunction *f;
        int r;

        r = read_function_name(message, error, &name);
        if (r < 0)
                return r;
        if (m->exiting)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                         "lambda-manager is stopping.");
        /* Instances of earlier lifetimes may be about to join the pool: serve from them. */
        if (adoption_holding(m))
                return adoption_defer(m, message);

        r = pending_new(m, NULL, message, kind, &pc);
        if (r < 0)
                return r;
        r = function_for_call(m, name, pc, &f);
        if (r == -ENOENT) {
                pending_free(pc);
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction not found: '%s' is not declared.", name);
        }
        if (r < 0) {
                pending_free(pc);
                return r;
        }
        if (f)
                function_acquire(f, pc);
        /* else answered once the image is checked or the code prepared */
        return 1;
}

static int method_acquire(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return acquire_common(message, userdata, CALL_ACQUIRE, error);
}

static int method_ensure_container(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return acquire_common(message, userdata, CALL_ENSURE, error);
}

static int method_release(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *id, *sender;
        PoolActions a = {};
        Instance *i;
        int healthy, r;

        r = sd_bus_message_read(message, "sb", &id, &healthy);
        if (r < 0)
                return r;
        if (!docker_id_is_valid(id))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid instance id '%s'.", id);

        sender = sd_bus_message_get_sender(message);
        i = instance_find(m, id);
        if (!i || i->slot->state != INSTANCE_LEASED || !sender || !i->slot->owner ||
            strcmp(i->slot->owner, sender) != 0)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_INSTANCE_NOT_FOUND,
                                         "No instance %s is leased to %s.", id, sender ?: "the caller");

        r = pool_release(&i->function->pool, i->slot, healthy, now_usec(CLOCK_MONOTONIC), &a);
        if (r < 0)
                return r;
        manager_apply(m, i->function, &a, healthy ? "stopped" : "released unhealthy");
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, NULL);
}

/* Reclaim's one instance id: kept when it is leased to sender, or an adopted idle one that no record gave
 * to anybody. */
static int reclaim_one(Manager *m, const char *id, const char *sender, sd_bus_message *message)
{
        Instance *i = instance_find(m, id);
        int r;

        if (!i || !i->adopted)
                return 0;
        if (i->slot->state == INSTANCE_LEASED)
                return i->slot->owner && strcmp(i->slot->owner, sender) == 0;
        r = pool_reclaim(&i->function->pool, i->slot, sender);
        if (r == -EBUSY)
                return 0;
        if (r >= 0)
                r = lease_owner_track(m, message);
        return r < 0 ? r : 1;
}

static int method_reclaim(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **ids = NULL, **kept = NULL;
        Manager *m = userdata;
        const char *sender = sd_bus_message_get_sender(message);
        int r;

        r = sd_bus_message_read_strv(message, &ids);
        if (r < 0)
                return r;
        if (strv_length(ids) > RECLAIM_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "At most %u instance ids.",
                                         RECLAIM_MAX);
        for (char **id = ids; *id; id++)
                if (!docker_id_is_valid(*id))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid instance id '%s'.", *id);
        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Reclaim needs a bus peer.");
        if (adoption_holding(m))
                return adoption_defer(m, message);

        for (char **id = ids; *id; id++) {
                r = reclaim_one(m, *id, sender, message);
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = strv_extend(&kept, *id);
                        if (r < 0)
                                return r;
                }
        }
        /* What the record gave the caller and it no longer holds (it let go while we were away). */
        for (Instance *i = m->instances, *next; i; i = next) {
                PoolActions a = {};

                next = i->next;
                if (!i->adopted || i->slot->state != INSTANCE_LEASED || !i->slot->owner ||
                    strcmp(i->slot->owner, sender) != 0 || strv_contains(kept, i->id))
                        continue;
                r = pool_release(&i->function->pool, i->slot, true, now_usec(CLOCK_MONOTONIC), &a);
                if (r < 0)
                        return r;
                manager_apply(m, i->function, &a, NULL);
                pool_actions_done(&a);
        }
        handover_sync(m);
        log_debug("%s reclaimed %zu of the %zu instance(s) it held.", sender, strv_length(kept),
                  strv_length(ids));

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, kept);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_functions(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssbuuuu)");
        if (r < 0)
                return r;
        for (ManagedFunction *f = m->functions; f; f = f->next) {
                if (f->removed || !f->config)
                        continue;
                r = sd_bus_message_append(
                        reply, "(ssbuuuu)", f->name, f->config->image, f->config->implicit,
                        f->config->min_instances, f->pool.limits.max_instances, f->pool.n_instances,
                        pool_count(&f->pool, INSTANCE_IDLE) + pool_count(&f->pool, INSTANCE_FROZEN));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* GetFunctionConfiguration's dictionary is built one group of keys at a time, each group by its own
 * function, so that a feature adds its keys without touching the others'. */
static int append_url_configuration(sd_bus_message *reply, const FunctionConfig *c)
{
        if (!c->url)
                return 0;
        return sd_bus_message_append(reply, "{sv}{sv}{sv}", "UrlAuthType", "s", c->url->auth,
                                     "UrlInvokeMode", "s", c->url->invoke_mode, "UrlCors", "s",
                                     c->url->cors_json);
}

/* The keys of asynchronous invocation (the instance limit, 0 refusing events too; retries, event
 * age, destinations). */
static int append_async_configuration(sd_bus_message *reply, const FunctionConfig *c)
{
        int r;

        r = sd_bus_message_append(
                reply, "{sv}{sv}{sv}", LAMBDAD_CONFIG_MAX_INSTANCES, "u", (uint32_t) c->max_instances,
                LAMBDAD_CONFIG_MAXIMUM_RETRY_ATTEMPTS, "u", (uint32_t) c->maximum_retry_attempts,
                LAMBDAD_CONFIG_MAXIMUM_EVENT_AGE_SECONDS, "u", (uint32_t) c->maximum_event_age_sec);
        if (r >= 0 && c->on_success)
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_ON_SUCCESS, "s", c->on_success);
        if (r >= 0 && c->on_failure)
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_ON_FAILURE, "s", c->on_failure);
        return r;
}

/* The keys of a zip function: its runtime, handler and code as AWS shows them. */
static int append_code_configuration(sd_bus_message *reply, const FunctionConfig *c)
{
        int r;

        if (!c->code)
                return 0;
        r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_RUNTIME, "s", c->code->runtime);
        if (r >= 0 && c->code->handler)
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_HANDLER, "s", c->code->handler);
        if (r >= 0 && c->code->code_sha256[0])
                r = sd_bus_message_append(reply, "{sv}{sv}", LAMBDAD_CONFIG_CODE_SHA256, "s",
                                          c->code->code_sha256, LAMBDAD_CONFIG_CODE_SIZE, "t",
                                          (uint64_t) c->code->code_size);
        return r;
}

int bus_append_function_configuration(Manager *m, sd_bus_message *reply, ManagedFunction *f)
{
        /* A function whose code is still being prepared is shown as it will be. */
        const FunctionConfig *c = f->config ?: f->pending_config;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_url_configuration(reply, c);
        if (r >= 0)
                r = append_async_configuration(reply, c);
        if (r >= 0)
                r = append_code_configuration(reply, c);
        if (r >= 0)
                r = api_append_configuration(m, f, reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_reply_function_configuration(Manager *m, sd_bus_message *message, ManagedFunction *f)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = bus_append_function_configuration(m, reply, f);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_function_configuration(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        PendingCall *pc = NULL;
        const char *name;
        ManagedFunction *f;
        int r;

        r = read_function_name(message, error, &name);
        if (r < 0)
                return r;
        f = function_find(m, name);
        if (f && f->removed)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction '%s' is not declared.", name);
        if (f && (f->config ?: f->pending_config))
                return bus_reply_function_configuration(m, message, f);

        /* An implicit function whose image was not looked at yet: the answer waits for it, as Acquire
         * would (the gateway asks whether a function exists before it accepts an Event invocation). */
        r = pending_new(m, NULL, message, CALL_CONFIGURATION, &pc);
        if (r >= 0)
                r = function_for_call(m, name, pc, &f);
        if (r == -ENOENT) {
                pending_free(pc);
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction '%s' is not declared.", name);
        }
        if (r < 0) {
                pending_free(pc);
                return r;
        }
        if (f)
                pending_reply_configuration(pc, f);
        return 1;
}

static int method_list_instances(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        /* Right after a restart, the list includes what is being adopted. */
        if (adoption_holding(m))
                return adoption_defer(m, message);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssqs)");
        if (r < 0)
                return r;
        for (Instance *i = m->instances; i; i = i->next) {
                r = sd_bus_message_append(reply, "(ssssqs)", i->id ?: "", i->function->name,
                                          instance_state_to_string(i->slot->state), i->host ?: "", i->port,
                                          i->slot->owner ?: "");
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_stop_function(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        PoolActions a = {};
        const char *name;
        ManagedFunction *f;
        int r;

        r = read_function_name(message, error, &name);
        if (r < 0)
                return r;
        f = function_find(m, name);
        if (!f || !f->config)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "ManagedFunction '%s' has no instances.", name);

        r = pool_stop_all(&f->pool, &a);
        if (r < 0)
                return r;
        manager_apply(m, f, &a, "stopped by request");
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_prewarm(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        PoolActions a = {};
        const char *name;
        uint32_t count;
        ManagedFunction *f;
        int r;

        r = sd_bus_message_read(message, "su", &name, &count);
        if (r < 0)
                return r;
        r = check_function_name(name, error);
        if (r < 0)
                return r;
        f = function_find(m, name);
        if (!f || !f->config)
                return sd_bus_error_setf(
                        error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                        "ManagedFunction '%s' is not declared (implicit functions prewarm on first use).",
                        name);
        if (count > f->pool.limits.max_instances)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "ManagedFunction '%s' allows at most %u instances.", name,
                                         f->pool.limits.max_instances);

        r = pool_prewarm(&f->pool, count, &a);
        if (r < 0)
                return r;
        manager_apply(m, f, &a, NULL);
        pool_actions_done(&a);
        return sd_bus_reply_method_return(message, "u", (uint32_t) r);
}

static int method_cleanup_zombies(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        int r;

        /* Containers still being looked at may yet be adopted. */
        if (adoption_holding(userdata))
                return adoption_defer(userdata, message);
        r = cleanup_start(userdata, CLEANUP_OTHERS, message);
        if (r < 0)
                return r;
        return 1;
}

static int method_reload(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        int r;

        r = declarations_load(userdata);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Failed to reload: %s", strerror(-r));
        return sd_bus_reply_method_return(message, NULL);
}

static int property_get_instances(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) m->n_instances);
}

static int property_get_functions(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        uint32_t n = 0;

        for (ManagedFunction *f = m->functions; f; f = f->next)
                n += !f->removed && f->config;
        return sd_bus_message_append(reply, "u", n);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;

        if (strcmp(property, "Lifetime") == 0)
                return sd_bus_message_append(reply, "s", m->lifetime);
        if (strcmp(property, "DockerSocket") == 0)
                return sd_bus_message_append(reply, "s", m->config.docker_socket);
        return sd_bus_message_append(reply, "s", "docker");
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Backend", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DockerSocket", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Lifetime", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Functions", "u", property_get_functions, 0, 0),
        SD_BUS_PROPERTY("Instances", "u", property_get_instances, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("EnsureContainer", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("s", host, "q", port, "s", instance_secret),
                                method_ensure_container, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "Acquire", SD_BUS_ARGS("s", function_name),
                SD_BUS_RESULT("s", instance_id, "s", host, "q", port, "b", thawed, "s", instance_secret),
                method_acquire, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("s", instance_id, "b", healthy), SD_BUS_NO_RESULT,
                                method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reclaim", SD_BUS_ARGS("as", instance_ids), SD_BUS_RESULT("as", kept),
                                method_reclaim, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListFunctions", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssbuuuu)", functions),
                                method_list_functions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetFunctionConfiguration", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("a{sv}", configuration), method_get_function_configuration,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateFunction",
                                SD_BUS_ARGS("s", function_name, "s", declaration, "ah", zip),
                                SD_BUS_RESULT("a{sv}", configuration), api_method_create_function,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UpdateFunction",
                                SD_BUS_ARGS("s", function_name, "s", revision_id, "s", changes, "ah", zip),
                                SD_BUS_RESULT("a{sv}", configuration), api_method_update_function,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteFunction", SD_BUS_ARGS("s", function_name), SD_BUS_NO_RESULT,
                                api_method_delete_function, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "PublishVersion",
                SD_BUS_ARGS("s", function_name, "s", code_sha256, "s", revision_id, "s", description),
                SD_BUS_RESULT("a{sv}", configuration), api_method_publish_version,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "PublishVersionWhenReady",
                SD_BUS_ARGS("s", function_name, "s", code_sha256, "s", revision_id, "s", description),
                SD_BUS_RESULT("a{sv}", configuration), api_method_publish_version_when_ready,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVersions", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("aa{sv}", configurations), api_method_list_versions,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateAlias",
                                SD_BUS_ARGS("s", function_name, "s", alias, "a{sv}", settings),
                                SD_BUS_RESULT("a{sv}", alias_configuration), api_method_create_alias,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAlias", SD_BUS_ARGS("s", function_name, "s", alias),
                                SD_BUS_RESULT("a{sv}", alias_configuration), api_method_get_alias,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "UpdateAlias",
                SD_BUS_ARGS("s", function_name, "s", alias, "s", revision_id, "a{sv}", changes),
                SD_BUS_RESULT("a{sv}", alias_configuration), api_method_update_alias,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteAlias", SD_BUS_ARGS("s", function_name, "s", alias), SD_BUS_NO_RESULT,
                                api_method_delete_alias, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAliases", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("aa{sv}", aliases), api_method_list_aliases,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PutProvisionedConcurrencyConfig",
                                SD_BUS_ARGS("s", function_name, "s", qualifier, "u", requested),
                                SD_BUS_RESULT("a{sv}", provisioned_configuration),
                                api_method_put_provisioned, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProvisionedConcurrencyConfig",
                                SD_BUS_ARGS("s", function_name, "s", qualifier),
                                SD_BUS_RESULT("a{sv}", provisioned_configuration),
                                api_method_get_provisioned, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteProvisionedConcurrencyConfig",
                                SD_BUS_ARGS("s", function_name, "s", qualifier), SD_BUS_NO_RESULT,
                                api_method_delete_provisioned, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProvisionedConcurrencyConfigs", SD_BUS_ARGS("s", function_name),
                                SD_BUS_RESULT("aa{sv}", provisioned_configurations),
                                api_method_list_provisioned, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListInstances", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssqs)", instances),
                                method_list_instances, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopFunction", SD_BUS_ARGS("s", function_name), SD_BUS_NO_RESULT,
                                method_stop_function, 0),
        SD_BUS_METHOD_WITH_ARGS("Prewarm", SD_BUS_ARGS("s", function_name, "u", count),
                                SD_BUS_RESULT("u", started), method_prewarm, 0),
        SD_BUS_METHOD_WITH_ARGS("CleanupZombies", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", removed),
                                method_cleanup_zombies, 0),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload, 0),
        SD_BUS_SIGNAL_WITH_ARGS("InstanceStarted",
                                SD_BUS_ARGS("s", instance_id, "s", function_name, "s", host, "q", port), 0),
        SD_BUS_SIGNAL_WITH_ARGS("InstanceStopped",
                                SD_BUS_ARGS("s", instance_id, "s", function_name, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

/* The methods whose calls adoption_defer() holds. */
static const struct {
        const char *member;
        sd_bus_message_handler_t handler;
} deferrable[] = {
        { "Acquire", method_acquire },
        { "EnsureContainer", method_ensure_container },
        { "Reclaim", method_reclaim },
        { "CleanupZombies", method_cleanup_zombies },
        { "ListInstances", method_list_instances },
};

void bus_service_dispatch(Manager *m, sd_bus_message *message)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *member = sd_bus_message_get_member(message);
        int r = -EBADR;

        (void) sd_bus_message_rewind(message, true);
        for (size_t k = 0; k < ELEMENTSOF(deferrable); k++)
                if (member && strcmp(member, deferrable[k].member) == 0) {
                        r = deferrable[k].handler(message, m, &error);
                        break;
                }
        /* As sd-bus answers a handler's failure. */
        if (sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(message, &error);
        else if (r < 0)
                (void) sd_bus_reply_method_errno(message, r, NULL);
}

int bus_service_register(Manager *m)
{
        return sd_bus_add_object_vtable(m->bus, NULL, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                        manager_vtable, m);
}
