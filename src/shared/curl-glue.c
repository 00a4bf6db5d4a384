/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "curl-glue.h"
#include "macro.h"

/* Idle connections kept for reuse. curl's default grows with the busiest moment (4 per transfer
 * in flight), so a burst would leave the daemon with that many open sockets for good. */
#define IDLE_CONNECTIONS_MAX 8L

struct CurlGlue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        /* Every io source we made, so none outlives the glue whatever curl reports at cleanup. */
        sd_event_source **ios;
        size_t n_ios;
        curl_glue_done_t on_done;
        void *userdata;
};

static void curl_glue_check_done(CurlGlue *g)
{
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(g->multi, &left))) {
                CURL *easy = msg->easy_handle;
                CURLcode result = msg->data.result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_multi_remove_handle(g->multi, easy);
                g->on_done(g, easy, result, g->userdata);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        CurlGlue *g = userdata;
        int action = 0, running;

        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        (void) curl_multi_socket_action(g->multi, fd, action, &running);
        curl_glue_check_done(g);
        return 0;
}

static void forget_io(CurlGlue *g, sd_event_source *s)
{
        for (size_t i = 0; i < g->n_ios; i++)
                if (g->ios[i] == s) {
                        g->ios[i] = g->ios[--g->n_ios];
                        break;
                }
        sd_event_source_disable_unref(s);
}

static int remember_io(CurlGlue *g, sd_event_source *s)
{
        sd_event_source **a = realloc(g->ios, (g->n_ios + 1) * sizeof(sd_event_source *));

        if (!a)
                return -ENOMEM;
        g->ios = a;
        g->ios[g->n_ios++] = s;
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        CurlGlue *g = userp;
        sd_event_source *s = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        forget_io(g, s);
                        (void) curl_multi_assign(g->multi, fd, NULL);
                }
                return 0;
        }

        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;

        if (s)
                return sd_event_source_set_io_events(s, events) < 0 ? -1 : 0;

        r = sd_event_add_io(g->event, &s, fd, events, on_io, g);
        if (r < 0)
                return -1;
        (void) sd_event_source_set_description(s, "curl-io");
        if (remember_io(g, s) < 0) {
                sd_event_source_disable_unref(s);
                return -1;
        }
        if (curl_multi_assign(g->multi, fd, s) != CURLM_OK) {
                forget_io(g, s);
                return -1;
        }
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        CurlGlue *g = userdata;
        int running;

        (void) curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        curl_glue_check_done(g);
        return 0;
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
        CurlGlue *g = userp;
        uint64_t now;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        if (sd_event_now(g->event, CLOCK_MONOTONIC, &now) < 0)
                return -1;
        if (sd_event_source_set_time(g->timer, now + (uint64_t) timeout_ms * 1000) < 0 ||
            sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

int curl_glue_new(CurlGlue **ret, sd_event *event, curl_glue_done_t on_done, void *userdata)
{
        CurlGlue *g;
        int r;

        g = calloc(1, sizeof(CurlGlue));
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(event);
        g->on_done = on_done;
        g->userdata = userdata;

        g->multi = curl_multi_init();
        if (!g->multi) {
                curl_glue_free(g);
                return -ENOMEM;
        }

        /* Accuracy 1 µs: sd-event's default (0 = 250 ms) would hold every transfer curl asks to be
         * driven "now" for up to a quarter of a second. */
        r = sd_event_add_time(event, &g->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, g);
        if (r < 0) {
                curl_glue_free(g);
                return r;
        }
        (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(g->timer, "curl-timer");

        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_timer_change) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_MAXCONNECTS, IDLE_CONNECTIONS_MAX) != CURLM_OK) {
                curl_glue_free(g);
                return -EIO;
        }

        *ret = g;
        return 0;
}

CurlGlue *curl_glue_free(CurlGlue *g)
{
        if (!g)
                return NULL;
        if (g->multi)
                curl_multi_cleanup(g->multi);
        while (g->n_ios > 0)
                forget_io(g, g->ios[0]);
        free(g->ios);
        sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

int curl_glue_add(CurlGlue *g, CURL *easy)
{
        if (curl_multi_add_handle(g->multi, easy) != CURLM_OK)
                return -EIO;
        return 0;
}

void curl_glue_remove(CurlGlue *g, CURL *easy)
{
        (void) curl_multi_remove_handle(g->multi, easy);
}
