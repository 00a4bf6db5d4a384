/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "function-request.h"
#include "lambda-runtime.h"
#include "macro.h"
#include "route.h"
#include "unsupported-settings.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

#define HANDLER_MAX           128U
#define IMAGE_CONFIG_LIST_MAX 1500U
#define WORKING_DIRECTORY_MAX 1000U
#define TAGS_MAX              50U
#define TAG_KEY_MAX           128U
#define TAG_VALUE_MAX         256U
#define FUNCTION_NAME_ARG_MAX 140U

#define FUNCTION_NAME_PATTERN                                                                     \
        "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?" \
        "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
#define ROLE_PATTERN "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"

void function_request_done(FunctionRequest *r)
{
        free(r->declaration);
        free(r->revision_id);
        *r = (FunctionRequest){};
}

static int check_runtime(const char *runtime, ApiError *e)
{
        _cleanup_free_ char *what = NULL;
        Buf b = {};
        int r = 0;

        /* Whether the manager can run it is the manager's to say. */
        if (lambda_runtime_find(runtime))
                return 0;
        r = buf_append_str(&b, "Member must satisfy enum value set: [");
        for (size_t i = 0; r >= 0 && i < lambda_runtimes_count; i++)
                r = buf_printf(&b, "%s%s", i > 0 ? ", " : "", lambda_runtimes[i].id);
        if (r >= 0)
                r = buf_append_str(&b, "]");
        what = buf_steal(&b, NULL);
        if (r < 0 || !what)
                return -ENOMEM;
        return api_constraint(e, runtime, "runtime", what);
}

/* Lambda's Handler pattern, [^\s]+, at most 128 characters. */
static int check_handler(const char *handler, ApiError *e)
{
        if (strlen(handler) > HANDLER_MAX)
                return api_constraint(e, handler, "handler",
                                      "Member must have length less than or equal to 128");
        if (!*handler || strpbrk(handler, " \t\n\r\f\v"))
                return api_constraint(e, handler, "handler",
                                      "Member must satisfy regular expression pattern: [^\\s]+");
        return 0;
}

static bool is_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ */
static bool role_is_valid(const char *s)
{
        static const char tail_chars[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-/";
        const char *p;

        if (strncmp(s, "arn:", 4) != 0)
                return false;
        p = s + 4;
        if (strncmp(p, "aws", 3) == 0) {
                p += 3;
                p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");
        }
        if (strncmp(p, ":iam::", 6) != 0)
                return false;
        p += 6;
        if (strlen(p) < 13 || !is_digits(p, 12) || p[12] != ':')
                return false;
        p += 13;
        if (strncmp(p, "role", 4) != 0)
                return false;
        p += 4;
        /* "role/?" then one or more of the class, which holds '/' itself. */
        return strlen(p) > 0 && strspn(p, tail_chars) == strlen(p);
}

/* The Role: accepted when well-formed, and not kept (lambdad has no IAM; answers name ROLE_DEFAULT). */
static int check_role(json_object *body, ApiError *e)
{
        const char *role;
        int r;

        r = api_get_string(body, "Role", e, &role);
        if (r <= 0)
                return r;
        if (!role_is_valid(role))
                return api_constraint(e, role, "role",
                                      "Member must satisfy regular expression pattern: " ROLE_PATTERN);
        return 0;
}

/* [a-zA-Z]([a-zA-Z0-9_])+ */
static bool environment_name_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 2 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* Environment: {"Variables": {NAME: VALUE}}, in *ret the Variables (NULL when there are none). */
static int check_environment(json_object *body, ApiError *e, json_object **ret)
{
        json_object *env, *vars;
        size_t total = 0;
        int r;

        *ret = NULL;
        r = api_get_object(body, "Environment", e, &env);
        if (r <= 0)
                return r;
        r = api_get_object(env, "Variables", e, &vars);
        if (r < 0)
                return r;
        if (r == 0 || json_object_object_length(vars) == 0)
                return 1; /* given, and empty */
        json_object_object_foreach(vars, key, value)
        {
                char q[API_QUOTE_MAX + 4];

                if (!environment_name_is_valid(key))
                        return api_error(e, 400, API_INVALID_PARAMETER,
                                         "Environment variable name '%s' is invalid: expected "
                                         "[a-zA-Z]([a-zA-Z0-9_])+.",
                                         api_quote(key, q));
                if (!json_object_is_type(value, json_type_string))
                        return api_wrong_type(e, "Environment.Variables", "an object of strings");
                total += strlen(key) + (size_t) json_object_get_string_len(value);
        }
        if (total > LAMBDA_ENVIRONMENT_MAX)
                return api_error(
                        e, 400, API_INVALID_PARAMETER,
                        "Lambda was unable to configure your environment variables because the "
                        "environment variables you have provided exceeded the 4KB limit: %zu bytes of "
                        "names and values.",
                        total);
        *ret = vars;
        return 1;
}

/* Tags: at most 50, keys of 1 to 128 characters not starting with "aws:", values of at most 256. */
static int check_tags(json_object *body, ApiError *e, json_object **ret)
{
        int r;

        r = api_get_object(body, "Tags", e, ret);
        if (r <= 0)
                return r;
        if (json_object_object_length(*ret) > (int) TAGS_MAX)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "A function may have at most %u tags, got %d.", TAGS_MAX,
                                 json_object_object_length(*ret));
        json_object_object_foreach(*ret, key, value)
        {
                char q[API_QUOTE_MAX + 4];

                if (!json_object_is_type(value, json_type_string))
                        return api_wrong_type(e, "Tags", "an object of strings");
                if (strlen(key) < 1 || strlen(key) > TAG_KEY_MAX)
                        return api_error(e, 400, API_INVALID_PARAMETER,
                                         "Tag key '%s' is invalid: expected 1 to 128 characters.",
                                         api_quote(key, q));
                if (strncmp(key, "aws:", 4) == 0)
                        return api_error(e, 400, API_INVALID_PARAMETER,
                                         "Tag key '%s' is invalid: the prefix 'aws:' is reserved.",
                                         api_quote(key, q));
                if ((size_t) json_object_get_string_len(value) > TAG_VALUE_MAX)
                        return api_error(
                                e, 400, API_INVALID_PARAMETER,
                                "The value of tag '%s' is invalid: expected at most 256 characters.",
                                api_quote(key, q));
        }
        return 1;
}

