#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# api-boto3.py URL AKID SECRET FUNCTION ZIP ROLE ZIP2: the control-plane walk of test-api.sh with boto3:
# create_function (the zip's bytes as ZipFile), the function_active_v2 waiter, invoke,
# update_function_code to ZIP2 and the function_updated_v2 waiter (invoke answers with the new code),
# get_function_configuration, publish_version, create_alias and invoke of the alias (ExecutedVersion),
# put_provisioned_concurrency_config on version 1 (202) and get_provisioned_concurrency_config until
# READY (60 s at most), ZIP again published as version 2, the alias at 90/10 across them and 200
# invocations of it (how many ran version 2),
# update_function_configuration with a stale RevisionId (must fail), put_function_concurrency 0 →
# invoke throttled → delete_function_concurrency → invoke, an event invoke config put and read back,
# delete_function, then get_function (not found). Prints one JSON object of what each step saw; a step that raises records
# {"error": CODE}.
import json
import sys
import time

import boto3
import botocore.config

url, akid, secret, name, zip_path, role, zip2_path = sys.argv[1:8]
client = boto3.client(
    "lambda",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id=akid,
    aws_secret_access_key=secret,
    config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=120),
)
seen = {}


def step(key, fn):
    try:
        seen[key] = fn()
    except client.exceptions.ClientError as e:
        seen[key] = {"error": e.response["Error"]["Code"]}
    except Exception as e:  # a waiter's failure, a connection error
        seen[key] = {"error": type(e).__name__, "message": str(e)[:300]}


with open(zip_path, "rb") as f:
    code = f.read()
with open(zip2_path, "rb") as f:
    code2 = f.read()


def update_code(zip_file):
    client.update_function_code(FunctionName=name, ZipFile=zip_file)
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())["message"]


def split():
    runs = [client.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")["ExecutedVersion"] for _ in range(200)]
    return {"1": runs.count("1"), "2": runs.count("2")}


step("create", lambda: {k: v for k, v in client.create_function(
    FunctionName=name, Runtime="python3.12", Role=role, Handler="app.lambda_handler",
    Code={"ZipFile": code}, MemorySize=192, Timeout=7).items() if k in ("FunctionName", "PackageType", "RevisionId")})
step("wait", lambda: client.get_waiter("function_active_v2").wait(
    FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}) or "active")
step("invoke", lambda: json.loads(client.invoke(FunctionName=name, Payload=b'{"via":"boto3"}')["Payload"].read()))
step("updated", lambda: update_code(code2))
step("configuration", lambda: {k: v for k, v in client.get_function_configuration(FunctionName=name).items()
                               if k in ("MemorySize", "Timeout", "Runtime", "State", "RevisionId")})
step("publish", lambda: client.publish_version(FunctionName=name, Description="boto3")["Version"])
step("alias", lambda: {k: v for k, v in client.create_alias(
    FunctionName=name, Name="live", FunctionVersion="1").items() if k in ("Name", "FunctionVersion")})
step("invoke_alias", lambda: (lambda r: {"ExecutedVersion": r["ExecutedVersion"],
                                         "functionName": json.loads(r["Payload"].read())["functionName"]})(
    client.invoke(FunctionName=name, Qualifier="live", Payload=b'{"via":"boto3"}')))
step("provisioned", lambda: client.put_provisioned_concurrency_config(
    FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1)["ResponseMetadata"]["HTTPStatusCode"])


def provisioned_ready():
    for _ in range(120):
        got = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
        if got["Status"] != "IN_PROGRESS":
            break
        time.sleep(0.5)
    return {k: v for k, v in got.items() if k in ("Status", "AvailableProvisionedConcurrentExecutions")}


step("provisioned_ready", provisioned_ready)
step("updated_back", lambda: update_code(code))
step("publish2", lambda: client.publish_version(FunctionName=name)["Version"])
step("weights", lambda: client.update_alias(FunctionName=name, Name="live", FunctionVersion="1", RoutingConfig={
    "AdditionalVersionWeights": {"2": 0.1}})["RoutingConfig"]["AdditionalVersionWeights"])
step("split", split)
step("stale", lambda: client.update_function_configuration(FunctionName=name, MemorySize=256, RevisionId="stale"))
step("throttle", lambda: client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)[
    "ReservedConcurrentExecutions"])
step("throttled", lambda: client.invoke(FunctionName=name, Payload=b"{}")["StatusCode"])
step("concurrency", lambda: client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"])
step("unthrottle", lambda: client.delete_function_concurrency(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"])
step("unthrottled", lambda: json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())["functionName"])
step("event_invoke_config", lambda: {k: v for k, v in client.put_function_event_invoke_config(
    FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120).items()
    if k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds")})
step("event_invoke_config_age", lambda: type(client.get_function_event_invoke_config(
    FunctionName=name)["LastModified"]).__name__)
step("delete", lambda: client.delete_function(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"])
step("deleted", lambda: client.get_function(FunctionName=name)["Configuration"]["State"])
print(json.dumps(seen, default=str))
