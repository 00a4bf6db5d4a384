/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "http-conn.h"
#include "http-request.h"
#include "http-response.h"
#include "lambda-error.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "rie.h"
#include "runtime.h"
#include "socket-util.h"
#include "util.h"

/* The invoker is normally the gateway, with a connection or two; bound it anyway. */
#define CONNECTIONS_MAX 64
#define READ_CHUNK      (64 * 1024)
#define LOG_TAIL_MAX    4096
/* A bootstrap that dies sooner than this after starting is not restarted eagerly (crash loop). */
#define EAGER_RESPAWN_MIN_USEC (1 * USEC_PER_SEC)

static const char *const default_bootstraps[] = {
        "/var/task/bootstrap",
        "/opt/bootstrap",
        "/var/runtime/bootstrap",
};

typedef enum ConnKind {
        CONN_INVOKE,
        CONN_RUNTIME,
} ConnKind;

typedef struct RieConn RieConn;
struct RieConn {
        Rie *rie;
        ConnKind kind;
        LoopSource *source;
        HttpConn *http;
        RieConn *prev, *next;
};

typedef struct Invocation {
        char id[UUID_STRING_MAX];
        RieConn *client; /* NULL when nobody waits for the answer (Event, or the client left) */
        char *payload;
        size_t payload_len;
        char *client_context;
        bool log_tail;
        uint64_t start_usec;
        uint64_t deadline_ms; /* epoch milliseconds */
        Buf log;              /* the invocation's log, trimmed to its tail */
} Invocation;

struct Rie {
        Loop *loop;
        RieSettings settings;
        char **bootstrap_argv;
        char *arn;
        char runtime_api[64];

        int invoke_fd;
        int runtime_fd;
        int signal_fd;
        LoopSource *invoke_source;
        LoopSource *runtime_source;
        LoopSource *signal_source;
        LoopSource *timeout_source;

        Runtime rt;
        pid_t pid;
        bool killing;
        bool initializing; /* spawned, has not asked for its first event yet */
        uint64_t spawn_usec;
        uint64_t init_duration_usec; /* reported once, by the first invocation after an init */
        int log_fd;
        LoopSource *log_source;

        RieConn *next_conn; /* the runtime's parked /next */
        Invocation inv;     /* valid while rt.phase != INVOKE_NONE */

        RieConn *conns;
        unsigned n_conns;
};

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

/* ---- logging of the function: START/END/REPORT and the bootstrap's output ---- */

static void invocation_log_append(Rie *rie, const char *p, size_t n)
{
        Buf *log = &rie->inv.log;

        if (rie->inv.start_usec == 0) /* between invocations */
                return;
        if (n >= LOG_TAIL_MAX) {
                p += n - LOG_TAIL_MAX;
                n = LOG_TAIL_MAX;
        }
        if (log->len + n > LOG_TAIL_MAX)
                buf_consume(log, log->len + n - LOG_TAIL_MAX);
        (void) buf_append(log, p, n);
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* nowhere to report a broken stdout */
                }
                p += k;
                n -= (size_t) k;
        }
}

static void function_log(Rie *rie, const char *format, ...) _printf_(2, 3);
static void function_log(Rie *rie, const char *format, ...)
{
        char line[512];
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(line, sizeof(line) - 1, format, ap);
        va_end(ap);
        if (n < 0)
                return;
        n = MIN(n, (int) sizeof(line) - 2);
        line[n++] = '\n';
        write_all(STDOUT_FILENO, line, (size_t) n);
        invocation_log_append(rie, line, (size_t) n);
}

static void drain_function_output(Rie *rie)
{
        char b[8192];

        if (rie->log_fd < 0)
                return;
        for (;;) {
                ssize_t n = read(rie->log_fd, b, sizeof(b));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                rie->log_source = loop_source_free(rie->log_source);
                                rie->log_fd = safe_close(rie->log_fd);
                        }
                        return;
                }
                write_all(STDOUT_FILENO, b, (size_t) n);
                invocation_log_append(rie, b, (size_t) n);
        }
}

