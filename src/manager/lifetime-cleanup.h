/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lifetime-cleanup.h: removing the containers of ours that no instance of this lifetime stands for
 * (they carry our label and another lifetime's id, and were not adopted): for CleanupZombies, for
 * `lambda-manager --cleanup` (every container of ours, whatever its lifetime) and for
 * `lambda-manager --cleanup=zombies` (ExecStartPre: those that no longer run; the next lifetime
 * decides about the others, see adoption.h).
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "manager.h"

typedef enum CleanupScope {
        CLEANUP_ALL,         /* every container of ours */
        CLEANUP_OTHERS,      /* of other lifetimes, unless adopted */
        CLEANUP_NOT_RUNNING, /* of other lifetimes that are neither running nor paused */
} CleanupScope;

/* The filters= value selecting the containers this manager may own (of its network, or all of ours),
 * and the engine's list of them. Which of them are its instances says instance_find(). */
int cleanup_owned_filter(Manager *m, char **ret);
int cleanup_list_path(Manager *m, char **ret);

/* reply_to: the CleanupZombies call to answer, or NULL (manager_cleanup_sync()). */
int cleanup_start(Manager *m, CleanupScope scope, sd_bus_message *reply_to);

/* Removes the containers of ours in scope, running the event loop until done. Returns how many were
 * removed, or -errno. */
int manager_cleanup_sync(Manager *m, CleanupScope scope);

/* On --network: removes the networks of isolated functions of this deployment (instance-setup.h), those
 * no container is on any more (the engine refuses the others); done(m) once the engine has answered.
 * 1 when started, 0 when there is nothing to do (done is not called), or -errno. */
int cleanup_function_networks(Manager *m, void (*done)(Manager *m));
/* The same, running the event loop until done (--cleanup). */
int manager_cleanup_networks_sync(Manager *m);
