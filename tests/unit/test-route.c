/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "route.h"

/* Routes and expects success; the route is returned for inspection. */
static Route parse_ok(const char *method, const char *target)
{
        int status = -1;
        const char *message = "untouched";
        Route r;
        int k;

        k = route_parse(method, target, &r, &status, &message);
        if (k != 0)
                fail_msg("%s %s: %d %d %s", method, target, k, status, message);
        /* Failure outputs are not written on success. */
        assert_int_equal(status, -1);
        assert_string_equal(message, "untouched");
        return r;
}

/* Routes and expects failure with this status; returns the message. */
static const char *parse_fail(const char *method, const char *target, int expected_status)
{
        const char *message = NULL;
        int status = 0, k;
        Route r, sentinel;

        memset(&r, 0xa5, sizeof(r));
        sentinel = r;
        k = route_parse(method, target, &r, &status, &message);
        if (status != expected_status)
                fail_msg("%s %s: got %d (%d, %s), expected %d", method, target, status, k,
                         message ?: "(null)", expected_status);
        assert_int_equal(k, expected_status == 400   ? -EINVAL
                            : expected_status == 404 ? -ENOENT
                                                     : -EOPNOTSUPP);
        assert_non_null(message);
        assert_true(strlen(message) > 0);
        /* The route is written only on success. */
        assert_memory_equal(&r, &sentinel, sizeof(r));
        return message;
}

static void test_percent_decode(void **state)
{
        char out[8];

        assert_int_equal(percent_decode("hello", 5, out, sizeof(out)), 0);
        assert_string_equal(out, "hello");
        assert_int_equal(percent_decode("a%3Ab%3ac", 9, out, sizeof(out)), 0);
        assert_string_equal(out, "a:b:c");
        assert_int_equal(percent_decode("%24%2F%25", 9, out, sizeof(out)), 0);
        assert_string_equal(out, "$/%");
        /* Only len bytes are read. */
        assert_int_equal(percent_decode("abcdef", 3, out, sizeof(out)), 0);
        assert_string_equal(out, "abc");
        assert_int_equal(percent_decode("", 0, out, sizeof(out)), 0);
        assert_string_equal(out, "");
        /* Decoded once: "%2541" is "%41", not "A". */
        assert_int_equal(percent_decode("%2541", 5, out, sizeof(out)), 0);
        assert_string_equal(out, "%41");
        /* High bytes pass through. */
        assert_int_equal(percent_decode("%ff", 3, out, sizeof(out)), 0);
        assert_int_equal((unsigned char) out[0], 0xff);

        /* Bad escapes. */
        assert_int_equal(percent_decode("%", 1, out, sizeof(out)), -EINVAL);
        assert_string_equal(out, "");
        assert_int_equal(percent_decode("%4", 2, out, sizeof(out)), -EINVAL);
        assert_int_equal(percent_decode("a%4g", 4, out, sizeof(out)), -EINVAL);
        assert_int_equal(percent_decode("%zz", 3, out, sizeof(out)), -EINVAL);
        assert_int_equal(percent_decode("%%41", 4, out, sizeof(out)), -EINVAL);
        /* "%4" at the end of the span, even if the byte after it is a hex digit. */
        assert_int_equal(percent_decode("%41", 2, out, sizeof(out)), -EINVAL);
        /* NUL, decoded or raw. */
        assert_int_equal(percent_decode("a%00b", 5, out, sizeof(out)), -EINVAL);
        assert_int_equal(percent_decode("a\0b", 3, out, sizeof(out)), -EINVAL);

        /* Sizes: seven bytes and the NUL fit in eight. */
        assert_int_equal(percent_decode("1234567", 7, out, sizeof(out)), 0);
        assert_string_equal(out, "1234567");
        assert_int_equal(percent_decode("12345678", 8, out, sizeof(out)), -ENOBUFS);
        assert_string_equal(out, "");
        assert_int_equal(percent_decode("%31%32%33%34%35%36%37", 21, out, sizeof(out)), 0);
        assert_string_equal(out, "1234567");
        assert_int_equal(percent_decode("", 0, out, 1), 0);
        assert_int_equal(percent_decode("a", 1, out, 1), -ENOBUFS);
        assert_int_equal(percent_decode("", 0, NULL, 0), -ENOBUFS);
        /* A bad escape is reported as such even past the end of the buffer. */
        assert_int_equal(percent_decode("12345678%x", 10, out, sizeof(out)), -EINVAL);
}

