/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * buf.h: a growable byte buffer with an optional size cap. Used for request heads and bodies, response
 * output and anything else that collects bytes from the network, so every such collection is bounded.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct Buf {
        char *data;
        size_t len;
        size_t cap;
        size_t max; /* 0: no cap */
} Buf;

#define BUF_INIT_MAX(m) ((Buf){ .max = (m) })

/* Appends n bytes; -ENOBUFS past the cap, -ENOMEM on allocation failure. Keeps a NUL after the data. */
int buf_append(Buf *b, const void *p, size_t n);
int buf_append_str(Buf *b, const char *s);
int buf_printf(Buf *b, const char *format, ...) _printf_(2, 3);
int buf_vprintf(Buf *b, const char *format, va_list ap) _printf_(2, 0);

/* Room for n more bytes past the data, to be filled directly (a recv()); NULL on allocation failure
 * or past the cap. buf_advance() then counts the n bytes written there (at most what was asked). */
char *buf_tail(Buf *b, size_t n);
void buf_advance(Buf *b, size_t n);

/* Drops n bytes from the front (what was written to a socket). */
void buf_consume(Buf *b, size_t n);
void buf_clear(Buf *b);
void buf_done(Buf *b);

/* Hands out the data (NUL-terminated, possibly NULL when empty) and leaves the buffer empty. */
char *buf_steal(Buf *b, size_t *ret_len);

static inline bool buf_empty(const Buf *b)
{
        return b->len == 0;
}
