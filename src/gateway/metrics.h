/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * metrics.h: lambda-gateway's counters and their Prometheus text exposition (format 0.0.4) for GET
 * /metrics. Pure: the gateway updates the counters as requests end, and rendering is a function of
 * them alone. Per-function series are bounded, so clients naming many functions cannot grow them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Upper bounds in seconds: .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5, then +Inf. */
#define METRICS_LATENCY_BUCKETS 12
/* Distinct functions with series of their own; the rest are counted under METRICS_OTHER. */
#define METRICS_FUNCTIONS_MAX 1024
#define METRICS_OTHER         "_other"

typedef struct FunctionMetrics {
        char name[65];
        uint64_t requests_by_class[6]; /* index = status/100 (1xx..5xx), [0] unused */
        uint64_t function_errors;      /* 200 with X-Amz-Function-Error */
        uint64_t cold_starts;
        uint64_t thaws; /* leases the manager thawed a frozen instance for */
        uint64_t
                latency_buckets[METRICS_LATENCY_BUCKETS + 1]; /* per bucket; made cumulative when rendered */
        double latency_sum;
        uint64_t latency_count;
} FunctionMetrics;

/* Where records of finished Event invocations went, and why. */
typedef enum DestinationCondition {
        DESTINATION_SUCCESS,
        DESTINATION_RETRIES_EXHAUSTED,
        DESTINATION_EVENT_AGE_EXCEEDED,
        _DESTINATION_CONDITION_MAX,
} DestinationCondition;

enum {
        DESTINATION_KIND_FUNCTION,
        DESTINATION_KIND_DIRECTORY,
        _DESTINATION_KIND_MAX,
};

typedef struct Metrics {
        FunctionMetrics *functions; /* sorted by name */
        size_t n_functions, cap;    /* n_functions <= METRICS_FUNCTIONS_MAX + 1 (METRICS_OTHER) */
        uint64_t in_flight;
        uint64_t manager_errors; /* D-Bus failures/timeouts talking to the manager */
        uint64_t connections_total;
        uint64_t connections_evicted;  /* closed at the limit without a complete request */
        uint64_t requests_unrouted[6]; /* requests without a function (404s, healthz, ...) by class */
        /* The queue of Event invocations (event-queue.h). */
        uint64_t events_queued;   /* gauge */
        uint64_t event_retries;   /* after a function error */
        uint64_t event_throttles; /* attempts throttled (429/503), retried without counting */
        uint64_t events_expired;  /* dropped past their maximum age */
        uint64_t events_failed;   /* records kept in failed/ (no destination, or it failed) */
        uint64_t events_corrupt;  /* queue files moved aside */
        uint64_t event_commits;   /* directory fsyncs of accepted events (group commits) */
        uint64_t destination_deliveries[_DESTINATION_KIND_MAX][_DESTINATION_CONDITION_MAX];
} Metrics;

/* A zero-initialised Metrics is ready to use; this frees it and leaves it so. */
void metrics_done(Metrics *m);

/*
 * Finds or adds the function's entry. Once METRICS_FUNCTIONS_MAX functions have entries, new names
 * (and names no function can have: empty or longer than 64) share the METRICS_OTHER entry, which a
 * real function of that name shares too. NULL only on ENOMEM. The pointer is valid until the next
 * call that may add an entry.
 */
FunctionMetrics *metrics_function(Metrics *m, const char *name);

/*
 * Counts one answered request. function is NULL for requests no function was routed to; those count
 * by class only. Statuses outside 100..599 are programmer errors and not counted; latencies that are
 * negative or not finite count as 0. A function entry that cannot be allocated counts as unrouted.
 */
void metrics_observe(Metrics *m, const char *function, int status, bool function_error, bool cold_start,
                     double seconds);

/* Counts a lease of function's that the manager served by thawing a frozen instance. */
void metrics_thawed(Metrics *m, const char *function);

/* Appends the exposition to out (Content-Type: text/plain; version=0.0.4). -ENOMEM, -ENOBUFS from out. */
int metrics_render(const Metrics *m, Buf *out);