static void test_invoke_aws(void **state)
{
        Route r;

        r = parse_ok("POST", "/2015-03-31/functions/hello/invocations");
        assert_int_equal(r.type, ROUTE_INVOKE);
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "");
        assert_string_equal(r.marker, "");
        assert_int_equal(r.max_items, 0);

        r = parse_ok("POST", "/2015-03-31/functions/my-Function_2/invocations");
        assert_string_equal(r.function, "my-Function_2");

        /* name:qualifier, encoded as clients do, and raw. */
        r = parse_ok("POST", "/2015-03-31/functions/hello%3Aprod/invocations");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "prod");
        r = parse_ok("POST", "/2015-03-31/functions/hello:7/invocations");
        assert_string_equal(r.qualifier, "7");
        r = parse_ok("POST", "/2015-03-31/functions/hello%3A%24LATEST/invocations");
        assert_string_equal(r.qualifier, "$LATEST");
        r = parse_ok("POST", "/2015-03-31/functions/hello:$LATEST/invocations");
        assert_string_equal(r.qualifier, "$LATEST");
        /* Percent-encoding of plain characters is still decoded. */
        r = parse_ok("POST", "/2015-03-31/functions/%68ello/invocations");
        assert_string_equal(r.function, "hello");
}

static void test_invoke_arn(void **state)
{
        Route r;

        r = parse_ok("POST", "/2015-03-31/functions/"
                             "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/invocations");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "");

        r = parse_ok("POST",
                     "/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:hello:v2/"
                     "invocations");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "v2");

        r = parse_ok("POST", "/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f/"
                             "invocations");
        assert_string_equal(r.function, "f");
        r = parse_ok("POST",
                     "/2015-03-31/functions/arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:"
                     "$LATEST/invocations");
        assert_string_equal(r.qualifier, "$LATEST");

        /* Partial ARNs. */
        r = parse_ok("POST", "/2015-03-31/functions/123456789012%3Afunction%3Ahello/invocations");
        assert_string_equal(r.function, "hello");
        r = parse_ok("POST", "/2015-03-31/functions/123456789012:function:hello:alias-1/invocations");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "alias-1");

        /* Malformed ARNs. */
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws-eu:lambda:us-east-1:123456789012:function:f/invocations",
                   400);
        parse_fail("POST", "/2015-03-31/functions/arn:aws:s3:us-east-1:123456789012:function:f/invocations",
                   400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:12345678901:function:f/invocations", 400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:1234567890123:function:f/invocations",
                   400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:12345678901a:function:f/invocations",
                   400);
        parse_fail("POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:layer:f/invocations",
                   400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:/invocations", 400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f:/invocations",
                   400);
        parse_fail("POST",
                   "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f:a:b/invocations",
                   400);
        parse_fail("POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:f/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/123456789012:lambda:hello/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/12345:function:hello/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/a:b:c:d:e:f:g:h:i:j/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/a:b:c:d:e/invocations", 400);
}

static void test_regions(void **state)
{
        static const char *const good[] = { "us-east-1",     "eu-central-1", "ap-southeast-3", "cn-north-1",
                                            "us-gov-west-1", "il-central-1", "us-gov-1" };
        static const char *const bad[] = {
                "",          "us",        "us-east",     "us-east-",   "us-east-12",
                "US-east-1", "useast-1",  "u-east-1",    "us--1",      "us-east-a",
                "us-gov-",   "us-gov--1", "use-ast-1-1", "us-eas1t-1", "us-east-1-"
        };
        char target[256];

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                snprintf(target, sizeof(target),
                         "/2015-03-31/functions/arn:aws:lambda:%s:123456789012:function:f/invocations",
                         good[i]);
                (void) parse_ok("POST", target);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(target, sizeof(target),
                         "/2015-03-31/functions/arn:aws:lambda:%s:123456789012:function:f/invocations",
                         bad[i]);
                (void) parse_fail("POST", target, 400);
        }
}

