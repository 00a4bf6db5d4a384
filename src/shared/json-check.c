/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "json-check.h"

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

static int hex_value(unsigned char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* One UTF-8 sequence (not ASCII) at s->p: the shortest form, no surrogates, at most U+10FFFF. */
static bool utf8_sequence(Scanner *s)
{
        unsigned char c = *s->p;
        size_t k;
        uint32_t cp;

        if (c >= 0xc2 && c <= 0xdf) {
                k = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                k = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                k = 4;
                cp = c & 0x07;
        } else
                return false;
        if ((size_t) (s->end - s->p) < k)
                return false;
        for (size_t i = 1; i < k; i++) {
                if ((s->p[i] & 0xc0) != 0x80)
                        return false;
                cp = (cp << 6) | (s->p[i] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return false;
        s->p += k;
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
                                        if (hex_value(s->p[i]) < 0)
                                                return false;
                                s->p += 5;
                        } else if (strchr("\"\\/bfnrt", *s->p) && *s->p) {
                                s->p++;
                        } else
                                return false;
                } else if (c < 0x80)
                        s->p++;
                else if (!utf8_sequence(s))
                        return false;
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
