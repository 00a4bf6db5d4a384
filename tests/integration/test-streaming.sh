#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# InvokeWithResponseStream through lambda-gateway, decoded by the AWS SDKs' own event-stream
# decoders (boto3, and the AWS SDK for JavaScript v3 when npm could install it): a function that
# does not stream answers in one PayloadChunk then InvokeComplete; a function error arrives in
# InvokeComplete (ErrorCode, ErrorDetails); LogType Tail puts the log in LogResult; names, ARNs and
# qualifiers as for Invoke; DryRun 204; Event refused; an unknown function 404. Real gateway and
# manager, a real dockerd. About 30 s here.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init streaming
require_cmd curl
require_cmd python3
python3 -c 'import boto3' 2>/dev/null || lib_skip "boto3 missing (apt-get install python3-boto3)"
ensure_dockerd
lambdad_init
lambdad_images echo fail
for f in echo fail; do
        printf '{ "image": "%s%s:latest", "max_instances": 2 }\n' "$IMAGE_PREFIX" "$f" >"$FN/$f.json"
done
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0

AKID=AKIDLAMBDADSTREAM001
SECRET=lambdadStreamSecretKey0123456789abcd
printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/credentials"
chmod 0640 "$TEST_TMP/credentials"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --credentials="$TEST_TMP/credentials" --exit-idle=0 {_LAMBDAD_LOCK}>&-

stream() { python3 "$LAMBDAD_SRC/tests/integration/stream-client.py" "$URL" "$AKID" "$SECRET" "$@"; }
json() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- boto3
out=$(stream echo '{"streamed":1}')
check "boto3: 200 with an event stream" assert_eq "200 application/vnd.amazon.eventstream \$LATEST" \
        "$(json "$out" 'd["status"], d["content_type"], d["version"]' | tr -d "(),'")" "answer"
check "boto3: a function that does not stream answers in one PayloadChunk" assert_eq '{"streamed":1}' \
        "$(json "$out" '"".join(c[0] for c in d["chunks"])')" "payload"
check "boto3: then InvokeComplete, without an error" assert_eq "None None" \
        "$(json "$out" 'd["complete"] is None and "missing" or (d["complete"].get("ErrorCode"), d["complete"].get("ErrorDetails"))' | tr -d "(),'")" "InvokeComplete"

out=$(stream fail '{}')
check "boto3: a function error is InvokeComplete's ErrorCode" assert_eq Unhandled \
        "$(json "$out" 'd["complete"]["ErrorCode"]')" "ErrorCode"
check "boto3: and its ErrorDetails the function's error" assert_contains \
        "$(json "$out" 'd["complete"]["ErrorDetails"]')" '"errorType":"HandlerError"' "ErrorDetails"
check "boto3: no PayloadChunk for a function that failed" assert_eq 0 "$(json "$out" 'len(d["chunks"])')" "chunks"

out=$(stream echo '{"tail":1}' Tail)
check "boto3: LogType Tail puts the log in LogResult" assert_contains \
        "$(json "$out" 'd["complete"]["LogResult"]' | base64 -d)" "REPORT RequestId" "LogResult"

out=$(stream "arn:aws:lambda:us-east-1:000000000000:function:echo:\$LATEST" '{"arn":1}')
check "boto3: an ARN with a qualifier" assert_eq '{"arn":1}' "$(json "$out" '"".join(c[0] for c in d["chunks"])')" "payload"
out=$(stream nosuch '{}')
check "boto3: an unknown function is ResourceNotFoundException" assert_eq "ResourceNotFoundException 404" \
        "$(json "$out" 'd["error"], d["status"]' | tr -d "(),'")" "error"

# ---- the same route over curl (SigV4 left to the SDKs: no credentials file needed for these)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Amz-Invocation-Type: DryRun' \
        --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" \
        "$URL/2021-11-15/functions/echo/response-streaming-invocations" -d '{}')
check "DryRun: 204" assert_eq 204 "$code" "status"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Amz-Invocation-Type: Event' \
        --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" \
        "$URL/2021-11-15/functions/echo/response-streaming-invocations" -d '{}')
check "Event: 400 (InvokeWithResponseStream takes RequestResponse or DryRun)" assert_eq 400 "$code" "status"
check "GET: 405" assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' \
        "$URL/2021-11-15/functions/echo/response-streaming-invocations")" "status"

# ---- the AWS SDK for JavaScript v3
SDK=/var/cache/lambdad/aws-sdk-client-lambda
if command -v npm >/dev/null && [[ ! -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        mkdir -p "$SDK.tmp.$$" && (cd "$SDK.tmp.$$" && npm init -y >/dev/null && npm install --silent @aws-sdk/client-lambda@3 >&2) &&
                mv -T "$SDK.tmp.$$" "$SDK" 2>/dev/null || rm -rf "$SDK.tmp.$$"
fi
if [[ -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        cat >"$TEST_TMP/stream.mjs" <<'JS'
import { createRequire } from "module";
const require = createRequire(process.env.SDK + "/package.json");
const { LambdaClient, InvokeWithResponseStreamCommand } = require("@aws-sdk/client-lambda");
const client = new LambdaClient({ endpoint: process.env.URL, region: "us-east-1",
        credentials: { accessKeyId: process.env.AKID, secretAccessKey: process.env.SECRET } });
const r = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: process.argv[2],
        Payload: Buffer.from(process.argv[3]) }));
let payload = "", complete = null;
for await (const event of r.EventStream) {
        if (event.PayloadChunk) payload += Buffer.from(event.PayloadChunk.Payload).toString();
        if (event.InvokeComplete) complete = event.InvokeComplete;
}
console.log(JSON.stringify({ status: r.StatusCode, payload, complete }));
JS
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" echo '{"js":1}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3: InvokeWithResponseStreamCommand, the payload" assert_eq '{"js":1}' "$(json "$out" 'd["payload"]')" "payload"
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" fail '{}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3: a function error in InvokeComplete" assert_eq Unhandled "$(json "$out" 'd["complete"]["ErrorCode"]')" "ErrorCode"
else
        not_ok "JS SDK v3" "npm install @aws-sdk/client-lambda failed (see above)"
fi
lib_done
