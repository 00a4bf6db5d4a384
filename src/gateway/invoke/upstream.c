/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "trace.h"
#include "upstream.h"
#include "util.h"

#define READ_CHUNK (256U * 1024U)
/* The safety timeout needs no precision: a coarse timer is re-armed far less often. */
#define TIMEOUT_ACCURACY_USEC (1 * USEC_PER_SEC)

typedef enum UpstreamState {
        UPSTREAM_IDLE,       /* no request in flight */
        UPSTREAM_CONNECTING, /* a request waits for the connection */
        UPSTREAM_WRITING,    /* part of the request is written */
        UPSTREAM_READING,    /* the request is written, the answer is coming */
} UpstreamState;

struct Upstream {
        sd_event *event;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        int fd;
        sd_event_source *io;
        sd_event_source *timer;
        sd_event_source *defer; /* reports a failure of upstream_request() from the loop */
        int deferred_error;
        bool in_request;
        uint32_t events; /* what io waits for now */
        unsigned connects;

        UpstreamState state;
        bool paused;
        bool reached; /* a byte of the request was written on a connection that was up */
        bool reused;  /* the request went on a connection kept from an earlier one */
        uint64_t trace_sent, trace_first_byte; /* trace.h's stamps of the request (tracing only) */
        const char *head, *body;
        size_t head_len, body_len, written;
        bool body_more; /* more of the body is to come (upstream_body()) */
        UpstreamParser parser;
        bool parser_active;
        const UpstreamOps *ops;
        void *userdata;
        char *rbuf;
};

