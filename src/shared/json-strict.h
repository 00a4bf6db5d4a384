/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * json-strict.h: one JSON text parsed with json-c in strict mode (no comments, trailing commas or
 * other extensions; valid UTF-8; nesting bounded), json-c's quirk at the end of input handled once:
 * all input taken leaves a bare top-level value ("42", "null") unfinished until json-c is told the
 * input is over. Used where a whole document is read: the manager's declarations, the gateway's
 * Function URL answers.
 */

#include <stddef.h>

#include <json-c/json.h>

/* Parses s[0..len) (the caller refuses NUL bytes first: json-c would end the input there). 0 with
 * the value in *ret, and in *ret_end where json-c stopped (only whitespace may follow, which json-c
 * may have left: the caller decides whether it may be there);
 * -EBADMSG with json-c's error in *ret_error (when not NULL) and where parsing stopped in *ret_end;
 * -ENOMEM. */
int json_parse_strict(const char *s, size_t len, int depth, json_object **ret, size_t *ret_end,
                      enum json_tokener_error *ret_error);
