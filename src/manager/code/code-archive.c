/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "code-archive.h"
#include "macro.h"

#define ALLOWED_TYPES "only files, directories and symbolic links can be code"

/* What the components of a path amount to. */
typedef struct PathShape {
        unsigned depth;     /* components other than "." and ".." */
        unsigned up;        /* ".." components before any name */
        bool up_after_name; /* a ".." after a name: "a/../b" */
        bool name_too_long; /* a component longer than NAME_MAX */
} PathShape;

/* The next component of the path at *p, '/'s skipped: its start in *ret, its length returned (0 at
 * the end); *p moves past it. */
static size_t next_component(const char **p, const char **ret)
{
        const char *s = *p + strspn(*p, "/");
        size_t n = strcspn(s, "/");

        *ret = s;
        *p = s + n;
        return n;
}

static bool is_dot(const char *c, size_t n)
{
        return n == 1 && c[0] == '.';
}

static bool is_dot_dot(const char *c, size_t n)
{
        return n == 2 && c[0] == '.' && c[1] == '.';
}

static PathShape path_shape(const char *s)
{
        PathShape shape = {};
        const char *c;
        size_t n;

        while ((n = next_component(&s, &c)) > 0) {
                if (n > NAME_MAX)
                        shape.name_too_long = true;
                if (is_dot(c, n))
                        continue;
                if (!is_dot_dot(c, n))
                        shape.depth++;
                else if (shape.depth == 0)
                        shape.up++;
                else
                        shape.up_after_name = true;
        }
        return shape;
}

static bool has_control_character(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

const char *code_quote(const char *s, char buf[static CODE_QUOTE_SIZE])
{
        /* Room for the widest escape, the closing quote, "..." and the NUL. */
        const size_t limit = CODE_QUOTE_SIZE - STRLEN("\\xff\"...") - 1;
        size_t n = 0;

        buf[n++] = '"';
        for (; *s && n < limit; s++) {
                unsigned char c = (unsigned char) *s;

                if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                        n += (size_t) snprintf(buf + n, CODE_QUOTE_SIZE - n, "\\x%02x", c);
                else
                        buf[n++] = (char) c;
        }
        (void) snprintf(buf + n, CODE_QUOTE_SIZE - n, "\"%s", *s ? "..." : "");
        return buf;
}

int code_entry_error(char **ret_error, const char *path, const char *format, ...)
{
        char quoted[CODE_QUOTE_SIZE];
        Buf b = {};
        va_list ap;
        int r;

        r = buf_printf(&b, "entry %s: ", code_quote(path, quoted));
        if (r >= 0) {
                va_start(ap, format);
                r = buf_vprintf(&b, format, ap);
                va_end(ap);
        }
        if (r < 0) {
                buf_done(&b);
                return -ENOMEM;
        }
        if (ret_error)
                *ret_error = buf_steal(&b, NULL);
        buf_done(&b);
        return -EINVAL;
}

static int check_link_target(const char *path, unsigned depth, const char *target, char **ret_error)
{
        char quoted[CODE_QUOTE_SIZE];
        PathShape shape;

        if (!target || !target[0])
                return code_entry_error(ret_error, path, "a symbolic link with an empty target");
        code_quote(target, quoted);
        if (has_control_character(target))
                return code_entry_error(ret_error, path, "a symbolic link to %s, a control character",
                                        quoted);
        if (strlen(target) > CODE_PATH_MAX)
                return code_entry_error(ret_error, path, "a symbolic link to a path longer than %u bytes",
                                        CODE_PATH_MAX);
        if (target[0] == '/')
                return code_entry_error(
                        ret_error, path,
                        "a symbolic link to the absolute path %s, outside the code directory", quoted);
        shape = path_shape(target);
        /* The link's own directory is one level above the link. */
        if (shape.up > depth - 1)
                return code_entry_error(ret_error, path, "a symbolic link to %s, leaving the code directory",
                                        quoted);
        if (shape.up_after_name)
                return code_entry_error(ret_error, path,
                                        "a symbolic link to %s: \"..\" may only lead a link's target",
                                        quoted);
        return 0;
}

int code_entry_check(const char *path, mode_t type, const char *link_target, char **ret_error)
{
        PathShape shape;

        if (!path || !path[0])
                return code_entry_error(ret_error, "", "an empty name");
        if (path[0] == '/')
                return code_entry_error(ret_error, path, "an absolute path, outside the code directory");
        if (strlen(path) > CODE_PATH_MAX)
                return code_entry_error(ret_error, path, "a path longer than %u bytes", CODE_PATH_MAX);
        if (has_control_character(path))
                return code_entry_error(ret_error, path, "a control character in the name");

        shape = path_shape(path);
        if (shape.up > 0)
                return code_entry_error(ret_error, path, "a path leaving the code directory");
        if (shape.up_after_name)
                return code_entry_error(ret_error, path, "a \"..\" component in the path");
        if (shape.name_too_long)
                return code_entry_error(ret_error, path, "a name longer than %u bytes", NAME_MAX);
        if (shape.depth > CODE_DEPTH_MAX)
                return code_entry_error(ret_error, path, "more than %u levels deep", CODE_DEPTH_MAX);
        if (shape.depth == 0 && type != S_IFDIR)
                return code_entry_error(ret_error, path, "an empty name");

        switch (type) {
        case S_IFDIR:
        case S_IFREG:
                if (link_target)
                        return code_entry_error(ret_error, path, "a hard link; " ALLOWED_TYPES);
                return 0;
        case S_IFLNK:
                return check_link_target(path, shape.depth, link_target, ret_error);
        case S_IFCHR:
        case S_IFBLK:
                return code_entry_error(ret_error, path, "a device file; " ALLOWED_TYPES);
        case S_IFIFO:
                return code_entry_error(ret_error, path, "a fifo; " ALLOWED_TYPES);
        case S_IFSOCK:
                return code_entry_error(ret_error, path, "a socket; " ALLOWED_TYPES);
        default:
                return code_entry_error(ret_error, path, "an entry of unknown type; " ALLOWED_TYPES);
        }
}

int code_path_normalize(const char *path, char **ret)
{
        const char *c, *p = path;
        Buf b = {};
        size_t n;
        int r = 0;

        if (!path || !path[0] || path[0] == '/')
                return -EINVAL;
        while (r >= 0 && (n = next_component(&p, &c)) > 0) {
                if (is_dot(c, n))
                        continue;
                if (is_dot_dot(c, n))
                        r = -EINVAL;
                else if (!buf_empty(&b))
                        r = buf_append(&b, "/", 1);
                if (r >= 0)
                        r = buf_append(&b, c, n);
        }
        if (r >= 0)
                r = buf_append(&b, "", 0);
        if (r < 0) {
                buf_done(&b);
                return r;
        }
        *ret = buf_steal(&b, NULL);
        return 0;
}
