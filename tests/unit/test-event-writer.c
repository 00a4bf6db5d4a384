/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * test-event-writer: the event queue's writer thread on a real directory and a real sd-event loop:
 * files written whole and reported in order, the loop running while a write is stuck (a FIFO in the
 * temporary's place holds the thread in open() until the test reads it), group commit of what waited
 * meanwhile, and free() finishing what it was handed.
 */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "event-writer.h"
#include "file-util.h"
#include "macro.h"
#include "util.h"

#define N_WRITES 5

typedef struct Fixture {
        char dir[64];
        int dir_fd;
        sd_event *event;
        EventWriter *writer;
        EventWrite writes[N_WRITES];
        unsigned n_done;
        int order[N_WRITES]; /* index of each write in the order done() saw them */
} Fixture;

static void on_done(EventWrite *w, void *userdata)
{
        Fixture *f = userdata;

        f->order[f->n_done++] = (int) (w - f->writes);
}

static int setup(void **state)
{
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/test-event-writer-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->dir_fd >= 0);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(event_writer_new(f->event, f->dir_fd, on_done, f, &f->writer), 0);
        for (int i = 0; i < N_WRITES; i++) {
                (void) snprintf(f->writes[i].name, sizeof(f->writes[i].name), "%c.event", 'a' + i);
                assert_int_equal(buf_printf(&f->writes[i].data, "payload of %c", 'a' + i), 0);
        }
        /* A write done on the caller's thread would never come back from a FIFO: fail, do not hang. */
        alarm(20);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        char command[128];

        alarm(0);
        event_writer_free(f->writer);
        sd_event_unref(f->event);
        safe_close(f->dir_fd);
        for (int i = 0; i < N_WRITES; i++)
                buf_done(&f->writes[i].data);
        (void) snprintf(command, sizeof(command), "rm -rf '%s'", f->dir);
        assert_int_equal(system(command), 0);
        free(f);
        return 0;
}

static void run_until_done(Fixture *f, unsigned n)
{
        uint64_t end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;

        while (f->n_done < n) {
                assert_true(now_usec(CLOCK_MONOTONIC) < end);
                assert_true(sd_event_run(f->event, 100 * USEC_PER_MSEC) >= 0);
        }
}

static void assert_file(Fixture *f, int i)
{
        char content[64] = {};
        int fd = openat(f->dir_fd, f->writes[i].name, O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(read(fd, content, sizeof(content) - 1), (ssize_t) f->writes[i].data.len);
        assert_memory_equal(content, f->writes[i].data.data, f->writes[i].data.len);
        close(fd);
}

static void test_written_in_order(void **state)
{
        Fixture *f = *state;

        for (int i = 0; i < N_WRITES; i++)
                event_writer_submit(f->writer, &f->writes[i]);
        /* Reported from the loop only. */
        assert_int_equal(f->n_done, 0);
        run_until_done(f, N_WRITES);
        for (int i = 0; i < N_WRITES; i++) {
                assert_int_equal(f->order[i], i);
                assert_int_equal(f->writes[i].error, 0);
                assert_file(f, i);
        }
        assert_true(event_writer_commits(f->writer) >= 1);
        assert_true(event_writer_commits(f->writer) <= N_WRITES);
        /* No temporary left. */
        assert_int_equal(faccessat(f->dir_fd, ".a.event.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        bool *ticked = userdata;

        *ticked = true;
        return 0;
}

static void test_loop_runs_during_write(void **state)
{
        Fixture *f = *state;
        sd_event_source *timer = NULL;
        uint64_t end;
        bool ticked = false;
        int fifo;

        /* The thread opens the temporary of "a" for writing: a FIFO holds it there until a reader
         * comes. */
        assert_int_equal(mkfifoat(f->dir_fd, ".a.event.tmp", 0600), 0);
        event_writer_submit(f->writer, &f->writes[0]);
        assert_int_equal(sd_event_add_time_relative(f->event, &timer, CLOCK_MONOTONIC, 50 * USEC_PER_MSEC, 0,
                                                    on_tick, &ticked),
                         0);
        end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (!ticked) {
                assert_true(now_usec(CLOCK_MONOTONIC) < end);
                assert_true(sd_event_run(f->event, 100 * USEC_PER_MSEC) >= 0);
        }
        /* The loop ran its timer while the write was stuck. */
        assert_int_equal(f->n_done, 0);
        /* These wait meanwhile: one group, one directory fsync. */
        for (int i = 1; i < N_WRITES; i++)
                event_writer_submit(f->writer, &f->writes[i]);
        fifo = openat(f->dir_fd, ".a.event.tmp", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(fifo >= 0);
        run_until_done(f, N_WRITES);
        close(fifo);
        /* A FIFO cannot be fsync'd: "a" failed, and nothing of it is left. */
        assert_int_equal(f->order[0], 0);
        assert_true(f->writes[0].error < 0);
        assert_int_equal(faccessat(f->dir_fd, "a.event", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(faccessat(f->dir_fd, ".a.event.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        for (int i = 1; i < N_WRITES; i++) {
                assert_int_equal(f->order[i], i);
                assert_int_equal(f->writes[i].error, 0);
                assert_file(f, i);
        }
        assert_int_equal(event_writer_commits(f->writer), 1);
        sd_event_source_disable_unref(timer);
}

static void test_free_finishes(void **state)
{
        Fixture *f = *state;

        for (int i = 0; i < N_WRITES; i++)
                event_writer_submit(f->writer, &f->writes[i]);
        f->writer = event_writer_free(f->writer);
        assert_int_equal(f->n_done, N_WRITES);
        for (int i = 0; i < N_WRITES; i++) {
                assert_int_equal(f->writes[i].error, 0);
                assert_file(f, i);
        }
}

static void test_write_atomic(void **state)
{
        Fixture *f = *state;

        assert_int_equal(write_atomic(f->dir_fd, "x.json", "{}", 2, 0640), 0);
        assert_int_equal(faccessat(f->dir_fd, "x.json", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(faccessat(f->dir_fd, ".x.json.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        /* Nothing is left of one that fails. */
        assert_int_equal(mkdirat(f->dir_fd, "d", 0700), 0);
        assert_true(write_atomic(f->dir_fd, "d", "{}", 2, 0640) < 0);
        assert_int_equal(faccessat(f->dir_fd, ".d.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_written_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_loop_runs_during_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_finishes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