static void test_invoke_bad_names(void **state)
{
        char target[1024], name[256];

        /* Encoding. */
        parse_fail("POST", "/2015-03-31/functions/hel%lo/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello%/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello%00/invocations", 400);
        /* An encoded "/" is part of the name, and not a valid character of one. */
        parse_fail("POST", "/2015-03-31/functions/a%2Fb/invocations", 400);
        /* Decoded once: "%253A" is "%3A", and "%" is no name character. */
        parse_fail("POST", "/2015-03-31/functions/hello%253Aprod/invocations", 400);
        /* Characters. */
        parse_fail("POST", "/2015-03-31/functions//invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/x%20y/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/x.y/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/h%C3%A9/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/:prod/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello:/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello:pr.od/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello:LATEST$/invocations", 400);
        parse_fail("POST", "/2015-03-31/functions/hello:$latest/invocations", 400);

        /* NAME: 64 characters at most. */
        memset(name, 'n', 64);
        name[64] = 0;
        snprintf(target, sizeof(target), "/2015-03-31/functions/%s/invocations", name);
        assert_string_equal(parse_ok("POST", target).function, name);
        snprintf(target, sizeof(target), "/2015-03-31/functions/%sn/invocations", name);
        parse_fail("POST", target, 400);

        /* QUALIFIER: 128 characters at most, but within the 170 of the whole name. */
        memset(name, 'q', 128);
        name[128] = 0;
        snprintf(target, sizeof(target), "/2015-03-31/functions/f:%s/invocations", name);
        assert_string_equal(parse_ok("POST", target).qualifier, name);
        snprintf(target, sizeof(target), "/2015-03-31/functions/f:%sq/invocations", name);
        parse_fail("POST", target, 400);

        /* 170 decoded characters in all: 47 of ARN prefix + 64 + ':' + 58. */
        memset(name, 'q', 58);
        name[58] = 0;
        snprintf(target, sizeof(target),
                 "/2015-03-31/functions/arn%%3Aaws%%3Alambda%%3Aus-east-1%%3A123456789012%%3Afunction%%3A"
                 "%.64s%%3A%s/invocations",
                 "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", name);
        assert_string_equal(parse_ok("POST", target).qualifier, name);
        snprintf(target, sizeof(target),
                 "/2015-03-31/functions/arn%%3Aaws%%3Alambda%%3Aus-east-1%%3A123456789012%%3Afunction%%3A"
                 "%.64s%%3A%sq/invocations",
                 "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", name);
        assert_string_equal(parse_fail("POST", target, 400),
                            "Function name is too long: at most 170 characters.");
}

static void test_invoke_qualifier_query(void **state)
{
        char target[256], q[130];
        const char *m;
        Route r;

        r = parse_ok("POST", "/2015-03-31/functions/hello/invocations?Qualifier=prod");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "prod");
        r = parse_ok("POST", "/2015-03-31/functions/hello/invocations?Qualifier=%24LATEST");
        assert_string_equal(r.qualifier, "$LATEST");
        /* The same qualifier twice over (name and query) agrees. */
        r = parse_ok("POST", "/2015-03-31/functions/hello%3Aprod/invocations?Qualifier=prod");
        assert_string_equal(r.qualifier, "prod");
        /* Empty means none. */
        r = parse_ok("POST", "/2015-03-31/functions/hello/invocations?Qualifier=");
        assert_string_equal(r.qualifier, "");
        r = parse_ok("POST", "/2015-03-31/functions/hello:prod/invocations?Qualifier");
        assert_string_equal(r.qualifier, "prod");
        /* Unknown and empty parameters are ignored; keys are matched decoded and case-sensitively. */
        r = parse_ok("POST",
                     "/2015-03-31/functions/hello/invocations?&x=%zz&&qualifier=bad.one&Qual%69fier=v1&");
        assert_string_equal(r.qualifier, "v1");
        /* A fragment is not part of the query. */
        r = parse_ok("POST", "/2015-03-31/functions/hello/invocations?Qualifier=v1#x");
        assert_string_equal(r.qualifier, "v1");

        m = parse_fail("POST", "/2015-03-31/functions/hello%3Aprod/invocations?Qualifier=dev", 400);
        assert_string_equal(
                m, "The derived qualifier from the function name does not match the specified qualifier.");
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=a&Qualifier=a", 400);
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=a.b", 400);
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=a+b", 400);
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=%2", 400);
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=a%00", 400);
        parse_fail("POST", "/2015-03-31/functions/hello/invocations?Qualifier=$latest", 400);
        /* 129 characters do not fit. */
        memset(q, 'q', 129);
        q[129] = 0;
        snprintf(target, sizeof(target), "/2015-03-31/functions/hello/invocations?Qualifier=%s", q);
        parse_fail("POST", target, 400);
        q[128] = 0;
        snprintf(target, sizeof(target), "/2015-03-31/functions/hello/invocations?Qualifier=%s", q);
        assert_string_equal(parse_ok("POST", target).qualifier, q);
}

static void test_invoke_simple(void **state)
{
        Route r;

        r = parse_ok("POST", "/functions/hello/invocations");
        assert_int_equal(r.type, ROUTE_INVOKE);
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "");
        /* Unknown parameters are ignored here too. */
        r = parse_ok("POST", "/functions/h%65llo/invocations?Marker=x");
        assert_string_equal(r.function, "hello");

        /* A bare name only: qualifiers and ARNs take the AWS route. */
        parse_fail("POST", "/functions/hello:prod/invocations", 400);
        parse_fail("POST", "/functions/hello%3Aprod/invocations", 400);
        parse_fail("POST", "/functions/123456789012:function:hello/invocations", 400);
        parse_fail("POST", "/functions/hello/invocations?Qualifier=prod", 400);
        parse_fail("POST", "/functions//invocations", 400);
        parse_fail("POST", "/functions/a%2Fb/invocations", 400);
}

