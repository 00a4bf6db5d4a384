/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * declarations.h: (re)loading the declared functions (--functions-dir) into the running manager, at
 * start, on SIGHUP and on Reload. Unchanged functions keep their warm instances; changed or removed
 * ones stop theirs (leased ones when released), and new calls see the new declaration.
 */

#include "manager.h"

int declarations_load(Manager *m);
