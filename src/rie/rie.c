/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * rie.c: lambda-rie's server core: the two listening sockets and their connections (handed to the
 * invoke endpoint or the Runtime API by kind), the invocation timeout, signals (exit, and reaping
 * the bootstrap), and setup.
 */

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambda-contract.h"
#include "lambda-error.h"
#include "list.h"
#include "log.h"
#include "rie-server.h"
#include "socket-util.h"
#include "strv.h"

/* The invoker is normally the gateway, with a connection or two; bound it anyway. */
#define CONNECTIONS_MAX 64

static const HttpLimits invoke_limits = {
        .max_url = 4096,
        .max_head = 16384,
        .max_headers = HTTP_MAX_HEADERS,
        .max_body = LAMBDA_PAYLOAD_MAX,
};

static const HttpLimits runtime_limits = {
        .max_url = 4096,
        .max_head = 16384,
        .max_headers = HTTP_MAX_HEADERS,
        .max_body = LAMBDA_RUNTIME_RESPONSE_MAX,
};

static uint64_t invocation_deadline_usec(Rie *rie)
{
        return rie->inv.start_usec + rie->settings.timeout_sec * USEC_PER_SEC;
}

/* The timer is armed for the invocation's deadline, unless it is armed already to fire no later: each
 * invocation's deadline is later than the last's, so under load it is armed once per timeout period,
 * not twice per invocation. on_timeout() tells a deadline met from one to wait for. */
void rie_timeout_arm(Rie *rie)
{
        uint64_t deadline = invocation_deadline_usec(rie);
        int r;

        if (rie->timeout_armed_usec != 0 && rie->timeout_armed_usec <= deadline)
                return;
        r = loop_timer_set(rie->timeout_source, deadline);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the invocation timeout, it runs unbounded: %m");
                return;
        }
        rie->timeout_armed_usec = deadline;
}

/* The timer fired: the invocation overran its timeout, or it is a later one than the timer was armed
 * for (armed again), or there is none. */
static int on_timeout(LoopSource *s, void *userdata)
{
        Rie *rie = userdata;
        Buf b = {};

        rie->timeout_armed_usec = 0;
        if (rie->rt.phase == INVOKE_NONE)
                return 0;
        if (now_usec(CLOCK_MONOTONIC) < invocation_deadline_usec(rie)) {
                rie_timeout_arm(rie);
                return 0;
        }

        rie_function_log(rie, "%s Task timed out after %u.00 seconds", rie->inv.id,
                         rie->settings.timeout_sec);
        (void) lambda_timeout_error_json(&b, rie->inv.id, rie->settings.timeout_sec);
        /* Report first, while the process still shows its memory use; then kill it. */
        rie_invocation_complete(rie, 200, true, b.data ?: "", b.len);
        buf_done(&b);
        rie_bootstrap_kill(rie);
        return 0;
}

static int on_signal(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        Rie *rie = userdata;
        struct signalfd_siginfo si;

        while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        log_info("Received %s, exiting.", strsignal((int) si.ssi_signo));
                        rie_bootstrap_kill(rie);
                        loop_exit(rie->loop, 0);
                        return 0;
                }
        }

        /* SIGCHLD: reap everything, we may be PID 1 of the container and inherit orphans. */
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);

                if (pid <= 0)
                        break;
                if (pid == rie->pid)
                        rie_bootstrap_exited(rie, status);
        }
        return 0;
}

/* ---- connections ---- */

static void on_drained(HttpConn *h)
{
        RieConn *c = h->userdata;

        if (c->rie->inv.client == c)
                rie_invocation_client_drained(c->rie);
}

static void on_watch(HttpConn *h, uint32_t events)
{
        RieConn *c = h->userdata;

        (void) loop_source_set_events(c->source, events);
}

