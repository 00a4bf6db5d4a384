/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <openssl/evp.h>

#include "api-aliases.h"
#include "api-functions.h"
#include "api-store.h"
#include "api-versions.h"
#include "bus-service.h"
#include "code-archive.h"
#include "declarations.h"
#include "function-code.h"
#include "lambda-contract.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

/* A change in flight: checked, its code being prepared; stored and loaded once that succeeded. */
typedef struct ApiChange {
        Manager *manager;
        char *name;
        sd_bus_message *message;
        bool update;
        char *declaration;      /* the text to store */
        FunctionConfig *config; /* parsed from it */
        char *upload;           /* the zip it brought, in the store's uploads; NULL: none */
        CodeJob *job;
        bool listed; /* in the manager's changes in flight */
        struct ApiChange *prev, *next;
} ApiChange;

struct ApiFunctions {
        ApiStore *store;
        ApiChange *changes;
        char **failed_updates; /* "NAME=REASON": the last update of NAME failed so (LastUpdateStatus) */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static ApiChange *change_free(ApiChange *c)
{
        if (!c)
                return NULL;
        if (c->job)
                code_job_cancel(c->job);
        if (c->listed)
                LIST_REMOVE(c->manager->api->changes, c);
        sd_bus_message_unref(c->message);
        free(c->name);
        free(c->declaration);
        function_config_free(c->config);
        free(c->upload);
        free(c);
        return NULL;
}

void api_functions_free(Manager *m)
{
        ApiFunctions *a = m->api;

        api_versions_waits_free(m);
        if (!a)
                return;
        while (a->changes) {
                ApiChange *c = a->changes;

                (void) sd_bus_reply_method_errorf(c->message, LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                                  "lambda-manager is stopping.");
                change_free(c);
        }
        api_store_free(a->store);
        strv_free(a->failed_updates);
        free(a);
        m->api = NULL;
}

static ApiChange *change_find(ApiFunctions *a, const char *name)
{
        for (ApiChange *c = a ? a->changes : NULL; c; c = c->next)
                if (strcmp(c->name, name) == 0)
                        return c;
        return NULL;
}

/* The uploads that a declaration or a change in flight names. */
static int keep_uploads(ApiFunctions *a, const Registry *reg, char ***ret)
{
        _cleanup_strv_free_ char **keep = calloc(1, sizeof(char *));
        int r = 0;

        if (!keep)
                return -ENOMEM;
        for (size_t k = 0; r >= 0 && k < reg->n_functions; k++)
                if (reg->functions[k]->api && reg->functions[k]->code && reg->functions[k]->code->zip)
                        r = strv_extend(&keep, reg->functions[k]->code->zip);
        for (ApiChange *c = a->changes; r >= 0 && c; c = c->next)
                if (c->upload)
                        r = strv_extend(&keep, c->upload);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(keep);
        return 0;
}

static void on_api_error(const char *path, const char *message, void *userdata)
{
        log_error("%s: %s (function not loaded)", path, message);
}

int api_functions_load(Manager *m, Registry *reg)
{
        _cleanup_(registry_freep) Registry *api = NULL;
        _cleanup_strv_free_ char **keep = NULL;
        ApiFunctions *a;
        int r;

        if (!m->config.api_functions_dir)
                return 0;
        if (!m->api) {
                m->api = calloc(1, sizeof(ApiFunctions));
                if (!m->api)
                        return -ENOMEM;
        }
        a = m->api;
        if (!a->store) {
                r = api_store_open(m->config.api_functions_dir, &a->store);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_warning_errno(r, "Cannot use %s for the functions of the control-plane API: %m",
                                          m->config.api_functions_dir);
                        return 0;
                }
        }
        r = registry_load(api_store_dir(a->store), on_api_error, m, &api);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_warning_errno(r, "Failed to read %s: %m", api_store_dir(a->store));
                return 0;
        }
        for (size_t k = 0; k < api->n_functions; k++) {
                FunctionConfig *c = api->functions[k];

                c->api = true;
                r = registry_add(reg, c);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_error("%s/%s.json: the operator declared '%s' in %s too: theirs runs.",
                                  api_store_dir(a->store), c->name, c->name, m->config.functions_dir);
                        continue;
                }
                api->functions[k] = NULL;
                r = api_versions_load(a->store, reg, c->name);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_warning_errno(r, "Failed to read the versions of '%s': %m", c->name);
        }
        r = keep_uploads(a, reg, &keep);
        if (r >= 0)
                r = api_store_remove_unused_uploads(a->store, keep);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_warning_errno(r, "Failed to remove the uploads no function uses: %m");
        return 0;
}

