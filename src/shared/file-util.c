/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"

void temporary_name(const char *name, char tmp[static PATH_MAX])
{
        (void) snprintf(tmp, PATH_MAX, ".%s.tmp", name);
}

/* The temporary, written and fsync'd: nothing of it is visible under name yet. */
int write_temporary(int dir_fd, const char *tmp, const char *data, size_t len, mode_t mode)
{
        int fd, r = 0;

        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < len;) {
                ssize_t n = write(fd, data + done, len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                done += (size_t) n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        safe_close(fd);
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int rename_temporary(int dir_fd, const char *tmp, const char *name)
{
        if (renameat(dir_fd, tmp, dir_fd, name) >= 0)
                return 0;
        (void) unlinkat(dir_fd, tmp, 0);
        return -errno;
}

int write_atomic(int dir_fd, const char *name, const char *data, size_t len, mode_t mode)
{
        char tmp[PATH_MAX];
        int r;

        temporary_name(name, tmp);
        r = write_temporary(dir_fd, tmp, data, len, mode);
        if (r >= 0)
                r = rename_temporary(dir_fd, tmp, name);
        if (r < 0)
                return r;
        return fsync(dir_fd) < 0 ? -errno : 0;
}
