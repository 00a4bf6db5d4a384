/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The test bus and the fake manager the gateway's tests share (fake-manager.h). */

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-manager.h"
#include "lambda-contract.h"
#include "macro.h"

static pid_t bus_pid;

static bool in_path(const char *program)
{
        const char *path = getenv("PATH") ?: "/usr/bin:/bin";

        while (*path) {
                size_t n = strcspn(path, ":");
                char file[4096];

                (void) snprintf(file, sizeof(file), "%.*s/%s", (int) n, path, program);
                if (access(file, X_OK) == 0)
                        return true;
                path += n + (path[n] == ':');
        }
        return false;
}

/* Starts dbus-daemon --session and points DBUS_SYSTEM_BUS_ADDRESS at it. -ENOENT: no dbus-daemon. */
static int test_bus_start(void)
{
        char address[1024], fd_arg[32];
        size_t n = 0;
        int p[2];

        if (!in_path("dbus-daemon"))
                return -ENOENT;
        assert_int_equal(pipe(p), 0);
        bus_pid = fork();
        assert_true(bus_pid >= 0);
        if (bus_pid == 0) {
                /* It goes with the test, however the test ends (an abort included). */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
                        _exit(127);
                close(p[0]);
                (void) snprintf(fd_arg, sizeof(fd_arg), "--print-address=%i", p[1]);
                execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile", fd_arg,
                       (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        /* The daemon listens once it has printed its address. */
        while (n < sizeof(address) - 1) {
                ssize_t k = read(p[0], address + n, sizeof(address) - 1 - n);

                if (k <= 0)
                        break;
                n += (size_t) k;
                if (memchr(address, '\n', n))
                        break;
        }
        close(p[0]);
        address[n] = 0;
        address[strcspn(address, "\n")] = 0;
        if (n == 0)
                fail_msg("dbus-daemon printed no address");
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        return 0;
}

static void test_bus_stop(void)
{
        if (bus_pid <= 0)
                return;
        (void) kill(bus_pid, SIGTERM);
        (void) waitpid(bus_pid, NULL, 0);
        bus_pid = 0;
}

int test_bus_run_group(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup)
{
        int r;

        if (test_bus_start() == -ENOENT) {
                fprintf(stderr, "dbus-daemon is not installed (apt-get install dbus-daemon): skipping.\n");
                return 77;
        }
        r = _cmocka_run_group_tests(name, tests, n, setup, NULL);
        test_bus_stop();
        return r;
}

void test_bus_restart(void)
{
        test_bus_stop();
        assert_int_equal(test_bus_start(), 0);
}

static int reply_acquire(FakeManager *m, sd_bus_message *call)
{
        uint16_t port = m->acquire_port_once ?: m->acquire_port;
        char id[32];

        if (m->acquire_error)
                return sd_bus_reply_method_errorf(call, m->acquire_error, "%s", m->acquire_message);
        m->acquire_port_once = 0;
        (void) snprintf(id, sizeof(id), "instance-%u", m->n_acquire);
        /* A manager before instance secrets answers without one (acquire_secret NULL). */
        if (!m->acquire_secret)
                return sd_bus_reply_method_return(call, "ssq", id, "127.0.0.1", port);
        return sd_bus_reply_method_return(call, "ssqbs", id, "127.0.0.1", port, m->acquire_thawed,
                                          m->acquire_secret);
}

static int method_acquire(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        FakeManager *m = userdata;
        const char *function;
        int r;

        r = sd_bus_message_read(msg, "s", &function);
        if (r < 0)
                return r;
        m->n_acquire++;
        (void) snprintf(m->acquired_function, sizeof(m->acquired_function), "%s", function);
        if (m->acquire_hold) {
                m->acquire_call = sd_bus_message_ref(msg);
                return 1;
        }
        return reply_acquire(m, msg);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        FakeManager *m = userdata;
        const char *id;
        int healthy, r;

        r = sd_bus_message_read(msg, "sb", &id, &healthy);
        if (r < 0)
                return r;
        if (m->n_released < ELEMENTSOF(m->released)) {
                (void) snprintf(m->released[m->n_released], sizeof(m->released[0]), "%s", id);
                m->released_healthy[m->n_released++] = healthy;
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static bool fake_keeps(const FakeManager *m, const char *id)
{
        for (const char *const *k = m->reclaim_keep; k && *k; k++)
                if (strcmp(*k, id) == 0)
                        return true;
        return false;
}

static int reply_reclaim(FakeManager *m, sd_bus_message *call)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (unsigned i = 0; r >= 0 && i < m->n_reclaimed; i++)
                if (fake_keeps(m, m->reclaimed[i]))
                        r = sd_bus_message_append(reply, "s", m->reclaimed[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_reclaim(sd_bus_message *msg, FakeManager *m)
{
        const char *id;
        int r;

        m->n_reclaim++;
        m->n_reclaimed = 0;
        r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(msg, "s", &id)) > 0)
                if (m->n_reclaimed < ELEMENTSOF(m->reclaimed))
                        (void) snprintf(m->reclaimed[m->n_reclaimed++], sizeof(m->reclaimed[0]), "%s", id);
        if (r < 0)
                return r;
        if (m->reclaim_hold) {
                m->reclaim_call = sd_bus_message_ref(msg);
                return 1;
        }
        return reply_reclaim(m, msg);
}

static int reply_list(FakeManager *m, sd_bus_message *call)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (m->list_error)
                return sd_bus_reply_method_errorf(call, m->list_error, "%s", m->list_message);
        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        if (m->list_bad_reply)
                r = sd_bus_message_append(reply, "as", 1, "not-a-function-list");
        else {
                r = sd_bus_message_open_container(reply, 'a', "(ssbuuuu)");
                for (unsigned i = 0; r >= 0 && i < m->n_functions; i++)
                        r = sd_bus_message_append(reply, "(ssbuuuu)", m->functions[i].name,
                                                  m->functions[i].image, i % 2 == 0, 0, 3, i % 3, 0);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_functions(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        FakeManager *m = userdata;

        m->n_list++;
        if (m->list_hold) {
                m->list_call = sd_bus_message_ref(msg);
                return 1;
        }
        return reply_list(m, msg);
}

/* A function's settings as the manager's GetFunctionConfiguration gives them; FunctionNotFound for
 * names not in the list. */
/* GetFunctionConfiguration's a{sv} of f, of its version when version is not NULL. */
static int append_configuration(sd_bus_message *reply, const FakeFunction *f, const char *version)
{
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        /* A key of another feature, which readers of the URL's keys skip. */
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "MaximumRetryAttempts", "u", 2);
        if (r >= 0 && f->url_auth)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}", "UrlAuthType", "s", f->url_auth, "UrlCors",
                                          "s", "{}", "UrlInvokeMode", "s", "BUFFERED");
        if (r >= 0 && f->runtime)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}", "PackageType", "s", "Zip",
                                          "Runtime", "s", f->runtime, "Handler", "s", "index.handler",
                                          "CodeSha256", "s", "q83vEjRWeJA=", "CodeSize", "t",
                                          (uint64_t) 123);
        if (r >= 0 && f->declaration)
                r = sd_bus_message_append(
                        reply, "{sv}{sv}{sv}{sv}{sv}{sv}", LAMBDAD_CONFIG_SOURCE, "s", "api",
                        LAMBDAD_CONFIG_DECLARATION, "s", f->declaration, LAMBDAD_CONFIG_REVISION_ID, "s",
                        "rev-1", LAMBDAD_CONFIG_LAST_MODIFIED, "s", "2026-12-06T23:40:00.000+0000",
                        LAMBDAD_CONFIG_STATE, "s", f->state ?: "Active", LAMBDAD_CONFIG_LAST_UPDATE_STATUS,
                        "s", f->last_update_status ?: "Successful");
        if (r >= 0 && f->declaration && !f->runtime)
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_PACKAGE_TYPE, "s", "Image");
        if (r >= 0 && version)
                r = sd_bus_message_append(reply, "{sv}", LAMBDAD_CONFIG_VERSION, "s", version);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* The function NAME, or NAME:1 (its one version, in *ret_version); NULL: none. */