static void test_list_functions(void **state)
{
        char target[1200];
        Route r;

        r = parse_ok("GET", "/2015-03-31/functions/");
        assert_int_equal(r.type, ROUTE_LIST_FUNCTIONS);
        assert_string_equal(r.marker, "");
        assert_int_equal(r.max_items, 0);
        r = parse_ok("GET", "/2015-03-31/functions");
        assert_int_equal(r.type, ROUTE_LIST_FUNCTIONS);

        r = parse_ok("GET", "/2015-03-31/functions/?MaxItems=50&Marker=abc%3D%3D%2Fx%20y+z");
        assert_int_equal(r.max_items, 50);
        assert_string_equal(r.marker, "abc==/x y+z");
        r = parse_ok("GET", "/2015-03-31/functions?FunctionVersion=ALL&MasterRegion=ALL&MaxItems=1");
        assert_int_equal(r.max_items, 1);
        r = parse_ok("GET", "/2015-03-31/functions?MaxItems=10000&Marker=");
        assert_int_equal(r.max_items, 10000);
        assert_string_equal(r.marker, "");
        /* Qualifier belongs to Invoke; here it is just unknown. */
        r = parse_ok("GET", "/2015-03-31/functions/?Qualifier=a.b");
        assert_int_equal(r.type, ROUTE_LIST_FUNCTIONS);

        parse_fail("GET", "/2015-03-31/functions/?MaxItems=0", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=10001", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=ten", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=-1", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=+5", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=%205", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=5x", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=99999999999999999999999", 400);
        parse_fail("GET", "/2015-03-31/functions/?MaxItems=1&MaxItems=1", 400);
        parse_fail("GET", "/2015-03-31/functions/?Marker=a&Marker=b", 400);
        parse_fail("GET", "/2015-03-31/functions/?Marker=%zz", 400);
        parse_fail("GET", "/2015-03-31/functions/?Marker=a%00", 400);

        /* Marker: 1024 decoded bytes at most. */
        strcpy(target, "/2015-03-31/functions/?Marker=");
        memset(target + strlen(target), 'm', 1024);
        target[STRLEN("/2015-03-31/functions/?Marker=") + 1024] = 0;
        r = parse_ok("GET", target);
        assert_int_equal(strlen(r.marker), 1024);
        strcat(target, "m");
        parse_fail("GET", target, 400);
}

static void test_health_and_metrics(void **state)
{
        assert_int_equal(parse_ok("GET", "/healthz").type, ROUTE_HEALTHZ);
        assert_int_equal(parse_ok("GET", "/metrics").type, ROUTE_METRICS);
        /* Their queries are nobody's business. */
        assert_int_equal(parse_ok("GET", "/healthz?verbose=%zz").type, ROUTE_HEALTHZ);
        assert_int_equal(parse_ok("GET", "/metrics?name[]=x").type, ROUTE_METRICS);
        assert_int_equal(parse_ok("GET", "/metrics#frag").type, ROUTE_METRICS);
}

static void test_unknown(void **state)
{
        static const char *const targets[] = {
                "",
                "/",
                "*",
                "healthz",
                "/healthz/",
                "//healthz",
                "/HEALTHZ",
                "/metrics/x",
                "/functions",
                "/functions/",
                "/functions/hello",
                "/functions/hello/invocations/",
                "/functions/hello/invoke",
                "/2015-03-31",
                "/2015-03-31/",
                "/2015-03-31/functions//",
                "/2015-03-31/functions/hello/",
                "/2015-03-31/functions/hello/code/",
                "/2015-03-31/functions/hello/configuration/x",
                "/2015-03-31/functions/hello/versions/1",
                "/2020-06-30/functions/hello",
                "/2015-03-31/functions/hello/aliases/",
                "/2015-03-31/functions/hello/aliases/live/x",
                "/2015-03-31/functions/hello/policy",
                "/2017-10-31/functions/hello/concurrency/",
                "/2019-09-30/functions/hello/event-invoke-config",
                "/2019-09-25/functions/hello/event-invoke-config/lists",
                "/2015-03-31/functions/hello/invocations/",
                "/2015-03-31/functions/a/b/invocations",
                "/2016-03-31/functions/hello/invocations",
                "/2015-03-31/%66unctions/hello/invocations",
                "/2015-03-31/functions/hello/invocations%3F",
                "/../healthz",
                "http://localhost",
                "http://localhost?x",
                "ftp://localhost/healthz",
        };

        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                const char *m = parse_fail("GET", targets[i], 404);

                assert_string_equal(m, "Unknown operation.");
                (void) parse_fail("POST", targets[i], 404);
                assert_null(route_allow(targets[i]));
        }
}

