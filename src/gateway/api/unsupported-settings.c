/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "unsupported-settings.h"

void lambda_log_group(const char *function, char buf[static LAMBDA_LOG_GROUP_MAX])
{
        (void) snprintf(buf, LAMBDA_LOG_GROUP_MAX, "/aws/lambda/%s", function);
}

static bool is_empty_list(json_object *v)
{
        return !v || (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0);
}

static bool is_empty_string(json_object *v)
{
        return !v || (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0);
}

static bool is_false(json_object *v)
{
        return !v || (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
}

static bool string_member_is(json_object *o, const char *key, const char *value)
{
        json_object *v = api_member(o, key);

        return !v ||
               (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), value) == 0);
}

/* Whether o is an object none of whose members are other than these (absent ones pass). */
static bool object_has_only(json_object *o, const char *const *keys)
{
        if (!json_object_is_type(o, json_type_object))
                return false;
        json_object_object_foreach(o, key, value)
        {
                bool known = false;

                if (!value)
                        continue;
                for (const char *const *k = keys; *k; k++)
                        known = known || strcmp(*k, key) == 0;
                if (!known)
                        return false;
        }
        return true;
}

static bool vpc_config_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "SubnetIds", "SecurityGroupIds", "Ipv6AllowedForDualStack",
                                            NULL };

        return object_has_only(v, keys) && is_empty_list(api_member(v, "SubnetIds")) &&
               is_empty_list(api_member(v, "SecurityGroupIds")) &&
               is_false(api_member(v, "Ipv6AllowedForDualStack"));
}

static bool dead_letter_config_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "TargetArn", NULL };

        return object_has_only(v, keys) && is_empty_string(api_member(v, "TargetArn"));
}

static bool tracing_config_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "Mode", NULL };

        return object_has_only(v, keys) && string_member_is(v, "Mode", LAMBDA_TRACING_MODE);
}

static bool snap_start_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "ApplyOn", NULL };

        return object_has_only(v, keys) && string_member_is(v, "ApplyOn", LAMBDA_SNAP_START_APPLY_ON);
}

static bool ephemeral_storage_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "Size", NULL };
        json_object *size = api_member(v, "Size");

        return object_has_only(v, keys) &&
               (!size || (json_object_is_type(size, json_type_int) &&
                          json_object_get_int64(size) == LAMBDA_EPHEMERAL_STORAGE_MB));
}

static bool logging_config_is_default(json_object *v, const char *function)
{
        static const char *const keys[] = { "LogFormat", "LogGroup", NULL };
        char group[LAMBDA_LOG_GROUP_MAX];

        lambda_log_group(function ?: "", group);
        return object_has_only(v, keys) && string_member_is(v, "LogFormat", LAMBDA_LOG_FORMAT) &&
               (!function || string_member_is(v, "LogGroup", group));
}

static bool is_empty_string_value(json_object *v, const char *function)
{
        return is_empty_string(v);
}

static bool is_empty_list_value(json_object *v, const char *function)
{
        return is_empty_list(v);
}

static bool never_default(json_object *v, const char *function)
{
        return false;
}

typedef struct UnsupportedField {
        const char *name;
        bool (*is_default)(json_object *v, const char *function);
        const char *defaults; /* what passes, for the message */
} UnsupportedField;

static const UnsupportedField unsupported_fields[] = {
        { "VpcConfig", vpc_config_is_default, "no subnets and no security groups" },
        { "DeadLetterConfig", dead_letter_config_is_default, "no TargetArn" },
        { "KMSKeyArn", is_empty_string_value, "\"\"" },
        { "TracingConfig", tracing_config_is_default, "Mode PassThrough" },
        { "FileSystemConfigs", is_empty_list_value, "[]" },
        { "SnapStart", snap_start_is_default, "ApplyOn None" },
        { "EphemeralStorage", ephemeral_storage_is_default, "Size 512" },
        { "LoggingConfig", logging_config_is_default, "LogFormat Text, LogGroup /aws/lambda/NAME" },
        { "CodeSigningConfigArn", is_empty_string_value, "\"\"" },
        { "CapacityProviderConfig", never_default, NULL },
        { "DurableConfig", never_default, NULL },
        { "TenancyConfig", never_default, NULL },
        { "PublishTo", never_default, NULL },
        { "SourceKMSKeyArn", is_empty_string_value, "\"\"" },
};

int api_check_unsupported(json_object *body, const char *function, ApiError *e)
{
        for (size_t i = 0; i < ELEMENTSOF(unsupported_fields); i++) {
                const UnsupportedField *f = unsupported_fields + i;
                json_object *v = api_member(body, f->name);
                char instead[128];

                if (!v || f->is_default(v, function))
                        continue;
                (void) snprintf(instead, sizeof(instead), "leave it out%s%s",
                                f->defaults ? " or at its default, " : "", f->defaults ?: "");
                return api_unsupported(e, f->name, instead);
        }
        return 0;
}