static const FakeFunction *find_function(FakeManager *m, const char *name, const char **ret_version)
{
        size_t n = strcspn(name, ":");

        *ret_version = name[n] ? name + n + 1 : NULL;
        if (*ret_version && strcmp(*ret_version, "1") != 0)
                return NULL;
        for (unsigned i = 0; i < m->n_functions; i++)
                if (strlen(m->functions[i].name) == n && strncmp(m->functions[i].name, name, n) == 0)
                        return &m->functions[i];
        return NULL;
}

/* GetFunctionConfiguration (a{sv}) or, list, ListVersions (aa{sv}: $LATEST and version 1). */
static int method_configuration(sd_bus_message *msg, FakeManager *m, bool list)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const FakeFunction *f;
        const char *name, *version;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        f = find_function(m, name, &version);
        if (!f || (list && version))
                return sd_bus_reply_method_errorf(msg, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                                  "Function not found: %s", name);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0 && list)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r >= 0)
                r = append_configuration(reply, f, version);
        if (r >= 0 && list)
                r = append_configuration(reply, f, "1");
        if (r >= 0 && list)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* An alias as GetAlias answers: to version, with 0.25 to version 2 when weighted. */
static int append_alias(sd_bus_message *reply, const char *alias, const char *version, bool weighted)
{
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}", "Name", "s", alias, "FunctionVersion",
                                          "s", version, "Description", "s", "", "RevisionId", "s",
                                          "alias-rev");
        if (r >= 0)
                r = weighted ? sd_bus_message_append(reply, "{sv}", "AdditionalVersionWeights", "a{sd}", 1,
                                                     "2", 0.25)
                             : sd_bus_message_append(reply, "{sv}", "AdditionalVersionWeights", "a{sd}", 0);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* The settings of CreateAlias and UpdateAlias: FunctionVersion and weights recorded. */
