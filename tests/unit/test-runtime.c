/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime.h"

static void test_cold_invoke(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(rt.process, RUNTIME_STARTING);
        assert_int_equal(rt.phase, INVOKE_QUEUED);

        /* The fresh runtime asks for work and gets the queued invocation at once. */
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_int_equal(rt.process, RUNTIME_READY);
        assert_int_equal(rt.phase, INVOKE_RUNNING);

        assert_int_equal(runtime_finish(&rt, "id-1"), 0);
        assert_int_equal(rt.phase, INVOKE_NONE);
        assert_string_equal(rt.done_id, "id-1");
}

static void test_warm_invoke(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_int_equal(runtime_finish(&rt, "id-1"), 0);

        /* Parked in /next: the next invocation is delivered without a spawn. */
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_NONE);
        assert_true(rt.next_parked);
        assert_int_equal(runtime_submit(&rt, "id-2"), RUNTIME_ACTION_DELIVER);
        assert_false(rt.next_parked);
        assert_int_equal(rt.phase, INVOKE_RUNNING);
        assert_int_equal(runtime_finish(&rt, "id-2"), 0);
}

static void test_one_at_a_time(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(runtime_submit(&rt, "id-2"), -EBUSY);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_int_equal(runtime_submit(&rt, "id-2"), -EBUSY);
        /* A second /next while an invocation runs is a state violation. */
        assert_int_equal(runtime_next(&rt), -EBUSY);
        assert_string_equal(rt.id, "id-1");
}

static void test_ids(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, ""), -EINVAL);
        assert_int_equal(runtime_submit(&rt, "0123456789012345678901234567890123456789"), -EINVAL);
        assert_int_equal(runtime_finish(&rt, "nope"), -ENOENT);

        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        /* Queued but not handed out: the runtime cannot know the id yet. */
        assert_int_equal(runtime_finish(&rt, "id-1"), -ENOENT);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_int_equal(runtime_finish(&rt, "other"), -ENOENT);
        assert_int_equal(runtime_finish(&rt, "id-1"), 0);
        /* A stale id: the invocation already ended. */
        assert_int_equal(runtime_finish(&rt, "id-1"), -EALREADY);
}

static void test_double_next(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_true(runtime_start(&rt));
        assert_false(runtime_start(&rt));
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_NONE);
        assert_int_equal(runtime_next(&rt), -EBUSY);
}

static void test_init_error(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(runtime_init_error(&rt), 0);
        assert_int_equal(runtime_init_error(&rt), -EPERM);
        /* After reporting an init error the runtime may not ask for work. */
        assert_int_equal(runtime_next(&rt), -EPERM);
        assert_true(runtime_abort(&rt));
        assert_int_equal(rt.phase, INVOKE_NONE);
        assert_int_equal(runtime_exited(&rt), INVOKE_NONE);

        /* The next invocation starts a fresh runtime, which may initialise normally. */
        assert_int_equal(runtime_submit(&rt, "id-2"), RUNTIME_ACTION_SPAWN);
        assert_false(rt.init_failed);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        /* Initialised runtimes cannot report init errors. */
        assert_int_equal(runtime_init_error(&rt), -EPERM);
}

static void test_crash_and_timeout(void **state)
{
        Runtime rt;

        runtime_init(&rt);
        assert_int_equal(runtime_submit(&rt, "id-1"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        /* The runtime dies mid-invocation: the caller learns the invocation was running. */
        assert_int_equal(runtime_exited(&rt), INVOKE_RUNNING);
        assert_int_equal(rt.process, RUNTIME_STOPPED);
        assert_true(runtime_abort(&rt));
        assert_false(runtime_abort(&rt));

        /* Timeout: the caller aborts, then the killed process exits. */
        assert_int_equal(runtime_submit(&rt, "id-2"), RUNTIME_ACTION_SPAWN);
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_true(runtime_abort(&rt));
        assert_int_equal(runtime_finish(&rt, "id-2"), -EALREADY);
        /* A new invocation arrives before the exit is seen: it waits, and is not handed to the dying one. */
        assert_int_equal(runtime_submit(&rt, "id-3"), RUNTIME_ACTION_NONE);
        assert_int_equal(runtime_exited(&rt), INVOKE_QUEUED);
        assert_true(runtime_start(&rt));
        assert_int_equal(runtime_next(&rt), RUNTIME_ACTION_DELIVER);
        assert_string_equal(rt.id, "id-3");
}

static void test_process_names(void **state)
{
        assert_string_equal(runtime_process_to_string(RUNTIME_STOPPED), "stopped");
        assert_string_equal(runtime_process_to_string(RUNTIME_STARTING), "initializing");
        assert_string_equal(runtime_process_to_string(RUNTIME_READY), "ready");
}

static void test_routes(void **state)
{
        char id[UUID_STRING_MAX];

        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/next", id), RUNTIME_ROUTE_NEXT);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/init/error", id),
                         RUNTIME_ROUTE_INIT_ERROR);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/abc-1/response", id),
                         RUNTIME_ROUTE_RESPONSE);
        assert_string_equal(id, "abc-1");
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/abc-2/error", id),
                         RUNTIME_ROUTE_ERROR);
        assert_string_equal(id, "abc-2");
        assert_string_equal(runtime_route_method(RUNTIME_ROUTE_NEXT), "GET");
        assert_string_equal(runtime_route_method(RUNTIME_ROUTE_ERROR), "POST");

        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation//response", id), -ENOENT);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/x/respond", id), -ENOENT);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/x/response/", id), -ENOENT);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/next?x=1", id), -ENOENT);
        assert_int_equal(runtime_route_parse("/2020-01-01/runtime/invocation/next", id), -ENOENT);
        assert_int_equal(runtime_route_parse("", id), -ENOENT);
        assert_int_equal(runtime_route_parse("/2018-06-01/runtime/invocation/"
                                             "0123456789012345678901234567890123456789/response",
                                             id),
                         -EMSGSIZE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cold_invoke),
                cmocka_unit_test(test_warm_invoke),
                cmocka_unit_test(test_one_at_a_time),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_double_next),
                cmocka_unit_test(test_init_error),
                cmocka_unit_test(test_crash_and_timeout),
                cmocka_unit_test(test_process_names),
                cmocka_unit_test(test_routes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
