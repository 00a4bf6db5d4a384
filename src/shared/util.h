/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * util.h: small helpers with no better home: clocks in microseconds, random request ids, strict
 * number parsing for command lines, environment and config values.
 */

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "macro.h"

#define USEC_PER_SEC  ((uint64_t) 1000000)
#define USEC_PER_MSEC ((uint64_t) 1000)

uint64_t now_usec(clockid_t clock);

/* A random RFC 4122 version 4 UUID in its 36-character text form. */
#define UUID_STRING_MAX 37
int random_uuid(char ret[static UUID_STRING_MAX]);

/* Request ids for a hot path: UUIDs in the version 4 form from a generator seeded once from the
 * kernel's randomness, so that ids stay unique across restarts without a system call per id. */
typedef struct UuidGenerator {
        uint64_t key[2];
        uint64_t counter;
} UuidGenerator;

int uuid_generator_init(UuidGenerator *g);
void uuid_generator_next(UuidGenerator *g, char ret[static UUID_STRING_MAX]);

/* Lower-case hex of n random bytes into ret (2n+1 bytes). */
int random_hex(char *ret, size_t n);

/* Parses a whole decimal unsigned number in [min, max]; -EINVAL or -ERANGE otherwise. */
int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret);

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not a valid one: no overlong
 * forms, no surrogates, nothing past U+10FFFF. */
size_t utf8_sequence_len(const unsigned char *s, size_t n);

/* The value of a hex digit, or -EINVAL. */
int unhexchar(char c);

/* For parsers that explain what is wrong: sets *ret_error (when asked for) to the formatted
 * message and returns -EINVAL, or -ENOMEM. */
int set_error(char **ret_error, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The delay before try n (from 1) of something that keeps failing: min, doubling each time, never
 * more than max. */
uint64_t backoff_usec(unsigned n, uint64_t min, uint64_t max);

/* Parses "1", "yes", "true", "on" and their negatives. */
int parse_boolean(const char *s);

/* A directory stream over the directory dir_fd refers to, with an fd and an offset of its own (dir_fd
 * stays open and where it was). */
int opendir_at(int dir_fd, DIR **ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
