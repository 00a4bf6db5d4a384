/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The streamed JSON check against the whole-buffer one as the oracle: the same verdict on the same
 * bytes, wherever they are cut. The first byte seeds the cuts (pieces of 1 to 64 bytes, as a small
 * generator picks them); the text is the rest. A piece that feed() refuses must come from a text the
 * whole-buffer check refuses too.
 */

#include <stdlib.h>

#include "fuzz.h"
#include "json-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *) data + 1;
        uint32_t seed;
        JsonStream j;
        bool whole, fed = true;
        size_t len;

        if (size < 1 || size > 1 << 20)
                return 0;
        seed = data[0] | 1u;
        len = size - 1;
        whole = json_text_is_valid(s, len);

        json_stream_init(&j);
        for (size_t off = 0; off < len && fed;) {
                size_t n;

                seed = seed * 1103515245u + 12345u;
                n = 1 + (seed >> 16) % 64;
                if (data[0] == 0)
                        n = len; /* one piece: the whole text */
                if (n > len - off)
                        n = len - off;
                fed = json_stream_feed(&j, s + off, n);
                off += n;
        }
        if (!fed && whole)
                abort();
        if ((fed && json_stream_end(&j)) != whole)
                abort();
        return 0;
}
