/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adoption.h"
#include "bus-service.h"
#include "container-reaper.h"
#include "docker-json.h"
#include "handover.h"
#include "instance-setup.h"
#include "instance-socket.h"
#include "instance.h"
#include "lease-owner.h"
#include "lifetime-cleanup.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

typedef struct Candidate Candidate;
typedef struct AdoptedFunction AdoptedFunction;

/* What this lifetime would make of one function: the spec its candidates must carry. */
struct AdoptedFunction {
        Adoption *adoption;
        char *name;
        char *image_id;
        char spec[INSTANCE_SPEC_SIZE];
        bool checked;
        const char *refusal; /* why none of its containers can be adopted; NULL: they may be */
        DockerCall *call;
        AdoptedFunction *prev, *next;
};

struct Candidate {
        Adoption *adoption;
        char *id;
        DockerInspect info;
        AdoptedFunction *function;
        char *host;
        uint16_t port;
        DockerCall *call;
        Candidate *prev, *next;
};

struct Adoption {
        Manager *manager;
        DockerCall *list;
        Candidate *candidates;
        AdoptedFunction *functions;
        sd_event_source *hold;
        bool holding;
        bool listing; /* handing out the inspections: outcomes that come at once do not end it */
        unsigned adopted, removed;
        uint64_t since;
};

static void candidate_free(Candidate *c)
{
        LIST_REMOVE(c->adoption->candidates, c);
        docker_call_cancel(c->call);
        docker_inspect_done(&c->info);
        free(c->id);
        free(c->host);
        free(c);
}

static void adopted_function_free(AdoptedFunction *f)
{
        LIST_REMOVE(f->adoption->functions, f);
        docker_call_cancel(f->call);
        free(f->name);
        free(f->image_id);
        free(f);
}

/* The held calls get their turn, in the order they came. */
static void release_calls(Manager *m)
{
        _cleanup_free_ sd_bus_message **calls = TAKE_PTR(m->deferred);
        size_t n = m->n_deferred;

        m->n_deferred = 0;
        if (m->adoption) {
                m->adoption->holding = false;
                m->adoption->hold = sd_event_source_disable_unref(m->adoption->hold);
        }
        for (size_t k = 0; k < n; k++) {
                bus_service_dispatch(m, calls[k]);
                sd_bus_message_unref(calls[k]);
        }
        /* The pools' ticks waited for this. */
        manager_update_timers(m);
}

void adoption_free(Manager *m)
{
        Adoption *a = m->adoption;

        if (!a)
                return;
        while (a->candidates)
                candidate_free(a->candidates);
        while (a->functions)
                adopted_function_free(a->functions);
        docker_call_cancel(a->list);
        sd_event_source_disable_unref(a->hold);
        free(a);
        m->adoption = NULL;
        /* Still held at exit: their callers learn it now rather than at their timeout. */
        for (size_t k = 0; k < m->n_deferred; k++) {
                (void) sd_bus_reply_method_errorf(m->deferred[k], LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
                                                  "lambda-manager is stopping.");
                sd_bus_message_unref(m->deferred[k]);
        }
        free(m->deferred);
        m->deferred = NULL;
        m->n_deferred = 0;
}

static void adoption_finish(Adoption *a)
{
        Manager *m = a->manager;

        if (a->adopted > 0 || a->removed > 0)
                log_info("Adopted %u instance(s) of earlier lifetimes, removed %u other container(s), in "
                         "%.0f ms.",
                         a->adopted, a->removed,
                         (double) (now_usec(CLOCK_MONOTONIC) - a->since) / USEC_PER_MSEC);
        release_calls(m);
        adoption_free(m);
        /* The directories of the instances that were not adopted (nor ever will be); not when the
         * engine could not list them (they are looked at again once it is back). */
        if (!m->cleanup_again)
                instance_socket_sweep(m);
        handover_sync(m);
        manager_update_timers(m);
}

static void candidate_done(Candidate *c)
{
        Adoption *a = c->adoption;

        candidate_free(c);
        if (!a->candidates && !a->list && !a->listing)
                adoption_finish(a);
}

