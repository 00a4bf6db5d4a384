/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "api-functions.h"
#include "api-store.h"
#include "api-versions.h"
#include "bus-service.h"
#include "declarations.h"
#include "lambda-contract.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "registry.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

int api_versions_load(ApiStore *store, Registry *reg, const char *name)
{
        _cleanup_free_ unsigned *versions = NULL;
        size_t n = 0;
        int r;

        r = api_store_list_versions(store, name, &versions, &n);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                _cleanup_(function_config_freep) FunctionConfig *c = NULL;
                _cleanup_free_ char *text = NULL, *message = NULL;
                char version[LAMBDA_FUNCTION_REF_MAX + 1];
                ApiProvisioned provisioned;

                (void) snprintf(version, sizeof(version), "%s:%u", name, versions[k]);
                r = api_store_read(store, version, &text, NULL);
                if (r >= 0)
                        r = function_config_parse(version, text, strlen(text), &c, &message);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_error("%s/%s.version: %s (version not loaded)", api_store_dir(store), version,
                                  message ?: strerror(-r));
                        continue;
                }
                c->api = true;
                r = api_store_read_provisioned(store, version, &provisioned);
                if (r >= 0)
                        c->provisioned = provisioned.requested;
                else if (r == -ENOMEM)
                        return r;
                else if (r != -ENOENT)
                        log_error("%s/%s.provisioned: %s (no provisioned concurrency)", api_store_dir(store),
                                  version, strerror(-r));
                r = registry_add(reg, c);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        TAKE_PTR(c);
        }
        return 0;
}

/* The text of a declaration without what does not make a version differ from another (its description). */
static int version_content(const char *declaration, json_object **ret)
{
        _cleanup_free_ char *message = NULL;
        int r;

        r = config_json_parse(declaration, strlen(declaration), ret, &message);
        if (r >= 0)
                json_object_object_del(*ret, "description");
        return r;
}

