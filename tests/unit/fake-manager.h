/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fake-manager.h: a real D-Bus for the gateway's tests (a private dbus-daemon, which the gateway
 * reaches as its system bus through DBUS_SYSTEM_BUS_ADDRESS) and a fake org.lambdad.Manager1 on it:
 * Acquire, Release, Reclaim and ListFunctions answer as each test sets them. The fake's connection runs in
 * the gateway's own event loop, so everything between the two is event-driven and in order.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

/* A test's main(): runs the group with the test bus up (dbus-daemon --session, DBUS_SYSTEM_BUS_ADDRESS
 * pointing at it), or exits 77 (skipped) saying why when
 * dbus-daemon is not installed. */
int test_bus_run_group(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup);
#define test_bus_run_tests(tests, setup) test_bus_run_group(#tests, tests, ELEMENTSOF(tests), setup)
/* The bus daemon goes away (its clients lose their connections) and a new one starts: a new
 * DBUS_SYSTEM_BUS_ADDRESS. */
void test_bus_restart(void);

typedef struct FakeFunction {
        const char *name, *image;
        const char *url_auth; /* GetFunctionConfiguration's UrlAuthType; NULL: no URL */
        const char *runtime;  /* its Runtime: a zip function (handler index.handler, CodeSize 123) */
} FakeFunction;

typedef struct FakeManager {
        sd_bus *bus;
        bool frozen;

        /* How Acquire answers: this error, or an instance at 127.0.0.1:acquire_port. */
        const char *acquire_error, *acquire_message;
        uint16_t acquire_port;
        uint16_t acquire_port_once; /* when set: the port of the next Acquire's instance only */
        bool acquire_hold;          /* keep the call in acquire_call, unanswered */
        bool acquire_thawed;        /* the reply says the instance was frozen */
        const char *acquire_secret; /* the instance's secret; NULL: a manager before secrets ("ssq") */
        sd_bus_message *acquire_call;
        unsigned n_acquire;
        char acquired_function[65];

        char released[8][32];
        bool released_healthy[8];
        unsigned n_released;

        /* Reclaim: absent unless set (a manager before it: UnknownMethod); keeps the ids named that
         * are in reclaim_keep. */
        bool reclaim;
        const char *const *reclaim_keep;
        bool reclaim_hold; /* keep the call in reclaim_call, unanswered */
        sd_bus_message *reclaim_call;
        unsigned n_reclaim;
        char reclaimed[8][32]; /* the ids the last call named */
        unsigned n_reclaimed;

        /* How ListFunctions answers: this error, a reply of the wrong type, or these functions. */
        const char *list_error, *list_message;
        bool list_bad_reply;
        bool list_hold; /* keep the call in list_call, unanswered */
        sd_bus_message *list_call;
        const FakeFunction *functions;
        unsigned n_functions;
        unsigned n_list;
} FakeManager;

/* Connects to the test bus in this loop and takes the manager's name. */
void fake_manager_connect(FakeManager *m, sd_event *event);
/* Leaves the bus (its name goes with it). */
void fake_manager_disconnect(FakeManager *m);
/* Stops (true) or resumes answering anything, Ping included: a manager that hangs. */
void fake_manager_freeze(FakeManager *m, sd_event *event, bool freeze);
void fake_manager_instance_stopped(FakeManager *m, const char *id, const char *function);
/* Answers the calls held with acquire_hold and list_hold. */
void fake_manager_answer_acquire(FakeManager *m);
void fake_manager_answer_reclaim(FakeManager *m);
void fake_manager_answer_list(FakeManager *m);
