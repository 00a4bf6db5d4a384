/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * bus-acquire: a lease holder for the manager's tests. Sends N concurrent Acquire calls for a
 * function on one system bus connection, prints one line per answer ("ok ID HOST PORT SECRET" or
 * "error NAME"), holds the leases for HOLD seconds (or releases them with --release), then exits,
 * which ends any lease still held. busctl cannot do this: it answers one call and disconnects.
 * "bus-acquire --watch SECONDS" prints the InstanceStopped signals instead.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define MAX_CALLS 1024

static unsigned answered, n_calls;
static char *leases[MAX_CALLS];
static unsigned n_leases;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *id, *host, *secret;
        uint16_t port;
        int thawed;

        answered++;
        if (e)
                printf("error %s\n", e->name);
        else if (sd_bus_message_read(m, "ssqbs", &id, &host, &port, &thawed, &secret) >= 0) {
                printf("ok %s %s %u %s\n", id, host, port, secret);
                if (n_leases < MAX_CALLS)
                        leases[n_leases++] = strdup(id);
        } else
                printf("error bad-reply\n");
        fflush(stdout);
        return 0;
}

static int on_stopped(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *id, *function, *reason;

        if (sd_bus_message_read(m, "sss", &id, &function, &reason) >= 0)
                printf("stopped %s %s %s\n", id, function, reason);
        fflush(stdout);
        return 0;
}

/* --watch SECONDS: print InstanceStopped signals for that long. */
static int watch(unsigned seconds)
{
        sd_bus *bus = NULL;
        uint64_t deadline;
        struct timespec ts;
        int r;

        if (sd_bus_open_system(&bus) < 0)
                return 1;
        r = sd_bus_match_signal(bus, NULL, "org.lambdad.Manager1", "/org/lambdad/Manager1",
                                "org.lambdad.Manager1", "InstanceStopped", on_stopped, NULL);
        if (r < 0)
                return 1;
        printf("watching\n");
        fflush(stdout);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        deadline = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) seconds * 1000000;
        for (;;) {
                uint64_t now;

                clock_gettime(CLOCK_MONOTONIC, &ts);
                now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
                if (now >= deadline)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return 1;
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

int main(int argc, char *argv[])
{
        sd_bus *bus = NULL;
        unsigned hold;
        bool release;
        int r;

        if (argc == 3 && strcmp(argv[1], "--watch") == 0)
                return watch((unsigned) atoi(argv[2]));
        if (argc < 4) {
                fprintf(stderr, "usage: bus-acquire FUNCTION N HOLD_SECONDS [--release]\n");
                return 2;
        }
        n_calls = (unsigned) atoi(argv[2]);
        hold = (unsigned) atoi(argv[3]);
        release = argc > 4 && strcmp(argv[4], "--release") == 0;
        if (n_calls == 0 || n_calls > MAX_CALLS)
                return 2;

        if (sd_bus_open_system(&bus) < 0) {
                fprintf(stderr, "bus-acquire: cannot connect to the system bus\n");
                return 1;
        }
        for (unsigned i = 0; i < n_calls; i++) {
                r = sd_bus_call_method_async(bus, NULL, "org.lambdad.Manager1", "/org/lambdad/Manager1",
                                             "org.lambdad.Manager1", "Acquire", on_reply, NULL, "s",
                                             argv[1]);
                if (r < 0) {
                        fprintf(stderr, "bus-acquire: %s\n", strerror(-r));
                        return 1;
                }
        }
        /* No event loop: its exit would close the connection, and with it the leases. */
        while (answered < n_calls) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0) {
                        fprintf(stderr, "bus-acquire: %s\n", strerror(-r));
                        return 1;
                }
        }

        if (release)
                for (unsigned i = 0; i < n_leases; i++) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;

                        if (sd_bus_call_method(bus, "org.lambdad.Manager1", "/org/lambdad/Manager1",
                                               "org.lambdad.Manager1", "Release", &e, NULL, "sb", leases[i],
                                               1) < 0)
                                printf("release-failed %s %s\n", leases[i], e.message ?: "");
                        sd_bus_error_free(&e);
                }
        fflush(stdout);
        sleep(hold);

        for (unsigned i = 0; i < n_leases; i++)
                free(leases[i]);
        sd_bus_flush_close_unref(bus);
        return 0;
}