static void on_closing(HttpConn *h)
{
        RieConn *c = h->userdata;
        Rie *rie = c->rie;

        if (rie->next_conn == c) {
                rie->next_conn = NULL;
                rie->rt.next_parked = false;
        }
        if (rie->inv.client == c) {
                rie->inv.client = NULL;
                rie_invocation_client_drained(rie); /* nothing waits any more */
        }
        if (rie->inv.source == c) {
                /* The runtime's connection closed before its streamed response ended. */
                rie->inv.source = NULL;
                if (runtime_finish(&rie->rt, rie->inv.id) >= 0)
                        rie_invocation_fail(rie, 200, "Runtime.TruncatedResponse",
                                            "The runtime's connection closed before its streamed response "
                                            "ended.");
        }
        LIST_REMOVE(rie->conns, c);
        rie->n_conns--;
        loop_source_free(c->source);
        free(c);
}

static const HttpConnOps invoke_conn_ops = {
        .head = rie_invoke_head,
        .request = rie_invoke_request,
        .bad_request = rie_invoke_bad_request,
        .watch = on_watch,
        .closing = on_closing,
        .drained = on_drained,
};

static const HttpConnOps runtime_conn_ops = {
        .request = rie_runtime_request,
        .bad_request = rie_runtime_bad_request,
        .watch = on_watch,
        .closing = on_closing,
        .head = rie_runtime_head,
        .body = rie_runtime_body,
};

static int on_conn_io(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        RieConn *c = userdata;

        http_conn_on_io(c->http, revents);
        return 0;
}

static int on_accept(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        Rie *rie = userdata;
        ConnKind kind = fd == rie->invoke_fd ? CONN_INVOKE : CONN_RUNTIME;

        for (;;) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                RieConn *c;
                int r;

                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(-errno, "Failed to accept a connection: %m");
                        return 0;
                }
                if (rie->n_conns >= CONNECTIONS_MAX) {
                        log_warning("Too many connections, refusing one.");
                        safe_close(cfd);
                        continue;
                }

                c = calloc(1, sizeof(RieConn));
                if (!c) {
                        safe_close(cfd);
                        return log_oom();
                }
                *c = (RieConn){ .rie = rie, .kind = kind };
                r = http_conn_new(&c->http, cfd, kind == CONN_INVOKE ? &invoke_limits : &runtime_limits,
                                  kind == CONN_INVOKE ? &invoke_conn_ops : &runtime_conn_ops, c);
                if (r < 0) {
                        safe_close(cfd);
                        free(c);
                        return log_oom();
                }
                r = loop_add_io(rie->loop, &c->source, cfd, EPOLLIN, on_conn_io, c);
                if (r < 0) {
                        log_error_errno(r, "Failed to watch a connection: %m");
                        LIST_PREPEND(rie->conns, c);
                        rie->n_conns++;
                        http_conn_free(c->http);
                        return r;
                }
                LIST_PREPEND(rie->conns, c);
                rie->n_conns++;
        }
}

/* ---- setup ---- */

static int listen_on(Rie *rie, const char *address, int *ret_fd, LoopSource **ret_source)
{
        SocketAddress a;
        int fd, r;

        r = socket_address_parse_any(address, &a);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address '%s'.", address);
        fd = socket_listen(&a, 128);
        if (fd < 0)
                return log_error_errno(fd, "Failed to listen on %s: %m", address);
        /* A unix socket is connected to by the gateway, another uid on the host: anybody may connect
         * (the instance secret decides who is served), and whoever made the directory decides who
         * finds the socket (lambda-manager: instance-socket.h). */
        if (a.sa.ss_family == AF_UNIX && chmod(address + strlen("unix:"), 0666) < 0) {
                r = -errno;
                safe_close(fd);
                return log_error_errno(r, "Failed to open %s to its invokers: %m", address);
        }
        r = loop_add_io(rie->loop, ret_source, fd, EPOLLIN, on_accept, rie);
        if (r < 0) {
                safe_close(fd);
                return log_error_errno(r, "Failed to watch %s: %m", address);
        }
        *ret_fd = fd;
        return 0;
}

