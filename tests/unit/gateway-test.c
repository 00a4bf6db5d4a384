/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fixtures the gateway's module tests share (gateway-test.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "gateway-test.h"
#include "util.h"

GatewayConfig test_gateway_config(void)
{
        return (GatewayConfig){
                .auth = false,
                .region = "us-east-1",
                .manager_timeout_usec = 1 * USEC_PER_SEC,
                .acquire_timeout_usec = 5 * USEC_PER_SEC,
                .request_timeout_usec = 5 * USEC_PER_SEC,
                .idle_exit_usec = 0,
                .lease_idle_usec = 60 * USEC_PER_SEC,
                .queue_timeout_usec = 5 * USEC_PER_SEC,
                .upstream_timeout_usec = 5 * USEC_PER_SEC,
                .max_connections = 16,
                .retry_delay_scale = 0.001,
                .queue_max_events = 100,
                .queue_max_bytes = 1 << 20,
                .queue_function_max_events = 4,
                .queue_function_max_bytes = 1 << 20,
                .queue_concurrency = 4,
                .failed_retention_usec = 60 * USEC_PER_SEC,
        };
}

static int on_time_up(sd_event_source *s, uint64_t usec, void *userdata)
{
        *(bool *) userdata = true;
        return 0;
}

void test_run_for(Gateway *g, uint64_t usec)
{
        sd_event_source *timer = NULL;
        bool up = false;

        assert_int_equal(
                sd_event_add_time_relative(g->event, &timer, CLOCK_MONOTONIC, usec, 0, on_time_up, &up), 0);
        RUN_UNTIL(g, up);
        sd_event_source_unref(timer);
}

/* ---- clients ---- */

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        TestClient *tc = userdata;
        char b[64 * 1024];
        ssize_t n;

        n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                /* A reset counts as the close it is. */
                tc->eof = true;
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        assert_int_equal(buf_append(&tc->in, b, (size_t) n), 0);
        return 0;
}

void test_client_open(Gateway *g, TestClient *tc)
{
        int fds[2];

        *tc = (TestClient){};
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(client_new(g, fds[0]), 0);
        tc->fd = fds[1];
        assert_int_equal(sd_event_add_io(g->event, &tc->io, tc->fd, EPOLLIN, on_client_io, tc), 0);
}

void test_client_close(TestClient *tc)
{
        tc->io = sd_event_source_disable_unref(tc->io);
        tc->fd = safe_close(tc->fd);
        buf_done(&tc->in);
}

void test_client_send_len(TestClient *tc, const void *data, size_t len)
{
        const char *p = data;

        /* The tests' requests fit in the socket's buffer: the gateway's loop is not running now. */
        while (len > 0) {
                ssize_t n = send(tc->fd, p, len, MSG_NOSIGNAL);

                assert_true(n > 0);
                p += n;
                len -= (size_t) n;
        }
}

void test_client_send(TestClient *tc, const char *data)
{
        test_client_send_len(tc, data, strlen(data));
}

void test_client_pause(TestClient *tc, bool pause)
{
        if (!tc->eof)
                assert_true(sd_event_source_set_enabled(tc->io, pause ? SD_EVENT_OFF : SD_EVENT_ON) >= 0);
}

/* The length of a whole chunked body at p (chunks, the last one, trailer fields), its chunks' data
 * appended to body when given; 0 while incomplete. */
static size_t chunked_length(const char *p, size_t n, Buf *body)
{
        size_t off = 0;

        for (;;) {
                /* Bounded searches: see response_length(). */
                const char *eol = memmem(p + off, MIN(n - off, (size_t) 64), "\r\n", 2);
                unsigned long long size;

                if (!eol)
                        return 0;
                size = strtoull(p + off, NULL, 16);
                off = (size_t) (eol - p) + 2;
                if (size == 0) {
                        /* Trailer fields, up to the empty line. */
                        const char *end =
                                off + 2 <= n && memcmp(p + off, "\r\n", 2) == 0
                                        ? p + off - 2
                                        : memmem(p + off, MIN(n - off, (size_t) 65536), "\r\n\r\n", 4);

                        return end ? (size_t) (end - p) + 4 : 0;
                }
                if (n - off < size + 2)
                        return 0;
                if (body)
                        assert_int_equal(buf_append(body, p + off, (size_t) size), 0);
                off += (size_t) size + 2;
        }
}

/* The length of the first response in b, when it is whole; 0 otherwise. Searches only the head: a
 * sanitizer's string functions take time in the length of all of b, which may be 20 MiB. */
