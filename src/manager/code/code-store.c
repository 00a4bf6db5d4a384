/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "base64.h"
#include "code-archive.h"
#include "code-store.h"
#include "code-tree.h"
#include "strv.h"
#include "util.h"

#define SHA256_SIZE      32U
#define SHA256_HEX_SIZE  (2 * SHA256_SIZE + 1)
#define TEMPORARY_PREFIX ".tmp-"
#define TEMPORARY_SIZE   (STRLEN(TEMPORARY_PREFIX) + 13)
#define ENTRY_NAME_SIZE  (STRLEN("code-") + SHA256_HEX_SIZE)
#define READ_CHUNK       65536U
/* Room below the store's path for an entry name and a path of the code (CODE_PATH_MAX). */
#define STORE_PATH_MAX (PATH_MAX - CODE_PATH_MAX - 2 * NAME_MAX)

struct CodeStore {
        int dir_fd;
        char *path; /* absolute, canonical */
};

/* A zip the store reads: open, checked and hashed before a byte of it is unpacked. */
typedef struct ZipInput {
        const char *path;
        int fd;
        struct stat st;
        char sha256[45]; /* base64: AWS's CodeSha256 */
        char hex[SHA256_HEX_SIZE];
} ZipInput;

/* One entry of the store being made, under a temporary name until committed. */
typedef struct Pending {
        CodeStore *s;
        char name[ENTRY_NAME_SIZE];
        char temporary[TEMPORARY_SIZE];
        int fd;    /* of the temporary */
        bool made; /* the temporary exists and is ours to remove */
} Pending;

/* libarchive reading a ZipInput with pread(), so that seeking (the central directory) never
 * depends on a shared file offset. */
typedef struct ZipReader {
        int fd;
        int64_t offset, size;
        char chunk[READ_CHUNK]; /* what zip_read() hands libarchive, which it may hold on to */
        char data[READ_CHUNK];  /* what the entries unpack to, on their way to the disk */
} ZipReader;

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free);

void code_prepared_done(CodePrepared *p)
{
        free(p->task_dir);
        free(p->opt_dir);
        *p = (CodePrepared){};
}

/* *ret_error = "FILE: MESSAGE" (msg taken); returns r, or -ENOMEM. */
static int failed_in(char **ret_error, const char *file, int r, char *msg)
{
        _cleanup_free_ char *m = msg;
        int k;

        k = set_error(ret_error, "%s: %s", file, m ?: "failed");
        return k == -ENOMEM ? k : r;
}

/* A file that cannot be read: its errno and "FILE: what: strerror". */
static int file_failed(char **ret_error, const char *file, int error, const char *what)
{
        int r;

        errno = -error;
        r = set_error(ret_error, "%s: %s: %m", file, what);
        return r == -ENOMEM ? r : error;
}

/* A source that cannot be opened: a link in its place says so (O_NOFOLLOW gives ELOOP or ENOTDIR). */
static int open_failed(char **ret_error, const char *file, int error, const char *what)
{
        struct stat st;
        int r;

        if ((error == -ELOOP || error == -ENOTDIR) && lstat(file, &st) >= 0 && S_ISLNK(st.st_mode)) {
                r = set_error(ret_error, "%s: a symbolic link; name what it points to", file);
                return r == -ENOMEM ? r : -ELOOP;
        }
        return file_failed(ret_error, file, error, what);
}

static int sha256_begin(EVP_MD_CTX **ret)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();

        if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(md);
                return -ENOMEM;
        }
        *ret = md;
        return 0;
}

/* The digest as base64 (CodeSha256) and as hex (store names). */
static int sha256_end(EVP_MD_CTX *md, char ret_base64[static 45], char ret_hex[static SHA256_HEX_SIZE])
{
        uint8_t digest[SHA256_SIZE];
        unsigned n = 0;
        Buf b = {};
        int r;

        if (EVP_DigestFinal_ex(md, digest, &n) != 1 || n != SHA256_SIZE)
                return -ENOMEM;
        r = base64_encode(&b, digest, sizeof(digest));
        if (r < 0)
                return r;
        memcpy(ret_base64, b.data, 45);
        buf_done(&b);
        for (size_t i = 0; i < SHA256_SIZE; i++)
                (void) snprintf(ret_hex + 2 * i, 3, "%02x", digest[i]);
        return 0;
}

