#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# InvokeWithResponseStream through lambda-gateway, decoded by the AWS SDKs' own event-stream
# decoders (boto3, and the AWS SDK for JavaScript v3 when npm could install it): a function that
# does not stream answers in one PayloadChunk then InvokeComplete; a function error arrives in
# InvokeComplete (ErrorCode, ErrorDetails); LogType Tail puts the log in LogResult; names, ARNs and
# qualifiers as for Invoke; DryRun 204; Event refused; an unknown function 404. And a function that
# streams (examples/node-stream: aws-lambda-ric, awslambda.streamifyResponse, 5 chunks 200 ms
# apart): its chunks arrive in order, as written (client-side timestamps: the first well before the
# last and before InvokeComplete), a failure mid-stream reaches InvokeComplete after the chunks
# written before it, and Invoke of it gets the whole answer (or its error). The same function behind a
# RESPONSE_STREAM function URL (curl, and an HTTP reader with timestamps): the prelude's status,
# headers and cookie, the body in chunks as written (the first before the function has finished), a
# stream without the prelude passed through with 200, an error before the first byte 502, and one
# mid-stream a truncated answer. Real gateway and manager, a real dockerd. About 110 s here (plus
# minutes the first time aws-lambda-ric is built).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init streaming
require_cmd curl
require_cmd python3
require_cmd node nodejs
require_cmd npm
python3 -c 'import boto3' 2>/dev/null || lib_skip "boto3 missing (apt-get install python3-boto3)"
ensure_dockerd
lambdad_init
lambdad_images echo fail node-stream
printf '{ "image": "%snode-stream:latest", "max_instances": 2 }\n' "$IMAGE_PREFIX" >"$FN/stream.json"
printf '{ "image": "%snode-stream:latest", "max_instances": 2, "url": {"auth": "NONE", "invoke_mode": "RESPONSE_STREAM"} }\n' \
        "$IMAGE_PREFIX" >"$FN/streamurl.json"
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

# ---- a function that streams (boto3)
out=$(stream stream '{}')
check "boto3 streaming: every chunk, in order" assert_eq "chunk 0|chunk 1|chunk 2|chunk 3|chunk 4|" \
        "$(json "$out" '"".join(c[0].strip() + "|" for c in d["chunks"])')" "chunks"
check "boto3 streaming: the chunks arrive as written (first to last 0.6 to 1.6 s, 4 pauses of 200 ms)" \
        bash -c "python3 -c 'import json, sys; c = json.loads(sys.argv[1])[\"chunks\"]; sys.exit(not 0.6 <= c[-1][1] - c[0][1] <= 1.6)' '$out'"
check "boto3 streaming: the first chunk arrives before the function has finished (0.6 s before InvokeComplete)" \
        bash -c "python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(not d[\"complete_t\"] - d[\"chunks\"][0][1] >= 0.6)' '$out'"
check "boto3 streaming: InvokeComplete without an error" assert_eq "None" \
        "$(json "$out" 'd["complete"].get("ErrorCode")')" "ErrorCode"
echo "# boto3 streaming timestamps (s since the call): $(json "$out" '[c[1] for c in d["chunks"]], d["complete_t"]')" >&2
out=$(stream stream '{"fail":true}' Tail)
check "boto3 streaming: the chunks written before a failure mid-stream" assert_eq "chunk 0|chunk 1|" \
        "$(json "$out" '"".join(c[0].strip() + "|" for c in d["chunks"])')" "chunks"
check "boto3 streaming: then InvokeComplete with the function's error" assert_eq Error \
        "$(json "$out" 'd["complete"]["ErrorCode"]')" "ErrorCode"
check "boto3 streaming: ErrorDetails is the function's error" assert_contains \
        "$(json "$out" 'd["complete"]["ErrorDetails"]')" "failed mid-stream after 2 chunks" "ErrorDetails"
check "boto3 streaming: LogResult with the failure in the log" assert_contains \
        "$(json "$out" 'd["complete"]["LogResult"]' | base64 -d)" "REPORT RequestId" "LogResult"
