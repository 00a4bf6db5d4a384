/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "http-request.h"
#include "sigv4.h"

/* Two of the requests of test-sigv4.c, which says where they come from: boto3 and the JS SDK signing
 * with these credentials at 2025-01-02T03:04:05Z. */
#define AKID   "AKIDEXAMPLE12345678"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define NOW    UINT64_C(1735787045)

/* printf %s KEY | sha256sum */
#define HASH_1  "1255558df586ae279007fffa27ec17451d1507f7ac5442add9ffbc070f9f623b" /* test-key-1 */
#define HASH_2  "e25dcda7a7c513d31cb469727bd4283c8d975f1778fb1efab4e28d2a761fda01" /* test-key-2 */
#define HASH_CI "21974faad09c41084fe7e836c08fe39d0a0f09ad32a03d21de2ea760ad72715f" /* ci-key */

#define NAME_EXPECTED "1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
#define FUNCTION_EXPECTED                                                                                \
        "'*' or a comma-separated list of function names (1 to 64 characters of A-Z, a-z, 0-9, '_' and " \
        "'-')"

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

static void api_keys_ok(Auth *a, const char *text)
{
        _cleanup_free_ char *error = NULL;

        if (auth_parse_api_keys(a, text, strlen(text), "api-keys", &error) < 0)
                fail_msg("%s", error);
        assert_null(error);
}

static void credentials_ok(Auth *a, const char *text)
{
        _cleanup_free_ char *error = NULL;

        if (auth_parse_credentials(a, text, strlen(text), "credentials", &error) < 0)
                fail_msg("%s", error);
        assert_null(error);
}

static void expect_error_len(bool credentials, const char *text, size_t len, const char *message)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
        _cleanup_free_ char *error = NULL;

        assert_non_null(a);
        assert_int_equal(credentials
                                 ? auth_parse_credentials(a, text, len, "/etc/lambdad/credentials", &error)
                                 : auth_parse_api_keys(a, text, len, "/etc/lambdad/api-keys", &error),
                         -EINVAL);
        assert_non_null(error);
        assert_string_equal(error, message);
        assert_int_equal(a->n_api_keys + a->n_credentials, 0);
        /* Without ret_error: the same verdict. */
        assert_int_equal(credentials ? auth_parse_credentials(a, text, len, NULL, NULL)
                                     : auth_parse_api_keys(a, text, len, NULL, NULL),
                         -EINVAL);
}

static void expect_error(bool credentials, const char *text, const char *message)
{
        expect_error_len(credentials, text, strlen(text), message);
}

static void test_parse_api_keys(void **state)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));

        assert_non_null(a);
        api_keys_ok(a, "# NAME SHA256HEX FUNCTIONS\n"
                       "\n"
                       "alice " HASH_1 " hello,world\n"
                       "   \t\n"
                       "  # indented comment\n"
                       "ci.deploy-2\t" HASH_CI "\t *  \r\n"
                       "bob  " HASH_2 "  Hello_World-2"); /* no newline at the end */
        assert_int_equal(a->n_api_keys, 3);
        assert_int_equal(a->n_credentials, 0);

        assert_string_equal(a->api_keys[0].name, "alice");
        assert_null(a->api_keys[0].secret);
        assert_int_equal(a->api_keys[0].key_sha256[0], 0x12);
        assert_int_equal(a->api_keys[0].key_sha256[31], 0x3b);
        assert_string_equal(a->api_keys[0].functions[0], "hello");
        assert_string_equal(a->api_keys[0].functions[1], "world");
        assert_null(a->api_keys[0].functions[2]);

        assert_string_equal(a->api_keys[1].name, "ci.deploy-2");
        assert_string_equal(a->api_keys[1].functions[0], "*");
        assert_null(a->api_keys[1].functions[1]);

        assert_string_equal(a->api_keys[2].name, "bob");
        assert_int_equal(a->api_keys[2].key_sha256[0], 0xe2);
        assert_string_equal(a->api_keys[2].functions[0], "Hello_World-2");

        /* Empty files and comment-only files add nothing. */
        api_keys_ok(a, "");
        api_keys_ok(a, "# nothing yet\n\n");
        assert_int_equal(auth_parse_api_keys(a, NULL, 0, "api-keys", NULL), 0);
        assert_int_equal(a->n_api_keys, 3);
}