static void upstream_watch(Upstream *u, uint32_t events)
{
        if (!u->io || u->events == events)
                return;
        u->events = events;
        (void) sd_event_source_set_io_events(u->io, events);
        (void) sd_event_source_set_enabled(u->io, events ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void upstream_disconnect(Upstream *u)
{
        u->io = sd_event_source_disable_unref(u->io);
        u->fd = safe_close(u->fd);
        u->events = 0;
}

/* Ends the request in flight: the connection stays for the next one only after a whole answer that
 * allows it. */
static void upstream_finish(Upstream *u, int error)
{
        const UpstreamOps *ops = u->ops;
        void *userdata = u->userdata;

        if (u->in_request) {
                /* Never under upstream_request()'s caller: report it from the loop. */
                u->deferred_error = error;
                (void) sd_event_source_set_enabled(u->defer, SD_EVENT_ONESHOT);
                upstream_disconnect(u);
                return;
        }

        if (error < 0 || !u->parser.head.keep_alive)
                upstream_disconnect(u);
        else
                upstream_watch(u, EPOLLIN); /* an idle connection the instance closes is noticed */
        if (u->parser_active)
                upstream_parser_done(&u->parser);
        u->parser_active = false;
        u->state = UPSTREAM_IDLE;
        u->paused = false;
        u->ops = NULL;
        u->userdata = NULL;
        (void) sd_event_source_set_enabled(u->timer, SD_EVENT_OFF);
        if (ops)
                ops->done(u, error, userdata);
}

static int upstream_connect(Upstream *u);

/* A kept-alive connection died before a byte of the answer came: the instance closed it while it was
 * idle (the close may not have been seen yet), so the request never reached it. Send it once more on
 * a fresh connection, as HTTP clients do; anything else is the caller's to decide. */
static bool upstream_retry_fresh(Upstream *u)
{
        if (!u->reused || u->parser.started)
                return false;
        u->reused = false;
        u->written = 0;
        u->trace_sent = u->trace_first_byte = 0;
        u->reached = false;
        if (upstream_connect(u) < 0)
                upstream_finish(u, -ECONNREFUSED);
        return true;
}

static int on_parsed_head(const UpstreamHead *head, void *userdata)
{
        Upstream *u = userdata;

        return u->ops->head ? u->ops->head(u, head, u->userdata) : 0;
}

static int on_parsed_body(const char *p, size_t n, void *userdata)
{
        Upstream *u = userdata;

        return u->ops->body ? u->ops->body(u, p, n, u->userdata) : 0;
}

static int on_parsed_trailers(const UpstreamTrailers *trailers, void *userdata)
{
        Upstream *u = userdata;

        return u->ops->trailers ? u->ops->trailers(u, trailers, u->userdata) : 0;
}

static const UpstreamParserOps parser_ops = {
        .head = on_parsed_head,
        .body = on_parsed_body,
        .trailers = on_parsed_trailers,
};

static void upstream_read(Upstream *u)
{
        /* Bounded per wake-up, so that one instance's flood cannot starve the loop. */
        for (unsigned rounds = 0; rounds < 16 && !u->paused; rounds++) {
                ssize_t n = recv(u->fd, u->rbuf, READ_CHUNK, 0);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0 && upstream_retry_fresh(u))
                        return;
                if (n < 0)
                        return upstream_finish(u, -ECONNRESET);
                if (n == 0) {
                        r = upstream_parser_eof(&u->parser);
                        if (r == -EPIPE && !u->parser.started)
                                r = -ECONNRESET;
                        return upstream_finish(u, r > 0 ? 0 : r);
                }
                if (trace_on() && u->trace_first_byte == 0)
                        u->trace_first_byte = trace_now();
                r = upstream_parser_feed(&u->parser, u->rbuf, (size_t) n);
                if (r != 0)
                        return upstream_finish(u, r > 0 ? 0 : r);
        }
}

static void upstream_write(Upstream *u)
{
        if (u->written == 0 && u->body_len == 0 && u->body_more) {
                /* No byte of the body yet: the head waits for the first ones, to go in the same
                 * write (a small body that came with its head goes whole, in one). An early answer
                 * or close is still noticed. */
                u->state = UPSTREAM_WRITING;
                return upstream_watch(u, EPOLLIN);
        }
        while (u->written < u->head_len + u->body_len) {
                struct iovec iov[2];
                int k = 0;
                ssize_t n;

                if (u->written < u->head_len)
                        iov[k++] =
                                (struct iovec){ (void *) (u->head + u->written), u->head_len - u->written };
                if (u->body_len > 0) {
                        size_t off = u->written > u->head_len ? u->written - u->head_len : 0;

                        iov[k++] = (struct iovec){ (void *) (u->body + off), u->body_len - off };
                }
                /* While the body is still coming the instance cannot start: what there is waits in
                 * the socket (MSG_MORE) and goes with the last bytes, in one segment when it is small,
                 * rather than waking the instance for a part. */
                n = sendmsg(u->fd, &(struct msghdr){ .msg_iov = iov, .msg_iovlen = (size_t) k },
                            MSG_NOSIGNAL | (u->body_more ? MSG_MORE : 0));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        u->state = UPSTREAM_WRITING;
                        return upstream_watch(u, EPOLLIN | EPOLLOUT);
                }
                if (n < 0 && upstream_retry_fresh(u))
                        return;
                if (n < 0)
                        return upstream_finish(u, u->reached ? -ECONNRESET : -ECONNREFUSED);
                u->reached = true;
                u->written += (size_t) n;
        }
        if (u->body_more) {
                /* All there is so far went out: the rest when it comes. An early answer or close is
                 * still noticed. */
                u->state = UPSTREAM_WRITING;
                return upstream_watch(u, EPOLLIN);
        }
        if (trace_on())
                u->trace_sent = trace_now();
        u->state = UPSTREAM_READING;
        upstream_watch(u, u->paused ? 0 : EPOLLIN);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Upstream *u = userdata;
        int error = 0;
        socklen_t len = sizeof(error);

        switch (u->state) {
        case UPSTREAM_IDLE:
                /* Nothing asked: the instance closed the kept-alive connection (or broke protocol). */
                upstream_disconnect(u);
                return 0;
        case UPSTREAM_CONNECTING:
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                        error = errno;
                if (error != 0) {
                        /* Refused, unreachable: the request never left. */
                        upstream_finish(u, -ECONNREFUSED);
                        return 0;
                }
                upstream_write(u);
                return 0;
        case UPSTREAM_WRITING:
                if (revents & EPOLLIN)
                        /* An early answer (an error) before the whole request was taken. */
                        upstream_read(u);
                else
                        upstream_write(u);
                return 0;
        case UPSTREAM_READING:
                upstream_read(u);
                return 0;
        }
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        upstream_finish(userdata, -ETIMEDOUT);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata)
{
        Upstream *u = userdata;

        upstream_finish(u, u->deferred_error);
        return 0;
}

int upstream_new(Upstream **ret, sd_event *event, const char *host, uint16_t port)
{
        _cleanup_(upstream_freep) Upstream *u = NULL;
        struct sockaddr_in *in;
        struct sockaddr_in6 *in6;
        int r;

        u = calloc(1, sizeof(Upstream));
        if (!u)
                return -ENOMEM;
        u->fd = -EBADF;
        u->event = sd_event_ref(event);
        in = (struct sockaddr_in *) &u->addr;
        in6 = (struct sockaddr_in6 *) &u->addr;
        if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
                u->addr_len = sizeof(*in);
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                u->addr_len = sizeof(*in6);
        } else if (host[0] == '/' && port == 0) {
                /* An instance without a network: its unix socket's path (lambda-manager's
                 * instance-socket.h). */
                struct sockaddr_un *un = (struct sockaddr_un *) &u->addr;
                size_t n = strlen(host);

                if (n >= sizeof(un->sun_path))
                        return -EINVAL;
                un->sun_family = AF_UNIX;
                memcpy(un->sun_path, host, n + 1);
                u->addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
        } else
                return -EINVAL;

        u->rbuf = malloc(READ_CHUNK);
        if (!u->rbuf)
                return -ENOMEM;
        r = sd_event_add_time(event, &u->timer, CLOCK_MONOTONIC, UINT64_MAX, TIMEOUT_ACCURACY_USEC,
                              on_timeout, u);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(u->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(u->timer, "upstream-timeout");
        r = sd_event_add_defer(event, &u->defer, on_defer, u);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(u->defer, SD_EVENT_OFF);
        *ret = TAKE_PTR(u);
        return 0;
}

