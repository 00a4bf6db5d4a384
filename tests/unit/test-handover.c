/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handover.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "0123456789ab"

static int parse(const char *text, HandoverRecord *r)
{
        return handover_parse(text, strlen(text), r);
}

static void test_round_trip(void **state)
{
        const char *text = HANDOVER_RECORD_MAGIC ID_A " :1.42\n" ID_B " :1.7\n";
        _cleanup_(handover_record_done) HandoverRecord r = {};
        _cleanup_free_ char *again = NULL;

        assert_int_equal(parse(text, &r), 0);
        assert_int_equal(r.n, 2);
        assert_string_equal(handover_record_owner(&r, ID_A), ":1.42");
        assert_string_equal(handover_record_owner(&r, ID_B), ":1.7");
        assert_null(handover_record_owner(&r, "cccccccccccc"));
        assert_int_equal(handover_format(&r, &again), 0);
        assert_string_equal(again, text);
}

static void test_empty(void **state)
{
        _cleanup_(handover_record_done) HandoverRecord r = {};

        assert_int_equal(parse(HANDOVER_RECORD_MAGIC, &r), 0);
        assert_int_equal(r.n, 0);
}

/* Anything but the format is refused whole: a record is all or nothing. */
static void test_refused(void **state)
{
        static const char *const bad[] = {
                "",
                "lambdad-leases 2\n",
                "lambdad-leases 1",
                HANDOVER_RECORD_MAGIC ID_A " :1.42",                   /* no final newline */
                HANDOVER_RECORD_MAGIC ID_A " :1.42\n" ID_A " :1.43\n", /* the same id twice */
                HANDOVER_RECORD_MAGIC "AAAAAAAAAAAA :1.1\n",           /* not an engine id */
                HANDOVER_RECORD_MAGIC ID_B " org.lambdad.Manager1\n",  /* not a unique name */
                HANDOVER_RECORD_MAGIC ID_B " :1..1\n",
                HANDOVER_RECORD_MAGIC ID_B " :1.\n",
                HANDOVER_RECORD_MAGIC ID_B " :1\n",
                HANDOVER_RECORD_MAGIC ID_B "  :1.1\n",
                HANDOVER_RECORD_MAGIC ID_B " :1.1 x\n",
                HANDOVER_RECORD_MAGIC ID_B "\n",
        };

        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                HandoverRecord r = {};

                assert_int_equal(parse(bad[k], &r), -EBADMSG);
                assert_int_equal(r.n, 0);
        }
}

/* A NUL inside is not the end of the record. */
static void test_nul(void **state)
{
        static const char text[] = HANDOVER_RECORD_MAGIC ID_B "\0:1.1\n";
        HandoverRecord r = {};

        assert_int_equal(handover_parse(text, sizeof(text) - 1, &r), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_nul),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
