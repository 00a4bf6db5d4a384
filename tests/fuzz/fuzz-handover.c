/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the parser of the manager's lease record (what a crash, a full disk or a stray file may leave
 * in --state-dir), and checks that whatever it accepts names valid ids once each and formats back to
 * the very same bytes. */

#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "fuzz.h"
#include "handover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(handover_record_done) HandoverRecord r = {};
        _cleanup_free_ char *text = NULL;

        if (handover_parse((const char *) data, size, &r) < 0)
                return 0;
        for (size_t k = 0; k < r.n; k++)
                if (!docker_id_is_valid(r.leases[k].id) || r.leases[k].owner[0] != ':' ||
                    handover_record_owner(&r, r.leases[k].id) != r.leases[k].owner)
                        abort();
        if (handover_format(&r, &text) < 0)
                return 0;
        if (strlen(text) != size || memcmp(text, data, size) != 0)
                abort();
        return 0;
}
