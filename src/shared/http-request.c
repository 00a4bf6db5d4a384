/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http-request.h"
#include "macro.h"

const HttpLimits http_limits_default = {
        .max_url = 8192,
        .max_head = 16384,
        .max_headers = HTTP_MAX_HEADERS,
        .max_body = 6 * 1024 * 1024,
};

static HttpRequest *request_of(llhttp_t *p)
{
        return p->data;
}

static int fail(HttpRequest *r, int status, const char *reason)
{
        r->error_status = status;
        r->error_reason = reason;
        return HPE_USER;
}

static int head_append(HttpRequest *r, const char *at, size_t n, HttpParsePart part)
{
        int k;

        /* Starting a new URL, name or value: terminate the previous one and record where this begins. */
        if (r->part != part) {
                if (r->part != HTTP_PART_NONE && buf_append(&r->head, "", 1) < 0)
                        return fail(r, 431, "Request header fields too large");

                if (part == HTTP_PART_FIELD) {
                        if (r->n_headers >= r->limits.max_headers || r->n_headers >= HTTP_MAX_HEADERS)
                                return fail(r, 431, "Too many header fields");
                        r->headers[r->n_headers].name = r->head.len;
                        r->headers[r->n_headers].value = SIZE_MAX;
                        r->n_headers++;
                } else if (part == HTTP_PART_VALUE) {
                        if (r->n_headers == 0)
                                return fail(r, 400, "Header value without a name");
                        r->headers[r->n_headers - 1].value = r->head.len;
                }
                r->part = part;
        }

        if (part == HTTP_PART_URL) {
                if (r->url_len + n > r->limits.max_url)
                        return fail(r, 414, "URI too long");
                r->url_len += n;
        }

        k = buf_append(&r->head, at, n);
        if (k == -ENOBUFS)
                return fail(r, 431, "Request header fields too large");
        if (k < 0)
                return fail(r, 500, "Out of memory");
        return 0;
}

static int on_message_begin(llhttp_t *p)
{
        request_of(p)->started = true;
        return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
        return head_append(request_of(p), at, n, HTTP_PART_URL);
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
        return head_append(request_of(p), at, n, HTTP_PART_FIELD);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
        /* An obsolete folded line arrives as one more piece of the value, without its CRLF: that
         * is the unfolding RFC 9112 §5.2 allows. */
        return head_append(request_of(p), at, n, HTTP_PART_VALUE);
}

static int on_headers_complete(llhttp_t *p)
{
        HttpRequest *r = request_of(p);

        if (r->part == HTTP_PART_NONE)
                return fail(r, 400, "Missing request target");
        if (buf_append(&r->head, "", 1) < 0)
                return fail(r, 431, "Request header fields too large");

        /* A header name with an empty value never triggers on_header_value: point it at "". */
        for (size_t i = 0; i < r->n_headers; i++)
                if (r->headers[i].value == SIZE_MAX)
                        r->headers[i].value = r->head.len - 1;

        r->part = HTTP_PART_NONE;
        r->n_head_headers = r->n_headers;
        r->headers_complete = true;
        r->chunked = (p->flags & F_CHUNKED) != 0;
        r->content_length = (p->flags & F_CONTENT_LENGTH) ? p->content_length : UINT64_MAX;

        if (r->ops && r->ops->head && r->ops->head(r, r->userdata) < 0)
                return r->error_status != 0 ? HPE_USER : fail(r, 500, "Failed to take the request");
        if (r->content_length != UINT64_MAX &&
            r->content_length > (r->stream_body ? r->stream_max : r->limits.max_body))
                return fail(r, 413, "Request body too large");
        return 0;
}

void http_request_stream_body(HttpRequest *r, uint64_t max)
{
        r->stream_body = true;
        r->stream_max = max;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
        HttpRequest *r = request_of(p);
        int k;

        if (r->stream_body) {
                r->body_bytes += n;
                if (r->body_bytes > r->stream_max)
                        return fail(r, 413, "Request body too large");
                return r->ops->body(r, at, n, r->userdata) < 0
                               ? fail(r, 500, "Failed to take the request body")
                               : 0;
        }
        if (r->body.len + n > r->limits.max_body)
                return fail(r, 413, "Request body too large");
        k = buf_append(&r->body, at, n);
        if (k < 0)
                return fail(r, k == -ENOBUFS ? 413 : 500, "Request body too large");
        return 0;
}

