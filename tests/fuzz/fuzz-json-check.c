/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The one-pass JSON validator against json-c as the oracle: what it accepts, json-c parses (strict,
 * UTF-8 checked, the same depth); what json-c parses, it accepts too, except json-c's own leniencies
 * (NaN and Infinity, "1." or "-.5" without digits around the point, leading zeros, raw control characters
 * inside strings, UTF-16 surrogates encoded in UTF-8).
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "json-check.h"
#include "util.h"

static bool json_c_accepts(const char *s, size_t len)
{
        json_tokener *tok = json_tokener_new_ex(JSON_CHECK_DEPTH_MAX);
        enum json_tokener_error e;
        json_object *o;
        size_t end;
        bool ok;

        if (!tok)
                abort();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, s, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (e == json_tokener_continue) {
                json_object_put(o);
                o = json_tokener_parse_ex(tok, "", 1);
                e = json_tokener_get_error(tok);
                end = len;
        }
        ok = e == json_tokener_success && end == len;
        json_object_put(o);
        json_tokener_free(tok);
        return ok;
}

/* Whether s has "nan" or "inf" in any case at i. */
static bool nan_or_inf_at(const char *s, size_t len, size_t i)
{
        return len - i >= 3 && (strncasecmp(s + i, "nan", 3) == 0 || strncasecmp(s + i, "inf", 3) == 0);
}

static bool has_json_c_leniency(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || nan_or_inf_at(s, len, i))
                        return true;
                if (c == '.' && (i == 0 || i + 1 == len || s[i - 1] < '0' || s[i - 1] > '9' ||
                                 s[i + 1] < '0' || s[i + 1] > '9'))
                        return true;
                if (c >= 0x80) {
                        size_t k = utf8_sequence_len((const unsigned char *) s + i, len - i);

                        if (k == 0)
                                return true;
                        i += k - 1;
                        continue;
                }
                if (c == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
                        return true;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *) data;
        bool ours, theirs;

        /* json-c stops at a NUL; so does nothing of ours, but the oracle cannot judge such input. */
        if (size > 1 << 20 || memchr(s, 0, size))
                return 0;
        ours = json_text_is_valid(s, size);
        theirs = json_c_accepts(s, size);
        if (ours && !theirs)
                abort();
        if (!ours && theirs && !has_json_c_leniency(s, size))
                abort();
        return 0;
}
