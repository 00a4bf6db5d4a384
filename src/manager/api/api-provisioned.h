/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-provisioned.h: provisioned concurrency of the control-plane API's published versions
 * (PutProvisionedConcurrency, GetProvisionedConcurrency, DeleteProvisionedConcurrency,
 * ListProvisionedConcurrency). A version's provisioned concurrency N is that many instances of the
 * version's own function (NAME:N, api-versions.h) kept started, as its min_instances would keep them:
 * started at once, frozen once idle (freeze_after_ms), never stopped at their keep-alive, so that an
 * invocation finds one warm (a thaw, not a cold start); invocations beyond them start instances on
 * demand, within max_instances, as Lambda spills over to on-demand concurrency. The qualifier is a
 * version or an alias (which names its version when the configuration is put; an alias that routes to
 * two versions provisions its main one). $LATEST has none, as in Lambda. It is kept in the store beside
 * the version (api-store.h), applied when the version is loaded, and changed without restarting
 * anything: a lowered or deleted one stops the idle and frozen instances it no longer keeps.
 */

#include <systemd/sd-bus.h>

int api_method_put_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_get_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_delete_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error);
int api_method_list_provisioned(sd_bus_message *message, void *userdata, sd_bus_error *error);
