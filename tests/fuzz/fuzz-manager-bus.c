/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Fuzzes org.lambdad.Manager1 through a real bus: on the first input it starts a private dbus-daemon
 * and, in a thread of this process (so that sanitizers and coverage see it), the real manager with a
 * functions dir of two declarations and a Docker socket that does not exist, so every call that needs
 * the engine ends in an error reply. Each input is one method call:
 *
 *   byte 0   the member (see methods[]), byte 1 flags (FLAG_*), then fields separated by NUL bytes:
 *            strings, a number as text for 'u', and with FLAG_SIGNATURE a signature of basic types to
 *            send instead of the declared one (its values taken from the same fields).
 *
 * Whatever is sent, the manager must answer within BUS_CALL_TIMEOUT_USEC with a method return of the
 * declared signature or an error it is entitled to send (never a timeout, a disconnect or a raw errno),
 * and stay on the bus. Exits 77 when dbus-daemon is not installed.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "fuzz.h"
#include "lambda-contract.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define BUS_CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define START_TIMEOUT_MSEC    10000
#define FIELDS_MAX            8

enum {
        FLAG_SIGNATURE = 1 << 0, /* send the signature of the last field instead of the declared one */
        FLAG_TRUE = 1 << 1,      /* the value of every 'b' */
        FLAG_PATH = 1 << 2,      /* call the object path of the first field, not the manager's */
};

typedef struct Method {
        const char *interface;
        const char *member; /* NULL: the member is the first field */
        const char *signature;
        const char *reply_signature;
} Method;

#define PROPERTIES "org.freedesktop.DBus.Properties"

static const Method methods[] = {
        { LAMBDAD_MANAGER_INTERFACE, "EnsureContainer", "s", "sqs" },
        { LAMBDAD_MANAGER_INTERFACE, "Acquire", "s", "ssqbs" },
        { LAMBDAD_MANAGER_INTERFACE, "Release", "sb", "" },
        { LAMBDAD_MANAGER_INTERFACE, "ListFunctions", "", "a(ssbuuuu)" },
        { LAMBDAD_MANAGER_INTERFACE, "ListInstances", "", "a(ssssqs)" },
        { LAMBDAD_MANAGER_INTERFACE, "StopFunction", "s", "" },
        { LAMBDAD_MANAGER_INTERFACE, "Prewarm", "su", "u" },
        { LAMBDAD_MANAGER_INTERFACE, "CleanupZombies", "", "u" },
        { LAMBDAD_MANAGER_INTERFACE, "Reload", "", "" },
        { PROPERTIES, "Get", "ss", "v" },
        { PROPERTIES, "GetAll", "s", "a{sv}" },
        { PROPERTIES, "Set", "ssv", "" },
        { "org.freedesktop.DBus.Introspectable", "Introspect", "", "s" },
        { LAMBDAD_MANAGER_INTERFACE, NULL, "", NULL },
        /* Added last, so that the corpus keeps its members. */
        { LAMBDAD_MANAGER_INTERFACE, "GetFunctionConfiguration", "s", "a{sv}" },
};

/* What a call may end in besides a method return. */
static const char *const allowed_errors[] = {
        SD_BUS_ERROR_INVALID_ARGS,     SD_BUS_ERROR_UNKNOWN_METHOD,
        SD_BUS_ERROR_UNKNOWN_OBJECT,   SD_BUS_ERROR_UNKNOWN_INTERFACE,
        SD_BUS_ERROR_UNKNOWN_PROPERTY, SD_BUS_ERROR_PROPERTY_READ_ONLY,
        SD_BUS_ERROR_NO_MEMORY,        LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
        LAMBDAD_ERROR_LIMIT_EXCEEDED,  LAMBDAD_ERROR_BACKEND_UNAVAILABLE,
        LAMBDAD_ERROR_START_FAILED,    LAMBDAD_ERROR_INSTANCE_NOT_FOUND,
        LAMBDAD_ERROR_CANCELLED,
};

