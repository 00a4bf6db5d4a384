/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * container-reaper.h: containers that must go. Each gets one forced DELETE at once, all of them
 * concurrently; nobody waits for them but whoever asked for the first outcome. A container the
 * engine cannot remove (it answers "device or resource busy" for seconds after a restart, or is away)
 * is logged once, with its id and the engine's own words, and retried in the background (every few
 * seconds, and at once when the engine is back) until it is gone. It never holds back a start or a
 * call.
 */

#include <stdbool.h>

#include "manager.h"

/* The first attempt's outcome: removed (or already gone), or left to the background retries. */
typedef void (*reaper_done_t)(Manager *m, bool removed, void *userdata);

/* Removes container id. done (optional) hears of the first attempt once, unless detached first. */
int reaper_remove(Manager *m, const char *id, reaper_done_t done, void *userdata);

/* Whoever waited on outcomes with this userdata no longer does; why (optional) is logged after the id
 * of each container whose outcome it will not hear. */
void reaper_detach(Manager *m, void *userdata, const char *why);

/* The engine is back: retry now rather than at the next round. */
void reaper_retry_now(Manager *m);

/* How many containers are still to go. */
unsigned reaper_pending(const Manager *m);

void reaper_done(Manager *m);