static void test_parse_credentials(void **state)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));

        assert_non_null(a);
        credentials_ok(a, "# ACCESS_KEY_ID SECRET FUNCTIONS\n" AKID " " SECRET " hello\n"
                          "AKIAIOSFODNN7EXAMPLE #secret+with/odd~chars! *\n");
        assert_int_equal(a->n_credentials, 2);
        assert_string_equal(a->credentials[0].name, AKID);
        assert_string_equal(a->credentials[0].secret, SECRET);
        assert_string_equal(a->credentials[0].functions[0], "hello");
        assert_string_equal(a->credentials[1].name, "AKIAIOSFODNN7EXAMPLE");
        /* A '#' inside a line is data: secrets may hold one. */
        assert_string_equal(a->credentials[1].secret, "#secret+with/odd~chars!");

        assert_string_equal(auth_secret_lookup(AKID, a), SECRET);
        assert_string_equal(auth_secret_lookup("AKIAIOSFODNN7EXAMPLE", a), "#secret+with/odd~chars!");
        assert_null(auth_secret_lookup("AKIAIOSFODNN7EXAMPLF", a));
        assert_null(auth_secret_lookup("", a));
        assert_null(auth_secret_lookup(AKID, NULL));
}

static void test_parse_errors(void **state)
{
        expect_error(false, "alice " HASH_1 "\n",
                     "/etc/lambdad/api-keys:1: expected 3 or 4 fields, NAME SHA256HEX FUNCTIONS [RIGHTS], "
                     "found 2");
        expect_error(false, "# comment\n\nalice\n",
                     "/etc/lambdad/api-keys:3: expected 3 or 4 fields, NAME SHA256HEX FUNCTIONS [RIGHTS], "
                     "found 1");
        expect_error(false, "alice " HASH_1 " hello # comment\n",
                     "/etc/lambdad/api-keys:1: expected 3 or 4 fields, NAME SHA256HEX FUNCTIONS [RIGHTS], "
                     "found more");
        expect_error(false, "al/ice " HASH_1 " hello\n",
                     "/etc/lambdad/api-keys:1: invalid name, expected " NAME_EXPECTED);
        expect_error(false,
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa " HASH_1 " hello\n",
                     "/etc/lambdad/api-keys:1: invalid name, expected " NAME_EXPECTED);
        expect_error(false, "alice 1255558DF586AE279007FFFA27EC17451D1507F7AC5442ADD9FFBC070F9F623B hello\n",
                     "/etc/lambdad/api-keys:1: invalid key hash, expected the SHA-256 of the key as 64 "
                     "lower-case hex digits");
        expect_error(false, "alice 1255558df586 hello\n",
                     "/etc/lambdad/api-keys:1: invalid key hash, expected the SHA-256 of the key as 64 "
                     "lower-case hex digits");
        expect_error(false, "alice " HASH_1 " hello,,world\n",
                     "/etc/lambdad/api-keys:1: invalid function list, expected " FUNCTION_EXPECTED);
        expect_error(false, "alice " HASH_1 " hello,\n",
                     "/etc/lambdad/api-keys:1: invalid function list, expected " FUNCTION_EXPECTED);
        expect_error(false, "alice " HASH_1 " hello,*\n",
                     "/etc/lambdad/api-keys:1: invalid function list, expected " FUNCTION_EXPECTED);
        expect_error(false, "alice " HASH_1 " hello:prod\n",
                     "/etc/lambdad/api-keys:1: invalid function list, expected " FUNCTION_EXPECTED);
        expect_error(false, "alice " HASH_1 " hello\nbob " HASH_2 " hello\nalice " HASH_CI " hello\n",
                     "/etc/lambdad/api-keys:3: duplicate name \"alice\", first on line 1");
        expect_error(false, "alice " HASH_1 " hello\nbob " HASH_1 " world\n",
                     "/etc/lambdad/api-keys:2: the same key as \"alice\" on line 1");
        expect_error_len(false, "alice " HASH_1 " hello\nbob\0 " HASH_2 " hello\n",
                         STRLEN("alice " HASH_1 " hello\nbob\0 " HASH_2 " hello\n"),
                         "/etc/lambdad/api-keys:2: contains a NUL byte");
        expect_error(false, "alice " HASH_1 " hello\vworld\n",
                     "/etc/lambdad/api-keys:1: invalid function list, expected " FUNCTION_EXPECTED);
        /* RIGHTS: the two words, each once, nothing else. */
        static const char *const bad_rights[] = { "admin",          "Invoke",          "invoke,",
                                                  ",manage",        "manage,manage",   "invoke;manage",
                                                  "invoke,,manage", "invoke,manage,x", "*" };
        for (size_t i = 0; i < ELEMENTSOF(bad_rights); i++) {
                _cleanup_free_ char *line = NULL;

                assert_true(asprintf(&line, "alice " HASH_1 " hello %s\n", bad_rights[i]) >= 0);
                expect_error(false, line,
                             "/etc/lambdad/api-keys:1: invalid rights, expected 'invoke', 'manage' or "
                             "'invoke,manage'");
        }
        expect_error(true, AKID " " SECRET " hello invoke,admin\n",
                     "/etc/lambdad/credentials:1: invalid rights, expected 'invoke', 'manage' or "
                     "'invoke,manage'");

        expect_error(true, AKID " " SECRET "\n",
                     "/etc/lambdad/credentials:1: expected 3 or 4 fields, ACCESS_KEY_ID SECRET FUNCTIONS "
                     "[RIGHTS], found 2");
        expect_error(
                true, "AKIDEXAMPLE " SECRET " *\n",
                "/etc/lambdad/credentials:1: invalid access key id, expected 16 to 128 characters of A-Z "
                "and 0-9");
        expect_error(
                true, "akidexample12345678 " SECRET " *\n",
                "/etc/lambdad/credentials:1: invalid access key id, expected 16 to 128 characters of A-Z "
                "and 0-9");
        expect_error(true, AKID " short *\n",
                     "/etc/lambdad/credentials:1: invalid secret, expected 16 to 128 printable ASCII "
                     "characters without spaces");
        expect_error(true,
                     AKID " s\xc3\xa9"
                          "cret0123456789abc *\n",
                     "/etc/lambdad/credentials:1: invalid secret, expected 16 to 128 printable ASCII "
                     "characters without spaces");
        expect_error(true, AKID " " SECRET " *\n\n" AKID " " SECRET "x hello\n",
                     "/etc/lambdad/credentials:3: duplicate access key id \"" AKID "\", first on line 1");
}

