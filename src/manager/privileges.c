/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "privileges.h"
#include "util.h"

static int fail(char **ret_message, int error, const char *format, ...) _printf_(3, 4);
static int fail(char **ret_message, int error, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(ret_message, format, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : error;
}

int privileges_parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid)
{
        const char *colon = strchr(s, ':');
        unsigned uid, gid;
        int r;

        if (colon) {
                _cleanup_free_ char *u = strndup(s, colon - s);

                if (!u)
                        return -ENOMEM;
                r = parse_unsigned(u, 0, UINT32_MAX - 1, &uid);
                if (r >= 0)
                        r = parse_unsigned(colon + 1, 0, UINT32_MAX - 1, &gid);
                if (r < 0)
                        return -EINVAL;
        } else {
                struct passwd *pw;

                if (!s[0])
                        return -EINVAL;
                errno = 0;
                pw = getpwnam(s);
                if (!pw)
                        return errno > 0 && errno != ENOENT ? -errno : -ESRCH;
                uid = pw->pw_uid;
                gid = pw->pw_gid;
        }
        if (uid == 0 || gid == 0)
                return -EPERM;
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

int privileges_parse_group(const char *s, gid_t *ret_gid)
{
        unsigned gid;

        if (strcmp(s, "auto") == 0) {
                *ret_gid = GID_INVALID;
                return 0;
        }
        if (parse_unsigned(s, 0, UINT32_MAX - 1, &gid) < 0)
                return -EINVAL;
        *ret_gid = gid;
        return 0;
}

/* 1 when path is an empty directory owned by root, 0 when it is anything else or missing. */
static int is_roots_empty_directory(const char *path)
{
        struct dirent *de;
        struct stat st;
        DIR *d;
        int r = 1;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
                return 0;
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        r = 0;
        closedir(d);
        return r;
}

int privileges_drop(uid_t uid, gid_t gid, gid_t engine_gid, const char *socket_path, const char *claim_dir,
                    const char *own_dir, char **ret_message)
{
        uid_t ruid, euid, suid;
        struct stat st;
        size_t n = 0;
        int r;

        if (geteuid() != 0)
                return 0;
        if (uid == 0 || gid == 0)
                return -EPERM;
        if (engine_gid == GID_INVALID && stat(socket_path, &st) >= 0 && S_ISSOCK(st.st_mode))
                engine_gid = st.st_gid;
        if (engine_gid != GID_INVALID)
                n = 1;

        /* Groups first: they need the privilege that setresuid() gives up. */
        if (setgroups(n, &engine_gid) < 0 || setresgid(gid, gid, gid) < 0)
                return fail(ret_message, -errno,
                            "Cannot take group %u with the engine socket's group %d: %s (the container "
                            "needs the capabilities SETUID and SETGID to start as root and drop them).",
                            (unsigned) gid, n ? (int) engine_gid : -1, strerror(errno));

        /* The owner may give a file to a group it is in, and change its mode, without CAP_CHOWN. */
        if (claim_dir) {
                r = is_roots_empty_directory(claim_dir);
                if (r > 0 && (chown(claim_dir, (uid_t) -1, gid) < 0 || chmod(claim_dir, 0775) < 0))
                        r = -errno;
                if (r < 0)
                        return fail(ret_message, r, "Cannot give %s to group %u: %s.", claim_dir,
                                    (unsigned) gid, strerror(-r));
        }

        /* Giving away the owner needs CAP_CHOWN: the container has it only when it lends root such a
         * directory (compose's sockets directory, which must be the manager's own, mode 0711). */
        if (own_dir) {
                r = is_roots_empty_directory(own_dir);
                if (r > 0 && (chown(own_dir, uid, gid) < 0 || chmod(own_dir, 0711) < 0))
                        r = -errno;
                if (r < 0)
                        return fail(ret_message, r,
                                    "Cannot give %s to uid %u: %s (the container needs the capability "
                                    "CHOWN for that).",
                                    own_dir, (unsigned) uid, strerror(-r));
        }

        if (setresuid(uid, uid, uid) < 0)
                return fail(ret_message, -errno, "Cannot become uid %u: %s.", (unsigned) uid,
                            strerror(errno));
        /* Nothing this process runs later may gain privileges either (setuid binaries, file caps). */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(ret_message, -errno, "Cannot set no_new_privs: %s.", strerror(errno));

        /* For good: with every uid changed from 0 the kernel cleared the capabilities. */
        if (setuid(0) >= 0 || setgid(0) >= 0 || getresuid(&ruid, &euid, &suid) < 0 || ruid != uid ||
            euid != uid || suid != uid || getegid() != gid)
                return fail(ret_message, -EPERM, "Dropped to uid %u, gid %u, yet root could be regained.",
                            (unsigned) uid, (unsigned) gid);
        return 1;
}
