/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * bootstrap.c: the function's bootstrap process: found (argv, or the standard paths), started with the
 * Lambda environment in its own process group with its output piped to the function log, killed, and
 * what its exit means for the invocation in progress.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rie-server.h"
#include "strv.h"

/* A bootstrap that dies sooner than this after starting is not restarted eagerly (crash loop). */
#define EAGER_RESPAWN_MIN_USEC (1 * USEC_PER_SEC)

static const char *const default_bootstraps[] = {
        "/var/task/bootstrap",
        "/opt/bootstrap",
        "/var/runtime/bootstrap",
};

static int resolve_bootstrap(Rie *rie, char ***ret)
{
        _cleanup_strv_free_ char **argv = NULL;

        if (rie->bootstrap_argv) {
                argv = strv_copy(rie->bootstrap_argv);
                if (!argv)
                        return -ENOMEM;
                *ret = TAKE_PTR(argv);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(default_bootstraps); i++)
                if (access(default_bootstraps[i], X_OK) == 0) {
                        if (strv_extend(&argv, default_bootstraps[i]) < 0)
                                return -ENOMEM;
                        *ret = TAKE_PTR(argv);
                        return 0;
                }
        return -ENOENT;
}

static _noreturn_ void exec_bootstrap(char **argv, char **envp, bool enter_task_root, int log_fd,
                                      int error_fd)
{
        const char *task_root = env_get(envp, "LAMBDA_TASK_ROOT");
        sigset_t none;
        int e;

        (void) setpgid(0, 0);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
                _exit(127);
        /* A bootstrap found in the standard places runs in the task root, as AWS's emulator does; one
         * named on the command line runs where the container's working directory is (the image's). */
        if (enter_task_root && task_root && chdir(task_root) < 0)
                fprintf(stderr, "lambda-rie: cannot enter LAMBDA_TASK_ROOT '%s': %m\n", task_root);
        execve(argv[0], argv, envp);
        /* The parent learns why through error_fd, which a successful execve() closes. */
        e = errno;
        (void) !write(error_fd, &e, sizeof(e));
        _exit(127);
}

/* Starts the bootstrap. -errno; when the bootstrap itself could not be executed, *ret_exec_failed is set
 * and the error is execve()'s (-ENOENT also when no standard bootstrap exists). */
static int spawn_bootstrap(Rie *rie, bool *ret_exec_failed)
{
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        _cleanup_close_ int out_r = -EBADF, out_w = -EBADF, err_r = -EBADF, err_w = -EBADF;
        char stream[96], hex[33], date[16];
        time_t t = time(NULL);
        struct tm tm;
        int pipe_fds[2], exec_errno;
        ssize_t n;
        pid_t pid;
        int r;

        *ret_exec_failed = false;
        r = resolve_bootstrap(rie, &argv);
        if (r == -ENOENT)
                *ret_exec_failed = true;
        if (r < 0)
                return r;

        (void) strftime(date, sizeof(date), "%Y/%m/%d", gmtime_r(&t, &tm));
        r = random_hex(hex, 16);
        if (r < 0)
                return r;
        (void) snprintf(stream, sizeof(stream), "%s/[%s]%s", date, rie->settings.function_version, hex);

        r = rie_env_build(environ, &rie->settings, rie->runtime_api, stream, &envp);
        if (r < 0)
                return r;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        out_r = pipe_fds[0];
        out_w = pipe_fds[1];
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        err_r = pipe_fds[0];
        err_w = pipe_fds[1];

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                exec_bootstrap(argv, envp, !rie->bootstrap_argv, out_w, err_w);

        /* Also in the parent, so a kill of the group never races the child's own setpgid(). */
        (void) setpgid(pid, pid);

        /* Returns at once: EOF when the child has executed the bootstrap, else the child's errno. */
        err_w = safe_close(err_w);
        do
                n = read(err_r, &exec_errno, sizeof(exec_errno));
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t) sizeof(exec_errno)) {
                (void) waitpid(pid, NULL, 0);
                log_error("Cannot execute the bootstrap %s as uid %u: %s", argv[0], (unsigned) getuid(),
                          strerror(exec_errno));
                *ret_exec_failed = true;
                return exec_errno > 0 ? -exec_errno : -EIO;
        }

        rie->log_source = loop_source_free(rie->log_source);
        safe_close(rie->log_fd);
        rie->log_fd = TAKE_FD(out_r);
        (void) fcntl(rie->log_fd, F_SETFL, O_NONBLOCK);
        r = loop_add_io(rie->loop, &rie->log_source, rie->log_fd, EPOLLIN, rie_on_function_output, rie);
        if (r < 0)
                log_warning_errno(r, "Failed to watch the function's output, it is lost: %m");

        rie->pid = pid;
        rie->killing = false;
        rie->spawn_usec = now_usec(CLOCK_MONOTONIC);
        rie->initializing = true;
        rie->init_duration_usec = 0;
        log_debug("Started bootstrap %s as PID %i.", argv[0], (int) pid);
        return 0;
}

