/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Fuzzes the control plane's conversions: a request body of CreateFunction, UpdateFunctionCode or
 * UpdateFunctionConfiguration through function_request_parse(), or of PublishVersion, CreateAlias or
 * UpdateAlias through version-request.h (the first byte picks which, modulo 6, the rest is the body;
 * an alias accepted is shown as AliasConfiguration and drawn from at both ends of [0, 1)); the same text as
 * the manager's declaration through function_configuration_json() and function_get_json(); and as the
 * manager's message through function_message_translate(). What is accepted is a declaration (or changes) of
 * known keys for the manager; what is refused is a 400 of one of Lambda's two types with a printable message
 * of bounded length; answers always have the fields Lambda's clients read.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "function-request.h"
#include "function-shape.h"
#include "json-strict.h"
#include "macro.h"
#include "route.h"
#include "version-request.h"

#define MESSAGE_MAX 2048

/* The declaration's keys the API may set (registry.h's names). */
static bool key_is_known(const char *key)
{
        static const char *const keys[] = {
                "image",      "runtime", "handler",           "memory_mb",   "timeout_sec", "environment",
                "entrypoint", "command", "working_directory", "description", "tags",
        };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i], key) == 0)
                        return true;
        return false;
}

static void check_accepted(FunctionRequestKind kind, const FunctionRequest *req)
{
        json_object *d = json_tokener_parse(req->declaration);

        if (!d || !json_object_is_type(d, json_type_object))
                abort();
        json_object_object_foreach(d, key, value)
        {
                if (!key_is_known(key))
                        abort();
                /* null (back to the default) only in an update's changes. */
                if (!value && kind == FUNCTION_REQUEST_CREATE)
                        abort();
        }
        switch (kind) {
        case FUNCTION_REQUEST_CREATE:
                /* A name, and exactly one of the image or a zip. */
                if (!lambda_function_name_is_valid(req->name, strlen(req->name)))
                        abort();
                if (json_object_object_get_ex(d, "image", NULL) == !!req->zip)
                        abort();
                if (json_object_object_get_ex(d, "image", NULL) ==
                    json_object_object_get_ex(d, "runtime", NULL))
                        abort();
                break;
        case FUNCTION_REQUEST_UPDATE_CODE:
                /* New code, and nothing else. */
                if (json_object_object_length(d) != (req->zip ? 0 : 1))
                        abort();
                break;
        case FUNCTION_REQUEST_UPDATE_CONFIGURATION:
                if (req->zip || json_object_object_get_ex(d, "image", NULL))
                        abort();
                break;
        }
        if (req->zip && strlen(req->zip) != req->zip_len)
                abort();
        if (req->revision_id && (kind == FUNCTION_REQUEST_CREATE || !req->revision_id[0]))
                abort();
        json_object_put(d);
}

static void check_refused(const ApiError *e)
{
        if (e->status != 400 || !e->type || !e->message)
                abort();
        if (strcmp(e->type, "InvalidParameterValueException") != 0 &&
            strcmp(e->type, "InvalidRequestContentException") != 0)
                abort();
        if (strlen(e->message) > MESSAGE_MAX)
                abort();
}

static void check_request(FunctionRequestKind kind, const char *text, size_t len)
{
        _cleanup_(function_request_done) FunctionRequest req = {};
        _cleanup_(api_error_done) ApiError e = {};
        json_object *body = NULL;
        size_t end;
        int r;

        if (json_parse_strict(text, len, 16, &body, &end, NULL) < 0)
                return;
        r = function_request_parse(kind, body, kind == FUNCTION_REQUEST_CREATE ? NULL : "fuzz", "x86_64",
                                   &req, &e);
        if (r == 0)
                check_accepted(kind, &req);
        else if (r == -EINVAL)
                check_refused(&e);
        else if (r != -ENOMEM)
                abort();
        if (r != 0 && (req.declaration || req.revision_id))
                abort();
        json_object_put(body);
}

static bool is_version(const char *s)
{
        return s && strlen(s) >= 1 && strspn(s, "0123456789") == strlen(s);
}