static int on_function_output(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        drain_function_output(userdata);
        return 0;
}

static uint64_t read_number_file(const char *path)
{
        unsigned long long v = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return 0;
        if (fscanf(f, "%llu", &v) != 1)
                v = 0;
        fclose(f);
        return v;
}

/* The peak memory of our memory cgroup in bytes; 0 when there is none or it is the host's root. */
static uint64_t cgroup_memory_peak(void)
{
        char line[512], path[640];
        uint64_t peak = 0;
        FILE *f;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return 0;
        while (peak == 0 && fgets(line, sizeof(line), f)) {
                char *controllers = strchr(line, ':'), *cg;

                if (!controllers)
                        continue;
                controllers++;
                cg = strchr(controllers, ':');
                if (!cg)
                        continue;
                *cg++ = 0;
                cg[strcspn(cg, "\n")] = 0;

                if (controllers[0] == 0) {
                        /* cgroup v2: the root cgroup has no memory.peak, so any value is a real one. */
                        (void) snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.peak",
                                        strcmp(cg, "/") == 0 ? "" : cg);
                        peak = read_number_file(path);
                } else if (strstr(controllers, "memory") && strcmp(cg, "/") != 0) {
                        /* cgroup v1: a container sees its own cgroup at the mount's root. */
                        (void) snprintf(path, sizeof(path),
                                        "/sys/fs/cgroup/memory%s/memory.max_usage_in_bytes", cg);
                        peak = read_number_file(path);
                        if (peak == 0)
                                peak = read_number_file("/sys/fs/cgroup/memory/memory.max_usage_in_bytes");
                }
        }
        fclose(f);
        return peak;
}

/* Peak memory of the function in MB, as Lambda reports it for the sandbox. As PID 1 of a container,
 * the cgroup is the sandbox's: its peak counts. Otherwise (run by hand, in some session's cgroup) the
 * bootstrap's own high-water mark, or that of the largest descendant already reaped. */
static unsigned long long max_memory_used_mb(Rie *rie)
{
        unsigned long long kb = getpid() == 1 ? cgroup_memory_peak() / 1024 : 0;
        struct rusage ru;

        if (kb > 0)
                return (kb + 1023) / 1024;

        if (rie->pid > 0) {
                char path[64], line[256];
                FILE *f;

                (void) snprintf(path, sizeof(path), "/proc/%i/status", (int) rie->pid);
                f = fopen(path, "re");
                if (f) {
                        while (fgets(line, sizeof(line), f))
                                if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
                                        break;
                        fclose(f);
                }
        }
        if (getrusage(RUSAGE_CHILDREN, &ru) == 0 && (unsigned long long) ru.ru_maxrss > kb)
                kb = (unsigned long long) ru.ru_maxrss;
        return (kb + 1023) / 1024;
}

static void log_report(Rie *rie)
{
        uint64_t d = now_usec(CLOCK_MONOTONIC) - rie->inv.start_usec;
        char init[64] = "";

        if (rie->init_duration_usec > 0) {
                (void) snprintf(init, sizeof(init), "\tInit Duration: %.2f ms",
                                (double) rie->init_duration_usec / 1000.0);
                rie->init_duration_usec = 0;
        }
        function_log(rie, "END RequestId: %s", rie->inv.id);
        function_log(
                rie,
                "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %llu ms\tMemory Size: %u MB\t"
                "Max Memory Used: %llu MB%s",
                rie->inv.id, (double) d / 1000.0, (unsigned long long) ((d + 999) / 1000),
                rie->settings.memory_mb, max_memory_used_mb(rie), init);
}

/* ---- answering ---- */

