/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "lambda-contract.h"
#include "sigv4.h"
#include "strv.h"
#include "util.h"

#define NAME_MAX_LEN      64U
#define ACCESS_KEY_ID_MIN 16U
#define ACCESS_KEY_ID_MAX 128U
#define SECRET_MIN        16U
#define SECRET_MAX        128U
/* Longer bearer tokens are not keys anybody generated for this gateway. */
#define BEARER_KEY_MAX 4096U

#define FIELDS_MIN 3U
#define FIELDS_MAX 4U

#define NAME_EXPECTED   "1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
#define HASH_EXPECTED   "the SHA-256 of the key as 64 lower-case hex digits"
#define KEY_ID_EXPECTED "16 to 128 characters of A-Z and 0-9"
#define SECRET_EXPECTED "16 to 128 printable ASCII characters without spaces"
#define FUNCTION_EXPECTED                                                                                \
        "'*' or a comma-separated list of function names (1 to 64 characters of A-Z, a-z, 0-9, '_' and " \
        "'-')"
#define RIGHTS_EXPECTED "'invoke', 'manage' or 'invoke,manage'"

#define MSG_MISSING   "Missing Authentication Token"
#define MSG_SCHEME    "Unsupported authorization scheme: use 'Bearer KEY' or AWS Signature Version 4"
#define MSG_TWICE     "Only one Authorization header is allowed"
#define MSG_BEARER    "The bearer token is malformed"
#define MSG_BAD_KEY   "The API key is not valid"
#define MSG_FORBIDDEN "The caller is not authorized to perform this action on this function"

typedef enum FileKind {
        FILE_API_KEYS,
        FILE_CREDENTIALS,
} FileKind;

static bool char_is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_visible(char c)
{
        return c > ' ' && c < 0x7f;
}

static bool name_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > NAME_MAX_LEN)
                return false;
        for (; *s; s++)
                if (!char_is_alnum(*s) && !strchr("_.-", *s))
                        return false;
        return true;
}

