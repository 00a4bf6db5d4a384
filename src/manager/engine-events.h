/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * engine-events.h: the engine's event stream, filtered to the containers this manager may own (its
 * instances, adopted ones included), so that an instance whose container dies (killed, out of memory,
 * removed by hand) is noticed at once rather than at its next use; and the engine's own comings and
 * goings, logged once per change. When the engine is back, the stream is watched again and the
 * instances it lost meanwhile are noted dead.
 */

#include "manager.h"

void engine_events_start(Manager *m);
/* Stops watching (exit); engine_events_done() frees what is left. */
void engine_events_stop(Manager *m);
void engine_events_done(Manager *m);
