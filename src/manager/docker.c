/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "curl-glue.h"
#include "docker.h"
#include "list.h"

#include "docker-json.h"
/* Container lists of a busy host stay far below this; anything larger is not a sane answer. */
#define BODY_MAX (8U * 1024 * 1024)
/* One event of the /events stream. */
#define LINE_MAX_BYTES (1024U * 1024)

struct DockerCall {
        DockerClient *client;
        CURL *easy;
        struct curl_slist *headers;
        char *body;
        Buf answer;
        docker_callback_t cb;
        docker_line_t on_line; /* streaming calls: each complete line, as it arrives */
        bool engine;           /* to the engine (not an instance's probe): says whether it is reachable */
        unsigned generation;   /* the client's at the start: what the engine's state was then */
        void *userdata;
        DockerCall *prev, *next;
};

struct DockerClient {
        CurlGlue *glue;
        char *socket_path;
        DockerCall *calls;
        unsigned n_calls;
        bool unreachable;
        unsigned generation; /* counts the changes of unreachable */
        docker_state_t on_state;
        void *state_userdata;
};

static void call_free(DockerCall *c)
{
        DockerClient *d;

        if (!c)
                return;
        d = c->client;
        LIST_REMOVE(d->calls, c);
        d->n_calls--;

        if (c->easy) {
                curl_glue_remove(d->glue, c->easy);
                curl_easy_cleanup(c->easy);
        }
        curl_slist_free_all(c->headers);
        free(c->body);
        buf_done(&c->answer);
        free(c);
}

static int error_from_curl(CURLcode r)
{
        switch (r) {
        case CURLE_OK:
                return 0;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
                return -ECONNREFUSED;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_WRITE_ERROR:
                return -EMSGSIZE;
        default:
                return -EIO;
        }
}

/* Whether the engine can be reached changes with the first call that finds it so; an answer too large
 * for us says nothing about that, nor does the end of a stream that the engine closed. Nor does a
 * call made before the last change: the calls sent while the engine was away fail after it is back,
 * and would otherwise have it go and come back once each. */
static void note_engine_state(DockerCall *c, int error)
{
        DockerClient *d = c->client;
        bool unreachable;

        if (error == -EMSGSIZE || (error == 0 && c->on_line) || c->generation != d->generation)
                return;
        unreachable = error < 0;
        if (unreachable == d->unreachable)
                return;
        d->unreachable = unreachable;
        d->generation++;
        if (d->on_state)
                d->on_state(d, !unreachable, error, d->state_userdata);
}

static void on_done(CurlGlue *g, CURL *easy, CURLcode result, void *userdata)
{
        DockerCall *c = NULL;
        long status = 0;
        int error;

        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &c) != CURLE_OK || !c)
                return;

        error = error_from_curl(result);
        if (result == CURLE_COULDNT_CONNECT) {
                long os_errno = 0;

                /* EACCES (not in the docker group) and ENOENT (no engine) deserve their own words. */
                if (curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno > 0)
                        error = -(int) os_errno;
        }
        if (error == 0)
                (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);

        if (c->engine)
                note_engine_state(c, error);

        /* The callback may start new calls or free the client: finish with this one first. */
        docker_callback_t cb = c->cb;
        void *ud = c->userdata;
        DockerClient *d = c->client;
        Buf answer = c->answer;

        c->answer = (Buf){};
        call_free(c);
        cb(d, error, status, answer.data ?: "", answer.len, ud);
        buf_done(&answer);
}

int docker_lines_feed(Buf *b, const char *p, size_t n, docker_line_t on_line, DockerClient *d,
                      void *userdata)
{
        /* Line by line, so that the cap bounds each line rather than a line plus whatever else came in
         * the same chunk. */
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t k = nl ? (size_t) (nl - p) + 1 : n;
                int r;

                r = buf_append(b, p, k);
                if (r < 0)
                        return r;
                p += k;
                n -= k;
                if (nl) {
                        b->data[--b->len] = 0;
                        on_line(d, b->data, b->len, userdata);
                        buf_clear(b);
                }
        }
        return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *userdata)
{
        DockerCall *c = userdata;
        int r;

        if (c->on_line)
                r = docker_lines_feed(&c->answer, p, size * n, c->on_line, c->client, c->userdata);
        else
                r = buf_append(&c->answer, p, size * n);
        /* Over the cap or out of memory: returning less than given makes curl end the transfer. */
        return r < 0 ? 0 : size * n;
}

