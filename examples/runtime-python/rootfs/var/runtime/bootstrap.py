# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bootstrap.py: the Python runtime of the runtime-python image, a small stand-in for AWS's
# runtime interface client (awslambdaric, from PyPI, which is out of reach here), written
# against the Lambda Runtime API with the standard library only.
#
# It imports the function named by _HANDLER ("module.function"; "dir/module.function" for a
# module in a folder) once, then loops: GET /invocation/next, call function(event, context),
# POST the result as JSON to /invocation/ID/response, or an exception to /invocation/ID/error
# ({"errorMessage", "errorType", "requestId", "stackTrace"} with the header
# Lambda-Runtime-Function-Error-Type). A handler that cannot be loaded is reported on
# /init/error (errorType Runtime.MalformedHandlerName, Runtime.ImportModuleError,
# Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound, or the exception's own type), and
# the runtime exits. The error types and messages are awslambdaric's.
#
# The module search path is the one AWS documents for its Python runtimes: the function's code
# (/var/task), a layer's /opt/python/lib/pythonX.Y/site-packages and /opt/python, the runtime
# (/var/runtime), then the interpreter's own.

import decimal
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"


def set_module_path():
    version = "python%d.%d" % sys.version_info[:2]
    front = [
        os.environ.get("LAMBDA_TASK_ROOT", "/var/task"),
        "/opt/python/lib/%s/site-packages" % version,
        "/opt/python",
        os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime"),
    ]
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if p and p not in front and p != here]
    sys.path[:] = front + rest


class RuntimeApi:
    """One keep-alive HTTP connection to the Runtime API (AWS_LAMBDA_RUNTIME_API=HOST:PORT)."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        # A connection the server closed while idle is opened again once; a request on a
        # fresh connection that fails is not repeated (it could have been received).
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.headers, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")


class CognitoIdentity:
    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class Client:
    def __init__(self, data):
        self.installation_id = data.get("installation_id")
        self.app_title = data.get("app_title")
        self.app_version_name = data.get("app_version_name")
        self.app_version_code = data.get("app_version_code")
        self.app_package_name = data.get("app_package_name")


class ClientContext:
    def __init__(self, data):
        self.client = Client(data["client"]) if isinstance(data.get("client"), dict) else None
        self.custom = data.get("custom")
        self.env = data.get("env")


def json_header(headers, name):
    value = headers.get(name)
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class LambdaContext:
    """The context argument, with the attributes and the method of awslambdaric's."""

    def __init__(self, request_id, headers):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        identity = json_header(headers, "Lambda-Runtime-Cognito-Identity")
        self.identity = CognitoIdentity(identity) if identity is not None else None
        client_context = json_header(headers, "Lambda-Runtime-Client-Context")
        self.client_context = ClientContext(client_context) if client_context is not None else None
        try:
            self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        except ValueError:
            self._deadline_ms = 0

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,memory_limit_in_mb=%s])" % (
            self.aws_request_id, self.function_name, self.memory_limit_in_mb)


class FaultError(Exception):
    """An error of the runtime's own, with awslambdaric's errorType."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def error_body(exc, request_id=""):
    if isinstance(exc, FaultError):
        # As awslambdaric: the runtime's own errors say what failed in the message, without
        # a stack (which would be the import machinery's or this runtime's).
        error_type, message, tb = exc.error_type, str(exc), None
    else:
        error_type, message, tb = type(exc).__name__, str(exc), exc.__traceback__
    # The function's frames only, not this runtime's (as awslambdaric).
    frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__] if tb is not None else []
    stack = traceback.format_list(frames)
    return error_type, {"errorMessage": message, "errorType": error_type, "requestId": request_id,
                        "stackTrace": stack}


def log_error(body):
    # On the function's log, as awslambdaric prints it.
    print("[ERROR] %s: %s" % (body["errorType"], body["errorMessage"]), file=sys.stderr)
    for frame in body["stackTrace"]:
        sys.stderr.write(frame)
    sys.stderr.flush()


def load_handler(name):
    try:
        module_path, function_name = name.rsplit(".", 1)
    except ValueError as e:  # no "."
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (name, e))
    module_name = module_path.replace("/", ".")
    if not module_name or module_name.startswith("."):
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s'" % name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        raise FaultError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e))
    try:
        handler = getattr(module, function_name)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (function_name, module_name))
    if not callable(handler):
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' on module '%s' is not callable" % (function_name, module_name))
    return handler


def to_json_default(o):
    # As awslambdaric: decimals (DynamoDB's numbers) become JSON numbers.
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def post_error(api, path, exc, request_id=""):
    error_type, body = error_body(exc, request_id)
    log_error(body)
    api.request("POST", path, json.dumps(body).encode(),
                {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type})


def invoke(api, handler, request_id, headers, body):
    context = LambdaContext(request_id, headers)
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        try:
            event = json.loads(body) if body else {}
        except ValueError as e:
            raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        result = handler(event, context)
        try:
            payload = json.dumps(result, default=to_json_default, ensure_ascii=False).encode()
        except (TypeError, ValueError) as e:
            raise FaultError("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    except Exception as e:
        post_error(api, "/invocation/%s/error" % request_id, e, request_id)
        return
    api.request("POST", "/invocation/%s/response" % request_id, payload, {"Content-Type": "application/json"})


def main():
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        print("bootstrap.py: AWS_LAMBDA_RUNTIME_API is not set", file=sys.stderr)
        return 1
    api = RuntimeApi(address)
    set_module_path()

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        post_error(api, "/init/error", e)
        return 1

    while True:
        status, headers, body = api.request("GET", "/invocation/next")
        if status != 200:
            print("bootstrap.py: GET /invocation/next answered %d: %s" % (status, body[:200]), file=sys.stderr)
            return 1
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        invoke(api, handler, request_id, headers, body)


if __name__ == "__main__":
    sys.exit(main())
