/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "api-aliases.h"
#include "api-functions.h"
#include "api-store.h"
#include "lambda-contract.h"
#include "log.h"
#include "managed-function.h"
#include "registry.h"
#include "util.h"

#define ALIAS_NAME_MAX 128U

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* What CreateAlias and UpdateAlias were given (a{sv}); NULL and false: not given. */
typedef struct AliasChange {
        const char *function_version, *description;
        bool routing;
        const char *extra_version;
        double extra_weight;
} AliasChange;

/* 1 to 128 of [a-zA-Z0-9-_], not all digits (a version's). */
static bool alias_name_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > ALIAS_NAME_MAX || strspn(s, "0123456789") == n)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static const char *member_string(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* The function's aliases, read from the store; the function exists (else FunctionNotFound). */
static int read_aliases(Manager *m, const char *name, json_object **ret, sd_bus_error *error)
{
        const FunctionConfig *c;
        int r;

        r = api_check_declared(m, name, &c, error);
        if (r < 0)
                return r;
        /* The operator's functions have no aliases. */
        if (!c->api || !m->api) {
                *ret = json_object_new_object();
                return *ret ? 0 : -ENOMEM;
        }
        r = api_store_read_aliases(api_functions_store(m), name, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to read the aliases of '%s': %m", name);
        return 0;
}

/* ... of a function that the API may change. */
static int read_changeable_aliases(Manager *m, const char *name, json_object **ret, sd_bus_error *error)
{
        int r;

        r = api_check_changeable(m, name, error);
        if (r < 0)
                return r;
        return read_aliases(m, name, ret, error);
}

static int append_alias(sd_bus_message *reply, const char *alias, json_object *a)
{
        json_object *weights = NULL;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}", "Name", "s", alias, "FunctionVersion",
                                          "s", member_string(a, "function_version") ?: "$LATEST",
                                          "Description", "s", member_string(a, "description") ?: "",
                                          "RevisionId", "s", member_string(a, "revision_id") ?: "");
        if (r >= 0 && json_object_object_get_ex(a, "weights", &weights) &&
            json_object_is_type(weights, json_type_object)) {
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", "AdditionalVersionWeights");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', "a{sd}");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{sd}");
                json_object_object_foreach(weights, version, weight)
                {
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sd}", version,
                                                          json_object_get_double(weight));
                }
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_alias(sd_bus_message *message, const char *alias, json_object *a)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = append_alias(reply, alias, a);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int read_change(sd_bus_message *message, AliasChange *ret, sd_bus_error *error)
{
        AliasChange ch = {};
        int r;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "FunctionVersion") == 0)
                        r = sd_bus_message_read(message, "v", "s", &ch.function_version);
                else if (strcmp(key, "Description") == 0)
                        r = sd_bus_message_read(message, "v", "s", &ch.description);
                else if (strcmp(key, "AdditionalVersionWeights") == 0) {
                        unsigned n = 0;

                        ch.routing = true;
                        r = sd_bus_message_enter_container(message, 'v', "a{sd}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(message, 'a', "{sd}");
                        while (r >= 0 && (r = sd_bus_message_read(message, "{sd}", &ch.extra_version,
                                                                  &ch.extra_weight)) > 0)
                                n++;
                        if (r >= 0)
                                r = sd_bus_message_exit_container(message);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(message);
                        if (r >= 0 && n > 1)
                                return sd_bus_error_setf(
                                        error, SD_BUS_ERROR_INVALID_ARGS,
                                        "RoutingConfig: an alias routes to one additional version at most.");
                } else
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown setting: %s.",
                                                 key);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(message);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;
        *ret = ch;
        return 0;
}

/* Whether NAME has version (a version's number or $LATEST). */
static int check_target(Manager *m, const char *name, const char *version, sd_bus_error *error)
{
        char ref[LAMBDA_FUNCTION_REF_MAX + 1];

        assert(version);
        if (strcmp(version, "$LATEST") == 0)
                return 0;
        (void) snprintf(ref, sizeof(ref), "%s:%.9s", name, version);
        if (!lambda_version_parse(version, strlen(version), NULL) || !api_declared(m, ref))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                         "Function not found: %s:%s", name, version);
        return 0;
}

/* Applies ch to alias a of function name, checked as Lambda checks it, with a new revision. */
static int apply_change(Manager *m, const char *name, json_object *a, const AliasChange *ch,
                        sd_bus_error *error)
{
        const char *version;
        char revision[UUID_STRING_MAX];
        json_object *weights;
        int r;

        if (ch->function_version) {
                r = check_target(m, name, ch->function_version, error);
                if (r < 0)
                        return r;
                if (json_object_object_add(a, "function_version",
                                           json_object_new_string(ch->function_version)) < 0)
                        return -ENOMEM;
        }
        if (ch->description) {
                if (strlen(ch->description) > 256)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Description: at most 256 characters.");
                if (json_object_object_add(a, "description", json_object_new_string(ch->description)) < 0)
                        return -ENOMEM;
        }
        if (ch->routing) {
                json_object_object_del(a, "weights");
                if (ch->extra_version) {
                        if (!(ch->extra_weight >= 0.0 && ch->extra_weight <= 1.0))
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "RoutingConfig: a weight is from 0.0 to 1.0.");
                        r = check_target(m, name, ch->extra_version, error);
                        if (r < 0)
                                return r;
                        weights = json_object_new_object();
                        if (!weights || json_object_object_add(a, "weights", weights) < 0 ||
                            json_object_object_add(weights, ch->extra_version,
                                                   json_object_new_double(ch->extra_weight)) < 0)
                                return -ENOMEM;
                }
        }
        /* The whole alias, as it is now: */
        version = member_string(a, "function_version") ?: "$LATEST";
        if (json_object_object_get_ex(a, "weights", &weights)) {
                json_object_object_foreach(weights, extra, weight)
                {
                        (void) weight;
                        if (strcmp(version, "$LATEST") == 0 || strcmp(extra, "$LATEST") == 0)
                                return sd_bus_error_setf(
                                        error, SD_BUS_ERROR_INVALID_ARGS,
                                        "$LATEST is not supported for an alias pointing to more than 1 "
                                        "version.");
                        if (strcmp(extra, version) == 0)
                                return sd_bus_error_setf(
                                        error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Invalid function version %s. Function version %s is already "
                                        "included in routing configuration.",
                                        extra, extra);
                }
        }
        r = random_uuid(revision);
        if (r < 0)
                return r;
        if (json_object_object_add(a, "revision_id", json_object_new_string(revision)) < 0)
                return -ENOMEM;
        return 0;
}

