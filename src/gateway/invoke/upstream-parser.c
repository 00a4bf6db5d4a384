/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "upstream-parser.h"

static UpstreamParser *parser_of(llhttp_t *l)
{
        return l->data;
}

static int fail(UpstreamParser *p, int error)
{
        if (p->error == 0)
                p->error = error;
        return HPE_USER;
}

static int count_head(UpstreamParser *p, size_t n)
{
        p->head_bytes += n;
        return p->head_bytes > UPSTREAM_HEAD_MAX ? fail(p, -EMSGSIZE) : 0;
}

static int on_message_begin(llhttp_t *l)
{
        parser_of(l)->started = true;
        return 0;
}

static int on_status(llhttp_t *l, const char *at, size_t n)
{
        return count_head(parser_of(l), n);
}

typedef struct KeptField {
        const char *name;
        size_t offset;
} KeptField;

static const KeptField kept_headers[] = {
        { "X-Amz-Function-Error", offsetof(UpstreamHead, function_error) },
        { "X-Amz-Log-Result", offsetof(UpstreamHead, log_result) },
        { "X-Amz-Executed-Version", offsetof(UpstreamHead, executed_version) },
        { "Content-Type", offsetof(UpstreamHead, content_type) },
};

static const KeptField kept_trailers[] = {
        { "Lambda-Runtime-Function-Error-Type", offsetof(UpstreamTrailers, error_type) },
        { "Lambda-Runtime-Function-Error-Body", offsetof(UpstreamTrailers, error_body) },
        { "X-Amz-Log-Result", offsetof(UpstreamTrailers, log_result) },
};

/* The header or trailer field just read, if it is one we keep. */
static int take_field(UpstreamParser *p)
{
        const KeptField *kept = p->head_complete ? kept_trailers : kept_headers;
        char *base = p->head_complete ? (char *) &p->trailers : (char *) &p->head;
        size_t n_kept = p->head_complete ? ELEMENTSOF(kept_trailers) : ELEMENTSOF(kept_headers);

        if (!p->field.data)
                return 0;
        if (!p->head_complete && strcasecmp(p->field.data, "Lambda-Runtime-Function-Response-Mode") == 0)
                p->head.streaming = strcasecmp(p->value.data ?: "", "streaming") == 0;
        for (size_t i = 0; i < n_kept; i++) {
                char **slot = (char **) (base + kept[i].offset);

                if (strcasecmp(p->field.data, kept[i].name) != 0)
                        continue;
                /* A value we pass on must not split the client's answer, nor hide a NUL; a field twice
                 * is a contradiction. */
                if (*slot || memchr(p->value.data ?: "", 0, p->value.len) ||
                    strpbrk(p->value.data ?: "", "\r\n"))
                        return fail(p, -EBADMSG);
                *slot = strdup(p->value.data ?: "");
                if (!*slot)
                        return fail(p, -ENOMEM);
        }
        return 0;
}

/* Counts a piece of the head or of the trailer section against its limit. */
static int count_field(UpstreamParser *p, size_t n)
{
        if (!p->head_complete)
                return count_head(p, n);
        p->trailer_bytes += n;
        return p->trailer_bytes > UPSTREAM_TRAILERS_MAX ? fail(p, -EMSGSIZE) : 0;
}

static int on_header_field(llhttp_t *l, const char *at, size_t n)
{
        UpstreamParser *p = parser_of(l);

        if (count_field(p, n) < 0)
                return HPE_USER;
        if (p->in_value) {
                if (take_field(p) < 0)
                        return HPE_USER;
                buf_clear(&p->field);
                buf_clear(&p->value);
                p->in_value = false;
        }
        return buf_append(&p->field, at, n) < 0 ? fail(p, -EMSGSIZE) : 0;
}

static int on_header_value(llhttp_t *l, const char *at, size_t n)
{
        UpstreamParser *p = parser_of(l);

        if (count_field(p, n) < 0)
                return HPE_USER;
        p->in_value = true;
        return buf_append(&p->value, at, n) < 0 ? fail(p, -EMSGSIZE) : 0;
}

