/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"

/* The "le" labels are spelled out rather than printed from the doubles, so they never change shape. */
static const struct {
        double bound;
        const char *le;
} latency_buckets[METRICS_LATENCY_BUCKETS] = {
        { 0.001, "0.001" }, { 0.0025, "0.0025" }, { 0.005, "0.005" }, { 0.01, "0.01" },
        { 0.025, "0.025" }, { 0.05, "0.05" },     { 0.1, "0.1" },     { 0.25, "0.25" },
        { 0.5, "0.5" },     { 1, "1" },           { 2.5, "2.5" },     { 5, "5" },
};

static const char *const class_labels[6] = { NULL, "1xx", "2xx", "3xx", "4xx", "5xx" };

void metrics_done(Metrics *m)
{
        if (!m)
                return;
        free(m->functions);
        *m = (Metrics){};
}

/* Binary search; *ret_index is where the name is, or where it would go. */
static bool metrics_find(const Metrics *m, const char *name, size_t *ret_index)
{
        size_t lo = 0, hi = m->n_functions;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(name, m->functions[mid].name);

                if (c == 0) {
                        *ret_index = mid;
                        return true;
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        *ret_index = lo;
        return false;
}

FunctionMetrics *metrics_function(Metrics *m, const char *name)
{
        FunctionMetrics *f;
        size_t i;

        if (!name || !*name || strlen(name) >= sizeof(f->name))
                name = METRICS_OTHER;
        if (metrics_find(m, name, &i))
                return &m->functions[i];
        /* Each function is a dozen and more series: past the bound they share one set. */
        if (m->n_functions >= METRICS_FUNCTIONS_MAX && strcmp(name, METRICS_OTHER) != 0)
                return metrics_function(m, METRICS_OTHER);

        if (m->n_functions == m->cap) {
                size_t cap = MIN(MAX(m->cap * 2, (size_t) 16), (size_t) METRICS_FUNCTIONS_MAX + 1);

                f = reallocarray(m->functions, cap, sizeof(FunctionMetrics));
                if (!f)
                        return NULL;
                m->functions = f;
                m->cap = cap;
        }

        f = &m->functions[i];
        memmove(f + 1, f, (m->n_functions - i) * sizeof(FunctionMetrics));
        *f = (FunctionMetrics){};
        strcpy(f->name, name);
        m->n_functions++;
        return f;
}

void metrics_observe(Metrics *m, const char *function, int status, bool function_error, bool cold_start,
                     double seconds)
{
        FunctionMetrics *f;
        size_t b = 0;
        int class;

        if (status < 100 || status > 599)
                return;
        class = status / 100;

        f = function ? metrics_function(m, function) : NULL;
        if (!f) {
                m->requests_unrouted[class]++;
                return;
        }

        f->requests_by_class[class]++;
        if (function_error)
                f->function_errors++;
        if (cold_start)
                f->cold_starts++;

        /* One bad clock reading must not turn the sum into NaN for good. */
        if (!isfinite(seconds) || seconds < 0)
                seconds = 0;
        while (b < METRICS_LATENCY_BUCKETS && seconds > latency_buckets[b].bound)
                b++;
        f->latency_buckets[b]++;
        f->latency_sum += seconds;
        f->latency_count++;
}

void metrics_thawed(Metrics *m, const char *function)
{
        FunctionMetrics *f = metrics_function(m, function);

        if (f)
                f->thaws++;
}

/* Label values escape backslash, double quote and newline (and nothing else) in format 0.0.4. */
static int append_label_value(Buf *out, const char *s)
{
        int r = 0;

        for (const char *p = s; *p && r >= 0; p++) {
                size_t n = strcspn(p, "\\\"\n");

                if (n > 0) {
                        r = buf_append(out, p, n);
                        p += n;
                        if (!*p || r < 0)
                                break;
                }
                r = buf_append_str(out, *p == '\n' ? "\\n" : *p == '"' ? "\\\"" : "\\\\");
        }
        return r;
}

/* Shortest of two precisions that reads back as the same double. */
static int append_double(Buf *out, double v)
{
        char s[32];

        if (isnan(v))
                return buf_append_str(out, "NaN");
        if (isinf(v))
                return buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
        (void) snprintf(s, sizeof(s), "%.15g", v);
        if (strtod(s, NULL) != v)
                (void) snprintf(s, sizeof(s), "%.17g", v);
        return buf_append_str(out, s);
}

static int append_family(Buf *out, const char *name, const char *type, const char *help)
{
        return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{function="F"<extra>} (extra starts with a comma, or is empty) */
static int append_function_series(Buf *out, const char *name, const FunctionMetrics *f, const char *extra)
{
        int r;

        r = buf_printf(out, "%s{function=\"", name);
        if (r >= 0)
                r = append_label_value(out, f->name);
        if (r >= 0)
                r = buf_printf(out, "\"%s} ", extra);
        return r;
}

static int render_requests(const Metrics *m, Buf *out)
{
        static const char name[] = "lambdad_requests_total";
        int r;

        r = append_family(
                out, name, "counter",
                "Requests answered by the gateway, by function and status class; requests routed to "
                "no function have no function label.");
        for (size_t i = 0; i < m->n_functions && r >= 0; i++)
                for (int c = 1; c <= 5 && r >= 0; c++) {
                        char extra[16];

                        (void) snprintf(extra, sizeof(extra), ",code=\"%s\"", class_labels[c]);
                        r = append_function_series(out, name, &m->functions[i], extra);
                        if (r >= 0)
                                r = buf_printf(out, "%" PRIu64 "\n", m->functions[i].requests_by_class[c]);
                }
        for (int c = 1; c <= 5 && r >= 0; c++)
                r = buf_printf(out, "%s{code=\"%s\"} %" PRIu64 "\n", name, class_labels[c],
                               m->requests_unrouted[c]);
        return r;
}

static uint64_t get_function_errors(const FunctionMetrics *f)
{
        return f->function_errors;
}

static uint64_t get_cold_starts(const FunctionMetrics *f)
{
        return f->cold_starts;
}

static uint64_t get_thaws(const FunctionMetrics *f)
{
        return f->thaws;
}

static int render_function_counter(const Metrics *m, Buf *out, const char *name, const char *help,
                                   uint64_t (*get)(const FunctionMetrics *f))
{
        int r;

        r = append_family(out, name, "counter", help);
        for (size_t i = 0; i < m->n_functions && r >= 0; i++) {
                r = append_function_series(out, name, &m->functions[i], "");
                if (r >= 0)
                        r = buf_printf(out, "%" PRIu64 "\n", get(&m->functions[i]));
        }
        return r;
}

static int render_latency(const Metrics *m, Buf *out)
{
        static const char name[] = "lambdad_request_duration_seconds";
        int r;

        r = append_family(out, name, "histogram",
                          "Time from a request's arrival to its answer, by function, in seconds.");
        for (size_t i = 0; i < m->n_functions && r >= 0; i++) {
                const FunctionMetrics *f = &m->functions[i];
                uint64_t cumulative = 0;

                for (size_t b = 0; b <= METRICS_LATENCY_BUCKETS && r >= 0; b++) {
                        char extra[32];

                        cumulative += f->latency_buckets[b];
                        (void) snprintf(extra, sizeof(extra), ",le=\"%s\"",
                                        b < METRICS_LATENCY_BUCKETS ? latency_buckets[b].le : "+Inf");
                        r = append_function_series(out, "lambdad_request_duration_seconds_bucket", f, extra);
                        if (r >= 0)
                                r = buf_printf(out, "%" PRIu64 "\n", cumulative);
                }
                if (r >= 0)
                        r = append_function_series(out, "lambdad_request_duration_seconds_sum", f, "");
                if (r >= 0)
                        r = append_double(out, f->latency_sum);
                if (r >= 0)
                        r = buf_append_str(out, "\n");
                if (r >= 0)
                        r = append_function_series(out, "lambdad_request_duration_seconds_count", f, "");
                /* The +Inf bucket is the count by definition; print the same number. */
                if (r >= 0)
                        r = buf_printf(out, "%" PRIu64 "\n", cumulative);
        }
        return r;
}

static int render_scalar(Buf *out, const char *name, const char *type, const char *help, uint64_t v)
{
        int r;

        r = append_family(out, name, type, help);
        if (r >= 0)
                r = buf_printf(out, "%s %" PRIu64 "\n", name, v);
        return r;
}

/* The queue of Event invocations: where the records of finished events went, by kind and condition. */
static int render_queue(const Metrics *m, Buf *out)
{
        static const char *const kinds[_DESTINATION_KIND_MAX] = { "function", "directory" };
        static const char *const conditions[_DESTINATION_CONDITION_MAX] = { "Success", "RetriesExhausted",
                                                                            "EventAgeExceeded" };
        static const char deliveries[] = "lambdad_event_destination_deliveries_total";
        int r;

        r = render_scalar(out, "lambdad_events_queued", "gauge",
                          "Event invocations accepted and not yet done: being written, waiting, running or "
                          "waiting for a retry.",
                          m->events_queued);
        if (r >= 0)
                r = render_scalar(out, "lambdad_event_retries_total", "counter",
                                  "Event invocations retried after a function error.", m->event_retries);
        if (r >= 0)
                r = render_scalar(out, "lambdad_event_throttles_total", "counter",
                                  "Event invocation attempts throttled (429) or unavailable (503), retried "
                                  "with backoff without counting as attempts.",
                                  m->event_throttles);
        if (r >= 0)
                r = render_scalar(out, "lambdad_events_expired_total", "counter",
                                  "Event invocations dropped past their maximum age.", m->events_expired);
        if (r >= 0)
                r = render_scalar(out, "lambdad_events_failed_total", "counter",
                                  "Failed Event invocations whose record was kept in the failed/ directory.",
                                  m->events_failed);
        if (r >= 0)
                r = render_scalar(out, "lambdad_event_files_corrupt_total", "counter",
                                  "Unreadable queue files moved to the corrupt/ directory.",
                                  m->events_corrupt);
        if (r >= 0)
                r = render_scalar(out, "lambdad_event_queue_commits_total", "counter",
                                  "Directory fsyncs that made accepted Event invocations durable: one for "
                                  "each group written together (group commit).",
                                  m->event_commits);
        if (r >= 0)
                r = append_family(out, deliveries, "counter",
                                  "Records of Event invocations delivered to their destination, by kind and "
                                  "condition.");
        for (size_t k = 0; k < _DESTINATION_KIND_MAX && r >= 0; k++)
                for (size_t c = 0; c < _DESTINATION_CONDITION_MAX && r >= 0; c++)
                        r = buf_printf(out, "%s{kind=\"%s\",condition=\"%s\"} %" PRIu64 "\n", deliveries,
                                       kinds[k], conditions[c], m->destination_deliveries[k][c]);
        return r;
}

int metrics_render(const Metrics *m, Buf *out)
{
        int r;

        r = render_requests(m, out);
        if (r >= 0)
                r = render_function_counter(m, out, "lambdad_function_errors_total",
                                            "Invocations that ended in a function error (200 with "
                                            "X-Amz-Function-Error), by function.",
                                            get_function_errors);
        if (r >= 0)
                r = render_function_counter(m, out, "lambdad_cold_starts_total",
                                            "Invocations that had to wait for a new instance, by function.",
                                            get_cold_starts);
        if (r >= 0)
                r = render_function_counter(m, out, "lambdad_thaws_total",
                                            "Instances the manager thawed (unpaused) for an invocation, by "
                                            "function.",
                                            get_thaws);
        if (r >= 0)
                r = render_latency(m, out);
        if (r >= 0)
                r = render_scalar(out, "lambdad_in_flight_requests", "gauge",
                                  "Requests received and not yet answered.", m->in_flight);
        if (r >= 0)
                r = render_scalar(out, "lambdad_manager_errors_total", "counter",
                                  "Failed or timed out D-Bus calls to lambda-manager.", m->manager_errors);
        if (r >= 0)
                r = render_scalar(out, "lambdad_connections_total", "counter",
                                  "Client connections accepted.", m->connections_total);
        if (r >= 0)
                r = render_scalar(out, "lambdad_connections_evicted_total", "counter",
                                  "Connections without a complete request closed at the connection limit.",
                                  m->connections_evicted);
        if (r >= 0)
                r = render_queue(m, out);
        return r;
}
