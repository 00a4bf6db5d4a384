/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http-request.h"
#include "sigv4.h"

/*
 * Requests as real clients sent them to a capture server on 127.0.0.1:8080, with their clocks fixed at
 * 2025-01-02T03:04:05Z and the credentials below: boto3/botocore 1.43.11 (boto3_*), the AWS CLI 2.9.19
 * of Debian's awscli package (cli2_*), the AWS SDK for JavaScript 3.1164.0 with @smithy/signature-v4
 * 5.7.5 (js_*, which also signs x-amz-content-sha256). The awsrequest_* ones are botocore SigV4Auth
 * signatures over hand-built AWSRequests (duplicate headers, a Date header instead of X-Amz-Date, a
 * query to sort), their wire bytes written out by the generator.
 */
#define AKID   "AKIDEXAMPLE12345678"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define NOW    UINT64_C(1735787045) /* 2025-01-02T03:04:05Z */
#define SKEW   UINT64_C(300)

static const char boto3_invoke_qualified[] =
        "POST /2015-03-31/functions/hello%3Aprod/invocations?Qualifier=prod HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Accept-Encoding: identity\r\n"
        "User-Agent: Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v595 md/arch#x86_64 "
        "lang/python#3.11.7 md/pyimpl#CPython m/D,N,Z,b,e cfg/retry-mode#legacy Botocore/1.43.11\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=696f4a0a5adbbe4be468211acb8397489475efe9bc1505e5a751c3e854476262\r\n"
        "amz-sdk-invocation-id: b5c14874-f9aa-43d7-8c99-086994ac64e7\r\n"
        "amz-sdk-request: attempt=1\r\n"
        "Content-Length: 15\r\n"
        "\r\n"
        "{\"key\":\"value\"}";

static const char boto3_invoke_arn[] =
        "POST "
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/invocations "
        "HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Accept-Encoding: identity\r\n"
        "X-Amz-Invocation-Type: Event\r\n"
        "User-Agent: Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v595 md/arch#x86_64 "
        "lang/python#3.11.7 md/pyimpl#CPython m/N,e,Z,b,D cfg/retry-mode#legacy Botocore/1.43.11\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-invocation-type, "
        "Signature=be22e2a0b616a24045682effdf1ad8a938fecd56405659bac63314ed24ea8a0f\r\n"
        "amz-sdk-invocation-id: 85b336ea-3d9d-41fe-8bec-08b331942fcc\r\n"
        "amz-sdk-request: attempt=1\r\n"
        "Content-Length: 7\r\n"
        "\r\n"
        "{\"n\":1}";

static const char boto3_list[] =
        "GET /2015-03-31/functions HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Accept-Encoding: identity\r\n"
        "User-Agent: Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v595 md/arch#x86_64 "
        "lang/python#3.11.7 md/pyimpl#CPython m/b,D,N,e,Z cfg/retry-mode#legacy Botocore/1.43.11\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=d4ab247a2a93407d3a71b73946d90e9d56bd293d56eaa4a0d3f2a1330c38f3d0\r\n"
        "amz-sdk-invocation-id: e11b3d28-d1a8-4be3-9a85-10438e22ca20\r\n"
        "amz-sdk-request: attempt=1\r\n"
        "\r\n";

static const char cli2_invoke_qualified[] =
        "POST /2015-03-31/functions/hello%3Aprod/invocations?Qualifier=prod HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Accept-Encoding: identity\r\n"
        "User-Agent: aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v595 source/x86_64.debian.12 prompt/off "
        "command/lambda.invoke\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=7c9094a4d7992a3522444cc8894821140c83225415d6543bbeb18fb210c9e7c3\r\n"
        "Content-Length: 16\r\n"
        "\r\n"
        "{\"key\": \"value\"}";

static const char cli2_list[] =
        "GET /2015-03-31/functions/ HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Accept-Encoding: identity\r\n"
        "User-Agent: aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v595 source/x86_64.debian.12 prompt/off "
        "command/lambda.list-functions\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=37c72641400156bfe515d9e916028233eb0c15949a8e42747c1feda9e67e22ad\r\n"
        "\r\n";

