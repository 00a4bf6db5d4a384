/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "auth.h"
#include "curl-glue.h"
#include "gateway.h"
#include "http-conn.h"
#include "lambda-error.h"
#include "list.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "socket-util.h"
#include "util.h"

#define MANAGER_BUS_NAME  "org.lambdad.Manager1"
#define MANAGER_OBJECT    "/org/lambdad/Manager1"
#define MANAGER_INTERFACE "org.lambdad.Manager1"
#define ACCOUNT_ID        "000000000000"
#define RESPONSE_MAX      (LAMBDA_RUNTIME_RESPONSE_MAX + 64 * 1024)
#define DRAIN_USEC        (30 * USEC_PER_SEC)
#define BUS_RETRY_USEC    (1 * USEC_PER_SEC)

static const HttpLimits gateway_limits = {
        .max_url = 8192,
        .max_head = 16384,
        .max_headers = HTTP_MAX_HEADERS,
        .max_body = LAMBDA_PAYLOAD_MAX,
};

typedef struct Conn Conn;
typedef struct Function Function;
typedef struct Lease Lease;
typedef struct Job Job;

/* ListFunctions from the manager's, in the API's shape, paginated by name. */
typedef struct ListCall {
        Conn *conn;
        char marker[1025];
        unsigned max_items;
} ListCall;

struct Conn {
        Gateway *gateway;
        HttpConn *http;
        sd_event_source *io;
        sd_event_source *timer; /* the request must be complete before it fires */
        bool timer_armed;
        Job *job;            /* the invocation answering the current request */
        ListCall *list_call; /* or the ListFunctions call doing so */
        Conn *prev, *next;
};

struct Lease {
        Function *function;
        char *id;
        char *url;
        bool busy;
        uint64_t idle_since;
        Lease *prev, *next;
};

/* One invocation, from the request to the answer; without a connection for Event invocations. */
struct Job {
        Gateway *gateway;
        Conn *conn;
        Function *function;
        Lease *lease;
        char request_id[UUID_STRING_MAX];
        bool event;
        bool log_tail;
        bool retried;
        bool cold;
        char *payload;
        size_t payload_len;
        char *client_context;
        uint64_t start_usec;
        uint64_t deadline; /* waiting for an instance ends here */

        CURL *easy;
        struct curl_slist *headers;
        Buf answer;
        char *function_error;
        char *log_result;
        char *executed_version;

        Job *prev, *next; /* Gateway.jobs */
        Job *wnext;       /* the function's queue of jobs waiting for an instance */
};

struct Function {
        Gateway *gateway;
        char name[65];
        Lease *leases;
        Job *waiting, *waiting_tail;
        unsigned n_waiting;
        unsigned acquiring;
        unsigned n_jobs;
        Function *prev, *next;
};

struct Gateway {
        GatewayConfig config;
        sd_event *event;
        sd_bus *bus;
        CurlGlue *glue;
        Auth *auth;
        Metrics metrics;

        sd_event_source **listeners;
        size_t n_listeners;

        Conn *conns;
        unsigned n_conns;
        Function *functions;
        Job *jobs;
        unsigned n_jobs;
        unsigned n_events;

        bool manager_known; /* the manager answered since it last went away */
        bool pinging;       /* a Ping to the manager is in flight */
        sd_event_source *lease_timer;
        sd_event_source *idle_timer;
        bool draining;

        sd_event_source *bus_retry; /* while the system bus cannot be reached (a container started first) */
};

static void job_start_upstream(Job *j);
static void function_pump(Function *f);
static void gateway_update_timers(Gateway *g);

/* ---- answers ---- */

static const char *status_class_error(int status)
{
        switch (status) {
        case 400:
                return "InvalidRequestContentException";
        case 404:
                return "ResourceNotFoundException";
        case 405:
                return "MethodNotAllowedException";
        case 408:
                return "RequestTimeoutException";
        case 413:
                return "RequestTooLargeException";
        case 414:
        case 431:
                return "InvalidRequestContentException";
        case 429:
                return "TooManyRequestsException";
        default:
                return "ServiceException";
        }
}

/* A service error in the Invoke API's shape, counted in the metrics. */
static void reply_error(Conn *c, const char *function, const char *request_id, int status, const char *type,
                        const char *message, const char *reason)
{
        Gateway *g = c->gateway;
        char id[UUID_STRING_MAX];
        Buf b = {};

        if (!request_id) {
                if (random_uuid(id) < 0)
                        strcpy(id, "00000000-0000-4000-8000-000000000000");
                request_id = id;
        }
        (void) lambda_service_error_json(&b, message, reason);
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "x-amzn-RequestId", request_id);
        http_conn_header(c->http, "x-amzn-ErrorType", type ?: status_class_error(status));
        if (status == 429 || status == 503)
                http_conn_header(c->http, "Retry-After", "1");
        if (status == 405)
                http_conn_header(c->http, "Allow",
                                 route_allow(http_request_url(&c->http->req)) ?: "GET, POST");
        metrics_observe(&g->metrics, function, status, false, false, 0);
        http_conn_end(c->http, b.data ?: "", b.len);
        buf_done(&b);
}

static void reply_plain(Conn *c, int status, const char *content_type, const char *body, size_t len)
{
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", content_type);
        metrics_observe(&c->gateway->metrics, NULL, status, false, false, 0);
        http_conn_end(c->http, body, len);
}

/* ---- functions and leases ---- */

static Function *function_get(Gateway *g, const char *name)
{
        Function *f;

        for (f = g->functions; f; f = f->next)
                if (strcmp(f->name, name) == 0)
                        return f;
        f = calloc(1, sizeof(Function));
        if (!f)
                return NULL;
        f->gateway = g;
        (void) snprintf(f->name, sizeof(f->name), "%s", name);
        LIST_PREPEND(g->functions, f);
        return f;
}

/* Functions are made per name a client asks for: forget them once nothing refers to them, or
 * random names would grow the list without bound. */
static void function_gc(Function *f)
{
        if (f->leases || f->waiting || f->acquiring > 0 || f->n_jobs > 0)
                return;
        LIST_REMOVE(f->gateway->functions, f);
        free(f);
}

