/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * curl-glue.h: drives libcurl's multi interface from sd-event, so every outbound HTTP request (the
 * Docker Engine API, the gateway's upstream calls) runs on the daemon's one event loop without
 * blocking it. Sockets become io sources, curl's timeout a time source; finished transfers are
 * handed to the owner of each easy handle.
 */

#include <curl/curl.h>
#include <systemd/sd-event.h>

typedef struct CurlGlue CurlGlue;

/* Called once per finished transfer, after it was removed from the multi handle. */
typedef void (*curl_glue_done_t)(CurlGlue *g, CURL *easy, CURLcode result, void *userdata);

int curl_glue_new(CurlGlue **ret, sd_event *event, curl_glue_done_t on_done, void *userdata);
CurlGlue *curl_glue_free(CurlGlue *g);

/* Starts a transfer. The easy handle stays the caller's; it must outlive the transfer or be removed. */
int curl_glue_add(CurlGlue *g, CURL *easy);
/* Cancels a transfer in flight (no done callback follows). */
void curl_glue_remove(CurlGlue *g, CURL *easy);
