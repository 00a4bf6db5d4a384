/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http-request.h"
#include "http-response.h"

int http_response_begin(Buf *out, int status)
{
        return buf_printf(out, "HTTP/1.1 %03i %s\r\n", status, http_status_reason(status));
}

bool http_header_value_is_valid(const char *v)
{
        return strcspn(v, "\r\n") == strlen(v);
}

int http_response_header(Buf *out, const char *name, const char *value)
{
        int r;

        if (!http_header_value_is_valid(value))
                return -EINVAL;
        /* Appended, not formatted: a handful of these go into every answer. */
        r = buf_append_str(out, name);
        if (r >= 0)
                r = buf_append(out, ": ", 2);
        if (r >= 0)
                r = buf_append_str(out, value);
        if (r >= 0)
                r = buf_append(out, "\r\n", 2);
        return r;
}

int http_response_headerf(Buf *out, const char *name, const char *format, ...)
{
        char v[512];
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(v, sizeof(v), format, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(v))
                return -EINVAL;
        return http_response_header(out, name, v);
}

int http_response_end_head(Buf *out, uint64_t content_length, bool keep_alive)
{
        return buf_printf(out, "Content-Length: %" PRIu64 "\r\n%s\r\n", content_length,
                          keep_alive ? "" : "Connection: close\r\n");
}