int docker_client_new(DockerClient **ret, sd_event *event, const char *socket_path)
{
        DockerClient *d;
        int r;

        d = calloc(1, sizeof(DockerClient));
        if (!d)
                return -ENOMEM;
        d->socket_path = strdup(socket_path);
        if (!d->socket_path) {
                free(d);
                return -ENOMEM;
        }
        r = curl_glue_new(&d->glue, event, on_done, d);
        if (r < 0) {
                free(d->socket_path);
                free(d);
                return r;
        }
        *ret = d;
        return 0;
}

void docker_client_on_state(DockerClient *d, docker_state_t cb, void *userdata)
{
        d->on_state = cb;
        d->state_userdata = userdata;
}

bool docker_client_reachable(const DockerClient *d)
{
        return !d->unreachable;
}

DockerClient *docker_client_free(DockerClient *d)
{
        if (!d)
                return NULL;
        while (d->calls)
                call_free(d->calls);
        curl_glue_free(d->glue);
        free(d->socket_path);
        free(d);
        return NULL;
}

/* unix_path: the socket to reach url at; NULL: the engine's for engine calls, else url's host. */
static int call_start(DockerClient *d, bool engine, const char *method, const char *url,
                      const char *unix_path, const char *body, uint64_t timeout_usec, docker_callback_t cb,
                      docker_line_t on_line, void *userdata, DockerCall **ret_call)
{
        DockerCall *c;
        bool ok;

        c = calloc(1, sizeof(DockerCall));
        if (!c)
                return -ENOMEM;
        *c = (DockerCall){
                .client = d,
                .cb = cb,
                .on_line = on_line,
                .userdata = userdata,
                .answer = BUF_INIT_MAX(on_line ? LINE_MAX_BYTES : BODY_MAX),
        };
        c->engine = engine;
        c->generation = d->generation;
        LIST_PREPEND(d->calls, c);
        d->n_calls++;

        c->easy = curl_easy_init();
        if (!c->easy) {
                call_free(c);
                return -ENOMEM;
        }
        if (body) {
                c->body = strdup(body);
                c->headers = curl_slist_append(NULL, "Content-Type: application/json");
                if (!c->body || !c->headers) {
                        call_free(c);
                        return -ENOMEM;
                }
        }

        ok = curl_easy_setopt(c->easy, CURLOPT_URL, url) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_write) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK &&
             /* A missing or dead engine must show within a second, not after the call's timeout. */
             curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, 1000L) == CURLE_OK &&
             curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long) (timeout_usec / 1000)) == CURLE_OK;
        if (ok && (engine || unix_path))
                ok = curl_easy_setopt(c->easy, CURLOPT_UNIX_SOCKET_PATH, unix_path ?: d->socket_path) ==
                     CURLE_OK;
        /* While the engine is away, a call must reach it anew to say it is back: an engine on its way
         * out still answers on the connections it had. */
        if (ok && engine && d->unreachable)
                ok = curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK;
        if (ok && body)
                ok = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body) == CURLE_OK &&
                     curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK;
        else if (ok && strcmp(method, "POST") == 0)
                /* Docker wants a Content-Length on body-less POSTs (start, kill). */
                ok = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, "") == CURLE_OK;
        if (!ok) {
                call_free(c);
                return -EIO;
        }

        if (curl_glue_add(d->glue, c->easy) < 0) {
                call_free(c);
                return -EIO;
        }
        if (ret_call)
                *ret_call = c;
        return 0;
}

int docker_call(DockerClient *d, const char *method, const char *path, const char *body,
                uint64_t timeout_usec, docker_callback_t cb, void *userdata, DockerCall **ret_call)
{
        _cleanup_free_ char *url = NULL;

        if (asprintf(&url, "http://docker" DOCKER_API_PREFIX "%s", path) < 0)
                return -ENOMEM;
        return call_start(d, true, method, url, NULL, body, timeout_usec, cb, NULL, userdata, ret_call);
}

int docker_stream(DockerClient *d, const char *path, docker_line_t on_line, docker_callback_t cb,
                  void *userdata, DockerCall **ret_call)
{
        _cleanup_free_ char *url = NULL;

        if (asprintf(&url, "http://docker" DOCKER_API_PREFIX "%s", path) < 0)
                return -ENOMEM;
        return call_start(d, true, "GET", url, NULL, NULL, 0, cb, on_line, userdata, ret_call);
}

int http_probe(DockerClient *d, const char *url, const char *unix_path, uint64_t timeout_usec,
               docker_callback_t cb, void *userdata, DockerCall **ret_call)
{
        return call_start(d, false, "GET", url, unix_path, NULL, timeout_usec, cb, NULL, userdata, ret_call);
}

void docker_call_cancel(DockerCall *c)
{
        call_free(c);
}
