/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "docker-json.h"
#include "handover.h"
#include "strv.h"
#include "instance.h"
#include "log.h"
#include "util.h"

#define RECORD_FDNAME "leases"
#define RECORD_FILE   "leases"
/* Each question to systemd at exit; past it the instances are removed, as without a successor. */
#define SYSTEMD_QUERY_USEC (1 * USEC_PER_SEC)
/* Outside systemd: how long lease holders have to leave the bus after our SIGTERM. A deployment that
 * goes as a whole (`docker stack rm`) stops its gateway at the same moment. */
#define SETTLE_USEC (3 * USEC_PER_SEC)

struct HandoverState {
        HandoverRecord previous;
        int fd;               /* the memfd in systemd's store, or -1 */
        char *path;           /* or the file in --state-dir */
        char *text;           /* what was written last */
        uint64_t fingerprint; /* of the leases in it */
        handover_decided_t done;
        sd_bus_slot *query;
        sd_event_source *settle;
};

void handover_record_done(HandoverRecord *r)
{
        for (size_t k = 0; k < r->n; k++) {
                free(r->leases[k].id);
                free(r->leases[k].owner);
        }
        free(r->leases);
        *r = (HandoverRecord){};
}

/* A unique bus name as the bus daemon hands them out: ":" and at least two dot-separated elements of
 * [A-Za-z0-9_-], at most 255 characters. */
static bool unique_name_is_valid(const char *s, size_t len)
{
        size_t elements = 1, element_len = 0;

        if (len < 4 || len > 255 || s[0] != ':')
                return false;
        for (size_t k = 1; k < len; k++) {
                char c = s[k];

                if (c == '.') {
                        if (element_len == 0)
                                return false;
                        elements++;
                        element_len = 0;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '_' || c == '-')
                        element_len++;
                else
                        return false;
        }
        return elements >= 2 && element_len > 0;
}

const char *handover_record_owner(const HandoverRecord *r, const char *id)
{
        for (size_t k = 0; k < r->n; k++)
                if (strcmp(r->leases[k].id, id) == 0)
                        return r->leases[k].owner;
        return NULL;
}

int handover_parse(const char *text, size_t len, HandoverRecord *ret)
{
        _cleanup_(handover_record_done) HandoverRecord r = {};
        size_t magic = strlen(HANDOVER_RECORD_MAGIC);
        const char *p, *end = text + len;

        if (len > HANDOVER_RECORD_MAX || len < magic || memcmp(text, HANDOVER_RECORD_MAGIC, magic) != 0)
                return -EBADMSG;

        for (p = text + magic; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *sp;
                _cleanup_free_ char *id = NULL, *owner = NULL;
                HandoverLease *a;

                if (!nl)
                        return -EBADMSG;
                sp = memchr(p, ' ', (size_t) (nl - p));
                if (!sp || !unique_name_is_valid(sp + 1, (size_t) (nl - sp - 1)))
                        return -EBADMSG;
                id = strndup(p, (size_t) (sp - p));
                owner = strndup(sp + 1, (size_t) (nl - sp - 1));
                if (!id || !owner)
                        return -ENOMEM;
                if (strlen(id) != (size_t) (sp - p) || !docker_id_is_valid(id) ||
                    handover_record_owner(&r, id))
                        return -EBADMSG;

                a = realloc(r.leases, (r.n + 1) * sizeof(HandoverLease));
                if (!a)
                        return -ENOMEM;
                r.leases = a;
                r.leases[r.n++] = (HandoverLease){ .id = TAKE_PTR(id), .owner = TAKE_PTR(owner) };
                p = nl + 1;
        }

        *ret = r;
        r = (HandoverRecord){};
        return 0;
}

const char *handover_previous_owner(Manager *m, const char *id)
{
        return m->handover ? handover_record_owner(&m->handover->previous, id) : NULL;
}

/* Reads at most HANDOVER_RECORD_MAX bytes of fd from its start. */
static int read_record(int fd, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = malloc(HANDOVER_RECORD_MAX + 1);
        size_t n = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = pread(fd, buf + n, HANDOVER_RECORD_MAX + 1 - n, (off_t) n);

                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > HANDOVER_RECORD_MAX)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

static void load_previous(Manager *m, int fd, const char *where)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_record(fd, &text, &len);
        if (r >= 0 && len == 0)
                return; /* made, but nothing was leased */
        if (r >= 0)
                r = handover_parse(text, len, &m->handover->previous);
        if (r == -ENOMEM)
                (void) log_oom();
        else if (r < 0)
                log_warning_errno(r, "Ignoring the lease record in %s, which cannot be read: %m", where);
        else
                log_info("The lease record in %s names %zu lease(s).", where, m->handover->previous.n);
}

