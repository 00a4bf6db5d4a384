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

#include "self.h"

static char dir[] = "/tmp/test-self.XXXXXX";

static void test_engine_socket(void **state)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[sizeof(dir) + 32], *message = NULL;
        int fd;

        assert_non_null(mkdtemp(dir));

        /* Missing: the message names the socket. */
        snprintf(path, sizeof(path), "%s/docker.sock", dir);
        assert_int_equal(self_check_engine_socket(path, &message), -ENOENT);
        assert_non_null(strstr(message, path));
        assert_non_null(strstr(message, "does not exist"));
        free(message);

        /* A directory where the socket should be (what a bind mount of a missing host path gives). */
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(self_check_engine_socket(path, &message), -ENOTSOCK);
        assert_non_null(strstr(message, "is not a socket"));
        free(message);
        assert_int_equal(rmdir(path), 0);

        /* A socket this process may use. */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        message = NULL;
        assert_int_equal(self_check_engine_socket(path, &message), 0);
        assert_null(message);
        close(fd);
        unlink(path);
        rmdir(dir);
}

static void test_pick_network(void **state)
{
        char *one[] = { "bridge", "proj_default", NULL }, *none[] = { "bridge", "host", "ingress", NULL },
             *two[] = { "a_default", "b_default", NULL },
             /* A manager joined to the networks of isolated functions: its own is still the one. */
                *joined[] = { "proj_default-fn-hello", "proj_default", "proj_default-fn-b", NULL },
             *fn_only[] = { "proj_default-fn-hello", NULL };
        char *network = NULL, *message = NULL;

        assert_int_equal(self_pick_network(one, &network, &message), 0);
        assert_string_equal(network, "proj_default");
        assert_null(message);
        free(network);

        network = NULL;
        assert_int_equal(self_pick_network(none, &network, &message), -ENONET);
        assert_null(network);
        assert_non_null(strstr(message, "--network=NAME"));
        free(message);

        message = NULL;
        assert_int_equal(self_pick_network(two, &network, &message), -ENOTUNIQ);
        assert_non_null(strstr(message, "a_default"));
        free(message);

        network = NULL;
        assert_int_equal(self_pick_network(joined, &network, &message), 0);
        assert_string_equal(network, "proj_default");
        free(network);

        /* Without the network it is of, a function's network is a network like another. */
        network = NULL;
        assert_int_equal(self_pick_network(fn_only, &network, &message), 0);
        assert_string_equal(network, "proj_default-fn-hello");
        free(network);

        message = NULL;
        assert_int_equal(self_pick_network(NULL, &network, &message), -ENONET);
        free(message);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_engine_socket),
                cmocka_unit_test(test_pick_network),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
