/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(Buf *out, const void *data, size_t len)
{
        const uint8_t *p = data;
        char q[4];
        int r;

        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16;

                if (i + 1 < len)
                        v |= (uint32_t) p[i + 1] << 8;
                if (i + 2 < len)
                        v |= p[i + 2];

                q[0] = alphabet[(v >> 18) & 63];
                q[1] = alphabet[(v >> 12) & 63];
                q[2] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                q[3] = i + 2 < len ? alphabet[v & 63] : '=';
                r = buf_append(out, q, 4);
                if (r < 0)
                        return r;
        }
        return buf_append(out, "", 0);
}

static int unbase64char(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -EINVAL;
}

int base64_decode(Buf *out, const char *s, size_t len)
{
        int r;

        if (len % 4 != 0)
                return -EINVAL;

        for (size_t i = 0; i < len; i += 4) {
                bool last = i + 4 == len;
                int v[4];
                uint8_t b[3];
                size_t n = 3;

                for (size_t k = 0; k < 4; k++) {
                        if (last && k >= 2 && s[i + k] == '=') {
                                v[k] = 0;
                                continue;
                        }
                        v[k] = unbase64char(s[i + k]);
                        if (v[k] < 0)
                                return -EINVAL;
                }
                if (last && s[i + 2] == '=' && s[i + 3] != '=')
                        return -EINVAL;
                if (last && s[i + 3] == '=')
                        n = s[i + 2] == '=' ? 1 : 2;
                /* The bits the padding drops are zero in the one encoding of these bytes ("Zz==" is not
                 * another spelling of "Zw=="), as RFC 4648 §3.5 lets a strict decoder require. */
                if ((n == 1 && (v[1] & 15) != 0) || (n == 2 && (v[2] & 3) != 0))
                        return -EINVAL;

                b[0] = (uint8_t) (v[0] << 2 | v[1] >> 4);
                b[1] = (uint8_t) ((v[1] & 15) << 4 | v[2] >> 2);
                b[2] = (uint8_t) ((v[2] & 3) << 6 | v[3]);
                r = buf_append(out, b, n);
                if (r < 0)
                        return r;
        }
        return buf_append(out, "", 0);
}
