/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes lambda-rie's check of the instance secret over the heads of requests as its invoke endpoint
 * parses them: whatever the bytes and however they arrive, the check gives the same verdict, and lets
 * a request through only when exactly one X-Lambdad-Instance-Secret field holds the secret (with at
 * most surrounding whitespace). */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "fuzz-http.h"
#include "fuzz.h"
#include "http-request.h"
#include "instance-secret.h"
#include "macro.h"

#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct Verdicts {
        int results[16];
        unsigned n;
} Verdicts;

/* What the check must say, from the parsed fields themselves. */
static int expected_verdict(const HttpRequest *r)
{
        const char *value = NULL;
        unsigned n = 0;

        for (size_t i = 0; i < r->n_head_headers; i++)
                if (strcasecmp(r->head.data + r->headers[i].name, INSTANCE_SECRET_HEADER) == 0) {
                        value = r->head.data + r->headers[i].value;
                        n++;
                }
        if (n == 0)
                return -ENOKEY;
        if (n > 1)
                return -ENOTUNIQ;
        value += strspn(value, " \t");
        if (strncmp(value, SECRET, STRLEN(SECRET)) != 0 ||
            value[STRLEN(SECRET) + strspn(value + STRLEN(SECRET), " \t")])
                return -EACCES;
        return 0;
}

static int on_head(HttpRequest *r, void *userdata)
{
        Verdicts *v = userdata;
        int k = instance_secret_check_request(r, SECRET);

        if (k != expected_verdict(r))
                abort();
        if (v->n < ELEMENTSOF(v->results))
                v->results[v->n++] = k;
        return 0;
}

static const HttpRequestOps ops = { .head = on_head };

static void run(const uint8_t *data, size_t size, size_t piece, Verdicts *v)
{
        HttpRequest r;

        http_request_init(&r, NULL);
        r.ops = &ops;
        r.userdata = v;
        fuzz_http_feed(&r, data, size, piece, NULL, NULL);
        http_request_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Verdicts whole = {}, pieces = {};

        if (size < 1)
                return 0;
        /* The first byte picks how the bytes are split into reads. */
        run(data + 1, size - 1, size, &whole);
        run(data + 1, size - 1, (size_t) data[0] % 13 + 1, &pieces);
        if (whole.n != pieces.n || memcmp(whole.results, pieces.results, whole.n * sizeof(int)) != 0)
                abort();
        return 0;
}
