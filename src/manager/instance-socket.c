/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance-socket.h"
#include "instance.h"
#include "log.h"
#include "util.h"

/* 128 bits, as hex. */
#define DIR_NAME_BYTES 16
#define DIR_NAME_LEN   (2 * DIR_NAME_BYTES)

/* The sockets directory, made when missing; it must be the manager's and closed to others' writes
 * (whoever could write there could swap an instance's directory for one of theirs). */
static int sockets_dir_ready(const Manager *m)
{
        const char *dir = m->config.instance_sockets_dir;
        struct stat st;

        if (!dir)
                return -ENXIO;
        if (mkdir(dir, 0711) < 0 && errno != EEXIST)
                return -errno;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
                return -EPERM;
        /* Not listable: the names of the instances' directories are not for others to read. */
        if ((st.st_mode & 07777) != 0711 && chmod(dir, 0711) < 0)
                return -errno;
        return 0;
}

int instance_socket_dir_new(Manager *m, char **ret)
{
        _cleanup_free_ char *path = NULL;
        char name[DIR_NAME_LEN + 1];
        int r;

        r = sockets_dir_ready(m);
        if (r < 0)
                return r;
        r = random_hex(name, DIR_NAME_BYTES);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", m->config.instance_sockets_dir, name) < 0)
                return -ENOMEM;
        if (mkdir(path, 0700) < 0)
                return -errno;
        /* Anybody may create in it (lambda-rie's uid is not ours, and we cannot chown), nobody but its
         * owner remove or replace: the socket's owner is checked before the instance is ready. The
         * manager's umask does not apply to chmod. */
        if (chmod(path, 01777) < 0) {
                r = -errno;
                (void) rmdir(path);
                return r;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

int instance_socket_path(const char *dir, char **ret)
{
        return asprintf(ret, "%s/" INSTANCE_SOCKET_NAME, dir) < 0 ? -ENOMEM : 0;
}

static bool dir_name_is_valid(const char *name, size_t n)
{
        if (n != DIR_NAME_LEN)
                return false;
        for (size_t k = 0; k < n; k++)
                if (!strchr("0123456789abcdef", name[k]) || !name[k])
                        return false;
        return true;
}

int instance_socket_dir_of(const Manager *m, const char *path, char **ret)
{
        const char *dir = m->config.instance_sockets_dir, *name, *slash;
        size_t n;

        if (!dir || !path)
                return -EINVAL;
        n = strlen(dir);
        if (strncmp(path, dir, n) != 0 || path[n] != '/')
                return -EINVAL;
        name = path + n + 1;
        slash = strchr(name, '/');
        if (!slash || !dir_name_is_valid(name, (size_t) (slash - name)) ||
            strcmp(slash + 1, INSTANCE_SOCKET_NAME) != 0)
                return -EINVAL;
        *ret = strndup(path, (size_t) (slash - path));
        return *ret ? 0 : -ENOMEM;
}

int instance_socket_check(const char *path, uid_t uid)
{
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;
        char *slash;

        if (!dir)
                return -ENOMEM;
        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISSOCK(st.st_mode) || st.st_uid != uid)
                return -EPERM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return -EINVAL;
        *slash = 0;
        /* Closed: what is in it now stays as it is until the manager removes it. */
        if (chmod(dir, 0711) < 0)
                return -errno;
        return 0;
}

int instance_socket_uid(const char *user, uid_t *ret)
{
        _cleanup_free_ char *u = strdup(user ?: "");
        unsigned v;
        char *colon;

        if (!u)
                return -ENOMEM;
        colon = strchr(u, ':');
        if (colon)
                *colon = 0;
        if (parse_unsigned(u, 0, UINT32_MAX - 1, &v) < 0)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

void instance_socket_dir_remove(const char *dir)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (!dir)
                return;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        log_warning_errno(-errno, "Failed to open %s to remove it: %m", dir);
                return;
        }
        /* What a function could have put there before its directory was closed: one level of it. */
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR)
                        (void) unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
        }
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "Failed to remove %s: %m", dir);
}

static bool dir_in_use(const Manager *m, const char *name)
{
        size_t n = strlen(m->config.instance_sockets_dir);

        for (Instance *i = m->instances; i; i = i->next)
                if (i->socket_dir && strcmp(i->socket_dir + n + 1, name) == 0)
                        return true;
        return false;
}

void instance_socket_sweep(Manager *m)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (!m->config.instance_sockets_dir)
                return;
        d = opendir(m->config.instance_sockets_dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!dir_name_is_valid(de->d_name, strlen(de->d_name)) || dir_in_use(m, de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s", m->config.instance_sockets_dir, de->d_name) < 0) {
                        (void) log_oom();
                        return;
                }
                log_debug("Removing %s, left by an instance of an earlier lifetime.", path);
                instance_socket_dir_remove(path);
        }
}