static void test_methods(void **state)
{
        parse_fail("GET", "/2015-03-31/functions/hello/invocations", 405);
        parse_fail("PUT", "/2015-03-31/functions/hello/invocations", 405);
        parse_fail("post", "/2015-03-31/functions/hello/invocations", 405);
        parse_fail("GET", "/functions/hello/invocations", 405);
        parse_fail("DELETE", "/2015-03-31/functions", 405);
        parse_fail("PUT", "/2015-03-31/functions/", 405);
        parse_fail("POST", "/2015-03-31/functions/hello", 405);
        parse_fail("PUT", "/2015-03-31/functions/hello", 405);
        parse_fail("DELETE", "/2015-03-31/functions/hello/configuration", 405);
        parse_fail("POST", "/2015-03-31/functions/hello/configuration", 405);
        parse_fail("GET", "/2015-03-31/functions/hello/code", 405);
        parse_fail("POST", "/2015-03-31/functions/hello/code", 405);
        parse_fail("get", "/2015-03-31/functions/hello", 405);
        parse_fail("GETDELETE", "/2015-03-31/functions/hello", 405);
        parse_fail("PUT", "/2015-03-31/functions/hello/versions", 405);
        parse_fail("DELETE", "/2015-03-31/functions/hello/aliases", 405);
        parse_fail("POST", "/2015-03-31/functions/hello/aliases/live", 405);
        assert_string_equal(route_allow("/2015-03-31/functions/hello/aliases/live"), "GET, PUT, DELETE");
        assert_string_equal(route_allow("/2015-03-31/functions/hello/versions"), "GET, POST");
        parse_fail("PUT", "/2020-06-30/functions/hello/code-signing-config", 405);
        parse_fail("GET,", "/2015-03-31/functions/hello", 405);
        parse_fail("POST", "/healthz", 405);
        parse_fail("HEAD", "/healthz", 405);
        parse_fail("", "/metrics", 405);
        /* The method is checked before the name: a bad name on the wrong method is a 405. */
        parse_fail("GET", "/2015-03-31/functions/x%zz/invocations", 405);

        assert_string_equal(route_allow("/2015-03-31/functions/hello/invocations?Qualifier=1"), "POST");
        assert_string_equal(route_allow("/functions/x%zz/invocations"), "POST");
        assert_string_equal(route_allow("/2015-03-31/functions/"), "GET, POST");
        assert_string_equal(route_allow("/2015-03-31/functions/hello"), "GET, DELETE");
        assert_string_equal(route_allow("/2017-10-31/functions/hello/concurrency"), "PUT, DELETE");
        assert_string_equal(route_allow("/2019-09-30/functions/hello/concurrency"), "GET");
        assert_string_equal(route_allow("/2019-09-25/functions/hello/event-invoke-config"),
                            "GET, PUT, POST, DELETE");
        assert_string_equal(route_allow("/2015-03-31/functions/hello/configuration"), "GET, PUT");
        assert_string_equal(route_allow("/2015-03-31/functions/hello/code"), "PUT");
        assert_string_equal(parse_fail("DELETE", "/2015-03-31/functions/hello/code", 405),
                            "Method not allowed: this resource takes PUT.");
        assert_string_equal(parse_fail("PUT", "/2015-03-31/functions/hello", 405),
                            "Method not allowed: this resource takes GET or DELETE.");
        assert_string_equal(route_allow("/healthz"), "GET");
        assert_string_equal(route_allow("/metrics"), "GET");
        assert_null(route_allow("/nope"));
        assert_null(route_allow(NULL));
}