/* Whether the head's "Trailer" lists this field name. */
static bool trailer_declared(const HttpRequest *r, const char *name)
{
        const char *list = NULL;
        size_t n = strlen(name);

        for (size_t i = 0; i < r->n_head_headers; i++)
                if (strcasecmp(r->head.data + r->headers[i].name, "Trailer") == 0) {
                        list = r->head.data + r->headers[i].value;
                        for (const char *t = list; *t;) {
                                size_t k;

                                t += strspn(t, " \t,");
                                k = strcspn(t, " \t,");
                                if (k == n && strncasecmp(t, name, n) == 0)
                                        return true;
                                t += k;
                        }
                }
        return false;
}

/* The trailer section of a chunked body: terminated like the head, and checked. Fields that frame,
 * route or authenticate a message may not come after its body (RFC 9110 §6.5.1); a declared field may
 * come once. */
static int trailers_complete(HttpRequest *r)
{
        static const char *const forbidden[] = {
                "Content-Length", "Transfer-Encoding", "Trailer",          "Host",
                "Connection",     "Content-Type",      "Content-Encoding", "Authorization",
        };

        if (r->n_headers == r->n_head_headers)
                return 0;
        if (buf_append(&r->head, "", 1) < 0)
                return fail(r, 431, "Request header fields too large");
        for (size_t i = r->n_head_headers; i < r->n_headers; i++) {
                const char *name = r->head.data + r->headers[i].name;

                if (r->headers[i].value == SIZE_MAX)
                        r->headers[i].value = r->head.len - 1;
                for (size_t f = 0; f < ELEMENTSOF(forbidden); f++)
                        if (strcasecmp(name, forbidden[f]) == 0)
                                return fail(r, 400, "Forbidden trailer field");
                for (size_t j = r->n_head_headers; j < i; j++)
                        if (strcasecmp(name, r->head.data + r->headers[j].name) == 0 &&
                            trailer_declared(r, name))
                                return fail(r, 400, "Repeated trailer field");
        }
        r->part = HTTP_PART_NONE;
        return 0;
}

static int on_message_complete(llhttp_t *p)
{
        HttpRequest *r = request_of(p);

        if (trailers_complete(r) < 0)
                return HPE_USER;
        r->complete = true;
        r->keep_alive = llhttp_should_keep_alive(p);
        /* Stop here: the caller answers this request before looking at the next (pipelining). */
        return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
        .on_message_begin = on_message_begin,
        .on_url = on_url,
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
};

static void request_clear(HttpRequest *r)
{
        buf_clear(&r->head);
        buf_clear(&r->body);
        r->url_len = 0;
        r->n_headers = 0;
        r->n_head_headers = 0;
        r->stream_body = false;
        r->stream_max = 0;
        r->body_bytes = 0;
        r->part = HTTP_PART_NONE;
        r->content_length = UINT64_MAX;
        r->started = false;
        r->headers_complete = false;
        r->complete = false;
        r->keep_alive = false;
        r->chunked = false;
}

void http_request_init(HttpRequest *r, const HttpLimits *limits)
{
        *r = (HttpRequest){
                .limits = limits ? *limits : http_limits_default,
                .content_length = UINT64_MAX,
        };
        r->head.max = r->limits.max_head;
        llhttp_init(&r->parser, HTTP_REQUEST, &settings);
        r->parser.data = r;
}

void http_request_done(HttpRequest *r)
{
        buf_done(&r->head);
        buf_done(&r->body);
}

void http_request_next(HttpRequest *r)
{
        request_clear(r);
        llhttp_resume(&r->parser);
}

/* Whether data begins with a well-formed request line, "TOKEN SP TARGET SP HTTP/D.D" and its end: its
 * method is then merely one nobody implements. */