static size_t response_length(const Buf *b, size_t *ret_head_len, bool *ret_chunked)
{
        const char *end, *cl;
        size_t head_len, n;
        unsigned long long body_len = 0;
        bool chunked = false;

        if (!b->data)
                return 0;
        end = memmem(b->data, MIN(b->len, (size_t) 65536), "\r\n\r\n", 4);
        if (!end)
                return 0;
        head_len = (size_t) (end - b->data) + 4;
        for (cl = b->data; (cl = memmem(cl, (size_t) (end + 2 - cl), "\r\n", 2)) && cl < end; cl += 2) {
                if (strncasecmp(cl + 2, "Content-Length:", 15) == 0)
                        body_len = strtoull(cl + 2 + 15, NULL, 10);
                if (strncasecmp(cl + 2, "Transfer-Encoding: chunked\r\n", 28) == 0)
                        chunked = true;
        }
        *ret_head_len = head_len;
        *ret_chunked = chunked;
        if (chunked) {
                n = chunked_length(b->data + head_len, b->len - head_len, NULL);
                return n > 0 ? head_len + n : 0;
        }
        if (b->len < head_len + body_len)
                return 0;
        return head_len + (size_t) body_len;
}

void test_client_response(Gateway *g, TestClient *tc, TestResponse *ret)
{
        size_t head_len = 0, len;
        bool chunked = false;

        RUN_UNTIL(g, (len = response_length(&tc->in, &head_len, &chunked)) > 0 || tc->eof);
        len = response_length(&tc->in, &head_len, &chunked);
        if (len == 0)
                fail_msg("The connection closed before a whole response: '%s'", tc->in.data ?: "");

        *ret = (TestResponse){};
        ret->head = strndup(tc->in.data, head_len);
        assert_non_null(ret->head);
        if (chunked) {
                Buf body = {};

                (void) chunked_length(tc->in.data + head_len, len - head_len, &body);
                assert_int_equal(buf_append(&body, "", 1), 0);
                ret->body = buf_steal(&body, &ret->body_len);
                ret->body_len--;
        } else {
                ret->body_len = len - head_len;
                ret->body = malloc(ret->body_len + 1);
                assert_non_null(ret->body);
                memcpy(ret->body, tc->in.data + head_len, ret->body_len);
                ret->body[ret->body_len] = 0;
        }
        assert_int_equal(sscanf(ret->head, "HTTP/1.1 %d ", &ret->status), 1);
        buf_consume(&tc->in, len);
}

void test_client_exchange(Gateway *g, TestClient *tc, const char *request, TestResponse *ret)
{
        test_client_send(tc, request);
        test_client_response(g, tc, ret);
}

void test_client_wait_eof(Gateway *g, TestClient *tc)
{
        RUN_UNTIL(g, tc->eof);
}

void test_response_done(TestResponse *r)
{
        free(r->head);
        free(r->body);
        *r = (TestResponse){};
}