static void test_control_plane(void **state)
{
        static const struct {
                const char *method, *target;
                RouteType type;
                const char *operation;
        } table[] = {
                { "POST", "/2015-03-31/functions", ROUTE_CREATE_FUNCTION, "CreateFunction" },
                { "POST", "/2015-03-31/functions/", ROUTE_CREATE_FUNCTION, "CreateFunction" },
                { "GET", "/2015-03-31/functions/hello", ROUTE_GET_FUNCTION, "GetFunction" },
                { "GET", "/2015-03-31/functions/hello/configuration", ROUTE_GET_FUNCTION_CONFIGURATION,
                  "GetFunctionConfiguration" },
                { "PUT", "/2015-03-31/functions/hello/code", ROUTE_UPDATE_FUNCTION_CODE,
                  "UpdateFunctionCode" },
                { "PUT", "/2015-03-31/functions/hello/configuration", ROUTE_UPDATE_FUNCTION_CONFIGURATION,
                  "UpdateFunctionConfiguration" },
                { "DELETE", "/2015-03-31/functions/hello", ROUTE_DELETE_FUNCTION, "DeleteFunction" },
                { "GET", "/2015-03-31/functions/hello/versions", ROUTE_LIST_VERSIONS_BY_FUNCTION,
                  "ListVersionsByFunction" },
                { "GET", "/2020-06-30/functions/hello/code-signing-config",
                  ROUTE_GET_FUNCTION_CODE_SIGNING_CONFIG, "GetFunctionCodeSigningConfig" },
                { "PUT", "/2017-10-31/functions/hello/concurrency", ROUTE_PUT_FUNCTION_CONCURRENCY,
                  "PutFunctionConcurrency" },
                { "GET", "/2019-09-30/functions/hello/concurrency", ROUTE_GET_FUNCTION_CONCURRENCY,
                  "GetFunctionConcurrency" },
                { "DELETE", "/2017-10-31/functions/hello/concurrency", ROUTE_DELETE_FUNCTION_CONCURRENCY,
                  "DeleteFunctionConcurrency" },
                { "PUT", "/2019-09-25/functions/hello/event-invoke-config",
                  ROUTE_PUT_FUNCTION_EVENT_INVOKE_CONFIG, "PutFunctionEventInvokeConfig" },
                { "POST", "/2019-09-25/functions/hello/event-invoke-config",
                  ROUTE_UPDATE_FUNCTION_EVENT_INVOKE_CONFIG, "UpdateFunctionEventInvokeConfig" },
                { "GET", "/2019-09-25/functions/hello/event-invoke-config",
                  ROUTE_GET_FUNCTION_EVENT_INVOKE_CONFIG, "GetFunctionEventInvokeConfig" },
                { "DELETE", "/2019-09-25/functions/hello/event-invoke-config",
                  ROUTE_DELETE_FUNCTION_EVENT_INVOKE_CONFIG, "DeleteFunctionEventInvokeConfig" },
                { "GET", "/2019-09-25/functions/hello/event-invoke-config/list",
                  ROUTE_LIST_FUNCTION_EVENT_INVOKE_CONFIGS, "ListFunctionEventInvokeConfigs" },
                { "POST", "/2015-03-31/functions/hello/versions", ROUTE_PUBLISH_VERSION, "PublishVersion" },
                { "POST", "/2015-03-31/functions/hello/aliases", ROUTE_CREATE_ALIAS, "CreateAlias" },
                { "GET", "/2015-03-31/functions/hello/aliases", ROUTE_LIST_ALIASES, "ListAliases" },
                { "GET", "/2015-03-31/functions/hello/aliases/live", ROUTE_GET_ALIAS, "GetAlias" },
                { "PUT", "/2015-03-31/functions/hello/aliases/live", ROUTE_UPDATE_ALIAS, "UpdateAlias" },
                { "DELETE", "/2015-03-31/functions/hello/aliases/live", ROUTE_DELETE_ALIAS, "DeleteAlias" },
                { "PUT", "/2019-09-30/functions/hello/provisioned-concurrency",
                  ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG, "PutProvisionedConcurrencyConfig" },
                { "GET", "/2019-09-30/functions/hello/provisioned-concurrency",
                  ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG, "GetProvisionedConcurrencyConfig" },
                { "DELETE", "/2019-09-30/functions/hello/provisioned-concurrency",
                  ROUTE_DELETE_PROVISIONED_CONCURRENCY_CONFIG, "DeleteProvisionedConcurrencyConfig" },
                { "GET", "/2019-09-30/functions/hello/provisioned-concurrency?List=ALL",
                  ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS, "ListProvisionedConcurrencyConfigs" },
        };
        Route r;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                r = parse_ok(table[i].method, table[i].target);
                assert_int_equal(r.type, table[i].type);
                assert_true(route_is_control_plane(r.type));
                assert_string_equal(route_operation(r.type), table[i].operation);
                assert_string_equal(r.function, table[i].type == ROUTE_CREATE_FUNCTION ? "" : "hello");
                assert_string_equal(r.qualifier, "");
                assert_string_equal(r.alias, strstr(table[i].target, "/live") ? "live" : "");
        }
        assert_false(route_is_control_plane(ROUTE_INVOKE));
        assert_false(route_is_control_plane(ROUTE_LIST_FUNCTIONS));
        assert_string_equal(route_operation(ROUTE_LIST_FUNCTIONS), "ListFunctions");

        /* Every type has its operation's name; the groups lie inside the control plane. */
        for (RouteType t = 0; t < _ROUTE_TYPE_MAX; t++) {
                assert_string_not_equal(route_operation(t), "Unknown");
                if (route_flags(t) & (ROUTE_FLAG_FUNCTION_SETTINGS | ROUTE_FLAG_PROVISIONED))
                        assert_true(route_is_control_plane(t));
        }
        assert_int_equal(route_flags(ROUTE_PUT_FUNCTION_CONCURRENCY),
                         ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_FUNCTION_SETTINGS);
        assert_int_equal(route_flags(ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS),
                         ROUTE_FLAG_CONTROL_PLANE | ROUTE_FLAG_PROVISIONED);
        assert_int_equal(route_flags(ROUTE_GET_ALIAS), ROUTE_FLAG_CONTROL_PLANE);
        assert_int_equal(route_flags(ROUTE_INVOKE), 0);

        /* Only the uploads take Lambda's large bodies. */
        assert_int_equal(route_max_body(ROUTE_CREATE_FUNCTION), LAMBDA_API_REQUEST_MAX);
        assert_int_equal(route_max_body(ROUTE_UPDATE_FUNCTION_CODE), LAMBDA_API_REQUEST_MAX);
        assert_int_equal(route_max_body(ROUTE_UPDATE_FUNCTION_CONFIGURATION), LAMBDA_PAYLOAD_MAX);
        assert_int_equal(route_max_body(ROUTE_INVOKE), LAMBDA_PAYLOAD_MAX);

        /* Names in every form, and qualifiers in the name or the query, as for invocations. */
        r = parse_ok(
                "GET",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/"
                "configuration");
        assert_string_equal(r.function, "hello");
        r = parse_ok("GET", "/2015-03-31/functions/hello?Qualifier=%24LATEST");
        assert_string_equal(r.qualifier, "$LATEST");
        r = parse_ok("DELETE", "/2015-03-31/functions/hello%3Aprod");
        assert_string_equal(r.qualifier, "prod");
        r = parse_ok("PUT", "/2015-03-31/functions/123456789012%3Afunction%3Ahello/code");
        assert_string_equal(r.function, "hello");
        parse_fail("GET", "/2015-03-31/functions/hello%3Aa?Qualifier=b", 400);
        parse_fail("GET", "/2015-03-31/functions/bad%20name", 400);
        parse_fail("PUT", "/2015-03-31/functions/x%zz/code", 400);
        parse_fail("DELETE", "/2015-03-31/functions/%2F", 400);
        /* An encoded slash stays in the name, which it makes invalid: no path of another operation. */
        parse_fail("GET", "/2015-03-31/functions/hello%2Finvocations", 400);

        /* Provisioned concurrency: the Qualifier of a version or alias; the list pages. */
        r = parse_ok("PUT", "/2019-09-30/functions/hello/provisioned-concurrency?Qualifier=live");
        assert_int_equal(r.type, ROUTE_PUT_PROVISIONED_CONCURRENCY_CONFIG);
        assert_string_equal(r.qualifier, "live");
        r = parse_ok("GET", "/2019-09-30/functions/hello/provisioned-concurrency?Qualifier=%24LATEST");
        assert_int_equal(r.type, ROUTE_GET_PROVISIONED_CONCURRENCY_CONFIG);
        assert_string_equal(r.qualifier, "$LATEST");
        r = parse_ok("GET",
                     "/2019-09-30/functions/hello/provisioned-concurrency?MaxItems=2&List=ALL&Marker=1");
        assert_int_equal(r.type, ROUTE_LIST_PROVISIONED_CONCURRENCY_CONFIGS);
        assert_int_equal(r.max_items, 2);
        assert_string_equal(r.marker, "1");
        parse_fail("GET", "/2019-09-30/functions/hello/provisioned-concurrency?List=ALL&MaxItems=0", 400);
        parse_fail("POST", "/2019-09-30/functions/hello/provisioned-concurrency", 405);
        parse_fail("PUT", "/2019-09-30/functions/hello/provisioned-concurrency?Qualifier=a.b", 400);

        /* ListVersionsByFunction and ListAliases page; ListAliases filters by FunctionVersion. */
        r = parse_ok("GET", "/2015-03-31/functions/hello/versions?Marker=50&MaxItems=10");
        assert_int_equal(r.type, ROUTE_LIST_VERSIONS_BY_FUNCTION);
        assert_string_equal(r.marker, "50");
        assert_int_equal(r.max_items, 10);
        assert_string_equal(r.function_version, "");
        r = parse_ok("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=%24LATEST");
        assert_string_equal(r.function_version, "$LATEST");
        r = parse_ok("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=12&MaxItems=1");
        assert_string_equal(r.function_version, "12");
        assert_int_equal(r.max_items, 1);
        /* Only ListAliases has it; a POST's query is not a list's. */
        r = parse_ok("GET", "/2015-03-31/functions/hello/versions?FunctionVersion=1");
        assert_string_equal(r.function_version, "");
        r = parse_ok("POST", "/2015-03-31/functions/hello/versions?MaxItems=0");
        assert_int_equal(r.max_items, 0);
        parse_fail("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=v1", 400);
        parse_fail("GET", "/2015-03-31/functions/hello/aliases?FunctionVersion=1&FunctionVersion=2", 400);
        parse_fail("GET", "/2015-03-31/functions/hello/versions?MaxItems=0", 400);
}

