/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The upstream connection against a real loopback server (a thread with blocking sockets, acting as
 * an instance that behaves or misbehaves as each test asks): kept-alive reuse, a kept-alive
 * connection the instance closed, answers cut short, a refused connection, a timeout.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "upstream.h"
#include "util.h"

typedef enum Mode {
        ANSWER,           /* a whole answer, the connection kept */
        ANSWER_AND_CLOSE, /* a whole answer, then the connection closed */
        CUT_SHORT,        /* half the announced body, then the close */
        CLOSE_SILENTLY,   /* the request read, then the close without a byte */
        NEVER_ANSWER,     /* the request read, then nothing */
} Mode;

static int listen_fd = -1;
static uint16_t listen_port;
static volatile Mode mode;
static volatile unsigned accepted;

/* Reads one request (head and Content-Length body); false at EOF. */
static bool read_request(int fd)
{
        char b[8192];
        size_t n = 0;
        char *end;
        long len;

        for (;;) {
                ssize_t k = recv(fd, b + n, sizeof(b) - 1 - n, 0);

                if (k <= 0)
                        return false;
                n += (size_t) k;
                b[n] = 0;
                end = strstr(b, "\r\n\r\n");
                if (!end)
                        continue;
                len = strstr(b, "Content-Length: ") ? strtol(strstr(b, "Content-Length: ") + 16, NULL, 10)
                                                    : 0;
                if ((size_t) (end + 4 - b) + (size_t) len <= n)
                        return true;
        }
}

static void *server(void *arg)
{
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
        static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":";

        for (;;) {
                int fd = accept(listen_fd, NULL, NULL);

                if (fd < 0)
                        return NULL;
                accepted++;
                while (read_request(fd)) {
                        Mode m = mode;

                        if (m == ANSWER || m == ANSWER_AND_CLOSE)
                                (void) !write(fd, answer, sizeof(answer) - 1);
                        if (m == CUT_SHORT)
                                (void) !write(fd, cut, sizeof(cut) - 1);
                        if (m == NEVER_ANSWER)
                                continue;
                        if (m != ANSWER)
                                break;
                }
                close(fd);
        }
}

typedef struct Outcome {
        bool done;
        int error;
        int status;
        Buf body;
} Outcome;

static int on_head(Upstream *u, const UpstreamHead *h, void *userdata)
{
        ((Outcome *) userdata)->status = h->status;
        return 0;
}

static int on_body(Upstream *u, const char *p, size_t n, void *userdata)
{
        return buf_append(&((Outcome *) userdata)->body, p, n);
}

static void on_done(Upstream *u, int error, void *userdata)
{
        Outcome *o = userdata;

        o->done = true;
        o->error = error;
}

static const UpstreamOps ops = { .head = on_head, .body = on_body, .done = on_done };

static const char request[] = "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n";

/* One request through u, the loop run until it is done. */
static Outcome run(sd_event *e, Upstream *u, uint64_t timeout_usec)
{
        Outcome o = {};

        assert_int_equal(
                upstream_request(u, request, strlen(request), "{}", 2, false, 1024, timeout_usec, &ops, &o),
                0);
        /* Never from the call's own stack. */
        assert_false(o.done);
        while (!o.done)
                assert_true(sd_event_run(e, 5 * USEC_PER_SEC) >= 0);
        buf_done(&o.body);
        return o;
}