static int on_headers_complete(llhttp_t *l)
{
        UpstreamParser *p = parser_of(l);
        int r;

        if (p->in_value && take_field(p) < 0)
                return HPE_USER;
        buf_clear(&p->field);
        buf_clear(&p->value);
        p->in_value = false;
        /* Trailer values may be longer: an error body in base64. */
        p->value.max = UPSTREAM_TRAILER_VALUE_MAX + 1;

        p->head.status = llhttp_get_status_code(l);
        p->head.content_length = (l->flags & F_CONTENT_LENGTH) ? l->content_length : UINT64_MAX;
        p->head.keep_alive = llhttp_should_keep_alive(l);
        /* A 1xx answer is not ours to pass on, and lambda-rie never sends one. */
        if (p->head.status < 200 || p->head.status > 599)
                return fail(p, -EBADMSG);
        if (p->head.content_length != UINT64_MAX && p->head.content_length > p->max_body)
                return fail(p, -EMSGSIZE);
        p->head_complete = true;
        if (p->ops && p->ops->head) {
                r = p->ops->head(&p->head, p->userdata);
                if (r < 0)
                        return fail(p, r);
        }
        return 0;
}

static int on_body(llhttp_t *l, const char *at, size_t n)
{
        UpstreamParser *p = parser_of(l);
        int r;

        p->body_bytes += n;
        if (p->body_bytes > p->max_body)
                return fail(p, -EMSGSIZE);
        if (p->ops && p->ops->body) {
                r = p->ops->body(at, n, p->userdata);
                if (r < 0)
                        return fail(p, r);
        }
        return 0;
}

static int on_message_complete(llhttp_t *l)
{
        UpstreamParser *p = parser_of(l);
        int r;

        if (p->in_value && take_field(p) < 0)
                return HPE_USER;
        if (p->ops && p->ops->trailers &&
            (p->trailers.error_type || p->trailers.error_body || p->trailers.log_result)) {
                r = p->ops->trailers(&p->trailers, p->userdata);
                if (r < 0)
                        return fail(p, r);
        }
        p->complete = true;
        return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
        .on_message_begin = on_message_begin,
        .on_status = on_status,
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
};

void upstream_parser_init(UpstreamParser *p, uint64_t max_body, const UpstreamParserOps *ops, void *userdata)
{
        *p = (UpstreamParser){
                .ops = ops,
                .userdata = userdata,
                .max_body = max_body,
                .field = BUF_INIT_MAX(256),
                .value = BUF_INIT_MAX(UPSTREAM_VALUE_MAX + 1),
        };
        llhttp_init(&p->parser, HTTP_RESPONSE, &settings);
        p->parser.data = p;
}

void upstream_parser_done(UpstreamParser *p)
{
        buf_done(&p->field);
        buf_done(&p->value);
        free(p->head.function_error);
        free(p->head.log_result);
        free(p->head.executed_version);
        free(p->head.content_type);
        p->head = (UpstreamHead){};
        free(p->trailers.error_type);
        free(p->trailers.error_body);
        free(p->trailers.log_result);
        p->trailers = (UpstreamTrailers){};
}

int upstream_parser_feed(UpstreamParser *p, const char *data, size_t len)
{
        llhttp_errno_t e;

        if (p->error < 0)
                return p->error;
        if (p->complete) {
                /* An instance sends nothing unasked: the answer stands, the connection is not reused. */
                if (len > 0)
                        p->head.keep_alive = false;
                return 1;
        }

        e = llhttp_execute(&p->parser, data, len);
        if (e == HPE_OK)
                return 0;
        /* llhttp takes an error of on_message_complete() for a pause. */
        if (e == HPE_PAUSED && p->error < 0)
                return p->error;
        if (e == HPE_PAUSED) {
                if ((size_t) (llhttp_get_error_pos(&p->parser) - data) < len)
                        p->head.keep_alive = false;
                return 1;
        }
        if (p->error == 0)
                p->error = -EBADMSG;
        return p->error;
}

int upstream_parser_eof(UpstreamParser *p)
{
        if (p->error < 0)
                return p->error;
        if (p->complete)
                return 1;
        if (!p->head_complete)
                return (p->error = -EPIPE);
        /* Completes an answer whose body ends at the close (its on_message_complete pauses, which
         * finish reports as an error); anything else was cut short. */
        (void) llhttp_finish(&p->parser);
        if (p->complete && p->error == 0)
                return 1;
        if (p->error == 0)
                p->error = -EPIPE;
        return p->error;
}
