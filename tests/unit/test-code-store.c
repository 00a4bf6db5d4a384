/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * test-code-store: the code store on real zips, written here with libarchive's zip writer, in a
 * temporary directory: the entry rules (code-archive.h), unpacking with modes, CodeSha256 against
 * OpenSSL's own SHA-256, the cache, layers merged in order, directory snapshots, cleanup, and every
 * refusal (traversal, absolute paths, escaping links, writing through a link, devices, truncated and
 * non-zip files, too many layers, too big a zip, zip bombs, the real 250 MB limit among them)
 * naming the entry and leaving the store as it was. Then code-job on a real sd-event loop, with
 * code_store_free() wrapped (-Wl,--wrap) to see a cancelled job's thread let go of everything.
 */

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "buf.h"
#include "code-archive.h"
#include "code-job.h"
#include "code-store.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

#define MIB (1024 * 1024)

/* Counts the store handles freed: a cancelled job's thread frees its own last. */
static atomic_uint stores_freed;

CodeStore *__real_code_store_free(CodeStore *s);
CodeStore *__wrap_code_store_free(CodeStore *s);
CodeStore *__wrap_code_store_free(CodeStore *s)
{
        __real_code_store_free(s);
        if (s)
                atomic_fetch_add(&stores_freed, 1);
        return NULL;
}

typedef struct Fixture {
        char dir[64];
        char store_dir[96];
        CodeStore *store;
} Fixture;

/* One entry of a zip the test writes: content, or zeros bytes of zeros, or a link target. */
typedef struct ZipEntry {
        const char *path;
        mode_t type;
        mode_t perm;
        const char *content;
        const char *target;
        uint64_t zeros;
} ZipEntry;

#define FILE_ENTRY(p, c)                                                    \
        {                                                                   \
                .path = (p), .type = AE_IFREG, .perm = 0644, .content = (c) \
        }
#define EXEC_ENTRY(p, c)                                                    \
        {                                                                   \
                .path = (p), .type = AE_IFREG, .perm = 0755, .content = (c) \
        }
#define DIR_ENTRY(p)                                        \
        {                                                   \
                .path = (p), .type = AE_IFDIR, .perm = 0755 \
        }
#define LINK_ENTRY(p, t)                                                   \
        {                                                                  \
                .path = (p), .type = AE_IFLNK, .perm = 0777, .target = (t) \
        }

static char *path_in(const Fixture *f, const char *name)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
        return p;
}