static void candidate_remove(Candidate *c, const char *reason)
{
        Adoption *a = c->adoption;
        Manager *m = a->manager;
        const char *function = c->info.function ?: "?";

        log_info("Removing container %.12s of '%s' left by an earlier lifetime: %s.", c->id, function,
                 reason);
        if (reaper_remove(m, c->id, NULL, NULL) < 0)
                (void) log_oom();
        /* A lease holder of the earlier lifetime may still use it: no new invocation goes there. */
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                          "InstanceStopped", "sss", c->id, function, reason);
        a->removed++;
        candidate_done(c);
}

static void candidate_adopt(Candidate *c, InstanceState state)
{
        Adoption *a = c->adoption;
        Manager *m = a->manager;
        ManagedFunction *f = function_find(m, c->function->name);
        const char *owner = NULL;
        PoolInstance *slot;
        Instance *i;
        int r;

        if (!f || !f->config || f->removed)
                return candidate_remove(c, "its function is gone");
        /* Once the held calls were answered, Reclaim has told its caller what it keeps: what comes
         * later idles (its holder may still reclaim it). */
        if (state == INSTANCE_IDLE && a->holding)
                owner = handover_previous_owner(m, c->id);
        /* Its holder left meanwhile: an invocation may have been cut off in it. */
        if (owner && lease_owner_track_name(m, owner) < 0)
                return candidate_remove(c, "its lease holder is gone");

        r = pool_adopt(&f->pool, owner ? INSTANCE_LEASED : state, owner, now_usec(CLOCK_MONOTONIC), &slot);
        if (r == -EBUSY)
                return candidate_remove(c, "the function's instance or memory limit is reached");
        if (r >= 0) {
                r = instance_adopt(m, f, slot, c->id, c->host, c->port, c->info.instance_secret, &i);
                if (r < 0) {
                        PoolActions acts = {};

                        (void) pool_instance_gone(&f->pool, slot, now_usec(CLOCK_MONOTONIC), &acts);
                        manager_apply(m, f, &acts, NULL);
                        pool_actions_done(&acts);
                }
        }
        if (r < 0) {
                (void) log_oom();
                return candidate_remove(c, "out of memory");
        }
        i->adopted = true;
        log_info("Adopted instance %.12s of '%s' at %s:%u (%s%s%s).", c->id, f->name, c->host, c->port,
                 instance_state_to_string(slot->state), owner ? " by " : "", owner ?: "");
        a->adopted++;
        candidate_done(c);
}

static void on_candidate_probe(DockerClient *d, int error, long status, const char *body, size_t len,
                               void *userdata)
{
        Candidate *c = userdata;

        c->call = NULL;
        if (error < 0 || status != 200)
                return candidate_remove(c, "it does not answer");
        candidate_adopt(c, INSTANCE_IDLE);
}

/* Its function's spec is known: does the container still fit it? */
static void candidate_check(Candidate *c)
{
        AdoptedFunction *f = c->function;
        Manager *m = c->adoption->manager;
        int r;

        if (f->refusal)
                return candidate_remove(c, f->refusal);
        if (!c->info.spec || strcmp(c->info.spec, f->spec) != 0 || !c->info.image_id || !f->image_id ||
            strcmp(c->info.image_id, f->image_id) != 0)
                return candidate_remove(c, "its declaration, image or the manager's settings changed");
        /* Its secret is read back from the engine (whoever has the engine's socket can read it: that
         * is root already). One without a secret was made before instances had one: it answers
         * anybody. */
        if (!c->info.instance_secret)
                return candidate_remove(c, "it has no instance secret");

        /* Without a network: its socket is checked again, as at its start (a paused instance's too). */
        if (c->port == 0) {
                ManagedFunction *mf = function_find(m, f->name);
                uid_t uid;

                if (!mf || !mf->config ||
                    instance_socket_uid(mf->config->user ?: CONTAINER_USER_DEFAULT, &uid) < 0 ||
                    instance_socket_check(c->host, uid) < 0)
                        return candidate_remove(c, "its invoke socket is not lambda-rie's");
        }
        if (c->info.status && strcmp(c->info.status, "paused") == 0)
                return candidate_adopt(c, INSTANCE_FROZEN);
        if (!c->info.running)
                return candidate_remove(c, "it does not run");
        r = instance_probe_url(m, c->host, c->port, on_candidate_probe, c, &c->call);
        if (r < 0)
                candidate_remove(c, "it could not be probed");
}

