/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * memory-use.h: the "Max Memory Used" of lambda-rie's REPORT line: the peak of the container's memory
 * cgroup (v1 or v2) when lambda-rie is its PID 1, else the bootstrap's own high-water mark.
 */

#include <sys/types.h>

/* In MB, rounded up; 0 when nothing could be read. */
unsigned long long memory_used_peak_mb(pid_t bootstrap_pid);