static void test_errors_keep_secrets(void **state)
{
        static const char *const texts[] = {
                /* The key id forgotten: the secret stands in its column. */
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY hello world\n",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
                AKID " wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
                AKID " wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY hello *\n",
                AKID " wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY hello,*\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
                _cleanup_free_ char *e1 = NULL, *e2 = NULL;

                assert_non_null(a);
                assert_int_equal(auth_parse_credentials(a, texts[i], strlen(texts[i]), "c", &e1), -EINVAL);
                assert_int_equal(auth_parse_api_keys(a, texts[i], strlen(texts[i]), "k", &e2), -EINVAL);
                assert_null(strstr(e1, "wJalrXUtnFEMI"));
                assert_null(strstr(e2, "wJalrXUtnFEMI"));
        }
}

static void test_all_or_nothing(void **state)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
        _cleanup_free_ char *error = NULL;
        static const char bad[] = "carol " HASH_2 " hello\ndave " HASH_CI " hello world\n";

        assert_non_null(a);
        api_keys_ok(a, "alice " HASH_1 " hello\n");
        /* Line 1 was fine, line 2 is not: neither is added. */
        assert_int_equal(auth_parse_api_keys(a, bad, strlen(bad), "more", &error), -EINVAL);
        assert_int_equal(a->n_api_keys, 1);
        free(error);
        error = NULL;

        /* Entries already there count for duplicates too. */
        assert_int_equal(auth_parse_api_keys(a, "alice " HASH_2 " x\n", STRLEN("alice " HASH_2 " x\n"),
                                             "more", &error),
                         -EINVAL);
        assert_string_equal(error, "more:1: name \"alice\" is already defined");
        free(error);
        error = NULL;
        assert_int_equal(
                auth_parse_api_keys(a, "bob " HASH_1 " x\n", STRLEN("bob " HASH_1 " x\n"), "more", &error),
                -EINVAL);
        assert_string_equal(error, "more:1: the same key as \"alice\"");
        free(error);
        error = NULL;

        credentials_ok(a, AKID " " SECRET " *\n");
        assert_int_equal(auth_parse_credentials(a, AKID " " SECRET " *\n", STRLEN(AKID " " SECRET " *\n"),
                                                "more", &error),
                         -EINVAL);
        assert_string_equal(error, "more:1: access key id \"" AKID "\" is already defined");
        assert_int_equal(a->n_credentials, 1);

        /* The namespaces are separate: an api key may be labelled like a key id. */
        api_keys_ok(a, AKID " " HASH_2 " hello\n");
        assert_int_equal(a->n_api_keys, 2);

        assert_null(auth_free(NULL));
        assert_int_equal(auth_parse_api_keys(NULL, "", 0, NULL, NULL), -EINVAL);
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(fchmod(fd, mode), 0);
}

