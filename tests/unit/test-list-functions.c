/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * ListFunctions (list-functions.c) from a real HTTP client to a fake manager on a private
 * dbus-daemon (fake-manager.h), which lists its functions in no particular order, as the real one
 * does. Covers the JSON shape AWS returns, paging by name with Marker and MaxItems (every function
 * exactly once, whatever the manager's order), bad MaxItems/Marker (400 InvalidParameterValueException,
 * the manager not asked), the manager's errors, a malformed reply, and a client that leaves before
 * the answer; with a manager that says the declarations, entries in GetFunctionConfiguration's whole
 * shape. Skipped (77) only when dbus-daemon is not installed.
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
#include <json-c/json.h>

#include "fake-manager.h"
#include "gateway-test.h"
#include "lambda-contract.h"
#include "manager-client.h"

static FakeManager fake;
static Gateway *gw;
static TestClient tc;

/* The manager's order: not the names' order. */
static const FakeFunction seven[] = {
        { "golf", "golf:latest" },
        { "charlie", "charlie:latest", "AWS_IAM" },
        { "alpha", "registry.example/alpha:1" },
        { "echo", "echo:latest" },
        { "bravo", "bravo:latest" },
        { "foxtrot", "foxtrot:latest" },
        { "delta", "public.ecr.aws/lambda/nodejs:22", NULL, "nodejs22.x" },
};

/* A manager that says the declarations: entries in GetFunctionConfiguration's whole shape. */
static const FakeFunction declared[] = {
        { "api-fn", "", NULL, "python3.12",
          "{\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"memory_mb\":512,\"description\":"
          "\"d\"}" },
        { "img", "lambdad-test-hello:latest", "NONE", NULL, "{\"image\":\"lambdad-test-hello:latest\"}",
          "Pending" },
};

static int setup(void **state)
{
        GatewayConfig config = test_gateway_config();

        config.manager_timeout_usec = 300 * USEC_PER_MSEC;
        fake = (FakeManager){ .functions = seven, .n_functions = ELEMENTSOF(seven) };
        assert_int_equal(gateway_new(&gw, &config), 0);
        assert_int_equal(manager_client_start(gw), 0);
        fake_manager_connect(&fake, gw->event);
        test_client_open(gw, &tc);
        return 0;
}

static int teardown(void **state)
{
        test_client_close(&tc);
        fake_manager_disconnect(&fake);
        gw = gateway_free(gw);
        return 0;
}

static void list_request(const char *query, char *request, size_t size)
{
        (void) snprintf(request, size, "GET /2015-03-31/functions/%s HTTP/1.1\r\nHost: gateway\r\n\r\n",
                        query);
}

static void list(const char *query, TestResponse *ret)
{
        char request[512];

        list_request(query, request, sizeof(request));
        test_client_exchange(gw, &tc, request, ret);
}

static void list_expect_error(const char *query, int status, const char *type, const char *message_part)
{
        char request[512];

        list_request(query, request, sizeof(request));
        test_client_expect_error(gw, &tc, request, status, type, message_part);
}