/* Architectures: one, this host's. */
static int check_architectures(json_object *body, const char *arch, ApiError *e)
{
        json_object *list, *v;
        const char *a;
        int r;

        r = api_get_array(body, "Architectures", e, &list);
        if (r <= 0)
                return r;
        if (json_object_array_length(list) != 1)
                return api_constraint(
                        e, "[...]", "architectures",
                        "Member must have length less than or equal to 1 and greater than or equal to 1");
        v = json_object_array_get_idx(list, 0);
        if (!json_object_is_type(v, json_type_string))
                return api_wrong_type(e, "Architectures", "a list of strings");
        a = json_object_get_string(v);
        if (strcmp(a, "x86_64") != 0 && strcmp(a, "arm64") != 0)
                return api_constraint(e, a, "architectures.1.member",
                                      "Member must satisfy enum value set: [x86_64, arm64]");
        if (!arch || strcmp(a, arch) != 0)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "lambdad runs functions on this host's architecture, %s, not %s.",
                                 arch ?: "?", a);
        return 0;
}

/* Layers: lambdad has no layer versions to refer to (declarations name zips instead). */
static int check_layers(json_object *body, ApiError *e)
{
        json_object *list;
        int r;

        r = api_get_array(body, "Layers", e, &list);
        if (r <= 0 || json_object_array_length(list) == 0)
                return r < 0 ? r : 0;
        return api_unsupported(e, "Layers through the API",
                               "the layers of a zip function are declared by the operator (\"layers\")");
}

/* S3 locations of code: lambdad takes the zip itself. */
static int check_code_location(json_object *code, ApiError *e)
{
        static const char *const s3[] = { "S3Bucket", "S3Key", "S3ObjectVersion" };

        for (size_t i = 0; i < ELEMENTSOF(s3); i++)
                if (api_member(code, s3[i]))
                        return api_unsupported(e, s3[i],
                                               "send the zip itself as ZipFile (fileb:// in the AWS CLI)");
        return 0;
}