static void lease_free(Lease *l)
{
        if (!l)
                return;
        LIST_REMOVE(l->function->leases, l);
        free(l->id);
        free(l->url);
        free(l);
}

static int on_released(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                log_debug("Release failed: %s", e->message);
        return 0;
}

/* Gives a lease back to the manager. */
static void lease_release(Lease *l, bool healthy)
{
        Gateway *g = l->function->gateway;
        int r;

        if (g->bus) {
                r = sd_bus_call_method_async(g->bus, NULL, MANAGER_BUS_NAME, MANAGER_OBJECT,
                                             MANAGER_INTERFACE, "Release", on_released, NULL, "sb", l->id,
                                             healthy);
                if (r < 0)
                        log_warning_errno(r, "Failed to release %s: %m", l->id);
        }
        lease_free(l);
}

/* The manager restarted or an instance stopped: cached leases pointing there are worthless. */
static void forget_leases(Gateway *g, const char *id)
{
        for (Function *f = g->functions, *fnext; f; f = fnext) {
                fnext = f->next;
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy && (!id || strcmp(l->id, id) == 0))
                                lease_free(l);
                        else if (l->busy && (!id || strcmp(l->id, id) == 0))
                                l->idle_since = UINT64_MAX; /* dropped when its job ends */
                }
                function_gc(f);
        }
}

/* ---- jobs ---- */

static void job_free(Job *j)
{
        Gateway *g;

        if (!j)
                return;
        g = j->gateway;
        if (j->conn)
                j->conn->job = NULL;
        if (j->easy) {
                curl_glue_remove(g->glue, j->easy);
                curl_easy_cleanup(j->easy);
        }
        curl_slist_free_all(j->headers);
        buf_done(&j->answer);
        free(j->payload);
        free(j->client_context);
        free(j->function_error);
        free(j->log_result);
        free(j->executed_version);
        LIST_REMOVE(g->jobs, j);
        g->n_jobs--;
        j->function->n_jobs--;
        function_gc(j->function);
        if (j->event)
                g->n_events--;
        g->metrics.in_flight = g->n_jobs;
        free(j);
        gateway_update_timers(g);
}

static void function_arn(Gateway *g, const char *name, char *buf, size_t size)
{
        (void) snprintf(buf, size, "arn:aws:lambda:%s:" ACCOUNT_ID ":function:%s", g->config.region, name);
}

/* The connection that waits for the job's answer, no longer tied to it: answering may close the
 * connection, and that must not free the job under its caller. */
static Conn *job_detach(Job *j)
{
        Conn *c = j->conn;

        if (c)
                c->job = NULL;
        j->conn = NULL;
        return c;
}

/* Ends a job with a service error (or silently for Event jobs, whose client has its 202). */
static void job_fail(Job *j, int status, const char *type, const char *message, const char *reason)
{
        Conn *c = job_detach(j);

        if (c)
                reply_error(c, j->function->name, j->request_id, status, type, message, reason);
        else if (j->event)
                log_warning("Event invocation %s of '%s' failed: %s", j->request_id, j->function->name,
                            message);
        job_free(j);
}

static void job_unqueue(Job *j)
{
        Function *f = j->function;
        Job *prev = NULL;

        for (Job *w = f->waiting; w; prev = w, w = w->wnext)
                if (w == j) {
                        if (prev)
                                prev->wnext = w->wnext;
                        else
                                f->waiting = w->wnext;
                        if (f->waiting_tail == w)
                                f->waiting_tail = prev;
                        f->n_waiting--;
                        w->wnext = NULL;
                        return;
                }
}

static Job *function_pop_waiting(Function *f)
{
        Job *j = f->waiting;

        if (!j)
                return NULL;
        f->waiting = j->wnext;
        if (!f->waiting)
                f->waiting_tail = NULL;
        f->n_waiting--;
        j->wnext = NULL;
        return j;
}

static void job_take_lease(Job *j, Lease *l)
{
        l->busy = true;
        j->lease = l;
        job_start_upstream(j);
}

/* After an invocation: the lease goes to a waiting job, or idles in the cache. */
static void lease_done(Lease *l, bool healthy)
{
        Function *f = l->function;
        Gateway *g = f->gateway;
        Job *next;

        l->busy = false;
        if (!healthy || l->idle_since == UINT64_MAX || g->draining) {
                lease_release(l, healthy && l->idle_since != UINT64_MAX);
                function_pump(f);
                return;
        }
        next = function_pop_waiting(f);
        if (next) {
                job_take_lease(next, l);
                return;
        }
        l->idle_since = now_usec(CLOCK_MONOTONIC);
        gateway_update_timers(g);
}

/* ---- the manager ---- */

static const char *bus_error_type(const sd_bus_error *e, int *ret_status)
{
        if (sd_bus_error_has_name(e, "org.lambdad.Error.FunctionNotFound")) {
                *ret_status = 404;
                return "ResourceNotFoundException";
        }
        if (sd_bus_error_has_name(e, "org.lambdad.Error.LimitExceeded")) {
                *ret_status = 429;
                return "TooManyRequestsException";
        }
        if (sd_bus_error_has_name(e, "org.lambdad.Error.StartFailed")) {
                *ret_status = 502;
                return "ServiceException";
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS)) {
                *ret_status = 400;
                return "InvalidParameterValueException";
        }
        /* Unreachable, restarting, timed out, BackendUnavailable: try again shortly. */
        *ret_status = 503;
        return "ServiceException";
}