static const char *const declarations[][2] = {
        { "fuzz.json", "{\"image\": \"fuzz:latest\", \"max_instances\": 2, \"url\": {\"auth\": \"NONE\", "
                       "\"cors\": {\"allow_origins\": [\"*\"]}}}" },
        { "one.json", "{\"image\": \"one:latest\", \"max_instances\": 1, \"user\": \"1000\"}" },
        { "async.json", "{\"image\": \"async:latest\", \"maximum_retry_attempts\": 0, \"on_failure\": "
                        "{\"function\": \"one\"}}" },
};

static char *tmp_dir;
static char *bus_config, *functions_dir, *docker_socket;
static sd_bus *bus;

static void remove_tmp_dir(void)
{
        _cleanup_free_ char *socket_path = NULL;

        /* The bus itself ends after this process, but its socket can go now. */
        if (asprintf(&socket_path, "%s/bus", tmp_dir) >= 0)
                (void) unlink(socket_path);
        for (size_t i = 0; i < ELEMENTSOF(declarations); i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", functions_dir, declarations[i][0]) >= 0)
                        (void) unlink(p);
        }
        (void) rmdir(functions_dir);
        (void) unlink(bus_config);
        (void) rmdir(tmp_dir);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "fuzz-manager-bus: cannot write %s: %m\n", path);
                abort();
        }
}

static void make_tmp_dir(void)
{
        /* Under $TMPDIR, so that tools/fuzz.sh finds what a crash (no atexit then) leaves behind. */
        if (asprintf(&tmp_dir, "%s/fuzz-manager-bus-XXXXXX", getenv("TMPDIR") ?: "/tmp") < 0 ||
            !mkdtemp(tmp_dir) || asprintf(&bus_config, "%s/bus.conf", tmp_dir) < 0 ||
            asprintf(&functions_dir, "%s/functions.d", tmp_dir) < 0 ||
            asprintf(&docker_socket, "%s/no-engine.sock", tmp_dir) < 0 || mkdir(functions_dir, 0755) < 0)
                abort();
        (void) atexit(remove_tmp_dir);

        for (size_t i = 0; i < ELEMENTSOF(declarations); i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", functions_dir, declarations[i][0]) < 0)
                        abort();
                write_file(p, declarations[i][1]);
        }
}

