/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "socket-util.h"
#include "util.h"

int socket_address_parse(const char *s, SocketAddress *ret)
{
        char host[INET6_ADDRSTRLEN + 1] = "";
        const char *port_str;
        unsigned port;
        SocketAddress a = {};

        if (!s || !*s)
                return -EINVAL;

        if (s[0] == '[') {
                const char *e = strchr(s, ']');

                if (!e || e[1] != ':' || (size_t) (e - s - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, (size_t) (e - s - 1));
                host[e - s - 1] = 0;
                port_str = e + 2;
        } else {
                const char *c = strrchr(s, ':');

                if (c) {
                        if ((size_t) (c - s) >= sizeof(host))
                                return -EINVAL;
                        memcpy(host, s, (size_t) (c - s));
                        host[c - s] = 0;
                        port_str = c + 1;
                } else
                        port_str = s;
        }

        if (parse_unsigned(port_str, 1, 65535, &port) < 0)
                return -EINVAL;

        /* IPv6 addresses need brackets: "::1:80" is ambiguous. */
        if (s[0] != '[' && strchr(host, ':'))
                return -EINVAL;

        if (strchr(host, ':')) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &a.sa;

                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
                        return -EINVAL;
                a.len = sizeof(*in6);
        } else {
                struct sockaddr_in *in = (struct sockaddr_in *) &a.sa;

                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t) port);
                if (!host[0])
                        in->sin_addr.s_addr = htonl(INADDR_ANY);
                else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
                        return -EINVAL;
                a.len = sizeof(*in);
        }

        *ret = a;
        return 0;
}

int socket_address_parse_unix(const char *s, SocketAddress *ret)
{
        struct sockaddr_un *un;
        SocketAddress a = {};
        size_t n;

        if (!s || strncmp(s, "unix:", 5) != 0)
                return -EINVAL;
        s += 5;
        n = strlen(s);
        un = (struct sockaddr_un *) &a.sa;
        if (s[0] != '/' || n >= sizeof(un->sun_path))
                return -EINVAL;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, s, n + 1);
        a.len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
        *ret = a;
        return 0;
}

int route_default_interface(const char *text, char *ret, size_t size)
{
        const char *line;

        /* The header, then: Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT. */
        if (!text || strncmp(text, "Iface\t", 6) != 0)
                return -EINVAL;
        for (line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
                char iface[64], destination[16], mask[16];
                unsigned flags;

                if (sscanf(line + 1, "%63s %15s %*s %x %*s %*s %*s %15s", iface, destination, &flags,
                           mask) != 4)
                        return -EINVAL;
                /* RTF_UP */
                if (strcmp(destination, "00000000") != 0 || strcmp(mask, "00000000") != 0 || !(flags & 1))
                        continue;
                if (strlen(iface) >= size)
                        return -EINVAL;
                strcpy(ret, iface);
                return 0;
        }
        return -ENOENT;
}

int socket_address_route(const char *s, SocketAddress *ret)
{
        char text[16384], iface[IFNAMSIZ];
        struct ifaddrs *addrs = NULL;
        struct sockaddr_in *in = NULL;
        SocketAddress a = {};
        unsigned port;
        ssize_t n;
        int r;

        if (!s || strncmp(s, SOCKET_ADDRESS_ROUTE_PREFIX, STRLEN(SOCKET_ADDRESS_ROUTE_PREFIX)) != 0 ||
            parse_unsigned(s + STRLEN(SOCKET_ADDRESS_ROUTE_PREFIX), 1, 65535, &port) < 0)
                return -EINVAL;
        {
                _cleanup_close_ int fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC);

                if (fd < 0)
                        return -errno;
                n = read(fd, text, sizeof(text) - 1);
                if (n < 0)
                        return -errno;
                text[n] = 0;
        }
        r = route_default_interface(text, iface, sizeof(iface));
        if (r < 0)
                return r;
        if (getifaddrs(&addrs) < 0)
                return -errno;
        for (struct ifaddrs *i = addrs; i; i = i->ifa_next)
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, iface) == 0) {
                        in = (struct sockaddr_in *) &a.sa;
                        *in = *(struct sockaddr_in *) i->ifa_addr;
                        break;
                }
        freeifaddrs(addrs);
        if (!in)
                return -ENOENT;
        in->sin_port = htons((uint16_t) port);
        a.len = sizeof(struct sockaddr_in);
        *ret = a;
        return 0;
}

int socket_address_parse_any(const char *s, SocketAddress *ret)
{
        if (s && strncmp(s, "unix:", 5) == 0)
                return socket_address_parse_unix(s, ret);
        return socket_address_parse(s, ret);
}

int socket_listen(const SocketAddress *a, int backlog)
{
        _cleanup_close_ int fd = -EBADF;
        int one = 1;

        fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (a->sa.ss_family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *) &a->sa, a->len) < 0)
                return -errno;
        if (listen(fd, backlog) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int fd_set_nonblock(int fd)
{
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

const char *socket_address_format(const SocketAddress *a, char *buf, size_t size)
{
        char host[INET6_ADDRSTRLEN] = "?";
        unsigned port = 0;

        if (a->sa.ss_family == AF_UNIX) {
                const struct sockaddr_un *un = (const struct sockaddr_un *) &a->sa;

                if (a->len > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0])
                        (void) snprintf(buf, size, "unix:%.*s",
                                        (int) (a->len - offsetof(struct sockaddr_un, sun_path)),
                                        un->sun_path);
                else
                        (void) snprintf(buf, size, "unix");
        } else if (a->sa.ss_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) &a->sa;

                (void) inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
                port = ntohs(in->sin_port);
                (void) snprintf(buf, size, "%s:%u", host, port);
        } else {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) &a->sa;

                (void) inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
                port = ntohs(in6->sin6_port);
                (void) snprintf(buf, size, "[%s]:%u", host, port);
        }
        return buf;
}