static void conn_reply_json(RieConn *c, int status, const char *error_type, const Buf *json)
{
        http_conn_begin(c->http, status);
        http_conn_header(c->http, "Content-Type", "application/json");
        if (error_type)
                http_conn_header(c->http, "x-amzn-ErrorType", error_type);
        if (status == 429)
                http_conn_header(c->http, "Retry-After", "1");
        http_conn_end(c->http, json->data ?: "", json->len);
}

/* Service errors of the invoke endpoint, in the Invoke API's shape. */
static void invoke_reply_error(RieConn *c, int status, const char *type, const char *message,
                               const char *reason)
{
        Buf b = {};

        (void) lambda_service_error_json(&b, message, reason);
        conn_reply_json(c, status, type, &b);
        buf_done(&b);
}

/* Errors of the Runtime API, in its {"errorMessage","errorType"} shape. */
static void runtime_reply_error(RieConn *c, int status, const char *type, const char *message)
{
        Buf b = {};

        (void) lambda_function_error_json(&b, type, message);
        conn_reply_json(c, status, NULL, &b);
        buf_done(&b);
}

static void add_log_result(Rie *rie, RieConn *c)
{
        Buf b = {};

        if (!rie->inv.log_tail)
                return;
        if (base64_encode(&b, rie->inv.log.data ?: "", rie->inv.log.len) >= 0)
                http_conn_header(c->http, "X-Amz-Log-Result", b.data);
        buf_done(&b);
}

/* Ends the current invocation and answers whoever waits for it. */
static void invocation_complete(Rie *rie, int status, bool function_error, const char *body, size_t len)
{
        Invocation *inv = &rie->inv;
        RieConn *c = inv->client;

        (void) loop_timer_set(rie->timeout_source, 0);
        drain_function_output(rie);
        log_report(rie);

        if (c) {
                http_conn_begin(c->http, status);
                http_conn_header(c->http, "Content-Type", "application/json");
                http_conn_header(c->http, "X-Amzn-RequestId", inv->id);
                if (status == 200)
                        http_conn_header(c->http, "X-Amz-Executed-Version", rie->settings.function_version);
                if (function_error)
                        http_conn_header(c->http, "X-Amz-Function-Error", "Unhandled");
                add_log_result(rie, c);
        }

        /* Forget the invocation before answering: the answer may let a pipelined invoke in. */
        (void) runtime_abort(&rie->rt);
        free(inv->payload);
        free(inv->client_context);
        buf_done(&inv->log);
        *inv = (Invocation){};

        if (c)
                http_conn_end(c->http, body, len);
}

static void invocation_fail(Rie *rie, int status, const char *type, const char *message)
{
        Buf b = {};

        (void) lambda_function_error_json(&b, type, message);
        invocation_complete(rie, status, status == 200, b.data ?: "", b.len);
        buf_done(&b);
}

/* Function errors must reach the invoker as a JSON object; wrap anything else the runtime sent. */
static void invocation_complete_error(Rie *rie, const char *type_header, const char *body, size_t len)
{
        json_object *o = json_tokener_parse(body);
        bool is_object = o && json_object_is_type(o, json_type_object) && strlen(body) == len;

        json_object_put(o);
        if (is_object) {
                invocation_complete(rie, 200, true, body, len);
                return;
        }
        invocation_fail(rie, 200, type_header && *type_header ? type_header : "Unhandled",
                        len > 0 ? body : "The function reported an error without details.");
}

/* ---- the bootstrap process ---- */

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
        r = loop_add_io(rie->loop, &rie->log_source, rie->log_fd, EPOLLIN, on_function_output, rie);
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

static void kill_bootstrap(Rie *rie)
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
static int start_or_fail(Rie *rie)
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
                        invocation_fail(
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
                        invocation_fail(rie, 502, "Runtime.InvalidEntrypoint", m);
                return r == -ENOENT ? 127 : 126;
        }
        log_error_errno(r, "Failed to start the bootstrap: %m");
        if (rie->rt.phase != INVOKE_NONE)
                invocation_fail(rie, 502, "Runtime.StartFailed", "The runtime could not be started.");
        return 0;
}

