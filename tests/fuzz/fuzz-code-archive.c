/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes what a function's zip passes through: the input as a zip, unpacked into a real store (made
 * once per process under $TMPDIR, emptied after each input) with a 4 MB limit, which must either
 * succeed within the limit or refuse with a message, and leave nothing behind once its entry is
 * removed; and the same bytes split at NULs into an entry's path, type and link target for
 * code_entry_check(), whose verdicts must keep the promises of code-archive.h. With
 * $FUZZ_CODE_ARCHIVE_VERBOSE set, prints each input's verdict. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "code-archive.h"
#include "code-store.h"
#include "fuzz.h"
#include "macro.h"

#define UNPACKED_MAX (UINT64_C(4) * 1024 * 1024)

static char *tmp_dir, *store_dir, *zip_path;
static CodeStore *store;

static void remove_tmp_dir(void)
{
        (void) code_store_remove_unused(store, NULL);
        store = code_store_free(store);
        (void) rmdir(store_dir);
        (void) unlink(zip_path);
        (void) rmdir(tmp_dir);
}

static void make_store(void)
{
        /* Under $TMPDIR, so that tools/fuzz.sh finds what a crash (no atexit then) leaves behind. */
        if (asprintf(&tmp_dir, "%s/fuzz-code-archive-XXXXXX", getenv("TMPDIR") ?: "/tmp") < 0 ||
            !mkdtemp(tmp_dir) || asprintf(&store_dir, "%s/store", tmp_dir) < 0 ||
            asprintf(&zip_path, "%s/input.zip", tmp_dir) < 0 || code_store_open(store_dir, &store) < 0)
                abort();
        (void) atexit(remove_tmp_dir);
}

static bool store_is_empty(void)
{
        DIR *d = opendir(store_dir);
        struct dirent *de;
        bool empty = true;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        empty = false;
        closedir(d);
        return empty;
}

static bool has_dot_dot(const char *p)
{
        for (const char *c = p; c; c = strchr(c, '/'), c = c ? c + 1 : NULL)
                if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
                        return true;
        return false;
}

static void check_entry(const uint8_t *data, size_t size)
{
        static const mode_t types[] = { S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, 0 };
        _cleanup_free_ char *text = malloc(size + 1), *msg = NULL, *normal = NULL;
        const char *path, *target = NULL;
        mode_t type = S_IFREG;
        size_t n;
        int r;

        if (!text)
                return;
        memcpy(text, data, size);
        text[size] = 0;
        /* PATH [\0 TYPE [TARGET]] */
        path = text;
        n = strlen(path);
        if (n + 1 < size)
                type = types[(unsigned char) text[n + 1] % ELEMENTSOF(types)];
        if (n + 2 < size)
                target = text + n + 2;

        r = code_entry_check(path, type, target, &msg);
        if (r < 0) {
                if (r != -EINVAL || !msg || strncmp(msg, "entry \"", 7) != 0)
                        abort();
                for (const char *c = msg; *c; c++)
                        if ((unsigned char) *c < 0x20 || *c == 0x7f)
                                abort();
                return;
        }
        if (msg || path[0] == '/' || has_dot_dot(path) || strlen(path) > CODE_PATH_MAX)
                abort();
        if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
                abort();
        if (type == S_IFLNK && (!target || !target[0] || target[0] == '/'))
                abort();
        if (code_path_normalize(path, &normal) < 0 || normal[0] == '/' || strstr(normal, "//") ||
            has_dot_dot(normal) || (type != S_IFDIR && !normal[0]))
                abort();
}

static void unpack(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *msg = NULL;
        CodePrepared p = {};
        CodeSource src;
        struct stat st;
        int fd, r;

        if (!store)
                make_store();
        src = (CodeSource){ .zip = zip_path };
        fd = open(zip_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                abort();
        safe_close(fd);

        r = code_store_prepare_limited(store, &src, UNPACKED_MAX, &p, &msg);
        if (getenv("FUZZ_CODE_ARCHIVE_VERBOSE"))
                fprintf(stderr, "%d %s\n", r, msg ?: p.task_dir);
        if (r == 0) {
                if (msg || !p.task_dir || p.opt_dir || p.unpacked_size > UNPACKED_MAX ||
                    p.code_size != size || strlen(p.code_sha256) != 44 ||
                    strncmp(p.task_dir, store_dir, strlen(store_dir)) != 0 || lstat(p.task_dir, &st) < 0 ||
                    !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0755)
                        abort();
        } else if (r != -ENOMEM && !msg)
                abort();
        code_prepared_done(&p);

        /* Nothing left: no temporary, no half-made entry. */
        if (code_store_remove_unused(store, NULL) < 0 || !store_is_empty())
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        check_entry(data, size);
        unpack(data, size);
        return 0;
}
