/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>

#include "json-strict.h"

int json_parse_strict(const char *s, size_t len, int depth, json_object **ret, size_t *ret_end,
                      enum json_tokener_error *ret_error)
{
        enum json_tokener_error e = json_tokener_error_size;
        json_tokener *tok;
        json_object *o = NULL;
        size_t end = 0;

        if (len <= INT32_MAX) {
                tok = json_tokener_new_ex(depth);
                if (!tok)
                        return -ENOMEM;
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
                o = json_tokener_parse_ex(tok, s, (int) len);
                e = json_tokener_get_error(tok);
                end = json_tokener_get_parse_end(tok);
                if (e == json_tokener_continue) {
                        /* All input was taken: a NUL tells json-c it is over, which completes a bare
                         * top-level value and turns an unfinished one into an error. */
                        o = json_tokener_parse_ex(tok, "", 1);
                        e = json_tokener_get_error(tok);
                        end = len;
                }
                json_tokener_free(tok);
        }
        *ret_end = end;
        if (ret_error)
                *ret_error = e;
        if (e != json_tokener_success) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}