static void zip_input_done(ZipInput *z)
{
        z->fd = safe_close(z->fd);
}

/* Opens z->path, checks it is a regular file within AWS's limit and hashes it. */
static int zip_input_open(ZipInput *z, char **ret_error)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
        char chunk[READ_CHUNK];
        uint64_t done = 0;
        int r;

        /* O_NONBLOCK: a fifo in its place must not hang the open. */
        z->fd = open(z->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (z->fd < 0)
                return open_failed(ret_error, z->path, -errno, "cannot open it");
        if (fstat(z->fd, &z->st) < 0)
                return file_failed(ret_error, z->path, -errno, "cannot read it");
        if (!S_ISREG(z->st.st_mode))
                return set_error(ret_error, "%s: not a regular file", z->path);
        if ((uint64_t) z->st.st_size > CODE_ZIPPED_MAX)
                return set_error(ret_error,
                                 "%s: %" PRIu64 " bytes, more than the %" PRIu64 " bytes (%" PRIu64
                                 " MB) AWS allows for a zip file",
                                 z->path, (uint64_t) z->st.st_size, CODE_ZIPPED_MAX, CODE_ZIPPED_MAX >> 20);

        r = sha256_begin(&md);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = pread(z->fd, chunk, sizeof(chunk), (off_t) done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return file_failed(ret_error, z->path, -errno, "cannot read it");
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(md, chunk, (size_t) n) != 1)
                        return -ENOMEM;
                done += (uint64_t) n;
        }
        if (done != (uint64_t) z->st.st_size)
                return set_error(ret_error, "%s: changed while it was read", z->path);
        return sha256_end(md, z->sha256, z->hex);
}

static la_ssize_t zip_read(struct archive *a, void *userdata, const void **ret)
{
        ZipReader *z = userdata;

        for (;;) {
                ssize_t n = pread(z->fd, z->chunk, sizeof(z->chunk), z->offset);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        archive_set_error(a, errno, "Read error");
                        return -1;
                }
                z->offset += n;
                *ret = z->chunk;
                return n;
        }
}

static la_int64_t zip_seek(struct archive *a, void *userdata, la_int64_t offset, int whence)
{
        ZipReader *z = userdata;
        int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? z->offset : z->size;

        if (offset < -base || offset > INT64_MAX - base)
                return ARCHIVE_FATAL;
        z->offset = base + offset;
        return z->offset;
}

static la_int64_t zip_skip(struct archive *a, void *userdata, la_int64_t request)
{
        ZipReader *z = userdata;
        int64_t n = MAX(MIN(request, z->size - z->offset), 0);

        z->offset += n;
        return n;
}

/* Why a file gave no first entry: no zip at all, one cut short (which keeps its first local header
 * but loses the central directory at the end), an empty or a damaged one. */
static int zip_unreadable(struct archive *a, const ZipInput *z, char **ret_error)
{
        char magic[4] = {};

        if (archive_format(a) != 0)
                return set_error(ret_error, "a damaged zip file: %s",
                                 archive_error_string(a) ?: "unreadable");
        if (pread(z->fd, magic, sizeof(magic), 0) != (ssize_t) sizeof(magic))
                return set_error(ret_error, "not a zip file");
        if (memcmp(magic, "PK\3\4", 4) == 0)
                return set_error(ret_error, "a truncated zip file: its central directory is missing");
        /* Nothing but the end of a central directory (libarchive bids on no such zip); AWS refuses
         * them too. */
        if (memcmp(magic, "PK\5\6", 4) == 0)
                return set_error(ret_error, "an empty zip file");
        return set_error(ret_error, "not a zip file");
}

