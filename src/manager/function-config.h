/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * function-config.h: one function as the operator declared it, parsed from its JSON declaration and
 * validated key by key. Pure, so it can be tested and fuzzed; the directory of declarations is read
 * by registry.h, the file and JSON handling shared with other config files is config-file.h.
 *
 * Format: DIR/NAME.json (DIR is /etc/lambdad/functions.d by default). NAME is the file name without
 * ".json" and must be a valid AWS function name: 1 to 64 characters of [A-Za-z0-9_-]. Files not ending
 * in ".json" (editor backups, a README) and hidden files (editor lock files) are ignored; everything
 * else must be a regular file (symbolic links are refused) of at most 64 KiB holding one strict JSON
 * object (no comments, no trailing commas or data, valid UTF-8):
 *
 *   {
 *     "image": "hello:latest",         required but for zip functions: a Docker image reference, 1 to
 *                                      255 characters of [A-Za-z0-9._/:@-], not starting with '-'
 *     "environment": {"KEY": "VALUE"}, strings; names [A-Za-z_][A-Za-z0-9_]*, at most 4 KiB of names and
 *                                      values in total (as AWS); the variables lambdad sets itself
 *                                      (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, ..._MEMORY_SIZE,
 *                                      ..._TIMEOUT, ..._VERSION, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR,
 *                                      LAMBDA_RIE_SECRET) are refused
 *     "environment_files": {"KEY": "/PATH"}, variables whose values are the contents of files, read
 *                                      when the declarations load (registry_load()); the same names
 *                                      rules, not also in "environment", counted in the same 4 KiB
 *                                      (function-env.h)
 *     "memory_mb": 128,                integer 128..10240, default 128
 *     "timeout_sec": 3,                integer 1..900, default 3
 *     "cpus": 1.0,                     number 0.01..64; omitted: no CPU limit
 *     "min_instances": 0,              integer 0..max_instances, default 0
 *     "max_instances": 4,              integer 0..1000, default 4; 0 throttles the function (every
 *                                      invocation refused, AWS's reserved concurrency 0)
 *     "idle_timeout_sec": 300,         integer 1..86400, default 300: keep-alive of idle instances
 *     "spare_instances": 0,            integer 0..max_instances, default 0: instances kept started
 *                                      (and frozen) beyond current demand, refilled after a scale-out
 *     "freeze_after_ms": 1000,         integer 0..86400000, default 1000: idle instances are paused in
 *                                      the engine after this (no CPU; thawed when leased); 0: never
 *     "pull": false,                   boolean, default false: the image is pulled only when true
 *     "entrypoint": ["/app/run"],      Lambda's ImageConfig: replace the image's ENTRYPOINT (1 to 1500
 *     "command": ["app.handler"],      strings), CMD (0 to 1500 strings) or WORKDIR (an absolute path of
 *     "working_directory": "/app",     at most 1000 characters), each on its own
 *     "user": "993:990",               the user the function runs as, "UID[:GID]" or "NAME[:GROUP]";
 *                                      default 993:990, Lambda's unprivileged sbx_user1051
 *     "network": "isolated",           "isolated" (the default where the manager can isolate: no
 *                                      connection to other instances) or "shared" (the engine's default
 *                                      bridge, as before)
 *     "engine_runtime": "runsc",       the OCI runtime the engine runs its containers with (gVisor's
 *                                      runsc, Kata's kata-runtime, ...: a name from the engine's
 *                                      /info Runtimes, checked before the first start); default: the
 *                                      engine's own
 *     "maximum_retry_attempts": 2,     Event invocations: retries after a function error, 0..2
 *     "maximum_event_age_sec": 21600,  Event invocations: dropped past this age, 60..21600
 *     "on_success": {"function": "F"}, where a successful Event's record goes: {"function": NAME} or
 *     "on_failure": {"directory": "/D"} {"directory": "/ABSOLUTE/PATH"}; whether the function is
 *                                      declared and the directory allowed is checked on load
 *                                      (declarations.h), not here
 *     "url": {"auth": "NONE"}          a Function URL: see url-config.h; omitted: none (the gateway
 *                                      answers its URL paths 404)
 *     "description": "what it does",   at most 256 characters, as AWS's Description
 *     "tags": {"team": "web"}          AWS's tags: at most 50, keys 1 to 128 characters, values at
 *                                      most 256, strings
 *   }
 *
 * A zip function says "runtime", "handler" and "code" or "code_directory" (and "layers") instead of
 * "image", "entrypoint", "command" and "working_directory": see code-config.h.
 *
 * Unknown keys and values of the wrong JSON type are errors, so a typo never passes silently. Each
 * error message names the field and what was expected.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "code-config.h"
#include "config-file.h"
#include "macro.h"
#include "url-config.h"

struct json_object;

/* How an invalid function name is explained. */
#define FUNCTION_NAME_EXPECTED "1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"

/* Who function code runs as unless a declaration says otherwise: Lambda's sbx_user1051. */
#define CONTAINER_USER_DEFAULT "993:990"

/* Whom a function's instances may open connections to ("network" in a declaration). */
typedef enum FunctionNetwork {
        FUNCTION_NETWORK_DEFAULT,  /* not said: isolated where the manager can isolate, else shared */
        FUNCTION_NETWORK_ISOLATED, /* the outside world, but no other instance (a bridge without ICC) */
        FUNCTION_NETWORK_SHARED,   /* the engine's default bridge (or --network): everything on it */
        FUNCTION_NETWORK_NONE,     /* no network at all: invoked over a unix socket (instance-socket.h) */
} FunctionNetwork;

typedef struct FunctionConfig {
        char *name;
        char *image;
        char **env;       /* "KEY=VALUE" strv, sorted by key, never NULL (empty strv); once loaded
                           * (registry_load()), with environment_files' values too */
        char **env_files; /* "KEY=/PATH" strv from environment_files, sorted by key; NULL: none */
        unsigned memory_mb;
        unsigned timeout_sec;
        uint64_t nano_cpus; /* 0: no CPU limit */
        unsigned min_instances;
        unsigned spare_instances; /* kept started and unused beyond demand */
        unsigned max_instances;
        /* A published version's provisioned concurrency (not a declaration's key: the API keeps it
         * beside the version, api-store.h): kept started, as min_instances, within max_instances. */
        unsigned provisioned;
        uint64_t idle_timeout_usec;
        uint64_t freeze_after_usec; /* 0: never frozen */
        bool pull;
        char **entrypoint;       /* NULL: the image's */
        char **command;          /* NULL: the image's; empty: no arguments */
        char *working_directory; /* NULL: the image's */
        char *user;              /* NULL: CONTAINER_USER_DEFAULT */
        char *engine_runtime;    /* HostConfig.Runtime (runsc, kata-runtime, ...); NULL: the engine's */
        FunctionNetwork network;
        UrlConfig *url; /* NULL: no Function URL */
        bool implicit;  /* made by the NAME -> NAME:latest convention, not declared in a file */
        unsigned maximum_retry_attempts;
        unsigned maximum_event_age_sec;
        char *on_success; /* "function:NAME" or "directory:/PATH"; NULL: none */
        char *on_failure;
        CodeConfig *code;  /* a zip function's runtime, handler and code; NULL: an image function */
        char *description; /* NULL: none */
        char **tags;       /* "KEY=VALUE" strv sorted by key, never NULL (empty strv) */
        /* Not part of what the function is (function_config_equal() ignores them): */
        char *declaration; /* the JSON text it was parsed from; NULL for implicit functions */
        bool api;          /* made with the control-plane API (CreateFunction), not by the operator */
} FunctionConfig;

#define DESTINATION_FUNCTION_PREFIX  "function:"
#define DESTINATION_DIRECTORY_PREFIX "directory:"

bool function_name_is_valid(const char *name);
/* ... or NAME:N, the name of its published version N (api-functions.h). */
bool function_ref_is_valid(const char *name);
const char *function_network_to_string(FunctionNetwork n);
bool image_reference_is_valid(const char *image);
/* A container user as Docker's Config.User takes it: NAME or UID, optionally ":GROUP" or ":GID". */
bool container_user_is_valid(const char *user);
/* An absolute path without '.', '..', '//' or a trailing '/', and no control characters. */
bool destination_path_is_valid(const char *path);

FunctionConfig *function_config_free(FunctionConfig *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(FunctionConfig *, function_config_free);

/* Parses the len bytes of json as the config of function name. -EINVAL with *ret_error (malloc'd, the
 * caller frees and logs it with the file name) describing the problem, when ret_error is not NULL;
 * -ENOMEM. */
int function_config_parse(const char *name, const char *json, size_t len, FunctionConfig **ret,
                          char **ret_error);

/* The defaults with image "NAME:latest" and implicit set. -EINVAL when name, or the image made from
 * it, is invalid. */
int function_config_new_implicit(const char *name, FunctionConfig **ret);

/* Whether a and b describe the same function with the same settings, so that instances started for
 * one serve the other: on reload, warm instances of unchanged functions are kept. The implicit flag is
 * not compared: it says where the settings came from, not what they are. */
bool function_config_equal(const FunctionConfig *a, const FunctionConfig *b);
