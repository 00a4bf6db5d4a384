/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * upstream.h: the gateway's connection to one instance, kept alive for as long as the lease on the
 * instance lasts. An instance runs one invocation at a time, so the connection carries at most one
 * request: it is written at once (no loop iteration in between), the answer is parsed as it arrives
 * (upstream-parser) and handed to the owner piece by piece, and reading pauses while the owner's
 * client lags behind. Its socket stays registered in sd-event for the connection's life.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "trace.h"
#include "upstream-parser.h"

typedef struct Upstream Upstream;

typedef struct UpstreamOps {
        /* The answer's head; a negative return aborts the answer with that error. */
        int (*head)(Upstream *u, const UpstreamHead *head, void *userdata);
        /* Body bytes, to be used or copied before returning. */
        int (*body)(Upstream *u, const char *p, size_t n, void *userdata);
        /* Optional: the answer's trailer fields (borrowed), just before it completes. */
        int (*trailers)(Upstream *u, const UpstreamTrailers *trailers, void *userdata);
        /*
         * The answer is complete (0), or failed: -ECONNREFUSED (the connection could not be made, or
         * broke before a byte of the request was written: the request never reached the instance),
         * -ECONNRESET (the instance went away; it may have run), -ETIMEDOUT,
         * -EBADMSG or -EMSGSIZE (a malformed or oversized answer), -EPIPE (cut short), -ENOMEM, or an
         * error the head or body callback returned. The connection may be freed from here.
         */
        void (*done)(Upstream *u, int error, void *userdata);
} UpstreamOps;

/* A connection to HOST:PORT (an IP literal), or with port 0 to the unix socket at HOST (an absolute
 * path: an instance without a network), made on the first request. */
int upstream_new(Upstream **ret, sd_event *event, const char *host, uint16_t port);
Upstream *upstream_free(Upstream *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(Upstream *, upstream_free);

/*
 * Sends one request: head (the request line and headers, ending in an empty line) and body, both
 * borrowed until done() runs. body_more: body_len bytes of the body are there so far, the rest comes
 * through upstream_body(). The answer may be at most max_body bytes. -EBUSY while another request is
 * in flight; otherwise the outcome comes through ops, never from this call's stack.
 */
int upstream_request(Upstream *u, const char *head, size_t head_len, const char *body, size_t body_len,
                     bool body_more, uint64_t max_body, uint64_t timeout_usec, const UpstreamOps *ops,
                     void *userdata);

/* More of the request's body: body_len bytes of it are there now (body may have moved), more: the rest
 * is still to come. Written as the socket takes it; the outcome still comes through ops only. */
void upstream_body(Upstream *u, const char *body, size_t body_len, bool more);

/* Drops the request in flight without its outcome: the connection is reset, so that the instance
 * never sees the request whole. done() is not called. */
void upstream_abort(Upstream *u);

/* Stops (true) or resumes reading the answer: the consumer's own buffer is full, or drained. */
void upstream_pause(Upstream *u, bool pause);

/* How many connections were made (the first, and again after the instance closed one). */
unsigned upstream_connects(const Upstream *u);

/* The request's TRACE_SENT and TRACE_FIRST_BYTE stamps (trace.h; 0 when not traced), and whether its
 * connection was opened for it (TRACE_UPSTREAM_NEW), into r. */
void upstream_trace(const Upstream *u, TraceRecord *r);
