/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * instance-secret.h: the secret that makes an instance answer its lease holder only. The manager makes
 * one per instance when it starts it (256 bits from getrandom()), hands it to lambda-rie through the
 * container's environment and to the gateway with the lease; the gateway sends it with every request,
 * and lambda-rie refuses any request to its invoke endpoint without it. The three agree on it here.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http-request.h"

/* The container's environment variable lambda-rie takes it from (and removes before the bootstrap). */
#define INSTANCE_SECRET_ENV "LAMBDA_RIE_SECRET"
/* The request header the gateway sends it in. */
#define INSTANCE_SECRET_HEADER "X-Lambdad-Instance-Secret"
/* lambda-rie's GET /healthz says "instance_secret":true when it checks one: the manager refuses an
 * image whose lambda-rie predates the check rather than run it open. */
#define INSTANCE_SECRET_HEALTH_KEY "instance_secret"

#define INSTANCE_SECRET_BYTES 32
/* Its text form: lower-case hex, NUL included. */
#define INSTANCE_SECRET_SIZE (2 * INSTANCE_SECRET_BYTES + 1)

/* A fresh secret from the kernel's randomness. */
int instance_secret_new(char ret[static INSTANCE_SECRET_SIZE]);

/* Whether s is a secret's text form: exactly 2 * INSTANCE_SECRET_BYTES lower-case hex digits. */
bool instance_secret_is_valid(const char *s);

/* Whether given equals expected (a valid secret), in a time that does not depend on where they differ. */
bool instance_secret_equal(const char *expected, const char *given);

/*
 * Whether the head of req carries expected in INSTANCE_SECRET_HEADER: 0; -ENOKEY when the header is
 * absent, -ENOTUNIQ when it comes more than once, -EACCES when its value is another.
 */
int instance_secret_check_request(const HttpRequest *req, const char *expected);

/* What a refusal's errno means, for a log line. */
const char *instance_secret_refusal_to_string(int error);
