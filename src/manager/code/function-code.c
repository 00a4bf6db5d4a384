/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "code-job.h"
#include "code-runtime.h"
#include "code-store.h"
#include "declarations.h"
#include "function-code.h"
#include "list.h"
#include "log.h"
#include "managed-function.h"
#include "strv.h"
#include "util.h"

/* A code directory deeper or wider than this is watched only this far: a function's source tree, not a
 * disk. */
#define WATCH_DEPTH_MAX 32
#define WATCH_DIRS_MAX  8192

#define WATCH_MASK                                                                                      \
        (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

/* One prepared (or refused, or being prepared) code: a zip with its layers as they were on disk, or one
 * generation of a code directory. */
typedef struct CodeEntry {
        FunctionCode *owner;
        char *key;
        CodeJob *job; /* while being prepared */
        bool ready;
        CodePrepared prepared;
        char *error;
        bool used; /* by the last resolve */
        struct CodeEntry *prev, *next;
} CodeEntry;

/* A watched code directory: each burst of changes makes a new generation. */
typedef struct CodeWatch {
        FunctionCode *owner;
        char *path;
        unsigned generation;
        int *wds;
        size_t n_wds;
        sd_event_source *timer;
        uint64_t first_change; /* of the burst the timer waits out; 0: none */
        bool used;
        struct CodeWatch *prev, *next;
} CodeWatch;

struct FunctionCode {
        Manager *manager;
        CodeStore *store;
        int inotify_fd;
        sd_event_source *inotify_source;
        sd_event_source *reload_event;
        CodeEntry *entries;
        CodeWatch *watches;
        unsigned n_jobs;
};

static CodeEntry *entry_free(CodeEntry *e)
{
        if (!e)
                return NULL;
        if (e->job) {
                code_job_cancel(e->job);
                e->owner->n_jobs--;
        }
        LIST_REMOVE(e->owner->entries, e);
        free(e->key);
        code_prepared_done(&e->prepared);
        free(e->error);
        free(e);
        return NULL;
}

static void watch_unwatch(CodeWatch *w)
{
        for (size_t k = 0; k < w->n_wds; k++)
                (void) inotify_rm_watch(w->owner->inotify_fd, w->wds[k]);
        free(w->wds);
        w->wds = NULL;
        w->n_wds = 0;
}

static CodeWatch *watch_free(CodeWatch *w)
{
        if (!w)
                return NULL;
        watch_unwatch(w);
        sd_event_source_disable_unref(w->timer);
        LIST_REMOVE(w->owner->watches, w);
        free(w->path);
        free(w);
        return NULL;
}

void function_code_free(Manager *m)
{
        FunctionCode *fc = m->code;

        if (!fc)
                return;
        while (fc->entries)
                entry_free(fc->entries);
        while (fc->watches)
                watch_free(fc->watches);
        sd_event_source_disable_unref(fc->inotify_source);
        sd_event_source_disable_unref(fc->reload_event);
        safe_close(fc->inotify_fd);
        code_store_free(fc->store);
        free(fc);
        m->code = NULL;
}

static int on_reload(sd_event_source *s, void *userdata)
{
        Manager *m = userdata;

        if (!m->exiting)
                (void) declarations_load(m);
        return 0;
}

static void reload_later(FunctionCode *fc)
{
        (void) sd_event_source_set_enabled(fc->reload_event, SD_EVENT_ONESHOT);
}

static int watch_add_one(CodeWatch *w, const char *path)
{
        int wd, *wds;

        wd = inotify_add_watch(w->owner->inotify_fd, path, WATCH_MASK);
        if (wd < 0)
                return -errno;
        for (size_t k = 0; k < w->n_wds; k++)
                if (w->wds[k] == wd)
                        return 0;
        wds = reallocarray(w->wds, w->n_wds + 1, sizeof(int));
        if (!wds)
                return -ENOMEM;
        w->wds = wds;
        w->wds[w->n_wds++] = wd;
        return 0;
}

/* Watches path and the directories under it (not following symbolic links). */
static int watch_add_tree(CodeWatch *w, const char *path, unsigned depth)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        r = watch_add_one(w, path);
        if (r < 0 || depth >= WATCH_DEPTH_MAX)
                return r;
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)) && w->n_wds < WATCH_DIRS_MAX) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
                        return -ENOMEM;
                r = watch_add_tree(w, sub, depth + 1);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int on_watch_quiet(sd_event_source *s, uint64_t usec, void *userdata)
{
        CodeWatch *w = userdata;
        int r;

        w->first_change = 0;
        w->generation++;
        /* Directories made since are watched too; inotify hands out the same descriptor for one it has. */
        r = watch_add_tree(w, w->path, 0);
        if (r < 0)
                log_warning_errno(r, "Failed to watch all of code directory %s: %m", w->path);
        log_info("Code directory %s changed: loading the new code.", w->path);
        reload_later(w->owner);
        return 0;
}