static bool dbus_daemon_installed(void)
{
        _cleanup_free_ char *path = strdup(getenv("PATH") ?: "/usr/bin:/bin");
        char *state = NULL;

        for (char *d = path ? strtok_r(path, ":", &state) : NULL; d; d = strtok_r(NULL, ":", &state)) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/dbus-daemon", d) >= 0 && access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

/* A bus of our own where everyone may do anything; it dies with this process. Returns its address. */
static char *start_dbus_daemon(void)
{
        _cleanup_free_ char *config = NULL, *arg = NULL;
        char address[512];
        size_t n = 0;
        int fds[2];
        pid_t pid;

        if (asprintf(&config,
                     "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                     " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                     "<busconfig>\n"
                     "  <type>system</type>\n"
                     "  <listen>unix:path=%s/bus</listen>\n"
                     "  <auth>EXTERNAL</auth>\n"
                     "  <policy context=\"default\">\n"
                     "    <allow user=\"*\"/>\n"
                     "    <allow own=\"*\"/>\n"
                     "    <allow send_type=\"method_call\"/>\n"
                     "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                     "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                     "    <allow send_type=\"signal\"/>\n"
                     "    <allow receive_type=\"method_call\"/>\n"
                     "    <allow receive_type=\"method_return\"/>\n"
                     "    <allow receive_type=\"error\"/>\n"
                     "    <allow receive_type=\"signal\"/>\n"
                     "  </policy>\n"
                     "</busconfig>\n",
                     tmp_dir) < 0 ||
            asprintf(&arg, "--config-file=%s", bus_config) < 0)
                abort();
        write_file(bus_config, config);

        if (pipe2(fds, O_CLOEXEC) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                /* Whichever way this process ends, the bus goes with it. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() == 1 || null < 0 || dup2(fds[1], 3) < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    dup2(null, STDOUT_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--print-address=3", (char *) NULL);
                _exit(127);
        }
        (void) close(fds[1]);

        /* The address comes once the socket listens. */
        while (n < sizeof(address) - 1 && !memchr(address, '\n', n)) {
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, START_TIMEOUT_MSEC) <= 0)
                        break;
                k = read(fds[0], address + n, sizeof(address) - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        (void) close(fds[0]);
        address[n] = 0;
        if (!strchr(address, '\n')) {
                fprintf(stderr, "fuzz-manager-bus: dbus-daemon printed no address\n");
                abort();
        }
        *strchr(address, '\n') = 0;
        return strdup(address);
}

static void *manager_thread(void *userdata)
{
        ManagerConfig config = {
                .docker_socket = docker_socket,
                .functions_dir = functions_dir,
                .implicit_functions = true,
                .publish_loopback = true,
                .start_timeout_usec = 5 * USEC_PER_SEC,
                .wait_timeout_usec = 0,
                .exit_idle_usec = 0,
                .rie_path = "/usr/libexec/lambdad/lambda-rie",
        };
        Manager *m = NULL;
        int r;

        r = manager_new(&m, &config);
        if (r >= 0)
                r = manager_run(m);
        /* It serves until the process ends: anything else is a failure. */
        fprintf(stderr, "fuzz-manager-bus: the manager stopped serving: %s\n", strerror(r < 0 ? -r : 0));
        abort();
}

static void wait_for_manager(void)
{
        for (unsigned i = 0; i < START_TIMEOUT_MSEC / 20; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                if (sd_bus_call_method(bus, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                       "org.freedesktop.DBus.Peer", "Ping", &error, NULL, NULL) >= 0)
                        return;
                (void) usleep(20 * 1000);
        }
        fprintf(stderr, "fuzz-manager-bus: the manager did not take its name\n");
        abort();
}

static void setup(void)
{
        _cleanup_free_ char *address = NULL;
        pthread_t thread;
        int r;

        if (!dbus_daemon_installed()) {
                fprintf(stderr, "fuzz-manager-bus: dbus-daemon is not installed (package dbus), skipping\n");
                exit(77);
        }
        /* Nothing of this process is a service of whatever started it. */
        (void) unsetenv("NOTIFY_SOCKET");
        (void) unsetenv("WATCHDOG_USEC");
        log_set_max_level(getenv("FUZZ_MANAGER_LOG") ? LOG_DEBUG : LOG_CRIT);

        make_tmp_dir();
        address = start_dbus_daemon();
        if (!address || setenv("DBUS_SYSTEM_BUS_ADDRESS", address, true) < 0)
                abort();

        r = pthread_create(&thread, NULL, manager_thread, NULL);
        if (r != 0)
                abort();
        (void) pthread_detach(thread);

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "fuzz-manager-bus: cannot connect to %s: %s\n", address, strerror(-r));
                abort();
        }
        wait_for_manager();
}

/* Splits the input at NUL bytes into at most FIELDS_MAX fields; the rest of the last one is dropped. */
static size_t split(const char *d, size_t n, const char *fields[static FIELDS_MAX], char *copy)
{
        size_t k = 0;

        memcpy(copy, d, n);
        copy[n] = 0;
        for (size_t start = 0; k < FIELDS_MAX && start <= n;) {
                fields[k++] = copy + start;
                start += strlen(copy + start) + 1;
        }
        return k;
}

/* Appends one value of a basic type from the next field; -EOPNOTSUPP for what a fuzzer cannot send
 * usefully (containers, file descriptors, variants). */
static int append_value(sd_bus_message *m, char type, const char *field, bool flag)
{
        uint64_t number = strtoull(field, NULL, 0);
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
        } v;

        switch (type) {
        case 's':
        case 'o':
        case 'g':
                return sd_bus_message_append_basic(m, type, field);
        case 'b':
                v.b = flag;
                break;
        case 'y':
                v.y = (uint8_t) number;
                break;
        case 'n':
                v.n = (int16_t) number;
                break;
        case 'q':
                v.q = (uint16_t) number;
                break;
        case 'i':
                v.i = (int32_t) number;
                break;
        case 'u':
                v.u = (uint32_t) number;
                break;
        case 'x':
                v.x = (int64_t) number;
                break;
        case 't':
                v.t = number;
                break;
        case 'd':
                v.d = strtod(field, NULL);
                break;
        default:
                return -EOPNOTSUPP;
        }
        return sd_bus_message_append_basic(m, type, &v);
}

