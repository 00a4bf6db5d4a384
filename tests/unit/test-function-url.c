/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "function-url.h"
#include "macro.h"
#include "route.h"

/* The event for a raw request, parsed back as JSON. */
static json_object *event_for(const char *raw, size_t len, const char *path, const char *query)
{
        HttpRequest req;
        Buf out = {};
        size_t n;
        json_object *o;

        http_request_init(&req, &http_limits_default);
        assert_int_equal(http_request_feed(&req, raw, len, &n), HTTP_FEED_COMPLETE);
        assert_int_equal(
                function_url_event_build(&req,
                                         &(FunctionUrlEventInfo){
                                                 .raw_path = path,
                                                 .raw_query = query,
                                                 .domain_name = "fn.lambda-url.localhost:8080",
                                                 .api_id = "fn",
                                                 .account_id = "anonymous",
                                                 .source_ip = "127.0.0.1",
                                                 .request_id = "11111111-2222-3333-4444-555555555555",
                                                 /* 2020-03-12T19:03:58.123Z */
                                                 .now_usec = 1584039838123000ULL,
                                         },
                                         &out),
                0);
        o = json_tokener_parse(out.data);
        assert_non_null(o);
        buf_done(&out);
        http_request_done(&req);
        return o;
}

static const char *get(json_object *o, const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        return json_object_get_string(o);
}

static void test_event_get(void **state)
{
        static const char raw[] = "GET /url/fn/a/b?x=1&y=a%20b&x=2&flag HTTP/1.1\r\n"
                                  "Host: fn.lambda-url.localhost:8080\r\n"
                                  "User-Agent: curl/7.88\r\n"
                                  "X-Multi: one\r\n"
                                  "x-multi: two\r\n"
                                  "Cookie: a=1; b=2\r\n"
                                  "Cookie: c=3\r\n"
                                  "\r\n";
        json_object *e = event_for(raw, strlen(raw), "/a/b", "x=1&y=a%20b&x=2&flag");

        assert_string_equal(get(e, "version"), "2.0");
        assert_string_equal(get(e, "routeKey"), "$default");
        assert_string_equal(get(e, "rawPath"), "/a/b");
        assert_string_equal(get(e, "rawQueryString"), "x=1&y=a%20b&x=2&flag");
        assert_string_equal(get(e, "cookies"), "[ \"a=1\", \"b=2\", \"c=3\" ]");
        assert_string_equal(get(e, "headers.x-multi"), "one,two");
        assert_string_equal(get(e, "headers.host"), "fn.lambda-url.localhost:8080");
        assert_null(get(e, "headers.cookie"));
        assert_string_equal(get(e, "queryStringParameters.x"), "1,2");
        assert_string_equal(get(e, "queryStringParameters.y"), "a b");
        assert_string_equal(get(e, "queryStringParameters.flag"), "");
        assert_string_equal(get(e, "requestContext.accountId"), "anonymous");
        assert_string_equal(get(e, "requestContext.apiId"), "fn");
        assert_string_equal(get(e, "requestContext.domainName"), "fn.lambda-url.localhost:8080");
        assert_string_equal(get(e, "requestContext.domainPrefix"), "fn");
        assert_string_equal(get(e, "requestContext.http.method"), "GET");
        assert_string_equal(get(e, "requestContext.http.path"), "/a/b");
        assert_string_equal(get(e, "requestContext.http.protocol"), "HTTP/1.1");
        assert_string_equal(get(e, "requestContext.http.sourceIp"), "127.0.0.1");
        assert_string_equal(get(e, "requestContext.http.userAgent"), "curl/7.88");
        assert_string_equal(get(e, "requestContext.requestId"), "11111111-2222-3333-4444-555555555555");
        assert_string_equal(get(e, "requestContext.routeKey"), "$default");
        assert_string_equal(get(e, "requestContext.stage"), "$default");
        assert_string_equal(get(e, "requestContext.time"), "12/Mar/2020:19:03:58 +0000");
        assert_string_equal(get(e, "requestContext.timeEpoch"), "1584039838123");
        assert_null(get(e, "body"));
        assert_string_equal(get(e, "isBase64Encoded"), "false");
        json_object_put(e);
}