static int load(const char *dir, const char *keys, const char *credentials, Auth **ret, char **ret_error)
{
        _cleanup_free_ char *k = NULL, *c = NULL;

        if (keys)
                assert_true(asprintf(&k, "%s/%s", dir, keys) >= 0);
        if (credentials)
                assert_true(asprintf(&c, "%s/%s", dir, credentials) >= 0);
        return auth_load(k, c, ret, ret_error);
}

static void test_load(void **state)
{
        char dir[] = "/tmp/test-auth-XXXXXX";
        _cleanup_free_ char *error = NULL;
        Auth *a = NULL;

        assert_non_null(mkdtemp(dir));
        write_file(dir, "api-keys", "alice " HASH_1 " hello\n", 0640);
        write_file(dir, "credentials", AKID " " SECRET " *\n", 0600);
        write_file(dir, "readable", "alice " HASH_1 " hello\n", 0644);
        write_file(dir, "writable", AKID " " SECRET " *\n", 0602);
        write_file(dir, "bad", "alice\n", 0640);

        assert_int_equal(load(dir, "api-keys", "credentials", &a, &error), 0);
        assert_null(error);
        assert_int_equal(a->n_api_keys, 1);
        assert_int_equal(a->n_credentials, 1);
        a = auth_free(a);

        /* Missing files, or none named: nobody is known, and that is not an error. */
        assert_int_equal(load(dir, "missing", "missing-too", &a, &error), 0);
        assert_int_equal(a->n_api_keys + a->n_credentials, 0);
        a = auth_free(a);
        assert_int_equal(auth_load(NULL, NULL, &a, &error), 0);
        assert_int_equal(a->n_api_keys + a->n_credentials, 0);
        a = auth_free(a);

        assert_int_equal(load(dir, "readable", NULL, &a, &error), -EPERM);
        assert_null(a);
        assert_non_null(strstr(error, "/readable: others may access it (mode 0644)"));
        free(error);
        error = NULL;
        assert_int_equal(load(dir, NULL, "writable", &a, &error), -EPERM);
        assert_non_null(strstr(error, "(mode 0602)"));
        free(error);
        error = NULL;

        /* One good file does not make up for a bad one. */
        assert_int_equal(load(dir, "api-keys", "bad", &a, &error), -EINVAL);
        assert_null(a);
        assert_non_null(strstr(error, "/bad:1: expected 3 or 4 fields"));
        free(error);
        error = NULL;

        assert_int_equal(load(dir, ".", NULL, &a, &error), -EINVAL);
        assert_non_null(strstr(error, "not a regular file"));
        free(error);
        error = NULL;

        assert_int_equal(auth_load(NULL, NULL, NULL, NULL), -EINVAL);

        for (const char *const *f =
                     (const char *const[]){ "api-keys", "credentials", "readable", "writable", "bad", NULL };
             *f; f++) {
                _cleanup_free_ char *path = NULL;

                assert_true(asprintf(&path, "%s/%s", dir, *f) >= 0);
                assert_int_equal(unlink(path), 0);
        }
        assert_int_equal(rmdir(dir), 0);
}