static int read_alias_settings(FakeManager *m, sd_bus_message *msg)
{
        int r;

        m->api_alias_version[0] = 0;
        m->api_alias_weight = -1;
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *v, *extra;

                r = sd_bus_message_read(msg, "s", &key);
                if (r >= 0 && strcmp(key, "FunctionVersion") == 0) {
                        r = sd_bus_message_read(msg, "v", "s", &v);
                        (void) snprintf(m->api_alias_version, sizeof(m->api_alias_version), "%s", v);
                } else if (r >= 0 && strcmp(key, "AdditionalVersionWeights") == 0) {
                        m->api_alias_weight = 0;
                        r = sd_bus_message_enter_container(msg, 'v', "a{sd}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(msg, 'a', "{sd}");
                        while (r >= 0 &&
                               (r = sd_bus_message_read(msg, "{sd}", &extra, &m->api_alias_weight)) > 0)
                                ;
                        if (r >= 0)
                                r = sd_bus_message_exit_container(msg);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(msg);
                } else if (r >= 0)
                        r = sd_bus_message_skip(msg, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        return r;
}

/* PublishVersion and PublishVersionWhenReady (version 1 again: the fake's one) and the aliases' methods;
 * "live" is the alias there is (version 1, 0.25 to version 2). */
static int method_versions(sd_bus_message *msg, FakeManager *m, const char *method)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *alias = "", *revision = "", *sha = "", *description = "", *version;
        bool publish =
                strcmp(method, "PublishVersion") == 0 || strcmp(method, "PublishVersionWhenReady") == 0;
        const FakeFunction *f;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r >= 0 && publish)
                r = sd_bus_message_read(msg, "sss", &sha, &revision, &description);
        else if (r >= 0 && strcmp(method, "ListAliases") != 0)
                r = sd_bus_message_read(msg, "s", &alias);
        if (r >= 0 && strcmp(method, "UpdateAlias") == 0)
                r = sd_bus_message_read(msg, "s", &revision);
        if (r >= 0 && (strcmp(method, "CreateAlias") == 0 || strcmp(method, "UpdateAlias") == 0))
                r = read_alias_settings(m, msg);
        if (r < 0)
                return r;
        (void) snprintf(m->api_method, sizeof(m->api_method), "%s", method);
        (void) snprintf(m->api_function, sizeof(m->api_function), "%s", name);
        (void) snprintf(m->api_revision, sizeof(m->api_revision), "%s", revision);
        (void) snprintf(m->api_alias, sizeof(m->api_alias), "%s", alias);
        free(m->api_declaration);
        m->api_declaration = NULL;
        if (asprintf(&m->api_declaration, "%s|%s", sha, description) < 0)
                return -ENOMEM;
        m->n_api++;
        if (m->api_error)
                return sd_bus_reply_method_errorf(msg, m->api_error, "%s", m->api_message ?: "refused");
        f = find_function(m, name, &version);
        if (!f)
                return sd_bus_reply_method_errorf(msg, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                                  "Function not found: %s", name);
        if ((strcmp(method, "GetAlias") == 0 || strcmp(method, "UpdateAlias") == 0) &&
            strcmp(alias, "live") != 0)
                return sd_bus_reply_method_errorf(msg, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                                  "Alias not found: %s:%s", name, alias);
        if (strcmp(method, "DeleteAlias") == 0)
                return sd_bus_reply_method_return(msg, NULL);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0 && publish)
                r = append_configuration(reply, f, "1");
        else if (r >= 0 && strcmp(method, "ListAliases") == 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}") >= 0 &&
                                    append_alias(reply, "live", "1", true) >= 0
                            ? sd_bus_message_close_container(reply)
                            : -ENOMEM;
        else if (r >= 0 && strcmp(method, "GetAlias") == 0)
                r = append_alias(reply, alias, "1", true);
        else if (r >= 0)
                r = append_alias(reply, alias, m->api_alias_version[0] ? m->api_alias_version : "1",
                                 m->api_alias_weight > 0);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* CreateFunction's and UpdateFunction's answer: the configuration of what they were given. */
