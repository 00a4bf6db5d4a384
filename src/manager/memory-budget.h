/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * memory-budget.h: --memory-budget, the bound on the memory limits of all instances of all functions
 * (running, frozen and starting). The pools keep the count and refuse starts that do not fit; this
 * makes room for a caller that waits for one: it stops idle and frozen instances of any function,
 * least recently used first, and serves the waiting callers again whenever memory comes free. What
 * still does not fit waits like any call at its limit, then fails with LimitExceeded (429).
 */

#include "manager.h"

int memory_budget_init(Manager *m, uint64_t limit_bytes);
void memory_budget_done(Manager *m);

/* After the pools acted: a start that did not fit, or memory that came free, is seen to soon. */
void memory_budget_check(Manager *m);