/* Systemd's store hands the record of the last lifetime back as a listen fd named RECORD_FDNAME. */
static int take_stored_fd(void)
{
        _cleanup_strv_free_ char **names = NULL;
        int n, fd = -1;

        n = sd_listen_fds_with_names(true, &names);
        for (int k = 0; k < n; k++) {
                if (fd < 0 && names && names[k] && strcmp(names[k], RECORD_FDNAME) == 0)
                        fd = SD_LISTEN_FDS_START + k;
                else
                        (void) close(SD_LISTEN_FDS_START + k);
        }
        if (fd >= 0)
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return fd;
}

/* A service of systemd's (not a process that merely inherited NOTIFY_SOCKET): systemd sets both.
 * Which unit is asked of systemd itself, by pid: sd_pid_get_unit() needs /proc/1, which the unit's
 * ProtectProc=invisible hides. */
static bool under_systemd(void)
{
        return getenv("NOTIFY_SOCKET") && getenv("INVOCATION_ID");
}

static int open_store(Manager *m)
{
        HandoverState *h = m->handover;
        int r;

        h->fd = take_stored_fd();
        if (h->fd >= 0) {
                load_previous(m, h->fd, "systemd's file descriptor store");
                return 0;
        }
        if (!under_systemd())
                return -ENOENT;

        h->fd = memfd_create("lambdad-leases", MFD_CLOEXEC);
        if (h->fd < 0)
                return -errno;
        r = sd_pid_notify_with_fds(0, false, "FDSTORE=1\nFDNAME=" RECORD_FDNAME, &h->fd, 1);
        if (r <= 0) {
                h->fd = safe_close(h->fd);
                return r < 0 ? r : -ENOENT;
        }
        return 0;
}

static int open_file(Manager *m)
{
        HandoverState *h = m->handover;
        _cleanup_close_ int fd = -1;

        if (asprintf(&h->path, "%s/" RECORD_FILE, m->config.state_dir) < 0)
                return -ENOMEM;
        fd = open(h->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
                load_previous(m, fd, h->path);
        else if (errno != ENOENT)
                log_warning_errno(-errno, "Failed to open the lease record %s: %m", h->path);
        return 0;
}

void handover_open(Manager *m)
{
        int r;

        m->handover = calloc(1, sizeof(HandoverState));
        if (!m->handover) {
                (void) log_oom();
                return;
        }
        m->handover->fd = -1;
        r = m->config.state_dir ? open_file(m) : open_store(m);
        if (r == -ENOENT)
                log_info("No place for a lease record (--state-dir, or systemd's FileDescriptorStoreMax=): "
                         "after a restart, adopted instances idle until their holders reclaim them.");
        else if (r < 0)
                log_warning_errno(r, "Failed to set up the lease record: %m");
}

int handover_format(const HandoverRecord *r, char **ret)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fputs(HANDOVER_RECORD_MAGIC, f);
        for (size_t k = 0; k < r->n; k++)
                fprintf(f, "%s %s\n", r->leases[k].id, r->leases[k].owner);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

/* The record of the leases held now (EnsureContainer's leases, which end at once, have no owner). */
static int build_text(Manager *m, char **ret)
{
        _cleanup_free_ HandoverLease *leases = calloc(m->n_instances + 1, sizeof(HandoverLease));
        HandoverRecord r = { .leases = leases };

        if (!leases)
                return -ENOMEM;
        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && i->slot->state == INSTANCE_LEASED && i->slot->owner && i->slot->owner[0])
                        leases[r.n++] = (HandoverLease){ .id = i->id, .owner = i->slot->owner };
        return handover_format(&r, ret);
}

static int write_file(const char *path, const char *text)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = strlen(text);

        /* The record has to outlive the process, not the machine (its containers do not either):
         * rename() without fsync(). */
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        if (rename(tmp, path) < 0)
                return -errno;
        return 0;
}

static int write_fd(int fd, const char *text)
{
        size_t len = strlen(text);

        if (pwrite(fd, text, len, 0) != (ssize_t) len)
                return errno > 0 ? -errno : -EIO;
        if (ftruncate(fd, (off_t) len) < 0)
                return -errno;
        return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return (h ^ 0xff) * 1099511628211ULL; /* the end of s: "ab"+"c" is not "a"+"bc" */
}

/* Which leases there are, without allocating: this runs after every pool decision (for each of a
 * thousand functions on each tick), and most change no lease. */
static uint64_t leases_fingerprint(Manager *m)
{
        uint64_t h = 14695981039346656037ULL;

        for (Instance *i = m->instances; i; i = i->next)
                if (i->id && i->slot->state == INSTANCE_LEASED && i->slot->owner && i->slot->owner[0])
                        h = fnv1a(fnv1a(h, i->id), i->slot->owner);
        return h;
}

