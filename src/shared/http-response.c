/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
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
        if (!http_header_value_is_valid(value))
                return -EINVAL;
        return buf_printf(out, "%s: %s\r\n", name, value);
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

int http_response_end(Buf *out, const void *body, size_t len, bool keep_alive)
{
        int r;

        r = buf_printf(out, "Content-Length: %zu\r\n%s\r\n", len, keep_alive ? "" : "Connection: close\r\n");
        if (r < 0)
                return r;
        return buf_append(out, body, len);
}