static void function_checked(AdoptedFunction *f, const char *refusal)
{
        f->checked = true;
        f->refusal = refusal;
        for (Candidate *c = f->adoption->candidates, *next; c; c = next) {
                next = c->next;
                if (c->function == f && !c->call)
                        candidate_check(c);
        }
}

static void on_function_image(DockerClient *d, int error, long status, const char *body, size_t len,
                              void *userdata)
{
        AdoptedFunction *af = userdata;
        Manager *m = af->adoption->manager;
        _cleanup_(docker_image_done) DockerImage image = {};
        ManagedFunction *f;
        int r;

        af->call = NULL;
        if (error < 0 || status != 200 || docker_parse_image(body, len, &image) < 0 || !image.id)
                return function_checked(af, "its image cannot be inspected");

        f = function_find(m, af->name);
        if (!f) {
                /* An implicit function that no call named yet in this lifetime. */
                r = function_new_implicit(m, af->name, &image, &f);
                if (r == -ENOMEM)
                        (void) log_oom();
                if (r < 0)
                        return function_checked(af, "its image no longer carries the label for it");
        }
        if (!f->config || f->removed)
                return function_checked(af, "its function is gone");
        r = instance_spec(m, f->config, &image, af->spec);
        if (r < 0)
                return function_checked(af, "its spec cannot be computed");
        af->image_id = TAKE_PTR(image.id);
        function_checked(af, NULL);
}

/* The function a candidate claims to be of, checked once for all its candidates. */
static AdoptedFunction *adopted_function_get(Adoption *a, const char *name)
{
        Manager *m = a->manager;
        _cleanup_free_ char *path = NULL;
        AdoptedFunction *af;
        ManagedFunction *f;
        const char *image;
        int r;

        for (af = a->functions; af; af = af->next)
                if (strcmp(af->name, name) == 0)
                        return af;

        af = calloc(1, sizeof(AdoptedFunction));
        if (!af)
                return NULL;
        af->adoption = a;
        af->name = strdup(name);
        if (!af->name) {
                free(af);
                return NULL;
        }
        LIST_PREPEND(a->functions, af);

        f = function_find(m, name);
        image = f && f->config ? f->config->image : NULL;
        if (!f && !m->config.implicit_functions) {
                function_checked(af, "its function is not declared");
                return af;
        }
        if (f && (!f->config || f->removed)) {
                function_checked(af,
                                 f->removed ? "its function is gone" : "its function is being looked up");
                return af;
        }
        r = image ? asprintf(&path, "/images/%s/json", image)
                  : asprintf(&path, "/images/%s:latest/json", name);
        if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_function_image, af,
                                &af->call);
        if (r < 0)
                function_checked(af, "its image cannot be inspected");
        return af;
}

/* Whether the container is on the network of its function's own (instance-setup.h); its spec says
 * whether that is the network its function has now. */
static bool on_function_network(const Manager *m, const DockerInspect *info)
{
        _cleanup_free_ char *name = NULL;

        if (asprintf(&name, "%s" FUNCTION_NETWORK_INFIX "%s", m->network, info->function) < 0)
                return false;
        return strv_contains(info->networks, name);
}

static void on_candidate_inspected(DockerClient *d, int error, long status, const char *body, size_t len,
                                   void *userdata)
{
        Candidate *c = userdata;
        Adoption *a = c->adoption;
        Manager *m = a->manager;
        int r;

        c->call = NULL;
        if (error == 0 && status == 404)
                return candidate_done(c); /* gone by itself */
        if (error < 0 || status != 200 || docker_parse_inspect(body, len, &c->info) < 0)
                return candidate_remove(c, "the engine cannot describe it");
        /* The list asked for our label; check again, and leave other deployments' containers alone. */
        if (!c->info.managed || !c->info.function || !function_ref_is_valid(c->info.function) ||
            (c->info.lifetime && strcmp(c->info.lifetime, m->lifetime) == 0))
                return candidate_done(c);
        if (!c->info.network != !m->network || (m->network && strcmp(c->info.network, m->network) != 0))
                return candidate_done(c);
        if (m->network && !c->info.socket_dir && !strv_contains(c->info.networks, m->network) &&
            !on_function_network(m, &c->info))
                return candidate_remove(c, "it left the network");

        r = instance_address(m, &c->info, &c->host, &c->port);
        if (r == -ENOMEM)
                (void) log_oom();
        if (r < 0 && (c->info.running || (c->info.status && strcmp(c->info.status, "paused") == 0)))
                return candidate_remove(c, "it has no reachable address");
        if (r < 0)
                return candidate_remove(c, "it does not run");

        c->function = adopted_function_get(a, c->info.function);
        if (!c->function) {
                (void) log_oom();
                return candidate_remove(c, "out of memory");
        }
        if (c->function->checked)
                candidate_check(c);
}

