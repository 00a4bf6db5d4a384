/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docker-json.h"
#include "launch.h"
#include "strv.h"

#define L(...) ((char *const[]){ __VA_ARGS__ __VA_OPT__(, ) NULL })
#define NONE   ((char *const *) NULL)

/* "a b c" for a strv, "-" for NULL, so that a whole plan compares as one string. */
static void join(char *const *l, char *out, size_t size)
{
        size_t n = 0;

        if (!l) {
                (void) snprintf(out, size, "-");
                return;
        }
        out[0] = 0;
        for (char *const *p = l; *p; p++)
                n += (size_t) snprintf(out + n, size - n, "%s%s", p == l ? "" : " ", *p);
}

static void check(char *const *decl_entrypoint, char *const *decl_command, char *const *image_entrypoint,
                  char *const *image_cmd, bool lend, const char *entrypoint, const char *cmd)
{
        LaunchPlan p = {};
        char e[512], c[512];

        assert_int_equal(launch_plan(decl_entrypoint, decl_command, image_entrypoint, image_cmd, &p), 0);
        join(p.entrypoint, e, sizeof(e));
        join(p.cmd, c, sizeof(c));
        assert_int_equal(p.lend_rie, lend);
        assert_string_equal(e, entrypoint);
        assert_string_equal(c, cmd);
        launch_plan_done(&p);
}

static void test_runs_rie(void **state)
{
        assert_true(launch_runs_rie("/lambda-rie"));
        assert_true(launch_runs_rie("lambda-rie"));
        assert_true(launch_runs_rie("/usr/libexec/lambdad/lambda-rie"));
        assert_false(launch_runs_rie("/usr/local/bin/aws-lambda-rie"));
        assert_false(launch_runs_rie("/lambda-rie/bootstrap"));
        assert_false(launch_runs_rie("/lambda-entrypoint.sh"));
        assert_false(launch_runs_rie(""));
        assert_false(launch_runs_rie(NULL));
}

static void test_images_that_run_rie(void **state)
{
        /* lambdad's own images: as they are. */
        check(NONE, NONE, L("/lambda-rie"), NONE, false, "-", "-");
        check(NONE, NONE, L("/lambda-rie"), L("/usr/bin/node", "x.mjs"), false, "-", "-");
        check(NONE, NONE, NONE, L("/lambda-rie", "--eager-init"), false, "-", "-");
        /* Overrides: both parts are sent, as the engine drops the image's CMD when given an Entrypoint. */
        check(NONE, L("other.handler"), L("/lambda-rie"), L("a"), false, "/lambda-rie", "other.handler");
        check(NONE, L(), L("/lambda-rie"), L("a"), false, "/lambda-rie", "");
        check(L("/lambda-rie", "--timeout=5"), NONE, L("/x"), L("a", "b"), false, "/lambda-rie --timeout=5",
              "a b");
        check(NONE, L("/lambda-rie", "x"), NONE, L("a"), false, "-", "/lambda-rie x");
}

static void test_images_that_do_not(void **state)
{
        /* AWS base images: the entry point script and the handler. */
        check(NONE, NONE, L("/lambda-entrypoint.sh"), L("app.handler"), true, RIE_MOUNT_PATH,
              "-- /lambda-entrypoint.sh app.handler");
        /* A runtime interface client on any base. */
        check(NONE, NONE, L("/usr/bin/npx", "aws-lambda-ric"), L("index.handler"), true, RIE_MOUNT_PATH,
              "-- /usr/bin/npx aws-lambda-ric index.handler");
        /* A custom runtime: only a CMD, or nothing at all (lambda-rie looks for a bootstrap). */
        check(NONE, NONE, NONE, L("/var/task/bootstrap"), true, RIE_MOUNT_PATH, "-- /var/task/bootstrap");
        check(NONE, NONE, NONE, NONE, true, RIE_MOUNT_PATH, "");
        /* AWS's emulator in front of the runtime: lambda-rie takes its place. */
        check(NONE, NONE, L("/usr/local/bin/aws-lambda-rie", "/usr/bin/npx", "aws-lambda-ric"),
              L("app.handler"), true, RIE_MOUNT_PATH, "-- /usr/bin/npx aws-lambda-ric app.handler");
        check(NONE, NONE, L("/usr/local/bin/aws-lambda-rie"), NONE, true, RIE_MOUNT_PATH, "");
        check(NONE, NONE, L("/bin/sh", "aws-lambda-rie"), NONE, true, RIE_MOUNT_PATH,
              "-- /bin/sh aws-lambda-rie");
        /* An option-like bootstrap stays the bootstrap. */
        check(NONE, NONE, L("--weird"), NONE, true, RIE_MOUNT_PATH, "-- --weird");

        /* ImageConfig: each override replaces its own part. */
        check(NONE, L("other.handler"), L("/lambda-entrypoint.sh"), L("app.handler"), true, RIE_MOUNT_PATH,
              "-- /lambda-entrypoint.sh other.handler");
        check(L("/var/task/run.sh"), NONE, L("/lambda-entrypoint.sh"), L("app.handler"), true,
              RIE_MOUNT_PATH, "-- /var/task/run.sh app.handler");
        check(L("/var/task/run.sh"), L(), L("/lambda-entrypoint.sh"), L("app.handler"), true, RIE_MOUNT_PATH,
              "-- /var/task/run.sh");
        check(NONE, L(), NONE, L("/var/task/bootstrap"), true, RIE_MOUNT_PATH, "");
        /* An override that is lambda-rie itself turns an image into one that runs it. */
        check(L("/opt/lambda-rie"), NONE, L("/lambda-entrypoint.sh"), L("app.handler"), false,
              "/opt/lambda-rie", "app.handler");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runs_rie),
                cmocka_unit_test(test_images_that_run_rie),
                cmocka_unit_test(test_images_that_do_not),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