static Auth *make_auth(void)
{
        Auth *a = calloc(1, sizeof(Auth));

        assert_non_null(a);
        api_keys_ok(a, "alice " HASH_1 " hello,world\n"
                       "bob " HASH_2 " *\n");
        credentials_ok(a, AKID " " SECRET " hello\n"
                               "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY other\n");
        return a;
}

/* auth_check() over raw for function; the principal must be who (NULL: none). */
static int check(const Auth *a, const char *raw, const char *function, const char *who)
{
        _cleanup_free_ char *principal = NULL;
        const char *message = "unset";
        HttpRequest r;
        size_t n = 0;
        int k;

        http_request_init(&r, NULL);
        assert_int_equal(http_request_feed(&r, raw, strlen(raw), &n), HTTP_FEED_COMPLETE);
        k = auth_check(a, &r, function, AUTH_RIGHT_INVOKE, NOW, &principal, &message);
        http_request_done(&r);
        assert_true(k >= 0);
        if (k == AUTH_OK) {
                assert_null(message);
                assert_non_null(principal);
                assert_string_equal(principal, who);
        } else {
                assert_null(principal);
                assert_non_null(message);
                assert_null(who);
        }
        return k;
}

static int check_bearer(const Auth *a, const char *authorization, const char *function, const char *who)
{
        _cleanup_free_ char *raw = NULL;

        assert_true(asprintf(&raw,
                             "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: x\r\n%s"
                             "Content-Length: 2\r\n\r\n{}",
                             authorization) >= 0);
        return check(a, raw, function, who);
}

static char *replace(const char *s, const char *old, const char *new)
{
        const char *p = strstr(s, old);
        char *out;

        assert_non_null(p);
        assert_true(asprintf(&out, "%.*s%s%s", (int) (p - s), s, new, p + strlen(old)) >= 0);
        return out;
}

static void test_check_bearer(void **state)
{
        _cleanup_(auth_freep) Auth *a = make_auth();

        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", "hello", "alice"), AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", "world", "alice"), AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", NULL, "alice"), AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", "other", NULL),
                         AUTH_FORBIDDEN_FUNCTION);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", "Hello", NULL),
                         AUTH_FORBIDDEN_FUNCTION);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-2\r\n", "anything", "bob"),
                         AUTH_OK);
        /* The scheme is case-insensitive, the key is not; spaces around it do not count. */
        assert_int_equal(check_bearer(a, "authorization: bearer   test-key-2  \r\n", "x", "bob"), AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: BEARER test-key-2\r\n", "x", "bob"), AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: Bearer TEST-KEY-2\r\n", "x", NULL), AUTH_DENIED);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-3\r\n", "x", NULL), AUTH_DENIED);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1x\r\n", "hello", NULL),
                         AUTH_DENIED);
        assert_int_equal(check_bearer(a, "Authorization: Bearer \r\n", "hello", NULL), AUTH_DENIED);
        assert_int_equal(check_bearer(a, "Authorization: Bearer\r\n", "hello", NULL), AUTH_DENIED);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test key-1\r\n", "hello", NULL),
                         AUTH_DENIED);
        /* Two Authorization headers: which one counts would depend on who reads them. */
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\nAuthorization: Bearer x\r\n",
                                      "hello", NULL),
                         AUTH_DENIED);
        /* Nobody known. */
        assert_int_equal(check_bearer(NULL, "Authorization: Bearer test-key-1\r\n", "hello", NULL),
                         AUTH_DENIED);

        /* No credentials, or of a kind the gateway does not take. */
        assert_int_equal(check_bearer(a, "", "hello", NULL), AUTH_MISSING);
        assert_int_equal(check_bearer(a, "Authorization: Basic YWxpY2U6dGVzdC1rZXktMQ==\r\n", "hello", NULL),
                         AUTH_MISSING);
        assert_int_equal(check_bearer(a, "Authorization: Bearertest-key-1\r\n", "hello", NULL),
                         AUTH_MISSING);
}

