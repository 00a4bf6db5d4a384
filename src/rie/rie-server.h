/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rie-server.h: lambda-rie's server state, shared by its parts: the connections and the invocation in
 * progress (rie.c), the invoke endpoint (invoke-endpoint.c), the answer to the invoker, whole or
 * streamed (invoke-answer.c), the Runtime API (runtime-endpoint.c), the bootstrap process
 * (bootstrap.c) and the function's log (function-log.c). Private to lambda-rie.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "http-conn.h"
#include "loop.h"
#include "macro.h"
#include "rie.h"
#include "runtime.h"
#include "util.h"

/* The invocation's log, as X-Amz-Log-Result carries it: its last 4 KiB. */
#define LOG_TAIL_MAX 4096

typedef enum ConnKind {
        CONN_INVOKE,
        CONN_RUNTIME,
} ConnKind;

typedef struct RieConn RieConn;
struct RieConn {
        Rie *rie;
        ConnKind kind;
        LoopSource *source;
        HttpConn *http;
        RieConn *prev, *next;
};

typedef struct RieInvocation {
        char id[UUID_STRING_MAX];
        RieConn *client; /* NULL when nobody waits for the answer (Event, or the client left) */
        RieConn *source; /* the runtime's connection streaming the response, while it does */
        bool streaming;  /* the invoker's answer is streamed: its head is out, the rest in trailers */
        char *payload;
        size_t payload_len;
        char *client_context;
        bool log_tail;
        uint64_t start_usec;
        uint64_t deadline_ms; /* epoch milliseconds */
        Buf log;              /* the invocation's log, trimmed to its tail */
} RieInvocation;

struct Rie {
        Loop *loop;
        RieSettings settings;
        bool check_secret; /* invokers must send secret (instance-secret.h) */
        char secret[INSTANCE_SECRET_SIZE];
        uint64_t refusals_logged_usec; /* the start of the window of the refusals logged */
        unsigned refusals_logged, refusals_unlogged;
        char **bootstrap_argv;
        char *arn;
        char runtime_api[64];

        int invoke_fd;
        int runtime_fd;
        int signal_fd;
        LoopSource *invoke_source;
        LoopSource *runtime_source;
        LoopSource *signal_source;
        LoopSource *timeout_source;
        uint64_t timeout_armed_usec; /* when timeout_source fires (CLOCK_MONOTONIC); 0: disarmed */

        /* --eager-init on a unix socket: the bootstrap starts at the first GET /healthz, the manager's
         * probe, which comes once the manager has closed the socket's directory (nothing of the
         * function runs while it can still write there). */
        bool eager_after_probe;

        Runtime rt;
        pid_t pid;
        bool killing;
        bool initializing; /* spawned, has not asked for its first event yet */
        uint64_t spawn_usec;
        uint64_t init_duration_usec; /* reported once, by the first invocation after an init */
        int log_fd;
        LoopSource *log_source;

        RieConn *next_conn; /* the runtime's parked /next */
        RieInvocation inv;  /* valid while rt.phase != INVOKE_NONE */

        RieConn *conns;
        unsigned n_conns;

        Buf log_out; /* our log lines not yet written to stdout (function-log.c) */
};

/* Starts the bootstrap of --eager-init (once); the exit status of a container that can never work
 * (rie_bootstrap_start()), with the loop told to exit with it, or 0. */
int rie_start_eager(Rie *rie);

/* function-log.c: START/END/REPORT lines and the bootstrap's output, to stdout and the log tail. */
void rie_function_log(Rie *rie, const char *format, ...) _printf_(2, 3);
void rie_function_log_flush(Rie *rie);
void rie_drain_function_output(Rie *rie);
int rie_on_function_output(LoopSource *s, int fd, uint32_t revents, void *userdata);
void rie_log_report(Rie *rie);

/* rie.c: the running invocation's timeout, armed lazily (rie_timeout_arm()). */
void rie_timeout_arm(Rie *rie);

/* invoke-answer.c: answers to the invoker (whole or streamed) and to the runtime. */
void rie_reply_json(RieConn *c, int status, const char *error_type, const Buf *json);
void rie_invoke_reply_error(RieConn *c, int status, const char *type, const char *message,
                            const char *reason);
void rie_runtime_reply_error(RieConn *c, int status, const char *type, const char *message);
void rie_invocation_complete(Rie *rie, int status, bool function_error, const char *body, size_t len);
void rie_invocation_fail(Rie *rie, int status, const char *type, const char *message);
void rie_invocation_complete_error(Rie *rie, const char *type, const char *body, size_t len);
void rie_invocation_stream_begin(Rie *rie, RieConn *source);
void rie_invocation_stream_write(Rie *rie, const char *p, size_t n);
void rie_invocation_stream_end(Rie *rie, const char *error_type, const char *error_body_base64);
void rie_invocation_client_drained(Rie *rie);

/* bootstrap.c: the function's bootstrap process. */
int rie_bootstrap_start(Rie *rie);
void rie_bootstrap_kill(Rie *rie);
void rie_bootstrap_exited(Rie *rie, int status);

/* invoke-endpoint.c and runtime-endpoint.c: the two servers' requests, as HttpConnOps (the
 * connection's userdata is its RieConn). */
int rie_invoke_head(HttpConn *h);
void rie_invoke_request(HttpConn *h);
void rie_invoke_bad_request(HttpConn *h);
void rie_deliver(Rie *rie);
void rie_runtime_request(HttpConn *h);
void rie_runtime_bad_request(HttpConn *h);
int rie_runtime_head(HttpConn *h);
int rie_runtime_body(HttpConn *h, const char *p, size_t n);
