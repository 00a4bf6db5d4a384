/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lifetime-cleanup.h: removing the containers that earlier lifetimes of the manager left behind (they
 * carry our label and another lifetime's id): at start beside serving, for CleanupZombies, and for
 * `lambda-manager --cleanup` (every container of ours, whatever its lifetime).
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "manager.h"

/* all: every container of ours; background: only the outcome is logged; reply_to: CleanupZombies. */
int cleanup_start(Manager *m, bool all, bool background, sd_bus_message *reply_to);

/* Removes every container labelled as ours from another lifetime (all of them when all is set),
 * running the event loop until done. Returns how many were removed, or -errno. */
int manager_cleanup_sync(Manager *m, bool all);
