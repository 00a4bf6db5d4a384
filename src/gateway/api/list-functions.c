/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "function-request.h"
#include "functions.h"
#include "lambda-contract.h"
#include "list-functions.h"
#include "manager-answer.h"
#include "log.h"
#include "manager-client.h"
#include "url-call.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

#define MAX_ITEMS_DEFAULT 50U

static int compare_function_names(const void *a, const void *b)
{
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b, *vx = NULL, *vy = NULL;

        (void) json_object_object_get_ex(x, "FunctionName", &vx);
        (void) json_object_object_get_ex(y, "FunctionName", &vy);
        return strcmp(json_object_get_string(vx) ?: "", json_object_get_string(vy) ?: "");
}

static json_object *function_entry(const Gateway *g, const char *name, const char *image)
{
        json_object *fn = json_object_new_object();
        char arn[256];

        if (!fn)
                return NULL;
        gateway_function_arn(g, name, arn, sizeof(arn));
        if (json_object_object_add(fn, "FunctionName", json_object_new_string(name)) < 0 ||
            json_object_object_add(fn, "FunctionArn", json_object_new_string(arn)) < 0 ||
            json_object_object_add(fn, "PackageType", json_object_new_string("Image")) < 0 ||
            json_object_object_add(fn, "Version", json_object_new_string("$LATEST")) < 0 ||
            json_object_object_add(fn, "Description", json_object_new_string(image)) < 0) {
                json_object_put(fn);
                return NULL;
        }
        return fn;
}

/* The page after lc->marker of the manager's list, or -EBADMSG/-ENOMEM. */
static int build_page(const Gateway *g, ListCall *lc, sd_bus_message *m, json_object **ret)
{
        unsigned max_items = lc->max_items ?: MAX_ITEMS_DEFAULT;
        json_object *root = NULL, *list = NULL;
        const char *name, *image;
        uint32_t min, max, n, idle;
        size_t count;
        int implicit, r;

        root = json_object_new_object();
        list = json_object_new_array();
        if (!root || !list) {
                json_object_put(root);
                json_object_put(list);
                return -ENOMEM;
        }
        json_object_object_add(root, "Functions", list);

        /* The manager lists in no order: every function after the marker (the last name of the
         * previous page) is taken, and the page is cut from them once they are sorted. */
        r = sd_bus_message_enter_container(m, 'a', "(ssbuuuu)");
        while (r > 0 && (r = sd_bus_message_read(m, "(ssbuuuu)", &name, &image, &implicit, &min, &max, &n,
                                                 &idle)) > 0) {
                json_object *fn;

                /* A published version is the manager's NAME:N: Lambda lists the functions alone. */
                if ((lc->marker[0] && strcmp(name, lc->marker) <= 0) || strchr(name, ':'))
                        continue;
                fn = function_entry(g, name, image);
                if (!fn || json_object_array_add(list, fn) < 0) {
                        json_object_put(fn);
                        json_object_put(root);
                        return -ENOMEM;
                }
        }
        if (r < 0) {
                json_object_put(root);
                return -EBADMSG;
        }
        /* By name, so that pages are stable. */
        json_object_array_sort(list, compare_function_names);
        count = json_object_array_length(list);
        if (count > max_items) {
                json_object *v;

                (void) json_object_array_del_idx(list, max_items, count - max_items);
                if (json_object_object_get_ex(json_object_array_get_idx(list, max_items - 1), "FunctionName",
                                              &v))
                        json_object_object_add(root, "NextMarker",
                                               json_object_new_string(json_object_get_string(v)));
        }
        *ret = root;
        return 0;
}

static void list_call_free(ListCall *lc)
{
        json_object_put(lc->page);
        free(lc->host);
        free(lc);
}

static void reply_page(ListCall *lc)
{
        ClientConn *c = lc->client;
        const char *body;

        if (!c)
                return;
        c->list_call = NULL;
        lc->client = NULL;
        body = json_object_to_json_string_ext(lc->page,
                                              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!body)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        client_reply_plain(c, 200, "application/json", body, strlen(body));
}

typedef struct UrlLookup {
        ListCall *lc;
        json_object *fn; /* the page's entry */
} UrlLookup;

/* What GetFunctionConfiguration says of the function beyond the list. A manager that says its
 * declaration: the whole FunctionConfiguration, as GetFunctionConfiguration gives it (its Description
 * the declaration's, no longer the image). One from before the control plane: a zip function's
 * PackageType "Zip", Runtime, Handler, CodeSha256 and CodeSize; an image function has none. */