ApiStore *api_functions_store(Manager *m)
{
        return m->api ? m->api->store : NULL;
}

/* The function of that name the operator or the API declared (not an implicit one). */
const FunctionConfig *api_declared(Manager *m, const char *name)
{
        ManagedFunction *f = function_find(m, name);
        const FunctionConfig *c = f ? f->config ?: f->pending_config : NULL;

        return c && !c->implicit ? c : NULL;
}

static int check_store(Manager *m, sd_bus_error *error)
{
        if (!m->api || !m->api->store)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
                                         "lambda-manager has no place for the functions of the API (%s).",
                                         m->config.api_functions_dir ?: "--api-functions-dir");
        return 0;
}

/* zip: none or one file descriptor (a dup is not needed: it is read before the call returns). */
static int read_zip_fd(sd_bus_message *message, int *ret, sd_bus_error *error)
{
        int fd = -EBADF, r;
        unsigned n = 0;

        r = sd_bus_message_enter_container(message, 'a', "h");
        while (r > 0 && (r = sd_bus_message_read(message, "h", &fd)) > 0)
                n++;
        if (r >= 0)
                r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;
        if (n > 1)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "zip: at most one file descriptor.");
        *ret = n ? fd : -EBADF;
        return 0;
}

/* Applies changes (a JSON object: null removes a key) to o. */
static int merge_changes(json_object *o, const char *changes, sd_bus_error *error)
{
        _cleanup_(json_object_putp) json_object *patch = NULL;
        _cleanup_free_ char *message = NULL;
        int r;

        r = config_json_parse(changes, strlen(changes), &patch, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "changes: %s", message);
        json_object_object_foreach(patch, key, value)
        {
                if (json_object_is_type(value, json_type_null))
                        json_object_object_del(o, key);
                else if (json_object_object_add(o, key, json_object_get(value)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The change's declaration: the base (a new declaration, or the stored one with changes applied), the
 * zip stored and named as its code, parsed as the functions directory's files are. */
static int change_prepare(ApiChange *c, const char *base, const char *changes, int zip, sd_bus_error *error)
{
        ApiFunctions *a = c->manager->api;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *message = NULL;
        const char *text;
        json_object *v;
        int r;

        r = config_json_parse(base, strlen(base), &o, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "declaration: %s", message);
        if (changes) {
                r = merge_changes(o, changes, error);
                if (r < 0)
                        return r;
        }
        /* Files of the manager's host are the operator's to name, never an API caller's. */
        if (json_object_object_get_ex(o, "environment_files", &v))
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS,
                        "environment_files: only the operator's declarations may read files.");
        /* The code of an API function is what was uploaded: never a path of the manager's host. */
        if (zip < 0 && !c->update &&
            (json_object_object_get_ex(o, "code", &v) || json_object_object_get_ex(o, "code_directory", &v)))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "code: a function made with the API brings its code as a zip.");
        if (changes && strstr(changes, "\"code"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "code: new code comes as a zip, not as a path.");
        if (zip >= 0) {
                r = api_store_save_zip(a->store, zip, CODE_ZIPPED_MAX, &c->upload);
                if (r == -EFBIG)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "code: the zip is larger than 50 MB (AWS's limit).");
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Failed to store the zip: %m");
                json_object_object_del(o, "code_directory");
                json_object_object_del(o, "image");
                if (json_object_object_add(o, "code", json_object_new_string(c->upload)) < 0)
                        return -ENOMEM;
        } else if (json_object_object_get_ex(o, "image", &v)) {
                /* New code as an image replaces a zip's. */
                json_object_object_del(o, "code");
                json_object_object_del(o, "runtime");
                json_object_object_del(o, "handler");
                json_object_object_del(o, "layers");
        }
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        c->declaration = strdup(text);
        if (!c->declaration)
                return -ENOMEM;
        free(message);
        message = NULL;
        r = function_config_parse(c->name, c->declaration, strlen(c->declaration), &c->config, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", message);
        c->config->api = true;
        return 0;
}

static void set_failed_update(ApiFunctions *a, const char *name, const char *reason)
{
        size_t n = strlen(name);

        for (char **l = a->failed_updates; l && *l; l++)
                if (strncmp(*l, name, n) == 0 && (*l)[n] == '=') {
                        free(*l);
                        memmove(l, l + 1, (strv_length(l + 1) + 1) * sizeof(char *));
                        break;
                }
        if (reason) {
                _cleanup_free_ char *entry = NULL;

                if (asprintf(&entry, "%s=%s", name, reason) < 0 ||
                    strv_extend(&a->failed_updates, entry) < 0)
                        log_oom();
        }
}

/* The change is checked: store it, load it, answer with the function as it is now. */
static void change_finish(ApiChange *c, int error, const char *message)
{
        Manager *m = c->manager;
        ApiFunctions *a = m->api;
        ManagedFunction *f;
        ApiMeta meta;
        int r;

        if (error < 0) {
                if (c->update)
                        set_failed_update(a, c->name, message ?: strerror(-error));
                (void) sd_bus_reply_method_errorf(c->message, SD_BUS_ERROR_INVALID_ARGS, "code: %s",
                                                  message ?: strerror(-error));
                change_free(c);
                return;
        }
        r = api_meta_new(&meta);
        if (r >= 0)
                r = api_store_write(a->store, c->name, c->declaration, &meta);
        if (r < 0) {
                log_error_errno(r, "Failed to store function '%s': %m", c->name);
                (void) sd_bus_reply_method_errnof(c->message, r, "Failed to store function '%s': %m",
                                                  c->name);
                change_free(c);
                return;
        }
        log_info("Function '%s' %s through the API (revision %s).", c->name,
                 c->update ? "changed" : "created", meta.revision_id);
        set_failed_update(a, c->name, NULL);
        /* Loaded without this change in flight, so that its upload counts as the declaration's. */
        LIST_REMOVE(a->changes, c);
        c->listed = false;
        (void) declarations_load(m);
        f = function_find(m, c->name);
        if (f && (f->config ?: f->pending_config))
                r = bus_reply_function_configuration(m, c->message, f);
        else
                r = sd_bus_reply_method_errorf(c->message, SD_BUS_ERROR_FAILED,
                                               "Function '%s' was stored but did not load: see the journal.",
                                               c->name);
        if (r < 0)
                log_full_errno(LOG_DEBUG, r, "Failed to answer the change of '%s': %m", c->name);
        change_free(c);
}

static void on_change_prepared(CodeJob *job, int error, CodePrepared *result, const char *message,
                               void *userdata)
{
        ApiChange *c = userdata;

        c->job = NULL;
        change_finish(c, error, message);
}

/* Starts a change: its code is prepared off the loop, then it is stored. Takes c. */
static int change_run(ApiChange *c)
{
        Manager *m = c->manager;
        int r;

        LIST_PREPEND(m->api->changes, c);
        c->listed = true;
        if (!c->config->code) {
                change_finish(c, 0, NULL);
                return 1;
        }
        r = function_code_prepare(m, c->config->code, on_change_prepared, c, &c->job);
        if (r < 0) {
                change_free(c);
                return r;
        }
        return 1;
}

static int change_new(Manager *m, const char *name, sd_bus_message *message, bool update, ApiChange **ret)
{
        ApiChange *c = calloc(1, sizeof(ApiChange));

        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->update = update;
        c->message = sd_bus_message_ref(message);
        c->name = strdup(name);
        if (!c->name) {
                sd_bus_message_unref(c->message);
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static int check_name(Manager *m, const char *name, sd_bus_error *error)
{
        if (!function_name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid function name: 1 to 64 characters of A-Z, a-z, 0-9, '-' "
                                         "and '_'.");
        if (change_find(m->api, name))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "The operation cannot be performed at this time. An update is in "
                                         "progress for function '%s'.",
                                         name);
        return 0;
}

int api_method_create_function(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *name, *declaration;
        ApiChange *c = NULL;
        int zip, r;

        r = sd_bus_message_read(message, "ss", &name, &declaration);
        if (r >= 0)
                r = read_zip_fd(message, &zip, error);
        if (r < 0)
                return r;
        r = check_store(m, error);
        if (r >= 0)
                r = check_name(m, name, error);
        if (r < 0)
                return r;
        if (api_declared(m, name))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Function already exist: %s", name);
        r = change_new(m, name, message, false, &c);
        if (r >= 0)
                r = change_prepare(c, declaration, NULL, zip, error);
        if (r < 0) {
                change_free(c);
                return r;
        }
        return change_run(c);
}

int api_check_declared(Manager *m, const char *name, const FunctionConfig **ret, sd_bus_error *error)
{
        if (!function_name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid function name: 1 to 64 characters of A-Z, a-z, 0-9, '-' "
                                         "and '_'.");
        *ret = api_declared(m, name);
        if (!*ret)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "Function not found: %s",
                                         name);
        return 0;
}

int api_check_revision(const char *given, const char *current, sd_bus_error *error)
{
        if (given[0] && strcmp(given, current) != 0)
                return sd_bus_error_setf(
                        error, LAMBDAD_ERROR_PRECONDITION_FAILED,
                        "The Revision Id provided does not match the latest Revision Id. "
                        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id");
        return 0;
}

/* An API function that exists: FunctionNotFound, or ResourceConflict for the operator's. */
static int check_api_function(Manager *m, const char *name, sd_bus_error *error)
{
        const FunctionConfig *d;
        int r;

        r = api_check_declared(m, name, &d, error);
        if (r < 0)
                return r;
        if (!d->api)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Function '%s' is declared by the operator in %s/%s.json; the API "
                                         "does not change it.",
                                         name, m->config.functions_dir, name);
        return 0;
}

int api_check_changeable(Manager *m, const char *name, sd_bus_error *error)
{
        int r;

        r = check_store(m, error);
        if (r >= 0)
                r = check_name(m, name, error);
        if (r >= 0)
                r = check_api_function(m, name, error);
        return r;
}

int api_read_stored(Manager *m, const char *name, const char *revision, char **ret, ApiMeta *ret_meta,
                    sd_bus_error *error)
{
        int r;

        r = api_store_read(m->api->store, name, ret, ret_meta);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to read function '%s': %m", name);
        return api_check_revision(revision, ret_meta->revision_id, error);
}

int api_method_update_function(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        _cleanup_free_ char *stored = NULL;
        const char *name, *revision, *changes;
        ApiChange *c = NULL;
        ApiMeta meta;
        int zip, r;

        r = sd_bus_message_read(message, "sss", &name, &revision, &changes);
        if (r >= 0)
                r = read_zip_fd(message, &zip, error);
        if (r < 0)
                return r;
        r = api_check_changeable(m, name, error);
        if (r < 0)
                return r;
        r = api_read_stored(m, name, revision, &stored, &meta, error);
        if (r < 0)
                return r;
        r = change_new(m, name, message, true, &c);
        if (r >= 0)
                r = change_prepare(c, stored, changes, zip, error);
        if (r < 0) {
                change_free(c);
                return r;
        }
        return change_run(c);
}

/* A published version of an API function: NAME:N with NAME changeable; FunctionNotFound when N is none. */
static int check_version(Manager *m, const char *version, sd_bus_error *error)
{
        char name[LAMBDA_FUNCTION_NAME_MAX + 1];
        int r;

        (void) snprintf(name, sizeof(name), "%.*s", (int) strcspn(version, ":"), version);
        r = api_check_changeable(m, name, error);
        if (r >= 0 && !api_declared(m, version))
                r = sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "Function not found: %s",
                                      version);
        return r;
}

int api_method_delete_function(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        Manager *m = userdata;
        const char *name;
        unsigned version;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (lambda_function_ref_is_valid(name, strlen(name), &version) && version > 0) {
                r = check_version(m, name, error);
                if (r >= 0)
                        r = api_aliases_check_unused(m, name, error);
        } else
                r = api_check_changeable(m, name, error);
        if (r < 0)
                return r;
        r = api_store_remove(m->api->store, name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to remove function '%s': %m", name);
        log_info("Function '%s' deleted through the API.", name);
        set_failed_update(m->api, name, NULL);
        (void) declarations_load(m);
        return sd_bus_reply_method_return(message, NULL);
}

/* A revision for what was not made with the API: a UUID-shaped digest of its declaration, so that it
 * changes exactly when the declaration does. */
static void derived_revision(const FunctionConfig *c, char ret[static UUID_STRING_MAX])
{
        static const char hex[] = "0123456789abcdef";
        const char *text = c->declaration ?: c->image ?: c->name;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        size_t o = 0;

        if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
                memset(md, 0, 16);
        for (size_t k = 0; k < 16; k++) {
                if (k == 4 || k == 6 || k == 8 || k == 10)
                        ret[o++] = '-';
                ret[o++] = hex[md[k] >> 4];
                ret[o++] = hex[md[k] & 15];
        }
        ret[o] = 0;
}

void api_format_time(uint64_t usec, char ret[static 32])
{
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(ret, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                strcpy(ret, "1970-01-01T00:00:00");
                usec = 0;
        }
        (void) snprintf(ret + strlen(ret), 32 - strlen(ret), ".%03u+0000",
                        (unsigned) (usec % USEC_PER_SEC / USEC_PER_MSEC));
}

static const char *failed_update(const ApiFunctions *a, const char *name)
{
        size_t n = strlen(name);

        for (char **l = a ? a->failed_updates : NULL; l && *l; l++)
                if (strncmp(*l, name, n) == 0 && (*l)[n] == '=')
                        return *l + n + 1;
        return NULL;
}

int api_append_configuration(Manager *m, ManagedFunction *f, sd_bus_message *reply)
{
        const FunctionConfig *c = f->pending_config ?: f->config;
        const char *state = "Active", *state_reason = NULL, *update = "Successful", *update_reason;
        char revision[UUID_STRING_MAX], modified[32];
        ApiMeta meta = {};
        int r;

        if (c->api && m->api && m->api->store && api_store_read(m->api->store, f->name, NULL, &meta) >= 0) {
                memcpy(revision, meta.revision_id, sizeof(revision));
                api_format_time(meta.last_modified_usec, modified);
        } else {
                derived_revision(c, revision);
                api_format_time(f->created_usec, modified);
        }
        if (f->code_pending) {
                state = "Pending";
                state_reason = "The function is being created.";
        } else if (f->config->code && f->config->code->error) {
                state = "Failed";
                state_reason = f->config->code->error;
        }
        update_reason = failed_update(m->api, f->name);
        if (f->pending_config || change_find(m->api, f->name))
                update = "InProgress";
        else if (update_reason)
                update = "Failed";

        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}", "Source", "s",
                                  c->implicit ? "implicit"
                                  : c->api    ? "api"
                                              : "operator",
                                  "RevisionId", "s", revision, "LastModified", "s", modified,
                                  LAMBDAD_CONFIG_PACKAGE_TYPE, "s", c->code ? "Zip" : "Image", "State", "s",
                                  state, "LastUpdateStatus", "s", update);
        if (r >= 0 && c->declaration)
                r = sd_bus_message_append(reply, "{sv}", "Declaration", "s", c->declaration);
        if (r >= 0 && strchr(f->name, ':'))
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_VERSION, "s",
                                          strchr(f->name, ':') + 1);
        if (r >= 0 && state_reason)
                r = sd_bus_message_append(reply, "{sv}", "StateReason", "s", state_reason);
        if (r >= 0 && update_reason && strcmp(update, "Failed") == 0)
                r = sd_bus_message_append(reply, "{sv}", "LastUpdateStatusReason", "s", update_reason);
        return r;
}
