/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memory-use.h"

/* The number at the start of the file open at fd, read afresh (pread at 0); 0 when there is none. */
static uint64_t read_number_fd(int fd)
{
        char b[32];
        ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

        if (n <= 0)
                return 0;
        b[n] = 0;
        return strtoull(b, NULL, 10);
}

/* Opens path when it holds a nonzero number: -1 otherwise. */
static int open_number_file(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd >= 0 && read_number_fd(fd) == 0) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/* The file holding the peak memory of our memory cgroup, open; -1 when there is none or it is the host's
 * root. A container's cgroup does not change: it is found once, and read again per REPORT (one pread). */
static int cgroup_memory_peak_open(void)
{
        char line[512], path[640];
        int fd = -1;
        FILE *f;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -1;
        while (fd < 0 && fgets(line, sizeof(line), f)) {
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
                        fd = open_number_file(path);
                } else if (strstr(controllers, "memory") && strcmp(cg, "/") != 0) {
                        /* cgroup v1: a container sees its own cgroup at the mount's root. */
                        (void) snprintf(path, sizeof(path),
                                        "/sys/fs/cgroup/memory%s/memory.max_usage_in_bytes", cg);
                        fd = open_number_file(path);
                        if (fd < 0)
                                fd = open_number_file("/sys/fs/cgroup/memory/memory.max_usage_in_bytes");
                }
        }
        fclose(f);
        return fd;
}

/* Ours when we are PID 1 (a container's), else 0. */
static uint64_t cgroup_memory_peak(void)
{
        static int fd = -2; /* -2: not looked for yet */

        if (fd == -2)
                fd = getpid() == 1 ? cgroup_memory_peak_open() : -1;
        return fd >= 0 ? read_number_fd(fd) : 0;
}

/* Peak memory of the function in MB, as Lambda reports it for the sandbox. As PID 1 of a container,
 * the cgroup is the sandbox's: its peak counts. Otherwise (run by hand, in some session's cgroup) the
 * bootstrap's own high-water mark, or that of the largest descendant already reaped. */
unsigned long long memory_used_peak_mb(pid_t bootstrap_pid)
{
        unsigned long long kb = cgroup_memory_peak() / 1024;
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