static int unzip_data(struct archive *a, CodeTree *t, int fd, const char *path, char *chunk,
                      char **ret_error)
{
        int r;

        for (;;) {
                la_ssize_t n = archive_read_data(a, chunk, READ_CHUNK);

                if (n == 0)
                        return 0;
                if (n < 0)
                        return code_entry_error(ret_error, path, "truncated or damaged: %s",
                                                archive_error_string(a) ?: "cannot be read");
                r = code_tree_write(t, fd, path, chunk, (size_t) n, ret_error);
                if (r < 0)
                        return r;
        }
}

/* Unpacks the zip z into t. Messages name the entry; the caller names the file. */
static int unzip(const ZipInput *z, CodeTree *t, char **ret_error)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        _cleanup_free_ ZipReader *reader = NULL;
        struct archive_entry *e;
        int r;

        reader = calloc(1, sizeof(ZipReader));
        a = archive_read_new();
        if (!reader || !a)
                return -ENOMEM;
        reader->fd = z->fd;
        reader->size = z->st.st_size;
        /* Only the reader that starts from the central directory, as unzip does: only it sees the
         * entries' modes (symbolic links, exec bits), and it cannot be told a different story by
         * local headers than the directory tells. */
        if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
            archive_read_set_callback_data(a, reader) != ARCHIVE_OK ||
            archive_read_set_read_callback(a, zip_read) != ARCHIVE_OK ||
            archive_read_set_seek_callback(a, zip_seek) != ARCHIVE_OK ||
            archive_read_set_skip_callback(a, zip_skip) != ARCHIVE_OK)
                return -ENOMEM;
        if (archive_read_open1(a) != ARCHIVE_OK)
                return zip_unreadable(a, z, ret_error);

        for (unsigned count = 0;; count++) {
                _cleanup_close_ int fd = -EBADF;
                const char *path, *target;
                mode_t type;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                /* A warning is about converting names between character sets: the name is there. */
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        if (count == 0)
                                return zip_unreadable(a, z, ret_error);
                        return set_error(ret_error, "entry %u: truncated or damaged: %s", count + 1,
                                         archive_error_string(a) ?: "cannot be read");
                }

                /* The name as stored when it cannot be had in UTF-8: Linux names are bytes. */
                path = archive_entry_pathname_utf8(e) ?: archive_entry_pathname(e);
                if (!path)
                        return set_error(ret_error, "entry %u: a name that cannot be read", count + 1);
                type = archive_entry_filetype(e);
                if (type == AE_IFLNK)
                        target = archive_entry_symlink_utf8(e) ?: archive_entry_symlink(e);
                else
                        target = archive_entry_hardlink(e);

                r = code_tree_add(t, path, type, target, (archive_entry_perm(e) & 0111) != 0, &fd,
                                  ret_error);
                if (r < 0)
                        return r;
                if (type == AE_IFREG) {
                        r = unzip_data(a, t, fd, path, reader->data, ret_error);
                        if (r < 0)
                                return r;
                }
        }
}

/* Whether z is still the file that was hashed. */
static bool zip_input_unchanged(const ZipInput *z)
{
        struct stat st;

        return fstat(z->fd, &st) >= 0 && st.st_size == z->st.st_size && st.st_ino == z->st.st_ino &&
               st.st_mtim.tv_sec == z->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == z->st.st_mtim.tv_nsec &&
               st.st_ctim.tv_sec == z->st.st_ctim.tv_sec && st.st_ctim.tv_nsec == z->st.st_ctim.tv_nsec;
}

static void pending_done(Pending *p)
{
        p->fd = safe_close(p->fd);
        if (p->made)
                (void) code_tree_remove(p->s->dir_fd, p->temporary);
        p->made = false;
}

/* A fresh name for a temporary: TEMPORARY_PREFIX and 12 random hex digits. */
static int temporary_name(char ret[static TEMPORARY_SIZE])
{
        memcpy(ret, TEMPORARY_PREFIX, STRLEN(TEMPORARY_PREFIX));
        return random_hex(ret + STRLEN(TEMPORARY_PREFIX), 6);
}