static int on_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Function *f = userdata;
        Gateway *g = f->gateway;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *id, *host;
        uint16_t port;
        Lease *l;
        Job *j;

        f->acquiring--;
        if (e) {
                const char *type;
                int status;

                type = bus_error_type(e, &status);
                if (status == 503) {
                        g->manager_known = false;
                        g->metrics.manager_errors++;
                }
                /* At the limit while we hold instances of the function: they come back as their
                 * invocations end, and serve the waiting jobs (until their deadline). */
                if (status == 429 && f->leases)
                        return 0;
                /* The error answers the oldest waiting job: that is the one it was made for. Others
                 * keep theirs; failing it comes last, as that may free the function. */
                j = function_pop_waiting(f);
                function_pump(f);
                if (j) {
                        char arn[256];

                        if (status == 404) {
                                char message[320];

                                function_arn(g, f->name, arn, sizeof(arn));
                                (void) snprintf(message, sizeof(message), "Function not found: %s", arn);
                                job_fail(j, status, type, message, NULL);
                        } else
                                job_fail(j, status, type, e->message ?: "The function could not be run.",
                                         status == 429 ? "ConcurrentInvocationLimitExceeded" : NULL);
                } else
                        function_gc(f);
                return 0;
        }
        g->manager_known = true;

        if (sd_bus_message_read(m, "ssq", &id, &host, &port) < 0) {
                j = function_pop_waiting(f);
                if (j)
                        job_fail(j, 502, "ServiceException", "The manager's answer is invalid.", NULL);
                return 0;
        }

        l = calloc(1, sizeof(Lease));
        if (!l || !(l->id = strdup(id)) ||
            asprintf(&l->url, "http://%s:%u/2015-03-31/functions/function/invocations", host, port) < 0) {
                if (l)
                        free(l->id);
                free(l);
                log_oom();
                return 0;
        }
        l->function = f;
        LIST_PREPEND(f->leases, l);

        j = function_pop_waiting(f);
        if (!j) {
                /* The waiting job went away (its client left): keep the instance warm. */
                l->idle_since = now_usec(CLOCK_MONOTONIC);
                gateway_update_timers(g);
                return 0;
        }
        j->cold = true;
        job_take_lease(j, l);
        return 0;
}

static int call_acquire(Function *f)
{
        Gateway *g = f->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(g->bus, &m, MANAGER_BUS_NAME, MANAGER_OBJECT, MANAGER_INTERFACE,
                                           "Acquire");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", f->name);
        if (r < 0)
                return r;
        /* Once the manager is known to answer, a cold start may take its time; until then the short
         * bound applies, activation included. */
        r = sd_bus_call_async(g->bus, NULL, m, on_acquired, f, g->config.acquire_timeout_usec);
        if (r < 0)
                return r;
        f->acquiring++;
        return 0;
}

static void ping_manager(Gateway *g);

/* Jobs waiting without an Acquire in flight for them get one. */
static void function_pump(Function *f)
{
        Job *failed = NULL;

        /* Whether the manager answers at all is learnt within the short bound first; the Acquire may
         * then take as long as a cold start does. */
        if (!f->gateway->manager_known)
                return ping_manager(f->gateway);

        while (f->acquiring < f->n_waiting)
                if (call_acquire(f) < 0) {
                        Job *j = function_pop_waiting(f);

                        f->gateway->metrics.manager_errors++;
                        j->wnext = failed;
                        failed = j;
                }

        /* Last, as failing the last job of a function may free it. */
        while (failed) {
                Job *j = failed;

                failed = j->wnext;
                j->wnext = NULL;
                job_fail(j, 503, "ServiceException", "The function manager is not reachable.", NULL);
        }
}

static int on_pong(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        Job *failed = NULL;

        g->pinging = false;
        if (!e) {
                g->manager_known = true;
                for (Function *f = g->functions; f; f = f->next)
                        function_pump(f);
                return 0;
        }

        log_warning("The function manager does not answer: %s", e->message ?: e->name);
        g->metrics.manager_errors++;
        /* Everything waiting for it learns now; failing comes last, as it may free functions. */
        for (Function *f = g->functions; f; f = f->next)
                while (f->n_waiting > f->acquiring) {
                        Job *j = f->waiting_tail;

                        job_unqueue(j);
                        j->wnext = failed;
                        failed = j;
                }
        while (failed) {
                Job *j = failed;

                failed = j->wnext;
                j->wnext = NULL;
                job_fail(j, 503, "ServiceException", "The function manager is not available; retry shortly.",
                         NULL);
        }
        return 0;
}

static void ping_manager(Gateway *g)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (g->pinging)
                return;
        r = sd_bus_message_new_method_call(g->bus, &m, MANAGER_BUS_NAME, MANAGER_OBJECT,
                                           "org.freedesktop.DBus.Peer", "Ping");
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_pong, g, g->config.manager_timeout_usec);
        if (r < 0) {
                log_warning_errno(r, "Failed to reach the function manager: %m");
                return;
        }
        g->pinging = true;
}

static void job_queue(Job *j)
{
        Function *f = j->function;

        j->deadline = now_usec(CLOCK_MONOTONIC) + j->gateway->config.queue_timeout_usec;
        for (Lease *l = f->leases; l; l = l->next)
                if (!l->busy && l->idle_since != UINT64_MAX)
                        return job_take_lease(j, l);

        if (f->waiting_tail)
                f->waiting_tail->wnext = j;
        else
                f->waiting = j;
        f->waiting_tail = j;
        f->n_waiting++;
        function_pump(f);
}

static int on_manager_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Gateway *g = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (old_owner[0]) {
                /* Its instances went with it (or will be cleaned up by the next one). */
                log_info("The function manager went away; forgetting its instances.");
                g->manager_known = false;
                forget_leases(g, NULL);
        }
        return 0;
}

static int on_instance_stopped(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *id, *function, *reason;

        if (sd_bus_message_read(m, "sss", &id, &function, &reason) >= 0)
                forget_leases(userdata, id);
        return 0;
}

/* ---- upstream: proxying the invocation to the instance ---- */

static size_t on_upstream_body(char *p, size_t size, size_t n, void *userdata)
{
        Job *j = userdata;

        return buf_append(&j->answer, p, size * n) < 0 ? 0 : size * n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
        size_t n = strlen(name);
        const char *v, *end = line + len;

        if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return NULL;
        v = line + n + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
                end--;
        return strndup(v, (size_t) (end - v));
}