static const char js_invoke_qualified[] =
        "POST /2015-03-31/functions/hello%3Aprod/invocations?Qualifier=prod HTTP/1.1\r\n"
        "content-type: application/octet-stream\r\n"
        "content-length: 15\r\n"
        "x-amz-user-agent: aws-sdk-js/3.1163.0\r\n"
        "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 "
        "api/lambda#3.1163.0 m/N,E,e\r\n"
        "host: 127.0.0.1:8080\r\n"
        "amz-sdk-invocation-id: b15c24e6-223e-4de9-b165-33bc1f07b9f6\r\n"
        "amz-sdk-request: attempt=1; max=1\r\n"
        "x-amz-date: 20250102T030405Z\r\n"
        "x-amz-content-sha256: e43abcf3375244839c012f9633f95862d232a95b00d5bc7348b3098b9fed7f32\r\n"
        "authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-"
        "sha256;x-amz-date;x-amz-user-agent, "
        "Signature=91d0e7bc3270eecd2a4ae559bc2d6533b5a4d3bcb6e15f8d97bf46f7cd9793e7\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "{\"key\":\"value\"}";

static const char js_invoke_arn[] =
        "POST "
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/invocations "
        "HTTP/1.1\r\n"
        "x-amz-log-type: Tail\r\n"
        "content-type: application/octet-stream\r\n"
        "content-length: 7\r\n"
        "x-amz-user-agent: aws-sdk-js/3.1163.0\r\n"
        "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 "
        "api/lambda#3.1163.0 m/N,E,e\r\n"
        "host: 127.0.0.1:8080\r\n"
        "amz-sdk-invocation-id: a659ccc1-44e3-4e7b-8562-f8ff6c528f0c\r\n"
        "amz-sdk-request: attempt=1; max=1\r\n"
        "x-amz-date: 20250102T030405Z\r\n"
        "x-amz-content-sha256: 2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd\r\n"
        "authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-"
        "sha256;x-amz-date;x-amz-log-type;x-amz-user-agent, "
        "Signature=11f8281f016fbeece5783ec79f15d5dd0e769b92d01dd69f1eee4a185dc4e9c6\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "{\"n\":1}";

static const char js_list[] =
        "GET /2015-03-31/functions?MaxItems=10 HTTP/1.1\r\n"
        "x-amz-user-agent: aws-sdk-js/3.1163.0\r\n"
        "user-agent: aws-sdk-js/3.1163.0 ua/2.1 os/linux#6.18.44-fc-v595 lang/js md/nodejs#20.20.2 "
        "api/lambda#3.1163.0 m/N,E,e\r\n"
        "host: 127.0.0.1:8080\r\n"
        "amz-sdk-invocation-id: 5b18879d-eea4-4520-b8b5-d257de9fb770\r\n"
        "amz-sdk-request: attempt=1; max=1\r\n"
        "x-amz-date: 20250102T030405Z\r\n"
        "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n"
        "authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-"
        "user-agent, Signature=aa8df090833fc9c9424c2a94794348dbbb897a156107e76bc70afc8a494bf9fc\r\n"
        "Connection: keep-alive\r\n"
        "\r\n";

static const char awsrequest_duplicate_headers[] =
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "X-Amz-Client-Context: eyJjdXN0b20iOnt9fQ==\r\n"
        "X-Custom: a\r\n"
        "X-Custom:   b    c \r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-client-context;x-amz-date;x-custom, "
        "Signature=4c8554155d7936b6b8e40074459894cf07e9c8d99ab58f4a27aede3ebc3e3ee7\r\n"
        "Content-Length: 15\r\n"
        "\r\n"
        "{\"key\":\"value\"}";

static const char awsrequest_date_header[] =
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Date: Thu, 02 Jan 2025 03:04:05 -0000\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, SignedHeaders=date;host, "
        "Signature=3fbce67ed593fb4d6ab25a7b14a5d2533318bd491a59051454e30b08fe9b6023\r\n"
        "Content-Length: 15\r\n"
        "\r\n"
        "{\"key\":\"value\"}";

static const char awsrequest_date_gmt[] =
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Date: Thu, 02 Jan 2025 03:04:05 GMT\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/eu-central-1/lambda/aws4_request, SignedHeaders=date;host, "
        "Signature=58f767f72dca09199a55f77c5c108fb7749a1094ba62e898fa97c89b977aa875\r\n"
        "Content-Length: 15\r\n"
        "\r\n"
        "{\"key\":\"value\"}";

static const char awsrequest_query[] =
        "GET /2015-03-31/functions?MaxItems=10&Marker=a%2Fb%20c&FunctionVersion=ALL HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "X-Amz-Date: 20250102T030405Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=08527d884a7d58983d9dc1f32ae701108e367119ba2ca266d9daf2144ce0f637\r\n"
        "Content-Length: 0\r\n"
        "\r\n";

/* Pieces of boto3_list, to build malformed variants of it. */
#define CRED "AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request"
#define SIG  "d4ab247a2a93407d3a71b73946d90e9d56bd293d56eaa4a0d3f2a1330c38f3d0"
#define BOTO3_LIST_AUTHORIZATION                           \
        "Authorization: AWS4-HMAC-SHA256 Credential=" CRED \
        ", SignedHeaders=host;x-amz-date, Signature=" SIG "\r\n"

static void parse(HttpRequest *r, const char *raw)
{
        size_t n = 0;

        http_request_init(r, NULL);
        assert_int_equal(http_request_feed(r, raw, strlen(raw), &n), HTTP_FEED_COMPLETE);
        assert_int_equal(n, strlen(raw));
}

/* Knows AKID only; userdata, when set, is the secret to answer with instead of the right one. */
static const char *lookup(const char *access_key_id, void *userdata)
{
        return strcmp(access_key_id, AKID) == 0 ? (userdata ?: SECRET) : NULL;
}

static int verify_full(const char *raw, uint64_t now, const char *secret, const char **ret_message)
{
        _cleanup_free_ char *id = NULL;
        const char *message = "unset";
        HttpRequest r;
        int k;

        parse(&r, raw);
        k = sigv4_verify(&r, lookup, (void *) secret, now, SKEW, &id, &message);
        http_request_done(&r);
        assert_true(k >= 0);
        if (k == SIGV4_OK) {
                assert_non_null(id);
                assert_string_equal(id, AKID);
                assert_null(message);
        } else {
                assert_null(id);
                assert_non_null(message);
                assert_true(strlen(message) > 0);
        }
        if (ret_message)
                *ret_message = message;
        return k;
}

static int verify(const char *raw)
{
        return verify_full(raw, NOW, NULL, NULL);
}

/* The result and message of verifying raw; the message must contain what. */
static void expect(const char *raw, SigV4Error result, const char *what)
{
        const char *message = NULL;

        assert_int_equal(verify_full(raw, NOW, NULL, &message), result);
        if (what && !strstr(message, what))
                fail_msg("\"%s\" does not contain \"%s\"", message, what);
}

/* A copy of s with the one occurrence of old replaced by new. */
static char *replace(const char *s, const char *old, const char *new)
{
        const char *p = strstr(s, old);
        char *out;

        if (!p)
                fail_msg("\"%s\" not found", old);
        assert_null(strstr(p + 1, old));
        assert_true(asprintf(&out, "%.*s%s%s", (int) (p - s), s, new, p + strlen(old)) >= 0);
        return out;
}

static void expect_replaced(const char *raw, const char *old, const char *new, SigV4Error result,
                            const char *what)
{
        _cleanup_free_ char *s = replace(raw, old, new);

        expect(s, result, what);
}

static void test_canonical_uri(void **state)
{
        /* What botocore's SigV4Auth._normalize_url_path() and the JS SDK's getCanonicalPath() make of
         * these paths (they agree on every one). */
        static const struct {
                const char *wire, *canonical;
        } cases[] = {
                { "/2015-03-31/functions/hello%3Aprod/invocations",
                  "/2015-03-31/functions/hello%253Aprod/invocations" },
                { "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello/"
                  "invocations",
                  "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%"
                  "253Ahello/invocations" },
                { "/2015-03-31/functions/hello/invocations", "/2015-03-31/functions/hello/invocations" },
                { "/2015-03-31/functions/", "/2015-03-31/functions/" },
                { "/2015-03-31/functions", "/2015-03-31/functions" },
                { "/", "/" },
                { "", "/" },
                { "/a//b/./c/../d", "/a/b/d" },
                { "/a b/*(!)'~._-", "/a%20b/%2A%28%21%29%27~._-" },
                { "/%E2%82%AC/x%2Fy", "/%25E2%2582%25AC/x%252Fy" },
                { "/..", "/" },
                { "/a/..", "/" },
                { "/a/b/", "/a/b/" },
                { "/a/b/..", "/a" },
                { "/a/./", "/a/" },
                { "/caf\xc3\xa9", "/caf%C3%A9" },
                { "//", "/" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Buf b = {};

                assert_int_equal(sigv4_canonical_uri(cases[i].wire, &b), 0);
                assert_non_null(b.data);
                if (strcmp(b.data, cases[i].canonical) != 0)
                        fail_msg("%s: got %s, expected %s", cases[i].wire, b.data, cases[i].canonical);
                buf_done(&b);
        }
}

static void test_canonical_query(void **state)
{
        /* The JS SDK's getCanonicalQuery() over the decoded parameters; the second is also what botocore
         * signed in awsrequest_query. */
        static const struct {
                const char *wire, *canonical;
        } cases[] = {
                { "Qualifier=prod", "Qualifier=prod" },
                { "MaxItems=10&Marker=a%2Fb%20c&FunctionVersion=ALL",
                  "FunctionVersion=ALL&Marker=a%2Fb%20c&MaxItems=10" },
                { "b=%7e&a=x+y&c", "a=x%2By&b=~&c=" },
                { "a=2&a=1", "a=1&a=2" },
                { "a-b=1&a=2", "a=2&a-b=1" },
                { "x=%2f%3A*&y=!'()", "x=%2F%3A%2A&y=%21%27%28%29" },
                { "%E2%82%AC=%e2%82%ac", "%E2%82%AC=%E2%82%AC" },
                { "a=b=c", "a=b%3Dc" },
                { "a=1&&b=2&", "a=1&b=2" },
                { "=x", "=x" },
                { "Marker=", "Marker=" },
        };
        static const char *const bad[] = { "a=%", "a=%2", "a=%zz", "%g0=1", "a=1&b=%2" };
        Buf b = {};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(sigv4_canonical_query(cases[i].wire, &b), 0);
                assert_non_null(b.data);
                if (strcmp(b.data, cases[i].canonical) != 0)
                        fail_msg("%s: got %s, expected %s", cases[i].wire, b.data, cases[i].canonical);
                buf_done(&b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(sigv4_canonical_query(bad[i], &b), -EINVAL);
                buf_done(&b);
        }
        assert_int_equal(sigv4_canonical_query(NULL, &b), 0);
        assert_int_equal(sigv4_canonical_query("", &b), 0);
        assert_int_equal(b.len, 0);
        buf_done(&b);
}

static void test_real_clients(void **state)
{
        assert_int_equal(verify(boto3_invoke_qualified), SIGV4_OK);
        assert_int_equal(verify(boto3_invoke_arn), SIGV4_OK);
        assert_int_equal(verify(boto3_list), SIGV4_OK);
        assert_int_equal(verify(cli2_invoke_qualified), SIGV4_OK);
        assert_int_equal(verify(cli2_list), SIGV4_OK);
        assert_int_equal(verify(js_invoke_qualified), SIGV4_OK);
        assert_int_equal(verify(js_invoke_arn), SIGV4_OK);
        assert_int_equal(verify(js_list), SIGV4_OK);
        assert_int_equal(verify(awsrequest_duplicate_headers), SIGV4_OK);
        assert_int_equal(verify(awsrequest_date_header), SIGV4_OK);
        assert_int_equal(verify(awsrequest_date_gmt), SIGV4_OK);
        assert_int_equal(verify(awsrequest_query), SIGV4_OK);
}

static void test_output_parameters(void **state)
{
        char *id = (char *) "untouched";
        const char *message = "unset";
        HttpRequest r;

        parse(&r, boto3_invoke_qualified);
        /* Both outputs are optional. */
        assert_int_equal(sigv4_verify(&r, lookup, NULL, NOW, SKEW, NULL, NULL), SIGV4_OK);
        /* A failure leaves the key id alone. */
        assert_int_equal(
                sigv4_verify(&r, lookup, (void *) "wrong-secret-0123456789", NOW, SKEW, &id, &message),
                SIGV4_MISMATCH);
        assert_string_equal(id, "untouched");
        assert_non_null(strstr(message, "signature"));
        assert_int_equal(sigv4_verify(NULL, lookup, NULL, NOW, SKEW, &id, &message), -EINVAL);
        assert_int_equal(sigv4_verify(&r, NULL, NULL, NOW, SKEW, &id, &message), -EINVAL);
        http_request_done(&r);

        /* A request whose head has not arrived yet carries no signature. */
        http_request_init(&r, NULL);
        assert_int_equal(sigv4_verify(&r, lookup, NULL, NOW, SKEW, &id, &message), SIGV4_MISSING);
        http_request_done(&r);

        assert_string_equal(sigv4_error_type(SIGV4_MALFORMED), "IncompleteSignatureException");
        assert_string_equal(sigv4_error_type(SIGV4_UNKNOWN_KEY), "UnrecognizedClientException");
        assert_string_equal(sigv4_error_type(SIGV4_EXPIRED), "InvalidSignatureException");
        assert_string_equal(sigv4_error_type(SIGV4_MISMATCH), "InvalidSignatureException");
        assert_string_equal(sigv4_error_type(SIGV4_BAD_PAYLOAD_HASH), "XAmzContentSHA256Mismatch");
        assert_null(sigv4_error_type(SIGV4_OK));
        assert_null(sigv4_error_type(SIGV4_MISSING));
}

static void test_tampered(void **state)
{
        /* Body: botocore signs the body's hash, so a changed body changes the signature... */
        expect_replaced(boto3_invoke_qualified, "{\"key\":\"value\"}", "{\"key\":\"valuf\"}", SIGV4_MISMATCH,
                        "signature");
        expect_replaced(cli2_invoke_qualified, "{\"key\": \"value\"}", "{\"key\": \"valuf\"}",
                        SIGV4_MISMATCH, NULL);
        /* ...the JS SDK signs its x-amz-content-sha256 header, which then no longer matches the body. */
        expect_replaced(js_invoke_qualified, "{\"key\":\"value\"}", "{\"key\":\"valuf\"}",
                        SIGV4_BAD_PAYLOAD_HASH, "x-amz-content-sha256");
        expect_replaced(
                js_invoke_qualified, "e43abcf3375244839c012f9633f95862d232a95b00d5bc7348b3098b9fed7f32",
                "e43abcf3375244839c012f9633f95862d232a95b00d5bc7348b3098b9fed7f33", SIGV4_MISMATCH, NULL);

        /* Path, query, method, signed headers. */
        expect_replaced(boto3_invoke_qualified, "hello%3Aprod", "hello%3Adev0", SIGV4_MISMATCH, NULL);
        expect_replaced(boto3_invoke_qualified, "hello%3Aprod", "hello:prod", SIGV4_MISMATCH, NULL);
        expect_replaced(boto3_invoke_qualified, "Qualifier=prod", "Qualifier=dev0", SIGV4_MISMATCH, NULL);
        expect_replaced(boto3_invoke_qualified, "?Qualifier=prod", "", SIGV4_MISMATCH, NULL);
        expect_replaced(boto3_invoke_arn, "function%3Ahello", "function%3Aworld", SIGV4_MISMATCH, NULL);
        expect_replaced(boto3_invoke_arn, "X-Amz-Invocation-Type: Event", "X-Amz-Invocation-Type: DryRun",
                        SIGV4_MISMATCH, NULL);
        expect_replaced(cli2_list, "GET ", "HEAD ", SIGV4_MISMATCH, NULL);
        expect_replaced(cli2_list, "Host: 127.0.0.1:8080", "Host: 127.0.0.1:8081", SIGV4_MISMATCH, NULL);
        expect_replaced(js_list, "MaxItems=10", "MaxItems=11", SIGV4_MISMATCH, NULL);

        /* What is not signed may change: botocore does not sign amz-sdk-request, nor the user agent. */
        expect_replaced(boto3_invoke_qualified, "attempt=1", "attempt=2", SIGV4_OK, NULL);
        /* Nor how the signed values are spaced, or how the names are spelled. */
        expect_replaced(boto3_invoke_arn, "X-Amz-Invocation-Type: Event", "x-amz-invocation-type:   Event  ",
                        SIGV4_OK, NULL);
        /* A dot segment is normalised away before signing, as the clients do. */
        expect_replaced(cli2_list, "GET /2015-03-31/functions/", "GET /2015-03-31/./functions/", SIGV4_OK,
                        NULL);

        /* The signature itself. */
        expect_replaced(boto3_list, "Signature=d4ab", "Signature=d4ac", SIGV4_MISMATCH, NULL);
}

static void test_wrong_key(void **state)
{
        const char *message = NULL;

        /* The wrong secret for a known key id. */
        assert_int_equal(verify_full(boto3_invoke_qualified, NOW, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
                                     &message),
                         SIGV4_MISMATCH);
        assert_int_equal(verify_full(js_invoke_arn, NOW, "x", &message), SIGV4_MISMATCH);
        /* An unknown key id. */
        expect_replaced(boto3_invoke_qualified, "Credential=AKIDEXAMPLE12345678/",
                        "Credential=AKIDEXAMPLE12345679/", SIGV4_UNKNOWN_KEY, "security token");
}

static void test_clock_skew(void **state)
{
        const char *message = NULL;

        assert_int_equal(verify_full(boto3_invoke_qualified, NOW + SKEW, NULL, NULL), SIGV4_OK);
        assert_int_equal(verify_full(boto3_invoke_qualified, NOW - SKEW, NULL, NULL), SIGV4_OK);
        assert_int_equal(verify_full(boto3_invoke_qualified, NOW + SKEW + 1, NULL, &message), SIGV4_EXPIRED);
        assert_non_null(strstr(message, "Signature expired"));
        assert_int_equal(verify_full(boto3_invoke_qualified, NOW - SKEW - 1, NULL, &message), SIGV4_EXPIRED);
        assert_non_null(strstr(message, "Signature not yet current"));
        assert_int_equal(verify_full(js_list, NOW + 86400, NULL, NULL), SIGV4_EXPIRED);
        assert_int_equal(verify_full(js_list, 0, NULL, NULL), SIGV4_EXPIRED);
        assert_int_equal(verify_full(js_list, UINT64_MAX, NULL, NULL), SIGV4_EXPIRED);
        /* The same for a Date header. */
        assert_int_equal(verify_full(awsrequest_date_gmt, NOW + SKEW, NULL, NULL), SIGV4_OK);
        assert_int_equal(verify_full(awsrequest_date_header, NOW + SKEW + 1, NULL, NULL), SIGV4_EXPIRED);
}

static void test_signed_headers_required(void **state)
{
        /* host and the date header must be signed, whatever the signature says. */
        expect_replaced(boto3_invoke_qualified, "SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date",
                        SIGV4_MALFORMED, "'Host'");
        expect_replaced(boto3_invoke_qualified, "SignedHeaders=host;x-amz-date", "SignedHeaders=host",
                        SIGV4_MALFORMED, "'X-Amz-Date'");
        expect_replaced(awsrequest_date_header, "SignedHeaders=date;host", "SignedHeaders=host",
                        SIGV4_MALFORMED, "'X-Amz-Date' (or 'Date'");
        /* A signed header the request lacks. */
        expect_replaced(boto3_invoke_arn, "X-Amz-Invocation-Type: Event\r\n", "", SIGV4_MISMATCH, "missing");
        expect_replaced(js_invoke_qualified, "x-amz-user-agent: aws-sdk-js/3.1163.0\r\n", "", SIGV4_MISMATCH,
                        "missing");
}

static void test_malformed_authorization(void **state)
{
        static const char *const values[] = {
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA256 ",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date",
                "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG ",",
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG
                ", Foo=bar",
                "AWS4-HMAC-SHA256 Credential=" CRED ", Credential=" CRED ", SignedHeaders=host;x-amz-date, "
                "Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG
                ", Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ",, SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential " CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG,
                /* Credential */
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/20250102/us-east-1/lambda/aws4_request/x, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=/20250102/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/2025012/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/2025010x/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE12345678/20250102//lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=AKID EXAMPLE/20250102/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" SIG,
                /* SignedHeaders: unsorted, repeated, upper-case, empty names */
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=x-amz-date;host, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;host;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=Host;X-Amz-Date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;;x-amz-date, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date;, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=, Signature=" SIG,
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host x-amz-date, Signature=" SIG,
                /* Signature: short, long, upper-case, not hex */
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=d4ab",
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=" SIG "0",
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature="
                "D4AB247A2A93407D3A71B73946D90E9D56BD293D56EAA4A0D3F2A1330C38F3D0",
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature="
                "g4ab247a2a93407d3a71b73946d90e9d56bd293d56eaa4a0d3f2a1330c38f3d0",
                "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=host;x-amz-date, Signature=",
        };

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                _cleanup_free_ char *header = NULL;

                assert_true(asprintf(&header, "Authorization: %s\r\n", values[i]) >= 0);
                expect_replaced(boto3_list, BOTO3_LIST_AUTHORIZATION, header, SIGV4_MALFORMED, NULL);
        }

        /* The same parameters in another order and with other spacing are fine. */
        expect_replaced(boto3_list, BOTO3_LIST_AUTHORIZATION,
                        "Authorization: AWS4-HMAC-SHA256  Signature=" SIG
                        ",SignedHeaders=host;x-amz-date ,  "
                        "Credential=" CRED "\r\n",
                        SIGV4_OK, NULL);

        /* The scope must be lambda's, terminated as AWS does, on the day of the request. */
        expect_replaced(boto3_list, "/us-east-1/lambda/aws4_request", "/us-east-1/s3/aws4_request",
                        SIGV4_MISMATCH, "service");
        expect_replaced(boto3_list, "/us-east-1/lambda/aws4_request", "/us-east-1/lambda/aws4_reques",
                        SIGV4_MISMATCH, "terminator");
        expect_replaced(boto3_list, "Credential=AKIDEXAMPLE12345678/20250102/",
                        "Credential=AKIDEXAMPLE12345678/20250101/", SIGV4_MISMATCH, "Credential scope");
        /* Any region is fine, but it is part of the signature. */
        expect_replaced(boto3_list, "/us-east-1/", "/us-east-2/", SIGV4_MISMATCH, "signature we calculated");
}

static void test_missing(void **state)
{
        /* Other schemes are for the caller to judge. */
        expect_replaced(boto3_list, BOTO3_LIST_AUTHORIZATION, "", SIGV4_MISSING, NULL);
        expect_replaced(boto3_list, BOTO3_LIST_AUTHORIZATION, "Authorization: Bearer abc\r\n", SIGV4_MISSING,
                        NULL);
        expect_replaced(boto3_list, "Authorization: AWS4-HMAC-SHA256 ", "Authorization: AWS4-HMAC-SHA256X ",
                        SIGV4_MISSING, NULL);
        expect_replaced(boto3_list, "Authorization: AWS4-HMAC-SHA256 ", "Authorization: aws4-hmac-sha256 ",
                        SIGV4_MISSING, NULL);
        expect_replaced(boto3_list, "Authorization: AWS4-HMAC-SHA256 ",
                        "Authorization: AWS4-ECDSA-P256-SHA256 ", SIGV4_MISSING, NULL);
        expect_replaced(boto3_list, BOTO3_LIST_AUTHORIZATION, "Authorization:\r\n", SIGV4_MISSING, NULL);
}

static void test_dates(void **state)
{
        /* No date at all, or an unreadable one. */
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z\r\n", "", SIGV4_MALFORMED, "'Date'");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 20250102T030405",
                        SIGV4_MALFORMED, "malformed");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 20250102T030465Z",
                        SIGV4_MALFORMED, "malformed");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 20250230T030405Z",
                        SIGV4_MALFORMED, "malformed");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 2025-01-02T03:04:05Z",
                        SIGV4_MALFORMED, "malformed");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 19691231T235959Z",
                        SIGV4_MALFORMED, "malformed");
        expect_replaced(awsrequest_date_gmt, "03:04:05 GMT", "03:04:05 PST", SIGV4_MALFORMED, "malformed");
        expect_replaced(awsrequest_date_gmt, "Thu, 02 Jan", "Thu, 02 Jun", SIGV4_MISMATCH, NULL);
        expect_replaced(awsrequest_date_gmt, "Thu, 02 Jan", "Thu,  2 Jan", SIGV4_MALFORMED, "malformed");
        expect_replaced(awsrequest_date_gmt, "Thu, 02 Jan", "Xyz, 02 Jan", SIGV4_MALFORMED, "malformed");
        expect_replaced(awsrequest_date_gmt, "Thu, 02 Jan", "Thu, 02 Jab", SIGV4_MALFORMED, "malformed");
        /* Leap days exist, in leap years only. */
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 20240229T030405Z",
                        SIGV4_MISMATCH, "Credential scope");
        expect_replaced(boto3_list, "X-Amz-Date: 20250102T030405Z", "X-Amz-Date: 21000229T030405Z",
                        SIGV4_MALFORMED, "malformed");
        /* X-Amz-Date wins over Date, which is then just another header. */
        expect_replaced(boto3_list, "Accept-Encoding: identity\r\n",
                        "Accept-Encoding: identity\r\nDate: Fri, 01 Jan 1999 00:00:00 GMT\r\n", SIGV4_OK,
                        NULL);
        expect_replaced(awsrequest_date_gmt, "Host: 127.0.0.1:8080\r\n",
                        "Host: 127.0.0.1:8080\r\nX-Amz-Date: 20250102T030405Z\r\n", SIGV4_MALFORMED,
                        "'X-Amz-Date'");
}

