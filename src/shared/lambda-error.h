/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lambda-error.h: the JSON shapes AWS Lambda uses for errors, in one place: function errors as the
 * Runtime API and the Invoke API carry them ({"errorMessage","errorType"}), the timeout shape, and
 * service errors ({"Type":"User","message"} with the x-amzn-ErrorType name).
 */

#include <stdint.h>

#include "buf.h"
#include "lambda-contract.h"

/* {"errorMessage":MESSAGE,"errorType":TYPE} */
int lambda_function_error_json(Buf *out, const char *type, const char *message);

/* {"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ID Error: Task timed out after N.00 seconds"}
 */
int lambda_timeout_error_json(Buf *out, const char *request_id, unsigned timeout_sec);

/* {"Type":"User","message":MESSAGE} plus "Reason" when given. */
int lambda_service_error_json(Buf *out, const char *message, const char *reason);
