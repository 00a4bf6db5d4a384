/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "code-archive.h"
#include "code-tree.h"
#include "util.h"
#include "macro.h"
#include "strv.h"

#define MIB        (UINT64_C(1024) * 1024)
#define COPY_CHUNK 65536U

/* Whatever the source, what the containers' uid may read: the store's files are world-readable. */
static mode_t file_mode(bool executable)
{
        return executable ? 0755 : 0644;
}

/* An I/O failure on entry path: the message says what failed; error is returned, or -ENOMEM. */
static int entry_failed(char **ret_error, const char *path, int error, const char *what)
{
        int r;

        errno = -error;
        r = code_entry_error(ret_error, path, "%s: %m", what);
        return r == -ENOMEM ? r : error;
}

static int charge(CodeTree *t, const char *path, uint64_t n, char **ret_error)
{
        uint64_t used = t->base + t->size;

        if (used > t->limit || n > t->limit - used) {
                if (t->limit % MIB == 0)
                        return code_entry_error(ret_error, path,
                                                "unpacks to more than %" PRIu64
                                                " MB (AWS's limit for code and layers together)",
                                                t->limit / MIB);
                return code_entry_error(ret_error, path, "unpacks to more than %" PRIu64 " bytes", t->limit);
        }
        /* Entries overwriting each other store little but could write without end. */
        if (t->written + n > 2 * t->limit)
                return code_entry_error(ret_error, path,
                                        "more than %" PRIu64 " bytes written while unpacking: entries "
                                        "overwriting each other",
                                        2 * t->limit);
        t->size += n;
        t->written += n;
        return 0;
}

