/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* function-log.c: what the function prints and the START/END/REPORT lines around each invocation go
 * to lambda-rie's stdout (the container's log) and into the invocation's log tail (X-Amz-Log-Result).
 * Our own lines wait in rie->log_out and go out with the next write: the function's output, or the
 * END and REPORT lines. An invocation that prints nothing costs the container's log one write, not
 * three (each wakes the engine's log copier, on the same cores as the function), and the lines keep
 * their order. */

#include <sys/uio.h>

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

/* Writes our waiting lines, then n bytes at p (n may be 0), to stdout: one writev() as a rule. */
static void write_out(Rie *rie, const char *p, size_t n)
{
        Buf *w = &rie->log_out;

        while (w->len + n > 0) {
                struct iovec iov[2] = { { w->data, w->len }, { (void *) p, n } };
                ssize_t k = w->len > 0 ? writev(STDOUT_FILENO, iov, 2) : write(STDOUT_FILENO, p, n);
                size_t from_w;

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break; /* nowhere to report a broken stdout */
                }
                from_w = MIN((size_t) k, w->len);
                buf_consume(w, from_w);
                p += (size_t) k - from_w;
                n -= (size_t) k - from_w;
        }
        buf_clear(w);
}

void rie_function_log_flush(Rie *rie)
{
        write_out(rie, NULL, 0);
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
        if (buf_append(&rie->log_out, line, (size_t) n) < 0)
                write_out(rie, line, (size_t) n);
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
                write_out(rie, b, (size_t) n);
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
        rie_function_log_flush(rie);
}