static void on_bootstrap_exit(Rie *rie, int status)
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
        drain_function_output(rie);
        phase = runtime_exited(&rie->rt);

        if (phase == INVOKE_QUEUED && killed) {
                /* We killed the previous process (timeout, init error); the queued invocation gets a
                 * fresh one. */
                if (runtime_start(&rie->rt))
                        (void) start_or_fail(rie);
                return;
        }

        if (phase != INVOKE_NONE) {
                char m[160];

                log_warning("Runtime exited during invocation %s (%s).", rie->inv.id, why);
                (void) snprintf(m, sizeof(m), "RequestId: %s Error: Runtime exited with error: %s",
                                rie->inv.id, why);
                invocation_fail(rie, 502, "Runtime.ExitError", m);
        } else if (!killed)
                log_info("Runtime exited (%s).", why);

        if (rie->settings.eager_init && (killed || lived) && runtime_start(&rie->rt))
                (void) start_or_fail(rie);
}

static int on_signal(LoopSource *s, int fd, uint32_t revents, void *userdata)
{
        Rie *rie = userdata;
        struct signalfd_siginfo si;

        while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        log_info("Received %s, exiting.", strsignal((int) si.ssi_signo));
                        kill_bootstrap(rie);
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
                        on_bootstrap_exit(rie, status);
        }
        return 0;
}

/* ---- invocations ---- */

static int on_timeout(LoopSource *s, void *userdata)
{
        Rie *rie = userdata;
        Buf b = {};

        if (rie->rt.phase == INVOKE_NONE)
                return 0;

        function_log(rie, "%s Task timed out after %u.00 seconds", rie->inv.id, rie->settings.timeout_sec);
        (void) lambda_timeout_error_json(&b, rie->inv.id, rie->settings.timeout_sec);
        /* Report first, while the process still shows its memory use; then kill it. */
        invocation_complete(rie, 200, true, b.data ?: "", b.len);
        buf_done(&b);
        kill_bootstrap(rie);
        return 0;
}

static void deliver(Rie *rie)
{
        RieConn *c = rie->next_conn;
        Invocation *inv = &rie->inv;
        char deadline[32], trace[128], root[25], parent[17];

        if (!c)
                return;
        rie->next_conn = NULL;

        if (rie->initializing) {
                rie->init_duration_usec = now_usec(CLOCK_MONOTONIC) - rie->spawn_usec;
                rie->initializing = false;
        }

        (void) snprintf(deadline, sizeof(deadline), "%llu", (unsigned long long) inv->deadline_ms);
        if (random_hex(root, 12) < 0 || random_hex(parent, 8) < 0)
                root[0] = parent[0] = 0;
        (void) snprintf(trace, sizeof(trace), "Root=1-%08llx-%s;Parent=%s;Sampled=0",
                        (unsigned long long) (inv->deadline_ms / 1000), root, parent);

        http_conn_begin(c->http, 200);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_header(c->http, "Lambda-Runtime-Aws-Request-Id", inv->id);
        http_conn_header(c->http, "Lambda-Runtime-Deadline-Ms", deadline);
        http_conn_header(c->http, "Lambda-Runtime-Invoked-Function-Arn", rie->arn);
        http_conn_header(c->http, "Lambda-Runtime-Trace-Id", trace);
        if (inv->client_context)
                http_conn_header(c->http, "Lambda-Runtime-Client-Context", inv->client_context);
        http_conn_end(c->http, inv->payload ?: "", inv->payload_len);
}

static bool request_id_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 8 || n >= UUID_STRING_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
                      *p == '-'))
                        return false;
        return true;
}

