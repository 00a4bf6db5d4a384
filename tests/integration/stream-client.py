# SPDX-License-Identifier: LGPL-2.1-or-later
#
# stream-client.py URL AKID SECRET FUNCTION PAYLOAD [LOG_TYPE]: InvokeWithResponseStream with boto3
# (its own event-stream decoder, checking every prelude and message CRC). Prints one JSON object:
# the status, the content type, the chunks in order with the seconds since the call each arrived,
# and InvokeComplete's fields and when it arrived (complete_t). A service error prints {"error": CODE, "status": HTTP status}.
import json, sys, time

import boto3
import botocore.exceptions

url, akid, secret, function, payload = sys.argv[1:6]
log_type = sys.argv[6] if len(sys.argv) > 6 else "None"
client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id=akid,
                      aws_secret_access_key=secret)
start = time.time()
try:
    r = client.invoke_with_response_stream(FunctionName=function, Payload=payload.encode(), LogType=log_type)
except botocore.exceptions.ClientError as e:
    print(json.dumps({"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
    sys.exit(0)
chunks, complete, complete_t = [], None, None
for event in r["EventStream"]:
    if "PayloadChunk" in event:
        chunks.append([event["PayloadChunk"]["Payload"].decode(), round(time.time() - start, 3)])
    elif "InvokeComplete" in event:
        complete, complete_t = event["InvokeComplete"], round(time.time() - start, 3)
print(json.dumps({"status": r["StatusCode"], "content_type": r.get("ResponseStreamContentType"),
                  "version": r.get("ExecutedVersion"), "chunks": chunks, "complete": complete,
                  "complete_t": complete_t}))
