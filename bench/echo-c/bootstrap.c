/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal Lambda custom runtime in C for the benchmarks: it returns each event unchanged.
 * One keep-alive connection to the Runtime API ($AWS_LAMBDA_RUNTIME_API, HOST:PORT with a
 * numeric IPv4 host), no processes forked per invocation, so that the function itself costs
 * microseconds and what a benchmark measures is the path to it. Statically linked, so that it
 * runs in a FROM scratch image beside lambda-rie.
 *
 * An event holding "sleep_ms":N (N up to 10000) is answered after sleeping N ms: a function whose
 * duration is wall-clock time rather than CPU, like one waiting on I/O. One holding "bytes":N (N up
 * to 6291456) is answered with a JSON string of N bytes instead of the event: a large answer for a
 * small request.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static char host[64];
static int port;

/* Buffered input: what was read past the end of the last answer stays for the next one. */
static char *in;
static size_t in_len, in_cap;

static void die(const char *what)
{
        fprintf(stderr, "echo-c: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void connect_api(void)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short) port) };
        int one = 1;

        if (fd >= 0)
                close(fd);
        in_len = 0;
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
                errno = EINVAL;
                die("AWS_LAMBDA_RUNTIME_API must be IPV4:PORT");
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket");
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("connect");
}

static void write_all(const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        die("write");
                }
                p += w;
                n -= (size_t) w;
        }
}

static void fill(size_t need)
{
        while (in_len < need) {
                ssize_t r;

                if (in_cap - in_len < 65536) {
                        in_cap = in_cap * 2 + 65536;
                        in = realloc(in, in_cap);
                        if (!in)
                                die("realloc");
                }
                r = read(fd, in + in_len, in_cap - in_len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        errno = r < 0 ? errno : ECONNRESET;
                        die("read");
                }
                in_len += (size_t) r;
        }
}

/* Reads one answer: its head (NUL-terminated in *head) and body; returns the body length. */
static size_t read_answer(char **head, char **body)
{
        char *end;
        size_t head_len, body_len = 0;
        const char *cl;

        for (;;) {
                if (in_len >= 4 && (end = memmem(in, in_len, "\r\n\r\n", 4)))
                        break;
                fill(in_len + 1);
        }
        head_len = (size_t) (end - in) + 4;
        end[2] = 0;
        for (cl = in; (cl = strchr(cl, '\n')); cl++)
                if (strncasecmp(cl + 1, "Content-Length:", 15) == 0) {
                        body_len = strtoul(cl + 16, NULL, 10);
                        break;
                }
        fill(head_len + body_len);
        *head = strdup(in);
        *body = malloc(body_len + 1);
        if (!*head || !*body)
                die("malloc");
        memcpy(*body, in + head_len, body_len);
        memmove(in, in + head_len + body_len, in_len - head_len - body_len);
        in_len -= head_len + body_len;
        return body_len;
}

int main(void)
{
        const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
        const char *colon;
        char req[512];

        if (!api || !(colon = strrchr(api, ':')) || (size_t) (colon - api) >= sizeof(host)) {
                errno = EINVAL;
                die("AWS_LAMBDA_RUNTIME_API");
        }
        memcpy(host, api, (size_t) (colon - api));
        port = atoi(colon + 1);
        connect_api();

        for (;;) {
                char *head, *event, *id, *p;
                size_t len;
                int n;

                n = snprintf(req, sizeof(req),
                             "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
                write_all(req, (size_t) n);
                len = read_answer(&head, &event);

                id = NULL;
                for (p = head; (p = strchr(p, '\n')); p++)
                        if (strncasecmp(p + 1, "Lambda-Runtime-Aws-Request-Id:", 30) == 0) {
                                id = p + 31;
                                id += strspn(id, " \t");
                                id[strcspn(id, "\r\n")] = 0;
                                break;
                        }
                if (!id) {
                        errno = EPROTO;
                        die("no request id in /next");
                }
                event[len] = 0;
                if (len < 4096 && (p = strstr(event, "\"sleep_ms\":"))) {
                        long ms = strtol(p + 11, NULL, 10);

                        if (ms > 0 && ms <= 10000) {
                                struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

                                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                        ;
                        }
                }

                if (len < 4096 && (p = strstr(event, "\"bytes\":"))) {
                        long bytes = strtol(p + 8, NULL, 10);

                        if (bytes >= 2 && bytes <= 6291456) {
                                char *big = malloc((size_t) bytes + 1);

                                if (!big)
                                        die("malloc");
                                memset(big, 'a', (size_t) bytes);
                                big[0] = big[bytes - 1] = '"';
                                free(event);
                                event = big;
                                len = (size_t) bytes;
                        }
                }

                n = snprintf(req, sizeof(req),
                             "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                             id, api, len);
                write_all(req, (size_t) n);
                write_all(event, len);
                free(head);
                free(event);
                read_answer(&head, &event);
                free(head);
                free(event);
        }
}
