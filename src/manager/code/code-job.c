/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "code-job.h"
#include "macro.h"
#include "strv.h"

struct CodeJob {
        atomic_uint n_ref; /* the loop's and the thread's */
        int efd;

        /* The loop's. */
        sd_event_source *source;
        code_job_callback_t cb;
        void *userdata;
        bool calling;

        /* The thread's until it sets done (release) and signals efd, then the loop's. */
        atomic_bool done;
        CodeStore *store;
        char *zip, *directory;
        char **layers;
        int error;
        CodePrepared result;
        char *message;
};

static void job_free(CodeJob *j)
{
        /* NULL unless freed on the loop: the loop drops the source before it lets go of the job. */
        sd_event_source_disable_unref(j->source);
        safe_close(j->efd);
        code_prepared_done(&j->result);
        free(j->message);
        free(j->zip);
        free(j->directory);
        strv_free(j->layers);
        code_store_free(j->store);
        free(j);
}

static void job_unref(CodeJob *j)
{
        if (atomic_fetch_sub_explicit(&j->n_ref, 1, memory_order_acq_rel) == 1)
                job_free(j);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(CodeJob *, job_unref);

static void *job_thread(void *userdata)
{
        CodeJob *j = userdata;
        CodeSource src = { .zip = j->zip, .directory = j->directory, .layers = j->layers };

        j->error = code_store_prepare(j->store, &src, &j->result, &j->message);
        atomic_store_explicit(&j->done, true, memory_order_release);
        /* Never blocks or overflows: one write per job. Read or not, the fd lives until the last
         * reference goes. */
        (void) eventfd_write(j->efd, 1);
        job_unref(j);
        return NULL;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        CodeJob *j = userdata;
        eventfd_t n;

        (void) eventfd_read(fd, &n);
        if (!atomic_load_explicit(&j->done, memory_order_acquire))
                return 0;
        j->source = sd_event_source_disable_unref(j->source);
        j->calling = true;
        j->cb(j, j->error, j->error < 0 ? NULL : &j->result, j->message, j->userdata);
        job_unref(j);
        return 0;
}

CodeJob *code_job_cancel(CodeJob *j)
{
        if (!j || j->calling)
                return NULL;
        j->source = sd_event_source_disable_unref(j->source);
        job_unref(j);
        return NULL;
}

static int job_copy_source(CodeJob *j, const CodeSource *src)
{
        if (src->zip && !(j->zip = strdup(src->zip)))
                return -ENOMEM;
        if (src->directory && !(j->directory = strdup(src->directory)))
                return -ENOMEM;
        if (src->layers && !(j->layers = strv_copy(src->layers)))
                return -ENOMEM;
        return 0;
}

/* A detached thread that takes no signals (they are the loop's, through signalfd). */
static int job_spawn(CodeJob *j)
{
        pthread_attr_t attr;
        pthread_t thread;
        sigset_t all, saved;
        int r;

        r = -pthread_attr_init(&attr);
        if (r < 0)
                return r;
        r = -pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (r == 0) {
                sigfillset(&all);
                pthread_sigmask(SIG_SETMASK, &all, &saved);
                r = -pthread_create(&thread, &attr, job_thread, j);
                pthread_sigmask(SIG_SETMASK, &saved, NULL);
        }
        pthread_attr_destroy(&attr);
        return r;
}

int code_job_start(sd_event *e, CodeStore *s, const CodeSource *src, code_job_callback_t cb, void *userdata,
                   CodeJob **ret)
{
        _cleanup_(job_unrefp) CodeJob *j = NULL;
        int r;

        j = calloc(1, sizeof(CodeJob));
        if (!j)
                return -ENOMEM;
        atomic_init(&j->n_ref, 1);
        atomic_init(&j->done, false);
        j->efd = -EBADF;
        j->cb = cb;
        j->userdata = userdata;
        r = job_copy_source(j, src);
        if (r < 0)
                return r;
        r = code_store_dup(s, &j->store);
        if (r < 0)
                return r;
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->efd < 0)
                return -errno;
        r = sd_event_add_io(e, &j->source, j->efd, EPOLLIN, on_done, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(j->source, "code-job");

        atomic_store(&j->n_ref, 2);
        r = job_spawn(j);
        if (r < 0) {
                atomic_store(&j->n_ref, 1);
                return r;
        }
        *ret = TAKE_PTR(j);
        return 0;
}