const char *test_response_header(TestResponse *r, const char *name)
{
        size_t n = strlen(name);

        for (const char *l = strstr(r->head, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n"))
                if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
                        const char *v = l + 2 + n + 1, *end;

                        v += strspn(v, " ");
                        end = strstr(v, "\r\n");
                        (void) snprintf(r->value, sizeof(r->value), "%.*s", (int) (end - v), v);
                        return r->value;
                }
        return NULL;
}

void test_assert_error(TestResponse *r, int status, const char *type, const char *message_part)
{
        if (r->status != status)
                fail_msg("Expected %i, got: %s%s", status, r->head, r->body);
        assert_non_null(test_response_header(r, "x-amzn-ErrorType"));
        assert_string_equal(r->value, type);
        assert_non_null(test_response_header(r, "x-amzn-RequestId"));
        assert_int_equal(strlen(r->value), UUID_STRING_MAX - 1);
        assert_non_null(test_response_header(r, "Content-Type"));
        assert_string_equal(r->value, "application/json");
        assert_non_null(strstr(r->body, "\"Type\":\"User\""));
        if (!strstr(r->body, message_part))
                fail_msg("'%s' is not in '%s'", message_part, r->body);
        /* Retry-After is what tells clients that trying again helps. */
        if (status == 429 || status == 503) {
                assert_non_null(test_response_header(r, "Retry-After"));
                assert_string_equal(r->value, "1");
        } else
                assert_null(test_response_header(r, "Retry-After"));
}

void test_client_expect_error(Gateway *g, TestClient *tc, const char *request, int status, const char *type,
                              const char *message_part)
{
        TestResponse r;

        test_client_exchange(g, tc, request, &r);
        test_assert_error(&r, status, type, message_part);
        test_response_done(&r);
}

char *test_invoke_request(const char *function, const char *extra_headers, const char *payload)
{
        char *s = NULL;

        assert_true(asprintf(&s,
                             "POST /2015-03-31/functions/%s/invocations HTTP/1.1\r\n"
                             "Host: gateway\r\n"
                             "Content-Length: %zu\r\n"
                             "%s\r\n%s",
                             function, strlen(payload), extra_headers ?: "", payload) > 0);
        return s;
}

/* ---- the instance ---- */

typedef struct Connection {
        TestInstance *instance;
        int fd;
} Connection;

/* Reads one request (head and Content-Length body) into b; false at EOF. */
static bool read_request(int fd, Buf *b)
{
        buf_clear(b);
        for (;;) {
                char chunk[16384];
                ssize_t k = recv(fd, chunk, sizeof(chunk), 0);
                const char *end, *cl;
                size_t len;

                if (k <= 0)
                        return false;
                assert_int_equal(buf_append(b, chunk, (size_t) k), 0);
                end = strstr(b->data, "\r\n\r\n");
                if (!end)
                        continue;
                cl = strcasestr(b->data, "\r\nContent-Length: ");
                len = cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0;
                if ((size_t) (end + 4 - b->data) + len <= b->len)
                        return true;
        }
}

static void *serve(void *arg)
{
        Connection *conn = arg;
        TestInstance *t = conn->instance;
        Buf request = {};

        while (read_request(conn->fd, &request)) {
                TestInstanceMode mode;
                char *answer;
                size_t len;

                pthread_mutex_lock(&t->lock);
                t->requests++;
                buf_clear(&t->last_request);
                (void) buf_append(&t->last_request, request.data, request.len);
                mode = t->mode;
                len = t->answer_len;
                answer = malloc(len + 1);
                if (answer)
                        memcpy(answer, t->answer ?: "", len);
                pthread_mutex_unlock(&t->lock);
                if (!answer)
                        break;

                /* The gateway may stop reading half way (an answer it refuses): no SIGPIPE. */
                if (mode == TEST_INSTANCE_ANSWER || mode == TEST_INSTANCE_ANSWER_AND_CLOSE)
                        for (size_t off = 0; off < len;) {
                                ssize_t n = send(conn->fd, answer + off, len - off, MSG_NOSIGNAL);

                                if (n <= 0)
                                        break;
                                off += (size_t) n;
                        }
                free(answer);
                if (mode == TEST_INSTANCE_NEVER_ANSWER)
                        continue;
                if (mode != TEST_INSTANCE_ANSWER)
                        break;
        }
        buf_done(&request);
        close(conn->fd);
        free(conn);
        return NULL;
}

static void *accept_loop(void *arg)
{
        TestInstance *t = arg;

        for (;;) {
                Connection *conn;
                pthread_t thread;
                int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0)
                        return NULL;
                pthread_mutex_lock(&t->lock);
                t->accepted++;
                pthread_mutex_unlock(&t->lock);
                conn = malloc(sizeof(Connection));
                assert_non_null(conn);
                *conn = (Connection){ .instance = t, .fd = fd };
                /* A thread per connection: a lease kept alive must not block the next one. */
                assert_int_equal(pthread_create(&thread, NULL, serve, conn), 0);
                assert_int_equal(pthread_detach(thread), 0);
        }
}

void test_instance_start(TestInstance *t)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        pthread_t thread;

        *t = (TestInstance){};
        assert_int_equal(pthread_mutex_init(&t->lock, NULL), 0);
        t->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(t->listen_fd >= 0);
        assert_int_equal(bind(t->listen_fd, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(listen(t->listen_fd, 16), 0);
        assert_int_equal(getsockname(t->listen_fd, (struct sockaddr *) &a, &len), 0);
        t->port = ntohs(a.sin_port);
        assert_int_equal(pthread_create(&thread, NULL, accept_loop, t), 0);
        assert_int_equal(pthread_detach(thread), 0);
}

void test_instance_script(TestInstance *t, TestInstanceMode mode, const void *answer, size_t len)
{
        char *copy = malloc(len + 1);

        assert_non_null(copy);
        memcpy(copy, answer, len);
        pthread_mutex_lock(&t->lock);
        free(t->answer);
        t->answer = copy;
        t->answer_len = len;
        t->mode = mode;
        pthread_mutex_unlock(&t->lock);
}

void test_instance_script_str(TestInstance *t, TestInstanceMode mode, const char *answer)
{
        test_instance_script(t, mode, answer, strlen(answer));
}

unsigned test_instance_requests(TestInstance *t)
{
        unsigned n;

        pthread_mutex_lock(&t->lock);
        n = t->requests;
        pthread_mutex_unlock(&t->lock);
        return n;
}

char *test_instance_last_request(TestInstance *t)
{
        char *s;

        pthread_mutex_lock(&t->lock);
        s = strndup(t->last_request.data ?: "", t->last_request.len);
        pthread_mutex_unlock(&t->lock);
        assert_non_null(s);
        return s;
}

uint16_t test_refused_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *) &a, &len), 0);
        close(s);
        return ntohs(a.sin_port);
}