/* ZipFile and ImageUri of a Code (or of UpdateFunctionCode's request): at most one of them. */
static int get_code(json_object *code, ApiError *e, FunctionRequest *req, const char **ret_image)
{
        const char *zip;
        int r;

        r = check_code_location(code, e);
        if (r >= 0)
                r = api_get_string(code, "ZipFile", e, &zip);
        if (r >= 0)
                r = api_get_string(code, "ImageUri", e, ret_image);
        if (r < 0)
                return r;
        if (zip && *ret_image)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Please provide only one of ZipFile and ImageUri.");
        if (zip) {
                req->zip = zip;
                req->zip_len = strlen(zip);
        }
        return 0;
}

/* ImageConfig: EntryPoint, Command, WorkingDirectory into the declaration's keys. In an update, the
 * whole ImageConfig is replaced: what it leaves out goes back to the image's (null). */
static int convert_image_config(json_object *body, bool image, bool update, ApiError *e, json_object *out)
{
        json_object *config, *entrypoint, *command;
        const char *workdir;
        int r;

        r = api_get_object(body, "ImageConfig", e, &config);
        if (r <= 0)
                return r;
        if (!image && json_object_object_length(config) > 0)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "ImageConfig is only supported for functions of PackageType Image.");
        r = api_get_string_list(config, "EntryPoint", IMAGE_CONFIG_LIST_MAX, e, &entrypoint);
        if (r >= 0)
                r = api_get_string_list(config, "Command", IMAGE_CONFIG_LIST_MAX, e, &command);
        if (r >= 0)
                r = api_get_string(config, "WorkingDirectory", e, &workdir);
        if (r < 0)
                return r;
        if (workdir && strlen(workdir) > WORKING_DIRECTORY_MAX)
                return api_constraint(e, workdir, "imageConfig.workingDirectory",
                                      "Member must have length less than or equal to 1000");

        /* An empty list is no list: the image's own. */
        if (entrypoint && json_object_array_length(entrypoint) > 0)
                r = api_add_copy(out, "entrypoint", entrypoint);
        else if (update)
                r = api_add_null(out, "entrypoint");
        if (r >= 0 && command && json_object_array_length(command) > 0)
                r = api_add_copy(out, "command", command);
        else if (r >= 0 && update)
                r = api_add_null(out, "command");
        if (r >= 0 && workdir && *workdir)
                r = api_add_string(out, "working_directory", workdir);
        else if (r >= 0 && update)
                r = api_add_null(out, "working_directory");
        return r;
}

/* The settings CreateFunction and UpdateFunctionConfiguration share, into the declaration's keys. In
 * an update, settings given empty (Description "", no Variables) go back to their defaults (null). */
static int convert_settings(json_object *body, bool update, ApiError *e, json_object *out)
{
        const char *description, *handler;
        json_object *vars, *tags = NULL;
        int64_t memory, timeout;
        int r, has_memory, has_timeout, has_env;

        r = check_role(body, e);
        if (r < 0)
                return r;
        r = api_get_string(body, "Handler", e, &handler);
        if (r > 0)
                r = check_handler(handler, e);
        if (r < 0)
                return r;
        r = api_get_description(body, e, &description);
        if (r < 0)
                return r;
        has_timeout = api_get_integer(body, "Timeout", "timeout", 1, LAMBDA_TIMEOUT_SEC_MAX, e, &timeout);
        if (has_timeout < 0)
                return has_timeout;
        has_memory = api_get_integer(body, "MemorySize", "memorySize", LAMBDA_MEMORY_MB_MIN,
                                     LAMBDA_MEMORY_MB_MAX, e, &memory);
        if (has_memory < 0)
                return has_memory;
        has_env = check_environment(body, e, &vars);
        if (has_env < 0)
                return has_env;
        if (!update) {
                r = check_tags(body, e, &tags);
                if (r < 0)
                        return r;
        }
        r = check_layers(body, e);
        if (r < 0)
                return r;

        if (handler)
                r = api_add_string(out, "handler", handler);
        if (r >= 0 && has_memory > 0)
                r = api_add_int(out, "memory_mb", memory);
        if (r >= 0 && has_timeout > 0)
                r = api_add_int(out, "timeout_sec", timeout);
        if (r >= 0 && vars)
                r = api_add_copy(out, "environment", vars);
        else if (r >= 0 && has_env > 0 && update)
                r = api_add_null(out, "environment");
        if (r >= 0 && description && *description)
                r = api_add_string(out, "description", description);
        else if (r >= 0 && description && update)
                r = api_add_null(out, "description");
        if (r >= 0 && tags && json_object_object_length(tags) > 0)
                r = api_add_copy(out, "tags", tags);
        return r;
}

