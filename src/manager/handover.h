/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * handover.h: how one lifetime of the manager passes its instances on to the next. The manager keeps a
 * record of who holds which lease, rewritten whenever the leases change, so that the next lifetime
 * (after a restart or a crash alike) gives every lease holder its instances back. Under systemd the
 * record is a memfd in the service's file descriptor store (FDSTORE=1, FDNAME=leases: kept across
 * restarts and crashes, dropped by `systemctl stop`); elsewhere the file "leases" in --state-dir.
 * Without either, adopted instances idle until their holders reclaim them.
 *
 * On SIGTERM it also decides whether a next lifetime is coming to take the instances over (then they
 * are left running) or not (then they are removed): under systemd, whether the unit's job is a restart;
 * elsewhere (docker-compose, Swarm), whether a lease holder is still on the bus 3 s later (serving on
 * meanwhile) and the bus itself still there.
 *
 * The record is text: the line "lambdad-leases 1", then one line "INSTANCE-ID OWNER" per lease, OWNER
 * being the holder's unique bus name. handover_parse() is pure and fuzzed.
 */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "manager.h"

#define HANDOVER_RECORD_MAGIC "lambdad-leases 1\n"
/* A record larger than this is refused: more leases than any manager holds. */
#define HANDOVER_RECORD_MAX ((size_t) 1024 * 1024)

typedef struct HandoverLease {
        char *id;
        char *owner;
} HandoverLease;

typedef struct HandoverRecord {
        HandoverLease *leases;
        size_t n;
} HandoverRecord;

void handover_record_done(HandoverRecord *r);

/* Parses a record. -EBADMSG for anything but the format above (a bad id or bus name, a repeated id, a
 * missing final newline), -ENOMEM. */
int handover_parse(const char *text, size_t len, HandoverRecord *ret);

/* The text of r, as handover_parse() reads it back. -ENOMEM. */
int handover_format(const HandoverRecord *r, char **ret);

/* The holder of instance id in r, or NULL. */
const char *handover_record_owner(const HandoverRecord *r, const char *id);

/* The holder of instance id in the earlier lifetime's record, or NULL. */
const char *handover_previous_owner(Manager *m, const char *id);

/* Reads the earlier lifetime's record into m->handover.previous and sets up this lifetime's. A record
 * that cannot be read or is malformed is logged and ignored. */
void handover_open(Manager *m);

/* Writes the record anew if the leases changed since the last time. */
void handover_sync(Manager *m);

void handover_close(Manager *m);

typedef void (*handover_decided_t)(Manager *m, bool hand_over);

/* Decides whether the instances are handed over to a next lifetime on exit, then calls done (at once,
 * once systemd has answered, or once the lease holders had a moment to leave). */
void handover_decide(Manager *m, handover_decided_t done);

/* A lease holder left the bus (while a decision waits for that). */
void handover_holder_left(Manager *m);

/* Ends a decision under way with "remove them" (the bus went away): whether there was one. */
bool handover_abort(Manager *m);
