/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "base64.h"
#include "http-response.h"
#include "lambda-contract.h"

bool lambda_function_name_is_valid(const char *name, size_t len)
{
        if (!name || len < 1 || len > LAMBDA_FUNCTION_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_'))
                        return false;
        }
        return true;
}

bool lambda_version_parse(const char *s, size_t len, unsigned *ret)
{
        unsigned v = 0;

        if (!s || len < 1 || len > 9 || s[0] == '0')
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (ret)
                *ret = v;
        return true;
}

bool lambda_function_ref_is_valid(const char *name, size_t len, unsigned *ret_version)
{
        const char *colon = name ? memchr(name, ':', len) : NULL;
        size_t n = colon ? (size_t) (colon - name) : len;

        if (!lambda_function_name_is_valid(name, n))
                return false;
        if (!colon) {
                if (ret_version)
                        *ret_version = 0;
                return true;
        }
        return lambda_version_parse(colon + 1, len - n - 1, ret_version);
}

static bool client_context_is_valid(const char *s)
{
        Buf decoded = {};
        bool ok;

        ok = strlen(s) <= LAMBDA_CLIENT_CONTEXT_MAX && base64_decode(&decoded, s, strlen(s)) >= 0 &&
             strlen(decoded.data ?: "") == decoded.len && http_header_value_is_valid(decoded.data ?: "");
        buf_done(&decoded);
        return ok;
}

int lambda_invoke_headers_parse(const HttpRequest *req, LambdaInvokeHeaders *ret,
                                const char **ret_error_type, const char **ret_message)
{
        const char *type = http_request_header(req, "X-Amz-Invocation-Type") ?: "RequestResponse";
        const char *log_type = http_request_header(req, "X-Amz-Log-Type") ?: "None";
        const char *context = http_request_header(req, "X-Amz-Client-Context");
        LambdaInvokeHeaders h = { .client_context = context };

        *ret_error_type = "InvalidParameterValueException";
        if (strcmp(type, "RequestResponse") == 0)
                h.type = LAMBDA_INVOKE_REQUEST_RESPONSE;
        else if (strcmp(type, "Event") == 0)
                h.type = LAMBDA_INVOKE_EVENT;
        else if (strcmp(type, "DryRun") == 0)
                h.type = LAMBDA_INVOKE_DRY_RUN;
        else {
                *ret_message = "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun.";
                return -EINVAL;
        }
        if (strcmp(log_type, "Tail") == 0)
                h.log_tail = true;
        else if (strcmp(log_type, "None") != 0) {
                *ret_message = "X-Amz-Log-Type must be None or Tail.";
                return -EINVAL;
        }
        if (context && !client_context_is_valid(context)) {
                *ret_error_type = "InvalidRequestContentException";
                *ret_message = "X-Amz-Client-Context must be base64 of at most 3583 bytes.";
                return -EINVAL;
        }
        *ret = h;
        return 0;
}
