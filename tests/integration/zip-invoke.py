# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zip-invoke.py URL AKID SECRET FUNCTION PAYLOAD: one Invoke with boto3 (signed with SigV4), for
# test-zip.sh. Prints one JSON object: {"status", "functionError", "payload"} for an answer, or
# {"serviceError", "message", "status"} for a service error. Run it with Debian's /usr/bin/python3
# (python3-boto3); another python3 first on PATH may not have boto3.
import json
import sys

import boto3
import botocore.config
import botocore.exceptions

url, akid, secret, function, payload = sys.argv[1:6]
client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id=akid,
                      aws_secret_access_key=secret,
                      config=botocore.config.Config(read_timeout=60, retries={"max_attempts": 1}))
try:
    r = client.invoke(FunctionName=function, Payload=payload.encode())
except botocore.exceptions.ClientError as e:
    print(json.dumps({"serviceError": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", ""),
                      "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
    sys.exit(0)
print(json.dumps({"status": r["StatusCode"], "functionError": r.get("FunctionError"),
                  "payload": r["Payload"].read().decode()}))