/* name below dir_fd as a directory of mode 0755, made if missing; never a link to one. */
static int make_directory(int dir_fd, const char *name, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;

        if (mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        /* mkdirat() honoured the umask. */
        if (fchmod(fd, 0755) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The directory that holds the last component of normal (entry path normalised), made if missing;
 * *ret_name points to that component within normal. */
static int open_parent(CodeTree *t, const char *path, const char *normal, int *ret_fd, const char **ret_name,
                       char **ret_error)
{
        _cleanup_close_ int fd = -EBADF;
        const char *p = normal, *slash;
        int r;

        fd = fcntl(t->root_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        while ((slash = strchr(p, '/'))) {
                _cleanup_free_ char *component = strndup(p, (size_t) (slash - p));
                int child;

                if (!component)
                        return -ENOMEM;
                r = make_directory(fd, component, &child);
                if (r == -ENOTDIR) {
                        char quoted[CODE_QUOTE_SIZE];
                        _cleanup_free_ char *prefix = strndup(normal, (size_t) (slash - normal));

                        if (!prefix)
                                return -ENOMEM;
                        return code_entry_error(ret_error, path,
                                                "%s is a symbolic link or a file, not a directory",
                                                code_quote(prefix, quoted));
                }
                if (r < 0)
                        return entry_failed(ret_error, path, r, "cannot make its directory");
                safe_close(fd);
                fd = child;
                p = slash + 1;
        }
        *ret_fd = TAKE_FD(fd);
        *ret_name = p;
        return 0;
}

/* Clears the way for a file or link: one an earlier entry made is replaced. */
static int make_room(CodeTree *t, int dir_fd, const char *name, const char *path, char **ret_error)
{
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : entry_failed(ret_error, path, -errno, "cannot replace it");
        if (S_ISDIR(st.st_mode))
                return code_entry_error(ret_error, path, "a file where an earlier entry made a directory");
        t->size -= MIN(t->size, (uint64_t) st.st_size);
        if (unlinkat(dir_fd, name, 0) < 0)
                return entry_failed(ret_error, path, -errno, "cannot replace it");
        return 0;
}

int code_tree_add(CodeTree *t, const char *path, mode_t type, const char *target, bool executable,
                  int *ret_fd, char **ret_error)
{
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *normal = NULL;
        const char *name = NULL;
        int r;

        r = code_entry_check(path, type, target, ret_error);
        if (r < 0)
                return r;
        r = code_path_normalize(path, &normal);
        if (r < 0)
                return r;
        if (!normal[0])
                return 0; /* the top, a directory that is there */
        r = open_parent(t, path, normal, &dir_fd, &name, ret_error);
        if (r < 0)
                return r;

        switch (type) {
        case S_IFDIR:
                r = make_directory(dir_fd, name, &fd);
                if (r == -ENOTDIR)
                        return code_entry_error(
                                ret_error, path,
                                "a directory where an earlier entry made a file or symbolic link");
                return r < 0 ? entry_failed(ret_error, path, r, "cannot make it") : 0;
        case S_IFLNK:
                r = make_room(t, dir_fd, name, path, ret_error);
                if (r >= 0)
                        r = charge(t, path, strlen(target), ret_error);
                if (r < 0)
                        return r;
                if (symlinkat(target, dir_fd, name) < 0)
                        return entry_failed(ret_error, path, -errno, "cannot make the link");
                return 0;
        default:
                r = make_room(t, dir_fd, name, path, ret_error);
                if (r < 0)
                        return r;
                /* O_EXCL|O_NOFOLLOW: a link in the way is an error, never a way out. */
                fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 || fchmod(fd, file_mode(executable)) < 0)
                        return entry_failed(ret_error, path, -errno, "cannot create it");
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
}

int code_tree_write(CodeTree *t, int fd, const char *path, const void *p, size_t n, char **ret_error)
{
        const char *q = p;
        int r;

        r = charge(t, path, n, ret_error);
        if (r < 0)
                return r;
        while (n > 0) {
                ssize_t k = write(fd, q, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return entry_failed(ret_error, path, -errno, "cannot write it");
                q += k;
                n -= (size_t) k;
        }
        return 0;
}

static bool is_dot_or_dot_dot(const char *s)
{
        return s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]));
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int code_tree_list(int dir_fd, char ***ret)
{
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        int r;

        r = opendir_at(dir_fd, &d);
        if (r < 0)
                return r;
        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        allocated = 1;
        for (errno = 0; (de = readdir(d)); errno = 0) {
                if (is_dot_or_dot_dot(de->d_name))
                        continue;
                /* Doubling: a directory of 100,000 files is no reason for quadratic time. */
                if (n + 1 >= allocated) {
                        char **grown = reallocarray(names, allocated * 2, sizeof(char *));

                        if (!grown)
                                return -ENOMEM;
                        names = grown;
                        allocated *= 2;
                }
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        if (errno != 0)
                return -errno;
        qsort(names, n, sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

/* A walk copying a source directory into a tree. */
typedef struct TreeCopy {
        CodeTree *t;
        EVP_MD_CTX *md;
        uint64_t files;
        Buf path; /* of the entry at hand, relative to the top */
        char **ret_error;
        char chunk[COPY_CHUNK];
} TreeCopy;

static int digest(EVP_MD_CTX *md, const void *p, size_t n)
{
        return EVP_DigestUpdate(md, p, n) == 1 ? 0 : -ENOMEM;
}

/* "T PATH\0" opens each entry's description, T being d, f, x (an executable file) or l. */
static int describe_entry(TreeCopy *c, char type)
{
        const char head[2] = { type, ' ' };
        int r;

        r = digest(c->md, head, sizeof(head));
        return r < 0 ? r : digest(c->md, c->path.data, c->path.len + 1);
}

static int copy_file(TreeCopy *c, int src_fd, const char *name)
{
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        const char *path = c->path.data;
        char size[24];
        struct stat st;
        uint64_t done = 0;
        bool executable;
        int r;

        in = openat(src_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (in < 0 || fstat(in, &st) < 0)
                return entry_failed(c->ret_error, path, -errno, "cannot be read");
        if (!S_ISREG(st.st_mode))
                return code_entry_error(c->ret_error, path, "changed while it was copied");
        executable = (st.st_mode & 0111) != 0;

        /* Then "SIZE\0" and the content. */
        r = describe_entry(c, executable ? 'x' : 'f');
        if (r >= 0)
                r = digest(c->md, size,
                           (size_t) snprintf(size, sizeof(size), "%" PRIu64, (uint64_t) st.st_size) + 1);
        if (r < 0)
                return r;
        r = code_tree_add(c->t, path, S_IFREG, NULL, executable, &out, c->ret_error);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = read(in, c->chunk, sizeof(c->chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return entry_failed(c->ret_error, path, -errno, "cannot be read");
                if (n == 0)
                        break;
                if (done + (uint64_t) n > (uint64_t) st.st_size)
                        return code_entry_error(c->ret_error, path, "changed while it was copied");
                r = digest(c->md, c->chunk, (size_t) n);
                if (r >= 0)
                        r = code_tree_write(c->t, out, path, c->chunk, (size_t) n, c->ret_error);
                if (r < 0)
                        return r;
                done += (uint64_t) n;
        }
        if (done != (uint64_t) st.st_size)
                return code_entry_error(c->ret_error, path, "changed while it was copied");
        c->files += done;
        return 0;
}

static int copy_link(TreeCopy *c, int src_fd, const char *name)
{
        const char *path = c->path.data;
        char target[CODE_PATH_MAX + 2];
        ssize_t n;
        int r;

        n = readlinkat(src_fd, name, target, sizeof(target) - 1);
        if (n < 0)
                return entry_failed(c->ret_error, path, -errno, "cannot be read");
        /* Too long a target is cut here, and refused as too long by code_tree_add(). */
        target[n] = 0;
        /* Then "TARGET\0". */
        r = describe_entry(c, 'l');
        if (r >= 0)
                r = digest(c->md, target, (size_t) n + 1);
        if (r < 0)
                return r;
        return code_tree_add(c->t, path, S_IFLNK, target, false, NULL, c->ret_error);
}

static int copy_directory(TreeCopy *c, int src_fd);

static int copy_entry(TreeCopy *c, int src_fd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        const char *path = c->path.data;
        struct stat st;
        int r;

        if (fstatat(src_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_failed(c->ret_error, path, -errno, "cannot be read");
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
                return copy_file(c, src_fd, name);
        case S_IFLNK:
                return copy_link(c, src_fd, name);
        case S_IFDIR:
                /* Checked before the walk goes down, which bounds its depth. */
                r = code_tree_add(c->t, path, S_IFDIR, NULL, false, NULL, c->ret_error);
                if (r >= 0)
                        r = describe_entry(c, 'd');
                if (r < 0)
                        return r;
                fd = openat(src_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return entry_failed(c->ret_error, path, -errno, "cannot be read");
                return copy_directory(c, fd);
        default:
                /* Refused, with the type named. */
                return code_tree_add(c->t, path, st.st_mode & S_IFMT, NULL, false, NULL, c->ret_error);
        }
}

static int copy_directory(TreeCopy *c, int src_fd)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = code_tree_list(src_fd, &names);
        if (r < 0)
                return entry_failed(c->ret_error, c->path.len > 0 ? c->path.data : ".", r,
                                    "cannot be listed");
        for (char **name_p = names; *name_p; name_p++) {
                const char *name = *name_p;
                size_t len = c->path.len;

                r = buf_printf(&c->path, "%s%s", len > 0 ? "/" : "", name);
                if (r >= 0)
                        r = copy_entry(c, src_fd, name);
                c->path.len = len;
                c->path.data[len] = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

int code_tree_copy(CodeTree *t, int src_fd, EVP_MD_CTX *md, uint64_t *ret_files, char **ret_error)
{
        _cleanup_free_ TreeCopy *c = NULL;
        int r;

        c = calloc(1, sizeof(TreeCopy));
        if (!c)
                return -ENOMEM;
        c->t = t;
        c->md = md;
        c->ret_error = ret_error;
        r = buf_append(&c->path, "", 0);
        if (r >= 0)
                r = copy_directory(c, src_fd);
        buf_done(&c->path);
        if (r < 0)
                return r;
        *ret_files = c->files;
        return 0;
}

static int measure(int dir_fd, unsigned depth, uint64_t *size)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (depth > CODE_DEPTH_MAX)
                return -ELOOP;
        r = code_tree_list(dir_fd, &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (fstatat(dir_fd, *name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
                        *size += (uint64_t) st.st_size;
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                fd = openat(dir_fd, *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                r = measure(fd, depth + 1, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

int code_tree_measure(int dir_fd, uint64_t *ret)
{
        uint64_t size = 0;
        int r;

        r = measure(dir_fd, 0, &size);
        if (r < 0)
                return r;
        *ret = size;
        return 0;
}

static int remove_at(int dir_fd, const char *name, unsigned depth)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (depth > CODE_DEPTH_MAX)
                return -ELOOP;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = code_tree_list(fd, &names);
        for (char **child = names; r >= 0 && *child; child++)
                r = remove_at(fd, *child, depth + 1);
        if (r < 0)
                return r;
        return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int code_tree_remove(int dir_fd, const char *name)
{
        return remove_at(dir_fd, name, 0);
}