static void test_add_api_key(void **state)
{
        _cleanup_(auth_freep) Auth *a = make_auth();
        char *error = NULL;

        /* A key for every function, next to the file's. */
        assert_int_equal(auth_add_api_key(a, "LAMBDAD_API_KEY", "env-key-0123", &error), 0);
        assert_int_equal(
                check_bearer(a, "Authorization: Bearer env-key-0123\r\n", "anything", "LAMBDAD_API_KEY"),
                AUTH_OK);
        assert_int_equal(check_bearer(a, "Authorization: Bearer test-key-1\r\n", "hello", "alice"), AUTH_OK);

        /* The same key twice, or one a client could not send: refused, never quoted. */
        assert_int_equal(auth_add_api_key(a, "again", "env-key-0123", &error), -EINVAL);
        assert_non_null(error);
        assert_null(strstr(error, "env-key-0123"));
        free(error);
        error = NULL;
        assert_int_equal(auth_add_api_key(a, "x", "", &error), -EINVAL);
        free(error);
        error = NULL;
        assert_int_equal(auth_add_api_key(a, "x", "has space", &error), -EINVAL);
        assert_null(strstr(error, "has space"));
        free(error);
}

static void test_parse_rights(void **state)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));

        assert_non_null(a);
        api_keys_ok(a, "alice " HASH_1 " hello\n"
                       "bob " HASH_2 " hello invoke\n"
                       "ci " HASH_CI " * manage\n");
        credentials_ok(a,
                       AKID " " SECRET " hello,world\tinvoke,manage\n"
                            "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY * manage,invoke\n");
        /* Without RIGHTS a line means what it meant before rights existed: invoke. */
        assert_int_equal(a->api_keys[0].rights, AUTH_RIGHT_INVOKE);
        assert_int_equal(a->api_keys[1].rights, AUTH_RIGHT_INVOKE);
        assert_int_equal(a->api_keys[2].rights, AUTH_RIGHT_MANAGE);
        assert_int_equal(a->credentials[0].rights, AUTH_RIGHT_INVOKE | AUTH_RIGHT_MANAGE);
        assert_int_equal(a->credentials[1].rights, AUTH_RIGHT_INVOKE | AUTH_RIGHT_MANAGE);

        /* FUNCTIONS bounds both rights. */
        assert_true(auth_entry_allows(&a->api_keys[0], "hello", AUTH_RIGHT_INVOKE));
        assert_false(auth_entry_allows(&a->api_keys[0], "hello", AUTH_RIGHT_MANAGE));
        assert_false(auth_entry_allows(&a->api_keys[2], "hello", AUTH_RIGHT_INVOKE));
        assert_true(auth_entry_allows(&a->api_keys[2], "anything", AUTH_RIGHT_MANAGE));
        assert_true(auth_entry_allows(&a->credentials[0], "world", AUTH_RIGHT_MANAGE));
        assert_false(auth_entry_allows(&a->credentials[0], "other", AUTH_RIGHT_MANAGE));
        assert_false(auth_entry_allows(&a->credentials[0], "other", AUTH_RIGHT_INVOKE));
        assert_false(auth_entry_allows(&a->credentials[0], NULL, AUTH_RIGHT_INVOKE));
        assert_false(auth_entry_allows(NULL, "hello", AUTH_RIGHT_INVOKE));
}

