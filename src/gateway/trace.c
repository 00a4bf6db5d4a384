/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "trace.h"

#define TRACE_CAPACITY 65536

TraceHeader *trace_ring = NULL;

void trace_open(void)
{
        const char *path = getenv("LAMBDAD_GATEWAY_TRACE");
        size_t size = sizeof(TraceHeader) + (size_t) TRACE_CAPACITY * sizeof(TraceRecord);
        TraceHeader *h;
        int fd;

        if (!path || !path[0])
                return;
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                log_warning_errno(-errno, "Failed to open the trace file %s, not tracing: %m", path);
                return;
        }
        if (ftruncate(fd, (off_t) size) < 0) {
                log_warning_errno(-errno, "Failed to size the trace file %s, not tracing: %m", path);
                close(fd);
                return;
        }
        h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (h == MAP_FAILED) {
                log_warning_errno(-errno, "Failed to map the trace file %s, not tracing: %m", path);
                return;
        }
        memcpy(h->magic, TRACE_MAGIC, sizeof(h->magic));
        h->n_stages = _TRACE_STAGE_MAX;
        h->record_size = sizeof(TraceRecord);
        h->capacity = TRACE_CAPACITY;
        h->count = 0;
        trace_ring = h;
        log_info("Tracing the stages of invocations to %s.", path);
}

void trace_commit(const TraceRecord *r)
{
        TraceRecord *records;

        if (!trace_on())
                return;
        records = (TraceRecord *) (trace_ring + 1);
        records[trace_ring->count % TRACE_CAPACITY] = *r;
        __atomic_store_n(&trace_ring->count, trace_ring->count + 1, __ATOMIC_RELEASE);
}
