/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lambda-contract.h"
#include "macro.h"
#include "manager-answer.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* A key of an a{sv} whose value is a string, and where it goes in the struct read. */
typedef struct StringKey {
        const char *key;
        size_t offset;
} StringKey;

/* Reads the a{sv} where m is: the string keys into base, other keys by other() (which reads the value,
 * or returns 0 without reading it: it is skipped). */
static int read_dict(sd_bus_message *m, const StringKey *keys, size_t n_keys, void *base,
                     int (*other)(sd_bus_message *m, const char *key, void *base))
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, **field = NULL;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_keys; i++)
                        if (strcmp(key, keys[i].key) == 0)
                                field = (const char **) ((char *) base + keys[i].offset);
                if (field)
                        r = sd_bus_message_read(m, "v", "s", field);
                else {
                        r = other(m, key, base);
                        if (r == 0)
                                r = sd_bus_message_skip(m, "v");
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

static int read_function_key(sd_bus_message *m, const char *key, void *base)
{
        ManagerFunction *mf = base;
        int r;

        if (strcmp(key, LAMBDAD_CONFIG_CODE_SIZE) != 0)
                return 0;
        r = sd_bus_message_read(m, "v", "t", &mf->code_size);
        mf->has_code_size = r >= 0;
        return r < 0 ? r : 1;
}

/* One a{sv} of a function's, where m is. */
int manager_function_read_next(sd_bus_message *m, ManagerFunction *ret)
{
        static const StringKey strings[] = {
                { LAMBDAD_CONFIG_SOURCE, offsetof(ManagerFunction, source) },
                { LAMBDAD_CONFIG_DECLARATION, offsetof(ManagerFunction, declaration) },
                { LAMBDAD_CONFIG_REVISION_ID, offsetof(ManagerFunction, revision_id) },
                { LAMBDAD_CONFIG_LAST_MODIFIED, offsetof(ManagerFunction, last_modified) },
                { LAMBDAD_CONFIG_PACKAGE_TYPE, offsetof(ManagerFunction, package_type) },
                { LAMBDAD_CONFIG_STATE, offsetof(ManagerFunction, state) },
                { LAMBDAD_CONFIG_STATE_REASON, offsetof(ManagerFunction, state_reason) },
                { LAMBDAD_CONFIG_LAST_UPDATE_STATUS, offsetof(ManagerFunction, last_update_status) },
                { LAMBDAD_CONFIG_LAST_UPDATE_STATUS_REASON,
                  offsetof(ManagerFunction, last_update_status_reason) },
                { LAMBDAD_CONFIG_RUNTIME, offsetof(ManagerFunction, runtime) },
                { LAMBDAD_CONFIG_HANDLER, offsetof(ManagerFunction, handler) },
                { LAMBDAD_CONFIG_CODE_SHA256, offsetof(ManagerFunction, code_sha256) },
                { LAMBDAD_CONFIG_VERSION, offsetof(ManagerFunction, version) },
        };
        ManagerFunction mf = {};
        int r;

        r = read_dict(m, strings, ELEMENTSOF(strings), &mf, read_function_key);
        if (r < 0)
                return r;
        *ret = mf;
        return 0;
}

int manager_function_read(sd_bus_message *m, ManagerFunction *ret)
{
        int r;

        r = sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        return manager_function_read_next(m, ret);
}

static int read_alias_key(sd_bus_message *m, const char *key, void *base)
{
        AliasSettings *a = base;
        int r;

        if (strcmp(key, "AdditionalVersionWeights") != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'v', "a{sd}");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sd}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{sd}", &a->extra_version, &a->extra_weight)) > 0)
                ;
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

/* An alias's a{sv} (GetAlias's), where m is; AdditionalVersionWeights has one entry at most. */
int manager_alias_read(sd_bus_message *m, AliasSettings *ret)
{
        static const StringKey strings[] = {
                { "Name", offsetof(AliasSettings, name) },
                { "FunctionVersion", offsetof(AliasSettings, function_version) },
                { "Description", offsetof(AliasSettings, description) },
                { "RevisionId", offsetof(AliasSettings, revision_id) },
        };
        AliasSettings a = {};
        int r;

        r = read_dict(m, strings, ELEMENTSOF(strings), &a, read_alias_key);
        if (r < 0)
                return r;
        if (!a.name || !a.function_version)
                return -EBADMSG;
        *ret = a;
        return 0;
}

/* An answer that is a list (aa{sv}) of functions or aliases, into a JSON list. */
int manager_list_read(sd_bus_message *m, const FunctionContext *ctx, bool aliases, json_object *list)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                if (aliases) {
                        AliasSettings a;

                        r = manager_alias_read(m, &a);
                        if (r >= 0)
                                r = alias_json(&a, ctx->arn, &o);
                } else {
                        ManagerFunction mf;

                        r = manager_function_read_next(m, &mf);
                        if (r >= 0)
                                r = function_version_json(&mf, ctx, &o);
                }
                if (r >= 0 && json_object_array_add(list, TAKE_PTR(o)) < 0)
                        r = -ENOMEM;
        }
        return r < 0 ? r : 0;
}

static int read_provisioned_key(sd_bus_message *m, const char *key, void *base)
{
        static const struct {
                const char *key;
                size_t offset;
        } counts[] = {
                { "Requested", offsetof(ProvisionedConfig, requested) },
                { "Available", offsetof(ProvisionedConfig, available) },
                { "Allocated", offsetof(ProvisionedConfig, allocated) },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(counts); i++)
                if (strcmp(key, counts[i].key) == 0) {
                        r = sd_bus_message_read(m, "v", "u",
                                                (unsigned *) ((char *) base + counts[i].offset));
                        return r < 0 ? r : 1;
                }
        return 0;
}

int manager_provisioned_read(sd_bus_message *m, ProvisionedConfig *ret)
{
        static const StringKey strings[] = {
                { "Qualifier", offsetof(ProvisionedConfig, qualifier) },
                { "FunctionVersion", offsetof(ProvisionedConfig, function_version) },
                { "Status", offsetof(ProvisionedConfig, status) },
                { "StatusReason", offsetof(ProvisionedConfig, status_reason) },
                { "LastModified", offsetof(ProvisionedConfig, last_modified) },
        };
        ProvisionedConfig p = {};
        int r;

        r = read_dict(m, strings, ELEMENTSOF(strings), &p, read_provisioned_key);
        if (r < 0)
                return r;
        if (!p.qualifier || !p.status || !p.last_modified)
                return -EBADMSG;
        *ret = p;
        return 0;
}

int manager_provisioned_list_read(sd_bus_message *m, ProvisionedConfig **ret, size_t *ret_n)
{
        _cleanup_free_ ProvisionedConfig *list = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
                ProvisionedConfig *l = reallocarray(list, n + 1, sizeof(ProvisionedConfig));

                if (!l)
                        return -ENOMEM;
                list = l;
                r = manager_provisioned_read(m, &list[n]);
                n += r >= 0;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}
