/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int buf_reserve(Buf *b, size_t extra)
{
        size_t need, cap;
        char *p;

        if (extra > SIZE_MAX - b->len - 1)
                return -ENOMEM;
        if (b->max > 0 && b->len + extra > b->max)
                return -ENOBUFS;

        need = b->len + extra + 1;
        if (need <= b->cap)
                return 0;

        cap = MAX(b->cap, (size_t) 64);
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;

        p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

int buf_append(Buf *b, const void *p, size_t n)
{
        int r;

        r = buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n > 0)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = 0;
        return 0;
}

int buf_append_str(Buf *b, const char *s)
{
        return buf_append(b, s, strlen(s));
}

int buf_vprintf(Buf *b, const char *format, va_list ap)
{
        va_list aq;
        int n, r;

        va_copy(aq, ap);
        n = vsnprintf(NULL, 0, format, aq);
        va_end(aq);
        if (n < 0)
                return -EINVAL;

        r = buf_reserve(b, (size_t) n);
        if (r < 0)
                return r;
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, format, ap);
        b->len += (size_t) n;
        return 0;
}

int buf_printf(Buf *b, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = buf_vprintf(b, format, ap);
        va_end(ap);
        return r;
}

char *buf_tail(Buf *b, size_t n)
{
        if (buf_reserve(b, n) < 0)
                return NULL;
        return b->data + b->len;
}

void buf_advance(Buf *b, size_t n)
{
        b->len += n;
        b->data[b->len] = 0;
}

void buf_consume(Buf *b, size_t n)
{
        if (n >= b->len) {
                b->len = 0;
        } else {
                memmove(b->data, b->data + n, b->len - n);
                b->len -= n;
        }
        if (b->data)
                b->data[b->len] = 0;
}

void buf_clear(Buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = 0;
}

void buf_done(Buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

char *buf_steal(Buf *b, size_t *ret_len)
{
        char *p = TAKE_PTR(b->data);

        if (ret_len)
                *ret_len = b->len;
        b->len = b->cap = 0;
        return p;
}
