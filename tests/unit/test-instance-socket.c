/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "instance-socket.h"
#include "instance.h"
#include "util.h"

#define HEX32 "0123456789abcdef0123456789abcdef"

static void test_uid(void **state)
{
        uid_t uid = 7;

        assert_int_equal(instance_socket_uid("993:990", &uid), 0);
        assert_int_equal(uid, 993);
        assert_int_equal(instance_socket_uid("1000", &uid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(instance_socket_uid("0", &uid), 0);
        assert_int_equal(uid, 0);
        /* A name only the image resolves. */
        assert_int_equal(instance_socket_uid("sbx_user1051", &uid), -EINVAL);
        assert_int_equal(instance_socket_uid("app:990", &uid), -EINVAL);
        assert_int_equal(instance_socket_uid("", &uid), -EINVAL);
        assert_int_equal(instance_socket_uid(":1", &uid), -EINVAL);
        assert_int_equal(instance_socket_uid("-1", &uid), -EINVAL);
        assert_int_equal(instance_socket_uid("4294967295", &uid), -EINVAL);
}

/* What adoption reads back from a container's mounts is trusted only as a directory of ours. */
static void test_dir_of(void **state)
{
        Manager m = { .config.instance_sockets_dir = "/run/lm/instances" };
        char *dir = NULL;

        assert_int_equal(instance_socket_dir_of(&m, "/run/lm/instances/" HEX32 "/invoke.sock", &dir), 0);
        assert_string_equal(dir, "/run/lm/instances/" HEX32);
        free(dir);
        static const char *const bad[] = {
                "/run/lm/instances/" HEX32 "/other.sock",
                "/run/lm/instances/" HEX32,
                "/run/lm/instances/" HEX32 "/x/invoke.sock",
                "/run/lm/instances/0123456789ABCDEF0123456789abcdef/invoke.sock",
                "/run/lm/instances/0123456789abcdef/invoke.sock",
                "/run/lm/instancesX/" HEX32 "/invoke.sock",
                "/run/lm/instances/../" HEX32 "/invoke.sock",
                "/tmp/" HEX32 "/invoke.sock",
                "",
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                assert_int_equal(instance_socket_dir_of(&m, bad[k], &dir), -EINVAL);
        m.config.instance_sockets_dir = NULL;
        assert_int_equal(instance_socket_dir_of(&m, "/run/lm/instances/" HEX32 "/invoke.sock", &dir),
                         -EINVAL);
}

static int bind_at(const char *path)
{
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        assert_true(fd >= 0);
        snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
        assert_int_equal(bind(fd, (struct sockaddr *) &un, sizeof(un)), 0);
        return fd;
}

static void test_lifecycle(void **state)
{
        char top[] = "/tmp/test-instance-socket-XXXXXX", sockets[128], link_path[256];
        _cleanup_free_ char *dir = NULL, *path = NULL, *again = NULL;
        Manager m = {};
        struct stat st;
        int fd;

        assert_non_null(mkdtemp(top));
        snprintf(sockets, sizeof(sockets), "%s/instances", top);
        m.config.instance_sockets_dir = sockets;

        /* The sockets directory is made, not listable; each instance's is sticky and open to all. */
        assert_int_equal(instance_socket_dir_new(&m, &dir), 0);
        assert_int_equal(lstat(sockets, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);
        assert_int_equal(lstat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 01777);
        assert_int_equal(instance_socket_path(dir, &path), 0);
        assert_int_equal(instance_socket_dir_of(&m, path, &again), 0);
        assert_string_equal(again, dir);

        /* Nothing yet; something that is not a socket; a link to a socket; a socket of another uid. */
        assert_int_equal(instance_socket_check(path, geteuid()), -ENOENT);
        fd = bind_at(path);
        assert_int_equal(instance_socket_check(path, geteuid() + 1), -EPERM);
        assert_int_equal(lstat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 01777);
        snprintf(link_path, sizeof(link_path), "%s/invoke.sock.real", dir);
        assert_int_equal(rename(path, link_path), 0);
        assert_int_equal(symlink(link_path, path), 0);
        assert_int_equal(instance_socket_check(path, geteuid()), -EPERM);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rename(link_path, path), 0);
        /* lambda-rie's: the directory is closed then. */
        assert_int_equal(instance_socket_check(path, geteuid()), 0);
        assert_int_equal(lstat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);
        close(fd);

        /* A sockets directory others may write to is refused. */
        assert_int_equal(chmod(sockets, 0777), 0);
        free(again);
        again = NULL;
        assert_int_equal(instance_socket_dir_new(&m, &again), -EPERM);
        assert_int_equal(chmod(sockets, 0711), 0);

        /* The sweep removes directories no instance uses (this Manager has none), and what is in them. */
        free(again);
        again = NULL;
        assert_int_equal(instance_socket_dir_new(&m, &again), 0);
        instance_socket_sweep(&m);
        assert_int_equal(lstat(dir, &st), -1);
        assert_int_equal(lstat(again, &st), -1);
        assert_int_equal(rmdir(sockets), 0);
        assert_int_equal(rmdir(top), 0);

        m.config.instance_sockets_dir = NULL;
        assert_int_equal(instance_socket_dir_new(&m, &again), -ENXIO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uid),
                cmocka_unit_test(test_dir_of),
                cmocka_unit_test(test_lifecycle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
