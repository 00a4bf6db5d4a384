/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * http-conn.h: one server-side HTTP/1.1 connection, independent of the event loop that drives it:
 * it reads, parses one request at a time (pipelined ones wait their turn), lets its owner answer
 * now or later, writes the answer, and keeps the connection alive or closes it. The owner tells it
 * when the socket is ready (http_conn_on_io) and is told which events to wait for (ops->watch).
 * lambda-rie drives it from its epoll loop, lambda-gateway from sd-event.
 */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "http-request.h"

typedef struct HttpConn HttpConn;

typedef struct HttpConnOps {
        /* A complete request is in c->req: answer it, now or later, with http_conn_begin()...end(). */
        void (*request)(HttpConn *c);
        /* The request is malformed or too large (c->req.error_status): answer; the connection closes. */
        void (*bad_request)(HttpConn *c);
        /* Wait for these events (EPOLLIN, EPOLLOUT; 0: none) on c->fd. */
        void (*watch)(HttpConn *c, uint32_t events);
        /* The connection is about to be freed: drop every reference to it. */
        void (*closing)(HttpConn *c);
        /* Optional: everything written so far of a streamed answer has gone out (see
         * http_conn_write()); the owner may write more. */
        void (*drained)(HttpConn *c);
        /* Optional: the head of a request is in (c->req.headers_complete), its body still to come: the
         * owner may have the body streamed to ops->body (http_request_stream_body(&c->req, max)). */
        int (*head)(HttpConn *c);
        /* A piece of a streamed request body. */
        int (*body)(HttpConn *c, const char *p, size_t n);
        /* Optional, for a streamed body of a known length: where the body's next bytes may be read
         * straight to (at most *ret_room of them), or NULL. Bytes read there come to ops->body at that
         * address: no copy on the way. */
        char *(*body_sink)(HttpConn *c, size_t *ret_room);
} HttpConnOps;

struct HttpConn {
        int fd;
        HttpRequest req;
        Buf in;           /* bytes read past the request being answered (pipelining) */
        Buf out;          /* answer bytes not yet written */
        bool busy;        /* a request is being answered, maybe later */
        bool close_after; /* close once the answer is written */
        bool processing;  /* the parse loop is on the stack: it frees the connection, not others */
        bool streaming;   /* a streamed answer's body is still being written */
        bool chunked;     /* ... in chunks, ended by http_conn_finish() */
        bool eof_framed;  /* ... until the close (an HTTP/1.0 client cannot take chunks) */
        bool in_paused;   /* the owner paused reading (http_conn_pause_input()) */
        bool in_blocked;  /* input arrived while busy: EPOLLIN is off until the answer is out */
        bool lingering;   /* answered and half-closed; the rest of the request body is dropped */
        size_t lingered;  /* bytes dropped so far */
        uint64_t body_left;
        const HttpConnOps *ops;
        void *userdata;
};

/* A request is being answered: its answer is still to come, or still going out. Until it is out, the
 * next request waits (it is neither read nor parsed) and the connection is not idle. */
static inline bool http_conn_answering(const HttpConn *c)
{
        return c->busy || !buf_empty(&c->out);
}

/* Takes over fd (non-blocking). */
int http_conn_new(HttpConn **ret, int fd, const HttpLimits *limits, const HttpConnOps *ops, void *userdata);
/* Closes now (ops->closing first). Safe from the owner's callbacks only through http_conn_close(). */
void http_conn_free(HttpConn *c);
/* Closes now, or as soon as the parse loop running for it returns. */
void http_conn_close(HttpConn *c);

/* The socket is ready: revents as epoll reports them. */
void http_conn_on_io(HttpConn *c, uint32_t revents);

/* Composing the answer to the current request. end() sends it, with Content-Length, and with
 * "Connection: close" when the connection will close; to a HEAD request, without the body. */
void http_conn_begin(HttpConn *c, int status);
void http_conn_header(HttpConn *c, const char *name, const char *value);
void http_conn_end(HttpConn *c, const void *body, size_t len);

/* Or a streamed answer: end_head() ends the head with this Content-Length, then write() sends the body
 * in pieces, as they come; the answer is complete once content_length bytes were written. Writing
 * never blocks: what the client does not take yet waits in c->out (its length is the owner's measure
 * of backpressure; ops->drained tells when it is empty). */
void http_conn_end_head(HttpConn *c, uint64_t content_length);
void http_conn_write(HttpConn *c, const void *p, size_t n);

/* A streamed answer of unknown length: end_head_chunked() ends the head with "Transfer-Encoding:
 * chunked" (a "Trailer" header naming the trailer fields is the owner's), write() sends each piece as a
 * chunk, finish() a last piece (n may be 0), the last chunk and the trailer fields (NULL-terminated
 * name, value pairs; a value that is NULL or cannot be sent is left out), all in one send: the
 * connection may be gone after it, and is free for its next request. To an HTTP/1.0 client the body goes
 * unframed, ends at the close, and the trailer fields are dropped. */
void http_conn_end_head_chunked(HttpConn *c);
void http_conn_finish(HttpConn *c, const void *last, size_t n, const char *const *trailers);

/* Ends a streamed answer without its end (no last chunk, fewer bytes than its Content-Length), so that
 * the client sees it cut short: what was written still goes out, then the connection closes. */
void http_conn_cut(HttpConn *c);

/* Stops (true) or resumes reading requests: a streamed request body's consumer lags behind. */
void http_conn_pause_input(HttpConn *c, bool pause);