/* One page: its function names, comma-separated, into names; its NextMarker or "" into next. */
static void page(const char *query, char *names, size_t size, char *next)
{
        TestResponse r;
        json_object *root, *functions, *marker;

        list(query, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(test_response_header(&r, "Content-Type"), "application/json");
        root = json_tokener_parse(r.body);
        assert_non_null(root);
        assert_true(json_object_object_get_ex(root, "Functions", &functions));
        assert_true(json_object_is_type(functions, json_type_array));
        names[0] = 0;
        for (size_t i = 0; i < json_object_array_length(functions); i++) {
                json_object *name;

                assert_true(json_object_object_get_ex(json_object_array_get_idx(functions, i),
                                                      "FunctionName", &name));
                (void) snprintf(names + strlen(names), size - strlen(names), "%s%s", i > 0 ? "," : "",
                                json_object_get_string(name));
        }
        next[0] = 0;
        if (json_object_object_get_ex(root, "NextMarker", &marker))
                (void) snprintf(next, 256, "%s", json_object_get_string(marker));
        /* Nothing else at the top. */
        assert_int_equal(json_object_object_length(root), next[0] ? 2 : 1);
        json_object_put(root);
        test_response_done(&r);
}

/* A page must list these names and point to this next page ("" for none). */
static void assert_page(const char *query, const char *names, const char *next)
{
        char got[1024], got_next[256];

        page(query, got, sizeof(got), got_next);
        assert_string_equal(got, names);
        assert_string_equal(got_next, next);
}

static void assert_string_member(json_object *o, const char *key, const char *value)
{
        json_object *v;

        assert_true(json_object_object_get_ex(o, key, &v));
        assert_true(json_object_is_type(v, json_type_string));
        assert_string_equal(json_object_get_string(v), value);
}

static void test_shape(void **state)
{
        TestResponse r;
        json_object *root, *functions, *alpha, *delta, *size;

        list("", &r);
        assert_int_equal(r.status, 200);
        assert_non_null(test_response_header(&r, "Content-Type"));
        assert_string_equal(r.value, "application/json");
        root = json_tokener_parse(r.body);
        assert_non_null(root);
        assert_int_equal(json_object_object_length(root), 1);
        assert_true(json_object_object_get_ex(root, "Functions", &functions));
        assert_int_equal(json_object_array_length(functions), ELEMENTSOF(seven));

        /* What aws lambda list-functions reads of each function, and no more. */
        alpha = json_object_array_get_idx(functions, 0);
        assert_int_equal(json_object_object_length(alpha), 5);
        assert_string_member(alpha, "FunctionName", "alpha");
        assert_string_member(alpha, "FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:alpha");
        assert_string_member(alpha, "PackageType", "Image");
        assert_string_member(alpha, "Version", "$LATEST");
        assert_string_member(alpha, "Description", "registry.example/alpha:1");
        /* A function with a URL has it, on the Host the request named. */
        assert_int_equal(json_object_object_length(json_object_array_get_idx(functions, 2)), 6);
        assert_string_member(json_object_array_get_idx(functions, 2), "FunctionUrl",
                             "http://gateway/url/charlie/");
        /* A zip function says so, with its runtime, handler and code. */
        delta = json_object_array_get_idx(functions, 3);
        assert_int_equal(json_object_object_length(delta), 9);
        assert_string_member(delta, "PackageType", "Zip");
        assert_string_member(delta, "Runtime", "nodejs22.x");
        assert_string_member(delta, "Handler", "index.handler");
        assert_string_member(delta, "CodeSha256", "q83vEjRWeJA=");
        assert_true(json_object_object_get_ex(delta, "CodeSize", &size));
        assert_int_equal(json_object_get_int64(size), 123);
        json_object_put(root);
        test_response_done(&r);
        assert_int_equal(fake.n_list, 1);
}

static void test_full_shape(void **state)
{
        TestResponse r;
        json_object *root, *functions, *fn, *v;

        fake.functions = declared;
        fake.n_functions = ELEMENTSOF(declared);
        list("", &r);
        assert_int_equal(r.status, 200);
        root = json_tokener_parse(r.body);
        assert_non_null(root);
        assert_true(json_object_object_get_ex(root, "Functions", &functions));
        fn = json_object_array_get_idx(functions, 0);
        assert_string_member(fn, "FunctionName", "api-fn");
        assert_string_member(fn, "Description", "d");
        assert_string_member(fn, "RevisionId", "rev-1");
        assert_string_member(fn, "State", "Active");
        assert_string_member(fn, "LastModified", "2026-12-06T23:40:00.000+0000");
        assert_true(json_object_object_get_ex(fn, "MemorySize", &v));
        assert_int_equal(json_object_get_int(v), 512);
        fn = json_object_array_get_idx(functions, 1);
        assert_string_member(fn, "FunctionName", "img");
        assert_string_member(fn, "PackageType", "Image");
        assert_string_member(fn, "Description", "");
        assert_string_member(fn, "State", "Pending");
        /* What only the list says stays. */
        assert_string_member(fn, "FunctionUrl", "http://gateway/url/img/");
        json_object_put(root);
        test_response_done(&r);
}

static void test_paging(void **state)
{
        char names[1024], next[256], query[300];
        FakeFunction many[60];
        char many_names[60][8];

        assert_page("", "alpha,bravo,charlie,delta,echo,foxtrot,golf", "");

        /* By name, whatever order the manager lists them in. */
        assert_page("?MaxItems=3", "alpha,bravo,charlie", "charlie");
        assert_page("?MaxItems=3&Marker=charlie", "delta,echo,foxtrot", "foxtrot");
        assert_page("?Marker=foxtrot&MaxItems=3", "golf", "");
        /* Exactly full: no next page. */
        assert_page("?MaxItems=7", "alpha,bravo,charlie,delta,echo,foxtrot,golf", "");
        /* A marker past the end: an empty page. */
        assert_page("?Marker=zulu", "", "");

        /* Pages of one: each function once, in order. */
        {
                Buf all = {};

                for (unsigned i = 0;; i++) {
                        assert_true(i <= ELEMENTSOF(seven));
                        (void) snprintf(query, sizeof(query), "?MaxItems=1%s%s", i > 0 ? "&Marker=" : "",
                                        i > 0 ? next : "");
                        page(query, names, sizeof(names), next);
                        assert_true(buf_printf(&all, "%s%s", i > 0 ? "," : "", names) >= 0);
                        if (!next[0])
                                break;
                }
                assert_string_equal(all.data, "alpha,bravo,charlie,delta,echo,foxtrot,golf");
                buf_done(&all);
        }

        /* Without MaxItems: pages of 50. */
        for (unsigned i = 0; i < ELEMENTSOF(many); i++) {
                (void) snprintf(many_names[i], sizeof(many_names[i]), "f%02u", (i * 37) % 60);
                many[i] = (FakeFunction){ many_names[i], "image" };
        }
        fake.functions = many;
        fake.n_functions = ELEMENTSOF(many);
        page("", names, sizeof(names), next);
        assert_string_equal(next, "f49");
        assert_true(strncmp(names, "f00,f01,f02,", 12) == 0);
        assert_string_equal(names + strlen(names) - 8, ",f48,f49");
        assert_page("?Marker=f49", "f50,f51,f52,f53,f54,f55,f56,f57,f58,f59", "");
}

static void test_bad_parameters(void **state)
{
        static const struct {
                const char *query, *message;
        } table[] = {
                { "?MaxItems=0", "MaxItems is invalid" },
                { "?MaxItems=10001", "MaxItems is invalid" },
                { "?MaxItems=-1", "MaxItems is invalid" },
                { "?MaxItems=ten", "MaxItems is invalid" },
                { "?MaxItems=", "MaxItems is invalid" },
                { "?MaxItems=1&MaxItems=2", "MaxItems is given more than once" },
                { "?Marker=%zz", "Marker is invalid" },
                { "?Marker=a&Marker=b", "Marker is given more than once" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                list_expect_error(table[i].query, 400, "InvalidParameterValueException", table[i].message);
        assert_int_equal(fake.n_list, 0);
        assert_false(tc.eof);
}

static void test_manager_errors(void **state)
{
        fake.list_error = LAMBDAD_ERROR_BACKEND_UNAVAILABLE;
        fake.list_message = "the engine is away";
        list_expect_error("", 503, "ServiceException", "the engine is away");
        assert_int_equal(gw->metrics.manager_errors, 1);

        fake.list_error = SD_BUS_ERROR_INVALID_ARGS;
        fake.list_message = "no";
        list_expect_error("", 400, "InvalidParameterValueException", "no");

        fake.list_error = NULL;
        fake.list_bad_reply = true;
        list_expect_error("", 502, "ServiceException", "The manager's list is invalid.");

        /* Nobody owns the name: 503 to retry. */
        fake_manager_disconnect(&fake);
        list_expect_error("", 503, "ServiceException", "");
        assert_int_equal(gw->metrics.manager_errors, 2);
        assert_int_equal(gw->n_clients, 1);
}

static void test_client_leaves(void **state)
{
        TestResponse r;
        char names[1024], next[256];

        /* The answer comes after its client left: dropped. */
        fake.list_hold = true;
        test_client_send(&tc, "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: gateway\r\n\r\n");
        RUN_UNTIL(gw, fake.list_call);
        test_client_close(&tc);
        RUN_UNTIL(gw, gw->n_clients == 0);
        fake.list_hold = false;
        fake_manager_answer_list(&fake);

        /* The next call is answered after it, on the same bus: the late answer was handled first. */
        test_client_open(gw, &tc);
        page("?MaxItems=2", names, sizeof(names), next);
        assert_string_equal(names, "alpha,bravo");
        assert_int_equal(fake.n_list, 2);
        list("?MaxItems=1", &r);
        assert_int_equal(r.status, 200);
        test_response_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
                cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
                cmocka_unit_test_setup_teardown(test_full_shape, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_parameters, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_leaves, setup, teardown),
        };
        return test_bus_run_tests(tests, NULL);
}
