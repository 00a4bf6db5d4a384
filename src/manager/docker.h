/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * docker.h: asynchronous calls to the Docker Engine API over its unix socket, on the manager's
 * event loop (libcurl multi through curl-glue), plus the readiness probes of instances. Each call
 * ends in exactly one callback with the transport error or the HTTP status and the (bounded) body;
 * nothing here blocks. A callback must not free the client.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "buf.h"
#include "macro.h"

typedef struct DockerClient DockerClient;
typedef struct DockerCall DockerCall;

/*
 * error: 0 when the engine answered (see status), else -ECONNREFUSED (nothing listens on the
 * socket, or it is missing), -ETIMEDOUT, -EMSGSIZE (answer over the size limit), -EIO.
 */
typedef void (*docker_callback_t)(DockerClient *d, int error, long status, const char *body, size_t len,
                                  void *userdata);

/* The engine became reachable again (reachable), or a call found it unreachable (error says how). */
typedef void (*docker_state_t)(DockerClient *d, bool reachable, int error, void *userdata);

/* Streaming calls: one complete line of the answer (NUL-terminated in place). */
typedef void (*docker_line_t)(DockerClient *d, const char *line, size_t len, void *userdata);

/*
 * The framing of a streamed answer, pure so that it can be fuzzed: appends the n bytes of p to b (whose
 * cap bounds one line) and hands each complete line, without its newline and NUL-terminated in place,
 * to on_line (called with d and userdata); the unfinished rest stays in b. -ENOBUFS when a line
 * outgrows the cap, -ENOMEM.
 */
int docker_lines_feed(Buf *b, const char *p, size_t n, docker_line_t on_line, DockerClient *d,
                      void *userdata);

int docker_client_new(DockerClient **ret, sd_event *event, const char *socket_path);
/* cb runs when the engine's reachability changes, before the callback of the call that found out. */
void docker_client_on_state(DockerClient *d, docker_state_t cb, void *userdata);
bool docker_client_reachable(const DockerClient *d);

/* Cancels every call in flight without calling back. */
DockerClient *docker_client_free(DockerClient *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(DockerClient *, docker_client_free);

/* METHOD on DOCKER_API_PREFIX + path (with its query), with an optional JSON body. */
int docker_call(DockerClient *d, const char *method, const char *path, const char *body,
                uint64_t timeout_usec, docker_callback_t cb, void *userdata, DockerCall **ret_call);

/* A long-lived GET (the /events stream): on_line for each line, then cb once when it ends. */
int docker_stream(DockerClient *d, const char *path, docker_line_t on_line, docker_callback_t cb,
                  void *userdata, DockerCall **ret_call);

/* A plain HTTP GET (an instance's readiness probe) over TCP, or to the unix socket at unix_path when not
 * NULL, with the same callback contract. */
int http_probe(DockerClient *d, const char *url, const char *unix_path, uint64_t timeout_usec,
               docker_callback_t cb, void *userdata, DockerCall **ret_call);

/* Cancels one call: its callback will not run. When a callback runs, its call is already gone. */
void docker_call_cancel(DockerCall *c);