static size_t on_upstream_header(char *p, size_t size, size_t n, void *userdata)
{
        Job *j = userdata;
        size_t len = size * n;
        char *v;

        if ((v = header_value(p, len, "X-Amz-Function-Error"))) {
                free(j->function_error);
                j->function_error = v;
        } else if ((v = header_value(p, len, "X-Amz-Log-Result"))) {
                free(j->log_result);
                j->log_result = v;
        } else if ((v = header_value(p, len, "X-Amz-Executed-Version"))) {
                free(j->executed_version);
                j->executed_version = v;
        }
        return len;
}

static void job_start_upstream(Job *j)
{
        Gateway *g = j->gateway;
        char h[128];
        bool ok;

        j->easy = curl_easy_init();
        if (!j->easy)
                return job_fail(j, 500, "ServiceException", "Out of memory.", NULL);

        (void) snprintf(h, sizeof(h), "X-Amzn-RequestId: %s", j->request_id);
        j->headers = curl_slist_append(NULL, "Content-Type: application/json");
        j->headers = j->headers ? curl_slist_append(j->headers, "Expect:") : NULL;
        j->headers = j->headers ? curl_slist_append(j->headers, h) : NULL;
        if (j->headers && j->log_tail)
                j->headers = curl_slist_append(j->headers, "X-Amz-Log-Type: Tail");
        if (j->headers && j->client_context) {
                _cleanup_free_ char *cc = NULL;

                if (asprintf(&cc, "X-Amz-Client-Context: %s", j->client_context) >= 0)
                        j->headers = curl_slist_append(j->headers, cc);
        }
        if (!j->headers)
                return job_fail(j, 500, "ServiceException", "Out of memory.", NULL);

        buf_clear(&j->answer);
        j->answer.max = RESPONSE_MAX;
        ok = curl_easy_setopt(j->easy, CURLOPT_URL, j->lease->url) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->payload ?: "") == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) j->payload_len) ==
                     CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_upstream_body) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_upstream_header) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, 1000L) == CURLE_OK &&
             curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS,
                              (long) (g->config.upstream_timeout_usec / 1000)) == CURLE_OK;
        if (!ok || curl_glue_add(g->glue, j->easy) < 0)
                return job_fail(j, 500, "ServiceException", "Failed to start the invocation.", NULL);
}

static void job_reply(Job *j, long status)
{
        Conn *c = job_detach(j);
        bool function_error = j->function_error != NULL;
        double seconds = (double) (now_usec(CLOCK_MONOTONIC) - j->start_usec) / 1e6;

        /* The emulator answers a runtime that died with 502: to Lambda's clients that is a function
         * error like any other. */
        if (status == 502) {
                function_error = true;
                status = 200;
        }

        metrics_observe(&j->gateway->metrics, j->function->name, (int) status, function_error, j->cold,
                        seconds);
        if (!c)
                return;
        http_conn_begin(c->http, (int) status);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "x-amzn-RequestId", j->request_id);
        if (status == 200)
                http_conn_header(c->http, "X-Amz-Executed-Version", j->executed_version ?: "$LATEST");
        if (function_error)
                http_conn_header(c->http, "X-Amz-Function-Error", j->function_error ?: "Unhandled");
        if (j->log_tail && j->log_result)
                http_conn_header(c->http, "X-Amz-Log-Result", j->log_result);
        if (status == 413)
                http_conn_header(c->http, "x-amzn-ErrorType", "RequestTooLargeException");
        http_conn_end(c->http, j->answer.data ?: "", j->answer.len);
}

static void on_upstream_done(CurlGlue *glue, CURL *easy, CURLcode result, void *userdata)
{
        Job *j = NULL;
        Lease *l;
        long status = 0;

        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &j) != CURLE_OK || !j)
                return;
        if (result == CURLE_OK)
                (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        l = j->lease;
        j->lease = NULL;
        curl_easy_cleanup(j->easy);
        j->easy = NULL;
        curl_slist_free_all(j->headers);
        j->headers = NULL;

        if (result == CURLE_COULDNT_CONNECT && !j->retried) {
                /* Nothing reached the function: give the dead instance back and try a fresh one. */
                log_info("Instance %.12s of '%s' refused the connection; retrying on another.", l->id,
                         j->function->name);
                j->retried = true;
                lease_done(l, false);
                return job_queue(j);
        }
        if (result != CURLE_OK) {
                bool lost = result == CURLE_COULDNT_CONNECT || result == CURLE_GOT_NOTHING ||
                            result == CURLE_RECV_ERROR || result == CURLE_SEND_ERROR;

                /* It may have run: never twice on our own. An instance that went away under it
                 * (its manager restarting, its container killed) is a passing fault of the service:
                 * 503, the client may try again. */
                lease_done(l, false);
                if (lost)
                        return job_fail(j, 503, "ServiceException",
                                        "The instance went away during the invocation; retry shortly.",
                                        NULL);
                return job_fail(j, result == CURLE_OPERATION_TIMEDOUT ? 504 : 502, "ServiceException",
                                curl_easy_strerror(result), NULL);
        }

        /* Any HTTP answer means lambda-rie is alive: it recovers from a crashed runtime by itself. */
        lease_done(l, true);
        job_reply(j, status);
        job_free(j);
}

/* ---- requests ---- */

static bool json_is_valid(const char *s, size_t len)
{
        json_tokener *tok = json_tokener_new_ex(64);
        json_object *o;
        bool ok;

        if (!tok)
                return false;
        o = json_tokener_parse_ex(tok, s, (int) len);
        ok = o && json_tokener_get_error(tok) == json_tokener_success &&
             json_tokener_get_parse_end(tok) == len;
        json_object_put(o);
        json_tokener_free(tok);
        return ok;
}

