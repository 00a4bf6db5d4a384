/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memory-use.h"

static uint64_t read_number_file(const char *path)
{
        unsigned long long v = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return 0;
        if (fscanf(f, "%llu", &v) != 1)
                v = 0;
        fclose(f);
        return v;
}

/* The peak memory of our memory cgroup in bytes; 0 when there is none or it is the host's root. */
static uint64_t cgroup_memory_peak(void)
{
        char line[512], path[640];
        uint64_t peak = 0;
        FILE *f;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return 0;
        while (peak == 0 && fgets(line, sizeof(line), f)) {
                char *controllers = strchr(line, ':'), *cg;

                if (!controllers)
                        continue;
                controllers++;
                cg = strchr(controllers, ':');
                if (!cg)
                        continue;
                *cg++ = 0;
                cg[strcspn(cg, "\n")] = 0;

                if (controllers[0] == 0) {
                        /* cgroup v2: the root cgroup has no memory.peak, so any value is a real one. */
                        (void) snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.peak",
                                        strcmp(cg, "/") == 0 ? "" : cg);
                        peak = read_number_file(path);
                } else if (strstr(controllers, "memory") && strcmp(cg, "/") != 0) {
                        /* cgroup v1: a container sees its own cgroup at the mount's root. */
                        (void) snprintf(path, sizeof(path),
                                        "/sys/fs/cgroup/memory%s/memory.max_usage_in_bytes", cg);
                        peak = read_number_file(path);
                        if (peak == 0)
                                peak = read_number_file("/sys/fs/cgroup/memory/memory.max_usage_in_bytes");
                }
        }
        fclose(f);
        return peak;
}

/* Peak memory of the function in MB, as Lambda reports it for the sandbox. As PID 1 of a container,
 * the cgroup is the sandbox's: its peak counts. Otherwise (run by hand, in some session's cgroup) the
 * bootstrap's own high-water mark, or that of the largest descendant already reaped. */
unsigned long long memory_used_peak_mb(pid_t bootstrap_pid)
{
        unsigned long long kb = getpid() == 1 ? cgroup_memory_peak() / 1024 : 0;
        struct rusage ru;

        if (kb > 0)
                return (kb + 1023) / 1024;

        if (bootstrap_pid > 0) {
                char path[64], line[256];
                FILE *f;

                (void) snprintf(path, sizeof(path), "/proc/%i/status", (int) bootstrap_pid);
                f = fopen(path, "re");
                if (f) {
                        while (fgets(line, sizeof(line), f))
                                if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
                                        break;
                        fclose(f);
                }
        }
        if (getrusage(RUSAGE_CHILDREN, &ru) == 0 && (unsigned long long) ru.ru_maxrss > kb)
                kb = (unsigned long long) ru.ru_maxrss;
        return (kb + 1023) / 1024;
}
