/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * engine-events.h: the engine's event stream, filtered to this lifetime's containers, so that an
 * instance whose container dies (killed, out of memory, removed by hand) is noticed at once rather
 * than at its next use. The stream is watched again when the engine comes back.
 */

#include "manager.h"

void engine_events_start(Manager *m);
/* Stops watching (exit); engine_events_done() frees what is left. */
void engine_events_stop(Manager *m);
void engine_events_done(Manager *m);
