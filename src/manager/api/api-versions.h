/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-versions.h: the published versions of the control-plane API's functions (PublishVersion,
 * ListVersions). Version N of NAME is a function of its own, NAME:N (a name no function can have:
 * ':' is not in a function's name), with its own pool and instances, frozen: its declaration is
 * $LATEST's when it was published (with PublishVersion's description), its code the zip then stored
 * (content-addressed, kept while a version names it). It is kept in the store (api-store.h) and
 * loaded beside its function. Publishing when nothing changed since the last version answers that
 * version, as Lambda does; numbers are never given twice.
 */

#include <systemd/sd-bus.h>

#include "api-store.h"
#include "manager.h"
#include "registry.h"

/* The versions of API function name, from the store into reg (each logged and left out when it
 * cannot be read). -ENOMEM, or the store's -errno listing them. */
int api_versions_load(ApiStore *store, Registry *reg, const char *name);

int api_method_publish_version(sd_bus_message *message, void *userdata, sd_bus_error *error);
/* PublishVersion that, while the function's code (its last change's) is being loaded, answers once it
 * is (CreateFunction's and UpdateFunctionCode's Publish: true). */
int api_method_publish_version_when_ready(sd_bus_message *message, void *userdata, sd_bus_error *error);
/* A load of the declarations happened: the waiting PublishVersionWhenReady calls look again. */
void api_versions_loaded(Manager *m);
/* Answers the waiting calls (the manager stops) and frees them. */
void api_versions_waits_free(Manager *m);
int api_method_list_versions(sd_bus_message *message, void *userdata, sd_bus_error *error);
