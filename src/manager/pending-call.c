/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#include "bus-service.h"
#include "instance.h"
#include "lease-owner.h"
#include "log.h"
#include "managed-function.h"
#include "pending-call.h"
#include "util.h"

void pending_free(PendingCall *pc)
{
        if (!pc)
                return;
        pc->manager->n_pending--;
        sd_bus_message_unref(pc->message);
        free(pc);
}

int pending_new(Manager *m, ManagedFunction *f, sd_bus_message *message, CallKind kind, PendingCall **ret)
{
        PendingCall *pc = calloc(1, sizeof(PendingCall));

        if (!pc)
                return -ENOMEM;
        *pc = (PendingCall){
                .manager = m,
                .function = f,
                .message = sd_bus_message_ref(message),
                .kind = kind,
                .since = now_usec(CLOCK_MONOTONIC),
        };
        m->n_pending++;
        *ret = pc;
        return 0;
}

void pending_reply_error(PendingCall *pc, const char *name, const char *format, ...)
{
        va_list ap;
        /* Room for a start failure that quotes the container's last output. */
        char text[1024];

        va_start(ap, format);
        (void) vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        (void) sd_bus_reply_method_errorf(pc->message, name, "%s", text);
        pending_free(pc);
}

void pending_reply_configuration(PendingCall *pc, ManagedFunction *f)
{
        int r;

        r = bus_reply_function_configuration(pc->manager, pc->message, f);
        if (r < 0)
                log_warning_errno(r, "Failed to answer GetFunctionConfiguration: %m");
        pending_free(pc);
}

void pending_grant(Manager *m, PendingCall *pc, PoolInstance *slot, bool thawed)
{
        Instance *i = slot->userdata;
        ManagedFunction *f = pc->function;
        int r;

        if (pc->kind == CALL_ENSURE) {
                PoolActions a = {};

                /* EnsureContainer only makes sure an instance runs: no lease stays behind. */
                r = sd_bus_reply_method_return(pc->message, "sqs", i->host, i->port, i->secret);
                pending_free(pc);
                if (pool_release(&f->pool, slot, true, now_usec(CLOCK_MONOTONIC), &a) < 0)
                        log_oom();
                manager_apply(m, f, &a, NULL);
                pool_actions_done(&a);
                return;
        }

        r = lease_owner_track(m, pc->message);
        if (r < 0)
                log_warning_errno(r,
                                  "Failed to track the lease holder; the lease ends only with Release: %m");
        r = sd_bus_reply_method_return(pc->message, "ssqbs", i->id, i->host, i->port, thawed, i->secret);
        if (r < 0)
                log_warning_errno(r, "Failed to answer Acquire: %m");
        pending_free(pc);
}

void pending_fail(Manager *m, PendingCall *pc, int error)
{
        ManagedFunction *f = pc->function;

        switch (error) {
        case -EBUSY:
                /* Gave up waiting: say why, a start that failed meanwhile being the likelier cause. */
                if (f->start_message && f->start_failed_usec >= pc->since)
                        return pending_reply_error(
                                pc, f->start_error,
                                "No instance of '%s' became free in time; its last start failed: %s",
                                f->name, f->start_message);
                if (m->budget.limit > 0 && m->budget.used + f->pool.limits.memory_bytes > m->budget.limit &&
                    f->pool.n_instances < f->pool.limits.max_instances)
                        return pending_reply_error(pc, LAMBDAD_ERROR_LIMIT_EXCEEDED,
                                                   "No instance of '%s' could start in time: the memory "
                                                   "budget of %llu MiB is in "
                                                   "use by instances that are busy.",
                                                   f->name, (unsigned long long) (m->budget.limit >> 20));
                return pending_reply_error(
                        pc, LAMBDAD_ERROR_LIMIT_EXCEEDED,
                        "ManagedFunction '%s' is at its limit of %u instances (%u busy, %u starting) and "
                        "none became free in time.",
                        f->name, f->pool.limits.max_instances, pool_count(&f->pool, INSTANCE_LEASED),
                        pool_count(&f->pool, INSTANCE_STARTING));
        case -EIO:
                return pending_reply_error(pc, m->fail_error ?: LAMBDAD_ERROR_START_FAILED, "%s",
                                           m->fail_message ?: "Starting an instance failed.");
        case -ECONNRESET:
                /* The caller is gone; nobody reads this. */
                return pending_free(pc);
        case -EAGAIN:
                /* The function's declaration changed: the call waits for the new one
                 * (pending_requeued()). */
                pc->next = m->requeued;
                m->requeued = pc;
                return;
        default:
                return pending_reply_error(pc, LAMBDAD_ERROR_CANCELLED, "ManagedFunction '%s' was stopped.",
                                           pc->function->name);
        }
}

void pending_requeued(Manager *m)
{
        PendingCall *calls = TAKE_PTR(m->requeued);

        while (calls) {
                PendingCall *pc = calls;
                ManagedFunction *f;
                int r;

                calls = pc->next;
                pc->next = NULL;
                /* The old function, removed, lives on until the loop's next turn: its name is still there.
                 */
                r = function_for_call(m, pc->function->name, pc, &f);
                if (r == -ENOENT)
                        pending_reply_error(pc, LAMBDAD_ERROR_FUNCTION_NOT_FOUND,
                                            "ManagedFunction not found: its declaration was removed.");
                else if (r < 0)
                        pending_reply_error(pc, SD_BUS_ERROR_NO_MEMORY, "Out of memory.");
                else if (f)
                        function_acquire(f, pc);
        }
}

void pending_drop_requeued(Manager *m)
{
        while (m->requeued) {
                PendingCall *pc = m->requeued;

                m->requeued = pc->next;
                pending_reply_error(pc, LAMBDAD_ERROR_CANCELLED, "lambda-manager is stopping.");
        }
}
