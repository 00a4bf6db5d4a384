/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>
#include <openssl/evp.h>

#include "api-store.h"
#include "file-util.h"
#include "lambda-contract.h"
#include "registry.h"
#include "strv.h"

struct ApiStore {
        char *dir;
        int dir_fd;
        int uploads_fd;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static int open_dir(int at, const char *path, int *ret)
{
        int fd;

        if (mkdirat(at, path, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

int api_store_open(const char *dir, ApiStore **ret)
{
        _cleanup_free_ ApiStore *s = calloc(1, sizeof(ApiStore));
        int r;

        if (!s)
                return -ENOMEM;
        s->dir_fd = s->uploads_fd = -EBADF;
        s->dir = strdup(dir);
        if (!s->dir)
                return -ENOMEM;
        r = open_dir(AT_FDCWD, dir, &s->dir_fd);
        if (r >= 0)
                r = open_dir(s->dir_fd, "uploads", &s->uploads_fd);
        if (r < 0) {
                safe_close(s->dir_fd);
                free(s->dir);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

ApiStore *api_store_free(ApiStore *s)
{
        if (!s)
                return NULL;
        safe_close(s->dir_fd);
        safe_close(s->uploads_fd);
        free(s->dir);
        free(s);
        return NULL;
}

const char *api_store_dir(const ApiStore *s)
{
        return s->dir;
}

int api_store_save_zip(ApiStore *s, int fd, uint64_t max, char **ret_path)
{
        static const char hex[] = "0123456789abcdef";
        char tmp[PATH_MAX], name[2 * 32 + STRLEN(".zip") + 1], buf[64 * 1024];
        unsigned char md[32];
        _cleanup_close_ int out = -EBADF;
        EVP_MD_CTX *ctx = NULL;
        uint64_t size = 0;
        int r = 0;

        temporary_name("upload", tmp);
        out = openat(s->uploads_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0)
                return -errno;
        ctx = EVP_MD_CTX_new();
        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
                r = -ENOMEM;
        while (r >= 0) {
                ssize_t n = pread(fd, buf, sizeof(buf), (off_t) size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                size += (uint64_t) n;
                if (size > max)
                        r = -EFBIG;
                else if (!EVP_DigestUpdate(ctx, buf, (size_t) n))
                        r = -EIO;
                else if (write(out, buf, (size_t) n) != n)
                        r = errno ? -errno : -EIO;
        }
        if (r >= 0 && !EVP_DigestFinal_ex(ctx, md, NULL))
                r = -EIO;
        EVP_MD_CTX_free(ctx);
        if (r >= 0 && fsync(out) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(s->uploads_fd, tmp, 0);
                return r;
        }
        for (size_t k = 0; k < 32; k++) {
                name[2 * k] = hex[md[k] >> 4];
                name[2 * k + 1] = hex[md[k] & 15];
        }
        memcpy(name + 64, ".zip", sizeof(".zip"));
        r = rename_temporary(s->uploads_fd, tmp, name);
        if (r >= 0 && fsync(s->uploads_fd) < 0)
                r = -errno;
        if (r < 0)
                return r;
        return asprintf(ret_path, "%s/uploads/%s", s->dir, name) < 0 ? -ENOMEM : 0;
}

/* NAME's or NAME:N's file of that suffix; DECLARATION: NAME.json or NAME:N.version. */
#define DECLARATION NULL
static int file_name(const char *name, const char *suffix, char ret[static PATH_MAX])
{
        if (!function_ref_is_valid(name))
                return -EINVAL;
        (void) snprintf(ret, PATH_MAX, "%s%s", name, suffix ?: strchr(name, ':') ? ".version" : ".json");
        return 0;
}

/* NAME.versions: the highest version NAME ever had, so that a deleted one's number is never reused;
 * 0 when it cannot be read. */
static unsigned read_last_version(ApiStore *s, const char *name)
{
        _cleanup_free_ char *data = NULL, *error = NULL;
        char file[PATH_MAX];
        unsigned last;
        size_t len;

        if (file_name(name, ".versions", file) < 0 ||
            config_file_read(s->dir_fd, file, &data, &len, &error) < 0 ||
            !lambda_version_parse(data, strcspn(data, "\n"), &last))
                return 0;
        return last;
}

/* ... raised to version's (NAME:N), never lowered. */
static int raise_last_version(ApiStore *s, const char *version)
{
        _cleanup_free_ char *name = strndup(version, strcspn(version, ":")), *text = NULL;
        const char *number = version + strcspn(version, ":") + 1;
        char file[PATH_MAX];
        unsigned n;
        int r;

        if (!name)
                return -ENOMEM;
        if (!lambda_version_parse(number, strlen(number), &n))
                return -EINVAL;
        if (n <= read_last_version(s, name))
                return 0;
        if (asprintf(&text, "%u\n", n) < 0)
                return -ENOMEM;
        r = file_name(name, ".versions", file);
        if (r >= 0)
                r = write_atomic(s->dir_fd, file, text, strlen(text), 0600);
        return r;
}

int api_store_write(ApiStore *s, const char *name, const char *declaration, const ApiMeta *meta)
{
        char file[PATH_MAX], *text = NULL;
        int r;

        r = file_name(name, ".meta", file);
        if (r < 0)
                return r;
        if (asprintf(&text, "{\"revision_id\": \"%s\", \"last_modified_usec\": %" PRIu64 "}\n",
                     meta->revision_id, meta->last_modified_usec) < 0)
                return -ENOMEM;
        r = write_atomic(s->dir_fd, file, text, strlen(text), 0600);
        free(text);
        if (r >= 0)
                r = file_name(name, DECLARATION, file);
        if (r >= 0)
                r = write_atomic(s->dir_fd, file, declaration, strlen(declaration), 0600);
        if (r >= 0 && strchr(name, ':'))
                r = raise_last_version(s, name);
        return r;
}

static int read_meta(ApiStore *s, const char *file, ApiMeta *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *data = NULL, *error = NULL;
        json_object *id, *usec;
        size_t len;
        int r;

        r = config_file_read(s->dir_fd, file, &data, &len, &error);
        if (r >= 0)
                r = config_json_parse(data, len, &o, &error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (!json_object_object_get_ex(o, "revision_id", &id) ||
            !json_object_is_type(id, json_type_string) ||
            json_object_get_string_len(id) != UUID_STRING_MAX - 1 ||
            !json_object_object_get_ex(o, "last_modified_usec", &usec) ||
            !json_object_is_type(usec, json_type_int))
                return -EBADMSG;
        memcpy(ret->revision_id, json_object_get_string(id), UUID_STRING_MAX);
        ret->last_modified_usec = (uint64_t) json_object_get_int64(usec);
        return 0;
}

/* NAME's file of that suffix, whole: -ENOENT when there is none, -EBADMSG when it cannot be read as
 * a configuration file. */
static int read_text(ApiStore *s, const char *name, const char *suffix, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *error = NULL;
        char file[PATH_MAX];
        int r;

        r = file_name(name, suffix, file);
        if (r < 0)
                return r;
        if (faccessat(s->dir_fd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        r = config_file_read(s->dir_fd, file, ret, ret_len, &error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        return 0;
}

int api_store_read(ApiStore *s, const char *name, char **ret_declaration, ApiMeta *ret_meta)
{
        _cleanup_free_ char *data = NULL;
        char file[PATH_MAX];
        size_t len;
        int r;

        r = read_text(s, name, DECLARATION, &data, &len);
        if (r < 0)
                return r;
        if (ret_meta) {
                r = file_name(name, ".meta", file);
                if (r >= 0)
                        r = read_meta(s, file, ret_meta);
                /* A lost record of the revision is a new revision, not a lost function. */
                if (r == -EBADMSG || r == -ENOENT)
                        r = api_meta_new(ret_meta);
                if (r < 0)
                        return r;
        }
        if (ret_declaration)
                *ret_declaration = TAKE_PTR(data);
        return 0;
}

static int unlink_file(ApiStore *s, const char *name, const char *suffix)
{
        char file[PATH_MAX];
        int r;

        r = file_name(name, suffix, file);
        if (r >= 0 && unlinkat(s->dir_fd, file, 0) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

int api_store_remove(ApiStore *s, const char *name)
{
        _cleanup_free_ unsigned *versions = NULL;
        char file[PATH_MAX];
        size_t n = 0;
        int r;

        r = file_name(name, DECLARATION, file);
        if (r < 0)
                return r;
        if (unlinkat(s->dir_fd, file, 0) < 0)
                return -errno;
        r = unlink_file(s, name, ".meta");
        /* The function goes with its versions and aliases. */
        if (r >= 0 && !strchr(name, ':'))
                r = api_store_list_versions(s, name, &versions, &n);
        for (size_t k = 0; r >= 0 && k < n; k++) {
                char version[LAMBDA_FUNCTION_REF_MAX + 1];

                (void) snprintf(version, sizeof(version), "%s:%u", name, versions[k]);
                r = unlink_file(s, version, DECLARATION);
                if (r >= 0)
                        r = unlink_file(s, version, ".meta");
                if (r >= 0)
                        r = unlink_file(s, version, ".provisioned");
        }
        if (r >= 0 && strchr(name, ':'))
                r = unlink_file(s, name, ".provisioned");
        if (r >= 0 && !strchr(name, ':'))
                r = unlink_file(s, name, ".versions");
        if (r >= 0 && !strchr(name, ':'))
                r = unlink_file(s, name, ".aliases");
        if (r >= 0 && fsync(s->dir_fd) < 0)
                r = -errno;
        return r;
}

static int compare_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;

        return x < y ? -1 : x > y;
}

int api_store_list_versions(ApiStore *s, const char *name, unsigned **ret, size_t *ret_n)
{
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ unsigned *list = NULL;
        size_t n = 0, len = strlen(name);
        struct dirent *de;
        int r;

        r = opendir_at(s->dir_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                size_t k = strlen(de->d_name);
                unsigned v, *l;

                if (k <= len + 1 + STRLEN(".version") || strncmp(de->d_name, name, len) != 0 ||
                    de->d_name[len] != ':' || strcmp(de->d_name + k - STRLEN(".version"), ".version") != 0 ||
                    !lambda_version_parse(de->d_name + len + 1, k - len - 1 - STRLEN(".version"), &v))
                        continue;
                l = reallocarray(list, n + 1, sizeof(unsigned));
                if (!l)
                        return -ENOMEM;
                list = l;
                list[n++] = v;
        }
        if (n > 0)
                qsort(list, n, sizeof(unsigned), compare_unsigned);
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int api_store_next_version(ApiStore *s, const char *name, unsigned *ret)
{
        _cleanup_free_ unsigned *versions = NULL;
        unsigned last = read_last_version(s, name);
        size_t n = 0;
        int r;

        /* A lost NAME.versions: the versions that are there say how far it came. */
        r = api_store_list_versions(s, name, &versions, &n);
        if (r < 0)
                return r;
        if (n > 0 && versions[n - 1] > last)
                last = versions[n - 1];
        if (last >= LAMBDA_VERSION_MAX)
                return -E2BIG;
        *ret = last + 1;
        return 0;
}

/* NAME's file of that suffix as JSON: -ENOENT when there is none, -EBADMSG when it is no JSON. */
static int read_json(ApiStore *s, const char *name, const char *suffix, json_object **ret)
{
        _cleanup_free_ char *data = NULL, *error = NULL;
        size_t len;
        int r;

        r = read_text(s, name, suffix, &data, &len);
        if (r < 0)
                return r;
        r = config_json_parse(data, len, ret, &error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        return 0;
}

static int write_json(ApiStore *s, const char *name, const char *suffix, json_object *o)
{
        char file[PATH_MAX];
        const char *text;
        int r;

        r = file_name(name, suffix, file);
        if (r < 0)
                return r;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        if (!text)
                return -ENOMEM;
        return write_atomic(s->dir_fd, file, text, strlen(text), 0600);
}

int api_store_read_aliases(ApiStore *s, const char *name, json_object **ret)
{
        int r;

        r = read_json(s, name, ".aliases", ret);
        if (r == -ENOENT) {
                *ret = json_object_new_object();
                return *ret ? 0 : -ENOMEM;
        }
        return r;
}

int api_store_write_aliases(ApiStore *s, const char *name, json_object *aliases)
{
        return write_json(s, name, ".aliases", aliases);
}

int api_store_read_provisioned(ApiStore *s, const char *version, ApiProvisioned *ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *requested, *qualifier, *usec;
        int r;

        r = read_json(s, version, ".provisioned", &o);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(o, "requested", &requested) ||
            !json_object_is_type(requested, json_type_int) || json_object_get_int64(requested) < 1 ||
            json_object_get_int64(requested) > UINT_MAX ||
            !json_object_object_get_ex(o, "qualifier", &qualifier) ||
            !json_object_is_type(qualifier, json_type_string) || json_object_get_string_len(qualifier) < 1 ||
            json_object_get_string_len(qualifier) > API_QUALIFIER_MAX ||
            !json_object_object_get_ex(o, "last_modified_usec", &usec) ||
            !json_object_is_type(usec, json_type_int))
                return -EBADMSG;
        ret->requested = (unsigned) json_object_get_int64(requested);
        strcpy(ret->qualifier, json_object_get_string(qualifier));
        ret->last_modified_usec = (uint64_t) json_object_get_int64(usec);
        return 0;
}

int api_store_write_provisioned(ApiStore *s, const char *version, const ApiProvisioned *p)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        if (!p) {
                r = unlink_file(s, version, ".provisioned");
                if (r >= 0 && fsync(s->dir_fd) < 0)
                        r = -errno;
                return r;
        }
        o = json_object_new_object();
        if (!o || json_object_object_add(o, "requested", json_object_new_int64(p->requested)) < 0 ||
            json_object_object_add(o, "qualifier", json_object_new_string(p->qualifier)) < 0 ||
            json_object_object_add(o, "last_modified_usec",
                                   json_object_new_int64((int64_t) p->last_modified_usec)) < 0)
                return -ENOMEM;
        return write_json(s, version, ".provisioned", o);
}

int api_meta_new(ApiMeta *ret)
{
        int r = random_uuid(ret->revision_id);

        if (r < 0)
                return r;
        ret->last_modified_usec = now_usec(CLOCK_REALTIME);
        return 0;
}

int api_store_remove_unused_uploads(ApiStore *s, char *const *keep)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        r = opendir_at(s->uploads_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&path, "%s/uploads/%s", s->dir, de->d_name) < 0)
                        return -ENOMEM;
                if (!strv_contains(keep, path) && unlinkat(s->uploads_fd, de->d_name, 0) < 0 && r >= 0)
                        r = -errno;
        }
        return r;
}