static void handle_invoke(RieConn *c)
{
        Rie *rie = c->rie;
        Invocation *inv = &rie->inv;
        const char *given_id = http_request_header(&c->http->req, "X-Amzn-RequestId");
        const char *error_type, *message;
        LambdaInvokeHeaders h;
        char id[UUID_STRING_MAX];
        Buf decoded = {};
        bool event;
        int action, r;

        if (lambda_invoke_headers_parse(&c->http->req, &h, &error_type, &message) < 0)
                return invoke_reply_error(c, 400, error_type, message, NULL);
        if (h.type == LAMBDA_INVOKE_DRY_RUN) {
                http_conn_begin(c->http, 204);
                http_conn_end(c->http, NULL, 0);
                return;
        }
        event = h.type == LAMBDA_INVOKE_EVENT;
        /* Checked above: it decodes. */
        if (h.client_context && base64_decode(&decoded, h.client_context, strlen(h.client_context)) < 0) {
                buf_done(&decoded);
                return invoke_reply_error(c, 500, "ServiceException", "Out of memory.", NULL);
        }

        if (given_id && request_id_is_valid(given_id))
                strcpy(id, given_id);
        else if (random_uuid(id) < 0) {
                buf_done(&decoded);
                return invoke_reply_error(c, 500, "ServiceException", "No randomness for a request id.",
                                          NULL);
        }

        action = runtime_submit(&rie->rt, id);
        if (action == -EBUSY) {
                buf_done(&decoded);
                return invoke_reply_error(
                        c, 429, "TooManyRequestsException",
                        "This instance runs one invocation at a time; another is in progress.",
                        "ConcurrentInvocationLimitExceeded");
        }
        assert(action >= 0);

        *inv = (Invocation){
                .client = event ? NULL : c,
                .client_context = decoded.len > 0 ? buf_steal(&decoded, NULL) : NULL,
                .log_tail = h.log_tail,
                .start_usec = now_usec(CLOCK_MONOTONIC),
                .deadline_ms = (now_usec(CLOCK_REALTIME) + rie->settings.timeout_sec * USEC_PER_SEC) /
                               USEC_PER_MSEC,
        };
        buf_done(&decoded);
        strcpy(inv->id, id);
        inv->payload = buf_steal(&c->http->req.body, &inv->payload_len);

        function_log(rie, "START RequestId: %s Version: %s", id, rie->settings.function_version);

        r = loop_timer_set(rie->timeout_source, inv->start_usec + rie->settings.timeout_sec * USEC_PER_SEC);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the invocation timeout, it runs unbounded: %m");

        if (event) {
                http_conn_begin(c->http, 202);
                http_conn_header(c->http, "X-Amzn-RequestId", id);
                http_conn_end(c->http, NULL, 0);
        }

        if (action & RUNTIME_ACTION_SPAWN)
                (void) start_or_fail(rie);
        if (action & RUNTIME_ACTION_DELIVER)
                deliver(rie);
}

static void handle_invoke_request(RieConn *c)
{
        const char *url = http_request_url(&c->http->req);
        static const char prefix[] = "/2015-03-31/functions/";
        const char *name, *rest;

        if (strcmp(url, "/healthz") == 0) {
                char body[96];

                if (!http_request_is_method(&c->http->req, HTTP_GET))
                        return invoke_reply_error(c, 405, "MethodNotAllowedException", "Use GET.", NULL);
                (void) snprintf(body, sizeof(body), "{\"status\":\"ok\",\"runtime\":\"%s\"}",
                                runtime_process_to_string(c->rie->rt.process));
                http_conn_begin(c->http, 200);
                http_conn_header(c->http, "Content-Type", "application/json");
                http_conn_end(c->http, body, strlen(body));
                return;
        }

        /* The function name is not ours to check: an instance runs one function, whatever it is called. */
        if (strncmp(url, prefix, STRLEN(prefix)) != 0)
                return invoke_reply_error(c, 404, "ResourceNotFoundException", "Unknown path.", NULL);
        name = url + STRLEN(prefix);
        rest = strchr(name, '/');
        if (!rest || rest == name ||
            (strcmp(rest, "/invocations") != 0 && strncmp(rest, "/invocations?", 13) != 0))
                return invoke_reply_error(c, 404, "ResourceNotFoundException", "Unknown path.", NULL);
        if (!http_request_is_method(&c->http->req, HTTP_POST))
                return invoke_reply_error(c, 405, "MethodNotAllowedException", "Invocations take POST.",
                                          NULL);

        handle_invoke(c);
}