static bool starts_with_request_line(const char *data, size_t len)
{
        static const char tchar[] =
                "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        size_t n = 0, t;

        while (n < len && data[n] && strchr(tchar, data[n]))
                n++;
        if (n == 0 || n >= len || data[n++] != ' ')
                return false;
        t = n;
        while (n < len && (unsigned char) data[n] > ' ' && data[n] != 0x7f)
                n++;
        if (n == t || len - n < 11 || data[n] != ' ')
                return false;
        n++;
        return memcmp(data + n, "HTTP/", 5) == 0 && data[n + 5] >= '0' && data[n + 5] <= '9' &&
               data[n + 6] == '.' && data[n + 7] >= '0' && data[n + 7] <= '9' &&
               (data[n + 8] == '\n' || (data[n + 8] == '\r' && data[n + 9] == '\n'));
}

int http_request_feed(HttpRequest *r, const char *data, size_t len, size_t *ret_consumed)
{
        llhttp_errno_t e;

        if (r->error_status != 0)
                return -EBADMSG;
        if (r->complete) {
                /* The caller must take the completed message first. */
                *ret_consumed = 0;
                return HTTP_FEED_COMPLETE;
        }

        e = llhttp_execute(&r->parser, data, len);
        /* llhttp takes any error of on_message_complete() for a pause: ours are errors all the same. */
        if (r->error_status != 0 && e == HPE_PAUSED)
                e = HPE_USER;
        switch (e) {
        case HPE_OK:
                *ret_consumed = len;
                return HTTP_FEED_MORE;
        case HPE_PAUSED:
                *ret_consumed = (size_t) (llhttp_get_error_pos(&r->parser) - data);
                return HTTP_FEED_COMPLETE;
        default:
                /* Our callbacks set the status; anything else llhttp found is a malformed request, but
                 * for a method it does not know: not implemented (RFC 9110 §9.1). */
                if (r->error_status == 0) {
                        r->error_status =
                                e == HPE_INVALID_METHOD && starts_with_request_line(data, len) ? 501 : 400;
                        r->error_reason = llhttp_get_error_reason(&r->parser) ?: llhttp_errno_name(e);
                }
                return r->error_status == 413 ? -ENOBUFS : -EBADMSG;
        }
}

const char *http_request_method(const HttpRequest *r)
{
        return llhttp_method_name((llhttp_method_t) r->parser.method);
}

bool http_request_is_method(const HttpRequest *r, llhttp_method_t m)
{
        return r->parser.method == m;
}

static const char *field_lookup(const HttpRequest *r, size_t from, size_t to, const char *name)
{
        for (size_t i = from; i < to; i++)
                if (strcasecmp(r->head.data + r->headers[i].name, name) == 0)
                        return r->head.data + r->headers[i].value;
        return NULL;
}

const char *http_request_header(const HttpRequest *r, const char *name)
{
        if (!r->headers_complete)
                return NULL;
        return field_lookup(r, 0, r->n_head_headers, name);
}

const char *http_request_trailer(const HttpRequest *r, const char *name)
{
        if (!r->complete || !trailer_declared(r, name))
                return NULL;
        return field_lookup(r, r->n_head_headers, r->n_headers, name);
}

bool http_request_expects_continue(const HttpRequest *r)
{
        const char *e = http_request_header(r, "Expect");

        return e && strcasecmp(e, "100-continue") == 0 && r->parser.http_major == 1 &&
               r->parser.http_minor >= 1;
}

const char *http_status_reason(int status)
{
        switch (status) {
        case 100:
                return "Continue";
        case 200:
                return "OK";
        case 202:
                return "Accepted";
        case 204:
                return "No Content";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 408:
                return "Request Timeout";
        case 411:
                return "Length Required";
        case 413:
                return "Payload Too Large";
        case 414:
                return "URI Too Long";
        case 415:
                return "Unsupported Media Type";
        case 429:
                return "Too Many Requests";
        case 431:
                return "Request Header Fields Too Large";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 502:
                return "Bad Gateway";
        case 503:
                return "Service Unavailable";
        case 504:
                return "Gateway Timeout";
        case 505:
                return "HTTP Version Not Supported";
        default:
                return "Unknown";
        }
}