static void watch_changed(CodeWatch *w)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), due;
        int r;

        if (!w->first_change)
                w->first_change = now;
        due = MIN(now + RELOAD_QUIET_USEC, w->first_change + RELOAD_MAX_WAIT_USEC);
        if (!w->timer) {
                r = sd_event_add_time(w->owner->manager->event, &w->timer, CLOCK_MONOTONIC, due,
                                      USEC_PER_MSEC, on_watch_quiet, w);
                if (r < 0) {
                        log_warning_errno(r, "Failed to wait for changes to %s to settle: %m", w->path);
                        (void) on_watch_quiet(NULL, 0, w);
                        return;
                }
                (void) sd_event_source_set_description(w->timer, "code-watch-quiet");
                return;
        }
        (void) sd_event_source_set_time(w->timer, due);
        (void) sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

static void watch_forget_wd(CodeWatch *w, int wd)
{
        for (size_t k = 0; k < w->n_wds; k++)
                if (w->wds[k] == wd) {
                        w->wds[k] = w->wds[--w->n_wds];
                        return;
                }
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        FunctionCode *fc = userdata;
        union {
                struct inotify_event event;
                char bytes[4096];
        } buf;
        ssize_t n;

        for (;;) {
                n = read(fd, &buf, sizeof(buf));
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(-errno,
                                                  "Failed to read the code directories' changes: %m");
                        return 0;
                }
                for (char *p = buf.bytes; p < buf.bytes + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        p += sizeof(struct inotify_event) + e->len;
                        for (CodeWatch *w = fc->watches; w; w = w->next) {
                                bool mine = e->mask & IN_Q_OVERFLOW;

                                for (size_t k = 0; !mine && k < w->n_wds; k++)
                                        mine = w->wds[k] == e->wd;
                                if (!mine)
                                        continue;
                                if (e->mask & IN_IGNORED)
                                        watch_forget_wd(w, e->wd);
                                else
                                        watch_changed(w);
                        }
                }
        }
}

int function_code_open(Manager *m)
{
        _cleanup_free_ FunctionCode *fc = NULL;
        int r;

        if (m->code)
                return 0;
        fc = calloc(1, sizeof(FunctionCode));
        if (!fc)
                return -ENOMEM;
        fc->manager = m;
        fc->inotify_fd = -EBADF;
        r = code_store_open(m->config.code_store, &fc->store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the code store %s: %m", m->config.code_store);
        fc->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fc->inotify_fd < 0)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(m->event, &fc->inotify_source, fc->inotify_fd, EPOLLIN, on_inotify, fc);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &fc->reload_event, on_reload, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(fc->reload_event, SD_EVENT_OFF);
        if (r < 0) {
                m->code = TAKE_PTR(fc);
                function_code_free(m);
                return log_error_errno(r, "Failed to watch code directories: %m");
        }
        (void) sd_event_source_set_description(fc->inotify_source, "code-watch");
        (void) sd_event_source_set_description(fc->reload_event, "code-reload");
        m->code = TAKE_PTR(fc);
        return 0;
}

static CodeWatch *watch_get(FunctionCode *fc, const char *path)
{
        CodeWatch *w;
        int r;

        for (w = fc->watches; w; w = w->next)
                if (strcmp(w->path, path) == 0)
                        return w;
        w = calloc(1, sizeof(CodeWatch));
        if (!w)
                return NULL;
        w->owner = fc;
        w->path = strdup(path);
        if (!w->path) {
                free(w);
                return NULL;
        }
        LIST_PREPEND(fc->watches, w);
        r = watch_add_tree(w, path, 0);
        if (r == -ENOMEM)
                return watch_free(w);
        if (r < 0)
                /* Its snapshot says what is wrong; once it is there, the next reload watches it. */
                log_debug("Cannot watch code directory %s yet: %s", path, strerror(-r));
        return w;
}

/* Appends "PATH DEV:INODE:SIZE:MTIME" of each file to *key: another file, or the same one changed, is
 * another key. A file that cannot be read gets a key of its own, and its error from the store. */
