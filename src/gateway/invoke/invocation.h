/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * invocation.h: one invocation from the request to the answer: the Invoke API's checks of the
 * request, waiting for an instance (lease.h), the request to the instance over the lease's upstream
 * connection, and the answer passed on to the client as it arrives, in Lambda's shapes (function
 * errors as 200 with X-Amz-Function-Error). Event invocations are answered 202 once the durable queue
 * holds them (event-queue.h), which runs them later without a client. InvokeWithResponseStream's
 * answer is the same answer as an event stream (event-stream.h), sent as it comes: each piece of the
 * instance's answer as a PayloadChunk, then InvokeComplete with the function's error (from
 * lambda-rie's trailer fields when it failed mid-stream, or the whole error of a function that failed
 * before its first byte) and the log tail. Function URLs' invocations (url-call.h) run here too;
 * their answers are collected and mapped by url-call.h, or, for a RESPONSE_STREAM URL of a function
 * that streams, passed through url-call.h piece by piece with the same limit and backpressure.
 */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "event-queue.h"
#include "function-url.h"
#include "json-check.h"
#include "lambda-contract.h"
#include "lease.h"
#include "route.h"
#include "trace.h"
#include "util.h"

struct Invocation {
        Gateway *gateway;
        ClientConn *client; /* NULL for Event invocations, or once the client left */
        GatewayFunction *function;
        Lease *lease;
        char request_id[UUID_STRING_MAX];
        bool event;
        bool stream; /* InvokeWithResponseStream: the answer goes out as an event stream */
        bool log_tail;
        bool retried;
        bool cold;
        bool answering; /* the client has bytes of the answer: a failure now can only close it */
        bool function_error;
        bool events;            /* the answer goes out as events, chunk by chunk, as they come */
        bool instance_streamed; /* the instance streams its answer (lambda-rie's streaming mode) */
        bool finished;          /* status is the outcome (else it was cut off by the gateway's exit) */
        int status;             /* what the client is told */
        QueuedEvent *queued;    /* run for the event queue: the outcome goes back to it */
        char *payload;
        size_t payload_len;
        /* A request whose body is streamed to the instance as it arrives (invocation_stream_begin()):
         * payload holds what came so far of payload_total bytes, all but its last byte may be sent
         * while it is checked (json), and the last only once the whole is JSON. */
        bool body_streaming;
        bool body_refused; /* ... it is not JSON: dropped, the 400 waits for the rest of the request */
        size_t payload_total;
        JsonStream json;
        char *client_context;
        uint64_t start_usec;
        uint64_t deadline; /* waiting for an instance ends here */
        Buf answer;        /* the body of an answer that does not say its length up front */
        char *log_result, *executed_version, *function_error_type;
        char *stream_error_type; /* a function that failed mid-stream: its error type ... */
        Buf stream_error;        /* ... and its error JSON */
        uint64_t streamed;       /* bytes streamed as they came (PayloadChunks, a URL's stream) */
        bool url;                /* a function URL's: the answer is mapped by payload format 2.0's rules */
        bool url_stream;    /* ... its invoke mode is RESPONSE_STREAM (the answer starts with a prelude) */
        char *url_cors;     /* ... its Cors (JSON) */
        char *url_origin;   /* ... the request's Origin; NULL when none */
        bool url_streaming; /* ... the instance streams it: it goes out as it comes */
        FunctionUrlPrelude url_prelude; /* ... its prelude, as it comes (PRELUDE_BODY: none) */
        char *url_content_type;         /* ... the runtime's Content-Type (a prelude's, or a raw stream's) */

        TraceRecord trace; /* its stages (trace.h; bench only), from its client's once detached */

        Invocation *prev, *next; /* Gateway.invocations */
        Invocation *wnext;       /* the function's queue */
};

/* POST .../invocations, .../response-streaming-invocations of function: the route's, or the manager's
 * name of the version it runs ("NAME:N", functions_invoke()). */
void invocation_handle(ClientConn *c, const Route *route, const char *function);

/* Or, from the head of a RequestResponse invocation of function (as invocation_handle()'s) with a body
 * of length bytes (the Invoke API's headers h checked), the invocation started before its body came:
 * the body goes to the instance through invocation_stream_body() as it arrives. -ENOMEM (then the
 * request is left to invocation_handle()). */
int invocation_stream_begin(ClientConn *c, const Route *route, const char *function,
                            const LambdaInvokeHeaders *h, uint64_t length);

/* A piece of its body. A body that turns out not to be JSON never reaches the instance whole: the
 * connection to the instance is reset and the instance is free again at once. */
void invocation_stream_body(Invocation *inv, const char *p, size_t n);

/* Where the next bytes of its body may be read straight to: *ret_room bytes at the returned address,
 * to be passed to invocation_stream_body() from there. */
char *invocation_stream_sink(Invocation *inv, size_t *ret_room);

/* The request is whole: a body that was not JSON is answered 400 now, as a collected one would be. */
void invocation_stream_end(Invocation *inv);

/* A RequestResponse invocation of function for client c, not yet tied to it nor queued: the caller
 * sets the payload, links the client (c->invocation, inv->client) and calls function_queue(). NULL on
 * ENOMEM. */
Invocation *invocation_new(ClientConn *c, const char *function);

void invocation_free(Invocation *inv);

/* Runs a queued event (payload is taken); its outcome goes to event_queue_done(). -ENOMEM. */
int invocation_run_event(Gateway *g, const char *function, const char *request_id, char *payload,
                         size_t payload_len, QueuedEvent *e);

/* Ends the invocation with a service error (or silently for Event invocations). */
void invocation_fail(Invocation *inv, int status, const char *type, const char *message, const char *reason);

/* An instance for it: send the request. */
void invocation_start(Invocation *inv, Lease *l);

/* Its client left (the connection closes): the answer is dropped, the instance finishes. */
void invocation_client_gone(Invocation *inv);

/* The client waiting for the answer, no longer tied to it (NULL if none): answering may close the
 * connection, or start on its next request, and neither may touch the invocation then. */
ClientConn *invocation_detach(Invocation *inv);

/* Bytes of a streamed answer to client c: reading from the instance pauses while too many wait. */
void invocation_write(Invocation *inv, ClientConn *c, const void *p, size_t n);

/* The client took what it was sent so far: read more of the answer. */
void invocation_client_drained(Invocation *inv);