static void test_alias_names(void **state)
{
        Route r;

        /* The alias's segment is decoded, and must be an alias's name: not all digits (a version). */
        r = parse_ok(
                "GET",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/"
                "aliases/my%2Dalias_2");
        assert_int_equal(r.type, ROUTE_GET_ALIAS);
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.alias, "my-alias_2");
        parse_fail("GET", "/2015-03-31/functions/hello/aliases/12", 400);
        parse_fail("GET", "/2015-03-31/functions/hello/aliases/a.b", 400);
        parse_fail("GET", "/2015-03-31/functions/hello/aliases/a%2", 400);
        parse_fail("GET", "/2015-03-31/functions/hello/aliases/a%00", 400);
        parse_fail("DELETE", "/2015-03-31/functions/bad.name/aliases/live", 400);

        assert_true(route_alias_name_is_valid("live"));
        assert_true(route_alias_name_is_valid("1a"));
        assert_true(route_alias_name_is_valid("-"));
        assert_false(route_alias_name_is_valid(""));
        assert_false(route_alias_name_is_valid("007"));
        assert_false(route_alias_name_is_valid("$LATEST"));
}

static void test_function_name(void **state)
{
        char name[LAMBDA_FUNCTION_NAME_MAX + 1], qualifier[ROUTE_QUALIFIER_MAX + 1];
        const char *message = NULL;

        assert_int_equal(route_function_name("hello", name, qualifier, &message), 0);
        assert_string_equal(name, "hello");
        assert_string_equal(qualifier, "");
        assert_int_equal(route_function_name("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:$LATEST",
                                             name, qualifier, &message),
                         0);
        assert_string_equal(name, "my-fn");
        assert_string_equal(qualifier, "$LATEST");
        assert_int_equal(route_function_name("123456789012:function:f_2", name, qualifier, &message), 0);
        assert_string_equal(name, "f_2");

        assert_int_equal(route_function_name("bad name", name, qualifier, &message), -EINVAL);
        assert_non_null(message);
        assert_int_equal(route_function_name("", name, qualifier, &message), -EINVAL);
        assert_int_equal(route_function_name("a:b:c:d:e", name, qualifier, &message), -EINVAL);
        assert_int_equal(route_function_name(NULL, name, qualifier, &message), -EINVAL);
        {
                char longer[ROUTE_FUNCTION_ARG_MAX + 2];

                memset(longer, 'a', sizeof(longer) - 1);
                longer[sizeof(longer) - 1] = 0;
                assert_int_equal(route_function_name(longer, name, qualifier, &message), -EINVAL);
        }
}

