/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes what the manager makes of the engine's GET /events stream: the bytes as curl hands them over
 * (cut into chunks of any size) through the line framing of docker.c, and each line through
 * docker_parse_event(). The first input byte picks the chunk size (0: everything at once) and, with
 * its top bit, a small line cap so that overlong lines are met; the rest is the stream. Lines must
 * come out exactly as they went in, and every event parsed must keep the promises the manager relies
 * on whether or not the line's newline is part of what is parsed. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "docker-json.h"
#include "docker.h"
#include "fuzz.h"

#define SMALL_LINE_MAX 300U

typedef struct Stream {
        const char *data; /* the whole stream */
        size_t size;
        size_t framed; /* how much of it the lines handed out so far cover, newlines included */
} Stream;

static bool streq_ptr(const char *a, const char *b)
{
        return a && b ? strcmp(a, b) == 0 : a == b;
}

static void check_event(const char *line, size_t len, const char *with_newline)
{
        DockerEvent e = {}, again = {};
        int r, r2;

        r = docker_parse_event(line, len, &e);
        /* The same line as the engine sent it, newline included, is the same event. */
        r2 = docker_parse_event(with_newline, len + 1, &again);
        if (r == -ENOMEM || r2 == -ENOMEM)
                goto finish;
        if ((r < 0) != (r2 < 0))
                abort();
        if (r < 0) {
                if (e.type || e.action || e.id)
                        abort();
                goto finish;
        }
        if (!e.type || !e.action || !*e.type || !*e.action)
                abort();
        /* The manager looks container events up by id: only ever a valid one. */
        if (strcmp(e.type, "container") == 0 ? !docker_id_is_valid(e.id) : e.id && !docker_id_is_valid(e.id))
                abort();
        if (!streq_ptr(e.type, again.type) || !streq_ptr(e.action, again.action) ||
            !streq_ptr(e.id, again.id) || !streq_ptr(e.function, again.function) ||
            !streq_ptr(e.lifetime, again.lifetime))
                abort();
finish:
        docker_event_done(&e);
        docker_event_done(&again);
}

static void on_line(DockerClient *d, const char *line, size_t len, void *userdata)
{
        Stream *s = userdata;
        const char *original = s->data + s->framed;

        /* The line is the next piece of the stream, up to a newline it does not contain. */
        if (d || s->framed + len >= s->size || memcmp(line, original, len) != 0 || original[len] != '\n' ||
            line[len] != 0 || memchr(line, '\n', len))
                abort();
        s->framed += len + 1;

        if (len > 0)
                check_event(line, len, original);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Stream s;
        Buf b;
        size_t chunk, pos = 0;
        int r = 0;

        if (size < 1)
                return 0;
        b = BUF_INIT_MAX(data[0] & 0x80 ? SMALL_LINE_MAX : 0);
        chunk = data[0] & 0x7f;
        s = (Stream){ .data = (const char *) data + 1, .size = size - 1 };
        if (chunk == 0)
                chunk = s.size;

        while (pos < s.size) {
                size_t n = chunk < s.size - pos ? chunk : s.size - pos;

                r = docker_lines_feed(&b, s.data + pos, n, on_line, NULL, &s);
                if (r < 0)
                        break;
                pos += n;
        }

        if (r == -ENOBUFS) {
                /* Only a line longer than the cap (newline included) ends the stream. */
                const char *rest = s.data + s.framed, *nl = memchr(rest, '\n', s.size - s.framed);
                size_t line = nl ? (size_t) (nl - rest) + 1 : s.size - s.framed;

                if (b.max == 0 || line <= b.max)
                        abort();
        } else if (r == 0) {
                /* What is left is the unfinished last line, whole. */
                if (s.framed + b.len != s.size ||
                    (b.len > 0 && memcmp(b.data, s.data + s.framed, b.len) != 0) ||
                    (b.len > 0 && memchr(b.data, '\n', b.len)))
                        abort();
        } else if (r != -ENOMEM)
                abort();
        buf_done(&b);
        return 0;
}
