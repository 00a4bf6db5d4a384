/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "http-conn.h"
#include "http-response.h"
#include "log.h"

#define READ_CHUNK (64 * 1024)
/* A client told "too large" (or timed out) mid-body is most likely still sending: what it sends is
 * read and dropped, up to this much, so that the close does not reset the connection before the
 * client has read the answer (RFC 9112 §9.6). The owner's request timeout bounds the time. */
#define LINGER_MAX (16 * 1024 * 1024)

static void http_conn_process(HttpConn *c);

static int on_request_head(HttpRequest *r, void *userdata)
{
        HttpConn *c = userdata;

        return c->ops->head ? c->ops->head(c) : 0;
}

static int on_request_body(HttpRequest *r, const char *p, size_t n, void *userdata)
{
        HttpConn *c = userdata;

        return c->ops->body(c, p, n);
}

static const HttpRequestOps request_ops = {
        .head = on_request_head,
        .body = on_request_body,
};

int http_conn_new(HttpConn **ret, int fd, const HttpLimits *limits, const HttpConnOps *ops, void *userdata)
{
        HttpConn *c = calloc(1, sizeof(HttpConn));

        if (!c)
                return -ENOMEM;
        *c = (HttpConn){ .fd = fd, .ops = ops, .userdata = userdata };
        http_request_init(&c->req, limits);
        c->req.ops = &request_ops;
        c->req.userdata = c;
        *ret = c;
        return 0;
}

void http_conn_free(HttpConn *c)
{
        if (!c)
                return;
        c->ops->closing(c);
        safe_close(c->fd);
        http_request_done(&c->req);
        buf_done(&c->in);
        buf_done(&c->out);
        free(c);
}

void http_conn_close(HttpConn *c)
{
        c->streaming = c->chunked = false;
        if (c->processing) {
                c->close_after = true;
                c->busy = false;
                buf_clear(&c->out);
                return;
        }
        http_conn_free(c);
}

static void update_watch(HttpConn *c)
{
        uint32_t events = 0;

        /* EPOLLIN stays on while an answer is made, as the next request rarely comes before it is
         * sent: turning it off and on for every request would cost two epoll_ctl() each. Only input
         * that does arrive meanwhile turns it off (http_conn_on_io()). */
        if (!http_conn_answering(c))
                c->in_blocked = false;
        if ((!c->close_after && !c->in_blocked && !c->in_paused) || c->lingering)
                events |= EPOLLIN;
        if (!buf_empty(&c->out))
                events |= EPOLLOUT;
        c->ops->watch(c, events);
}

/* The answer is out and the connection is to close: now, or once the client stopped sending the
 * body of a request that was cut short. */
static void close_answered(HttpConn *c)
{
        if (c->req.headers_complete && !c->req.complete && !c->lingering && shutdown(c->fd, SHUT_WR) >= 0) {
                c->lingering = true;
                update_watch(c);
                return;
        }
        http_conn_free(c);
}

static void flush(HttpConn *c)
{
        while (!buf_empty(&c->out)) {
                ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                update_watch(c);
                                return;
                        }
                        return http_conn_close(c);
                }
                buf_consume(&c->out, (size_t) n);
        }

        if (c->busy) {
                update_watch(c);
                if (c->streaming && c->ops->drained)
                        c->ops->drained(c);
                return;
        }
        if (c->close_after) {
                if (c->processing)
                        return; /* http_conn_process() closes it */
                return close_answered(c);
        }

        /* Answered: go on with a pipelined request, or wait for the next one. */
        http_request_next(&c->req);
        if (!c->processing)
                http_conn_process(c);
}

/* Parses what was read; hands out one complete request at a time. */
static void http_conn_process(HttpConn *c)
{
        c->processing = true;
        /* Not while the last answer is still going out: its request is still the current one. */
        while (!http_conn_answering(c) && !c->close_after) {
                size_t consumed = 0;
                int r;

                if (buf_empty(&c->in) && !c->req.complete)
                        break;

                r = http_request_feed(&c->req, c->in.data ?: "", c->in.len, &consumed);
                buf_consume(&c->in, consumed);
                if (r < 0) {
                        c->busy = true;
                        c->close_after = true;
                        c->ops->bad_request(c);
                        continue;
                }
                if (r == HTTP_FEED_MORE) {
                        if (c->req.headers_complete && http_request_expects_continue(&c->req) &&
                            c->req.body.len == 0 && c->req.body_bytes == 0 && buf_empty(&c->out)) {
                                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

                                (void) send(c->fd, cont, STRLEN(cont), MSG_NOSIGNAL);
                        }
                        break;
                }

                if (c->close_after)
                        /* Answered before it was whole (its streamed body was refused): nothing more
                         * to answer, the connection closes once the answer is out. */
                        continue;
                c->busy = true;
                c->ops->request(c);
        }
        c->processing = false;

        if (c->close_after && !c->busy && buf_empty(&c->out) && !c->lingering)
                return close_answered(c);
        update_watch(c);
}

