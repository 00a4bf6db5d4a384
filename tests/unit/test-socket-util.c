/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "socket-util.h"

static void check(const char *in, const char *out)
{
        SocketAddress a;
        char b[64];

        assert_int_equal(socket_address_parse(in, &a), 0);
        assert_string_equal(socket_address_format(&a, b, sizeof(b)), out);
}

static void test_parse(void **state)
{
        check("127.0.0.1:9001", "127.0.0.1:9001");
        check(":8080", "0.0.0.0:8080");
        check("8080", "0.0.0.0:8080");
        check("[::1]:80", "[::1]:80");
        check("[::]:65535", "[::]:65535");
}

static void test_invalid(void **state)
{
        static const char *const bad[] = {
                "",        "127.0.0.1", "127.0.0.1:",  "127.0.0.1:0", "127.0.0.1:65536", "localhost:80",
                "[::1]80", "[::1",      "1.2.3.4:80x", "::1:80",      "999.1.1.1:80",    "1.2.3.4:-1"
        };
        SocketAddress a;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(socket_address_parse(bad[i], &a), -EINVAL);
}

static void test_listen(void **state)
{
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sin);
        SocketAddress a;
        char spec[32];
        int taken, fd;

        /* Take an ephemeral port, then ask for the same one: the error comes back as -errno. */
        taken = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(taken >= 0);
        assert_int_equal(bind(taken, (struct sockaddr *) &sin, sizeof(sin)), 0);
        assert_int_equal(listen(taken, 1), 0);
        assert_int_equal(getsockname(taken, (struct sockaddr *) &sin, &len), 0);
        snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sin.sin_port));
        assert_int_equal(socket_address_parse(spec, &a), 0);
        assert_int_equal(socket_listen(&a, 1), -EADDRINUSE);
        close(taken);

        fd = socket_listen(&a, 1);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);
}

/* lambda-rie's invoke endpoint of an instance without a network (LAMBDA_RIE_LISTEN=unix:/PATH). */
static void test_unix(void **state)
{
        char dir[] = "/tmp/test-socket-util-XXXXXX", path[128], spec[260], b[160];
        char long_path[200];
        SocketAddress a;
        struct stat st;
        int fd, c;

        assert_int_equal(socket_address_parse_unix("unix:/run/x/invoke.sock", &a), 0);
        assert_int_equal(a.sa.ss_family, AF_UNIX);
        assert_string_equal(socket_address_format(&a, b, sizeof(b)), "unix:/run/x/invoke.sock");
        assert_int_equal(socket_address_parse_any("unix:/a", &a), 0);
        assert_int_equal(a.sa.ss_family, AF_UNIX);
        assert_int_equal(socket_address_parse_any("127.0.0.1:80", &a), 0);
        assert_int_equal(a.sa.ss_family, AF_INET);
        /* Relative, empty, not "unix:", too long for sun_path (107 bytes and a NUL). */
        memset(long_path, 'a', sizeof(long_path));
        long_path[0] = '/';
        long_path[108] = 0;
        snprintf(spec, sizeof(spec), "unix:%s", long_path);
        assert_int_equal(socket_address_parse_unix(spec, &a), -EINVAL);
        long_path[107] = 0;
        snprintf(spec, sizeof(spec), "unix:%s", long_path);
        assert_int_equal(socket_address_parse_unix(spec, &a), 0);
        assert_int_equal(socket_address_parse_unix("unix:run/x", &a), -EINVAL);
        assert_int_equal(socket_address_parse_unix("unix:", &a), -EINVAL);
        assert_int_equal(socket_address_parse_unix("/run/x", &a), -EINVAL);
        assert_int_equal(socket_address_parse_any("unix:x", &a), -EINVAL);
        /* The TCP parser does not take one (the gateway's --listen). */
        assert_int_equal(socket_address_parse("unix:/run/x", &a), -EINVAL);

        /* Listening: a socket at the path; a path that exists already is refused. */
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/invoke.sock", dir);
        snprintf(spec, sizeof(spec), "unix:%s", path);
        assert_int_equal(socket_address_parse_unix(spec, &a), 0);
        fd = socket_listen(&a, 1);
        assert_true(fd >= 0);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(connect(c, (struct sockaddr *) &a.sa, a.len), 0);
        close(c);
        assert_int_equal(socket_listen(&a, 1), -EADDRINUSE);
        close(fd);
        unlink(path);
        rmdir(dir);
}

/* /proc/net/route as a container on two bridges has it: the default route is eth1's. */
static void test_route(void **state)
{
        static const char table[] =
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                "eth1\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                "eth1\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        char iface[16];
        SocketAddress a;

        assert_int_equal(route_default_interface(table, iface, sizeof(iface)), 0);
        assert_string_equal(iface, "eth1");
        /* A default route that is down, none at all, and what is not the table. */
        assert_int_equal(
                route_default_interface("Iface\tDestination\n"
                                        "eth1\t00000000\t010012AC\t0002\t0\t0\t0\t00000000\t0\t0\t0\n",
                                        iface, sizeof(iface)),
                -ENOENT);
        assert_int_equal(route_default_interface("Iface\tDestination\n", iface, sizeof(iface)), -ENOENT);
        assert_int_equal(route_default_interface("garbage", iface, sizeof(iface)), -EINVAL);
        assert_int_equal(route_default_interface("Iface\tx\nonly two\n", iface, sizeof(iface)), -EINVAL);
        assert_int_equal(route_default_interface(table, iface, 4), -EINVAL);
        /* Malformed ports are refused before anything is read. */
        assert_int_equal(socket_address_route("@route:", &a), -EINVAL);
        assert_int_equal(socket_address_route("@route:70000", &a), -EINVAL);
        assert_int_equal(socket_address_route("route:80", &a), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),  cmocka_unit_test(test_unix),  cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_listen), cmocka_unit_test(test_route),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