/* ---- the Runtime API ---- */

static void runtime_reply_accepted(RieConn *c)
{
        static const char body[] = "{\"status\":\"OK\"}";

        http_conn_begin(c->http, 202);
        http_conn_header(c->http, "Content-Type", "application/json");
        http_conn_end(c->http, body, STRLEN(body));
}

static void handle_finish(RieConn *c, const char *id, bool error)
{
        Rie *rie = c->rie;
        int r;

        r = runtime_finish(&rie->rt, id);
        if (r == -EALREADY)
                return runtime_reply_error(c, 403, "InvalidStateTransition",
                                           "This invocation has already ended.");
        if (r < 0)
                return runtime_reply_error(c, 400, "InvalidRequestID", "Invalid request ID");

        /* Answer the invoker first: replying to the runtime lets its next request reuse c->http->req. */
        if (error)
                invocation_complete_error(
                        rie, http_request_header(&c->http->req, "Lambda-Runtime-Function-Error-Type"),
                        c->http->req.body.data ?: "", c->http->req.body.len);
        else {
                const char *trailer_error =
                        http_request_header(&c->http->req, "Lambda-Runtime-Function-Error-Type");

                if (trailer_error && c->http->req.chunked)
                        invocation_fail(rie, 200, trailer_error, "The function's streamed response failed.");
                else
                        invocation_complete(rie, 200, false, c->http->req.body.data ?: "",
                                            c->http->req.body.len);
        }
        runtime_reply_accepted(c);
}

static void handle_init_error(RieConn *c)
{
        Rie *rie = c->rie;
        int r;

        r = runtime_init_error(&rie->rt);
        if (r < 0)
                return runtime_reply_error(c, 403, "InvalidStateTransition",
                                           "Init errors can be reported only during initialization.");
        log_warning("Runtime reported an initialization error.");

        if (rie->rt.phase != INVOKE_NONE) {
                /* The invocation that triggered the init sees the init error, as in Lambda. */
                rie->init_duration_usec = now_usec(CLOCK_MONOTONIC) - rie->spawn_usec;
                rie->initializing = false;
                invocation_complete_error(
                        rie, http_request_header(&c->http->req, "Lambda-Runtime-Function-Error-Type"),
                        c->http->req.body.data ?: "", c->http->req.body.len);
        }
        /* The runtime is expected to exit now; make sure it does, the next invoke initialises afresh. */
        kill_bootstrap(rie);
        runtime_reply_accepted(c);
}

static void handle_runtime_request(RieConn *c)
{
        Rie *rie = c->rie;
        char id[UUID_STRING_MAX];
        int route, action;

        route = runtime_route_parse(http_request_url(&c->http->req), id);
        if (route == -EMSGSIZE)
                return runtime_reply_error(c, 400, "InvalidRequestID", "Invalid request ID");
        if (route < 0)
                return runtime_reply_error(c, 404, "NotFound", "Unknown Runtime API path.");
        if (strcmp(http_request_method(&c->http->req), runtime_route_method(route)) != 0)
                return runtime_reply_error(c, 405, "MethodNotAllowed", "Method not allowed for this path.");

        switch (route) {
        case RUNTIME_ROUTE_NEXT:
                action = runtime_next(&rie->rt);
                if (action == -EBUSY)
                        return runtime_reply_error(c, 403, "InvalidStateTransition",
                                                   "An invocation is in progress or already requested.");
                if (action < 0)
                        return runtime_reply_error(c, 403, "InvalidStateTransition",
                                                   "The runtime failed to initialize.");
                rie->next_conn = c;
                if (action & RUNTIME_ACTION_DELIVER)
                        deliver(rie);
                return;
        case RUNTIME_ROUTE_INIT_ERROR:
                return handle_init_error(c);
        case RUNTIME_ROUTE_RESPONSE:
        case RUNTIME_ROUTE_ERROR:
                return handle_finish(c, id, route == RUNTIME_ROUTE_ERROR);
        }
}