static int reply_api(FakeManager *m, sd_bus_message *call)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool image = m->api_declaration && strstr(m->api_declaration, "\"image\"");
        char revision[32];
        int r;

        if (m->api_error)
                return sd_bus_reply_method_errorf(call, m->api_error, "%s", m->api_message ?: "refused");
        if (strcmp(m->api_method, "DeleteFunction") == 0)
                return sd_bus_reply_method_return(call, NULL);
        (void) snprintf(revision, sizeof(revision), "rev-%u", m->n_api + 1);
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(
                        reply, "a{sv}", 7, LAMBDAD_CONFIG_SOURCE, "s", "api", LAMBDAD_CONFIG_DECLARATION,
                        "s", m->api_declaration ?: "{}", LAMBDAD_CONFIG_REVISION_ID, "s", revision,
                        LAMBDAD_CONFIG_LAST_MODIFIED, "s", "2026-12-06T23:40:00.000+0000",
                        LAMBDAD_CONFIG_PACKAGE_TYPE, "s", image ? "Image" : "Zip", LAMBDAD_CONFIG_STATE, "s",
                        image ? "Active" : "Pending", LAMBDAD_CONFIG_LAST_UPDATE_STATUS, "s",
                        image ? "Successful" : "InProgress");
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* The file descriptors of zip: counted, the first one read whole from its start. */
static int read_zip_fds(FakeManager *m, sd_bus_message *msg)
{
        int fd, r;

        buf_clear(&m->api_zip);
        m->api_n_fds = 0;
        m->api_zip_sealed = false;
        r = sd_bus_message_enter_container(msg, 'a', "h");
        while (r > 0 && (r = sd_bus_message_read(msg, "h", &fd)) > 0) {
                char b[65536];
                off_t off = 0;
                ssize_t n;

                if (m->api_n_fds++ > 0)
                        continue;
                m->api_zip_sealed = (fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE) != 0;
                while ((n = pread(fd, b, sizeof(b), off)) > 0) {
                        assert_int_equal(buf_append(&m->api_zip, b, (size_t) n), 0);
                        off += n;
                }
        }
        return r;
}

static int method_api(sd_bus_message *msg, FakeManager *m, const char *method)
{
        const char *name, *revision = "", *declaration = NULL;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r >= 0 && strcmp(method, "UpdateFunction") == 0)
                r = sd_bus_message_read(msg, "s", &revision);
        if (r >= 0 && strcmp(method, "DeleteFunction") != 0)
                r = sd_bus_message_read(msg, "s", &declaration);
        if (r >= 0 && strcmp(method, "DeleteFunction") != 0)
                r = read_zip_fds(m, msg);
        if (r < 0)
                return r;
        (void) snprintf(m->api_method, sizeof(m->api_method), "%s", method);
        (void) snprintf(m->api_function, sizeof(m->api_function), "%s", name);
        (void) snprintf(m->api_revision, sizeof(m->api_revision), "%s", revision);
        free(m->api_declaration);
        m->api_declaration = declaration ? strdup(declaration) : NULL;
        if (m->api_hold) {
                m->api_call = sd_bus_message_ref(msg);
                m->n_api++;
                return 1;
        }
        r = reply_api(m, msg);
        m->n_api++;
        return r;
}