static int get_runtime(json_object *body, ApiError *e, const char **ret)
{
        int r;

        r = api_get_string(body, "Runtime", e, ret);
        if (r > 0) {
                int k = check_runtime(*ret, e);

                if (k < 0)
                        return k;
        }
        return r;
}

static int get_revision_id(json_object *body, ApiError *e, FunctionRequest *req)
{
        const char *revision;
        int r;

        r = api_get_string(body, "RevisionId", e, &revision);
        if (r <= 0 || !*revision)
                return r < 0 ? r : 0;
        req->revision_id = strdup(revision);
        return req->revision_id ? 0 : -ENOMEM;
}

static int parse_function_name(json_object *body, ApiError *e, FunctionRequest *req)
{
        char qualifier[ROUTE_QUALIFIER_MAX + 1];
        const char *name, *message;
        int r;

        r = api_get_string(body, "FunctionName", e, &name);
        if (r < 0)
                return r;
        if (r == 0)
                return api_error(e, 400, API_INVALID_PARAMETER, "FunctionName is required.");
        if (strlen(name) > FUNCTION_NAME_ARG_MAX)
                return api_constraint(e, name, "functionName",
                                      "Member must have length less than or equal to 140");
        if (route_function_name(name, req->name, qualifier, &message) < 0)
                return api_constraint(
                        e, name, "functionName",
                        "Member must satisfy regular expression pattern: " FUNCTION_NAME_PATTERN);
        if (qualifier[0])
                return api_error(
                        e, 400, API_INVALID_PARAMETER,
                        "FunctionName may not carry a qualifier when creating a function: lambdad has no "
                        "versions or aliases.");
        return 0;
}

static int parse_create(json_object *body, const char *arch, FunctionRequest *req, ApiError *e,
                        json_object *out)
{
        const char *package, *runtime, *image = NULL, *handler;
        json_object *code;
        bool is_image;
        int r;

        r = parse_function_name(body, e, req);
        if (r < 0)
                return r;
        r = api_get_string(body, "PackageType", e, &package);
        if (r < 0)
                return r;
        if (package && strcmp(package, "Zip") != 0 && strcmp(package, "Image") != 0)
                return api_constraint(e, package, "packageType",
                                      "Member must satisfy enum value set: [Zip, Image]");
        is_image = package && strcmp(package, "Image") == 0;

        r = api_get_object(body, "Code", e, &code);
        if (r == 0)
                return api_error(e, 400, API_INVALID_PARAMETER, "Code is required.");
        if (r > 0)
                r = get_code(code, e, req, &image);
        if (r < 0)
                return r;
        if (is_image && !image)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Please provide ImageUri when creating a function with PackageType Image.");
        if (!is_image && image)
                return api_error(
                        e, 400, API_INVALID_PARAMETER,
                        "Please don't provide ImageUri when creating a function with PackageType Zip.");
        if (!is_image && !req->zip)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Please provide the function's code as Code.ZipFile (a zip file, base64).");

        r = get_runtime(body, e, &runtime);
        if (r >= 0)
                r = api_get_string(body, "Handler", e, &handler);
        if (r < 0)
                return r;
        if (is_image && (runtime || handler))
                return api_error(
                        e, 400, API_INVALID_PARAMETER,
                        "Runtime and Handler are not supported for functions of PackageType Image: the "
                        "image says how it runs (ImageConfig).");
        if (!is_image && (!runtime || (!handler && strncmp(runtime, "provided", 8) != 0)))
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Runtime and Handler are mandatory parameters for functions created with "
                                 "deployment packages.");

        r = check_architectures(body, arch, e);
        if (r >= 0)
                r = api_check_unsupported(body, req->name, e);
        if (r >= 0)
                r = api_get_bool(body, "Publish", e, &req->publish);
        if (r < 0)
                return r;

        if (image)
                r = api_add_string(out, "image", image);
        else
                r = api_add_string(out, "runtime", runtime);
        if (r >= 0)
                r = convert_image_config(body, is_image, false, e, out);
        if (r >= 0)
                r = convert_settings(body, false, e, out);
        return r;
}