static void handle_invoke(Conn *c, const Route *route)
{
        Gateway *g = c->gateway;
        HttpRequest *req = &c->http->req;
        const char *type = http_request_header(req, "X-Amz-Invocation-Type") ?: "RequestResponse";
        const char *log_type = http_request_header(req, "X-Amz-Log-Type") ?: "None";
        const char *context = http_request_header(req, "X-Amz-Client-Context");
        Function *f;
        Job *j;

        if (strcmp(type, "RequestResponse") != 0 && strcmp(type, "Event") != 0 &&
            strcmp(type, "DryRun") != 0)
                return reply_error(c, route->function, NULL, 400, "InvalidParameterValueException",
                                   "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun.", NULL);
        if (strcmp(log_type, "None") != 0 && strcmp(log_type, "Tail") != 0)
                return reply_error(c, route->function, NULL, 400, "InvalidParameterValueException",
                                   "X-Amz-Log-Type must be None or Tail.", NULL);
        if (context && strlen(context) > 3583)
                return reply_error(c, route->function, NULL, 400, "InvalidParameterValueException",
                                   "X-Amz-Client-Context must be at most 3583 bytes.", NULL);
        if (req->body.len > 0 && !json_is_valid(req->body.data, req->body.len))
                return reply_error(c, route->function, NULL, 400, "InvalidRequestContentException",
                                   "Could not parse request body into json: the payload must be JSON.",
                                   NULL);
        if (strcmp(type, "Event") == 0 && req->body.len > 1024 * 1024)
                return reply_error(
                        c, route->function, NULL, 413, "RequestTooLargeException",
                        "Request must be smaller than 1048576 bytes for the InvokeAsync operation.", NULL);
        if (strcmp(type, "DryRun") == 0) {
                http_conn_begin(c->http, 204);
                metrics_observe(&g->metrics, route->function, 204, false, false, 0);
                http_conn_end(c->http, NULL, 0);
                return;
        }
        if (strcmp(type, "Event") == 0 && g->n_events >= g->config.max_events)
                return reply_error(c, route->function, NULL, 429, "TooManyRequestsException",
                                   "Too many asynchronous invocations are queued.",
                                   "ReservedFunctionConcurrentInvocationLimitExceeded");

        f = function_get(g, route->function);
        j = calloc(1, sizeof(Job));
        if (!f || !j) {
                free(j);
                return reply_error(c, route->function, NULL, 500, "ServiceException", "Out of memory.",
                                   NULL);
        }
        *j = (Job){
                .gateway = g,
                .function = f,
                .event = strcmp(type, "Event") == 0,
                .log_tail = strcmp(log_type, "Tail") == 0,
                .start_usec = now_usec(CLOCK_MONOTONIC),
        };
        if (random_uuid(j->request_id) < 0 || (context && !(j->client_context = strdup(context)))) {
                free(j->client_context);
                free(j);
                return reply_error(c, route->function, NULL, 500, "ServiceException", "Out of memory.",
                                   NULL);
        }
        j->payload = buf_steal(&req->body, &j->payload_len);
        LIST_PREPEND(g->jobs, j);
        g->n_jobs++;
        f->n_jobs++;
        g->metrics.in_flight = g->n_jobs;

        if (j->event) {
                g->n_events++;
                http_conn_begin(c->http, 202);
                http_conn_header(c->http, "x-amzn-RequestId", j->request_id);
                metrics_observe(&g->metrics, f->name, 202, false, false, 0);
                http_conn_end(c->http, NULL, 0);
        } else {
                j->conn = c;
                c->job = j;
        }
        gateway_update_timers(g);
        job_queue(j);
}

static int compare_function_names(const void *a, const void *b)
{
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b, *vx = NULL, *vy = NULL;

        (void) json_object_object_get_ex(x, "FunctionName", &vx);
        (void) json_object_object_get_ex(y, "FunctionName", &vy);
        return strcmp(json_object_get_string(vx) ?: "", json_object_get_string(vy) ?: "");
}

static int on_listed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ListCall *lc = userdata;
        Conn *c = lc->conn;
        Gateway *g;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        json_object *root = NULL, *list = NULL;
        const char *name, *image;
        uint32_t min, max, n, idle;
        unsigned count = 0;
        int implicit, r;

        if (!c) {
                free(lc);
                return 0;
        }
        g = c->gateway;
        c->list_call = NULL;
        if (e) {
                int status;
                const char *type = bus_error_type(e, &status);

                g->metrics.manager_errors += status == 503;
                reply_error(c, NULL, NULL, status, type, e->message ?: "The function manager failed.", NULL);
                free(lc);
                return 0;
        }

        root = json_object_new_object();
        list = json_object_new_array();
        r = sd_bus_message_enter_container(m, 'a', "(ssbuuuu)");
        while (r > 0 && root && list &&
               (r = sd_bus_message_read(m, "(ssbuuuu)", &name, &image, &implicit, &min, &max, &n, &idle)) >
                       0) {
                json_object *fn;
                char arn[256];

                /* The manager lists in no order; the marker is the last name of the previous page. */
                if (lc->marker[0] && strcmp(name, lc->marker) <= 0)
                        continue;
                if (count >= (lc->max_items ?: 50)) {
                        count++;
                        continue;
                }
                function_arn(g, name, arn, sizeof(arn));
                fn = json_object_new_object();
                if (!fn)
                        break;
                json_object_object_add(fn, "FunctionName", json_object_new_string(name));
                json_object_object_add(fn, "FunctionArn", json_object_new_string(arn));
                json_object_object_add(fn, "PackageType", json_object_new_string("Image"));
                json_object_object_add(fn, "Version", json_object_new_string("$LATEST"));
                json_object_object_add(fn, "Description", json_object_new_string(image));
                json_object_array_add(list, fn);
                count++;
        }
        if (r < 0 || !root || !list) {
                json_object_put(root);
                json_object_put(list);
                reply_error(c, NULL, NULL, 502, "ServiceException", "The manager's list is invalid.", NULL);
                free(lc);
                return 0;
        }
        /* By name, so that pages are stable. */
        json_object_array_sort(list, compare_function_names);
        json_object_object_add(root, "Functions", list);
        if (count > (lc->max_items ?: 50) && json_object_array_length(list) > 0) {
                json_object *lastfn = json_object_array_get_idx(list, json_object_array_length(list) - 1),
                            *v;

                if (json_object_object_get_ex(lastfn, "FunctionName", &v))
                        json_object_object_add(root, "NextMarker",
                                               json_object_new_string(json_object_get_string(v)));
        }

        {
                const char *body = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);

                g->manager_known = true;
                reply_plain(c, 200, "application/json", body, strlen(body));
        }
        json_object_put(root);
        free(lc);
        return 0;
}