Upstream *upstream_free(Upstream *u)
{
        if (!u)
                return NULL;
        upstream_disconnect(u);
        if (u->parser_active)
                upstream_parser_done(&u->parser);
        sd_event_source_disable_unref(u->timer);
        sd_event_source_disable_unref(u->defer);
        sd_event_unref(u->event);
        free(u->rbuf);
        free(u);
        return NULL;
}

static int upstream_connect(Upstream *u)
{
        int one = 1, r;

        upstream_disconnect(u);
        u->fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (u->fd < 0)
                return -errno;
        if (u->addr.ss_family != AF_UNIX)
                (void) setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        r = sd_event_add_io(u->event, &u->io, u->fd, 0, on_io, u);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(u->io, "upstream");
        u->connects++;
        /* Refused, unreachable, no route: however connect() fails, the request never left. */
        if (connect(u->fd, (struct sockaddr *) &u->addr, u->addr_len) < 0 && errno != EINPROGRESS)
                return -ECONNREFUSED;
        u->state = UPSTREAM_CONNECTING;
        upstream_watch(u, EPOLLOUT);
        return 0;
}

int upstream_request(Upstream *u, const char *head, size_t head_len, const char *body, size_t body_len,
                     bool body_more, uint64_t max_body, uint64_t timeout_usec, const UpstreamOps *ops,
                     void *userdata)
{
        int r;

        if (u->state != UPSTREAM_IDLE || u->ops)
                return -EBUSY;

        u->head = head;
        u->head_len = head_len;
        u->body = body;
        u->body_len = body_len;
        u->body_more = body_more;
        u->written = 0;
        u->trace_sent = u->trace_first_byte = 0;
        u->reached = false;
        u->paused = false;
        u->ops = ops;
        u->userdata = userdata;
        upstream_parser_init(&u->parser, max_body, &parser_ops, u);
        u->parser_active = true;

        r = sd_event_source_set_time(u->timer, now_usec(CLOCK_MONOTONIC) + timeout_usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(u->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                goto fail;

        u->in_request = true;
        u->reused = u->fd >= 0;
        if (u->reused)
                upstream_write(u);
        else {
                r = upstream_connect(u);
                if (r < 0)
                        /* Refused at once, or no socket: reported from the loop like the rest. */
                        upstream_finish(u, r);
        }
        u->in_request = false;
        return 0;

fail:
        upstream_parser_done(&u->parser);
        u->parser_active = false;
        u->ops = NULL;
        u->userdata = NULL;
        (void) sd_event_source_set_enabled(u->timer, SD_EVENT_OFF);
        return r;
}

void upstream_body(Upstream *u, const char *body, size_t body_len, bool more)
{
        if (!u->ops || u->fd < 0)
                return;
        u->body = body;
        u->body_len = body_len;
        u->body_more = more;
        /* Connecting, or waiting for room in the socket: it goes when the socket is ready. */
        if (u->state != UPSTREAM_WRITING || (u->events & EPOLLOUT))
                return;
        u->in_request = true;
        upstream_write(u);
        u->in_request = false;
}

void upstream_abort(Upstream *u)
{
        if (!u->ops)
                return;
        /* A reset, not a close: what the instance has of the request is not a request. */
        if (u->fd >= 0)
                (void) setsockopt(u->fd, SOL_SOCKET, SO_LINGER, &(struct linger){ .l_onoff = 1 },
                                  sizeof(struct linger));
        u->ops = NULL;
        u->userdata = NULL;
        u->in_request = false;
        (void) sd_event_source_set_enabled(u->defer, SD_EVENT_OFF);
        upstream_finish(u, -ECONNABORTED);
}

void upstream_pause(Upstream *u, bool pause)
{
        if (u->paused == pause)
                return;
        u->paused = pause;
        if (u->state != UPSTREAM_READING)
                return;
        upstream_watch(u, pause ? 0 : EPOLLIN);
        /* Bytes may already wait in the socket: they are read when the loop reports them. */
}

unsigned upstream_connects(const Upstream *u)
{
        return u->connects;
}

void upstream_trace(const Upstream *u, TraceRecord *r)
{
        r->t[TRACE_SENT] = u->trace_sent;
        r->t[TRACE_FIRST_BYTE] = u->trace_first_byte;
        if (!u->reused)
                r->flags |= TRACE_UPSTREAM_NEW;
}
