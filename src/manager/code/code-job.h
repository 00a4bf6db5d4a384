/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * code-job.h: code_store_prepare() off the event loop. Unpacking a 50 MB zip takes seconds, so each
 * job runs it in a thread of its own and hands the result back on the loop, through an eventfd
 * watched by an sd-event io source ("code-job").
 *
 * Ownership: code-job owns the job. The callback is called once, on the loop, after which the job
 * is freed by code-job: the pointer is dead once the callback returns (code_job_cancel() on it from
 * inside the callback does nothing). Before that, code_job_cancel() ends the caller's interest: the
 * callback is never called, and the thread, which cannot be interrupted, finishes in the background
 * and frees what is left. A job keeps a handle of its own on the store (code_store_dup()), so the
 * store may be freed while jobs run; the sd_event must outlive every job not yet called back or
 * cancelled.
 */

#include <systemd/sd-event.h>

#include "code-store.h"

typedef struct CodeJob CodeJob;

/* error: 0, or the negative errno of code_store_prepare() with message (else NULL) saying why.
 * result: on success, the prepared code; the callee may take its strings (setting them NULL), the
 * rest is freed after the callback returns. */
typedef void (*code_job_callback_t)(CodeJob *job, int error, CodePrepared *result, const char *message,
                                    void *userdata);

/* Starts preparing src (copied) in store s; *ret is the job until its callback or its cancel. */
int code_job_start(sd_event *e, CodeStore *s, const CodeSource *src, code_job_callback_t cb, void *userdata,
                   CodeJob **ret);

/* Safe while the thread runs, and on NULL. Returns NULL. */
CodeJob *code_job_cancel(CodeJob *j);
