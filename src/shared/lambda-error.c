/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>

#include <json-c/json.h>

#include "lambda-error.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static int add_string(json_object *o, const char *key, const char *value)
{
        json_object *s = json_object_new_string(value ?: "");

        if (!s)
                return -ENOMEM;
        if (json_object_object_add(o, key, s) < 0) {
                json_object_put(s);
                return -ENOMEM;
        }
        return 0;
}

static int append_json(Buf *out, json_object *o)
{
        const char *s =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return s ? buf_append_str(out, s) : -ENOMEM;
}

int lambda_function_error_json(Buf *out, const char *type, const char *message)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || add_string(o, "errorMessage", message) < 0 || add_string(o, "errorType", type) < 0)
                return -ENOMEM;
        return append_json(out, o);
}

int lambda_timeout_error_json(Buf *out, const char *request_id, unsigned timeout_sec)
{
        char m[160];

        (void) snprintf(m, sizeof(m), "RequestId: %s Error: Task timed out after %u.00 seconds", request_id,
                        timeout_sec);
        return lambda_function_error_json(out, "Sandbox.Timedout", m);
}

int lambda_service_error_json(Buf *out, const char *message, const char *reason)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || add_string(o, "Type", "User") < 0 || add_string(o, "message", message) < 0)
                return -ENOMEM;
        if (reason && add_string(o, "Reason", reason) < 0)
                return -ENOMEM;
        return append_json(out, o);
}