/* A new temporary directory in the store, 0755. */
static int pending_begin(Pending *p)
{
        int r;

        r = temporary_name(p->temporary);
        if (r < 0)
                return r;
        if (mkdirat(p->s->dir_fd, p->temporary, 0700) < 0)
                return -errno;
        p->made = true;
        p->fd = openat(p->s->dir_fd, p->temporary, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (p->fd < 0 || fchmod(p->fd, 0755) < 0)
                return -errno;
        return 0;
}

/* Renames the temporary into place. When another job got there first, its entry stays and ours is
 * removed by pending_done(): the same content either way. */
static int pending_commit(Pending *p)
{
        int dir_fd = p->s->dir_fd;

        if (!p->made)
                return 0; /* the entry was there already */
        if (renameat2(dir_fd, p->temporary, dir_fd, p->name, RENAME_NOREPLACE) >= 0 ||
            /* A file system without RENAME_NOREPLACE: a plain rename fails over a non-empty directory,
             * and over an empty one (an empty zip) puts the same content in place. */
            (errno == EINVAL && renameat(dir_fd, p->temporary, dir_fd, p->name) >= 0)) {
                p->made = false;
                return 0;
        }
        return errno == EEXIST || errno == ENOTEMPTY ? 0 : -errno;
}

/* Whether the store holds p->name; if so, *ret its size. */
static int pending_cached(Pending *p, uint64_t *ret)
{
        _cleanup_close_ int fd = -EBADF;

        fd = openat(p->s->dir_fd, p->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return code_tree_measure(fd, ret) < 0 ? -EIO : 1;
}

/* The content of zips (one, or the layers merged in order) as p, unless the store has it. */
static int prepare_zips(Pending *p, ZipInput *zips, size_t n, uint64_t limit, uint64_t base,
                        uint64_t *ret_size, char **ret_error)
{
        CodeTree t;
        int r;

        r = pending_cached(p, ret_size);
        if (r < 0)
                return file_failed(ret_error, p->s->path, r, "cannot measure a stored entry");
        if (r > 0)
                return 0;
        r = pending_begin(p);
        if (r < 0)
                return file_failed(ret_error, p->s->path, r, "cannot make a temporary directory");
        t = (CodeTree){ .root_fd = p->fd, .limit = limit, .base = base };
        for (size_t i = 0; i < n; i++) {
                char *msg = NULL;

                r = unzip(&zips[i], &t, &msg);
                if (r < 0)
                        return failed_in(ret_error, zips[i].path, r, msg);
                if (!zip_input_unchanged(&zips[i]))
                        return set_error(ret_error, "%s: changed while it was unpacked", zips[i].path);
        }
        *ret_size = t.size;
        return 0;
}

/* A snapshot of the code directory path as p, its CodeSha256 and size into prepared. */
static int prepare_directory(Pending *p, const char *path, uint64_t limit, CodePrepared *prepared,
                             uint64_t *ret_size, char **ret_error)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
        _cleanup_close_ int fd = -EBADF;
        char hex[SHA256_HEX_SIZE];
        char *msg = NULL;
        CodeTree t;
        int r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return open_failed(ret_error, path, -errno, "cannot open the directory");
        r = sha256_begin(&md);
        if (r < 0)
                return r;
        r = pending_begin(p);
        if (r < 0)
                return file_failed(ret_error, p->s->path, r, "cannot make a temporary directory");
        t = (CodeTree){ .root_fd = p->fd, .limit = limit };
        r = code_tree_copy(&t, fd, md, &prepared->code_size, &msg);
        if (r < 0)
                return failed_in(ret_error, path, r, msg);
        r = sha256_end(md, prepared->code_sha256, hex);
        if (r < 0)
                return r;
        (void) snprintf(p->name, sizeof(p->name), "code-%s", hex);
        *ret_size = t.size;
        return 0;
}

/* The store's entry for the merged layers: named by their CodeSha256s in order. */
static int layers_name(const ZipInput *layers, size_t n, char ret[static ENTRY_NAME_SIZE])
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
        char base64[45], hex[SHA256_HEX_SIZE];
        int r;

        r = sha256_begin(&md);
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (EVP_DigestUpdate(md, layers[i].sha256, strlen(layers[i].sha256)) != 1)
                        r = -ENOMEM;
        if (r >= 0)
                r = sha256_end(md, base64, hex);
        if (r < 0)
                return r;
        (void) snprintf(ret, ENTRY_NAME_SIZE, "opt-%s", hex);
        return 0;
}

