/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Fuzzes the gateway's two credentials files, /etc/lambdad/api-keys and /etc/lambdad/credentials, as
 * auth_load() reads them: both into one Auth. The input is the api-keys text, a NUL byte, then the
 * credentials text (no NUL: credentials only). Whatever is accepted keeps the format's promises, a
 * file is taken whole or not at all, every entry has rights (invoke by default), and a refusal is one log
 * line naming the file and never quoting a secret. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "lambda-contract.h"
#include "strv.h"
#include "util.h"

static bool only_chars(const char *s, size_t min, size_t max, bool (*ok)(char c))
{
        size_t n = strlen(s);

        if (n < min || n > max)
                return false;
        for (; *s; s++)
                if (!ok(*s))
                        return false;
        return true;
}

static bool is_label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '.' || c == '-';
}

static bool is_key_id_char(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_visible(char c)
{
        return c > ' ' && c < 0x7f;
}

static void check_entry(const AuthEntry *e, bool credentials)
{
        if (!e->name || !e->functions || !e->functions[0])
                abort();
        if (credentials ? !only_chars(e->name, 16, 128, is_key_id_char) || !e->secret ||
                                  !only_chars(e->secret, 16, 128, is_visible)
                        : !only_chars(e->name, 1, 64, is_label_char) || e->secret)
                abort();
        /* Some right, and only the two there are. */
        if (e->rights == 0 || (e->rights & ~(unsigned) (AUTH_RIGHT_INVOKE | AUTH_RIGHT_MANAGE)))
                abort();
        /* "*" alone, or names only. */
        if (strcmp(e->functions[0], "*") == 0 ? e->functions[1] != NULL : false)
                abort();
        for (char **f = e->functions; *f; f++)
                if (strcmp(*f, "*") != 0 && !lambda_function_name_is_valid(*f, strlen(*f)))
                        abort();
}

static void check_auth(const Auth *a)
{
        for (size_t i = 0; i < a->n_api_keys; i++) {
                check_entry(a->api_keys + i, false);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(a->api_keys[j].name, a->api_keys[i].name) == 0 ||
                            memcmp(a->api_keys[j].key_sha256, a->api_keys[i].key_sha256, 32) == 0)
                                abort();
        }
        for (size_t i = 0; i < a->n_credentials; i++) {
                check_entry(a->credentials + i, true);
                if (auth_secret_lookup(a->credentials[i].name, (void *) a) != a->credentials[i].secret)
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(a->credentials[j].name, a->credentials[i].name) == 0)
                                abort();
        }
}

static bool strv_mention(char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (strstr(*l, s))
                        return true;
        return false;
}

/* Whether the message quotes the second field of a line of text (a secret in a credentials file)
 * that is long enough to be one and is not part of a first field (which messages may name). */
static bool quotes_a_secret(const char *message, char *text)
{
        _cleanup_strv_free_ char **firsts = NULL, **seconds = NULL;
        char *line_state = NULL;

        for (char *line = strtok_r(text, "\n", &line_state); line;
             line = strtok_r(NULL, "\n", &line_state)) {
                char *field_state = NULL, *first = strtok_r(line, " \t\r", &field_state),
                     *second = first ? strtok_r(NULL, " \t\r", &field_state) : NULL;

                if (first && strv_extend(&firsts, first) < 0)
                        return false;
                if (second && strlen(second) >= 16 && strv_extend(&seconds, second) < 0)
                        return false;
        }
        for (char **s = seconds; s && *s; s++)
                if (!strv_mention(firsts, *s) && strstr(message, *s))
                        return true;
        return false;
}

static bool is_message_for(const char *message, const char *filename)
{
        size_t n = strlen(filename);

        if (!message || strncmp(message, filename, n) != 0 || message[n] != ':')
                return false;
        for (const char *p = message; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* Parses one file into a; returns whether it was taken. */
static bool parse(Auth *a, bool credentials, const char *text, size_t len)
{
        const char *filename = credentials ? "credentials" : "api-keys";
        _cleanup_free_ char *error = NULL, *copy = NULL;
        size_t before_keys = a->n_api_keys, before_credentials = a->n_credentials;
        int r;

        r = credentials ? auth_parse_credentials(a, text, len, filename, &error)
                        : auth_parse_api_keys(a, text, len, filename, &error);
        if (r == -ENOMEM)
                return false;
        if (r < 0) {
                /* All or nothing. */
                if (r != -EINVAL || !is_message_for(error, filename) || a->n_api_keys != before_keys ||
                    a->n_credentials != before_credentials)
                        abort();
                copy = strndup(text, len);
                if (credentials && copy && quotes_a_secret(error, copy))
                        abort();
                return false;
        }
        if (error || (credentials ? a->n_api_keys != before_keys : a->n_credentials != before_credentials))
                abort();
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(auth_freep) Auth *a = calloc(1, sizeof(Auth));
        const char *text = (const char *) data, *nul = memchr(data, 0, size);
        const char *credentials = nul ? nul + 1 : text;
        size_t n_credentials = nul ? size - (size_t) (nul - text) - 1 : size;
        size_t n_keys, n_creds;

        if (!a)
                return 0;
        if (nul)
                (void) parse(a, false, text, (size_t) (nul - text));
        (void) parse(a, true, credentials, n_credentials);
        check_auth(a);

        /* The same files once more: every entry is already defined, so each non-empty one is refused
         * whole and nothing changes. */
        n_keys = a->n_api_keys;
        n_creds = a->n_credentials;
        if (nul && parse(a, false, text, (size_t) (nul - text)) && n_keys > 0)
                abort();
        if (parse(a, true, credentials, n_credentials) && n_creds > 0)
                abort();
        if (a->n_api_keys != n_keys || a->n_credentials != n_creds)
                abort();

        /* LAMBDAD_API_KEY meets the same rules as the file's lines. */
        if (auth_add_api_key(a, "env", "fuzz-key", NULL) >= 0 &&
            (a->n_api_keys != n_keys + 1 || strcmp(a->api_keys[n_keys].name, "env") != 0 ||
             a->api_keys[n_keys].rights != (AUTH_RIGHT_INVOKE | AUTH_RIGHT_MANAGE)))
                abort();
        check_auth(a);
        return 0;
}
