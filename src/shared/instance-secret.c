/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "instance-secret.h"
#include "util.h"

int instance_secret_new(char ret[static INSTANCE_SECRET_SIZE])
{
        return random_hex(ret, INSTANCE_SECRET_BYTES);
}

bool instance_secret_is_valid(const char *s)
{
        size_t n = 0;

        if (!s)
                return false;
        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')) ||
                    n >= INSTANCE_SECRET_SIZE - 1)
                        return false;
        return n == INSTANCE_SECRET_SIZE - 1;
}

static bool equal_n(const char *expected, const char *given, size_t n)
{
        unsigned char diff = n != INSTANCE_SECRET_SIZE - 1;

        /* Every byte of expected is looked at, whatever given is: no early exit. A given value of
         * another length is compared against its own bytes as far as they go. */
        for (size_t i = 0; i < INSTANCE_SECRET_SIZE - 1; i++)
                diff |= (unsigned char) expected[i] ^ (unsigned char) (i < n ? given[i] : 0);
        return diff == 0;
}

bool instance_secret_equal(const char *expected, const char *given)
{
        return equal_n(expected, given, strlen(given));
}

int instance_secret_check_request(const HttpRequest *req, const char *expected)
{
        const char *given = NULL;
        size_t n;

        if (!req->headers_complete)
                return -ENOKEY;
        for (size_t i = 0; i < req->n_head_headers; i++) {
                if (strcasecmp(req->head.data + req->headers[i].name, INSTANCE_SECRET_HEADER) != 0)
                        continue;
                /* Two values: which one counts would be up to whoever reads them. */
                if (given)
                        return -ENOTUNIQ;
                given = req->head.data + req->headers[i].value;
        }
        if (!given)
                return -ENOKEY;
        /* A field value does not include the whitespace around it (RFC 9110 §5.5); the parser drops
         * what leads. */
        n = strlen(given);
        while (n > 0 && (given[n - 1] == ' ' || given[n - 1] == '\t'))
                n--;
        return equal_n(expected, given, n) ? 0 : -EACCES;
}

const char *instance_secret_refusal_to_string(int error)
{
        switch (error) {
        case -ENOKEY:
                return "no " INSTANCE_SECRET_HEADER;
        case -ENOTUNIQ:
                return INSTANCE_SECRET_HEADER " more than once";
        case -EACCES:
                return "a wrong " INSTANCE_SECRET_HEADER;
        default:
                return "an unreadable request";
        }
}