/* auth_check() with a right, for a Bearer key. */
static int check_right(const Auth *a, const char *key, const char *function, AuthRight right)
{
        _cleanup_free_ char *raw = NULL, *principal = NULL;
        const char *message = NULL;
        HttpRequest r;
        size_t n = 0;
        int k;

        assert_true(asprintf(&raw,
                             "GET /2015-03-31/functions/hello HTTP/1.1\r\nHost: x\r\n"
                             "Authorization: Bearer %s\r\n\r\n",
                             key) >= 0);
        http_request_init(&r, NULL);
        assert_int_equal(http_request_feed(&r, raw, strlen(raw), &n), HTTP_FEED_COMPLETE);
        k = auth_check(a, &r, function, right, NOW, &principal, &message);
        http_request_done(&r);
        assert_true(k >= 0);
        assert_true((k == AUTH_OK) == !message);
        return k;
}

static void test_check_rights(void **state)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
        const AuthEntry *e = NULL;
        const char *message = NULL;
        HttpRequest r;
        size_t n = 0;
        static const char raw[] = "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: x\r\n"
                                  "Authorization: Bearer test-key-2\r\n\r\n";

        assert_non_null(a);
        api_keys_ok(a, "alice " HASH_1 " hello\n"
                       "bob " HASH_2 " hello,world manage\n");
        assert_int_equal(auth_add_api_key(a, "LAMBDAD_API_KEY", "env-key-0123", NULL), 0);

        assert_int_equal(check_right(a, "test-key-1", "hello", AUTH_RIGHT_INVOKE), AUTH_OK);
        assert_int_equal(check_right(a, "test-key-1", "hello", AUTH_RIGHT_MANAGE), AUTH_FORBIDDEN_FUNCTION);
        assert_int_equal(check_right(a, "test-key-2", "hello", AUTH_RIGHT_MANAGE), AUTH_OK);
        assert_int_equal(check_right(a, "test-key-2", "world", AUTH_RIGHT_MANAGE), AUTH_OK);
        assert_int_equal(check_right(a, "test-key-2", "other", AUTH_RIGHT_MANAGE), AUTH_FORBIDDEN_FUNCTION);
        assert_int_equal(check_right(a, "test-key-2", "hello", AUTH_RIGHT_INVOKE), AUTH_FORBIDDEN_FUNCTION);
        /* No function: any known caller, whatever its rights (ListFunctions). */
        assert_int_equal(check_right(a, "test-key-1", NULL, AUTH_RIGHT_MANAGE), AUTH_OK);
        assert_int_equal(check_right(a, "test-key-2", NULL, AUTH_RIGHT_INVOKE), AUTH_OK);
        /* LAMBDAD_API_KEY, the single-user setup's key, may do both to everything. */
        assert_int_equal(check_right(a, "env-key-0123", "anything", AUTH_RIGHT_INVOKE), AUTH_OK);
        assert_int_equal(check_right(a, "env-key-0123", "anything", AUTH_RIGHT_MANAGE), AUTH_OK);
        assert_int_equal(check_right(a, "wrong-key", NULL, AUTH_RIGHT_INVOKE), AUTH_DENIED);

        /* Who, first; what they may do, asked of the entry. */
        http_request_init(&r, NULL);
        assert_int_equal(http_request_feed(&r, raw, strlen(raw), &n), HTTP_FEED_COMPLETE);
        assert_int_equal(auth_authenticate(a, &r, NOW, &e, &message), AUTH_OK);
        assert_null(message);
        assert_non_null(e);
        assert_string_equal(e->name, "bob");
        assert_true(auth_entry_allows(e, "world", AUTH_RIGHT_MANAGE));
        assert_int_equal(auth_authenticate(NULL, &r, NOW, &e, &message), AUTH_DENIED);
        assert_non_null(message);
        http_request_done(&r);
        assert_int_equal(auth_authenticate(a, NULL, NOW, &e, &message), -EINVAL);
}