static int setup(void **state)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        pthread_t t;

        listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(listen_fd >= 0);
        assert_int_equal(bind(listen_fd, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(listen(listen_fd, 16), 0);
        assert_int_equal(getsockname(listen_fd, (struct sockaddr *) &a, &len), 0);
        listen_port = ntohs(a.sin_port);
        assert_int_equal(pthread_create(&t, NULL, server, NULL), 0);
        assert_int_equal(pthread_detach(t), 0);
        return 0;
}

static void test_keep_alive(void **state)
{
        sd_event *e = NULL;
        Upstream *u = NULL;
        Outcome o;
        unsigned before = accepted;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(upstream_new(&u, e, "127.0.0.1", listen_port), 0);
        mode = ANSWER;
        for (int i = 0; i < 3; i++) {
                o = run(e, u, 5 * USEC_PER_SEC);
                assert_int_equal(o.error, 0);
                assert_int_equal(o.status, 200);
        }
        /* One connection for all three. */
        assert_int_equal(upstream_connects(u), 1);
        assert_int_equal(accepted - before, 1);

        /* The instance closes the kept-alive connection: the next request goes on a fresh one. */
        mode = ANSWER_AND_CLOSE;
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, 0);
        mode = ANSWER;
        usleep(50000);
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, 0);
        assert_int_equal(upstream_connects(u), 2);

        /* ... also when the close was not seen yet: the request is sent once more. */
        mode = ANSWER_AND_CLOSE;
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, 0);
        mode = ANSWER;
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, 0);

        upstream_free(u);
        sd_event_unref(e);
}

static void test_failures(void **state)
{
        sd_event *e = NULL;
        Upstream *u = NULL, *refused = NULL;
        int s;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);

        assert_int_equal(sd_event_new(&e), 0);

        /* Cut short, and nothing at all on a fresh connection. */
        assert_int_equal(upstream_new(&u, e, "127.0.0.1", listen_port), 0);
        mode = CUT_SHORT;
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, -EPIPE);
        mode = CLOSE_SILENTLY;
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, -ECONNRESET);
        mode = NEVER_ANSWER;
        assert_int_equal(run(e, u, 200 * USEC_PER_MSEC).error, -ETIMEDOUT);
        upstream_free(u);

        /* A port nothing listens on (bound and closed again). */
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(s, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *) &a, &len), 0);
        close(s);
        assert_int_equal(upstream_new(&refused, e, "127.0.0.1", ntohs(a.sin_port)), 0);
        assert_int_equal(run(e, refused, 5 * USEC_PER_SEC).error, -ECONNREFUSED);
        upstream_free(refused);

        assert_int_equal(upstream_new(&u, e, "not-an-address", 80), -EINVAL);
        sd_event_unref(e);
}

/* An instance without a network: its unix socket's path, port 0 (lambda-manager's instance-socket.h). */
static void *unix_server(void *arg)
{
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
        int fd = accept((int) (intptr_t) arg, NULL, NULL);

        if (fd < 0)
                return NULL;
        if (read_request(fd))
                (void) !write(fd, answer, sizeof(answer) - 1);
        close(fd);
        return NULL;
}

static void test_unix(void **state)
{
        char dir[] = "/tmp/test-upstream-XXXXXX", path[64];
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        sd_event *e = NULL;
        Upstream *u = NULL;
        pthread_t t;
        Outcome o;
        int fd;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/invoke.sock", dir);
        snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &un, sizeof(un)), 0);
        assert_int_equal(listen(fd, 4), 0);
        assert_int_equal(pthread_create(&t, NULL, unix_server, (void *) (intptr_t) fd), 0);

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(upstream_new(&u, e, path, 0), 0);
        o = run(e, u, 5 * USEC_PER_SEC);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.status, 200);
        assert_int_equal(pthread_join(t, NULL), 0);
        upstream_free(u);

        /* Nobody there; a path with a port; a relative path. */
        close(fd);
        unlink(path);
        assert_int_equal(upstream_new(&u, e, path, 0), 0);
        assert_int_equal(run(e, u, 5 * USEC_PER_SEC).error, -ECONNREFUSED);
        upstream_free(u);
        assert_int_equal(upstream_new(&u, e, path, 80), -EINVAL);
        assert_int_equal(upstream_new(&u, e, "run/x.sock", 0), -EINVAL);
        rmdir(dir);
        sd_event_unref(e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unix),
                cmocka_unit_test(test_keep_alive),
                cmocka_unit_test(test_failures),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
