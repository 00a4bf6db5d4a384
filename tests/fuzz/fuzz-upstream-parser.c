/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * An instance's answer, fed whole and then again in pieces cut where the input's first byte says: the
 * outcome and the body must not depend on how the bytes arrive (which error a bad answer gets may: a
 * limit can be passed before llhttp sees a bad byte further on), bodies stay within their limit,
 * and kept header and trailer values can never split the client's answer.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "upstream-parser.h"

#define MAX_BODY 4096

typedef struct Result {
        int outcome;
        int status;
        Buf body;
        Buf trailers; /* the kept trailer fields, as they were handed out */
} Result;

static int on_head(const UpstreamHead *h, void *userdata)
{
        Result *r = userdata;

        if (h->status < 200 || h->status > 599)
                abort();
        for (const char *v = h->function_error; v && *v; v++)
                if (*v == '\r' || *v == '\n')
                        abort();
        r->status = h->status;
        return 0;
}

static int on_body(const char *p, size_t n, void *userdata)
{
        Result *r = userdata;

        return buf_append(&r->body, p, n) < 0 ? -ENOMEM : 0;
}

static void check_value(Buf *b, const char *v)
{
        for (const char *c = v; c && *c; c++)
                if (*c == '\r' || *c == '\n')
                        abort();
        (void) buf_printf(b, "%s|", v ?: "-");
}

static int on_trailers(const UpstreamTrailers *t, void *userdata)
{
        Result *r = userdata;

        check_value(&r->trailers, t->error_type);
        check_value(&r->trailers, t->error_body);
        check_value(&r->trailers, t->log_result);
        return 0;
}

static const UpstreamParserOps ops = { .head = on_head, .body = on_body, .trailers = on_trailers };

static void run(const char *d, size_t n, size_t piece, Result *res)
{
        UpstreamParser p;
        size_t at = 0;
        int r = 0;

        upstream_parser_init(&p, MAX_BODY, &ops, res);
        while (at < n && r == 0) {
                size_t k = piece ? (piece < n - at ? piece : n - at) : n - at;

                r = upstream_parser_feed(&p, d + at, k);
                at += k;
        }
        if (r == 0)
                r = upstream_parser_eof(&p);
        res->outcome = r;
        if (res->body.len > MAX_BODY)
                abort();
        upstream_parser_done(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Result whole = {}, pieces = {};

        if (size < 1)
                return 0;
        run((const char *) data + 1, size - 1, 0, &whole);
        run((const char *) data + 1, size - 1, (size_t) data[0] % 17 + 1, &pieces);
        if ((whole.outcome < 0) != (pieces.outcome < 0) ||
            (whole.outcome >= 0 && whole.outcome != pieces.outcome) ||
            (whole.outcome >= 0 && whole.status != pieces.status) ||
            (whole.outcome == 1 &&
             (whole.body.len != pieces.body.len ||
              memcmp(whole.body.data ?: "", pieces.body.data ?: "", whole.body.len) != 0 ||
              whole.trailers.len != pieces.trailers.len ||
              memcmp(whole.trailers.data ?: "", pieces.trailers.data ?: "", whole.trailers.len) != 0)))
                abort();
        buf_done(&whole.body);
        buf_done(&pieces.body);
        buf_done(&whole.trailers);
        buf_done(&pieces.trailers);
        return 0;
}