static int append_arguments(sd_bus_message *m, const char *signature, const char *const *fields, size_t n,
                            bool flag)
{
        size_t next = 0;
        int r;

        for (const char *t = signature; *t; t++) {
                if (*t == 'v') {
                        /* A property value: a string, which no property takes. */
                        r = sd_bus_message_append(m, "v", "s", next < n ? fields[next++] : "");
                } else
                        r = append_value(m, *t, next < n ? fields[next++] : "", flag);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The D-Bus specification's member names, which dbus-daemon enforces by disconnecting the sender: sd-bus
 * lets a leading digit through. */
static bool member_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > 255 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (; *s; s++)
                if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                      *s == '_'))
                        return false;
        return true;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message **ret = userdata;

        *ret = sd_bus_message_ref(m);
        return 0;
}

/* sd_bus_call(), but a signal (libFuzzer's SIGALRM, which checks for slow inputs) does not end the wait:
 * sd_bus_call() would give up with -EINTR and drop the answer. The reply is the method return or the
 * error, sd-bus's own for a timeout or a disconnect included. */
static int call_and_wait(sd_bus_message *call, sd_bus_message **ret)
{
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_async(bus, &slot, call, on_reply, &reply, BUS_CALL_TIMEOUT_USEC);
        if (r < 0)
                return r;
        while (!reply) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        *ret = reply;
        return 0;
}

static bool error_is_allowed(const sd_bus_error *e)
{
        for (size_t i = 0; i < ELEMENTSOF(allowed_errors); i++)
                if (sd_bus_error_has_name(e, allowed_errors[i]))
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_free_ char *copy = NULL;
        const sd_bus_error *error;
        const char *fields[FIELDS_MAX], *member, *path = LAMBDAD_MANAGER_OBJECT, *signature;
        const Method *method;
        size_t n_fields;
        uint8_t flags;
        int r;

        if (!bus)
                setup();
        if (size < 2)
                return 0;
        method = methods + data[0] % ELEMENTSOF(methods);
        flags = data[1];
        copy = malloc(size - 1);
        if (!copy)
                return 0;
        n_fields = split((const char *) data + 2, size - 2, fields, copy);

        member = method->member ?: fields[0];
        signature = flags & FLAG_SIGNATURE ? fields[n_fields - 1] : method->signature;
        if (flags & FLAG_PATH)
                path = fields[0];

        /* What sd-bus refuses to send (an invalid path, member or signature, a string that is not UTF-8)
         * never reaches the manager. */
        if (!member_is_valid(member))
                return 0;
        r = sd_bus_message_new_method_call(bus, &call, LAMBDAD_MANAGER_BUS_NAME, path, method->interface,
                                           member);
        if (r < 0)
                return 0;
        r = append_arguments(call, signature, fields, n_fields, flags & FLAG_TRUE);
        if (r < 0)
                return 0;

        r = call_and_wait(call, &reply);
        if (r < 0) {
                fprintf(stderr, "%s.%s(%s): the bus failed: %s\n", method->interface, member, signature,
                        strerror(-r));
                abort();
        }
        error = sd_bus_message_get_error(reply);
        if (!error) {
                /* A declared member called as declared answers as declared. */
                if (method->reply_signature && !(flags & (FLAG_SIGNATURE | FLAG_PATH)) &&
                    strcmp(sd_bus_message_get_signature(reply, true), method->reply_signature) != 0) {
                        fprintf(stderr, "%s answered with signature '%s'\n", member,
                                sd_bus_message_get_signature(reply, true));
                        abort();
                }
        } else if (!error_is_allowed(error)) {
                fprintf(stderr, "%s.%s(%s) failed: %s: %s\n", method->interface, member, signature,
                        error->name, error->message ?: "");
                abort();
        }
        return 0;
}
