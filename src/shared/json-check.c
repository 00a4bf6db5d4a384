/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

enum {
        JS_VALUE,       /* a value is next */
        JS_ARRAY_HEAD,  /* just after '[': a value or ']' */
        JS_OBJECT_HEAD, /* just after '{': a key or '}' */
        JS_KEY,         /* after ',' in an object: a key */
        JS_COLON,       /* after a key */
        JS_AFTER,       /* after a value: ',' or a closing bracket, or the end */
        JS_STRING,
        JS_ESCAPE,   /* after '\' */
        JS_HEX,      /* in \uXXXX, left digits to go */
        JS_UTF8,     /* in a UTF-8 sequence, left bytes to go */
        JS_LITERAL,  /* in true, false or null */
        JS_MINUS,    /* a number: after '-' */
        JS_ZERO,     /* ... its integer part is 0 */
        JS_INT,      /* ... in its integer part */
        JS_POINT,    /* ... after '.' */
        JS_FRACTION, /* ... in its fraction */
        JS_EXP,      /* ... after 'e' */
        JS_EXP_SIGN, /* ... after its sign */
        JS_EXP_DIGITS,
        JS_FAILED,
};

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether none of these 8 bytes ends a run of plain string content: no quote, backslash, control
 * character or non-ASCII byte (each test is exact: a word that has none tests zero). */
static bool plain8(const unsigned char *p)
{
        uint64_t x, quote, backslash;

        memcpy(&x, p, sizeof(x));
        quote = x ^ (ONES * '"');
        backslash = x ^ (ONES * '\\');
        return ((((x - ONES * 0x20) & ~x) | x | ((quote - ONES) & ~quote) |
                 ((backslash - ONES) & ~backslash)) &
                HIGHS) == 0;
}

/* Past the plain string content at p, in whole words: to the first word with a byte that ends it. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x20);

        /* Signed, bytes from 0x80 are below 0x20 too: one compare finds control and non-ASCII bytes. */
        while (end - p >= 16) {
                __m128i x = _mm_loadu_si128((const __m128i *) p);
                __m128i stop =
                        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                     _mm_cmplt_epi8(x, space));

                if (_mm_movemask_epi8(stop) != 0)
                        break;
                p += 16;
        }
#endif
        while (end - p >= 8 && plain8(p))
                p += 8;
        return p;
}

static bool is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void json_stream_init(JsonStream *j)
{
        *j = (JsonStream){ .state = JS_VALUE };
}

/* A UTF-8 sequence starting with c: how many bytes follow, and the range of the next one, as
 * utf8_sequence_len() decides (no overlong forms, no surrogates, nothing past U+10FFFF). */
static bool utf8_start(JsonStream *j, unsigned char c)
{
        j->lo = 0x80;
        j->hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
                j->left = 1;
        else if (c >= 0xe0 && c <= 0xef) {
                j->left = 2;
                if (c == 0xe0)
                        j->lo = 0xa0;
                else if (c == 0xed)
                        j->hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                j->left = 3;
                if (c == 0xf0)
                        j->lo = 0x90;
                else if (c == 0xf4)
                        j->hi = 0x8f;
        } else
                return false;
        return true;
}

/* The start of a value at c; false if none starts there. */
static bool value_start(JsonStream *j, unsigned char c)
{
        switch (c) {
        case '{':
        case '[':
                if (j->depth >= JSON_CHECK_DEPTH_MAX)
                        return false;
                j->stack[j->depth++] = c == '{';
                j->state = c == '{' ? JS_OBJECT_HEAD : JS_ARRAY_HEAD;
                return true;
        case '"':
                j->key = false;
                j->state = JS_STRING;
                return true;
        case '-':
                j->state = JS_MINUS;
                return true;
        case '0':
                j->state = JS_ZERO;
                return true;
        case 't':
        case 'f':
        case 'n':
                j->literal = c == 't' ? "rue" : c == 'f' ? "alse" : "ull";
                j->state = JS_LITERAL;
                return true;
        default:
                if (is_digit(c)) {
                        j->state = JS_INT;
                        return true;
                }
                return false;
        }
}

/* The closing bracket of the innermost container at c. */
static bool closes(const JsonStream *j, unsigned char c)
{
        return j->depth > 0 && c == (j->stack[j->depth - 1] ? '}' : ']');
}

