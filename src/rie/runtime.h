/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * runtime.h: the Lambda Runtime API state machine, as pure logic. It knows whether the function's
 * bootstrap runs, whether it waits in /next, and which invocation is queued or running; it decides
 * what each event (an invoke, /next, /response, /error, /init/error, the process exiting) means and
 * which action the caller must take. It does no I/O, so every transition is unit-tested.
 */

#include <stdbool.h>

#include "util.h"

typedef enum RuntimeProcess {
        RUNTIME_STOPPED,  /* no bootstrap process */
        RUNTIME_STARTING, /* spawned, has not asked for an event yet: initialising */
        RUNTIME_READY,    /* has asked for an event at least once */
} RuntimeProcess;

typedef enum RuntimePhase {
        INVOKE_NONE,
        INVOKE_QUEUED,  /* accepted, waiting for the runtime to ask for it */
        INVOKE_RUNNING, /* handed to the runtime, waiting for its response or error */
} RuntimePhase;

typedef struct Runtime {
        RuntimeProcess process;
        RuntimePhase phase;
        bool next_parked;              /* a /next request waits for an invocation */
        bool init_failed;              /* the runtime posted /init/error */
        char id[UUID_STRING_MAX];      /* the queued or running invocation */
        char done_id[UUID_STRING_MAX]; /* the invocation that finished last */
} Runtime;

/* What the caller must do after an event; a bit mask. */
typedef enum RuntimeAction {
        RUNTIME_ACTION_NONE = 0,
        RUNTIME_ACTION_SPAWN = 1 << 0,   /* start the bootstrap */
        RUNTIME_ACTION_DELIVER = 1 << 1, /* answer the parked /next with the queued invocation */
} RuntimeAction;

void runtime_init(Runtime *rt);

/* An invocation arrives. -EBUSY while another is queued or running, -EINVAL for a bad id. */
int runtime_submit(Runtime *rt, const char *id);

/* The caller starts the bootstrap outside runtime_submit() (eager init, or a queued invocation after
 * the previous process was killed). Returns whether it should spawn: false if one runs already. */
bool runtime_start(Runtime *rt);

/* GET /next. Returns RuntimeAction; -EBUSY if a /next is already parked or an invocation is running. */
int runtime_next(Runtime *rt);

/* POST /invocation/ID/response or /error. -ENOENT for an unknown id, -EALREADY for a finished one. */
int runtime_finish(Runtime *rt, const char *id);

/* POST /init/error. -EPERM unless the runtime is still initialising. */
int runtime_init_error(Runtime *rt);

/* The queued or running invocation ends without a response (timeout, crash, init failure).
 * Returns whether there was one. */
bool runtime_abort(Runtime *rt);

/* The bootstrap exited. Returns the phase the invocation was in, for the caller to answer it. */
RuntimePhase runtime_exited(Runtime *rt);

const char *runtime_process_to_string(RuntimeProcess p);

typedef enum RuntimeRoute {
        RUNTIME_ROUTE_NEXT,
        RUNTIME_ROUTE_RESPONSE,
        RUNTIME_ROUTE_ERROR,
        RUNTIME_ROUTE_INIT_ERROR,
} RuntimeRoute;

/*
 * Maps a Runtime API request target to its route, and for /response and /error the request id
 * (written to ret_id). Returns the route, -ENOENT for an unknown path (404), -EMSGSIZE for an id too
 * long to be one (400 InvalidRequestID). The HTTP method is checked by runtime_route_method().
 */
int runtime_route_parse(const char *url, char ret_id[static UUID_STRING_MAX]);

/* The method a route takes: "GET" or "POST". */
const char *runtime_route_method(RuntimeRoute route);
