/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * auth.h: who may call the gateway, and what each caller may do to which functions (invoke them, or
 * manage them through the control-plane API). Parses the two credentials files (pure, over buffers;
 * only auth_load() reads files) and checks a request's "Authorization: Bearer KEY" or AWS Signature
 * Version 4 against them.
 *
 * Both files are owned by root, mode 0640, group lambda-gateway; one entry a line, fields separated by
 * spaces or tabs, '#' starting a comment line, blank lines ignored:
 *
 *   /etc/lambdad/api-keys     NAME SHA256HEX FUNCTIONS [RIGHTS]
 *       NAME       a label for logs, 1 to 64 characters of [A-Za-z0-9_.-]
 *       SHA256HEX  the SHA-256 of the key the client sends as "Authorization: Bearer KEY", 64 lower-case
 *                  hex digits (e.g. printf %s "$KEY" | sha256sum), so the file holds no usable key
 *   /etc/lambdad/credentials  ACCESS_KEY_ID SECRET FUNCTIONS [RIGHTS]
 *       ACCESS_KEY_ID  the key id clients sign with, 16 to 128 characters of [A-Z0-9]
 *       SECRET         its secret access key, 16 to 128 printable ASCII characters without spaces
 *
 *   FUNCTIONS  '*' for every function, or a comma-separated list of function names (no spaces)
 *   RIGHTS     what the caller may do to those functions: "invoke" (the default, so that files written
 *              before rights existed keep their meaning), "manage" (the control-plane calls: create,
 *              read, update, delete; ListFunctions is open to every known caller), or "invoke,manage"
 *
 * One bad line makes the whole file an error, and so does a name, key id or key given twice: a
 * half-loaded credentials file would lock out or let in the wrong callers. Messages name the file and
 * the line, and never quote a secret.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-request.h"
#include "macro.h"

/* Past this a file is refused before parsing: a credentials file is a few lines per caller. */
#define AUTH_FILE_SIZE_MAX (1024U * 1024U)

typedef enum AuthRight {
        AUTH_RIGHT_INVOKE = 1U << 0,
        AUTH_RIGHT_MANAGE = 1U << 1,
} AuthRight;

typedef struct AuthEntry {
        char *name;             /* label or access key id */
        char *secret;           /* SigV4 secret, NULL for api keys */
        uint8_t key_sha256[32]; /* api keys */
        char **functions;       /* NULL-terminated; "*" = all */
        unsigned rights;        /* AuthRight flags */
} AuthEntry;

typedef struct Auth {
        AuthEntry *api_keys;
        size_t n_api_keys;
        AuthEntry *credentials;
        size_t n_credentials;
} Auth;

Auth *auth_free(Auth *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(Auth *, auth_free);

/*
 * Parses the len bytes of text (a file's contents; filename only names it in messages) and adds its
 * entries to a. All or nothing: on error a is unchanged. -EINVAL with *ret_error (malloc'd, one line
 * "FILE:LINE: what is wrong") when ret_error is not NULL; -ENOMEM.
 */
int auth_parse_api_keys(Auth *a, const char *text, size_t len, const char *filename, char **ret_error);
int auth_parse_credentials(Auth *a, const char *text, size_t len, const char *filename, char **ret_error);

/*
 * Reads both files (either path may be NULL: not used). A missing file gives no entries; a file that
 * others may read, write or execute, or that is not a regular file, is refused. Negative errno with
 * *ret_error saying which file and why (when ret_error is not NULL), -ENOMEM.
 */
int auth_load(const char *api_keys_path, const char *credentials_path, Auth **ret, char **ret_error);

/*
 * Adds an API key given in clear (LAMBDAD_API_KEY), allowed to invoke and manage every function (the
 * single-user setup's key), under name (the label in logs), exactly as an api-keys line
 * "NAME SHA256-OF-KEY * invoke,manage" would. The key must be what a client can
 * send as "Bearer KEY": 1 to 4096 printable ASCII characters without spaces. -EINVAL with *ret_error
 * (never quoting the key) for a bad key or one already defined; -ENOMEM.
 */
int auth_add_api_key(Auth *a, const char *name, const char *key, char **ret_error);

/* The secret of a SigV4 access key id, for sigv4_verify(); userdata is the Auth. */
const char *auth_secret_lookup(const char *access_key_id, void *userdata);

typedef enum AuthResult {
        AUTH_OK,
        AUTH_MISSING,            /* 401/403: no Authorization header, or a scheme we do not speak */
        AUTH_DENIED,             /* 403: bad key, unknown key id, bad or expired signature */
        AUTH_FORBIDDEN_FUNCTION, /* 403 AccessDeniedException: not this right on this function */
        AUTH_BAD_REQUEST,        /* 400: the body does not match its signed x-amz-content-sha256 */
} AuthResult;

/*
 * Who sent req: a Bearer api key (hashed, compared in constant time with every entry), else SigV4 with
 * at most SIGV4_MAX_SKEW_SEC between its signing time and now_sec. On AUTH_OK *ret_entry is the
 * caller's entry in a (valid as long as a); for the other results *ret_message is a static human
 * message (NULL on AUTH_OK). a may be NULL: nobody is known. Either ret_ pointer may be NULL. Returns an
 * AuthResult (never AUTH_FORBIDDEN_FUNCTION), or -ENOMEM.
 */
int auth_authenticate(const Auth *a, const HttpRequest *req, uint64_t now_sec, const AuthEntry **ret_entry,
                      const char **ret_message);

/* Whether the entry grants right on function (a bare name). */
bool auth_entry_allows(const AuthEntry *e, const char *function, AuthRight right);

/*
 * auth_authenticate(), then auth_entry_allows() for function (the bare function name, as the caller
 * resolved it from a name, a "name:qualifier" or an ARN; NULL for routes that touch no function, such
 * as list-functions, which any known caller may use). On AUTH_OK *ret_principal (malloc'd) is the api
 * key's NAME or the ACCESS_KEY_ID; for the other results *ret_message is a static human message (NULL
 * on AUTH_OK). Either ret_ pointer may be NULL. Returns an AuthResult, or -ENOMEM.
 */
int auth_check(const Auth *a, const HttpRequest *req, const char *function, AuthRight right,
               uint64_t now_sec, char **ret_principal, const char **ret_message);

/* Whether req's (first) Authorization is a Bearer api key, which, unlike a SigV4 signature, does not
 * cover the body: such a request can be checked from its head. */
bool auth_by_bearer(const HttpRequest *req);