void rie_bootstrap_kill(Rie *rie)
{
        if (rie->pid <= 0 || rie->killing)
                return;
        rie->killing = true;
        /* Nothing may be delivered to the dying process. */
        if (rie->next_conn)
                http_conn_close(rie->next_conn->http);
        (void) kill(-rie->pid, SIGKILL);
        (void) kill(rie->pid, SIGKILL);
}

/* Starts the bootstrap, or answers the waiting invocation with why it cannot run. Returns the exit
 * status for a container that can never work (127: no bootstrap, 126: it cannot be executed), or 0. */
int rie_bootstrap_start(Rie *rie)
{
        bool exec_failed;
        char m[256], why[128];
        int r;

        r = spawn_bootstrap(rie, &exec_failed);
        if (r >= 0)
                return 0;

        (void) runtime_exited(&rie->rt);
        if (exec_failed && !rie->bootstrap_argv) {
                log_error("No bootstrap: none given and none of /var/task/bootstrap, /opt/bootstrap, "
                          "/var/runtime/bootstrap is executable.");
                if (rie->rt.phase != INVOKE_NONE)
                        rie_invocation_fail(
                                rie, 502, "Runtime.InvalidEntrypoint",
                                "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap "
                                "/var/runtime/bootstrap]");
                return 127;
        }
        if (exec_failed) {
                /* Lambda's words for it, which have the error in Go's lower case. */
                (void) snprintf(why, sizeof(why), "%s", strerror(-r));
                if (why[0] >= 'A' && why[0] <= 'Z')
                        why[0] = (char) (why[0] - 'A' + 'a');
                (void) snprintf(m, sizeof(m), "RequestId: %s Error: fork/exec %s: %s", rie->inv.id,
                                rie->bootstrap_argv[0], why);
                if (rie->rt.phase != INVOKE_NONE)
                        rie_invocation_fail(rie, 502, "Runtime.InvalidEntrypoint", m);
                return r == -ENOENT ? 127 : 126;
        }
        log_error_errno(r, "Failed to start the bootstrap: %m");
        if (rie->rt.phase != INVOKE_NONE)
                rie_invocation_fail(rie, 502, "Runtime.StartFailed", "The runtime could not be started.");
        return 0;
}

void rie_bootstrap_exited(Rie *rie, int status)
{
        bool killed = rie->killing;
        bool lived = now_usec(CLOCK_MONOTONIC) - rie->spawn_usec >= EAGER_RESPAWN_MIN_USEC;
        RuntimePhase phase;
        char why[64];

        if (WIFEXITED(status))
                (void) snprintf(why, sizeof(why), "exit status %i", WEXITSTATUS(status));
        else
                (void) snprintf(why, sizeof(why), "signal: %s", strsignal(WTERMSIG(status)));

        rie->pid = 0;
        rie->killing = false;
        /* A /next parked by the dead process will never be read. */
        if (rie->next_conn)
                http_conn_close(rie->next_conn->http);
        rie_drain_function_output(rie);
        phase = runtime_exited(&rie->rt);

        if (phase == INVOKE_QUEUED && killed) {
                /* We killed the previous process (timeout, init error); the queued invocation gets a
                 * fresh one. */
                if (runtime_start(&rie->rt))
                        (void) rie_bootstrap_start(rie);
                return;
        }

        if (phase != INVOKE_NONE) {
                char m[160];

                log_warning("Runtime exited during invocation %s (%s).", rie->inv.id, why);
                (void) snprintf(m, sizeof(m), "RequestId: %s Error: Runtime exited with error: %s",
                                rie->inv.id, why);
                rie_invocation_fail(rie, 502, "Runtime.ExitError", m);
        } else if (!killed)
                log_info("Runtime exited (%s).", why);

        if (rie->settings.eager_init && (killed || lived) && runtime_start(&rie->rt))
                (void) rie_bootstrap_start(rie);
}
