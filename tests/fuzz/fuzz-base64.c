/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes base64 decoding (X-Amz-Client-Context comes from the network) and checks that whatever
 * decodes re-encodes to the same text. */

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Buf d = {}, e = {};

        if (base64_decode(&d, (const char *) data, size) >= 0) {
                if (base64_encode(&e, d.data ?: "", d.len) < 0 || e.len != size ||
                    (size > 0 && memcmp(e.data, data, size) != 0))
                        abort();
        }
        buf_done(&d);
        buf_done(&e);
        return 0;
}
