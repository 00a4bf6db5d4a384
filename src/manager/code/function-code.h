/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-code.h: the code of the manager's zip functions. Before a zip function is served its code is
 * prepared in the store (code-store.h) and its runtime mapped to an image (code-runtime.h): at start at
 * once, later (SIGHUP, Reload, a code directory that changed) off the event loop while the old code
 * keeps serving. Code directories are watched with inotify; a burst of changes (an editor's save, a
 * `git checkout`) makes one new snapshot, after which declarations_load() replaces the function: calls
 * running finish on the old code, new ones start instances of the new.
 */

#include <stdbool.h>

#include "code-job.h"
#include "manager.h"
#include "registry.h"

/* Changes closer together than this are one reload; and a reload waits at most RELOAD_MAX_WAIT_USEC
 * for a burst to end. */
#define RELOAD_QUIET_USEC    (80 * USEC_PER_MSEC)
#define RELOAD_MAX_WAIT_USEC (400 * USEC_PER_MSEC)

/* Opens the store (--code-store) and the inotify watch; at most once, on the first zip function. */
int function_code_open(Manager *m);
void function_code_free(Manager *m);

/*
 * Gives the zip functions of reg their image and prepared code, or the reason in code->error why calls
 * to them fail. Those whose code is still being prepared are moved from reg to pending:
 * declarations_load() runs again once it is ready. sync: prepare on the spot (at start, before the bus
 * is served). -ENOMEM.
 */
int function_code_resolve(Manager *m, Registry *reg, bool sync, Registry *pending);

/* Prepares code into the store off the loop, for a change to be checked before it is stored (the
 * control-plane API): cb gets the outcome. */
int function_code_prepare(Manager *m, const CodeConfig *code, code_job_callback_t cb, void *userdata,
                          CodeJob **ret);

/* Removes what the store holds that no function uses any more (after functions were freed). */
void function_code_collect(Manager *m);
