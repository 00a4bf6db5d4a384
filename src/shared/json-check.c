/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "json-check.h"
#include "util.h"

typedef struct Scanner {
        const unsigned char *p, *end;
} Scanner;

static void skip_space(Scanner *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

static bool literal(Scanner *s, const char *word)
{
        size_t n = strlen(word);

        if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return false;
        s->p += n;
        return true;
}

static bool is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static bool digits(Scanner *s)
{
        const unsigned char *start = s->p;

        while (s->p < s->end && is_digit(*s->p))
                s->p++;
        return s->p > start;
}

static bool number(Scanner *s)
{
        if (s->p < s->end && *s->p == '-')
                s->p++;
        if (s->p < s->end && *s->p == '0')
                s->p++;
        else if (!digits(s))
                return false;
        if (s->p < s->end && *s->p == '.') {
                s->p++;
                if (!digits(s))
                        return false;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
                        s->p++;
                if (!digits(s))
                        return false;
        }
        return true;
}

static bool string(Scanner *s)
{
        s->p++; /* the opening quote */
        while (s->p < s->end) {
                unsigned char c = *s->p;

                if (c == '"') {
                        s->p++;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        s->p++;
                        if (s->p >= s->end)
                                return false;
                        if (*s->p == 'u') {
                                if (s->end - s->p < 5)
                                        return false;
                                for (int i = 1; i <= 4; i++)
                                        if (unhexchar((char) s->p[i]) < 0)
                                                return false;
                                s->p += 5;
                        } else if (strchr("\"\\/bfnrt", *s->p) && *s->p) {
                                s->p++;
                        } else
                                return false;
                } else {
                        size_t k = utf8_sequence_len(s->p, (size_t) (s->end - s->p));

                        if (k == 0)
                                return false;
                        s->p += k;
                }
        }
        return false;
}

bool json_text_is_valid(const char *text, size_t len)
{
        /* Whether each open container is an object (1) or an array (0), innermost last. */
        uint8_t stack[JSON_CHECK_DEPTH_MAX];
        size_t depth = 0;
        Scanner s = { (const unsigned char *) text, (const unsigned char *) text + len };

        if (!text)
                return false;
        for (;;) {
                /* A value. */
                skip_space(&s);
                if (s.p >= s.end)
                        return false;
                if (*s.p == '{' || *s.p == '[') {
                        bool object = *s.p == '{';

                        if (depth >= JSON_CHECK_DEPTH_MAX)
                                return false;
                        stack[depth++] = object;
                        s.p++;
                        skip_space(&s);
                        if (s.p < s.end && *s.p == (object ? '}' : ']')) {
                                s.p++;
                                depth--;
                                goto after_value;
                        }
                        if (object) {
                                if (s.p >= s.end || *s.p != '"' || !string(&s))
                                        return false;
                                skip_space(&s);
                                if (s.p >= s.end || *s.p++ != ':')
                                        return false;
                        }
                        continue;
                }
                if (*s.p == '"') {
                        if (!string(&s))
                                return false;
                } else if (*s.p == '-' || is_digit(*s.p)) {
                        if (!number(&s))
                                return false;
                } else if (!literal(&s, "true") && !literal(&s, "false") && !literal(&s, "null"))
                        return false;

        after_value:
                /* Close what ends here, then a separator or the end of the text. */
                for (;;) {
                        skip_space(&s);
                        if (depth == 0)
                                return s.p == s.end;
                        if (s.p >= s.end)
                                return false;
                        if (*s.p == (stack[depth - 1] ? '}' : ']')) {
                                s.p++;
                                depth--;
                                continue;
                        }
                        if (*s.p != ',')
                                return false;
                        s.p++;
                        if (stack[depth - 1]) {
                                skip_space(&s);
                                if (s.p >= s.end || *s.p != '"' || !string(&s))
                                        return false;
                                skip_space(&s);
                                if (s.p >= s.end || *s.p++ != ':')
                                        return false;
                        }
                        break;
                }
        }
}