static void test_check_sigv4(void **state)
{
        _cleanup_(auth_freep) Auth *a = make_auth();
        _cleanup_(auth_freep) Auth *other = calloc(1, sizeof(Auth));
        _cleanup_free_ char *tampered = NULL, *expired = NULL, *unknown = NULL;

        assert_int_equal(check(a, boto3_invoke_qualified, "hello", AKID), AUTH_OK);
        assert_int_equal(check(a, js_invoke_qualified, "hello", AKID), AUTH_OK);
        assert_int_equal(check(a, js_invoke_qualified, NULL, AKID), AUTH_OK);
        assert_int_equal(check(a, boto3_invoke_qualified, "world", NULL), AUTH_FORBIDDEN_FUNCTION);

        tampered = replace(boto3_invoke_qualified, "{\"key\":\"value\"}", "{\"key\":\"valuf\"}");
        assert_int_equal(check(a, tampered, "hello", NULL), AUTH_DENIED);
        free(tampered);
        tampered = replace(js_invoke_qualified, "{\"key\":\"value\"}", "{\"key\":\"valuf\"}");
        assert_int_equal(check(a, tampered, "hello", NULL), AUTH_BAD_REQUEST);
        expired = replace(boto3_invoke_qualified, "X-Amz-Date: 20250102T030405Z",
                          "X-Amz-Date: 20250102T025905Z");
        assert_int_equal(check(a, expired, "hello", NULL), AUTH_DENIED);
        unknown = replace(boto3_invoke_qualified, "Credential=AKIDEXAMPLE12345678/",
                          "Credential=AKIDEXAMPLE12345670/");
        assert_int_equal(check(a, unknown, "hello", NULL), AUTH_DENIED);

        /* The key id known with another secret. */
        assert_non_null(other);
        credentials_ok(other, AKID " wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY *\n");
        assert_int_equal(check(other, boto3_invoke_qualified, "hello", NULL), AUTH_DENIED);
        assert_int_equal(check(NULL, boto3_invoke_qualified, "hello", NULL), AUTH_DENIED);
}

static void test_check_output_parameters(void **state)
{
        _cleanup_(auth_freep) Auth *a = make_auth();
        char *principal = (char *) "untouched";
        const char *message = NULL;
        HttpRequest r;
        size_t n = 0;

        http_request_init(&r, NULL);
        assert_int_equal(http_request_feed(&r, boto3_invoke_qualified, strlen(boto3_invoke_qualified), &n),
                         HTTP_FEED_COMPLETE);
        assert_int_equal(auth_check(a, &r, "hello", AUTH_RIGHT_INVOKE, NOW, NULL, NULL), AUTH_OK);
        assert_int_equal(auth_check(a, &r, "world", AUTH_RIGHT_INVOKE, NOW, &principal, &message),
                         AUTH_FORBIDDEN_FUNCTION);
        assert_string_equal(principal, "untouched");
        assert_non_null(message);
        assert_int_equal(auth_check(a, NULL, "world", AUTH_RIGHT_INVOKE, NOW, &principal, &message),
                         -EINVAL);
        http_request_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_api_keys), cmocka_unit_test(test_parse_credentials),
                cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_errors_keep_secrets),
                cmocka_unit_test(test_all_or_nothing), cmocka_unit_test(test_load),
                cmocka_unit_test(test_check_bearer),   cmocka_unit_test(test_add_api_key),
                cmocka_unit_test(test_check_sigv4),    cmocka_unit_test(test_check_output_parameters),
                cmocka_unit_test(test_parse_rights),   cmocka_unit_test(test_check_rights),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
