/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * loop.h: the small epoll event loop lambda-rie runs on. lambda-rie is linked statically into images
 * that may hold nothing else, so it cannot use sd-event; this loop offers just what it needs: fd
 * watches and one-shot monotonic timers. Sources freed while the loop dispatches are released only
 * after the current batch, so a callback may free any source, including its own.
 */

#include <stdint.h>

typedef struct Loop Loop;
typedef struct LoopSource LoopSource;

typedef int (*loop_io_handler_t)(LoopSource *s, int fd, uint32_t revents, void *userdata);
typedef int (*loop_time_handler_t)(LoopSource *s, void *userdata);

int loop_new(Loop **ret);
Loop *loop_free(Loop *l);

int loop_add_io(Loop *l, LoopSource **ret, int fd, uint32_t events, loop_io_handler_t cb, void *userdata);
/* Changes what an fd source waits for; a no-op (no syscall) when it is what it waits for already. */
int loop_source_set_events(LoopSource *s, uint32_t events);

/* A one-shot timer on CLOCK_MONOTONIC (microseconds); deadline 0 disarms it. */
int loop_add_timer(Loop *l, LoopSource **ret, uint64_t deadline, loop_time_handler_t cb, void *userdata);
int loop_timer_set(LoopSource *s, uint64_t deadline);

/* Stops watching and frees (possibly later, see above). Returns NULL. Accepts NULL. */
LoopSource *loop_source_free(LoopSource *s);

/* Runs until loop_exit(); returns the exit code, or a negative errno if waiting failed. */
int loop_run(Loop *l);
void loop_exit(Loop *l, int code);