/* Where the rest of a streamed body of known length may be read to (ops->body_sink): only with
 * nothing else read and waiting, and never past the body's end, so every byte read is the body's. */
static char *body_sink(HttpConn *c, size_t *ret_room)
{
        HttpRequest *r = &c->req;
        char *p;

        if (!c->ops->body_sink || !r->stream_body || !r->headers_complete || r->complete || r->chunked ||
            r->error_status != 0 || r->content_length == UINT64_MAX || r->body_bytes >= r->content_length ||
            !buf_empty(&c->in))
                return NULL;
        p = c->ops->body_sink(c, ret_room);
        if (p)
                *ret_room = (size_t) MIN((uint64_t) *ret_room, r->content_length - r->body_bytes);
        return p && *ret_room > 0 ? p : NULL;
}

void http_conn_on_io(HttpConn *c, uint32_t revents)
{
        char b[READ_CHUNK], *tail, *sink;
        size_t room, consumed;
        ssize_t n;

        if (revents & (EPOLLERR | EPOLLHUP))
                return http_conn_free(c);
        if (revents & EPOLLOUT)
                return flush(c);
        if (c->lingering) {
                n = recv(c->fd, b, sizeof(b), 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                c->lingered += n > 0 ? (size_t) n : 0;
                if (n <= 0 || c->lingered > LINGER_MAX)
                        http_conn_free(c);
                return;
        }
        if (!(revents & EPOLLIN) || c->close_after || c->in_paused)
                return;
        if (http_conn_answering(c)) {
                /* A pipelined request (or the client's close) while answering: later. */
                c->in_blocked = true;
                return update_watch(c);
        }

        sink = body_sink(c, &room);
        if (sink) {
                /* A streamed body, read where its owner keeps it, as much as the socket has. */
                n = recv(c->fd, sink, room, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n <= 0)
                        return http_conn_free(c);
                c->processing = true;
                (void) http_request_feed(&c->req, sink, (size_t) n, &consumed); /* errors: below */
                c->processing = false;
                return http_conn_process(c);
        }

        /* Straight into the input buffer: no copy on the way to the parser. */
        tail = buf_tail(&c->in, READ_CHUNK);
        if (!tail)
                return http_conn_free(c);
        n = recv(c->fd, tail, READ_CHUNK, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0)
                return http_conn_free(c);
        buf_advance(&c->in, (size_t) n);
        http_conn_process(c);
}

void http_conn_begin(HttpConn *c, int status)
{
        buf_clear(&c->out);
        (void) http_response_begin(&c->out, status);
}

void http_conn_header(HttpConn *c, const char *name, const char *value)
{
        (void) http_response_header(&c->out, name, value);
}

static bool answer_keeps_alive(HttpConn *c)
{
        return c->req.keep_alive && !c->close_after && c->req.complete;
}

/* Ends the head; -ENOMEM when the connection had to be closed instead. */
/* body_follows: the content_length bytes are written next; otherwise the answer ends with its head
 * (an answer to HEAD, which says the length of a body it does not carry). */
static int end_head(HttpConn *c, uint64_t content_length, bool body_follows)
{
        bool keep_alive = answer_keeps_alive(c);
        int r;

        r = http_response_end_head(&c->out, content_length, keep_alive);
        if (r < 0) {
                /* Out of memory for the answer: nothing sensible is left to say on this connection. */
                log_error_errno(r, "Failed to compose a response: %m");
                c->busy = false;
                http_conn_close(c);
                return -ENOMEM;
        }
        if (!keep_alive)
                c->close_after = true;
        c->body_left = body_follows ? content_length : 0;
        c->streaming = c->body_left > 0;
        if (c->streaming)
                return 0; /* the head goes out with the first piece of the body: one send() */
        c->busy = false;
        flush(c);
        return 0;
}

void http_conn_end_head(HttpConn *c, uint64_t content_length)
{
        (void) end_head(c, content_length, true);
}

void http_conn_end_head_chunked(HttpConn *c)
{
        bool keep_alive;

        /* HTTP/1.0 knows no chunks: the close ends the body. */
        c->eof_framed = c->req.parser.http_major == 1 && c->req.parser.http_minor == 0;
        keep_alive = answer_keeps_alive(c) && !c->eof_framed;
        if (buf_printf(&c->out, "%s%s\r\n", c->eof_framed ? "" : "Transfer-Encoding: chunked\r\n",
                       keep_alive ? "" : "Connection: close\r\n") < 0) {
                log_oom();
                c->busy = false;
                return http_conn_close(c);
        }
        if (!keep_alive)
                c->close_after = true;
        c->streaming = true;
        c->chunked = true;
        /* The head goes out with the first chunk. */
}

/* Appends a piece of a chunked (or close-framed) body to the output, without sending it. */
static int append_chunk(HttpConn *c, const void *p, size_t n)
{
        int r = 0;

        if (n == 0)
                return 0;
        if (!c->eof_framed)
                r = buf_printf(&c->out, "%zx\r\n", n);
        if (r >= 0)
                r = buf_append(&c->out, p, n);
        if (r >= 0 && !c->eof_framed)
                r = buf_append(&c->out, "\r\n", 2);
        return r;
}

void http_conn_finish(HttpConn *c, const void *last, size_t n, const char *const *trailers)
{
        int r;

        if (!c->streaming || !c->chunked)
                return;
        r = append_chunk(c, last, n);
        if (r >= 0 && !c->eof_framed) {
                r = buf_append(&c->out, "0\r\n", 3);
                for (const char *const *t = trailers; r >= 0 && t && t[0]; t += 2)
                        if (t[1] && http_header_value_is_valid(t[1]))
                                r = http_response_header(&c->out, t[0], t[1]);
                if (r >= 0)
                        r = buf_append(&c->out, "\r\n", 2);
        }
        c->streaming = c->chunked = false;
        c->busy = false;
        if (r < 0) {
                log_oom();
                return http_conn_close(c);
        }
        flush(c);
}

void http_conn_cut(HttpConn *c)
{
        c->streaming = c->chunked = false;
        c->busy = false;
        c->close_after = true;
        if (!c->processing)
                flush(c);
}

void http_conn_pause_input(HttpConn *c, bool pause)
{
        if (c->in_paused == pause)
                return;
        c->in_paused = pause;
        update_watch(c);
}

/* Sends what waits in c->out and then n bytes at p in one sendmsg(), without copying them first;
 * what the socket does not take waits in c->out. -errno when the connection had to be closed. */
static int send_through(HttpConn *c, const void *p, size_t n)
{
        struct iovec iov[2];
        size_t k = 0, sent;
        ssize_t r;

        if (!buf_empty(&c->out))
                iov[k++] = (struct iovec){ c->out.data, c->out.len };
        iov[k++] = (struct iovec){ (void *) p, n };
        r = sendmsg(c->fd, &(struct msghdr){ .msg_iov = iov, .msg_iovlen = k }, MSG_NOSIGNAL);
        if (r < 0 && errno != EAGAIN && errno != EINTR) {
                c->busy = false;
                http_conn_close(c);
                return -errno;
        }
        sent = r > 0 ? (size_t) r : 0;
        if (sent >= c->out.len) {
                sent -= c->out.len;
                buf_clear(&c->out);
        } else {
                buf_consume(&c->out, sent);
                sent = 0;
        }
        if (buf_append(&c->out, (const char *) p + sent, n - sent) < 0) {
                log_oom();
                c->busy = false;
                http_conn_close(c);
                return -ENOMEM;
        }
        return 0;
}

void http_conn_write(HttpConn *c, const void *p, size_t n)
{
        if (!c->streaming)
                return;
        if (c->chunked) {
                if (append_chunk(c, p, n) < 0) {
                        log_oom();
                        c->busy = false;
                        return http_conn_close(c);
                }
                return flush(c);
        }
        n = (size_t) MIN((uint64_t) n, c->body_left);
        if (send_through(c, p, n) < 0)
                return;
        c->body_left -= n;
        if (c->body_left == 0) {
                c->streaming = false;
                c->busy = false;
        }
        if (!buf_empty(&c->out))
                return update_watch(c); /* the socket is full: the rest when it takes more */
        flush(c);
}

void http_conn_end(HttpConn *c, const void *body, size_t len)
{
        /* RFC 9110 §9.3.2: the answer to HEAD is GET's head, without its body. */
        bool head = http_request_is_method(&c->req, HTTP_HEAD);

        if (end_head(c, len, !head) >= 0 && len > 0 && !head)
                http_conn_write(c, body, len);
}