static void test_event_bodies(void **state)
{
        static const char text[] =
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json; charset=utf-8\r\n"
                "Content-Length: 10\r\n\r\n{\"a\":\"\xc3\xa9\"}";
        static const char binary[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: image/png\r\n"
                                     "Content-Length: 4\r\n\r\n\x89PN\0";
        static const char bad_utf8[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n"
                                       "Content-Length: 2\r\n\r\n\xc3(";
        static const char untyped[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi";
        json_object *e;

        e = event_for(text, sizeof(text) - 1, "/", "");
        assert_string_equal(get(e, "body"), "{\"a\":\"\xc3\xa9\"}");
        assert_string_equal(get(e, "isBase64Encoded"), "false");
        assert_null(get(e, "queryStringParameters"));
        assert_null(get(e, "cookies"));
        json_object_put(e);

        e = event_for(binary, sizeof(binary) - 1, "/", "");
        assert_string_equal(get(e, "body"), "iVBOAA==");
        assert_string_equal(get(e, "isBase64Encoded"), "true");
        json_object_put(e);

        /* A text type whose bytes are not UTF-8 cannot be a JSON string: base64. */
        e = event_for(bad_utf8, sizeof(bad_utf8) - 1, "/", "");
        assert_string_equal(get(e, "body"), "wyg=");
        assert_string_equal(get(e, "isBase64Encoded"), "true");
        json_object_put(e);

        e = event_for(untyped, sizeof(untyped) - 1, "/", "");
        assert_string_equal(get(e, "body"), "aGk=");
        json_object_put(e);
}

static FunctionUrlAnswer answer_ok(const char *output)
{
        FunctionUrlAnswer a;

        memset(&a, 0xa5, sizeof(a));
        if (function_url_answer_parse(output, strlen(output), &a) != 0)
                fail_msg("not accepted: %s", output);
        return a;
}

static const char *header_of(const FunctionUrlAnswer *a, const char *name, size_t nth)
{
        for (size_t i = 0; i < a->n_headers; i++)
                if (strcasecmp(a->headers[i].name, name) == 0 && nth-- == 0)
                        return a->headers[i].value;
        return NULL;
}

static void test_answer_structured(void **state)
{
        FunctionUrlAnswer a;

        a = answer_ok(
                "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain\",\"x-n\":3,\"x-b\":true},"
                "\"cookies\":[\"a=1; Path=/\",\"b=2\"],\"body\":\"hello\"}\n");
        assert_int_equal(a.status, 201);
        assert_true(a.has_content_type);
        assert_string_equal(header_of(&a, "content-type", 0), "text/plain");
        assert_string_equal(header_of(&a, "x-n", 0), "3");
        assert_string_equal(header_of(&a, "x-b", 0), "true");
        assert_string_equal(header_of(&a, "Set-Cookie", 0), "a=1; Path=/");
        assert_string_equal(header_of(&a, "Set-Cookie", 1), "b=2");
        assert_int_equal(a.body.len, 5);
        assert_memory_equal(a.body.data, "hello", 5);
        function_url_answer_done(&a);

        a = answer_ok("{\"statusCode\":200,\"body\":\"AAEC\",\"isBase64Encoded\":true}");
        assert_int_equal(a.body.len, 3);
        assert_memory_equal(a.body.data, "\0\1\2", 3);
        assert_false(a.has_content_type);
        function_url_answer_done(&a);

        a = answer_ok("{\"statusCode\":204}");
        assert_int_equal(a.status, 204);
        assert_int_equal(a.body.len, 0);
        assert_int_equal(a.n_headers, 0);
        function_url_answer_done(&a);
}

static void test_answer_inferred(void **state)
{
        FunctionUrlAnswer a;

        a = answer_ok("{\"message\":\"hi\"}");
        assert_int_equal(a.status, 200);
        assert_string_equal(header_of(&a, "Content-Type", 0), "application/json");
        assert_string_equal(a.body.data, "{\"message\":\"hi\"}");
        function_url_answer_done(&a);

        a = answer_ok("\"Hello (world)\"");
        assert_string_equal(a.body.data, "Hello (world)");
        assert_string_equal(header_of(&a, "Content-Type", 0), "application/json");
        function_url_answer_done(&a);

        a = answer_ok("[1,2]");
        assert_string_equal(a.body.data, "[1,2]");
        function_url_answer_done(&a);

        a = answer_ok("42");
        assert_string_equal(a.body.data, "42");
        function_url_answer_done(&a);
}

static void test_answer_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "not json",
                "{\"statusCode\":200",
                "{\"statusCode\":\"200\"}",
                "{\"statusCode\":99}",
                "{\"statusCode\":600}",
                "{\"statusCode\":200.5}",
                "{\"statusCode\":200,\"headers\":[]}",
                "{\"statusCode\":200,\"headers\":{\"a b\":\"x\"}}",
                "{\"statusCode\":200,\"headers\":{\"x\":\"a\\r\\nSet-Cookie: evil\"}}",
                "{\"statusCode\":200,\"headers\":{\"x\":\"a\\u0000b\"}}",
                "{\"statusCode\":200,\"headers\":{\"x\":{}}}",
                "{\"statusCode\":200,\"cookies\":\"a=1\"}",
                "{\"statusCode\":200,\"cookies\":[1]}",
                "{\"statusCode\":200,\"cookies\":[\"a=1\\nb\"]}",
                "{\"statusCode\":200,\"body\":1}",
                "{\"statusCode\":200,\"body\":\"!!\",\"isBase64Encoded\":true}",
                "{\"statusCode\":200,\"isBase64Encoded\":\"yes\"}",
                "{\"a\":1} trailing",
        };
        FunctionUrlAnswer a = { .status = -7 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (function_url_answer_parse(bad[i], strlen(bad[i]), &a) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_int_equal(a.status, -7);
        }
        /* A NUL inside. */
        assert_int_equal(function_url_answer_parse("{}\0", 3, &a), -EBADMSG);
}

static void test_prelude(void **state)
{
        static const char stream[] = "{\"statusCode\":201,\"headers\":{\"x-a\":\"1\"},\"cookies\":[\"c=1\"]}"
                                     "\0\0\0\0\0\0\0\0body\0bytes";
        size_t total = sizeof(stream) - 1;

        /* Whole, then byte by byte: the same head, the same body. */
        for (size_t step = total; step >= 1; step = step == total ? 1 : 0) {
                FunctionUrlPrelude p = {};
                FunctionUrlAnswer head = {};
                Buf body = {};
                bool got_head = false;

                for (size_t off = 0; off < total;) {
                        size_t n = MIN(step, total - off), consumed = 0;
                        int r = function_url_prelude_feed(&p, stream + off, n, &consumed, &head);

                        assert_true(r >= 0);
                        if (r == 1) {
                                assert_false(got_head);
                                got_head = true;
                                assert_int_equal(buf_append(&body, stream + off + consumed, n - consumed),
                                                 0);
                        } else if (r == 2)
                                assert_int_equal(buf_append(&body, stream + off, n), 0);
                        else
                                assert_int_equal(consumed, n);
                        off += n;
                }
                assert_true(got_head);
                assert_int_equal(head.status, 201);
                assert_string_equal(header_of(&head, "x-a", 0), "1");
                assert_string_equal(header_of(&head, "Set-Cookie", 0), "c=1");
                assert_int_equal(body.len, 10);
                assert_memory_equal(body.data, "body\0bytes", 10);
                function_url_answer_done(&head);
                function_url_prelude_done(&p);
                buf_done(&body);
        }
}

static void test_prelude_malformed(void **state)
{
        static const char *const bad[] = {
                "{\"statusCode\":\"x\"}",
                "{\"body\":\"no body in a prelude\"}",
                "[]",
                "garbage",
        };
        FunctionUrlAnswer head = {};
        FunctionUrlPrelude p = {};
        _cleanup_free_ char *big = NULL;
        size_t consumed;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char buf[128];
                size_t n = strlen(bad[i]);

                memcpy(buf, bad[i], n);
                memset(buf + n, 0, 8);
                assert_int_equal(function_url_prelude_feed(&p, buf, n + 8, &consumed, &head), -EBADMSG);
                function_url_prelude_done(&p);
        }
        /* Fewer than 8 NULs, then more JSON. */
        assert_int_equal(function_url_prelude_feed(&p, "{}\0\0x", 5, &consumed, &head), -EBADMSG);
        function_url_prelude_done(&p);
        /* A head that never ends is cut off at the limit. */
        big = malloc(FUNCTION_URL_PRELUDE_MAX + 1);
        memset(big, ' ', FUNCTION_URL_PRELUDE_MAX + 1);
        assert_int_equal(function_url_prelude_feed(&p, big, FUNCTION_URL_PRELUDE_MAX + 1, &consumed, &head),
                         -EBADMSG);
        function_url_prelude_done(&p);
        /* The default status is 200. */
        assert_int_equal(function_url_prelude_feed(&p, "{}\0\0\0\0\0\0\0\0", 10, &consumed, &head), 1);
        assert_int_equal(consumed, 10);
        assert_int_equal(head.status, 200);
        function_url_answer_done(&head);
        function_url_prelude_done(&p);
}

static void test_prelude_type(void **state)
{
        assert_true(function_url_has_prelude("application/vnd.awslambda.http-integration-response"));
        assert_true(function_url_has_prelude("Application/VND.awslambda.http-integration-response; x=1"));
        assert_false(function_url_has_prelude("application/vnd.awslambda.http-integration-responsex"));
        assert_false(function_url_has_prelude("application/octet-stream"));
        assert_false(function_url_has_prelude(""));
        assert_false(function_url_has_prelude(NULL));
}

static void test_cors(void **state)
{
        static const char cors[] =
                "{\"AllowOrigins\":[\"http://a.example\"],\"AllowMethods\":[\"GET\",\"POST\"],"
                "\"AllowHeaders\":[\"content-type\"],\"ExposeHeaders\":[\"x-id\"],\"MaxAge\":60}";
        FunctionUrlAnswer a = {};

        assert_int_equal(function_url_cors(cors, "http://a.example", true, &a), 1);
        assert_string_equal(header_of(&a, "Access-Control-Allow-Origin", 0), "http://a.example");
        assert_string_equal(header_of(&a, "Access-Control-Allow-Methods", 0), "GET,POST");
        assert_string_equal(header_of(&a, "Access-Control-Allow-Headers", 0), "content-type");
        assert_string_equal(header_of(&a, "Access-Control-Max-Age", 0), "60");
        assert_string_equal(header_of(&a, "Vary", 0), "Origin");
        assert_null(header_of(&a, "Access-Control-Expose-Headers", 0));
        function_url_answer_done(&a);

        assert_int_equal(function_url_cors(cors, "http://A.example", false, &a), 1);
        assert_string_equal(header_of(&a, "Access-Control-Expose-Headers", 0), "x-id");
        assert_null(header_of(&a, "Access-Control-Allow-Methods", 0));
        function_url_answer_done(&a);

        assert_int_equal(function_url_cors(cors, "http://b.example", true, &a), 0);
        assert_int_equal(a.n_headers, 0);
        assert_int_equal(function_url_cors(cors, NULL, false, &a), 0);
        assert_int_equal(function_url_cors("{}", "http://a.example", false, &a), 0);
        assert_int_equal(function_url_cors("[]", "http://a.example", false, &a), -EBADMSG);
        assert_int_equal(a.n_headers, 0);

        /* "*": any origin, named as "*" unless credentials are allowed. */
        assert_int_equal(function_url_cors("{\"AllowOrigins\":[\"*\"]}", "http://z.example", false, &a), 1);
        assert_string_equal(header_of(&a, "Access-Control-Allow-Origin", 0), "*");
        function_url_answer_done(&a);
        assert_int_equal(function_url_cors("{\"AllowOrigins\":[\"*\"],\"AllowCredentials\":true}",
                                           "http://z.example", false, &a),
                         1);
        assert_string_equal(header_of(&a, "Access-Control-Allow-Origin", 0), "http://z.example");
        assert_string_equal(header_of(&a, "Access-Control-Allow-Credentials", 0), "true");
        function_url_answer_done(&a);
}

static void test_route(void **state)
{
        const char *message = NULL;
        int status = 0;
        Route r;

        assert_int_equal(route_function_url("/url/fn/a/b?x=1", "localhost:8080", &r, &status, &message), 0);
        assert_int_equal(r.type, ROUTE_FUNCTION_URL);
        assert_string_equal(r.function, "fn");
        assert_int_equal(r.url_path_len, 4);
        assert_memory_equal(r.url_path, "/a/b", 4);
        assert_int_equal(r.url_query_len, 3);
        assert_memory_equal(r.url_query, "x=1", 3);

        assert_int_equal(route_function_url("/url/fn", NULL, &r, &status, &message), 0);
        assert_memory_equal(r.url_path, "/", r.url_path_len);
        assert_int_equal(route_function_url("/any/path", "fn.LAMBDA-URL.localhost", &r, &status, &message),
                         0);
        assert_string_equal(r.function, "fn");
        assert_memory_equal(r.url_path, "/any/path", r.url_path_len);

        assert_int_equal(route_function_url("/2015-03-31/functions/x/invocations", "localhost", &r, &status,
                                            &message),
                         -ENOENT);
        assert_int_equal(route_function_url("/urls/fn", "lambda-url.localhost", &r, &status, &message),
                         -ENOENT);

        static const char *const bad[] = {
                "/url/fn/../x", "/url/fn/a/%2e%2e/b", "/url/fn/.",     "/url/fn/a%2fb",  "/url/fn/a%5Cb",
                "/url/fn/a\\b", "/url/fn/%zz",        "/url/fn/.%2E/", "/url/bad.name/", "/url//x",
                "/url/a%20b/",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                status = 0;
                if (route_function_url(bad[i], NULL, &r, &status, &message) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
                assert_int_equal(status, 400);
        }
        /* Host routing takes origin-form only. */
        assert_int_equal(route_function_url("*", "fn.lambda-url.localhost", &r, &status, &message), -EINVAL);
        /* Dots inside a segment are just characters. */
        assert_int_equal(route_function_url("/url/fn/a..b/...", NULL, &r, &status, &message), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_event_get),
                cmocka_unit_test(test_event_bodies),
                cmocka_unit_test(test_answer_structured),
                cmocka_unit_test(test_answer_inferred),
                cmocka_unit_test(test_answer_malformed),
                cmocka_unit_test(test_prelude),
                cmocka_unit_test(test_prelude_malformed),
                cmocka_unit_test(test_prelude_type),
                cmocka_unit_test(test_cors),
                cmocka_unit_test(test_route),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