/* Whether version NAME:N has the code and configuration of declaration. */
static int version_is_same(ApiStore *store, const char *version, const char *declaration)
{
        _cleanup_(json_object_putp) json_object *x = NULL, *y = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = api_store_read(store, version, &text, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return false;
        if (version_content(text, &x) < 0 || version_content(declaration, &y) < 0)
                return false;
        return json_object_equal(x, y);
}

/* $LATEST's declaration as version N publishes it: with the description PublishVersion gave. */
static int version_declaration(const char *stored, const char *description, char **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *message = NULL;
        const char *text;
        int r;

        r = config_json_parse(stored, strlen(stored), &o, &message);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (description[0] &&
            json_object_object_add(o, "description", json_object_new_string(description)) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = text ? strdup(text) : NULL;
        return *ret ? 0 : -ENOMEM;
}

static int reply_version(Manager *m, sd_bus_message *message, const char *version)
{
        ManagedFunction *f = function_find(m, version);

        if (!f || !(f->config ?: f->pending_config))
                return sd_bus_reply_method_errorf(
                        message, SD_BUS_ERROR_FAILED,
                        "Version '%s' was stored but did not load: see the journal.", version);
        return bus_reply_function_configuration(m, message, f);
}

/* A PublishVersionWhenReady call waiting for its function's code to load: answered when it has (or
 * LAMBDAD_PUBLISH_WAIT_USEC has passed, or its caller left the bus, or the manager stops). It counts
 * as a pending call: the manager does not exit idle while one waits. */
struct PublishWait {
        Manager *manager;
        sd_bus_message *message;
        char *name;
        sd_event_source *ready; /* a defer source, on once a load happened: is the code there now? */
        sd_event_source *timeout;
        sd_bus_track *caller; /* the caller's bus name: when it leaves, no answer is waited for */
        PublishWait *prev, *next;
};

static PublishWait *publish_wait_free(PublishWait *w)
{
        if (!w)
                return NULL;
        LIST_REMOVE(w->manager->publish_waits, w);
        w->manager->n_pending--;
        sd_event_source_disable_unref(w->ready);
        sd_event_source_disable_unref(w->timeout);
        sd_bus_track_unref(w->caller);
        sd_bus_message_unref(w->message);
        free(w->name);
        free(w);
        return NULL;
}

/* w answered (or its caller gone): freed, and the manager may be idle now. */
static void publish_wait_done(PublishWait *w)
{
        Manager *m = w->manager;

        publish_wait_free(w);
        manager_update_timers(m);
}

void api_versions_waits_free(Manager *m)
{
        while (m->publish_waits) {
                (void) sd_bus_reply_method_errorf(m->publish_waits->message,
                                                  LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                                  "lambda-manager is stopping.");
                publish_wait_free(m->publish_waits);
        }
}

void api_versions_loaded(Manager *m)
{
        for (PublishWait *w = m->publish_waits; w; w = w->next)
                (void) sd_event_source_set_enabled(w->ready, SD_EVENT_ONESHOT);
}

/* Whether function name's stored code is still being loaded (its last change's, or its first). */
static bool code_loading(Manager *m, const char *name)
{
        ManagedFunction *f = function_find(m, name);

        return f && !f->removed && (f->code_pending || f->pending_config);
}

static int publish(Manager *m, sd_bus_message *message, bool wait, sd_bus_error *error);

static int on_publish_ready(sd_event_source *s, void *userdata)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        PublishWait *w = userdata;
        int r;

        if (code_loading(w->manager, w->name))
                return 0;
        r = sd_bus_message_rewind(w->message, true);
        if (r >= 0)
                r = publish(w->manager, w->message, false, &error);
        if (r < 0 && sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(w->message, &error);
        else if (r < 0)
                (void) sd_bus_reply_method_errnof(w->message, r, "Failed to publish '%s': %m", w->name);
        publish_wait_done(w);
        return 0;
}

static int on_publish_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        PublishWait *w = userdata;

        log_warning("The code of function '%s' did not load in %u s: PublishVersionWhenReady fails.",
                    w->name, (unsigned) (LAMBDAD_PUBLISH_WAIT_USEC / USEC_PER_SEC));
        (void) sd_bus_reply_method_errorf(
                w->message, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                "The code of function '%s' is still being loaded after %u s: no version was published.",
                w->name, (unsigned) (LAMBDAD_PUBLISH_WAIT_USEC / USEC_PER_SEC));
        publish_wait_done(w);
        return 0;
}

static int on_caller_gone(sd_bus_track *track, void *userdata)
{
        PublishWait *w = userdata;

        log_debug("The caller of PublishVersionWhenReady '%s' left: no answer.", w->name);
        publish_wait_done(w);
        return 0;
}

/* Holds message (PublishVersionWhenReady of name) until name's code is loaded. */
static int publish_wait(Manager *m, sd_bus_message *message, const char *name)
{
        PublishWait *w = calloc(1, sizeof(PublishWait));
        int r;

        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->message = sd_bus_message_ref(message);
        LIST_PREPEND(m->publish_waits, w);
        m->n_pending++;
        manager_update_timers(m);
        w->name = strdup(name);
        if (!w->name) {
                publish_wait_done(w);
                return -ENOMEM;
        }
        r = sd_event_add_defer(m->event, &w->ready, on_publish_ready, w);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->ready, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &w->timeout, CLOCK_MONOTONIC,
                                               LAMBDAD_PUBLISH_WAIT_USEC, 0, on_publish_timeout, w);
        /* On a bus (not a direct connection): a caller that leaves is not waited for. */
        if (r >= 0 && sd_bus_message_get_sender(message)) {
                r = sd_bus_track_new(sd_bus_message_get_bus(message), &w->caller, on_caller_gone, w);
                if (r >= 0)
                        r = sd_bus_track_add_sender(w->caller, message);
        }
        if (r < 0) {
                publish_wait_done(w);
                return r;
        }
        log_debug("PublishVersionWhenReady '%s': waiting for its code to load.", name);
        return 1;
}