invoke_plain() {
        python3 -c 'import boto3, json, sys
c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
r = c.invoke(FunctionName="stream", Payload=sys.argv[4].encode())
print(json.dumps({"error": r.get("FunctionError"), "payload": r["Payload"].read().decode()}))' "$URL" "$AKID" "$SECRET" "$1"
}
out=$(invoke_plain '{"pause_ms":10}')
check "boto3 Invoke of a function that streams: the whole answer" assert_eq "chunk 0|chunk 1|chunk 2|chunk 3|chunk 4|" \
        "$(json "$out" '"|".join(d["payload"].splitlines()) + "|"')" "payload"
out=$(invoke_plain '{"fail":true,"pause_ms":10}')
check "boto3 Invoke of a function that fails mid-stream: a function error" assert_eq Unhandled \
        "$(json "$out" 'd["error"]')" "FunctionError"
check "boto3 Invoke of a function that fails mid-stream: its error as the payload" assert_contains \
        "$(json "$out" 'd["payload"]')" "failed mid-stream after 2 chunks" "payload"

# ---- a RESPONSE_STREAM function URL of the function that streams
# GET PATH, read as it comes: status, headers, the body's pieces with their times (s since the
# request), the end's time, and whether the answer was complete (not cut off).
read_url() {
        python3 - "$PORT" "$1" <<'PY'
import http.client, json, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
start = time.monotonic()
conn.request("GET", sys.argv[2])
r = conn.getresponse()
pieces, complete = [], True
try:
        while piece := r.read1(65536):
                pieces.append([piece.decode(), time.monotonic() - start])
except http.client.IncompleteRead:
        complete = False
print(json.dumps({"status": r.status, "headers": {k.lower(): v for k, v in r.getheaders()}, "pieces": pieces,
                  "end_t": time.monotonic() - start, "complete": complete}))
PY
}
body_of() { json "$1" '"".join(p[0] for p in d["pieces"]).replace("\n", "|")'; }
out=$(read_url "/url/streamurl/?chunks=5&pause_ms=200")
check "streaming URL: the prelude's status, headers and cookie, chunked" assert_eq "203 text/plain yes s=1; Path=/ chunked" \
        "$(json "$out" '" ".join(str(x) for x in (d["status"], d["headers"].get("content-type"), d["headers"].get("x-streamed"), d["headers"].get("set-cookie"), d["headers"].get("transfer-encoding")))')" "head"
check "streaming URL: the body after the prelude, complete" assert_eq "chunk 0|chunk 1|chunk 2|chunk 3|chunk 4| True" \
        "$(body_of "$out") $(json "$out" 'd["complete"]')" "body"
check "streaming URL: the first bytes arrive before the function has finished (0.6 s before the end)" \
        bash -c "python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(not d[\"end_t\"] - d[\"pieces\"][0][1] >= 0.6)' '$out'"
echo "# streaming URL timestamps (s since the request): $(json "$out" '[round(p[1], 3) for p in d["pieces"]], round(d["end_t"], 3)')" >&2
out=$(read_url "/url/streamurl/?prelude=0&chunks=3&pause_ms=300")
check "streaming URL without the prelude: 200 with the runtime's type, passed through" assert_eq "200 text/plain chunk 0|chunk 1|chunk 2|" \
        "$(json "$out" 'd["status"], d["headers"].get("content-type")' | tr -d "(),'") $(body_of "$out")" "answer"
check "streaming URL without the prelude: the first bytes before the function has finished" \
        bash -c "python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(not d[\"end_t\"] - d[\"pieces\"][0][1] >= 0.4)' '$out'"
out=$(read_url "/url/streamurl/?fail=1&pause_ms=50")
check "streaming URL, a failure mid-stream: the head and the chunks before it, then a truncated answer" \
        assert_eq "203 chunk 0|chunk 1| False" "$(json "$out" 'd["status"]') $(body_of "$out") $(json "$out" 'd["complete"]')" "answer"