/* PublishVersion (kind 3), CreateAlias (4), UpdateAlias (5). */
static void check_version_request(unsigned kind, const char *text, size_t len)
{
        _cleanup_(api_error_done) ApiError e = {};
        json_object *body = NULL, *o = NULL, *v;
        AliasSettings a;
        PublishRequest p;
        const char *chosen;
        size_t end;
        int r;

        if (json_parse_strict(text, len, 16, &body, &end, NULL) < 0)
                return;
        if (kind == 3) {
                r = publish_request_parse(body, &p, &e);
                if (r == 0 && p.description && strlen(p.description) > API_DESCRIPTION_MAX)
                        abort();
        } else {
                r = alias_request_parse(kind == 4, body, &a, &e);
                if (r == 0) {
                        if (kind == 4 &&
                            (!a.name || !route_alias_name_is_valid(a.name) || !a.function_version))
                                abort();
                        if (a.function_version && strcmp(a.function_version, "$LATEST") != 0 &&
                            !is_version(a.function_version))
                                abort();
                        if (a.extra_version && (!a.routing || !is_version(a.extra_version) ||
                                                !(a.extra_weight >= 0.0 && a.extra_weight <= 1.0)))
                                abort();
                        if (a.function_version) {
                                chosen = alias_choose(&a, alias_draw(0));
                                if (chosen != (a.extra_version && a.extra_weight > 0 ? a.extra_version
                                                                                     : a.function_version))
                                        abort();
                                chosen = alias_choose(&a, alias_draw(UINT64_MAX));
                                if (chosen != (a.extra_version && a.extra_weight == 1.0
                                                       ? a.extra_version
                                                       : a.function_version))
                                        abort();
                        }
                        if (alias_json(&a, "arn:aws:lambda:us-east-1:000000000000:function:fuzz", &o) == 0 &&
                            (!json_object_object_get_ex(o, "AliasArn", &v) ||
                             !json_object_object_get_ex(o, "FunctionVersion", NULL) ||
                             !json_object_to_json_string(o)))
                                abort();
                        json_object_put(o);
                }
        }
        if (r == -EINVAL)
                check_refused(&e);
        else if (r != 0 && r != -ENOMEM)
                abort();
        json_object_put(body);
}

/* The manager's answer with text as its declaration: every field the CLI's waiters and Terraform read. */
static void check_answer(const char *text)
{
        static const char *const required[] = { "FunctionName", "FunctionArn", "Role",
                                                "CodeSize",     "Timeout",     "MemorySize",
                                                "CodeSha256",   "State",       "PackageType" };
        ManagerFunction mf = { .declaration = text, .package_type = text[0] == '{' ? "Zip" : "Image" };
        FunctionContext ctx = { .name = "fuzz",
                                .arn = "arn:aws:lambda:us-east-1:000000000000:function:fuzz" };
        json_object *o = NULL, *get = NULL, *v;

        if (function_configuration_json(&mf, &ctx, &o) < 0 || function_get_json(&mf, &ctx, &get) < 0) {
                json_object_put(o);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!json_object_object_get_ex(o, required[i], NULL))
                        abort();
        if (!json_object_object_get_ex(o, "MemorySize", &v) || !json_object_is_type(v, json_type_int))
                abort();
        if (!json_object_to_json_string(o) || !json_object_object_get_ex(get, "Configuration", NULL) ||
            !json_object_object_get_ex(get, "Code", NULL))
                abort();
        json_object_put(o);
        json_object_put(get);
}

/* The translation only ever replaces whole words: what has no letters stays as it is. */
static void check_translate(const char *text)
{
        _cleanup_free_ char *t = function_message_translate(text);

        if (!t)
                return;
        if (strspn(text, "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~ \t") == strlen(text) && strcmp(t, text) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL;
        unsigned kind;

        if (size < 1)
                return 0;
        kind = data[0] % 6;
        /* As the gateway takes a body: no NUL (refused before parsing). */
        if (memchr(data + 1, 0, size - 1))
                return 0;
        text = strndup((const char *) data + 1, size - 1);
        if (!text)
                return 0;
        if (kind < 3)
                check_request((FunctionRequestKind) kind, text, size - 1);
        else
                check_version_request(kind, text, size - 1);
        check_answer(text);
        check_translate(text);
        return 0;
}
