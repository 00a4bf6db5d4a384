/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privileges.h"

static void test_parse_user(void **state)
{
        uid_t uid = 0;
        gid_t gid = 0;

        assert_int_equal(privileges_parse_user("61101:61101", &uid, &gid), 0);
        assert_int_equal(uid, 61101);
        assert_int_equal(gid, 61101);
        assert_int_equal(privileges_parse_user("1:2", &uid, &gid), 0);
        assert_int_equal(uid, 1);
        assert_int_equal(gid, 2);

        /* Never root, by number or by name. */
        assert_int_equal(privileges_parse_user("0:61101", &uid, &gid), -EPERM);
        assert_int_equal(privileges_parse_user("61101:0", &uid, &gid), -EPERM);
        assert_int_equal(privileges_parse_user("root", &uid, &gid), -EPERM);

        assert_int_equal(privileges_parse_user("", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user("61101", &uid, &gid), -ESRCH);
        assert_int_equal(privileges_parse_user("61101:", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user(":61101", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user("1:2:3", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user("-1:2", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user("4294967295:1", &uid, &gid), -EINVAL);
        assert_int_equal(privileges_parse_user("no-such-user-of-lambdad", &uid, &gid), -ESRCH);
        assert_int_equal(uid, 1);
}

static void test_parse_group(void **state)
{
        gid_t gid = 0;

        assert_int_equal(privileges_parse_group("auto", &gid), 0);
        assert_int_equal(gid, GID_INVALID);
        assert_int_equal(privileges_parse_group("998", &gid), 0);
        assert_int_equal(gid, 998);
        assert_int_equal(privileges_parse_group("", &gid), -EINVAL);
        assert_int_equal(privileges_parse_group("docker", &gid), -EINVAL);
        assert_int_equal(privileges_parse_group("4294967295", &gid), -EINVAL);
}

/* What a child that dropped root reports back (its exit status): each bit a failed expectation. */
enum {
        CHILD_DROP_FAILED = 1 << 0,
        CHILD_IDS = 1 << 1,
        CHILD_GROUPS = 1 << 2,
        CHILD_ROOT_AGAIN = 1 << 3,
};

static int child_drop(const char *socket_path, gid_t engine_gid, const char *claim_dir, const char *own_dir,
                      gid_t want_group)
{
        char *message = NULL;
        gid_t groups[4];
        int n, bad = 0;

        if (privileges_drop(65534, 65533, engine_gid, socket_path, claim_dir, own_dir, &message) != 1) {
                fprintf(stderr, "privileges_drop: %s\n", message ?: "?");
                return CHILD_DROP_FAILED;
        }
        if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65533 || getegid() != 65533)
                bad |= CHILD_IDS;
        n = getgroups(4, groups);
        if (want_group == GID_INVALID ? n != 0 : n != 1 || groups[0] != want_group)
                bad |= CHILD_GROUPS;
        if (setuid(0) >= 0 || seteuid(0) >= 0 || setgid(0) >= 0 || setgroups(0, NULL) >= 0)
                bad |= CHILD_ROOT_AGAIN;
        return bad;
}

static int run_child(const char *socket_path, gid_t engine_gid, const char *claim_dir, const char *own_dir,
                     gid_t want_group)
{
        int status;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_drop(socket_path, engine_gid, claim_dir, own_dir, want_group));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_drop(void **state)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[] = "/tmp/test-privileges.XXXXXX", path[64], store[64], full[64], inner[80], socks[64];
        struct stat st;
        int fd;

        if (geteuid() != 0)
                skip();
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/docker.sock", dir);
        snprintf(store, sizeof(store), "%s/code", dir);
        snprintf(full, sizeof(full), "%s/full", dir);
        snprintf(socks, sizeof(socks), "%s/instances", dir);

        /* The socket's group, found by itself; an empty store of root's is given to the group. */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(chown(path, 0, 4242), 0);
        assert_int_equal(mkdir(store, 0755), 0);
        /* And an empty sockets directory of root's becomes the uid's own, mode 0711. */
        assert_int_equal(mkdir(socks, 0755), 0);
        assert_int_equal(run_child(path, GID_INVALID, store, socks, 4242), 0);
        assert_int_equal(stat(store, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 65533);
        assert_int_equal(st.st_mode & 07777, 0775);
        assert_int_equal(stat(socks, &st), 0);
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(st.st_gid, 65533);
        assert_int_equal(st.st_mode & 07777, 0711);

        /* The group given instead of the socket's (LAMBDAD_DOCKER_GID); a store with files in it is
         * left alone. */
        assert_int_equal(mkdir(full, 0755), 0);
        snprintf(inner, sizeof(inner), "%s/x", full);
        assert_int_equal(mkdir(inner, 0755), 0);
        assert_int_equal(run_child(path, 61101, full, full, 61101), 0);
        assert_int_equal(stat(full, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        /* No socket there: no engine group at all (the manager's check says why later). */
        assert_int_equal(run_child("/nonexistent/docker.sock", GID_INVALID, NULL, NULL, GID_INVALID), 0);

        close(fd);
        unlink(path);
        rmdir(inner);
        rmdir(full);
        rmdir(store);
        rmdir(socks);
        rmdir(dir);
}

static void test_not_root(void **state)
{
        char *message = NULL;

        if (geteuid() == 0)
                skip();
        assert_int_equal(
                privileges_drop(65534, 65534, GID_INVALID, "/run/docker.sock", NULL, NULL, &message), 0);
        assert_null(message);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_user),
                cmocka_unit_test(test_parse_group),
                cmocka_unit_test(test_drop),
                cmocka_unit_test(test_not_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