static bool has_bootstrap(const CodeStore *s, const char *name)
{
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (asprintf(&path, "%s/bootstrap", name) < 0)
                return false;
        return fstatat(s->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode) &&
               (st.st_mode & 0111) != 0;
}

static int check_source(const CodeSource *src, size_t n_layers, char **ret_error)
{
        if (!src->zip == !src->directory)
                return set_error(ret_error, "code: exactly one of a zip file and a directory is needed");
        if ((src->zip ?: src->directory)[0] != '/')
                return set_error(ret_error, "%s: not an absolute path", src->zip ?: src->directory);
        if (n_layers > CODE_LAYERS_MAX)
                return set_error(ret_error, "%zu layers, more than the %u AWS allows", n_layers,
                                 CODE_LAYERS_MAX);
        for (size_t i = 0; i < n_layers; i++)
                if (src->layers[i][0] != '/')
                        return set_error(ret_error, "%s: not an absolute path", src->layers[i]);
        return 0;
}

int code_store_prepare_limited(CodeStore *s, const CodeSource *src, uint64_t unpacked_max, CodePrepared *ret,
                               char **ret_error)
{
        size_t n_layers = strv_length(src->layers);
        ZipInput code_zip = { .path = src->zip, .fd = -EBADF }, layers[CODE_LAYERS_MAX];
        Pending code = { .s = s, .fd = -EBADF }, opt = { .s = s, .fd = -EBADF };
        CodePrepared p = {};
        uint64_t code_size = 0, opt_size = 0;
        int r;

        r = check_source(src, n_layers, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_layers; i++)
                layers[i] = (ZipInput){ .path = src->layers[i], .fd = -EBADF };

        /* Every zip open and hashed first: the names of the store's entries. */
        if (src->zip) {
                r = zip_input_open(&code_zip, ret_error);
                if (r < 0)
                        goto finish;
                memcpy(p.code_sha256, code_zip.sha256, sizeof(p.code_sha256));
                p.code_size = (uint64_t) code_zip.st.st_size;
                (void) snprintf(code.name, sizeof(code.name), "code-%s", code_zip.hex);
        }
        for (size_t i = 0; i < n_layers; i++) {
                r = zip_input_open(&layers[i], ret_error);
                if (r < 0)
                        goto finish;
        }
        if (n_layers > 0) {
                r = layers_name(layers, n_layers, opt.name);
                if (r < 0)
                        goto finish;
        }

        /* Then whatever the store lacks, as temporaries. */
        if (src->zip)
                r = prepare_zips(&code, &code_zip, 1, unpacked_max, 0, &code_size, ret_error);
        else
                r = prepare_directory(&code, src->directory, unpacked_max, &p, &code_size, ret_error);
        if (r < 0)
                goto finish;
        if (n_layers > 0) {
                r = prepare_zips(&opt, layers, n_layers, unpacked_max, code_size, &opt_size, ret_error);
                if (r < 0)
                        goto finish;
        }
        /* Unpacking counted against the limit already; entries the store had were not. */
        if (code_size > unpacked_max || opt_size > unpacked_max - code_size) {
                r = set_error(ret_error,
                              "%s: code and layers together unpack to %" PRIu64
                              " bytes, more than the %" PRIu64 " bytes AWS allows",
                              src->zip ?: src->directory, code_size + opt_size, unpacked_max);
                goto finish;
        }

        /* Only now anything appears under its final name. */
        r = pending_commit(&code);
        if (r >= 0)
                r = pending_commit(&opt);
        if (r < 0) {
                r = file_failed(ret_error, s->path, r, "cannot rename a temporary directory into place");
                goto finish;
        }
        p.unpacked_size = code_size + opt_size;
        p.task_bootstrap = has_bootstrap(s, code.name);
        if (asprintf(&p.task_dir, "%s/%s", s->path, code.name) < 0) {
                p.task_dir = NULL;
                r = -ENOMEM;
                goto finish;
        }
        if (n_layers > 0) {
                p.opt_bootstrap = has_bootstrap(s, opt.name);
                if (asprintf(&p.opt_dir, "%s/%s", s->path, opt.name) < 0) {
                        p.opt_dir = NULL;
                        r = -ENOMEM;
                        goto finish;
                }
        }
        *ret = p;
        p = (CodePrepared){};
        r = 0;

finish:
        code_prepared_done(&p);
        pending_done(&code);
        pending_done(&opt);
        zip_input_done(&code_zip);
        for (size_t i = 0; i < n_layers; i++)
                zip_input_done(&layers[i]);
        return r;
}