/* A body over the limit: refuse it without reading it, and if it was the current invocation's
 * response, tell the invoker what happened. */
static void on_bad_request(HttpConn *h)
{
        RieConn *c = h->userdata;
        Rie *rie = c->rie;
        int status = h->req.error_status;

        if (c->kind == CONN_INVOKE) {
                if (status == 413)
                        return invoke_reply_error(c, 413, "RequestTooLargeException",
                                                  "Request must be smaller than 6291456 bytes for the "
                                                  "InvokeFunction operation",
                                                  NULL);
                return invoke_reply_error(c, status, "InvalidRequestContentException",
                                          c->http->req.error_reason ?: "Malformed HTTP request.", NULL);
        }

        if (status == 413 && rie->rt.phase == INVOKE_RUNNING) {
                const char *url = http_request_url(&c->http->req);
                char expect[128];

                (void) snprintf(expect, sizeof(expect), "/2018-06-01/runtime/invocation/%s/response",
                                rie->inv.id);
                if (strcmp(url, expect) == 0 && runtime_finish(&rie->rt, rie->inv.id) >= 0)
                        invocation_fail(
                                rie, 200, "Function.ResponseSizeTooLarge",
                                "Response payload size exceeded maximum allowed payload size (6291556 "
                                "bytes).");
        }
        if (status == 413)
                return runtime_reply_error(c, 413, "RequestEntityTooLarge",
                                           "Exceeded maximum allowed payload size (6291556 bytes).");
        runtime_reply_error(c, status, "InvalidRequest",
                            c->http->req.error_reason ?: "Malformed HTTP request.");
}

/* ---- connections ---- */

static void on_request(HttpConn *h)
{
        RieConn *c = h->userdata;

        if (c->kind == CONN_INVOKE)
                handle_invoke_request(c);
        else
                handle_runtime_request(c);
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
        if (rie->inv.client == c)
                rie->inv.client = NULL;
        LIST_REMOVE(rie->conns, c);
        rie->n_conns--;
        loop_source_free(c->source);
        free(c);
}

static const HttpConnOps conn_ops = {
        .request = on_request,
        .bad_request = on_bad_request,
        .watch = on_watch,
        .closing = on_closing,
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
                                  &conn_ops, c);
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

        r = socket_address_parse(address, &a);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address '%s'.", address);
        fd = socket_listen(&a, 128);
        if (fd < 0)
                return log_error_errno(fd, "Failed to listen on %s: %m", address);
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

        *ret = TAKE_PTR(rie);
        return 0;
}

Rie *rie_free(Rie *rie)
{
        if (!rie)
                return NULL;

        while (rie->conns)
                http_conn_free(rie->conns->http);
        if (rie->pid > 0) {
                kill_bootstrap(rie);
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
        free(rie);
        return NULL;
}

int rie_run(Rie *rie)
{
        log_info("Listening for invocations, Runtime API on %s, timeout %us.", rie->runtime_api,
                 rie->settings.timeout_sec);
        if (rie->settings.eager_init && runtime_start(&rie->rt)) {
                int status = start_or_fail(rie);

                /* A bootstrap that cannot be executed never will be: the container fails at once, with
                 * the reason in its output, as a container whose entry point is missing does. */
                if (status > 0)
                        return status;
        }
        return loop_run(rie->loop);
}
