/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The manager's configuration files (declarations, code runtimes, environment files) read the same
 * way: a small regular file, one strict JSON object in it, and errors that describe the offending
 * value without quoting a whole file into the log. See config-file.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "config-file.h"
#include "json-strict.h"
#include "util.h"

/* A config is an object whose deepest value is url.cors's lists (object, url, cors, list, and json-c counts
 * one more); anything deeper is a mistake, and the limit keeps hostile nesting cheap. */
#define JSON_DEPTH_MAX 5

#define DESCRIBE_MAX  CONFIG_DESCRIBE_MAX
#define DESCRIBE_SIZE CONFIG_DESCRIBE_SIZE

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* Cuts s to DESCRIBE_MAX bytes, on a UTF-8 character boundary, marking the cut. */
static const char *truncate_for_message(const char *s, char buf[static DESCRIBE_SIZE])
{
        size_t n = strlen(s);

        if (n <= DESCRIBE_MAX)
                return s;
        n = DESCRIBE_MAX;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        memcpy(buf, s, n);
        memcpy(buf + n, "...", STRLEN("...") + 1);
        return buf;
}

/* A JSON value as the operator wrote it (JSON text, so control characters stay escaped). */
const char *config_describe_value(json_object *v, char buf[static DESCRIBE_SIZE])
{
        const char *s =
                json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return truncate_for_message(s ?: "?", buf);
}

/* A name taken from a file name or a JSON key, quoted, with anything but printable ASCII escaped so it
 * cannot forge log lines. */
const char *config_describe_name(const char *name, char buf[static DESCRIBE_SIZE])
{
        /* Room left for the closing quote, "..." and the NUL. */
        const size_t limit = DESCRIBE_SIZE - STRLEN("\"...") - 1;
        const char *p;
        size_t n = 0;

        buf[n++] = '"';
        for (p = name; *p; p++) {
                unsigned char c = (unsigned char) *p;
                bool escape = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';

                if (n + (escape ? STRLEN("\\xff") : 1) > limit)
                        break;
                if (escape)
                        n += (size_t) snprintf(buf + n, DESCRIBE_SIZE - n, "\\x%02x", c);
                else
                        buf[n++] = (char) c;
        }
        buf[n++] = '"';
        if (*p) {
                memcpy(buf + n, "...", STRLEN("..."));
                n += STRLEN("...");
        }
        buf[n] = 0;
        return buf;
}

/* A string without embedded NULs: C code downstream would silently cut it short. */
const char *config_json_string(json_object *v)
{
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return NULL;
        s = json_object_get_string(v);
        return strlen(s) == (size_t) json_object_get_string_len(v) ? s : NULL;
}

static void offset_to_position(const char *s, size_t offset, unsigned *ret_line, unsigned *ret_column)
{
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset; i++)
                if (s[i] == '\n') {
                        line++;
                        column = 1;
                } else
                        column++;
        *ret_line = line;
        *ret_column = column;
}

int config_json_parse(const char *json, size_t len, json_object **ret, char **ret_error)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        enum json_tokener_error e;
        unsigned line, column;
        char got[DESCRIBE_SIZE];
        size_t end;
        int r;

        if (len > FUNCTION_CONFIG_SIZE_MAX)
                return set_error(ret_error, "expected at most %u bytes of JSON, got %zu",
                                 FUNCTION_CONFIG_SIZE_MAX, len);
        if (len == 0)
                return set_error(ret_error, "expected a JSON object, got an empty file");
        /* json-c stops at a NUL and reports success for what came before. */
        if (memchr(json, 0, len)) {
                offset_to_position(json, (size_t) ((const char *) memchr(json, 0, len) - json), &line,
                                   &column);
                return set_error(ret_error, "invalid JSON at line %u, column %u: NUL byte", line, column);
        }

        /* Strict: no comments, trailing commas or trailing data; and valid UTF-8, as logs and Docker
         * expect. */
        r = json_parse_strict(json, len, JSON_DEPTH_MAX, &o, &end, &e);
        if (r == -ENOMEM)
                return r;
        offset_to_position(json, MIN(end, len), &line, &column);
        if (r < 0 && e == json_tokener_error_parse_eof)
                return set_error(ret_error, "invalid JSON at line %u, column %u: unexpected end of file",
                                 line, column);
        if (r < 0)
                return set_error(ret_error, "invalid JSON at line %u, column %u: %s", line, column,
                                 json_tokener_error_desc(e));
        if (end != len)
                return set_error(ret_error, "invalid JSON at line %u, column %u: trailing data", line,
                                 column);
        if (!json_object_is_type(o, json_type_object))
                return set_error(ret_error, "expected a JSON object, got %s", config_describe_value(o, got));

        *ret = TAKE_PTR(o);
        return 0;
}

int config_file_read(int dir_fd, const char *filename, char **ret_data, size_t *ret_len, char **ret_error)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;

        /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
        fd = openat(dir_fd, filename, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOMEM)
                        return -ENOMEM;
                if (errno == ELOOP)
                        return set_error(ret_error, "is a symbolic link, refusing to follow it");
                return set_error(ret_error, "failed to open: %m");
        }
        if (fstat(fd, &st) < 0)
                return set_error(ret_error, "failed to stat: %m");
        if (!S_ISREG(st.st_mode))
                return set_error(ret_error, "not a regular file");
        if (st.st_size > (off_t) FUNCTION_CONFIG_SIZE_MAX)
                return set_error(ret_error, "expected at most %u bytes of JSON, got %jd",
                                 FUNCTION_CONFIG_SIZE_MAX, (intmax_t) st.st_size);

        /* One byte more than allowed, to notice a file that grew since fstat(). */
        data = malloc(FUNCTION_CONFIG_SIZE_MAX + 2);
        if (!data)
                return -ENOMEM;
        while (len <= FUNCTION_CONFIG_SIZE_MAX) {
                ssize_t n = read(fd, data + len, FUNCTION_CONFIG_SIZE_MAX + 1 - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return set_error(ret_error, "failed to read: %m");
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > FUNCTION_CONFIG_SIZE_MAX)
                return set_error(ret_error, "expected at most %u bytes of JSON, got more",
                                 FUNCTION_CONFIG_SIZE_MAX);
        data[len] = 0;

        *ret_data = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}
