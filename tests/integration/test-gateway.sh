#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lambda-gateway for real: under systemd-socket-activate, with lambda-manager D-Bus-activated on a
# private system bus, a real dockerd and the example images, driven by clients nobody on the team
# wrote: the AWS CLI v2, the AWS SDK for JavaScript v3 and curl. The Invoke API's answers, SigV4
# and API keys, concurrency at the instance limit, oversized and malformed requests, and the
# manager going away under load.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init gateway
require_cmd curl
require_cmd python3
require_cmd node nodejs
require_cmd npm
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_dockerd
lambdad_init
lambdad_images hello echo fail sleepy crash tally

# The AWS SDK for JavaScript v3, from npm once, then from the cache.
SDK=/var/cache/lambdad/aws-sdk-client-lambda
if [[ ! -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        mkdir -p "$SDK.tmp.$$" && (cd "$SDK.tmp.$$" && npm init -y >/dev/null && npm install --silent @aws-sdk/client-lambda@3 >&2) &&
                mv -T "$SDK.tmp.$$" "$SDK" 2>/dev/null || rm -rf "$SDK.tmp.$$"
fi

# Functions: images under test prefixes, declared.
for f in hello echo fail sleepy crash; do
        printf '{ "image": "%s%s:latest", "max_instances": 4 }\n' "$IMAGE_PREFIX" "$f" >"$FN/$f.json"
done
printf '{ "image": "%ssleepy:latest", "max_instances": 1 }\n' "$IMAGE_PREFIX" >"$FN/single.json"
# Counts its runs in its log (one instance, kept): payloads that are not JSON must never run it.
printf '{ "image": "%stally:latest", "max_instances": 1, "idle_timeout_sec": 600 }\n' "$IMAGE_PREFIX" >"$FN/tally.json"
# Never invoked before the manager is made unavailable: the gateway holds no lease on it.
printf '{ "image": "%secho:latest" }\n' "$IMAGE_PREFIX" >"$FN/unleased.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=30 --wait-timeout=1

# Credentials: an API key (stored hashed) and a SigV4 key pair.
KEY=test-api-key-0123456789
AKID=AKIDLAMBDADTEST00001
SECRET=lambdadTestSecretKey0123456789abcdef
printf 'tests %s *\n' "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" >"$TEST_TMP/api-keys"
printf 'limited %s echo\n' "$(printf %s limited-key | sha256sum | cut -d' ' -f1)" >>"$TEST_TMP/api-keys"
printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/credentials"
chmod 0640 "$TEST_TMP/api-keys" "$TEST_TMP/credentials"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" --credentials="$TEST_TMP/credentials" \
        --request-timeout=3 --exit-idle=0 --log-level=debug

export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
aws() {
        /usr/bin/aws --endpoint-url "$URL" --cli-read-timeout 60 --cli-connect-timeout 5 "$@"
}
status_of() {
        curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@"
}

# ---- curl on lambdad's own route, with an API key
out=$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/hello/invocations" -d '{"via":"curl"}')
check "curl: the seed route invokes hello (socket-activated gateway, bus-activated manager)" \
        assert_contains "$out" '"message":"Hello from lambdad!","event":{"via":"curl"}' "answer"
check "no key: 403" assert_eq 403 "$(status_of "$URL/functions/hello/invocations" -d '{}')" "status"
check "a wrong key: 403" assert_eq 403 "$(status_of -H 'Authorization: Bearer nope' "$URL/functions/hello/invocations" -d '{}')" "status"
check "a key limited to other functions: 403" assert_eq 403 \
        "$(status_of -H 'Authorization: Bearer limited-key' "$URL/functions/hello/invocations" -d '{}')" "status"
check "healthz needs no key" assert_eq 200 "$(status_of "$URL/healthz")" "status"
check "wrong method: 405 with Allow: POST" bash -c \
        "curl -s -D - -o /dev/null -X GET '$URL/functions/hello/invocations' | tr -d '\r' | grep -qx 'Allow: POST'"

# ---- the AWS CLI v2, signing with SigV4
check "aws lambda invoke: exit 0" aws lambda invoke --function-name hello --cli-binary-format raw-in-base64-out \
        --payload '{"via":"cli"}' "$TEST_TMP/out.json"
check "aws lambda invoke: the answer" assert_contains "$(cat "$TEST_TMP/out.json")" '"event":{"via":"cli"}' "answer"
meta=$(aws lambda invoke --function-name fail --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/fail.json")
check "function error: exit 0 with FunctionError" assert_contains "$meta" '"FunctionError": "Unhandled"' "output"
check "function error: the error body" assert_contains "$(cat "$TEST_TMP/fail.json")" '"errorType":"HandlerError"' "body"
rc=0
aws lambda invoke --function-name nosuchfunction "$TEST_TMP/none.json" >/dev/null 2>"$TEST_TMP/none.err" || rc=$?
check "unknown function: exit 254" assert_eq 254 "$rc" "exit code"
check "unknown function: ResourceNotFoundException" assert_contains "$(cat "$TEST_TMP/none.err")" "ResourceNotFoundException" "error"
meta=$(aws lambda invoke --function-name hello --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/ev.json")
check "Event: 202" assert_contains "$meta" '"StatusCode": 202' "output"
meta=$(aws lambda invoke --function-name hello --invocation-type DryRun "$TEST_TMP/dry.json")
check "DryRun: 204" assert_contains "$meta" '"StatusCode": 204' "output"
meta=$(aws lambda invoke --function-name hello --log-type Tail --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/tail.json")
logres=$(python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["LogResult"]).decode())' <<<"$meta")
check "Tail: LogResult holds the invocation's log" assert_contains "$logres" "REPORT RequestId:" "log"
check "qualifier: hello:\$LATEST" aws lambda invoke --function-name 'hello:$LATEST' --cli-binary-format raw-in-base64-out --payload '{"q":1}' "$TEST_TMP/q.json"
check "qualifier: the answer" assert_contains "$(cat "$TEST_TMP/q.json")" '"q":1' "answer"
out=$(aws lambda invoke --function-name hello:prod --payload '{}' "$TEST_TMP/q.json" 2>&1 || true)
check "qualifier: an alias that is not there (hello:prod): ResourceNotFoundException" assert_contains "$out" \
        "(ResourceNotFoundException)" "error"
check "ARN: a full function ARN" aws lambda invoke --function-name arn:aws:lambda:us-east-1:123456789012:function:hello \
        --cli-binary-format raw-in-base64-out --payload '{"arn":1}' "$TEST_TMP/arn.json"
check "ARN: the answer" assert_contains "$(cat "$TEST_TMP/arn.json")" '"arn":1' "answer"
rc=0
AWS_SECRET_ACCESS_KEY=wrong-secret-0123456789abcdef /usr/bin/aws --endpoint-url "$URL" lambda invoke --function-name hello \
        "$TEST_TMP/bad.json" >/dev/null 2>"$TEST_TMP/bad.err" || rc=$?
check "SigV4 with a wrong secret: refused (exit 254)" assert_eq 254 "$rc" "exit code"
check "SigV4 with a wrong secret: InvalidSignatureException" assert_contains "$(cat "$TEST_TMP/bad.err")" "InvalidSignatureException" "error"
list=$(aws lambda list-functions)
check "list-functions: the declared functions" bash -c "grep -q '\"FunctionName\": \"hello\"' <<<'$list' && grep -q '\"FunctionName\": \"sleepy\"' <<<'$list'"

# ---- the AWS SDK for JavaScript v3
if [[ -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        cat >"$TEST_TMP/sdk.mjs" <<'EOF'
import { createRequire } from "node:module";
const require = createRequire(process.env.SDK + "/package.json");
const { LambdaClient, InvokeCommand } = require("@aws-sdk/client-lambda");
const client = new LambdaClient({ endpoint: process.env.URL, region: "us-east-1" });
const out = await client.send(new InvokeCommand({ FunctionName: process.argv[2], Payload: Buffer.from('{"via":"sdk"}') }));
console.log(JSON.stringify({ status: out.StatusCode, error: out.FunctionError ?? null, payload: Buffer.from(out.Payload).toString() }));
EOF
        out=$(SDK=$SDK URL=$URL node "$TEST_TMP/sdk.mjs" echo 2>&1 || true)
        check "JS SDK v3: invoke echo" assert_contains "$out" '"status":200' "answer"
        check "JS SDK v3: the payload comes back" assert_contains "$out" 'via\":\"sdk' "answer"
        out=$(SDK=$SDK URL=$URL node "$TEST_TMP/sdk.mjs" fail 2>&1 || true)
        check "JS SDK v3: FunctionError" assert_contains "$out" '"error":"Unhandled"' "answer"
else
        not_ok "JS SDK v3" "npm install @aws-sdk/client-lambda failed (see above)"
fi

# ---- one at a time, more instances up to the limit, then typed 429s (no 5xx)
pids=()
for i in $(seq 6); do
        curl -s -o /dev/null -w '%{http_code} ' --max-time 30 -H "Authorization: Bearer $KEY" \
                -D "$TEST_TMP/h.$i" "$URL/functions/single/invocations" -d '{}' >>"$TEST_TMP/codes" &
        pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$TEST_TMP/codes")
check "over the limit: some 429s" bash -c "grep -q 429 <<<'$codes'"
check "over the limit: no 5xx ($codes)" bash -c "! grep -q '5[0-9][0-9]' <<<'$codes'"
check "429s are typed with Retry-After" bash -c "grep -l ' 429 ' $TEST_TMP/h.* | head -n 1 | xargs grep -qi 'Retry-After: 1' && grep -li 'x-amzn-ErrorType: TooManyRequestsException' $TEST_TMP/h.* >/dev/null"

# ---- a body over 6 MB is refused before it is read
big=$(timeout 10 python3 - "$PORT" "$KEY" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("POST /functions/echo/invocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 7000000\r\n\r\n" % sys.argv[2]).encode())
s.sendall(b"x" * 1000)
start = time.time()
answer = s.recv(4096).decode()
print(answer.split(" ")[1], "RequestTooLargeException" in answer, round(time.time() - start, 1))
EOF
)
check "over 6 MB: 413 RequestTooLargeException without the body ($big)" bash -c "[[ '$big' == '413 True '* ]]"

# ---- payloads stream to the instance as they arrive, checked as JSON on the way: one that is not
# JSON only at its very last byte (a whole JSON string, then a stray byte) is refused with 400, and
# the function never runs (tally logs each run; the runs before and after are the only ones). At
# 1 KiB, 1 MiB and just under the 6 MB limit; the limit holds, and a valid 6 MiB payload echoes.
tally_runs() { # the event of each run, its first 16 bytes, on one line
        local c
        for c in $(docker ps -q --filter label=org.lambdad.function=tally); do
                docker logs "$c" 2>&1 | sed -n 's/^tally-run \(.\{0,16\}\).*/\1/p'
        done | paste -sd ' '
}
check "tally runs once for a valid payload" assert_eq '{"before":1}' \
        "$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/tally/invocations" -d '{"before":1}')" "answer"
check "tally's log shows that run" assert_eq '{"before":1}' "$(tally_runs)" "runs"
streamed=$(timeout 120 python3 - "$PORT" "$KEY" <<'EOF'
import socket, sys
port, key = int(sys.argv[1]), sys.argv[2]

def invoke(function, body):
    # One request on its own connection; the body goes in pieces, as a client on a network sends it.
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(60)
    s.sendall(("POST /functions/%s/invocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (function, key, len(body))).encode())
    try:
        for i in range(0, len(body), 256 * 1024):
            s.sendall(body[i:i + 256 * 1024])
    except OSError:
        pass  # refused before the whole body was sent (413)
    answer = b""
    while True:
        head, sep, rest = answer.partition(b"\r\n\r\n")
        if sep:
            length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
            if len(rest) >= length:
                break
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        answer += chunk
    s.close()
    head, _, rest = answer.partition(b"\r\n\r\n")
    return head.split(b" ")[1].decode(), head.decode(errors="replace"), rest

out = []
for size in (1024, 1024 * 1024, 6 * 1024 * 1024 - 1):
    body = b'"' + b"a" * (size - 3) + b'"x'
    status, head, rest = invoke("tally", body)
    ok = status == "400" and "x-amzn-ErrorType: InvalidRequestContentException" in head and b"must be JSON" in rest
    out.append("%d:%s" % (size, "400" if ok else status))
body = b'"' + b"b" * (6 * 1024 * 1024 - 2) + b'"'
status, head, rest = invoke("echo", body)
out.append("echo-6MiB:%s" % ("200" if status == "200" and rest == body else status))
status, head, rest = invoke("echo", body + b" ")
out.append("over:%s" % status)
print(" ".join(out))
EOF
)
check "not JSON at the last byte: 400 InvalidRequestContentException at 1 KiB, 1 MiB, 6 MiB - 1 ($streamed)" \
        bash -c "[[ '$streamed' == '1024:400 1048576:400 6291455:400 '* ]]"
check "a valid 6 MiB payload streams through and echoes whole, one byte more is 413 ($streamed)" \
        bash -c "[[ '$streamed' == *' echo-6MiB:200 over:413' ]]"
check "tally runs again for a valid payload" assert_eq '{"after":1}' \
        "$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/tally/invocations" -d '{"after":1}')" "answer"
check "the payloads that were not JSON never ran the function (runs: before and after only)" \
        assert_eq '{"before":1} {"after":1}' "$(tally_runs)" "runs"

# ---- malformed requests: clear statuses, and the server stays healthy
raw() {
        timeout 10 python3 - "$PORT" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = s.recv(4096)
print(data.split(b" ")[1].decode() if data else "closed")
EOF
}
check "bad request line: 400" assert_eq 400 "$(raw 'NOT HTTP\r\n\r\n')" "status"
check "Content-Length and Transfer-Encoding: 400" assert_eq 400 \
        "$(raw 'POST /functions/echo/invocations HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" "status"
check "duplicate Content-Length: 400" assert_eq 400 \
        "$(raw 'POST /functions/echo/invocations HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')" "status"
check "bad chunking: 400" assert_eq 400 \
        "$(raw 'POST /functions/echo/invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n')" "status"
check "header overflow: 431" assert_eq 431 "$(raw "GET /healthz HTTP/1.1\r\nX: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n")" "status"
drip=$(timeout 15 python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.time()
s.settimeout(1)
for ch in b"GET /healthz HTTP/1.1\r\nX-Slow: ":
    try:
        s.sendall(bytes([ch]))
    except OSError:
        break  # the server answered and closed: read what it said
    try:
        data = s.recv(4096)
        if data:
            break
    except socket.timeout:
        pass
try:
    s.settimeout(5)
    data = data if "data" in dir() and data else s.recv(4096)
    print(data.split(b" ")[1].decode(), round(time.time() - start))
except Exception:
    print("none")
EOF
)
check "slow drip: 408 after the request timeout ($drip)" bash -c "[[ '$drip' == 408* ]]"
check "not JSON: 400" assert_eq 400 "$(status_of -H "Authorization: Bearer $KEY" "$URL/functions/echo/invocations" -d 'not json')" "status"
check "still healthy after all that" assert_contains \
        "$(curl -sS --max-time 30 -H "Authorization: Bearer $KEY" "$URL/functions/echo/invocations" -d '{"ok":1}')" '{"ok":1}' "answer"
check "metrics: Prometheus text with the requests" bash -c \
        "curl -s -H 'Authorization: Bearer $KEY' '$URL/metrics' | grep -q '^lambdad_requests_total{function=\"hello\",code=\"2xx\"} [1-9]'"

# ---- the manager goes away under load: 503 + Retry-After within the bound, then recovery
python3 "$LAMBDAD_SRC/tests/lib/load.py" "$URL/functions/echo/invocations" "$KEY" 6 4 25 >"$TEST_TMP/load.out" &
loader=$!
sleep 2
kill -KILL "$(manager_pid)" 2>/dev/null || true
wait "$loader"
read -r total ok n503 bad others <"$TEST_TMP/load.out"
check "manager killed under load: only 200s and 503s with Retry-After, none past 25 s ($total requests, $ok ok, $n503 503, others: $others)" test "$bad" -eq 0
check "after the manager is back (re-activated) the next request succeeds" assert_contains \
        "$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/echo/invocations" -d '{"back":1}')" '{"back":1}' "answer"

# ---- the manager cannot be started (activation hangs): 503 + Retry-After within the bound for a
# function the gateway holds no lease on (held leases keep serving meanwhile)
service=$TEST_TMP/dbus-services/org.lambdad.Manager1.service
cp "$service" "$TEST_TMP/manager.service.good"
sed -i 's|^Exec=.*|Exec=/bin/sleep 60|' "$service"
dbus_reload
kill -KILL "$(manager_pid)" 2>/dev/null || true
wait_until "manager gone" manager_gone
start=$(date +%s%N)
curl -s -D "$TEST_TMP/down.h" -o "$TEST_TMP/down.body" --max-time 30 -H "Authorization: Bearer $KEY" \
        "$URL/functions/unleased/invocations" -d '{}' || true
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "manager unavailable: 503" bash -c "head -n 1 '$TEST_TMP/down.h' | grep -q ' 503 '"
check "manager unavailable: Retry-After" bash -c "grep -qi '^Retry-After: 1' '$TEST_TMP/down.h'"
check "manager unavailable: answered within the bound, not D-Bus's 25 s (${elapsed_ms} ms)" test "$elapsed_ms" -lt 2000
cp "$TEST_TMP/manager.service.good" "$service"
dbus_reload
pkill -f '^/bin/sleep 60$' || true
check "manager back: the next request succeeds" assert_contains \
        "$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/echo/invocations" -d '{"again":1}')" '{"again":1}' "answer"

lib_done