static bool access_key_id_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < ACCESS_KEY_ID_MIN || n > ACCESS_KEY_ID_MAX)
                return false;
        for (; *s; s++)
                if (!(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9'))
                        return false;
        return true;
}

static bool secret_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n < SECRET_MIN || n > SECRET_MAX)
                return false;
        for (; *s; s++)
                if (!is_visible(*s))
                        return false;
        return true;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static bool parse_sha256_hex(const char *s, uint8_t out[static 32])
{
        if (strlen(s) != 64)
                return false;
        for (size_t i = 0; i < 32; i++) {
                int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return false;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        return true;
}

/* "*", or "a,b,c": never empty, never "*" among names (it would be a typo either way). */
static int parse_functions(const char *s, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (strcmp(s, "*") == 0) {
                r = strv_extend(&l, "*");
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(l);
                return 0;
        }
        for (;;) {
                size_t n = strcspn(s, ",");
                _cleanup_free_ char *name = NULL;

                if (!lambda_function_name_is_valid(s, n))
                        return -EINVAL;
                name = strndup(s, n);
                if (!name)
                        return -ENOMEM;
                r = strv_extend(&l, name);
                if (r < 0)
                        return r;
                if (s[n] == 0)
                        break;
                s += n + 1;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* "invoke", "manage", or both comma-separated, each once. */
static int parse_rights(const char *s, unsigned *ret)
{
        static const struct {
                const char *name;
                AuthRight right;
        } table[] = {
                { "invoke", AUTH_RIGHT_INVOKE },
                { "manage", AUTH_RIGHT_MANAGE },
        };
        unsigned rights = 0;

        for (;;) {
                size_t n = strcspn(s, ",");
                unsigned right = 0;

                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (strlen(table[i].name) == n && strncmp(s, table[i].name, n) == 0)
                                right = table[i].right;
                if (right == 0 || (rights & right))
                        return -EINVAL;
                rights |= right;
                if (s[n] == 0)
                        break;
                s += n + 1;
        }
        *ret = rights;
        return 0;
}

static void auth_entry_done(AuthEntry *e)
{
        free(e->name);
        if (e->secret) {
                OPENSSL_cleanse(e->secret, strlen(e->secret));
                free(e->secret);
        }
        strv_free(e->functions);
        *e = (AuthEntry){};
}

static void auth_entries_free(AuthEntry *entries, size_t n)
{
        for (size_t i = 0; i < n; i++)
                auth_entry_done(entries + i);
        free(entries);
}

Auth *auth_free(Auth *a)
{
        if (!a)
                return NULL;
        auth_entries_free(a->api_keys, a->n_api_keys);
        auth_entries_free(a->credentials, a->n_credentials);
        free(a);
        return NULL;
}

/* The entries a file adds, kept apart until the whole file has parsed. */
typedef struct Batch {
        AuthEntry *entries;
        unsigned *lines;
        size_t n;
} Batch;

static void batch_done(Batch *b)
{
        auth_entries_free(b->entries, b->n);
        free(b->lines);
}

static int batch_add(Batch *b, AuthEntry *e, unsigned line)
{
        AuthEntry *entries;
        unsigned *lines;

        entries = realloc(b->entries, (b->n + 1) * sizeof(AuthEntry));
        if (!entries)
                return -ENOMEM;
        b->entries = entries;
        lines = realloc(b->lines, (b->n + 1) * sizeof(unsigned));
        if (!lines)
                return -ENOMEM;
        b->lines = lines;
        b->entries[b->n] = *e;
        b->lines[b->n] = line;
        b->n++;
        *e = (AuthEntry){};
        return 0;
}

static int parse_line(FileKind kind, char *fields[static FIELDS_MAX + 1], const Auth *a, const Batch *b,
                      const char *filename, unsigned line, AuthEntry *ret, char **ret_error)
{
        _cleanup_(auth_entry_done) AuthEntry e = {};
        const AuthEntry *existing = kind == FILE_API_KEYS ? a->api_keys : a->credentials;
        size_t n_existing = kind == FILE_API_KEYS ? a->n_api_keys : a->n_credentials;
        int r;

        if (kind == FILE_API_KEYS) {
                if (!name_is_valid(fields[0]))
                        return set_error(ret_error, "%s:%u: invalid name, expected " NAME_EXPECTED, filename,
                                         line);
                /* Not quoted: an operator who mixed up the columns would find the key in the log. */
                if (!parse_sha256_hex(fields[1], e.key_sha256))
                        return set_error(ret_error, "%s:%u: invalid key hash, expected " HASH_EXPECTED,
                                         filename, line);
        } else {
                /* Not quoted either: a line missing its key id has the secret in this column. */
                if (!access_key_id_is_valid(fields[0]))
                        return set_error(ret_error,
                                         "%s:%u: invalid access key id, expected " KEY_ID_EXPECTED, filename,
                                         line);
                if (!secret_is_valid(fields[1]))
                        return set_error(ret_error, "%s:%u: invalid secret, expected " SECRET_EXPECTED,
                                         filename, line);
                e.secret = strdup(fields[1]);
                if (!e.secret)
                        return -ENOMEM;
        }
        r = parse_functions(fields[2], &e.functions);
        if (r == -EINVAL)
                return set_error(ret_error, "%s:%u: invalid function list, expected " FUNCTION_EXPECTED,
                                 filename, line);
        if (r < 0)
                return r;
        e.rights = AUTH_RIGHT_INVOKE;
        if (fields[3] && parse_rights(fields[3], &e.rights) < 0)
                return set_error(ret_error, "%s:%u: invalid rights, expected " RIGHTS_EXPECTED, filename,
                                 line);

        /* A name given twice would leave it to chance which line's functions apply; a key given twice
         * would make the log name the wrong caller. */
        for (size_t i = 0; i < b->n; i++) {
                if (strcmp(b->entries[i].name, fields[0]) == 0)
                        return set_error(ret_error, "%s:%u: duplicate %s \"%s\", first on line %u", filename,
                                         line, kind == FILE_API_KEYS ? "name" : "access key id", fields[0],
                                         b->lines[i]);
                if (kind == FILE_API_KEYS &&
                    CRYPTO_memcmp(b->entries[i].key_sha256, e.key_sha256, sizeof(e.key_sha256)) == 0)
                        return set_error(ret_error, "%s:%u: the same key as \"%s\" on line %u", filename,
                                         line, b->entries[i].name, b->lines[i]);
        }
        for (size_t i = 0; i < n_existing; i++) {
                if (strcmp(existing[i].name, fields[0]) == 0)
                        return set_error(ret_error, "%s:%u: %s \"%s\" is already defined", filename, line,
                                         kind == FILE_API_KEYS ? "name" : "access key id", fields[0]);
                if (kind == FILE_API_KEYS &&
                    CRYPTO_memcmp(existing[i].key_sha256, e.key_sha256, sizeof(e.key_sha256)) == 0)
                        return set_error(ret_error, "%s:%u: the same key as \"%s\"", filename, line,
                                         existing[i].name);
        }

        e.name = strdup(fields[0]);
        if (!e.name)
                return -ENOMEM;
        *ret = e;
        e = (AuthEntry){};
        return 0;
}

static int parse_file(Auth *a, FileKind kind, const char *text, size_t len, const char *filename,
                      char **ret_error)
{
        _cleanup_(batch_done) Batch b = {};
        AuthEntry **entries, *grown;
        size_t *n_entries;
        unsigned line = 0;
        int r;

        if (!a || (!text && len > 0))
                return -EINVAL;
        entries = kind == FILE_API_KEYS ? &a->api_keys : &a->credentials;
        n_entries = kind == FILE_API_KEYS ? &a->n_api_keys : &a->n_credentials;
        if (!filename)
                filename = kind == FILE_API_KEYS ? "api-keys" : "credentials";

        for (size_t pos = 0; pos < len;) {
                const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;
                _cleanup_(auth_entry_done) AuthEntry e = {};
                _cleanup_free_ char *copy = NULL;
                char *fields[FIELDS_MAX + 1] = {}, *p;
                size_t n_fields = 0;

                pos += n + (nl ? 1 : 0);
                line++;

                if (memchr(start, 0, n))
                        return set_error(ret_error, "%s:%u: contains a NUL byte", filename, line);
                copy = strndup(start, n);
                if (!copy)
                        return -ENOMEM;
                /* Files edited on Windows end their lines in CRLF. */
                if (n > 0 && copy[n - 1] == '\r')
                        copy[n - 1] = 0;

                for (p = copy; is_space(*p); p++)
                        ;
                if (*p == 0 || *p == '#')
                        continue;

                while (*p && n_fields <= FIELDS_MAX) {
                        fields[n_fields++] = p;
                        while (*p && !is_space(*p))
                                p++;
                        while (is_space(*p))
                                *p++ = 0;
                }
                if (n_fields < FIELDS_MIN || n_fields > FIELDS_MAX)
                        return set_error(ret_error,
                                         "%s:%u: expected 3 or 4 fields, %s FUNCTIONS [RIGHTS], found %s",
                                         filename, line,
                                         kind == FILE_API_KEYS ? "NAME SHA256HEX" : "ACCESS_KEY_ID SECRET",
                                         n_fields > FIELDS_MAX ? "more"
                                         : n_fields == 2       ? "2"
                                                               : "1");

                r = parse_line(kind, fields, a, &b, filename, line, &e, ret_error);
                if (r < 0)
                        return r;
                r = batch_add(&b, &e, line);
                if (r < 0)
                        return r;
        }

        if (b.n == 0)
                return 0;
        grown = realloc(*entries, (*n_entries + b.n) * sizeof(AuthEntry));
        if (!grown)
                return -ENOMEM;
        *entries = grown;
        memcpy(grown + *n_entries, b.entries, b.n * sizeof(AuthEntry));
        *n_entries += b.n;
        /* The entries belong to a now; only the arrays of the batch are left to free. */
        b.n = 0;
        return 0;
}

int auth_parse_api_keys(Auth *a, const char *text, size_t len, const char *filename, char **ret_error)
{
        return parse_file(a, FILE_API_KEYS, text, len, filename, ret_error);
}

int auth_parse_credentials(Auth *a, const char *text, size_t len, const char *filename, char **ret_error)
{
        return parse_file(a, FILE_CREDENTIALS, text, len, filename, ret_error);
}

/* Reads path into a NUL-terminated buffer: 1 when it does not exist, 0 when read, negative errno with
 * *ret_error otherwise. */
static int read_auth_file(const char *path, char **ret_data, size_t *ret_len, char **ret_error)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        /* O_NONBLOCK: a FIFO in its place would otherwise block the start forever. Symbolic links are
         * followed (configuration management and secret mounts use them); the checks below apply to
         * what they point to. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 1;
                r = -errno;
                if (r == -ENOMEM)
                        return r;
                (void) set_error(ret_error, "%s: failed to open: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) set_error(ret_error, "%s: failed to stat: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode))
                return set_error(ret_error, "%s: not a regular file", path);
        /* Whoever may read it holds every caller's secret; whoever may write it can let himself in. */
        if (st.st_mode & S_IRWXO) {
                (void) set_error(ret_error, "%s: others may access it (mode %04o), refusing it: chmod o= %s",
                                 path, (unsigned) (st.st_mode & 07777), path);
                return -EPERM;
        }
        if (st.st_size > (off_t) AUTH_FILE_SIZE_MAX)
                return set_error(ret_error, "%s: larger than %u bytes", path, AUTH_FILE_SIZE_MAX);

        /* One byte more than allowed, to notice a file that grew since fstat(). */
        data = malloc(AUTH_FILE_SIZE_MAX + 2);
        if (!data)
                return -ENOMEM;
        while (len <= AUTH_FILE_SIZE_MAX) {
                ssize_t n = read(fd, data + len, AUTH_FILE_SIZE_MAX + 1 - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        (void) set_error(ret_error, "%s: failed to read: %s", path, strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > AUTH_FILE_SIZE_MAX)
                return set_error(ret_error, "%s: larger than %u bytes", path, AUTH_FILE_SIZE_MAX);
        data[len] = 0;

        *ret_data = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

static int load_one(Auth *a, FileKind kind, const char *path, char **ret_error)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return 0;
        r = read_auth_file(path, &data, &len, ret_error);
        if (r != 0)
                return r < 0 ? r : 0;
        r = parse_file(a, kind, data, len, path, ret_error);
        /* The buffer held the secrets too. */
        OPENSSL_cleanse(data, len);
        return r;
}

int auth_load(const char *api_keys_path, const char *credentials_path, Auth **ret, char **ret_error)
{
        _cleanup_(auth_freep) Auth *a = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        a = calloc(1, sizeof(Auth));
        if (!a)
                return -ENOMEM;
        r = load_one(a, FILE_API_KEYS, api_keys_path, ret_error);
        if (r < 0)
                return r;
        r = load_one(a, FILE_CREDENTIALS, credentials_path, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

int auth_add_api_key(Auth *a, const char *name, const char *key, char **ret_error)
{
        char hash[SHA256_HEX_SIZE];
        _cleanup_free_ char *line = NULL;
        size_t n;
        int r;

        if (!a || !name || !key)
                return -EINVAL;
        n = strnlen(key, BEARER_KEY_MAX + 1);
        if (n == 0 || n > BEARER_KEY_MAX)
                return set_error(ret_error, "%s: the key must be 1 to %u characters", name, BEARER_KEY_MAX);
        for (size_t i = 0; i < n; i++)
                if (!is_visible(key[i]))
                        return set_error(ret_error, "%s: the key must be printable ASCII without spaces",
                                         name);

        r = sigv4_sha256_hex(key, n, hash);
        if (r < 0)
                return r;
        /* As a line of the api-keys file, so that it meets the same rules (a key defined twice). */
        if (asprintf(&line, "%s %s * invoke,manage\n", name, hash) < 0)
                return -ENOMEM;
        return auth_parse_api_keys(a, line, strlen(line), name, ret_error);
}

static const AuthEntry *find_credentials(const Auth *a, const char *access_key_id)
{
        if (!a || !access_key_id)
                return NULL;
        for (size_t i = 0; i < a->n_credentials; i++)
                if (strcmp(a->credentials[i].name, access_key_id) == 0)
                        return a->credentials + i;
        return NULL;
}

const char *auth_secret_lookup(const char *access_key_id, void *userdata)
{
        const AuthEntry *e = find_credentials(userdata, access_key_id);

        return e ? e->secret : NULL;
}

bool auth_entry_allows(const AuthEntry *e, const char *function, AuthRight right)
{
        if (!e || !function || (e->rights & right) != right)
                return false;
        for (char **f = e->functions; f && *f; f++)
                if (strcmp(*f, "*") == 0 || strcmp(*f, function) == 0)
                        return true;
        return false;
}

/* The api key entry whose hash matches key, after looking at every entry for the same time: how long
 * the search takes must not tell which prefix of which hash a guess got right. */
static int find_api_key(const Auth *a, const char *key, size_t len, const AuthEntry **ret)
{
        uint8_t h[32];
        size_t match = SIZE_MAX;

        if (EVP_Digest(key, len, h, NULL, EVP_sha256(), NULL) != 1)
                return -ENOMEM;
        for (size_t i = 0; a && i < a->n_api_keys; i++) {
                size_t equal = (size_t) (CRYPTO_memcmp(h, a->api_keys[i].key_sha256, sizeof(h)) == 0);
                size_t mask = (size_t) 0 - equal;

                match = (i & mask) | (match & ~mask);
        }
        *ret = match == SIZE_MAX ? NULL : a->api_keys + match;
        return 0;
}

/* RFC 9110 §11.1: the scheme is case-insensitive. */
static bool scheme_is_bearer(const char *value)
{
        return strncasecmp(value, "Bearer", STRLEN("Bearer")) == 0 &&
               (value[STRLEN("Bearer")] == 0 || is_space(value[STRLEN("Bearer")]));
}

static int authenticate(const Auth *a, const HttpRequest *req, uint64_t now_sec, const AuthEntry **ret_entry,
                        const char **ret_message)
{
        _cleanup_free_ char *access_key_id = NULL;
        const AuthEntry *e = NULL;
        const char *value = NULL;
        size_t count = 0;
        int r;

        for (size_t i = 0; req->headers_complete && i < req->n_headers; i++)
                if (strcasecmp(req->head.data + req->headers[i].name, "Authorization") == 0) {
                        if (!value)
                                value = req->head.data + req->headers[i].value;
                        count++;
                }
        if (!value) {
                *ret_message = MSG_MISSING;
                return AUTH_MISSING;
        }
        if (count > 1) {
                *ret_message = MSG_TWICE;
                return AUTH_DENIED;
        }

        if (scheme_is_bearer(value)) {
                const char *key = value + STRLEN("Bearer");
                size_t n;

                while (is_space(*key))
                        key++;
                n = strlen(key);
                while (n > 0 && is_space(key[n - 1]))
                        n--;
                if (n == 0 || n > BEARER_KEY_MAX) {
                        *ret_message = MSG_BEARER;
                        return AUTH_DENIED;
                }
                for (size_t i = 0; i < n; i++)
                        if (!is_visible(key[i])) {
                                *ret_message = MSG_BEARER;
                                return AUTH_DENIED;
                        }
                r = find_api_key(a, key, n, &e);
                if (r < 0)
                        return r;
                if (!e) {
                        *ret_message = MSG_BAD_KEY;
                        return AUTH_DENIED;
                }
        } else {
                const char *message = NULL;

                r = sigv4_verify(req, auth_secret_lookup, (void *) a, now_sec, SIGV4_MAX_SKEW_SEC,
                                 &access_key_id, &message);
                if (r < 0)
                        return r;
                switch (r) {
                case SIGV4_OK:
                        break;
                case SIGV4_MISSING:
                        *ret_message = MSG_SCHEME;
                        return AUTH_MISSING;
                case SIGV4_BAD_PAYLOAD_HASH:
                        *ret_message = message;
                        return AUTH_BAD_REQUEST;
                default:
                        *ret_message = message;
                        return AUTH_DENIED;
                }
                e = find_credentials(a, access_key_id);
                /* sigv4_verify() found the secret there a moment ago. */
                if (!e) {
                        *ret_message = MSG_BAD_KEY;
                        return AUTH_DENIED;
                }
        }

        *ret_entry = e;
        *ret_message = NULL;
        return AUTH_OK;
}

bool auth_by_bearer(const HttpRequest *req)
{
        const char *value = http_request_header(req, "Authorization");

        return value && scheme_is_bearer(value);
}

int auth_authenticate(const Auth *a, const HttpRequest *req, uint64_t now_sec, const AuthEntry **ret_entry,
                      const char **ret_message)
{
        const AuthEntry *e = NULL;
        const char *message = NULL;
        int r;

        if (!req)
                return -EINVAL;
        r = authenticate(a, req, now_sec, &e, &message);
        if (r >= 0 && ret_message)
                *ret_message = message;
        if (r == AUTH_OK && ret_entry)
                *ret_entry = e;
        return r;
}

int auth_check(const Auth *a, const HttpRequest *req, const char *function, AuthRight right,
               uint64_t now_sec, char **ret_principal, const char **ret_message)
{
        const AuthEntry *e = NULL;
        const char *message = NULL;
        int r;

        r = auth_authenticate(a, req, now_sec, &e, &message);
        if (r == AUTH_OK && function && !auth_entry_allows(e, function, right)) {
                message = MSG_FORBIDDEN;
                r = AUTH_FORBIDDEN_FUNCTION;
        }
        if (r == AUTH_OK && ret_principal) {
                char *p = strdup(e->name);

                if (!p)
                        return -ENOMEM;
                *ret_principal = p;
        }
        if (r >= 0 && ret_message)
                *ret_message = message;
        return r;
}
