/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The Docker Engine API parsers (docker-json) on what Podman 4.3's Docker-compatible service really
 * answers: every document the manager reads, captured from `podman system service` for a container
 * made the way lambda-manager makes one. The documents are the fuzzer's corpus entries podman-*
 * (one copy of each; their first byte selects the fuzzed parser and is skipped here), and the
 * directory is the test's argument.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docker-json.h"
#include "macro.h"

#define ID "5bfe102ee74437a8cb2026ec85501f25343780b6988c844f2455c6dcd90e4a65"
#define LT "0123456789abcdef0123456789abcdef"

static const char *corpus_dir;

/* The document in corpus file NAME without its selector byte; *ret_len is its length. */
static char *corpus(const char *name, size_t *ret_len)
{
        _cleanup_free_ char *path = NULL;
        char *buf;
        FILE *f;
        long size;

        assert_true(asprintf(&path, "%s/%s", corpus_dir, name) >= 0);
        f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        size = ftell(f);
        assert_true(size >= 1);
        assert_int_equal(fseek(f, 1, SEEK_SET), 0);
        buf = malloc((size_t) size);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) size - 1, f), (size_t) size - 1);
        buf[size - 1] = 0;
        fclose(f);
        *ret_len = (size_t) size - 1;
        return buf;
}

static void test_create(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-create", &n), *id = NULL;

        assert_int_equal(docker_parse_create(doc, n, &id), 0);
        assert_string_equal(id, ID);
}

/* Podman's error body carries "cause" and "response" beside "message": the message is what counts. */
static void check_error(const char *name, const char *start)
{
        size_t n;
        _cleanup_free_ char *doc = corpus(name, &n), *message = NULL;

        assert_int_equal(docker_parse_error(doc, n, &message), 0);
        assert_non_null(message);
        if (strncmp(message, start, strlen(start)) != 0)
                fail_msg("%s: '%s' does not start with '%s'", name, message, start);
}

static void test_errors(void **state)
{
        /* 404, as Docker answers. */
        check_error("podman-error-no-such-container", "no container with name or ID \"" ID "\" found");
        check_error("podman-error-no-such-image", "failed to find image nosuch:latest");
        /* 500 where Docker answers 409. */
        check_error("podman-error-name-in-use",
                    "container create: creating container storage: the container name");
        check_error("podman-error-kill-stopped", "can only kill running containers.");
}

static void test_pull_failed(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-pull-failed", &n), *error = NULL;

        assert_int_equal(docker_parse_pull_result(doc, n, &error), 1);
        assert_non_null(strstr(error, "127.0.0.1:1"));
}

static void test_list(void **state)
{
        size_t n, k = 0;
        _cleanup_free_ char *doc = corpus("podman-list", &n);
        DockerContainer *a = NULL;

        assert_int_equal(docker_parse_container_list(doc, n, &a, &k), 0);
        assert_int_equal(k, 1);
        assert_string_equal(a[0].id, ID);
        assert_true(a[0].managed);
        assert_string_equal(a[0].function, "hello");
        assert_string_equal(a[0].lifetime, LT);
        assert_string_equal(a[0].state, "running");
        docker_container_array_free(a, k);
}

static void test_inspect_running(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-inspect-running", &n);
        DockerInspect i = {};

        assert_int_equal(docker_parse_inspect(doc, n, &i), 0);
        assert_string_equal(i.id, ID);
        assert_true(i.running);
        assert_string_equal(i.status, "running");
        /* On Podman's own network, named "podman" (10.88.0.0/16), not "bridge". */
        assert_string_equal(i.ip_address, "10.88.0.75");
        assert_int_equal(i.host_port, 42709);
        assert_string_equal(i.host_ip, "127.0.0.1");
        assert_string_equal(i.function, "hello");
        assert_string_equal(i.lifetime, LT);
        docker_inspect_done(&i);
}

static void test_inspect_exited(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-inspect-exited", &n);
        DockerInspect i = {};

        assert_int_equal(docker_parse_inspect(doc, n, &i), 0);
        assert_false(i.running);
        assert_string_equal(i.status, "exited");
        assert_int_equal(i.exit_code, 137);
        assert_null(i.ip_address);
        docker_inspect_done(&i);
}

static void test_image(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-image", &n);
        DockerImage i = {};

        assert_int_equal(docker_parse_image(doc, n, &i), 0);
        assert_non_null(i.entrypoint);
        assert_string_equal(i.entrypoint[0], "/lambda-rie");
        assert_null(i.entrypoint[1]);
        assert_string_equal(i.function, "lambdad-test-hello");
        assert_string_equal(i.os, "linux");
        assert_string_equal(i.architecture, "amd64");
        docker_image_done(&i);
}

static void test_version(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-version", &n), *os = NULL, *arch = NULL;

        assert_int_equal(docker_parse_version(doc, n, &os, &arch), 0);
        assert_string_equal(os, "linux");
        assert_string_equal(arch, "amd64");
}

static void test_logs(void **state)
{
        size_t n;
        _cleanup_free_ char *doc = corpus("podman-logs", &n), *text = NULL;

        /* The same 8-byte frames as Docker's (this one on stderr). */
        assert_int_equal(docker_parse_logs(doc, n, &text), 0);
        assert_string_equal(
                text, "lambda-rie: Listening for invocations, Runtime API on 127.0.0.1:9001, timeout 300s.");
}

/* A container's death: "die" as on Docker; its removal is "remove" (event-podman-remove), where
 * Docker says "destroy". */
static void test_events(void **state)
{
        size_t n;
        _cleanup_free_ char *die = corpus("podman-event-die", &n);
        DockerEvent e = {};

        assert_int_equal(docker_parse_event(die, n, &e), 0);
        assert_string_equal(e.type, "container");
        assert_string_equal(e.action, "die");
        assert_string_equal(e.id, ID);
        assert_string_equal(e.function, "hello");
        assert_string_equal(e.lifetime, LT);
        docker_event_done(&e);

        _cleanup_free_ char *removed = corpus("event-podman-remove", &n);
        assert_int_equal(docker_parse_event(removed, n, &e), 0);
        assert_string_equal(e.action, "remove");
        assert_non_null(e.id);
        docker_event_done(&e);
}

int main(int argc, char *argv[])
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_pull_failed),
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_inspect_running),
                cmocka_unit_test(test_inspect_exited),
                cmocka_unit_test(test_image),
                cmocka_unit_test(test_version),
                cmocka_unit_test(test_logs),
                cmocka_unit_test(test_events),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus/fuzz-docker-json)\n", argv[0]);
                return EXIT_FAILURE;
        }
        corpus_dir = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