static void on_listed(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Adoption *a = userdata;
        Manager *m = a->manager;
        DockerContainer *list = NULL;
        size_t n = 0;

        a->list = NULL;
        if (error < 0 || status != 200 || docker_parse_container_list(body, len, &list, &n) < 0) {
                log_warning("Looking for the instances of earlier lifetimes failed; again once the engine "
                            "is back.");
                m->cleanup_again = true;
                return adoption_finish(a);
        }

        a->listing = true;
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *path = NULL;
                Candidate *c;

                if (!list[k].managed || (list[k].lifetime && strcmp(list[k].lifetime, m->lifetime) == 0) ||
                    instance_find(m, list[k].id))
                        continue;
                c = calloc(1, sizeof(Candidate));
                if (!c || asprintf(&path, "/containers/%s/json", list[k].id) < 0 ||
                    !(c->id = strdup(list[k].id))) {
                        free(c);
                        (void) log_oom();
                        break;
                }
                c->adoption = a;
                LIST_PREPEND(a->candidates, c);
                if (docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_candidate_inspected, c,
                                &c->call) < 0)
                        candidate_remove(c, "it cannot be inspected");
        }
        docker_container_array_free(list, n);
        a->listing = false;
        if (!a->candidates)
                adoption_finish(a);
}

static void on_bridge(DockerClient *d, int error, long status, const char *body, size_t len, void *userdata)
{
        Adoption *a = userdata;
        Manager *m = a->manager;
        _cleanup_free_ char *path = NULL;
        int r;

        a->list = NULL;
        instance_setup_bridge_learned(m, error, status, body, len);
        r = cleanup_list_path(m, &path);
        if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_listed, a, &a->list);
        if (r < 0)
                on_listed(d, r, 0, NULL, 0, a);
}

static int on_hold_over(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        /* The engine is slow: serve the calls; what is adopted later still joins the pools. */
        log_info("The instances of earlier lifetimes are still being checked; serving calls meanwhile.");
        release_calls(m);
        return 0;
}

int adoption_start(Manager *m)
{
        _cleanup_free_ char *path = NULL;
        Adoption *a;
        int r;

        if (m->adoption)
                return 0;
        r = cleanup_list_path(m, &path);
        if (r < 0)
                return r;
        a = calloc(1, sizeof(Adoption));
        if (!a)
                return -ENOMEM;
        *a = (Adoption){ .manager = m, .holding = true, .since = now_usec(CLOCK_MONOTONIC) };
        r = sd_event_add_time_relative(m->event, &a->hold, CLOCK_MONOTONIC, ADOPTION_HOLD_USEC,
                                       10 * USEC_PER_MSEC, on_hold_over, m);
        /* Which network an isolated instance is on depends on the default bridge: known before the
         * specs of the instances to adopt are computed. */
        if (r >= 0 && !m->network && m->default_bridge_isolating == 0)
                r = docker_call(m->docker, "GET", "/networks/" DEFAULT_BRIDGE_NAME, NULL, CALL_TIMEOUT_USEC,
                                on_bridge, a, &a->list);
        else if (r >= 0)
                r = docker_call(m->docker, "GET", path, NULL, CALL_TIMEOUT_USEC, on_listed, a, &a->list);
        if (r < 0) {
                sd_event_source_disable_unref(a->hold);
                free(a);
                return r;
        }
        (void) sd_event_source_set_description(a->hold, "adoption-hold");
        m->adoption = a;
        m->cleanup_again = false;
        return 0;
}

bool adoption_holding(const Manager *m)
{
        return m->adoption && m->adoption->holding;
}

int adoption_defer(Manager *m, sd_bus_message *message)
{
        sd_bus_message **d;

        d = reallocarray(m->deferred, m->n_deferred + 1, sizeof(sd_bus_message *));
        if (!d)
                return -ENOMEM;
        m->deferred = d;
        m->deferred[m->n_deferred++] = sd_bus_message_ref(message);
        return 1;
}