int code_store_prepare(CodeStore *s, const CodeSource *src, CodePrepared *ret, char **ret_error)
{
        return code_store_prepare_limited(s, src, CODE_UNPACKED_MAX, ret, ret_error);
}

static int make_directory_0755(const char *path)
{
        if (mkdir(path, 0755) >= 0)
                return chmod(path, 0755) < 0 ? -errno : 0; /* the umask had its say */
        return errno == EEXIST ? 0 : -errno;
}

static int make_directories(const char *dir)
{
        _cleanup_free_ char *p = strdup(dir);
        int r;

        if (!p)
                return -ENOMEM;
        for (char *slash = p; (slash = strchr(slash + 1, '/'));) {
                *slash = 0;
                r = make_directory_0755(p);
                *slash = '/';
                if (r < 0)
                        return r;
        }
        return make_directory_0755(p);
}

static bool is_temporary(const char *name)
{
        return strncmp(name, TEMPORARY_PREFIX, STRLEN(TEMPORARY_PREFIX)) == 0;
}

CodeStore *code_store_free(CodeStore *s)
{
        if (!s)
                return NULL;
        safe_close(s->dir_fd);
        free(s->path);
        free(s);
        return NULL;
}

int code_store_open(const char *dir, CodeStore **ret)
{
        _cleanup_(code_store_freep) CodeStore *s = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        if (strlen(dir) > STORE_PATH_MAX)
                return -ENAMETOOLONG;
        r = make_directories(dir);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(CodeStore));
        if (!s)
                return -ENOMEM;
        s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dir_fd < 0)
                return -errno;
        s->path = realpath(dir, NULL);
        if (!s->path)
                return -errno;
        if (strlen(s->path) > STORE_PATH_MAX)
                return -ENAMETOOLONG;

        /* What a crashed run was unpacking. */
        r = code_tree_list(s->dir_fd, &names);
        for (char **name = names; r >= 0 && *name; name++)
                if (is_temporary(*name))
                        r = code_tree_remove(s->dir_fd, *name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int code_store_dup(const CodeStore *s, CodeStore **ret)
{
        _cleanup_(code_store_freep) CodeStore *c = NULL;

        c = calloc(1, sizeof(CodeStore));
        if (!c)
                return -ENOMEM;
        c->dir_fd = fcntl(s->dir_fd, F_DUPFD_CLOEXEC, 3);
        if (c->dir_fd < 0)
                return -errno;
        c->path = strdup(s->path);
        if (!c->path)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

static bool is_entry(const char *name)
{
        return strncmp(name, "code-", STRLEN("code-")) == 0 || strncmp(name, "opt-", STRLEN("opt-")) == 0;
}

int code_store_remove_unused(CodeStore *s, char *const *keep)
{
        _cleanup_strv_free_ char **names = NULL;
        int r, ret = 0;

        r = code_tree_list(s->dir_fd, &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                _cleanup_free_ char *path = NULL;
                char temporary[TEMPORARY_SIZE];

                if (!is_entry(*name))
                        continue;
                if (asprintf(&path, "%s/%s", s->path, *name) < 0)
                        return -ENOMEM;
                if (strv_contains(keep, path))
                        continue;
                /* Out of sight at once, then removed; a crash in between leaves a temporary that the
                 * next code_store_open() removes. */
                r = temporary_name(temporary);
                if (r >= 0)
                        r = renameat(s->dir_fd, *name, s->dir_fd, temporary) < 0 ? -errno : 0;
                if (r >= 0)
                        r = code_tree_remove(s->dir_fd, temporary);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