static int add_settings(sd_bus_message *m, json_object *fn)
{
        static const char *const keys[] = { LAMBDAD_CONFIG_PACKAGE_TYPE, LAMBDAD_CONFIG_RUNTIME,
                                            LAMBDAD_CONFIG_HANDLER, LAMBDAD_CONFIG_CODE_SHA256 };
        _cleanup_(json_object_putp) json_object *full = NULL;
        ManagerFunction mf;
        FunctionContext ctx;
        json_object *name, *arn;
        int r;

        r = manager_function_read(m, &mf);
        if (r < 0)
                return r;
        if (!mf.declaration) {
                const char *values[] = { mf.package_type, mf.runtime, mf.handler, mf.code_sha256 };

                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (values[i] &&
                            json_object_object_add(fn, keys[i], json_object_new_string(values[i])) < 0)
                                return -ENOMEM;
                if (mf.has_code_size &&
                    json_object_object_add(fn, LAMBDAD_CONFIG_CODE_SIZE,
                                           json_object_new_int64((int64_t) mf.code_size)) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (!json_object_object_get_ex(fn, "FunctionName", &name) ||
            !json_object_object_get_ex(fn, "FunctionArn", &arn))
                return -EBADMSG;
        ctx = (FunctionContext){ .name = json_object_get_string(name),
                                 .arn = json_object_get_string(arn),
                                 .arch = lambda_architecture() };
        r = function_configuration_json(&mf, &ctx, &full);
        if (r < 0)
                return r;
        json_object_object_foreach(full, key, value)
        {
                if (json_object_object_add(fn, key, json_object_get(value)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int on_url_configuration(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        UrlLookup *u = userdata;
        ListCall *lc = u->lc;
        UrlSettings settings;
        json_object *name;
        char *url = NULL;

        /* A function that went away meanwhile, or a manager that cannot say: listed without a URL. */
        if (!sd_bus_message_is_method_error(m, NULL) && url_settings_read(m, &settings) >= 0 &&
            settings.auth && json_object_object_get_ex(u->fn, "FunctionName", &name) &&
            asprintf(&url, "http://%s/url/%s/", lc->host, json_object_get_string(name)) >= 0) {
                json_object_object_add(u->fn, "FunctionUrl", json_object_new_string(url));
                free(url);
        }
        if (!sd_bus_message_is_method_error(m, NULL) && add_settings(m, u->fn) < 0)
                log_debug("The manager's configuration of a function is invalid; listed without it.");
        free(u);
        if (--lc->pending > 0)
                return 0;
        reply_page(lc);
        list_call_free(lc);
        return 0;
}

/* Asks for the configuration of each function on the page; the answer goes when the last one is in. */
static void lookup_urls(Gateway *g, ListCall *lc)
{
        json_object *list = NULL;

        (void) json_object_object_get_ex(lc->page, "Functions", &list);
        lc->pending = 1; /* this loop's own, so that no answer replies before every call is out */
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                json_object *fn = json_object_array_get_idx(list, i), *name;
                UrlLookup *u;
                int r;

                if (!json_object_object_get_ex(fn, "FunctionName", &name) ||
                    !(u = malloc(sizeof(UrlLookup))))
                        continue;
                *u = (UrlLookup){ lc, fn };
                r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME,
                                                   LAMBDAD_MANAGER_OBJECT, LAMBDAD_MANAGER_INTERFACE,
                                                   "GetFunctionConfiguration");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", json_object_get_string(name));
                if (r >= 0)
                        r = sd_bus_call_async(g->bus, NULL, m, on_url_configuration, u,
                                              g->config.manager_timeout_usec);
                if (r < 0) {
                        log_debug("Cannot ask for the URL of '%s': %s", json_object_get_string(name),
                                  strerror(-r));
                        free(u);
                        continue;
                }
                lc->pending++;
        }
        if (--lc->pending > 0)
                return;
        reply_page(lc);
        list_call_free(lc);
}

static int on_listed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ListCall *lc = userdata;
        ClientConn *c = lc->client;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        json_object *root = NULL;
        Gateway *g;
        int status, r;

        if (!c) {
                list_call_free(lc);
                return 0;
        }
        g = c->gateway;
        c->list_call = NULL;
        if (e) {
                const char *type = manager_error_status(e, &status);

                g->metrics.manager_errors += status == 503;
                client_reply_error(c, NULL, NULL, status, type, e->message ?: "The function manager failed.",
                                   NULL);
                list_call_free(lc);
                return 0;
        }

        r = build_page(g, lc, m, &root);
        if (r < 0) {
                list_call_free(lc);
                client_reply_error(c, NULL, NULL, r == -ENOMEM ? 500 : 502, "ServiceException",
                                   r == -ENOMEM ? "Out of memory." : "The manager's list is invalid.", NULL);
                return 0;
        }
        g->manager_known = true;
        lc->page = root;
        /* The client waits on lc still (c->list_call), until the URLs are known. */
        c->list_call = lc;
        lookup_urls(g, lc);
        return 0;
}

void list_functions_handle(ClientConn *c, const Route *route)
{
        Gateway *g = c->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        ListCall *lc;
        int r;

        lc = calloc(1, sizeof(ListCall));
        if (!lc)
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        *lc = (ListCall){ .client = c, .max_items = route->max_items };
        memcpy(lc->marker, route->marker, sizeof(lc->marker));
        /* Valid (client.c checked it) and required of HTTP/1.1; an HTTP/1.0 client without one gets
         * the listening address's usual name. */
        lc->host = strdup(http_request_header(&c->http->req, "Host") ?: "localhost");
        if (!lc->host) {
                free(lc);
                return client_reply_error(c, NULL, NULL, 500, "ServiceException", "Out of memory.", NULL);
        }

        r = sd_bus_message_new_method_call(g->bus, &m, LAMBDAD_MANAGER_BUS_NAME, LAMBDAD_MANAGER_OBJECT,
                                           LAMBDAD_MANAGER_INTERFACE, "ListFunctions");
        if (r >= 0)
                r = sd_bus_call_async(g->bus, NULL, m, on_listed, lc, g->config.manager_timeout_usec);
        if (r < 0) {
                list_call_free(lc);
                g->metrics.manager_errors++;
                return client_reply_error(c, NULL, NULL, 503, "ServiceException",
                                          "The function manager is not reachable.", NULL);
        }
        c->list_call = lc;
}