static void test_absolute_form(void **state)
{
        Route r;

        assert_int_equal(parse_ok("GET", "http://localhost:9000/healthz").type, ROUTE_HEALTHZ);
        assert_int_equal(parse_ok("GET", "HTTPS://[::1]:9000/metrics?x=1").type, ROUTE_METRICS);
        r = parse_ok("POST",
                     "http://lambda.us-east-1.amazonaws.com/2015-03-31/functions/hello%3Av1/invocations");
        assert_string_equal(r.function, "hello");
        assert_string_equal(r.qualifier, "v1");
}

static void test_null_outputs(void **state)
{
        Route r;

        /* The caller may not care why. */
        assert_int_equal(route_parse("GET", "/nope", &r, NULL, NULL), -ENOENT);
        assert_int_equal(route_parse("GET", "/2015-03-31/functions/?MaxItems=0", &r, NULL, NULL), -EINVAL);
        assert_int_equal(route_parse(NULL, "/healthz", &r, NULL, NULL), -EOPNOTSUPP);
        assert_int_equal(route_parse("GET", NULL, &r, NULL, NULL), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_percent_decode),
                cmocka_unit_test(test_invoke_aws),
                cmocka_unit_test(test_invoke_arn),
                cmocka_unit_test(test_regions),
                cmocka_unit_test(test_invoke_bad_names),
                cmocka_unit_test(test_invoke_qualifier_query),
                cmocka_unit_test(test_invoke_simple),
                cmocka_unit_test(test_list_functions),
                cmocka_unit_test(test_health_and_metrics),
                cmocka_unit_test(test_unknown),
                cmocka_unit_test(test_methods),
                cmocka_unit_test(test_control_plane),
                cmocka_unit_test(test_alias_names),
                cmocka_unit_test(test_function_name),
                cmocka_unit_test(test_absolute_form),
                cmocka_unit_test(test_null_outputs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
