/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "loop.h"
#include "macro.h"

typedef enum SourceKind {
        SOURCE_IO,
        SOURCE_TIMER,
} SourceKind;

struct LoopSource {
        Loop *loop;
        SourceKind kind;
        int fd;
        bool owns_fd;
        bool dead;
        uint32_t events; /* what epoll watches for */
        loop_io_handler_t io;
        loop_time_handler_t timer;
        void *userdata;
        LoopSource *next_dead;
};

struct Loop {
        int epoll_fd;
        bool exiting;
        int exit_code;
        bool dispatching;
        LoopSource *dead;
};

int loop_new(Loop **ret)
{
        Loop *l;

        l = calloc(1, sizeof(Loop));
        if (!l)
                return -ENOMEM;
        l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epoll_fd < 0) {
                int r = -errno;
                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static void free_dead(Loop *l)
{
        while (l->dead) {
                LoopSource *s = l->dead;
                l->dead = s->next_dead;
                free(s);
        }
}

Loop *loop_free(Loop *l)
{
        if (!l)
                return NULL;
        free_dead(l);
        safe_close(l->epoll_fd);
        free(l);
        return NULL;
}

static int add_source(Loop *l, LoopSource **ret, SourceKind kind, int fd, bool owns_fd, uint32_t events,
                      void *userdata)
{
        LoopSource *s;
        struct epoll_event ev = { .events = events };

        s = calloc(1, sizeof(LoopSource));
        if (!s)
                return -ENOMEM;
        *s = (LoopSource){
                .loop = l, .kind = kind, .fd = fd, .owns_fd = owns_fd, .events = events, .userdata = userdata
        };
        ev.data.ptr = s;
        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int loop_add_io(Loop *l, LoopSource **ret, int fd, uint32_t events, loop_io_handler_t cb, void *userdata)
{
        int r;

        r = add_source(l, ret, SOURCE_IO, fd, false, events, userdata);
        if (r < 0)
                return r;
        (*ret)->io = cb;
        return 0;
}

int loop_source_set_events(LoopSource *s, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = s };

        /* A connection says what it waits for after every step, mostly the same: no epoll_ctl() then. */
        if (events == s->events)
                return 0;
        if (epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
                return -errno;
        s->events = events;
        return 0;
}

int loop_timer_set(LoopSource *s, uint64_t deadline)
{
        struct itimerspec its = {};

        if (deadline > 0) {
                its.it_value.tv_sec = (time_t) (deadline / 1000000);
                its.it_value.tv_nsec = (long) (deadline % 1000000) * 1000;
                /* A zero it_value would disarm: a deadline of "now" must still fire. */
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        if (timerfd_settime(s->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
                return -errno;
        return 0;
}

int loop_add_timer(Loop *l, LoopSource **ret, uint64_t deadline, loop_time_handler_t cb, void *userdata)
{
        _cleanup_close_ int fd = -EBADF;
        LoopSource *s;
        int r;

        fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = add_source(l, &s, SOURCE_TIMER, fd, true, EPOLLIN, userdata);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        s->timer = cb;

        r = loop_timer_set(s, deadline);
        if (r < 0) {
                loop_source_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

LoopSource *loop_source_free(LoopSource *s)
{
        Loop *l;

        if (!s)
                return NULL;
        l = s->loop;
        (void) epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
        if (s->owns_fd)
                safe_close(s->fd);
        s->dead = true;
        s->next_dead = l->dead;
        l->dead = s;
        if (!l->dispatching)
                free_dead(l);
        return NULL;
}

static int dispatch(LoopSource *s, uint32_t revents)
{
        if (s->kind == SOURCE_TIMER) {
                uint64_t expirations;

                if (read(s->fd, &expirations, sizeof(expirations)) < 0)
                        return errno == EAGAIN ? 0 : -errno;
                return s->timer(s, s->userdata);
        }
        return s->io(s, s->fd, revents, s->userdata);
}

int loop_run(Loop *l)
{
        struct epoll_event events[64];

        while (!l->exiting) {
                int n = epoll_wait(l->epoll_fd, events, (int) ELEMENTSOF(events), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }

                l->dispatching = true;
                for (int i = 0; i < n && !l->exiting; i++) {
                        LoopSource *s = events[i].data.ptr;

                        if (s->dead)
                                continue;
                        /* Handlers report their own failures; the loop only keeps going. */
                        (void) dispatch(s, events[i].events);
                }
                l->dispatching = false;
                free_dead(l);
        }
        return l->exit_code;
}

void loop_exit(Loop *l, int code)
{
        l->exiting = true;
        l->exit_code = code;
}