static void test_duplicates(void **state)
{
        /* Repeated signed headers are signed together, in wire order. */
        expect_replaced(awsrequest_duplicate_headers, "X-Custom: a\r\nX-Custom:   b    c \r\n",
                        "X-Custom:   b    c \r\nX-Custom: a\r\n", SIGV4_MISMATCH, NULL);
        expect_replaced(awsrequest_duplicate_headers, "X-Custom: a\r\nX-Custom:   b    c \r\n",
                        "X-Custom: a\r\nX-Amz-Client-Context: x\r\nx-custom: b\tc\r\n", SIGV4_MISMATCH,
                        NULL);
        expect_replaced(awsrequest_duplicate_headers, "X-Custom: a\r\nX-Custom:   b    c \r\n",
                        "X-Custom: a\r\nx-custom: b\tc\r\n", SIGV4_OK, NULL);
        expect_replaced(awsrequest_duplicate_headers, "X-Custom: a\r\nX-Custom:   b    c \r\n",
                        "X-Custom: a,b c\r\n", SIGV4_OK, NULL);

        /* The headers that decide what the request means may appear once only: a proxy in front might
         * read the other copy. */
        expect_replaced(boto3_list, "Accept-Encoding: identity\r\n",
                        "Accept-Encoding: identity\r\n" BOTO3_LIST_AUTHORIZATION, SIGV4_MALFORMED, "once");
        expect_replaced(boto3_list, "Accept-Encoding: identity\r\n",
                        "Accept-Encoding: identity\r\nX-Amz-Date: 20250102T030405Z\r\n", SIGV4_MALFORMED,
                        "once");
        expect_replaced(boto3_list, "Accept-Encoding: identity\r\n",
                        "Accept-Encoding: identity\r\nHost: 127.0.0.1:8080\r\n", SIGV4_MALFORMED, "once");
        expect_replaced(
                js_list, "x-amz-user-agent:",
                "x-amz-content-sha256: "
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\nx-amz-user-agent:",
                SIGV4_MALFORMED, "once");
        expect_replaced(awsrequest_date_header, "Host: 127.0.0.1:8080\r\n",
                        "Host: 127.0.0.1:8080\r\nDate: Thu, 02 Jan 2025 03:04:05 -0000\r\n", SIGV4_MALFORMED,
                        "once");
}