static void write_zip(const char *path, const ZipEntry *entries, size_t n)
{
        static const char zeros[MIB];
        struct archive *a = archive_write_new();

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                uint64_t size = entries[i].content ? strlen(entries[i].content) : entries[i].zeros;

                archive_entry_set_pathname_utf8(e, entries[i].path);
                archive_entry_set_filetype(e, entries[i].type);
                archive_entry_set_perm(e, entries[i].perm);
                archive_entry_set_mtime(e, 1700000000, 0);
                if (entries[i].type == AE_IFREG)
                        archive_entry_set_size(e, (la_int64_t) size);
                if (entries[i].target)
                        archive_entry_set_symlink(e, entries[i].target);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (entries[i].content)
                        assert_int_equal(archive_write_data(a, entries[i].content, size), (la_ssize_t) size);
                for (uint64_t done = 0; done < entries[i].zeros; done += MIB)
                        assert_true(archive_write_data(a, zeros, MIN(sizeof(zeros), size - done)) > 0);
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

static char *read_file(const char *path, size_t *ret_len)
{
        Buf b = {};
        char chunk[65536];
        FILE *fp = fopen(path, "re");
        size_t n;

        assert_non_null(fp);
        while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
                assert_int_equal(buf_append(&b, chunk, n), 0);
        fclose(fp);
        assert_int_equal(buf_append(&b, "", 0), 0);
        return buf_steal(&b, ret_len);
}

static void write_file(const char *path, const char *content, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

/* AWS's CodeSha256 the independent way: OpenSSL's SHA-256 and base64. */
static void expected_sha256(const void *p, size_t n, char ret[static 45])
{
        unsigned char md[SHA256_DIGEST_LENGTH];

        SHA256(p, n, md);
        assert_int_equal(EVP_EncodeBlock((unsigned char *) ret, md, sizeof(md)), 44);
}

static void expected_sha256_hex(const void *p, size_t n, char ret[static 65])
{
        unsigned char md[SHA256_DIGEST_LENGTH];

        SHA256(p, n, md);
        for (size_t i = 0; i < sizeof(md); i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", md[i]);
}

static Buf listing;

static int list_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return buf_printf(&listing, "%s %o %lld\n", path, st->st_mode, (long long) st->st_size);
}

/* Everything in the store, recursively, with modes and sizes. */
static char *store_listing(const Fixture *f)
{
        buf_clear(&listing);
        assert_int_equal(nftw(f->store_dir, list_one, 16, FTW_PHYS), 0);
        return buf_steal(&listing, NULL);
}

static void remove_tree(const char *dir)
{
        char *command;

        assert_true(asprintf(&command, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(command), 0);
        free(command);
}

static int setup(void **state)
{
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/test-code-store-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        (void) snprintf(f->store_dir, sizeof(f->store_dir), "%s/var/lib/store", f->dir);
        /* The manager's umask: every mode in the store must be set explicitly. */
        umask(0077);
        assert_int_equal(code_store_open(f->store_dir, &f->store), 0);
        alarm(120);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;

        alarm(0);
        code_store_free(f->store);
        remove_tree(f->dir);
        buf_done(&listing);
        free(f);
        return 0;
}

static void assert_mode(const char *dir, const char *name, mode_t mode)
{
        char *p;
        struct stat st;

        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        assert_int_equal(lstat(p, &st), 0);
        if ((st.st_mode & 07777) != mode)
                fail_msg("%s: mode %o, expected %o", p, st.st_mode & 07777, mode);
        free(p);
}

static void assert_content(const char *dir, const char *name, const char *content)
{
        char *p, *data;

        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        data = read_file(p, NULL);
        assert_string_equal(data, content);
        free(data);
        free(p);
}

/* Prepares src and expects a refusal with r whose message holds each of the strings, and the store
 * unchanged. */
static void expect_refused_limited(Fixture *f, const CodeSource *src, uint64_t limit, int r,
                                   const char *what1, const char *what2)
{
        char *before = store_listing(f), *after, *msg = NULL;
        CodePrepared p = {};

        assert_int_equal(code_store_prepare_limited(f->store, src, limit, &p, &msg), r);
        assert_non_null(msg);
        print_message("refused: %s\n", msg);
        if (!strstr(msg, what1) || (what2 && !strstr(msg, what2)))
                fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", msg, what1, what2 ?: "");
        assert_null(p.task_dir);
        after = store_listing(f);
        assert_string_equal(before, after);
        free(before);
        free(after);
        free(msg);
}

static void expect_refused(Fixture *f, const CodeSource *src, const char *what1, const char *what2)
{
        expect_refused_limited(f, src, CODE_UNPACKED_MAX, -EINVAL, what1, what2);
}

static void expect_zip_refused(Fixture *f, const ZipEntry *entries, size_t n, const char *what)
{
        char *zip = path_in(f, "bad.zip");
        CodeSource src = { .zip = zip };

        write_zip(zip, entries, n);
        expect_refused(f, &src, zip, what);
        free(zip);
}

static void check_entry(const char *path, mode_t type, const char *target, const char *error)
{
        char *msg = NULL;
        int r = code_entry_check(path, type, target, &msg);

        if (!error) {
                if (r != 0)
                        fail_msg("\"%s\" refused: %s", path, msg);
                return;
        }
        assert_int_equal(r, -EINVAL);
        assert_non_null(msg);
        if (strcmp(msg, error) != 0)
                fail_msg("\"%s\": got \"%s\", expected \"%s\"", path, msg, error);
        free(msg);
}

static void test_entry_check(void **state)
{
        char long_path[CODE_PATH_MAX + 2], deep[2 * CODE_DEPTH_MAX + 4], *n = NULL;

        check_entry("a", S_IFREG, NULL, NULL);
        check_entry("./a//b/", S_IFREG, NULL, NULL);
        check_entry("a/b/", S_IFDIR, NULL, NULL);
        check_entry("./", S_IFDIR, NULL, NULL);
        check_entry(".", S_IFREG, NULL, "entry \".\": an empty name");
        check_entry("", S_IFREG, NULL, "entry \"\": an empty name");
        check_entry("../evil", S_IFREG, NULL, "entry \"../evil\": a path leaving the code directory");
        check_entry("a/../../evil", S_IFREG, NULL, "entry \"a/../../evil\": a \"..\" component in the path");
        check_entry("a/../b", S_IFREG, NULL, "entry \"a/../b\": a \"..\" component in the path");
        check_entry("/etc/x", S_IFREG, NULL,
                    "entry \"/etc/x\": an absolute path, outside the code directory");
        check_entry("a\nb", S_IFREG, NULL, "entry \"a\\x0ab\": a control character in the name");
        check_entry("a\x7f", S_IFREG, NULL, "entry \"a\\x7f\": a control character in the name");
        check_entry("dev", S_IFCHR, NULL,
                    "entry \"dev\": a device file; only files, directories and symbolic links can be code");
        check_entry("dev", S_IFBLK, NULL,
                    "entry \"dev\": a device file; only files, directories and symbolic links can be code");
        check_entry("p", S_IFIFO, NULL,
                    "entry \"p\": a fifo; only files, directories and symbolic links can be code");
        check_entry("s", S_IFSOCK, NULL,
                    "entry \"s\": a socket; only files, directories and symbolic links can be code");
        check_entry("h", S_IFREG, "a",
                    "entry \"h\": a hard link; only files, directories and symbolic links can be code");

        /* Links: ".." only leading, never above the top. */
        check_entry("l", S_IFLNK, "x", NULL);
        check_entry("l", S_IFLNK, ".", NULL);
        check_entry("a/b/l", S_IFLNK, "../../x/y", NULL);
        check_entry("a/l", S_IFLNK, "../x", NULL);
        check_entry("l", S_IFLNK, "../../etc",
                    "entry \"l\": a symbolic link to \"../../etc\", leaving the code directory");
        check_entry("a/l", S_IFLNK, "../../x",
                    "entry \"a/l\": a symbolic link to \"../../x\", leaving the code directory");
        check_entry("a/l", S_IFLNK, "x/../../y",
                    "entry \"a/l\": a symbolic link to \"x/../../y\": \"..\" may only lead a link's target");
        check_entry("l", S_IFLNK, "/etc/passwd",
                    "entry \"l\": a symbolic link to the absolute path \"/etc/passwd\", outside the code "
                    "directory");
        check_entry("l", S_IFLNK, "", "entry \"l\": a symbolic link with an empty target");
        check_entry("l", S_IFLNK, NULL, "entry \"l\": a symbolic link with an empty target");

        /* Lengths and depth. */
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[sizeof(long_path) - 1] = 0;
        assert_int_equal(code_entry_check(long_path, S_IFREG, NULL, NULL), -EINVAL);
        long_path[256] = 0;
        assert_int_equal(code_entry_check(long_path, S_IFREG, NULL, NULL), -EINVAL);
        long_path[255] = 0;
        assert_int_equal(code_entry_check(long_path, S_IFREG, NULL, NULL), 0);
        for (size_t i = 0; i < CODE_DEPTH_MAX + 1; i++)
                memcpy(deep + 2 * i, "a/", 2);
        deep[2 * CODE_DEPTH_MAX + 1] = 0;
        assert_int_equal(code_entry_check(deep, S_IFREG, NULL, NULL), -EINVAL);
        deep[2 * CODE_DEPTH_MAX - 1] = 0;
        assert_int_equal(code_entry_check(deep, S_IFREG, NULL, NULL), 0);

        /* Quoting keeps messages short and printable. */
        memset(long_path, '"', 300);
        long_path[300] = 0;
        assert_int_equal(code_entry_check(long_path, S_IFCHR, NULL, &n), -EINVAL);
        assert_true(strlen(n) < CODE_QUOTE_SIZE + 100);
        assert_non_null(strstr(n, "\\x22\\x22"));
        assert_non_null(strstr(n, "\"..."));
        free(n);

        assert_int_equal(code_path_normalize("./a//b/./c/", &n), 0);
        assert_string_equal(n, "a/b/c");
        free(n);
        assert_int_equal(code_path_normalize("./", &n), 0);
        assert_string_equal(n, "");
        free(n);
        assert_int_equal(code_path_normalize("a/../b", &n), -EINVAL);
        assert_int_equal(code_path_normalize("/a", &n), -EINVAL);
}

static const ZipEntry good_entries[] = {
        DIR_ENTRY("lib/"),
        FILE_ENTRY("lib/util.py", "def f(): pass\n"),
        FILE_ENTRY("./handler.py", "import lib.util\n"),
        EXEC_ENTRY("bootstrap", "#!/bin/sh\nexec python3 handler.py\n"),
        EXEC_ENTRY("deep/er/tool", "#!/bin/sh\n"),
        FILE_ENTRY("caf\xc3\xa9/na\xc3\xafve.txt", "utf-8\n"),
        LINK_ENTRY("deep/er/link", "../../lib/util.py"),
};

static void test_good_zip(void **state)
{
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *data, sha[45], hex[65], *task, *msg = NULL;
        CodeSource src = { .zip = zip };
        CodePrepared p = {};
        char target[64] = {};
        size_t len;

        write_zip(zip, good_entries, ELEMENTSOF(good_entries));
        data = read_file(zip, &len);
        expected_sha256(data, len, sha);
        expected_sha256_hex(data, len, hex);

        assert_int_equal(code_store_prepare(f->store, &src, &p, &msg), 0);
        assert_null(msg);
        assert_string_equal(p.code_sha256, sha);
        assert_int_equal(p.code_size, len);
        assert_true(asprintf(&task, "%s/code-%s", f->store_dir, hex) > 0);
        assert_string_equal(p.task_dir, task);
        assert_null(p.opt_dir);
        assert_true(p.task_bootstrap);
        assert_false(p.opt_bootstrap);
        assert_int_equal(p.unpacked_size, strlen("def f(): pass\n") + strlen("import lib.util\n") +
                                                  strlen("#!/bin/sh\nexec python3 handler.py\n") +
                                                  strlen("#!/bin/sh\n") + strlen("../../lib/util.py") +
                                                  strlen("utf-8\n"));

        assert_content(task, "lib/util.py", "def f(): pass\n");
        assert_content(task, "handler.py", "import lib.util\n");
        /* Names as UTF-8, whatever the locale (the test runs in "C"). */
        assert_content(task, "caf\xc3\xa9/na\xc3\xafve.txt", "utf-8\n");
        assert_content(task, "deep/er/link", "def f(): pass\n");
        assert_mode(task, ".", 0755);
        assert_mode(task, "lib", 0755);
        assert_mode(task, "deep", 0755);
        assert_mode(task, "deep/er", 0755);
        assert_mode(task, "lib/util.py", 0644);
        assert_mode(task, "handler.py", 0644);
        assert_mode(task, "bootstrap", 0755);
        assert_mode(task, "deep/er/tool", 0755);
        free(data);
        assert_true(asprintf(&data, "%s/deep/er/link", task) > 0);
        assert_int_equal(readlink(data, target, sizeof(target) - 1), strlen("../../lib/util.py"));
        assert_string_equal(target, "../../lib/util.py");
        free(data);
        /* The store and its parents, made under umask 0077, are open to the containers' uid. */
        assert_mode(f->dir, "var/lib", 0755);
        assert_mode(f->dir, "var/lib/store", 0755);

        code_prepared_done(&p);
        assert_null(p.task_dir);
        free(task);
        free(zip);
}

static void test_large_entry(void **state)
{
        /* Several of libarchive's reads and of its output chunks for one entry, deflated and stored. */
        Fixture *f = *state;
        char *zip = path_in(f, "large.zip"), *data, *got;
        CodeSource src = { .zip = zip };
        CodePrepared p = {};
        Buf text = {};
        size_t len;
        uint64_t x = 1;

        for (int i = 0; i < 40000; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                assert_int_equal(buf_printf(&text, "%d %llx\n", i, (unsigned long long) (x >> 40)), 0);
        }
        data = text.data;
        {
                const ZipEntry e[] = { FILE_ENTRY("a.txt", data), FILE_ENTRY("b.txt", data) };

                write_zip(zip, e, ELEMENTSOF(e));
        }
        assert_int_equal(code_store_prepare(f->store, &src, &p, NULL), 0);
        assert_int_equal(p.unpacked_size, 2 * text.len);
        assert_true(asprintf(&got, "%s/b.txt", p.task_dir) > 0);
        data = read_file(got, &len);
        assert_int_equal(len, text.len);
        assert_memory_equal(data, text.data, len);
        free(data);
        free(got);
        code_prepared_done(&p);
        buf_done(&text);
        free(zip);
}

static void test_cache(void **state)
{
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *copy = path_in(f, "same.zip"), *data, *before;
        CodeSource src = { .zip = zip };
        CodePrepared p1 = {}, p2 = {}, p3 = {};
        struct stat st1, st2;
        size_t len;

        write_zip(zip, good_entries, ELEMENTSOF(good_entries));
        assert_int_equal(code_store_prepare(f->store, &src, &p1, NULL), 0);
        assert_int_equal(stat(p1.task_dir, &st1), 0);
        before = store_listing(f);

        /* Unpacked once: the same directory, untouched. */
        assert_int_equal(code_store_prepare(f->store, &src, &p2, NULL), 0);
        assert_string_equal(p1.task_dir, p2.task_dir);
        assert_int_equal(stat(p2.task_dir, &st2), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);
        assert_true(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec && st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
        assert_int_equal(p1.unpacked_size, p2.unpacked_size);
        assert_true(p2.task_bootstrap);
        assert_string_equal(p1.code_sha256, p2.code_sha256);

        /* Another function with the same zip under another name shares it. */
        data = read_file(zip, &len);
        {
                int fd = open(copy, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

                assert_true(fd >= 0);
                assert_int_equal(write(fd, data, len), (ssize_t) len);
                close(fd);
        }
        src.zip = copy;
        assert_int_equal(code_store_prepare(f->store, &src, &p3, NULL), 0);
        assert_string_equal(p1.task_dir, p3.task_dir);
        free(data);
        data = store_listing(f);
        assert_string_equal(before, data);

        free(data);
        free(before);
        code_prepared_done(&p1);
        code_prepared_done(&p2);
        code_prepared_done(&p3);
        free(copy);
        free(zip);
}

static void test_layers(void **state)
{
        static const ZipEntry layer1[] = {
                FILE_ENTRY("python/a.py", "a from layer 1\n"),
                FILE_ENTRY("python/b.py", "b from layer 1\n"),
                LINK_ENTRY("python/c.py", "a.py"),
        };
        static const ZipEntry layer2[] = {
                FILE_ENTRY("python/b.py", "b from layer 2\n"),
                FILE_ENTRY("python/c.py", "c from layer 2\n"),
                EXEC_ENTRY("bootstrap", "#!/bin/sh\n"),
        };
        static const ZipEntry code[] = { FILE_ENTRY("handler.py", "x\n") };
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *l1 = path_in(f, "layer1.zip"),
             *l2 = path_in(f, "layer2.zip");
        char *data, sha1[45], sha2[45], both[89], hex[65], *opt;
        char *in_order[] = { l1, l2, NULL }, *reversed[] = { l2, l1, NULL };
        CodeSource src = { .zip = zip, .layers = in_order };
        CodePrepared p = {}, q = {};
        size_t len;

        write_zip(zip, code, ELEMENTSOF(code));
        write_zip(l1, layer1, ELEMENTSOF(layer1));
        write_zip(l2, layer2, ELEMENTSOF(layer2));
        data = read_file(l1, &len);
        expected_sha256(data, len, sha1);
        free(data);
        data = read_file(l2, &len);
        expected_sha256(data, len, sha2);
        free(data);

        assert_int_equal(code_store_prepare(f->store, &src, &p, NULL), 0);
        (void) snprintf(both, sizeof(both), "%s%s", sha1, sha2);
        expected_sha256_hex(both, strlen(both), hex);
        assert_true(asprintf(&opt, "%s/opt-%s", f->store_dir, hex) > 0);
        assert_string_equal(p.opt_dir, opt);
        assert_false(p.task_bootstrap);
        assert_true(p.opt_bootstrap);
        /* The later layer wins, links included; a file it does not have stays. */
        assert_content(opt, "python/a.py", "a from layer 1\n");
        assert_content(opt, "python/b.py", "b from layer 2\n");
        assert_content(opt, "python/c.py", "c from layer 2\n");
        assert_mode(opt, "python/c.py", 0644);
        assert_mode(opt, "bootstrap", 0755);
        /* Sizes as stored: the replaced file and link count no more. */
        assert_int_equal(p.unpacked_size, 2 + 3 * strlen("a from layer 1\n") + strlen("#!/bin/sh\n"));

        /* The other order is another set: the other layer wins. */
        src.layers = reversed;
        assert_int_equal(code_store_prepare(f->store, &src, &q, NULL), 0);
        assert_string_equal(p.task_dir, q.task_dir);
        assert_string_not_equal(p.opt_dir, q.opt_dir);
        assert_content(q.opt_dir, "python/b.py", "b from layer 1\n");
        code_prepared_done(&q);

        /* Cached: the same answer, sizes measured from the store. */
        src.layers = in_order;
        assert_int_equal(code_store_prepare(f->store, &src, &q, NULL), 0);
        assert_string_equal(p.opt_dir, q.opt_dir);
        assert_int_equal(p.unpacked_size, q.unpacked_size);
        assert_true(q.opt_bootstrap);

        code_prepared_done(&p);
        code_prepared_done(&q);
        free(opt);
        free(zip);
        free(l1);
        free(l2);
}

/* The offset of the first central directory header in a zip's bytes. */
static size_t central_directory(const char *data, size_t len)
{
        for (size_t i = 0; i + 46 <= len; i++)
                if (memcmp(data + i, "PK\1\2", 4) == 0)
                        return i;
        fail_msg("no central directory");
        return 0;
}

static void test_bad_zips(void **state)
{
        Fixture *f = *state;
        char *zip = path_in(f, "bad.zip"), *good = path_in(f, "good.zip"), *data;
        CodeSource src = { .zip = zip };
        size_t len, cd;
        int fd;

        write_zip(good, good_entries, ELEMENTSOF(good_entries));

        {
                static const ZipEntry e[] = { FILE_ENTRY("ok", "1"), FILE_ENTRY("../x", "evil") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"../x\": a path leaving the code directory");
        }
        {
                static const ZipEntry e[] = { FILE_ENTRY("/etc/x", "evil") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"/etc/x\": an absolute path");
        }
        {
                static const ZipEntry e[] = { LINK_ENTRY("l", "../../etc"), FILE_ENTRY("l/x", "evil") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"l\": a symbolic link to \"../../etc\"");
        }
        {
                static const ZipEntry e[] = { LINK_ENTRY("l", "/etc"), FILE_ENTRY("l/x", "evil") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"l\": a symbolic link to the absolute path");
        }
        {
                /* An inside link, then a file through it: never written through the link. */
                static const ZipEntry e[] = { DIR_ENTRY("b/"), LINK_ENTRY("a", "b"),
                                              FILE_ENTRY("a/x", "evil") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"a/x\": \"a\" is a symbolic link or a file");
        }
        {
                static const ZipEntry e[] = { FILE_ENTRY("a", "1"), DIR_ENTRY("a/") };
                expect_zip_refused(f, e, ELEMENTSOF(e), "entry \"a/\": a directory where an earlier entry");
        }
        {
                static const ZipEntry e[] = { DIR_ENTRY("a/"), FILE_ENTRY("a", "1") };
                expect_zip_refused(f, e, ELEMENTSOF(e),
                                   "entry \"a\": a file where an earlier entry made a directory");
        }

        /* Not a zip; a zip cut in half. */
        write_file(zip, "#!/bin/sh\necho not a zip\n", 0644);
        expect_refused(f, &src, zip, ": not a zip file");
        data = read_file(good, &len);
        fd = open(zip, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(write(fd, data, len / 2), (ssize_t) (len / 2));
        close(fd);
        expect_refused(f, &src, zip, ": a truncated zip file");
        fd = open(zip, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(write(fd, "PK\5\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22), 22);
        close(fd);
        expect_refused(f, &src, zip, ": an empty zip file");

        /* A device entry: libarchive's writer makes none, so a regular one's mode is patched. */
        {
                static const ZipEntry e[] = { FILE_ENTRY("dev", "") };
                uint32_t attributes = (uint32_t) (S_IFCHR | 0644) << 16;

                free(data);
                write_zip(zip, e, ELEMENTSOF(e));
                data = read_file(zip, &len);
                cd = central_directory(data, len);
                assert_int_equal((unsigned char) data[cd + 5], 3); /* made on Unix: the mode counts */
                for (int i = 0; i < 4; i++)
                        data[cd + 38 + i] = (char) (attributes >> (8 * i));
                fd = open(zip, O_WRONLY | O_TRUNC | O_CLOEXEC);
                assert_int_equal(write(fd, data, len), (ssize_t) len);
                close(fd);
                expect_refused(f, &src, zip, "entry \"dev\": a device file");
        }

        /* Over AWS's 50 MB, refused by its size before a byte is read. */
        fd = open(zip, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(ftruncate(fd, CODE_ZIPPED_MAX + 1), 0);
        close(fd);
        expect_refused(f, &src, zip, "52428801 bytes, more than the 52428800 bytes (50 MB)");

        /* Not a regular file, a link, missing. */
        src.zip = f->dir;
        expect_refused(f, &src, f->dir, "not a regular file");
        free(data);
        data = path_in(f, "link.zip");
        assert_int_equal(symlink(good, data), 0);
        src.zip = data;
        expect_refused_limited(f, &src, CODE_UNPACKED_MAX, -ELOOP, data, "a symbolic link");
        free(data);
        data = path_in(f, "missing.zip");
        src.zip = data;
        expect_refused_limited(f, &src, CODE_UNPACKED_MAX, -ENOENT, data, "No such file");

        /* Neither or both, relative paths. */
        src = (CodeSource){};
        expect_refused(f, &src, "exactly one of a zip file and a directory", NULL);
        src = (CodeSource){ .zip = good, .directory = f->dir };
        expect_refused(f, &src, "exactly one", NULL);
        src = (CodeSource){ .zip = "function.zip" };
        expect_refused(f, &src, "function.zip: not an absolute path", NULL);

        free(data);
        free(good);
        free(zip);
}

static void test_bad_layers(void **state)
{
        static const ZipEntry evil[] = { FILE_ENTRY("python/ok.py", "1"),
                                         FILE_ENTRY("python/../../x", "2") };
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *layer = path_in(f, "layer.zip"),
             *bad = path_in(f, "evil.zip");
        char *six[] = { layer, layer, layer, layer, layer, layer, NULL };
        char *with_bad[] = { layer, bad, NULL };
        CodeSource src = { .zip = zip, .layers = six };

        write_zip(zip, good_entries, ELEMENTSOF(good_entries));
        write_zip(layer, good_entries, ELEMENTSOF(good_entries));
        write_zip(bad, evil, ELEMENTSOF(evil));
        expect_refused(f, &src, "6 layers, more than the 5 AWS allows", NULL);

        /* The code is fine, a layer is not: nothing of either is kept. */
        src.layers = with_bad;
        expect_refused(f, &src, bad, "entry \"python/../../x\": a \"..\" component");

        free(bad);
        free(layer);
        free(zip);
}

static void test_bomb_small(void **state)
{
        static const ZipEntry bomb[] = {
                FILE_ENTRY("small", "x"),
                { .path = "zeros", .type = AE_IFREG, .perm = 0644, .zeros = 4 * MIB }
        };
        Fixture *f = *state;
        char *zip = path_in(f, "bomb.zip"), *code = path_in(f, "code.zip");
        char *layers[] = { zip, NULL };
        CodeSource src = { .zip = zip };
        struct stat st;

        write_zip(zip, bomb, ELEMENTSOF(bomb));
        assert_int_equal(stat(zip, &st), 0);
        assert_true(st.st_size < 64 * 1024); /* deflated: a bomb */
        expect_refused_limited(
                f, &src, 1 * MIB, -EINVAL,
                "entry \"zeros\": unpacks to more than 1 MB (AWS's limit for code and layers together)",
                zip);

        /* Code and layers count together. */
        write_zip(code, bomb, 1);
        src = (CodeSource){ .zip = code, .layers = layers };
        expect_refused_limited(f, &src, 4 * MIB, -EINVAL, "entry \"zeros\": unpacks to more than 4 MB", zip);

        free(code);
        free(zip);
}

static void test_bomb_real(void **state)
{
        /* 260 MB of zeros in a few hundred KB: the unpacking stops right past 250 MB. */
        static const ZipEntry bomb[] = {
                { .path = "zeros", .type = AE_IFREG, .perm = 0644, .zeros = 260 * MIB }
        };
        Fixture *f = *state;
        char *zip = path_in(f, "bomb.zip");
        CodeSource src = { .zip = zip };
        struct stat st;
        uint64_t start;

        start = now_usec(CLOCK_MONOTONIC);
        write_zip(zip, bomb, ELEMENTSOF(bomb));
        assert_int_equal(stat(zip, &st), 0);
        assert_true(st.st_size < MIB);
        print_message("bomb of %lld bytes written in %.1f s\n", (long long) st.st_size,
                      (double) (now_usec(CLOCK_MONOTONIC) - start) / 1e6);
        start = now_usec(CLOCK_MONOTONIC);
        expect_refused(
                f, &src, zip,
                "entry \"zeros\": unpacks to more than 250 MB (AWS's limit for code and layers together)");
        print_message("refused in %.1f s\n", (double) (now_usec(CLOCK_MONOTONIC) - start) / 1e6);
        free(zip);
}

static void make_tree(const Fixture *f, const char *dir)
{
        char *p;

        assert_int_equal(mkdir(dir, 0700), 0);
        assert_true(asprintf(&p, "%s/lib", dir) > 0);
        assert_int_equal(mkdir(p, 0700), 0);
        free(p);
        assert_true(asprintf(&p, "%s/lib/util.py", dir) > 0);
        write_file(p, "def f(): pass\n", 0600);
        free(p);
        assert_true(asprintf(&p, "%s/bootstrap", dir) > 0);
        write_file(p, "#!/bin/sh\n", 0700);
        free(p);
        assert_true(asprintf(&p, "%s/lib/link", dir) > 0);
        assert_int_equal(symlink("util.py", p), 0);
        free(p);
        assert_true(asprintf(&p, "%s/.git", dir) > 0);
        assert_int_equal(mkdir(p, 0700), 0);
        free(p);
}

static void test_directory(void **state)
{
        Fixture *f = *state;
        char *dir = path_in(f, "src"), *p, *before;
        CodeSource src = { .directory = dir };
        CodePrepared a = {}, b = {}, c = {};

        make_tree(f, dir);
        assert_int_equal(code_store_prepare(f->store, &src, &a, NULL), 0);
        assert_non_null(a.task_dir);
        assert_true(a.task_bootstrap);
        assert_int_equal(a.code_size, strlen("def f(): pass\n") + strlen("#!/bin/sh\n"));
        assert_int_equal(a.unpacked_size, a.code_size + strlen("util.py"));
        assert_int_equal(strlen(a.code_sha256), 44);
        assert_content(a.task_dir, "lib/util.py", "def f(): pass\n");
        assert_content(a.task_dir, "lib/link", "def f(): pass\n");
        assert_mode(a.task_dir, "lib", 0755);
        assert_mode(a.task_dir, ".git", 0755);
        assert_mode(a.task_dir, "lib/util.py", 0644);
        assert_mode(a.task_dir, "bootstrap", 0755);

        /* A snapshot of the same content is the same entry; a change makes another. */
        before = store_listing(f);
        assert_int_equal(code_store_prepare(f->store, &src, &b, NULL), 0);
        assert_string_equal(a.task_dir, b.task_dir);
        assert_string_equal(a.code_sha256, b.code_sha256);
        p = store_listing(f);
        assert_string_equal(before, p);
        free(p);
        assert_true(asprintf(&p, "%s/lib/util.py", dir) > 0);
        write_file(p, "def f(): return 1\n", 0600);
        free(p);
        assert_int_equal(code_store_prepare(f->store, &src, &c, NULL), 0);
        assert_string_not_equal(a.task_dir, c.task_dir);
        assert_string_not_equal(a.code_sha256, c.code_sha256);
        assert_content(a.task_dir, "lib/util.py", "def f(): pass\n");
        assert_content(c.task_dir, "lib/util.py", "def f(): return 1\n");
        code_prepared_done(&c);
        /* The exec bit counts. */
        assert_true(asprintf(&p, "%s/lib/util.py", dir) > 0);
        assert_int_equal(chmod(p, 0700), 0);
        free(p);
        assert_int_equal(code_store_prepare(f->store, &src, &c, NULL), 0);
        assert_mode(c.task_dir, "lib/util.py", 0755);
        code_prepared_done(&c);

        /* Refused: a fifo, a link leaving the tree, a directory given as a link. */
        assert_true(asprintf(&p, "%s/lib/fifo", dir) > 0);
        assert_int_equal(mkfifo(p, 0600), 0);
        expect_refused(f, &src, dir, "entry \"lib/fifo\": a fifo");
        assert_int_equal(unlink(p), 0);
        free(p);
        assert_true(asprintf(&p, "%s/lib/out", dir) > 0);
        assert_int_equal(symlink("../../etc", p), 0);
        expect_refused(f, &src, dir, "entry \"lib/out\": a symbolic link to \"../../etc\", leaving");
        assert_int_equal(unlink(p), 0);
        free(p);
        p = path_in(f, "src-link");
        assert_int_equal(symlink(dir, p), 0);
        src.directory = p;
        expect_refused_limited(f, &src, CODE_UNPACKED_MAX, -ELOOP, p, "a symbolic link");
        free(p);
        src.directory = dir;
        expect_refused_limited(f, &src, 10, -EINVAL, "unpacks to more than 10 bytes", dir);

        free(before);
        code_prepared_done(&a);
        code_prepared_done(&b);
        free(dir);
}

static void test_remove_unused(void **state)
{
        static const ZipEntry other[] = { FILE_ENTRY("x", "other\n") };
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *zip2 = path_in(f, "other.zip"), *tmp, *keep[2] = {};
        CodeSource src = { .zip = zip };
        CodePrepared a = {}, b = {};
        CodeStore *again = NULL;
        struct stat st;

        write_zip(zip, good_entries, ELEMENTSOF(good_entries));
        write_zip(zip2, other, ELEMENTSOF(other));
        assert_int_equal(code_store_prepare(f->store, &src, &a, NULL), 0);
        src.zip = zip2;
        assert_int_equal(code_store_prepare(f->store, &src, &b, NULL), 0);

        /* A running job's temporary, and something that is not the store's. */
        assert_true(asprintf(&tmp, "%s/.tmp-123456789abc", f->store_dir) > 0);
        assert_int_equal(mkdir(tmp, 0700), 0);

        keep[0] = a.task_dir;
        assert_int_equal(code_store_remove_unused(f->store, keep), 0);
        assert_int_equal(stat(a.task_dir, &st), 0);
        assert_int_equal(stat(b.task_dir, &st), -1);
        assert_int_equal(stat(tmp, &st), 0);

        /* Opening the store again removes what a crashed run left. */
        assert_int_equal(code_store_open(f->store_dir, &again), 0);
        assert_int_equal(stat(tmp, &st), -1);
        assert_int_equal(stat(a.task_dir, &st), 0);
        code_store_free(again);

        assert_int_equal(code_store_remove_unused(f->store, NULL), 0);
        assert_int_equal(stat(a.task_dir, &st), -1);

        code_prepared_done(&a);
        code_prepared_done(&b);
        free(tmp);
        free(zip);
        free(zip2);
}

typedef struct JobResult {
        unsigned calls;
        int error;
        CodePrepared prepared;
        char *message;
} JobResult;

static void on_job(CodeJob *job, int error, CodePrepared *result, const char *message, void *userdata)
{
        JobResult *r = userdata;

        r->calls++;
        r->error = error;
        if (result) {
                /* Taken: the rest is freed by code-job. */
                r->prepared.task_dir = TAKE_PTR(result->task_dir);
                memcpy(r->prepared.code_sha256, result->code_sha256, sizeof(result->code_sha256));
        }
        r->message = message ? strdup(message) : NULL;
        /* Does nothing from inside the callback. */
        assert_null(code_job_cancel(job));
}

static void run_until_called(sd_event *e, const JobResult *r)
{
        for (int i = 0; i < 600 && r->calls == 0; i++)
                assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        assert_int_equal(r->calls, 1);
}

static void wait_stores_freed(unsigned n)
{
        for (int i = 0; i < 3000 && atomic_load(&stores_freed) < n; i++)
                usleep(10000);
        assert_int_equal(atomic_load(&stores_freed), n);
}

static void test_job(void **state)
{
        static const ZipEntry big[] = {
                { .path = "zeros", .type = AE_IFREG, .perm = 0644, .zeros = 64 * MIB }
        };
        static const ZipEntry bad[] = { FILE_ENTRY("../x", "evil") };
        Fixture *f = *state;
        char *zip = path_in(f, "function.zip"), *big_zip = path_in(f, "big.zip"),
             *bad_zip = path_in(f, "bad.zip");
        CodeSource src = { .zip = zip };
        JobResult r = {};
        CodeJob *job = NULL;
        CodeStore *store = NULL;
        sd_event *e = NULL;
        unsigned freed;

        write_zip(zip, good_entries, ELEMENTSOF(good_entries));
        write_zip(big_zip, big, ELEMENTSOF(big));
        write_zip(bad_zip, bad, ELEMENTSOF(bad));
        assert_int_equal(sd_event_new(&e), 0);

        /* Delivered on the loop, the job's store handle its own: the caller's may go at once. */
        assert_int_equal(code_store_open(f->store_dir, &store), 0);
        assert_int_equal(code_job_start(e, store, &src, on_job, &r, &job), 0);
        store = code_store_free(store);
        run_until_called(e, &r);
        assert_int_equal(r.error, 0);
        assert_null(r.message);
        assert_non_null(r.prepared.task_dir);
        assert_int_equal(strlen(r.prepared.code_sha256), 44);
        free(r.prepared.task_dir);
        r = (JobResult){};

        /* A refusal comes with its message. */
        src.zip = bad_zip;
        assert_int_equal(code_job_start(e, f->store, &src, on_job, &r, &job), 0);
        run_until_called(e, &r);
        assert_int_equal(r.error, -EINVAL);
        assert_non_null(strstr(r.message, "entry \"../x\""));
        assert_null(r.prepared.task_dir);
        free(r.message);
        r = (JobResult){};

        /* Cancelled while the thread unpacks 64 MB: never called, and the thread lets go of all
         * (its store handle last) in the background. */
        src.zip = big_zip;
        freed = atomic_load(&stores_freed);
        assert_int_equal(code_job_start(e, f->store, &src, on_job, &r, &job), 0);
        job = code_job_cancel(job);
        assert_null(job);
        wait_stores_freed(freed + 1);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(r.calls, 0);

        /* Cancelled after the thread ended (the loop's fd says so), before the loop saw it. */
        src.zip = zip;
        freed = atomic_load(&stores_freed);
        assert_int_equal(code_job_start(e, f->store, &src, on_job, &r, &job), 0);
        assert_int_equal(poll(&(struct pollfd){ .fd = sd_event_get_fd(e), .events = POLLIN }, 1, 30000), 1);
        job = code_job_cancel(job);
        wait_stores_freed(freed + 1);
        assert_int_equal(r.calls, 0);

        sd_event_unref(e);
        free(bad_zip);
        free(big_zip);
        free(zip);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entry_check),
                cmocka_unit_test_setup_teardown(test_good_zip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_large_entry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_zips, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bomb_small, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bomb_real, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_unused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_job, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