/* PublishVersion's work. While the function's code is being loaded: ResourceConflict, as Lambda
 * answers while an update is in progress; or, when wait (PublishVersionWhenReady), later. */
static int publish(Manager *m, sd_bus_message *message, bool wait, sd_bus_error *error)
{
        _cleanup_free_ char *stored = NULL, *declaration = NULL;
        _cleanup_free_ unsigned *versions = NULL;
        const char *name, *sha256, *revision, *description;
        char version[LAMBDA_FUNCTION_REF_MAX + 1];
        const FunctionConfig *c;
        unsigned next;
        size_t n = 0;
        ApiMeta meta;
        int r;

        r = sd_bus_message_read(message, "ssss", &name, &sha256, &revision, &description);
        if (r < 0)
                return r;
        r = api_check_changeable(m, name, error);
        if (r < 0)
                return r;
        if (code_loading(m, name) && wait)
                return publish_wait(m, message, name);
        if (code_loading(m, name))
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "The operation cannot be performed at this time. An update is in "
                                         "progress for function '%s'.",
                                         name);
        c = function_find(m, name)->config;
        if (sha256[0] && (!c->code || strcmp(sha256, c->code->code_sha256) != 0))
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS,
                        "CodeSha256 (%s) is different from the current CodeSha256 in $LATEST "
                        "(%s). Please try again.",
                        sha256, c->code ? c->code->code_sha256 : "");
        r = api_read_stored(m, name, revision, &stored, &meta, error);
        if (r < 0)
                return r;
        r = version_declaration(stored, description, &declaration);
        if (r >= 0)
                r = api_store_list_versions(api_functions_store(m), name, &versions, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to read function '%s': %m", name);
        /* Nothing changed since the last version: that one, as Lambda answers. */
        if (n > 0) {
                (void) snprintf(version, sizeof(version), "%s:%u", name, versions[n - 1]);
                r = version_is_same(api_functions_store(m), version, declaration);
                if (r < 0)
                        return r;
                if (r > 0 && api_declared(m, version))
                        return reply_version(m, message, version);
        }
        r = api_store_next_version(api_functions_store(m), name, &next);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_RESOURCE_CONFLICT,
                                         "Function '%s' has had as many versions as it may.", name);
        if (r >= 0)
                r = api_meta_new(&meta);
        (void) snprintf(version, sizeof(version), "%s:%u", name, next);
        if (r >= 0)
                r = api_store_write(api_functions_store(m), version, declaration, &meta);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to store version '%s': %m", version);
        log_info("Function '%s' published as version %u.", name, next);
        (void) declarations_load(m);
        return reply_version(m, message, version);
}

int api_method_publish_version(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return publish(userdata, message, false, error);
}

int api_method_publish_version_when_ready(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return publish(userdata, message, true, error);
}

int api_method_list_versions(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ unsigned *versions = NULL;
        Manager *m = userdata;
        const FunctionConfig *c;
        const char *name;
        ManagedFunction *f;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (!function_name_is_valid(name))
                return api_check_declared(m, name, &c, error); /* says what a name is */
        /* Any function that is there: the operator's and implicit ones ($LATEST alone) too. */
        f = function_find(m, name);
        c = f && !f->removed ? f->config ?: f->pending_config : NULL;
        if (!c)
                return sd_bus_error_setf(error, LAMBDAD_ERROR_FUNCTION_NOT_FOUND, "Function not found: %s",
                                         name);
        /* Only the API's functions have versions. */
        if (c->api && api_functions_store(m)) {
                r = api_store_list_versions(api_functions_store(m), name, &versions, &n);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r >= 0)
                r = bus_append_function_configuration(m, reply, f);
        for (size_t k = 0; r >= 0 && k < n; k++) {
                char version[LAMBDA_FUNCTION_REF_MAX + 1];

                (void) snprintf(version, sizeof(version), "%s:%u", name, versions[k]);
                f = function_find(m, version);
                if (f && !f->removed && (f->config ?: f->pending_config))
                        r = bus_append_function_configuration(m, reply, f);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