int rie_new(Rie **ret, RieConfig *config)
{
        _cleanup_(rie_freep) Rie *rie = NULL;
        RieSettings settings = config->settings;
        SocketAddress runtime_addr;
        sigset_t mask;
        int r;

        config->settings = (RieSettings){};
        rie = calloc(1, sizeof(Rie));
        if (!rie) {
                rie_settings_done(&settings);
                return log_oom();
        }
        rie->invoke_fd = rie->runtime_fd = rie->signal_fd = rie->log_fd = -EBADF;
        runtime_init(&rie->rt);

        rie->settings = settings;
        if (config->instance_secret) {
                assert(instance_secret_is_valid(config->instance_secret));
                memcpy(rie->secret, config->instance_secret, INSTANCE_SECRET_SIZE);
                rie->check_secret = true;
        }
        if (config->bootstrap_argv) {
                rie->bootstrap_argv = strv_copy(config->bootstrap_argv);
                if (!rie->bootstrap_argv)
                        return log_oom();
        }
        r = rie_function_arn(&rie->settings, &rie->arn);
        if (r < 0)
                return log_oom();

        r = socket_address_parse(config->runtime_address, &runtime_addr);
        if (r < 0)
                return log_error_errno(r, "Invalid Runtime API address '%s'.", config->runtime_address);
        (void) socket_address_format(&runtime_addr, rie->runtime_api, sizeof(rie->runtime_api));

        r = loop_new(&rie->loop);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        rie->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (rie->signal_fd < 0)
                return log_error_errno(-errno, "Failed to create a signalfd: %m");
        r = loop_add_io(rie->loop, &rie->signal_source, rie->signal_fd, EPOLLIN, on_signal, rie);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        r = loop_add_timer(rie->loop, &rie->timeout_source, 0, on_timeout, rie);
        if (r < 0)
                return log_error_errno(r, "Failed to create the invocation timer: %m");

        r = listen_on(rie, config->runtime_address, &rie->runtime_fd, &rie->runtime_source);
        if (r < 0)
                return r;
        r = listen_on(rie, config->invoke_address, &rie->invoke_fd, &rie->invoke_source);
        if (r < 0)
                return r;
        rie->eager_after_probe =
                rie->settings.eager_init && strncmp(config->invoke_address, "unix:", 5) == 0;

        *ret = TAKE_PTR(rie);
        return 0;
}

Rie *rie_free(Rie *rie)
{
        if (!rie)
                return NULL;

        rie_function_log_flush(rie);
        buf_done(&rie->log_out);
        while (rie->conns)
                http_conn_free(rie->conns->http);
        if (rie->pid > 0) {
                rie_bootstrap_kill(rie);
                (void) waitpid(rie->pid, NULL, 0);
        }
        loop_source_free(rie->invoke_source);
        loop_source_free(rie->runtime_source);
        loop_source_free(rie->signal_source);
        loop_source_free(rie->timeout_source);
        loop_source_free(rie->log_source);
        safe_close(rie->invoke_fd);
        safe_close(rie->runtime_fd);
        safe_close(rie->signal_fd);
        safe_close(rie->log_fd);
        loop_free(rie->loop);

        free(rie->inv.payload);
        free(rie->inv.client_context);
        buf_done(&rie->inv.log);
        strv_free(rie->bootstrap_argv);
        free(rie->arn);
        rie_settings_done(&rie->settings);
        explicit_bzero(rie->secret, sizeof(rie->secret));
        free(rie);
        return NULL;
}

int rie_run(Rie *rie)
{
        log_info("Listening for invocations, Runtime API on %s, timeout %us.", rie->runtime_api,
                 rie->settings.timeout_sec);
        if (!rie->check_secret)
                log_info("No %s in the environment: invocations are not authenticated.",
                         INSTANCE_SECRET_ENV);
        if (rie->settings.eager_init && !rie->eager_after_probe) {
                int status = rie_start_eager(rie);

                if (status > 0)
                        return status;
        }
        return loop_run(rie->loop);
}

int rie_start_eager(Rie *rie)
{
        int status;

        rie->eager_after_probe = false;
        if (!runtime_start(&rie->rt))
                return 0;
        status = rie_bootstrap_start(rie);
        /* A bootstrap that cannot be executed never will be: the container fails at once, with the
         * reason in its output, as a container whose entry point is missing does. */
        if (status > 0)
                loop_exit(rie->loop, status);
        return status;
}