static void test_payload_hash(void **state)
{
        /* An unsigned x-amz-content-sha256 takes the body's place in the canonical request, as botocore and
         * the JS SDK have it: the right hash changes nothing, a wrong one breaks the signature. */
        expect_replaced(boto3_invoke_qualified, "amz-sdk-request: attempt=1\r\n",
                        "amz-sdk-request: attempt=1\r\nX-Amz-Content-SHA256: "
                        "e43abcf3375244839c012f9633f95862d232a95b00d5bc7348b3098b9fed7f32\r\n",
                        SIGV4_OK, NULL);
        expect_replaced(boto3_invoke_qualified, "amz-sdk-request: attempt=1\r\n",
                        "amz-sdk-request: attempt=1\r\nX-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r\n",
                        SIGV4_MISMATCH, NULL);
        /* Signed and matching the body: the JS SDK. Signed and not matching: refused as such. */
        expect_replaced(js_invoke_arn, "{\"n\":1}", "{\"n\":2}", SIGV4_BAD_PAYLOAD_HASH, NULL);
        expect_replaced(js_list, "Connection: keep-alive\r\n\r\n",
                        "Connection: keep-alive\r\nContent-Length: 1\r\n\r\nx", SIGV4_BAD_PAYLOAD_HASH,
                        NULL);
}

static void test_request_target(void **state)
{
        expect_replaced(boto3_list, "GET /2015-03-31/functions HTTP/1.1",
                        "GET http://127.0.0.1:8080/2015-03-31/functions HTTP/1.1", SIGV4_MALFORMED, "path");
        expect_replaced(js_list, "MaxItems=10", "MaxItems=%1", SIGV4_MALFORMED, "percent");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canonical_uri),
                cmocka_unit_test(test_canonical_query),
                cmocka_unit_test(test_real_clients),
                cmocka_unit_test(test_output_parameters),
                cmocka_unit_test(test_tampered),
                cmocka_unit_test(test_wrong_key),
                cmocka_unit_test(test_clock_skew),
                cmocka_unit_test(test_signed_headers_required),
                cmocka_unit_test(test_malformed_authorization),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_dates),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_payload_hash),
                cmocka_unit_test(test_request_target),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