static void handle_list(Conn *c, const Route *route)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        ListCall *lc;
        int r;

        lc = calloc(1, sizeof(ListCall));
        if (!lc)
                return reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        *lc = (ListCall){ .conn = c, .max_items = route->max_items };
        memcpy(lc->marker, route->marker, sizeof(lc->marker));

        r = sd_bus_message_new_method_call(g->bus, &m, MANAGER_BUS_NAME, MANAGER_OBJECT, MANAGER_INTERFACE,
                                           "ListFunctions");
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_listed, lc, g->config.manager_timeout_usec);
        if (r < 0) {
                free(lc);
                g->metrics.manager_errors++;
                return reply_error(c, NULL, NULL, 503, "ServiceException",
                                   "The function manager is not reachable.", NULL);
        }
        c->list_call = lc;
}

static void on_request(HttpConn *h)
{
        Conn *c = h->userdata;
        Gateway *g = c->gateway;
        _cleanup_free_ char *principal = NULL;
        const char *message = NULL;
        Route route;
        int status, r;

        r = route_parse(http_request_method(&h->req), http_request_url(&h->req), &route, &status, &message);
        if (r < 0) {
                return reply_error(c, NULL, NULL, status, NULL, message ?: "Bad request.", NULL);
        }

        if (route.type == ROUTE_HEALTHZ)
                return reply_plain(c, 200, "application/json", "{\"status\":\"ok\"}", 15);

        if (g->config.auth) {
                r = auth_check(g->auth, &h->req, route.type == ROUTE_INVOKE ? route.function : NULL,
                               now_usec(CLOCK_REALTIME) / USEC_PER_SEC, &principal, &message);
                if (r == -ENOMEM)
                        return reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
                if (r != AUTH_OK) {
                        static const char *const types[] = {
                                [AUTH_MISSING] = "MissingAuthenticationTokenException",
                                [AUTH_DENIED] = "InvalidSignatureException",
                                [AUTH_FORBIDDEN_FUNCTION] = "AccessDeniedException",
                                [AUTH_BAD_REQUEST] = "XAmzContentSHA256Mismatch",
                        };

                        return reply_error(c, route.type == ROUTE_INVOKE ? route.function : NULL, NULL,
                                           r == AUTH_BAD_REQUEST ? 400 : 403,
                                           r >= 0 && (size_t) r < ELEMENTSOF(types)
                                                   ? types[r]
                                                   : "AccessDeniedException",
                                           message ?: "Access denied.", NULL);
                }
        }

        switch (route.type) {
        case ROUTE_LIST_FUNCTIONS:
        case ROUTE_INVOKE:
                /* Until the bus is there (see on_bus_retry), nothing can reach the manager. */
                if (!g->bus)
                        return reply_error(c, route.type == ROUTE_INVOKE ? route.function : NULL, NULL, 503,
                                           "ServiceException",
                                           "The system bus is not reachable yet; retry shortly.", NULL);
                break;
        default:
                break;
        }

        switch (route.type) {
        case ROUTE_METRICS: {
                Buf b = {};

                if (metrics_render(&g->metrics, &b) < 0) {
                        buf_done(&b);
                        return reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
                }
                reply_plain(c, 200, "text/plain; version=0.0.4", b.data ?: "", b.len);
                buf_done(&b);
                return;
        }
        case ROUTE_LIST_FUNCTIONS:
                return handle_list(c, &route);
        case ROUTE_INVOKE:
                return handle_invoke(c, &route);
        default:
                return reply_error(c, NULL, NULL, 404, NULL, "Unknown path.", NULL);
        }
}

static void on_bad_request(HttpConn *h)
{
        Conn *c = h->userdata;
        int status = h->req.error_status ?: 400;

        reply_error(c, NULL, NULL, status,
                    status == 413 ? "RequestTooLargeException" : status_class_error(status),
                    status == 413 ? "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
                                  : h->req.error_reason ?: "Malformed HTTP request.",
                    NULL);
}

/* ---- connections ---- */

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        Conn *c = userdata;
        HttpConn *h = c->http;

        c->timer_armed = false;
        if (h->busy)
                return 0;
        /* Nothing of a next request: just close. Part of one (slow drip): 408. */
        if (buf_empty(&h->in) && !h->req.started) {
                http_conn_close(h);
                return 0;
        }
        h->busy = true;
        h->close_after = true;
        reply_error(c, NULL, NULL, 408, "RequestTimeoutException", "The request did not arrive in time.",
                    NULL);
        return 0;
}

static void on_watch(HttpConn *h, uint32_t events)
{
        Conn *c = h->userdata;
        Gateway *g = c->gateway;

        (void) sd_event_source_set_io_events(c->io, events);
        (void) sd_event_source_set_enabled(c->io, events ? SD_EVENT_ON : SD_EVENT_OFF);

        /* A request must arrive whole within the timeout from when the connection became ready for
         * it; reading does not extend it (slowloris). */
        if (h->busy) {
                c->timer_armed = false;
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        } else if (!c->timer_armed) {
                c->timer_armed = true;
                (void) sd_event_source_set_time_relative(c->timer, g->config.request_timeout_usec);
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        }
}

static void on_closing(HttpConn *h)
{
        Conn *c = h->userdata;
        Gateway *g = c->gateway;

        if (c->job) {
                /* The client left: the invocation goes on (it may be running), its answer is dropped. */
                c->job->conn = NULL;
                if (!c->job->lease) {
                        job_unqueue(c->job);
                        job_free(c->job);
                }
        }
        if (c->list_call)
                c->list_call->conn = NULL;
        LIST_REMOVE(g->conns, c);
        g->n_conns--;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        free(c);
        gateway_update_timers(g);
}

static const HttpConnOps conn_ops = {
        .request = on_request,
        .bad_request = on_bad_request,
        .watch = on_watch,
        .closing = on_closing,
};

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Conn *c = userdata;

        http_conn_on_io(c->http, revents);
        return 0;
}