static int store(Manager *m, const char *name, json_object *aliases, sd_bus_error *error)
{
        int r = api_store_write_aliases(api_functions_store(m), name, aliases);

        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to store the aliases of '%s': %m", name);
        return 0;
}

static int alias_not_found(sd_bus_error *error, const char *name, const char *alias)
{
        return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "Alias not found: %s:%s", name,
                                 alias);
}

static int check_alias_name(const char *alias, sd_bus_error *error)
{
        if (!alias_name_is_valid(alias))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid alias name: 1 to 128 characters of A-Z, a-z, 0-9, '-' and "
                                         "'_', not all digits.");
        return 0;
}

int api_method_create_alias(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL, *a = NULL;
        Manager *m = userdata;
        const char *name, *alias;
        AliasChange ch;
        int r;

        r = sd_bus_message_read(message, "ss", &name, &alias);
        if (r >= 0)
                r = read_change(message, &ch, error);
        if (r >= 0)
                r = check_alias_name(alias, error);
        if (r >= 0)
                r = read_changeable_aliases(m, name, &aliases, error);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(aliases, alias, NULL))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Alias already exists: %s:%s", name, alias);
        if (!ch.function_version)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "FunctionVersion: missing.");
        a = json_object_new_object();
        if (!a)
                return -ENOMEM;
        r = apply_change(m, name, a, &ch, error);
        if (r < 0)
                return r;
        if (json_object_object_add(aliases, alias, json_object_get(a)) < 0)
                return -ENOMEM;
        r = store(m, name, aliases, error);
        if (r < 0)
                return r;
        log_info("Alias '%s:%s' created for version %s.", name, alias, ch.function_version);
        return reply_alias(message, alias, a);
}

int api_method_get_alias(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        Manager *m = userdata;
        const char *name, *alias;
        json_object *a;
        int r;

        r = sd_bus_message_read(message, "ss", &name, &alias);
        if (r >= 0)
                r = read_aliases(m, name, &aliases, error);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(aliases, alias, &a))
                return alias_not_found(error, name, alias);
        return reply_alias(message, alias, a);
}

int api_method_update_alias(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        Manager *m = userdata;
        const char *name, *alias, *revision;
        AliasChange ch;
        json_object *a;
        int r;

        r = sd_bus_message_read(message, "sss", &name, &alias, &revision);
        if (r >= 0)
                r = read_change(message, &ch, error);
        if (r >= 0)
                r = read_changeable_aliases(m, name, &aliases, error);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(aliases, alias, &a))
                return alias_not_found(error, name, alias);
        r = api_check_revision(revision, member_string(a, "revision_id") ?: "", error);
        if (r >= 0)
                r = apply_change(m, name, a, &ch, error);
        if (r >= 0)
                r = store(m, name, aliases, error);
        if (r < 0)
                return r;
        log_info("Alias '%s:%s' changed.", name, alias);
        return reply_alias(message, alias, a);
}

int api_method_delete_alias(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        Manager *m = userdata;
        const char *name, *alias;
        int r;

        r = sd_bus_message_read(message, "ss", &name, &alias);
        if (r >= 0)
                r = read_changeable_aliases(m, name, &aliases, error);
        if (r < 0)
                return r;
        /* As Lambda: deleting an alias that is not there is no error. */
        if (json_object_object_get_ex(aliases, alias, NULL)) {
                json_object_object_del(aliases, alias);
                r = store(m, name, aliases, error);
                if (r < 0)
                        return r;
                log_info("Alias '%s:%s' deleted.", name, alias);
        }
        return sd_bus_reply_method_return(message, NULL);
}

int api_method_list_aliases(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r >= 0)
                r = read_aliases(m, name, &aliases, error);
        if (r >= 0)
                r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        json_object_object_foreach(aliases, alias, a)
        {
                if (r >= 0)
                        r = append_alias(reply, alias, a);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int api_aliases_check_unused(Manager *m, const char *version, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *aliases = NULL;
        char name[LAMBDA_FUNCTION_NAME_MAX + 1], users[512] = "";
        const char *number = strchr(version, ':') + 1;
        int r;

        (void) snprintf(name, sizeof(name), "%.*s", (int) (number - 1 - version), version);
        r = read_aliases(m, name, &aliases, error);
        if (r < 0)
                return r;
        json_object_object_foreach(aliases, alias, a)
        {
                json_object *weights;
                bool uses = strcmp(member_string(a, "function_version") ?: "", number) == 0;

                if (json_object_object_get_ex(a, "weights", &weights) &&
                    json_object_object_get_ex(weights, number, NULL))
                        uses = true;
                if (uses)
                        (void) snprintf(users + strlen(users), sizeof(users) - strlen(users), "%s%s",
                                        users[0] ? ", " : "", alias);
        }
        if (users[0])
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Unable to delete version because the following aliases reference "
                                         "it: [%s]",
                                         users);
        return 0;
}