/* A plain object callback, not a vtable: the fake may answer with the wrong type on purpose. */
static int on_manager_call(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        int r = 0;

        if (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "Acquire"))
                r = method_acquire(msg, userdata, error);
        else if (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "Release"))
                r = method_release(msg, userdata, error);
        else if (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "ListFunctions"))
                r = method_list_functions(msg, userdata, error);
        else if (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "GetFunctionConfiguration"))
                r = method_configuration(msg, userdata, false);
        else if (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "Reclaim") &&
                 ((FakeManager *) userdata)->reclaim)
                r = method_reclaim(msg, userdata);
        else if (!((FakeManager *) userdata)->api_absent &&
                 (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "CreateFunction") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "UpdateFunction") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "DeleteFunction")))
                r = method_api(msg, userdata, sd_bus_message_get_member(msg));
        else if (!((FakeManager *) userdata)->api_absent &&
                 sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "ListVersions"))
                r = method_configuration(msg, userdata, true);
        else if (!((FakeManager *) userdata)->api_absent &&
                 (sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "PublishVersion") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "PublishVersionWhenReady") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "CreateAlias") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "GetAlias") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "UpdateAlias") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "DeleteAlias") ||
                  sd_bus_message_is_method_call(msg, LAMBDAD_MANAGER_INTERFACE, "ListAliases")))
                r = method_versions(msg, userdata, sd_bus_message_get_member(msg));
        else
                return 0; /* not ours: sd-bus answers UnknownMethod */
        return r < 0 ? r : 1;
}

void fake_manager_connect(FakeManager *m, sd_event *event)
{
        assert_null(m->bus);
        assert_true(sd_bus_new(&m->bus) >= 0);
        assert_true(sd_bus_set_address(m->bus, getenv("DBUS_SYSTEM_BUS_ADDRESS")) >= 0);
        assert_true(sd_bus_set_bus_client(m->bus, true) >= 0);
        assert_true(sd_bus_start(m->bus) >= 0);
        assert_true(sd_bus_add_object(m->bus, NULL, LAMBDAD_MANAGER_OBJECT, on_manager_call, m) >= 0);
        assert_true(sd_bus_request_name(m->bus, LAMBDAD_MANAGER_BUS_NAME, 0) > 0);
        assert_true(sd_bus_attach_event(m->bus, event, SD_EVENT_PRIORITY_NORMAL) >= 0);
        m->frozen = false;
}

void fake_manager_disconnect(FakeManager *m)
{
        m->list_call = sd_bus_message_unref(m->list_call);
        m->acquire_call = sd_bus_message_unref(m->acquire_call);
        m->reclaim_call = sd_bus_message_unref(m->reclaim_call);
        m->api_call = sd_bus_message_unref(m->api_call);
        m->api_declaration = (free(m->api_declaration), NULL);
        buf_done(&m->api_zip);
        if (m->frozen)
                m->frozen = false;
        else if (m->bus)
                (void) sd_bus_detach_event(m->bus);
        m->bus = sd_bus_flush_close_unref(m->bus);
}

void fake_manager_freeze(FakeManager *m, sd_event *event, bool freeze)
{
        if (freeze == m->frozen)
                return;
        if (freeze)
                assert_true(sd_bus_detach_event(m->bus) >= 0);
        else
                assert_true(sd_bus_attach_event(m->bus, event, SD_EVENT_PRIORITY_NORMAL) >= 0);
        m->frozen = freeze;
}

void fake_manager_instance_stopped(FakeManager *m, const char *id, const char *function)
{
        assert_true(sd_bus_emit_signal(m->bus, LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                       "InstanceStopped", "sss", id, function, "stopped by the test") >= 0);
}

void fake_manager_answer_list(FakeManager *m)
{
        assert_non_null(m->list_call);
        assert_true(reply_list(m, m->list_call) >= 0);
        m->list_call = sd_bus_message_unref(m->list_call);
}

void fake_manager_answer_api(FakeManager *m)
{
        assert_non_null(m->api_call);
        assert_true(reply_api(m, m->api_call) >= 0);
        m->api_call = sd_bus_message_unref(m->api_call);
}

void fake_manager_answer_acquire(FakeManager *m)
{
        assert_non_null(m->acquire_call);
        assert_true(reply_acquire(m, m->acquire_call) >= 0);
        m->acquire_call = sd_bus_message_unref(m->acquire_call);
}

void fake_manager_answer_reclaim(FakeManager *m)
{
        assert_non_null(m->reclaim_call);
        assert_true(reply_reclaim(m, m->reclaim_call) >= 0);
        m->reclaim_call = sd_bus_message_unref(m->reclaim_call);
}
