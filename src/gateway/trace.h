/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * trace.h: per-request stage timestamps of lambda-gateway, for the benchmarks only (bench/run's
 * latency section, bench/lib/trace.py). With LAMBDAD_GATEWAY_TRACE=FILE in its environment the
 * gateway maps FILE at start and, for each RequestResponse invocation answered on a client
 * connection, writes one fixed record into a ring there: no allocation and no system call per request
 * (the stamps are vDSO clock reads). Without it every stamp is one predictable branch on a NULL
 * pointer. Nothing of it reaches the logs.
 *
 * The file: a TraceHeader, then capacity records; record i is at slot i % capacity, and count (the
 * records written so far) is stored after the record it counts.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef enum TraceStage {
        TRACE_ACCEPT,     /* the connection was accepted (the same for all its requests) */
        TRACE_READ,       /* the loop woke up for the request's first bytes */
        TRACE_HEAD,       /* its head is parsed */
        TRACE_AUTH,       /* authentication and authorization done */
        TRACE_LEASE,      /* an instance is leased: a kept one, or one the manager gave (Acquire) */
        TRACE_SENT,       /* the request (head and the whole body) is written to the instance */
        TRACE_FIRST_BYTE, /* the first byte of the instance's answer is read */
        TRACE_LAST_BYTE,  /* the last byte of the answer is given to the client's socket */
        TRACE_RELEASED,   /* the lease is given back (kept for the next request, or released) */
        _TRACE_STAGE_MAX,
} TraceStage;

enum {
        TRACE_LEASE_KEPT = 1 << 0,   /* the lease was one the gateway kept (no bus round trip) */
        TRACE_UPSTREAM_NEW = 1 << 1, /* the connection to the instance was opened for this request */
};

typedef struct TraceRecord {
        uint64_t t[_TRACE_STAGE_MAX]; /* CLOCK_MONOTONIC nanoseconds; 0: not reached */
        uint32_t flags;
        uint32_t request_on_connection; /* 1 for a connection's first request */
} TraceRecord;

#define TRACE_MAGIC "LDTRACE1"

typedef struct TraceHeader {
        char magic[8];
        uint32_t n_stages;
        uint32_t record_size;
        uint64_t capacity;
        uint64_t count;
        uint64_t reserved[4];
} TraceHeader;

extern TraceHeader *trace_ring;

/* Maps $LAMBDAD_GATEWAY_TRACE, when set; tracing stays off on failure (logged). */
void trace_open(void);

static inline bool trace_on(void)
{
        return __builtin_expect(trace_ring != NULL, 0);
}

static inline uint64_t trace_now(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static inline void trace_stamp(TraceRecord *r, TraceStage s)
{
        if (trace_on())
                r->t[s] = trace_now();
}

/* Stamps s once: the first of several places a stage may be reached from wins. */
static inline void trace_stamp_once(TraceRecord *r, TraceStage s)
{
        if (trace_on() && r->t[s] == 0)
                r->t[s] = trace_now();
}

/* Starts r over for the connection's next request. */
static inline void trace_next(TraceRecord *r)
{
        for (int s = TRACE_READ; s < _TRACE_STAGE_MAX; s++)
                r->t[s] = 0;
        r->flags = 0;
}

/* Writes r into the ring. */
void trace_commit(const TraceRecord *r);