static int parse_update_code(json_object *body, const char *arch, FunctionRequest *req, ApiError *e,
                             json_object *out)
{
        const char *image = NULL;
        bool dry_run;
        int r;

        r = get_code(body, e, req, &image);
        if (r >= 0)
                r = get_revision_id(body, e, req);
        if (r >= 0)
                r = api_get_bool(body, "Publish", e, &req->publish);
        if (r >= 0)
                r = api_get_bool(body, "DryRun", e, &dry_run);
        if (r >= 0 && dry_run)
                return api_unsupported(e, "DryRun", "leave it out or false");
        if (r >= 0)
                r = check_architectures(body, arch, e);
        if (r >= 0)
                r = api_check_unsupported(body, NULL, e);
        if (r < 0)
                return r;
        if (!image && !req->zip)
                return api_error(e, 400, API_INVALID_PARAMETER,
                                 "Please provide the new code as ZipFile (a zip file, base64) or ImageUri.");
        return image ? api_add_string(out, "image", image) : 0;
}

static int parse_update_configuration(json_object *body, FunctionRequest *req, const char *function,
                                      ApiError *e, json_object *out)
{
        const char *runtime;
        int r;

        r = get_runtime(body, e, &runtime);
        if (r > 0)
                r = api_add_string(out, "runtime", runtime);
        if (r >= 0)
                r = get_revision_id(body, e, req);
        if (r >= 0)
                r = api_check_unsupported(body, function, e);
        if (r >= 0)
                r = convert_image_config(body, true, true, e, out);
        if (r >= 0)
                r = convert_settings(body, true, e, out);
        return r;
}

int function_request_parse(FunctionRequestKind kind, json_object *body, const char *function,
                           const char *arch, FunctionRequest *ret, ApiError *ret_error)
{
        _cleanup_(function_request_done) FunctionRequest req = {};
        _cleanup_(json_object_putp) json_object *out = NULL;
        const char *text;
        int r;

        if (!json_object_is_type(body, json_type_object))
                return api_error(ret_error, 400, API_INVALID_CONTENT,
                                 "Could not parse request body into json: expected a JSON object.");
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        switch (kind) {
        case FUNCTION_REQUEST_CREATE:
                r = parse_create(body, arch, &req, ret_error, out);
                break;
        case FUNCTION_REQUEST_UPDATE_CODE:
                r = parse_update_code(body, arch, &req, ret_error, out);
                break;
        case FUNCTION_REQUEST_UPDATE_CONFIGURATION:
                r = parse_update_configuration(body, &req, function, ret_error, out);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        req.declaration = text ? strdup(text) : NULL;
        if (!req.declaration)
                return -ENOMEM;
        *ret = req;
        req = (FunctionRequest){};
        return 0;
}

/* ---- the zip ---- */

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int function_zip_decode(const char *base64, size_t len, int fd)
{
        /* A multiple of 4: each piece decodes on its own. */
        const size_t piece = 64 * 1024;
        uint64_t total = 0;
        Buf out = {};
        int r = 0;

        /* Too large whatever its padding: not even looked at. */
        if (len / 4 * 3 > LAMBDA_ZIP_UPLOAD_MAX + 2)
                return -EFBIG;
        /* Only the last piece may hold padding: base64_decode() takes '=' at the end of any piece. */
        if (len % 4 != 0 || (len > 2 && memchr(base64, '=', len - 2)))
                return -EINVAL;
        for (size_t i = 0; i < len && r >= 0; i += piece) {
                buf_clear(&out);
                r = base64_decode(&out, base64 + i, MIN(piece, len - i));
                if (r < 0)
                        break;
                total += out.len;
                if (total > LAMBDA_ZIP_UPLOAD_MAX)
                        r = -EFBIG;
                else
                        r = write_all(fd, out.data, out.len);
        }
        buf_done(&out);
        return r;
}

const char *lambda_architecture_of(const char *machine)
{
        if (!machine)
                return NULL;
        if (strcmp(machine, "x86_64") == 0)
                return "x86_64";
        if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "arm64") == 0)
                return "arm64";
        return NULL;
}

const char *lambda_architecture(void)
{
        struct utsname u;

        if (uname(&u) < 0)
                return NULL;
        return lambda_architecture_of(u.machine);
}