void handover_sync(Manager *m)
{
        HandoverState *h = m->handover;
        _cleanup_free_ char *text = NULL;
        uint64_t fingerprint;
        int r;

        if (!h || (h->fd < 0 && !h->path))
                return;
        fingerprint = leases_fingerprint(m);
        if (h->text && fingerprint == h->fingerprint)
                return;
        r = build_text(m, &text);
        if (r < 0) {
                (void) log_oom();
                return;
        }
        if (h->text && strcmp(h->text, text) == 0)
                return;
        r = h->fd >= 0 ? write_fd(h->fd, text) : write_file(h->path, text);
        if (r < 0) {
                log_warning_errno(r, "Failed to write the lease record: %m");
                return;
        }
        free(h->text);
        h->text = TAKE_PTR(text);
        h->fingerprint = fingerprint;
}

void handover_close(Manager *m)
{
        HandoverState *h = m->handover;

        if (!h)
                return;
        handover_record_done(&h->previous);
        sd_bus_slot_unref(h->query);
        sd_event_source_disable_unref(h->settle);
        safe_close(h->fd);
        free(h->path);
        free(h->text);
        free(h);
        m->handover = NULL;
}

static void decided(Manager *m, bool hand_over)
{
        HandoverState *h = m->handover;
        handover_decided_t done = h->done;

        h->query = sd_bus_slot_unref(h->query);
        h->settle = sd_event_source_disable_unref(h->settle);
        h->done = NULL;
        done(m, hand_over);
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;

        decided(m, m->tracks != NULL);
        return 0;
}

void handover_holder_left(Manager *m)
{
        if (m->handover && m->handover->settle && !m->tracks)
                decided(m, false);
}

bool handover_abort(Manager *m)
{
        if (!m->handover || !m->handover->done)
                return false;
        decided(m, false);
        return true;
}

/* The last answer: the type of the job that stops us. A restart is followed by a next lifetime. */
static int on_job_type(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Manager *m = userdata;
        const char *type = NULL;

        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "v", "s", &type);
        log_debug("The job stopping lambda-manager is '%s'.", type ?: "?");
        decided(m, type && strstr(type, "restart"));
        return 0;
}

/* One question to systemd, bounded by SYSTEMD_QUERY_USEC (not D-Bus's 25 s: we are stopping): with
 * arguments (s, s) or, when arg1 is NULL, our pid (u). */
static int ask_systemd(Manager *m, const char *path, const char *interface, const char *member,
                       sd_bus_message_handler_t handler, const char *arg1, const char *arg2)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        HandoverState *h = m->handover;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.systemd1", path, interface,
                                           member);
        if (r >= 0)
                r = arg1 ? sd_bus_message_append(call, "ss", arg1, arg2)
                         : sd_bus_message_append(call, "u", (uint32_t) getpid());
        if (r < 0)
                return r;
        h->query = sd_bus_slot_unref(h->query);
        return sd_bus_call_async(m->bus, &h->query, call, handler, m, SYSTEMD_QUERY_USEC);
}

static int ask_property(Manager *m, const char *path, const char *interface, const char *property,
                        sd_bus_message_handler_t handler)
{
        return ask_systemd(m, path, "org.freedesktop.DBus.Properties", "Get", handler, interface, property);
}

static int on_unit_job(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Manager *m = userdata;
        const char *path;
        uint32_t id;

        /* No job: a signal from elsewhere (kill, the OOM killer): nothing says a next lifetime comes. */
        if (sd_bus_message_is_method_error(reply, NULL) ||
            sd_bus_message_read(reply, "v", "(uo)", &id, &path) < 0 || id == 0 ||
            ask_property(m, path, "org.freedesktop.systemd1.Job", "JobType", on_job_type) < 0)
                decided(m, false);
        return 0;
}

static int on_unit(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Manager *m = userdata;
        const char *path;

        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "o", &path) < 0 ||
            ask_property(m, path, "org.freedesktop.systemd1.Unit", "Job", on_unit_job) < 0)
                decided(m, false);
        return 0;
}

void handover_decide(Manager *m, handover_decided_t done)
{
        HandoverState *h = m->handover;
        int r;

        if (h && h->done)
                return; /* a second SIGTERM while deciding */
        if (!h || !m->bus || m->config.handover == HANDOVER_NEVER)
                return done(m, false);
        if (m->config.handover == HANDOVER_ALWAYS)
                return done(m, true);

        /* docker-compose stops the gateway before the manager when the whole deployment goes, Swarm
         * at the same time, and both leave it running when only the manager restarts. */
        if (!under_systemd()) {
                if (!m->tracks)
                        return done(m, false);
                h->done = done;
                r = sd_event_add_time_relative(m->event, &h->settle, CLOCK_MONOTONIC, SETTLE_USEC,
                                               10 * USEC_PER_MSEC, on_settled, m);
                if (r < 0) {
                        h->done = NULL;
                        return done(m, true);
                }
                (void) sd_event_source_set_description(h->settle, "handover-settle");
                return;
        }

        h->done = done;
        r = ask_systemd(m, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "GetUnitByPID",
                        on_unit, NULL, NULL);
        if (r < 0) {
                log_warning_errno(r, "Failed to ask systemd whether lambda-manager restarts: %m");
                h->done = NULL;
                done(m, false);
        }
}
