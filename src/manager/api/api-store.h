/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * api-store.h: where the functions made with the control-plane API live (--api-functions-dir), so that
 * they survive restarts and reboots. NAME.json is the function's declaration, in the functions
 * directory's format (function-config.h), read by the same loader; NAME.meta its revision and time of change
 * ({"revision_id": UUID, "last_modified_usec": N}); uploads/HEX.zip the zips uploaded, named by the
 * SHA-256 of their bytes, which the declarations name as their "code". Every file is written whole or
 * not at all (file-util.h). File system only; the caller logs.
 */

#include <stdint.h>

#include "macro.h"
#include "util.h"

/* A version's or an alias's name, at most. */
#define API_QUALIFIER_MAX 128

struct json_object;
typedef struct ApiStore ApiStore;

typedef struct ApiMeta {
        char revision_id[UUID_STRING_MAX];
        uint64_t last_modified_usec; /* CLOCK_REALTIME */
} ApiMeta;

/* Opens dir (absolute), making it and dir/uploads (0700) if missing. */
int api_store_open(const char *dir, ApiStore **ret);
ApiStore *api_store_free(ApiStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiStore *, api_store_free);

const char *api_store_dir(const ApiStore *s);

/* Copies the zip that fd holds (from its start, whatever its offset) into uploads/, at most max bytes:
 * *ret_path is where it is (an earlier upload of the same bytes is reused). -EFBIG past max, -errno. */
int api_store_save_zip(ApiStore *s, int fd, uint64_t max, char **ret_path);

/* NAME.meta, then NAME.json. A version's name is NAME:N: NAME:N.meta, NAME:N.version (not loaded as
 * the functions directory's files are), and NAME.versions, the highest version NAME ever had. */
int api_store_write(ApiStore *s, const char *name, const char *declaration, const ApiMeta *meta);
/* -ENOENT when there is none. */
int api_store_read(ApiStore *s, const char *name, char **ret_declaration, ApiMeta *ret_meta);
/* A function goes with its versions and its aliases (NAME.aliases); a version alone; each version with
 * its provisioned concurrency. */
int api_store_remove(ApiStore *s, const char *name);

/* NAME's versions, in ascending order. */
int api_store_list_versions(ApiStore *s, const char *name, unsigned **ret, size_t *ret_n);
/* The number NAME's next version gets: one above the highest it ever had. -E2BIG past
 * LAMBDA_VERSION_MAX. */
int api_store_next_version(ApiStore *s, const char *name, unsigned *ret);

/* A version's provisioned concurrency (NAME:N.provisioned, beside the version, which is frozen):
 * {"requested": N, "qualifier": "N" or an alias's name, "last_modified_usec": T}. */
typedef struct ApiProvisioned {
        unsigned requested;
        char qualifier[API_QUALIFIER_MAX + 1]; /* what PutProvisionedConcurrencyConfig named */
        uint64_t last_modified_usec;           /* CLOCK_REALTIME */
} ApiProvisioned;

/* -ENOENT when the version has none, -EBADMSG when it cannot be read as one. */
int api_store_read_provisioned(ApiStore *s, const char *version, ApiProvisioned *ret);
/* p NULL: removes it (none is no error). */
int api_store_write_provisioned(ApiStore *s, const char *version, const ApiProvisioned *p);

/* A new revision, made now. */
int api_meta_new(ApiMeta *ret);

/* NAME.aliases: a JSON object, an alias's name to {"function_version": "N" or "$LATEST",
 * "description": S, "weights": {"N": WEIGHT}, "revision_id": UUID}; an empty one when there is none
 * (-EBADMSG when it cannot be read as one). */
int api_store_read_aliases(ApiStore *s, const char *name, struct json_object **ret);
int api_store_write_aliases(ApiStore *s, const char *name, struct json_object *aliases);

/* Removes the uploads that no path of keep names. */
int api_store_remove_unused_uploads(ApiStore *s, char *const *keep);
