/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "queue-dir.h"

/* A queue file is its head and a payload of at most 1 MiB (what Event accepts) or a destination
 * record, which holds a request and a response. */
#define EVENT_FILE_MAX (LAMBDA_PAYLOAD_MAX + 2 * LAMBDA_EVENT_PAYLOAD_MAX)

static int open_dir_at(int at, const char *name, int *ret)
{
        int fd;

        if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

int queue_dirs_open(const char *state_directory, bool all, QueueDirs *ret)
{
        QueueDirs d = QUEUE_DIRS_NULL;
        int r = 0;

        if (mkdir(state_directory, 0700) < 0 && errno != EEXIST)
                return -errno;
        d.state_fd = open(state_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d.state_fd < 0)
                return -errno;
        r = open_dir_at(d.state_fd, "queue", &d.queue_fd);
        if (r >= 0 && all)
                r = open_dir_at(d.state_fd, "failed", &d.failed_fd);
        if (r >= 0 && all)
                r = open_dir_at(d.state_fd, "corrupt", &d.corrupt_fd);
        if (r < 0) {
                queue_dirs_close(&d);
                return r;
        }
        *ret = d;
        return 0;
}

void queue_dirs_close(QueueDirs *d)
{
        d->state_fd = safe_close(d->state_fd);
        d->queue_fd = safe_close(d->queue_fd);
        d->failed_fd = safe_close(d->failed_fd);
        d->corrupt_fd = safe_close(d->corrupt_fd);
}

void queue_event_file_name(const char *id, char buf[static QUEUE_EVENT_NAME_SIZE])
{
        (void) snprintf(buf, QUEUE_EVENT_NAME_SIZE, "%s" QUEUE_EVENT_SUFFIX, id);
}

static bool name_is_event_file(const char *name, char id[static UUID_STRING_MAX])
{
        size_t n = strlen(name);

        if (n != UUID_STRING_MAX - 1 + STRLEN(QUEUE_EVENT_SUFFIX) ||
            strcmp(name + UUID_STRING_MAX - 1, QUEUE_EVENT_SUFFIX) != 0)
                return false;
        memcpy(id, name, UUID_STRING_MAX - 1);
        id[UUID_STRING_MAX - 1] = 0;
        return queue_id_is_valid(id);
}

static int read_at(int dir_fd, const char *name, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t done = 0;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ELOOP ? -EBADMSG : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size > EVENT_FILE_MAX)
                return -EBADMSG;
        data = malloc((size_t) st.st_size + 1);
        if (!data)
                return -ENOMEM;
        while (done < (size_t) st.st_size) {
                ssize_t n = read(fd, data + done, (size_t) st.st_size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        data[done] = 0;
        *ret = TAKE_PTR(data);
        *ret_len = done;
        return 0;
}

/* Reads and parses the file name of queue_fd, which must hold the event id. */
static int read_event_file(int queue_fd, const char *name, const char *id, char **ret_data, QueueRecord *ret)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = read_at(queue_fd, name, &data, &len);
        if (r >= 0)
                r = queue_record_parse(data, len, ret);
        if (r >= 0 && strcmp(ret->id, id) != 0)
                r = -EBADMSG;
        if (r < 0)
                return r;
        *ret_data = TAKE_PTR(data);
        return 0;
}

int queue_event_read(int queue_fd, const char *id, char **ret_data, QueueRecord *ret)
{
        char name[QUEUE_EVENT_NAME_SIZE];

        queue_event_file_name(id, name);
        return read_event_file(queue_fd, name, id, ret_data, ret);
}

int queue_dir_foreach(int queue_fd, bool remove_partial, queue_visit_t visit, void *userdata)
{
        struct dirent *de;
        DIR *d;
        int r;

        r = opendir_at(queue_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                _cleanup_free_ char *data = NULL;
                char id[UUID_STRING_MAX];
                QueueRecord rec;
                int k;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_name[0] == '.') {
                        /* A write that never completed: its 202 was never sent. */
                        if (remove_partial)
                                (void) unlinkat(queue_fd, de->d_name, 0);
                        continue;
                }
                if (!name_is_event_file(de->d_name, id))
                        k = -EINVAL;
                else
                        k = read_event_file(queue_fd, de->d_name, id, &data, &rec);
                if (k == -ENOMEM) {
                        r = k;
                        break;
                }
                r = visit(de->d_name, k >= 0 ? &rec : NULL, MIN(k, 0), userdata);
                if (r < 0)
                        break;
                r = 0;
        }
        closedir(d);
        return r;
}

void queue_dir_prune(int dir_fd, uint64_t retention_usec, uint64_t now_usec)
{
        struct dirent *de;
        DIR *d;

        if (opendir_at(dir_fd, &d) < 0)
                return;
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if ((uint64_t) st.st_mtime * USEC_PER_SEC + retention_usec < now_usec)
                        (void) unlinkat(dir_fd, de->d_name, 0);
        }
        closedir(d);
}

/* ---- the operator's tool ---- */

static int print_event(const char *name, const QueueRecord *rec, int error, void *userdata)
{
        uint64_t now = now_usec(CLOCK_REALTIME);

        if (error == -EINVAL)
                return 0;
        if (!rec) {
                printf("%-36.*s (unreadable)\n", (int) (strlen(name) - STRLEN(QUEUE_EVENT_SUFFIX)), name);
                return 0;
        }
        printf("%-36s %-24s %-10" PRIu64 " %-8u %zu\n", rec->id, rec->function,
               (now - MIN(rec->enqueued_usec, now)) / USEC_PER_SEC, rec->attempts, rec->payload_len);
        return 0;
}

int event_queue_list(const char *state_directory)
{
        QueueDirs d;
        int r;

        r = queue_dirs_open(state_directory, false, &d);
        if (r < 0)
                return log_error_errno(r, "Failed to open %s/queue: %m", state_directory);
        printf("%-36s %-24s %-10s %-8s %s\n", "ID", "FUNCTION", "AGE_SEC", "ATTEMPTS", "BYTES");
        r = queue_dir_foreach(d.queue_fd, false, print_event, NULL);
        queue_dirs_close(&d);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s/queue: %m", state_directory);
        return 0;
}

int event_queue_delete(const char *state_directory, const char *id)
{
        char name[QUEUE_EVENT_NAME_SIZE];
        QueueDirs d;
        int r;

        if (strlen(id) != UUID_STRING_MAX - 1 || !queue_id_is_valid(id))
                return log_error_errno(-EINVAL, "Invalid event id '%s'.", id);
        r = queue_dirs_open(state_directory, false, &d);
        if (r < 0)
                return log_error_errno(r, "Failed to open %s/queue: %m", state_directory);
        queue_event_file_name(id, name);
        r = unlinkat(d.queue_fd, name, 0) < 0 ? -errno : 0;
        if (r >= 0)
                (void) fsync(d.queue_fd);
        queue_dirs_close(&d);
        if (r < 0)
                return log_error_errno(r, "Failed to delete event %s: %m", id);
        printf("Deleted %s.\n", id);
        return 0;
}
