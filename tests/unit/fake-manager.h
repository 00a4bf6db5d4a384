/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fake-manager.h: a real D-Bus for the gateway's tests (a private dbus-daemon, which the gateway
 * reaches as its system bus through DBUS_SYSTEM_BUS_ADDRESS) and a fake org.lambdad.Manager1 on it:
 * Acquire, Release, Reclaim, ListFunctions, GetFunctionConfiguration and the control plane's
 * CreateFunction, UpdateFunction, DeleteFunction, PublishVersion[WhenReady], ListVersions and the
 * aliases' methods answer as each test sets them. The fake's connection
 * runs in the gateway's own event loop, so everything between the two is event-driven and in order.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "lambda-contract.h"
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
        /* When set, GetFunctionConfiguration also says Source "api", this Declaration, RevisionId
         * "rev-1", LastModified, PackageType, and State and LastUpdateStatus (these, or Active and
         * Successful). */
        const char *declaration;
        const char *state, *last_update_status;
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
        char acquired_function[LAMBDA_FUNCTION_REF_MAX + 1];

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

        /* CreateFunction, UpdateFunction, DeleteFunction: absent when api_absent (a manager before
         * them: UnknownMethod). They answer this error, or the configuration of what they were given
         * (Declaration: the declaration or changes; PackageType Image when it names an "image", else
         * Zip with State Pending and LastUpdateStatus InProgress; RevisionId "rev-N"). */
        bool api_absent;
        const char *api_error, *api_message;
        bool api_hold; /* keep the call in api_call, unanswered */
        sd_bus_message *api_call;
        unsigned n_api;
        /* The last call's arguments: the method, the function, the revision (UpdateFunction), the
         * declaration or changes, the file descriptors in zip and the bytes of the first (read from
         * its start), and whether it was sealed against writes. */
        char api_method[32], api_function[65], api_revision[128];
        char *api_declaration; /* PublishVersion: "CODESHA256|DESCRIPTION" */
        /* The versions' and aliases' methods (PublishVersion, ListVersions, CreateAlias, GetAlias,
         * UpdateAlias, DeleteAlias, ListAliases): the alias, its FunctionVersion and weight (-1: none
         * given). GetFunctionConfiguration and ListVersions know version 1 of every function; GetAlias
         * knows "live" (version 1, 0.25 to version 2). */
        char api_alias[129], api_alias_version[32];
        double api_alias_weight;
        unsigned api_n_fds;
        Buf api_zip;
        bool api_zip_sealed;
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
void fake_manager_answer_api(FakeManager *m);
