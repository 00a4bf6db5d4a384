/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * socket-util.h: numeric socket addresses ("127.0.0.1:9001", "[::1]:8080", ":8080"), unix socket
 * paths ("unix:/PATH"), and the listening sockets made from them. Numeric only: no resolver, so it
 * works in static binaries.
 */

#include <sys/socket.h>

typedef struct SocketAddress {
        struct sockaddr_storage sa;
        socklen_t len;
} SocketAddress;

/* Parses "HOST:PORT", "[V6]:PORT", ":PORT" (all IPv4 addresses) or "PORT". -EINVAL when malformed. */
int socket_address_parse(const char *s, SocketAddress *ret);

/* Parses "unix:/PATH" (an absolute path that fits sockaddr_un with its NUL) into an AF_UNIX address.
 * -EINVAL when malformed. */
int socket_address_parse_unix(const char *s, SocketAddress *ret);

/* The interface of the IPv4 default route in the text of /proc/net/route, into ret (IFNAMSIZ bytes).
 * -ENOENT when there is none, -EINVAL for text that is not such a table. */
int route_default_interface(const char *text, char *ret, size_t size);

/* "@route:PORT": the IPv4 address of the interface of this network namespace's default route (a
 * container's address on the network its published ports arrive on), and PORT. -EINVAL when
 * malformed, -ENOENT when there is no default route or it has no IPv4 address. */
int socket_address_route(const char *s, SocketAddress *ret);
#define SOCKET_ADDRESS_ROUTE_PREFIX "@route:"

/* Either of the above, by the "unix:" prefix. */
int socket_address_parse_any(const char *s, SocketAddress *ret);

/* A non-blocking, close-on-exec listening stream socket bound to the address (TCP, or a unix socket
 * whose path must not exist yet). Returns the fd or -errno. */
int socket_listen(const SocketAddress *a, int backlog);

/* Sets O_NONBLOCK (sockets passed by systemd come blocking). */
int fd_set_nonblock(int fd);

/* Formats as "HOST:PORT" (or "unix:PATH", "unix" for an unnamed unix socket) into buf. */
const char *socket_address_format(const SocketAddress *a, char *buf, size_t size);