static int key_add_file(char **key, const char *path)
{
        struct stat st;
        char *k;

        if (stat(path, &st) < 0)
                st = (struct stat){};
        if (asprintf(&k, "%s\n%s %ju:%ju:%jd:%jd.%09ld", *key ?: "", path, (uintmax_t) st.st_dev,
                     (uintmax_t) st.st_ino, (intmax_t) st.st_size, (intmax_t) st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec) < 0)
                return -ENOMEM;
        free(*key);
        *key = k;
        return 0;
}

static int code_key(FunctionCode *fc, const CodeConfig *c, char **ret)
{
        _cleanup_free_ char *key = NULL;
        int r = 0;

        if (c->zip)
                r = key_add_file(&key, c->zip);
        else {
                CodeWatch *w = watch_get(fc, c->directory);

                if (!w)
                        return -ENOMEM;
                w->used = true;
                if (asprintf(&key, "dir %s generation %u", c->directory, w->generation) < 0)
                        return -ENOMEM;
        }
        for (char **l = c->layers; r >= 0 && l && *l; l++)
                r = key_add_file(&key, *l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(key);
        return 0;
}

static void on_prepared(CodeJob *job, int error, CodePrepared *result, const char *message, void *userdata)
{
        CodeEntry *e = userdata;
        FunctionCode *fc = e->owner;

        e->job = NULL;
        fc->n_jobs--;
        if (error < 0) {
                e->error = message ? strdup(message) : NULL;
                if (!e->error && asprintf(&e->error, "Preparing the code failed: %s", strerror(-error)) < 0)
                        e->error = NULL;
                if (!e->error)
                        log_oom();
        } else {
                e->prepared = *result;
                *result = (CodePrepared){};
                e->ready = true;
        }
        reload_later(fc);
}

static int entry_new(FunctionCode *fc, const CodeConfig *c, char **key, bool sync, CodeEntry **ret)
{
        _cleanup_free_ char *error = NULL;
        CodeSource src = { .zip = c->zip, .directory = c->directory, .layers = c->layers };
        CodeEntry *e;
        int r;

        e = calloc(1, sizeof(CodeEntry));
        if (!e)
                return -ENOMEM;
        e->owner = fc;
        e->key = TAKE_PTR(*key);
        LIST_PREPEND(fc->entries, e);

        if (!sync) {
                r = code_job_start(fc->manager->event, fc->store, &src, on_prepared, e, &e->job);
                if (r >= 0) {
                        fc->n_jobs++;
                        *ret = e;
                        return 0;
                }
                log_warning_errno(r, "Failed to prepare code off the event loop, preparing it now: %m");
        }
        r = code_store_prepare(fc->store, &src, &e->prepared, &error);
        if (r == -ENOMEM) {
                entry_free(e);
                return r;
        }
        if (r < 0) {
                e->error = TAKE_PTR(error);
                if (!e->error && asprintf(&e->error, "Preparing the code failed: %s", strerror(-r)) < 0) {
                        entry_free(e);
                        return -ENOMEM;
                }
        } else
                e->ready = true;
        *ret = e;
        return 0;
}

/* What a ready entry gives config c. */
static int code_apply(const CodeEntry *e, FunctionConfig *c)
{
        CodeConfig *code = c->code;
        const CodePrepared *p = &e->prepared;

        code->task_dir = strdup(p->task_dir);
        code->opt_dir = p->opt_dir ? strdup(p->opt_dir) : NULL;
        if (!code->task_dir || (p->opt_dir && !code->opt_dir))
                return -ENOMEM;
        memcpy(code->code_sha256, p->code_sha256, sizeof(code->code_sha256));
        code->code_size = p->code_size;
        if (!code_runtime_is_provided(code->runtime))
                return 0;
        /* Lambda looks for the custom runtime's bootstrap in the function's code, then in its layers. */
        if (p->task_bootstrap || p->opt_bootstrap) {
                code->bootstrap = strdup(p->task_bootstrap ? "/var/task/bootstrap" : "/opt/bootstrap");
                return code->bootstrap ? 0 : -ENOMEM;
        }
        if (asprintf(&code->error,
                     "Runtime %s runs the function's own bootstrap, but neither its code nor a layer has an "
                     "executable file named bootstrap at the top.",
                     code->runtime) < 0) {
                code->error = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int resolve_runtime(Manager *m, FunctionConfig *c)
{
        _cleanup_(runtime_image_done) RuntimeImage ri = {};
        _cleanup_free_ char *error = NULL;
        int r;

        r = code_runtime_image(c->code->runtime, m->config.runtimes, m->config.runtimes_dir, &ri, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* Never started; the runtime's name stands in for the image in what is shown of it. */
                c->image = strdup(c->code->runtime);
                c->code->error = TAKE_PTR(error);
                return c->image ? 0 : -ENOMEM;
        }
        c->image = TAKE_PTR(ri.image);
        c->pull = c->pull || ri.pull;
        return 1;
}

/* 1: c is resolved, 0: its code is being prepared. */
static int resolve_one(Manager *m, FunctionConfig *c, bool sync)
{
        FunctionCode *fc = m->code;
        _cleanup_free_ char *key = NULL;
        CodeEntry *e;
        int r;

        r = resolve_runtime(m, c);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = code_key(fc, c->code, &key);
        if (r < 0)
                return r;
        for (e = fc->entries; e; e = e->next)
                if (strcmp(e->key, key) == 0)
                        break;
        if (!e) {
                r = entry_new(fc, c->code, &key, sync, &e);
                if (r < 0)
                        return r;
        }
        e->used = true;
        if (e->job)
                return 0;
        if (e->error) {
                c->code->error = strdup(e->error);
                return c->code->error ? 1 : -ENOMEM;
        }
        r = code_apply(e, c);
        return r < 0 ? r : 1;
}

int function_code_resolve(Manager *m, Registry *reg, bool sync, Registry *pending)
{
        FunctionCode *fc;
        size_t k = 0;
        int r;

        for (k = 0; k < reg->n_functions && !reg->functions[k]->code; k++)
                ;
        if (k == reg->n_functions && !m->code)
                return 0;
        r = function_code_open(m);
        if (r < 0)
                return r;
        fc = m->code;
        for (CodeEntry *e = fc->entries; e; e = e->next)
                e->used = false;
        for (CodeWatch *w = fc->watches; w; w = w->next)
                w->used = false;

        for (k = 0; k < reg->n_functions;) {
                FunctionConfig *c = reg->functions[k];

                if (!c->code) {
                        k++;
                        continue;
                }
                r = resolve_one(m, c, sync);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (c->code->error)
                                log_error("Function '%s' cannot run: %s", c->name, c->code->error);
                        k++;
                        continue;
                }
                r = registry_add(pending, c);
                if (r < 0)
                        return r;
                memmove(reg->functions + k, reg->functions + k + 1,
                        (reg->n_functions - k - 1) * sizeof(FunctionConfig *));
                reg->n_functions--;
        }

        for (CodeEntry *e = fc->entries, *next; e; e = next) {
                next = e->next;
                if (!e->used)
                        entry_free(e);
        }
        for (CodeWatch *w = fc->watches, *next; w; w = next) {
                next = w->next;
                if (!w->used)
                        watch_free(w);
        }
        return 0;
}

int function_code_prepare(Manager *m, const CodeConfig *code, code_job_callback_t cb, void *userdata,
                          CodeJob **ret)
{
        CodeSource src = { .zip = code->zip, .directory = code->directory, .layers = code->layers };
        int r;

        r = function_code_open(m);
        if (r < 0)
                return r;
        return code_job_start(m->event, m->code->store, &src, cb, userdata, ret);
}

static int keep_code(char ***keep, const CodeConfig *c)
{
        int r = 0;

        if (c && c->task_dir)
                r = strv_extend(keep, c->task_dir);
        if (r >= 0 && c && c->opt_dir)
                r = strv_extend(keep, c->opt_dir);
        return r;
}

void function_code_collect(Manager *m)
{
        _cleanup_strv_free_ char **keep = NULL;
        FunctionCode *fc = m->code;
        int r = 0;

        /* A job may be about to move its result into place. */
        if (!fc || fc->n_jobs > 0)
                return;
        keep = calloc(1, sizeof(char *));
        if (!keep)
                return (void) log_oom();
        for (ManagedFunction *f = m->functions; r >= 0 && f; f = f->next)
                if (f->config)
                        r = keep_code(&keep, f->config->code);
        for (CodeEntry *e = fc->entries; r >= 0 && e; e = e->next) {
                if (r >= 0 && e->prepared.task_dir)
                        r = strv_extend(&keep, e->prepared.task_dir);
                if (r >= 0 && e->prepared.opt_dir)
                        r = strv_extend(&keep, e->prepared.opt_dir);
        }
        if (r >= 0)
                r = code_store_remove_unused(fc->store, keep);
        if (r < 0)
                log_warning_errno(r, "Failed to remove unused code from the store: %m");
}