bool json_stream_feed(JsonStream *j, const char *text, size_t n)
{
        const unsigned char *p = (const unsigned char *) text, *end = p + n;

        while (p < end) {
                unsigned char c;

                if (j->state == JS_STRING) {
                        /* The bulk of a large payload: plain content, 16 or 8 bytes at a time. */
                        p = skip_plain(p, end);
                        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
                                p++;
                        if (p >= end)
                                break;
                }
                c = *p++;
                switch (j->state) {
                case JS_VALUE:
                        if (!is_space(c) && !value_start(j, c))
                                goto fail;
                        break;
                case JS_ARRAY_HEAD:
                        if (is_space(c))
                                break;
                        if (c == ']') {
                                j->depth--;
                                j->state = JS_AFTER;
                        } else if (!value_start(j, c))
                                goto fail;
                        break;
                case JS_OBJECT_HEAD:
                case JS_KEY:
                        if (is_space(c))
                                break;
                        if (c == '}' && j->state == JS_OBJECT_HEAD) {
                                j->depth--;
                                j->state = JS_AFTER;
                        } else if (c == '"') {
                                j->key = true;
                                j->state = JS_STRING;
                        } else
                                goto fail;
                        break;
                case JS_COLON:
                        if (c == ':')
                                j->state = JS_VALUE;
                        else if (!is_space(c))
                                goto fail;
                        break;
                case JS_AFTER:
                        if (is_space(c))
                                break;
                        if (closes(j, c))
                                j->depth--;
                        else if (c == ',' && j->depth > 0)
                                j->state = j->stack[j->depth - 1] ? JS_KEY : JS_VALUE;
                        else
                                goto fail;
                        break;
                case JS_STRING:
                        if (c == '"')
                                j->state = j->key ? JS_COLON : JS_AFTER;
                        else if (c == '\\')
                                j->state = JS_ESCAPE;
                        else if (c >= 0x80 && utf8_start(j, c))
                                j->state = JS_UTF8;
                        else
                                goto fail; /* a control character, or no UTF-8 */
                        break;
                case JS_ESCAPE:
                        if (c == 'u') {
                                j->left = 4;
                                j->state = JS_HEX;
                        } else if (c != 0 && strchr("\"\\/bfnrt", c))
                                j->state = JS_STRING;
                        else
                                goto fail;
                        break;
                case JS_HEX:
                        if (unhexchar((char) c) < 0)
                                goto fail;
                        if (--j->left == 0)
                                j->state = JS_STRING;
                        break;
                case JS_UTF8:
                        if (c < j->lo || c > j->hi)
                                goto fail;
                        j->lo = 0x80;
                        j->hi = 0xbf;
                        if (--j->left == 0)
                                j->state = JS_STRING;
                        break;
                case JS_LITERAL:
                        if (c != (unsigned char) *j->literal++)
                                goto fail;
                        if (!*j->literal)
                                j->state = JS_AFTER;
                        break;
                case JS_MINUS:
                        if (c == '0')
                                j->state = JS_ZERO;
                        else if (is_digit(c))
                                j->state = JS_INT;
                        else
                                goto fail;
                        break;
                case JS_ZERO:
                case JS_INT:
                case JS_FRACTION:
                        if (is_digit(c) && j->state != JS_ZERO)
                                break;
                        if (c == '.' && j->state != JS_FRACTION)
                                j->state = JS_POINT;
                        else if (c == 'e' || c == 'E')
                                j->state = JS_EXP;
                        else {
                                /* The number ended before c: c is what comes after it. */
                                j->state = JS_AFTER;
                                p--;
                        }
                        break;
                case JS_POINT:
                        if (!is_digit(c))
                                goto fail;
                        j->state = JS_FRACTION;
                        break;
                case JS_EXP:
                        if (c == '+' || c == '-')
                                j->state = JS_EXP_SIGN;
                        else if (is_digit(c))
                                j->state = JS_EXP_DIGITS;
                        else
                                goto fail;
                        break;
                case JS_EXP_SIGN:
                        if (!is_digit(c))
                                goto fail;
                        j->state = JS_EXP_DIGITS;
                        break;
                case JS_EXP_DIGITS:
                        if (!is_digit(c)) {
                                j->state = JS_AFTER;
                                p--;
                        }
                        break;
                default:
                        goto fail;
                }
                if (j->state == JS_AFTER && j->depth == 0) {
                        /* The text is whole: only whitespace may follow. */
                        while (p < end && is_space(*p))
                                p++;
                        if (p < end)
                                goto fail;
                }
        }
        return true;

fail:
        j->state = JS_FAILED;
        return false;
}

bool json_stream_end(JsonStream *j)
{
        if (j->depth != 0)
                return false;
        switch (j->state) {
        case JS_AFTER:
        case JS_ZERO:
        case JS_INT:
        case JS_FRACTION:
        case JS_EXP_DIGITS:
                return true;
        default:
                return false;
        }
}