static int conn_new(Gateway *g, int fd)
{
        Conn *c;
        int r;

        c = calloc(1, sizeof(Conn));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->gateway = g;
        r = http_conn_new(&c->http, fd, &gateway_limits, &conn_ops, c);
        if (r < 0) {
                safe_close(fd);
                free(c);
                return r;
        }
        LIST_PREPEND(g->conns, c);
        g->n_conns++;
        g->metrics.connections_total++;

        r = sd_event_add_io(g->event, &c->io, fd, EPOLLIN, on_conn_io, c);
        if (r >= 0)
                r = sd_event_add_time(g->event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_conn_timeout,
                                      c);
        if (r < 0) {
                http_conn_free(c->http);
                return r;
        }
        (void) sd_event_source_set_description(c->io, "connection");
        (void) sd_event_source_set_description(c->timer, "request-timeout");
        on_watch(c->http, EPOLLIN);
        gateway_update_timers(g);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Gateway *g = userdata;

        for (;;) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "Failed to accept a connection: %m");
                        return 0;
                }
                if (g->n_conns >= g->config.max_connections) {
                        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";

                        /* Best effort: the socket is fresh, its buffer takes this. */
                        (void) send(cfd, busy, STRLEN(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
                        safe_close(cfd);
                        continue;
                }
                if (conn_new(g, cfd) < 0)
                        log_warning("Failed to set up a connection, dropped it.");
        }
}

/* ---- timers: leases, exit on idle, draining ---- */

static int on_lease_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        /* Jobs that waited too long for one of our instances at the limit: throttled, as Lambda does. */
        for (Function *f = g->functions; f; f = f->next)
                for (Job *j = f->waiting, *jnext; j; j = jnext) {
                        jnext = j->wnext;
                        if (j->deadline <= now && f->acquiring < f->n_waiting) {
                                job_unqueue(j);
                                job_fail(j, 429, "TooManyRequestsException",
                                         "Rate exceeded: the function is at its concurrency limit.",
                                         "ConcurrentInvocationLimitExceeded");
                                break; /* the list changed (and the function may be gone): next tick */
                        }
                }

        for (Function *f = g->functions, *fnext; f; f = fnext) {
                fnext = f->next;
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy && l->idle_since + g->config.lease_idle_usec <= now)
                                lease_release(l, true);
                }
                function_gc(f);
        }
        gateway_update_timers(g);
        return 0;
}

static void release_idle_leases(Gateway *g)
{
        for (Function *f = g->functions; f; f = f->next)
                for (Lease *l = f->leases, *next; l; l = next) {
                        next = l->next;
                        if (!l->busy)
                                lease_release(l, true);
                }
        if (g->bus)
                (void) sd_bus_flush(g->bus);
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;

        log_info("No connections for %llu s, exiting (systemd keeps the socket).",
                 (unsigned long long) (g->config.idle_exit_usec / USEC_PER_SEC));
        release_idle_leases(g);
        return sd_event_exit(g->event, 0);
}

static void gateway_update_timers(Gateway *g)
{
        uint64_t next = UINT64_MAX;
        bool idle;

        for (Function *f = g->functions; f; f = f->next) {
                for (Lease *l = f->leases; l; l = l->next)
                        if (!l->busy && l->idle_since != UINT64_MAX)
                                next = MIN(next, l->idle_since + g->config.lease_idle_usec);
                /* Waiting jobs whose Acquire already failed wait for our own instances, not forever. */
                if (f->acquiring < f->n_waiting)
                        for (Job *j = f->waiting; j; j = j->wnext)
                                next = MIN(next, j->deadline);
        }
        if (g->lease_timer) {
                if (next == UINT64_MAX)
                        (void) sd_event_source_set_enabled(g->lease_timer, SD_EVENT_OFF);
                else {
                        (void) sd_event_source_set_time(g->lease_timer, next);
                        (void) sd_event_source_set_enabled(g->lease_timer, SD_EVENT_ONESHOT);
                }
        }

        idle = g->n_conns == 0 && g->n_jobs == 0;
        if (g->draining) {
                if (idle) {
                        release_idle_leases(g);
                        (void) sd_event_exit(g->event, 0);
                }
                return;
        }
        if (g->idle_timer && g->config.idle_exit_usec > 0) {
                if (idle && sd_event_source_get_enabled(g->idle_timer, NULL) == 0) {
                        (void) sd_event_source_set_time_relative(g->idle_timer, g->config.idle_exit_usec);
                        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_ONESHOT);
                } else if (!idle)
                        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_OFF);
        }
}

static int on_drain_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;

        log_warning("%u connections still open after draining for %llu s, exiting.", g->n_conns,
                    (unsigned long long) (DRAIN_USEC / USEC_PER_SEC));
        release_idle_leases(g);
        return sd_event_exit(g->event, 0);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Gateway *g = userdata;

        log_info("Received %s: draining.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        g->draining = true;
        /* No new connections; systemd keeps the socket and hands it to the next instance. */
        for (size_t i = 0; i < g->n_listeners; i++)
                (void) sd_event_source_set_enabled(g->listeners[i], SD_EVENT_OFF);
        /* Idle keep-alive connections go now; busy ones after their answer. */
        for (Conn *c = g->conns, *next; c; c = next) {
                next = c->next;
                if (!c->http->busy)
                        http_conn_close(c->http);
                else
                        c->http->close_after = true;
        }
        (void) sd_event_add_time_relative(g->event, NULL, CLOCK_MONOTONIC, DRAIN_USEC, 0, on_drain_timeout,
                                          g);
        gateway_update_timers(g);
        return 0;
}

/* ---- setup ---- */

