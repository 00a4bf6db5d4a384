/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* function-log.c: what the function prints and the START/END/REPORT lines around each invocation go
 * to lambda-rie's stdout (the container's log) and into the invocation's log tail (X-Amz-Log-Result). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "memory-use.h"
#include "rie-server.h"

static void invocation_log_append(Rie *rie, const char *p, size_t n)
{
        Buf *log = &rie->inv.log;

        if (rie->inv.start_usec == 0) /* between invocations */
                return;
        if (n >= LOG_TAIL_MAX) {
                p += n - LOG_TAIL_MAX;
                n = LOG_TAIL_MAX;
        }
        if (log->len + n > LOG_TAIL_MAX)
                buf_consume(log, log->len + n - LOG_TAIL_MAX);
        (void) buf_append(log, p, n);
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* nowhere to report a broken stdout */
                }
                p += k;
                n -= (size_t) k;
        }
}

void rie_function_log(Rie *rie, const char *format, ...)
{
        char line[512];
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(line, sizeof(line) - 1, format, ap);
        va_end(ap);
        if (n < 0)
                return;
        n = MIN(n, (int) sizeof(line) - 2);
        line[n++] = '\n';
        write_all(STDOUT_FILENO, line, (size_t) n);
        invocation_log_append(rie, line, (size_t) n);
}

void rie_drain_function_output(Rie *rie)
{
        char b[8192];

        if (rie->log_fd < 0)
                return;
        for (;;) {
                ssize_t n = read(rie->log_fd, b, sizeof(b));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                rie->log_source = loop_source_free(rie->log_source);
                                rie->log_fd = safe_close(rie->log_fd);
                        }
                        return;
                }
                write_all(STDOUT_FILENO, b, (size_t) n);
                invocation_log_append(rie, b, (size_t) n);
        }
}

int rie_on_function_output(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        rie_drain_function_output(userdata);
        return 0;
}

void rie_log_report(Rie *rie)
{
        uint64_t d = now_usec(CLOCK_MONOTONIC) - rie->inv.start_usec;
        char init[64] = "";

        if (rie->init_duration_usec > 0) {
                (void) snprintf(init, sizeof(init), "\tInit Duration: %.2f ms",
                                (double) rie->init_duration_usec / 1000.0);
                rie->init_duration_usec = 0;
        }
        rie_function_log(rie, "END RequestId: %s", rie->inv.id);
        rie_function_log(
                rie,
                "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %llu ms\tMemory Size: %u MB\t"
                "Max Memory Used: %llu MB%s",
                rie->inv.id, (double) d / 1000.0, (unsigned long long) ((d + 999) / 1000),
                rie->settings.memory_mb, memory_used_peak_mb(rie->pid), init);
}