rc=0
curl -sS -N --max-time 30 -o /dev/null "$URL/url/streamurl/?fail=1&pause_ms=50" 2>/dev/null || rc=$?
check "curl -N: the truncated answer is an error (exit 18, partial transfer)" assert_eq 18 "$rc" "exit status"
check "streaming URL, a failure before the first byte: 502" assert_eq 502 \
        "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$URL/url/streamurl/?fail=1&fail_after=0")" "status"
body=$(curl -sS -N --max-time 30 -D "$TEST_TMP/su.h" "$URL/url/streamurl/?chunks=2&pause_ms=10")
check "curl -N: the streamed URL's status and body" assert_eq "203 chunk 0|chunk 1|" \
        "$(head -n 1 "$TEST_TMP/su.h" | cut -d' ' -f2) $(tr '\n' '|' <<<"$body")" "answer"

# ---- the raw event stream over curl
raw=$(curl -sS -N --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" -H 'Content-Type: application/json' \
        "$URL/2021-11-15/functions/stream/response-streaming-invocations" -d '{"chunks":2,"pause_ms":10}' | od -An -c | tr -d ' \n')
check "curl: the raw event stream holds PayloadChunk and InvokeComplete events" bash -c \
        "[[ '$raw' == *PayloadChunk*chunk0*InvokeComplete* ]]"

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
const start = process.hrtime.bigint(), since = () => Number(process.hrtime.bigint() - start) / 1e9;
let payload = "", complete = null, complete_t = null;
const chunks = [];
for await (const event of r.EventStream) {
        if (event.PayloadChunk) {
                const text = Buffer.from(event.PayloadChunk.Payload).toString();
                payload += text;
                chunks.push([text, since()]);
        }
        if (event.InvokeComplete) [complete, complete_t] = [event.InvokeComplete, since()];
}
console.log(JSON.stringify({ status: r.StatusCode, payload, chunks, complete, complete_t }));
JS
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" echo '{"js":1}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3: InvokeWithResponseStreamCommand, the payload" assert_eq '{"js":1}' "$(json "$out" 'd["payload"]')" "payload"
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" fail '{}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3: a function error in InvokeComplete" assert_eq Unhandled "$(json "$out" 'd["complete"]["ErrorCode"]')" "ErrorCode"
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" stream '{}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3 streaming: every chunk, in order" assert_eq "chunk 0|chunk 1|chunk 2|chunk 3|chunk 4|" \
                "$(json "$out" '"".join(c[0].strip() + "|" for c in d["chunks"])')" "chunks"
        check "JS SDK v3 streaming: the chunks arrive as written (first to last 0.6 to 1.6 s)" \
                bash -c "python3 -c 'import json, sys; c = json.loads(sys.argv[1])[\"chunks\"]; sys.exit(not 0.6 <= c[-1][1] - c[0][1] <= 1.6)' '$out'"
        check "JS SDK v3 streaming: the first chunk before the function has finished" \
                bash -c "python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(not d[\"complete_t\"] - d[\"chunks\"][0][1] >= 0.6)' '$out'"
        echo "# JS SDK v3 streaming timestamps (s since the answer's head): $(json "$out" '[round(c[1], 3) for c in d["chunks"]], round(d["complete_t"], 3)')" >&2
        out=$(SDK=$SDK URL=$URL AKID=$AKID SECRET=$SECRET node "$TEST_TMP/stream.mjs" stream '{"fail":true}' 2>>"$TEST_TMP/node.log" || true)
        check "JS SDK v3 streaming: the chunks written before a failure mid-stream" assert_eq "chunk 0|chunk 1|" \
                "$(json "$out" '"".join(c[0].strip() + "|" for c in d["chunks"])')" "chunks"
        check "JS SDK v3 streaming: InvokeComplete carries the failure" assert_eq "Error True" \
                "$(json "$out" 'd["complete"]["ErrorCode"], "failed mid-stream after 2 chunks" in d["complete"]["ErrorDetails"]' | tr -d "(),'")" "InvokeComplete"
else
        not_ok "JS SDK v3" "npm install @aws-sdk/client-lambda failed (see above)"
fi
lib_done