static int add_listener(Gateway *g, int fd)
{
        sd_event_source **l;
        int r;

        l = realloc(g->listeners, (g->n_listeners + 1) * sizeof(sd_event_source *));
        if (!l)
                return -ENOMEM;
        g->listeners = l;
        r = sd_event_add_io(g->event, &g->listeners[g->n_listeners], fd, EPOLLIN, on_accept, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(g->listeners[g->n_listeners], true);
        (void) sd_event_source_set_description(g->listeners[g->n_listeners], "listener");
        g->n_listeners++;
        return 0;
}

static int open_listeners(Gateway *g)
{
        char **names = NULL;
        int n, r;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to take the sockets systemd passed: %m");
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                free(names ? names[i] : NULL);
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_warning("Passed fd %i is not a listening stream socket, ignoring it.", fd);
                        continue;
                }
                (void) fd_set_nonblock(fd);
                r = add_listener(g, fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch a passed socket: %m");
        }
        free(names);

        if (g->n_listeners == 0)
                for (char **a = g->config.listen; a && *a; a++) {
                        SocketAddress addr;
                        int fd;

                        r = socket_address_parse(*a, &addr);
                        if (r < 0)
                                return log_error_errno(r, "Invalid --listen address '%s'.", *a);
                        fd = socket_listen(&addr, SOMAXCONN);
                        if (fd < 0)
                                return log_error_errno(fd, "Failed to listen on %s: %m", *a);
                        r = add_listener(g, fd);
                        if (r < 0) {
                                safe_close(fd);
                                return log_error_errno(r, "Failed to watch %s: %m", *a);
                        }
                }
        if (g->n_listeners == 0)
                return log_error_errno(-EINVAL,
                                       "No sockets: run under systemd socket activation or give --listen.");
        return 0;
}

int gateway_new(Gateway **ret, const GatewayConfig *config)
{
        _cleanup_(gateway_freep) Gateway *g = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        g = calloc(1, sizeof(Gateway));
        if (!g)
                return log_oom();
        g->config = *config;

        if (config->auth) {
                r = auth_load(config->api_keys_path, config->credentials_path, &g->auth, &error);
                if (r >= 0 && config->api_key)
                        r = auth_add_api_key(g->auth, "LAMBDAD_API_KEY", config->api_key, &error);
                if (r < 0)
                        return log_error_errno(r, "Refusing to start without valid credentials: %s",
                                               error ?: "?");
                if (config->api_key)
                        log_info("LAMBDAD_API_KEY is a Bearer key for every function.");
                if (g->auth->n_api_keys == 0 && g->auth->n_credentials == 0)
                        log_warning(
                                "No API keys in %s and no credentials in %s: every request will be refused "
                                "(use --no-auth to run without authentication).",
                                config->api_keys_path, config->credentials_path);
        }

        r = sd_event_default(&g->event);
        if (r < 0)
                return log_error_errno(r, "Failed to get the event loop: %m");
        r = curl_glue_new(&g->glue, g->event, on_upstream_done, g);
        if (r < 0)
                return log_error_errno(r, "Failed to set up HTTP client: %m");
        r = sd_event_add_time(g->event, &g->lease_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_lease_timer, g);
        if (r >= 0)
                r = sd_event_add_time(g->event, &g->idle_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_idle, g);
        if (r < 0)
                return log_error_errno(r, "Failed to create timers: %m");
        (void) sd_event_source_set_enabled(g->lease_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(g->idle_timer, SD_EVENT_OFF);

        *ret = TAKE_PTR(g);
        return 0;
}

Gateway *gateway_free(Gateway *g)
{
        if (!g)
                return NULL;
        while (g->conns)
                http_conn_free(g->conns->http);
        while (g->jobs)
                job_free(g->jobs);
        while (g->functions) {
                Function *f = g->functions;

                while (f->leases)
                        lease_free(f->leases);
                LIST_REMOVE(g->functions, f);
                free(f);
        }
        for (size_t i = 0; i < g->n_listeners; i++)
                sd_event_source_disable_unref(g->listeners[i]);
        free(g->listeners);
        sd_event_source_disable_unref(g->lease_timer);
        sd_event_source_disable_unref(g->idle_timer);
        sd_event_source_disable_unref(g->bus_retry);
        curl_glue_free(g->glue);
        sd_bus_flush_close_unref(g->bus);
        sd_event_unref(g->event);
        auth_free(g->auth);
        metrics_done(&g->metrics);
        free(g);
        return NULL;
}

/* Connects to the system bus and follows the manager's comings and goings on it. Once connected, a
 * lost bus ends the gateway (as the system bus only goes away with the system). */
static int gateway_connect_bus(Gateway *g)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(
                bus, NULL,
                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                "member='NameOwnerChanged',arg0='" MANAGER_BUS_NAME "'",
                on_manager_owner_changed, NULL, g);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, NULL, MANAGER_BUS_NAME, MANAGER_OBJECT, MANAGER_INTERFACE,
                                              "InstanceStopped", on_instance_stopped, NULL, g);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to the manager's signals: %m");
        r = sd_bus_attach_event(bus, g->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus: %m");
        (void) sd_bus_set_exit_on_disconnect(bus, true);
        g->bus = TAKE_PTR(bus);
        return 0;
}

static int on_bus_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        Gateway *g = userdata;
        int r;

        r = gateway_connect_bus(g);
        if (r >= 0) {
                log_info("Connected to the system bus.");
                g->bus_retry = sd_event_source_disable_unref(g->bus_retry);
                return 0;
        }
        log_full_errno(LOG_DEBUG, r, "The system bus is still not reachable: %m");
        (void) sd_event_source_set_time_relative(s, BUS_RETRY_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

int gateway_run(Gateway *g)
{
        int r;

        r = sd_event_set_watchdog(g->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog: %m");
        r = sd_event_add_signal(g->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_sigterm, g);
        if (r >= 0)
                r = sd_event_add_signal(g->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_sigterm, g);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = gateway_connect_bus(g);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                log_warning_errno(r,
                                  "The system bus is not reachable (%m); retrying every second, answering "
                                  "503 meanwhile.");
                r = sd_event_add_time_relative(g->event, &g->bus_retry, CLOCK_MONOTONIC, BUS_RETRY_USEC, 0,
                                               on_bus_retry, g);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm the bus retry timer: %m");
                (void) sd_event_source_set_description(g->bus_retry, "bus-retry");
        }

        r = open_listeners(g);
        if (r < 0)
                return r;

        gateway_update_timers(g);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving on %zu socket(s)", g->n_listeners);
        log_info("Serving the Lambda Invoke API on %zu socket(s)%s.", g->n_listeners,
                 g->config.auth ? "" : ", WITHOUT authentication");
        return sd_event_loop(g->event);
}
