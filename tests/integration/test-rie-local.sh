#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lambda-rie on the host, no container engine: the Runtime API contract and every flaw of AWS's
# emulator that lambda-rie fixes (function errors, timeouts, a second concurrent invocation,
# crashes, init errors, payload limits), driven by real HTTP over loopback against shell
# bootstraps that speak the Runtime API with curl; and its streaming mode, against a runtime that
# speaks it as aws-lambda-ric does (stream-runtime.py): chunks passed on as written, errors, timeouts,
# cut or malformed streams and the 20 MiB limit in trailers, backpressure on a slow invoker.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
lib_init rie-local
require_cmd curl
require_cmd python3

RIE=$(build_dir)/src/rie/lambda-rie
[[ -x $RIE ]] || lib_fail "$RIE not built"

# A bootstrap whose behaviour the event chooses: the same loop AWS's shell tutorial uses.
cat >"$TEST_TMP/bootstrap" <<'EOF'
#!/bin/sh
set -u
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
echo "init by $$" >>"$MARKER"
headers=$TMPDIR/next.headers
event=$TMPDIR/next.event
while true; do
        curl -sS -D "$headers" -o "$event" "$api/invocation/next" || exit 1
        id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$headers" | tr -d '\r' | cut -d' ' -f2)
        echo "handling $id: $(head -c 64 "$event")"
        case $(head -c 64 "$event") in
        *'"fail"'*)
                curl -sS -o /dev/null -H 'Lambda-Runtime-Function-Error-Type: HandlerError' \
                        "$api/invocation/$id/error" -d '{"errorMessage":"it broke","errorType":"HandlerError"}' ;;
        *'"textfail"'*)
                curl -sS -o /dev/null "$api/invocation/$id/error" -d 'not json at all' ;;
        *'"sleep"'*)
                sleep 30 ;;
        *'"crash"'*)
                exit 3 ;;
        *'"big"'*)
                head -c 7000000 /dev/zero | tr '\0' a >"$TMPDIR/big"
                curl -sS -o "$TMPDIR/big.answer" -w '%{http_code}' "$api/invocation/$id/response" \
                        --data-binary @"$TMPDIR/big" >"$TMPDIR/big.status" ;;
        *'"twice"'*)
                curl -sS -o /dev/null "$api/invocation/$id/response" -d '"first"'
                curl -sS -o /dev/null -w '%{http_code}' "$api/invocation/$id/response" -d '"second"' >"$TMPDIR/twice.status"
                curl -sS -o /dev/null -w '%{http_code}' "$api/invocation/bogus-id/response" -d '"x"' >"$TMPDIR/bogus.status" ;;
        *'"ctx"'*)
                grep -i '^Lambda-Runtime-Client-Context:' "$headers" | tr -d '\r' | cut -d' ' -f2- | tr -d '\n' >"$TMPDIR/ctx"
                curl -sS -o /dev/null "$api/invocation/$id/response" --data-binary @"$TMPDIR/ctx" ;;
        *'"headers"'*)
                curl -sS -o /dev/null "$api/invocation/$id/response" --data-binary @"$headers" ;;
        *'"env"'*)
                curl -sS -o /dev/null "$api/invocation/$id/response" \
                        -d "{\"name\":\"$AWS_LAMBDA_FUNCTION_NAME\",\"handler\":\"$_HANDLER\",\"root\":\"$LAMBDA_TASK_ROOT\",\"stream\":\"${AWS_LAMBDA_LOG_STREAM_NAME:+set}\",\"group\":\"$AWS_LAMBDA_LOG_GROUP_NAME\",\"memory\":\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\"}" ;;
        *)
                # Echo: the event comes back byte for byte.
                curl -sS -o /dev/null "$api/invocation/$id/response" --data-binary @"$event" ;;
        esac
done
EOF
chmod +x "$TEST_TMP/bootstrap"

# A runtime that fails its initialisation the way the runtime interface clients do.
cat >"$TEST_TMP/bootstrap-init-error" <<'EOF'
#!/bin/sh
echo "init by $$" >>"$MARKER"
curl -sS -o /dev/null -H 'Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError' \
        "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" \
        -d '{"errorMessage":"Cannot find module app","errorType":"Runtime.ImportModuleError"}'
exit 1
EOF
chmod +x "$TEST_TMP/bootstrap-init-error"

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_rie NAME [RIE OPTIONS...] BOOTSTRAP: sets URL, API (the Runtime API address) and MARKER.
start_rie() {
        local name=$1 port api_port
        shift
        port=$(free_port)
        api_port=$(free_port)
        MARKER=$TEST_TMP/$name.marker
        : >"$MARKER"
        MARKER=$MARKER TMPDIR=$TEST_TMP AWS_LAMBDA_FUNCTION_NAME=local-fn _HANDLER=function.handler \
                start_bg "$name" "$RIE" --listen "127.0.0.1:$port" --runtime-api "127.0.0.1:$api_port" "$@"
        URL=http://127.0.0.1:$port/2015-03-31/functions/function/invocations
        API=127.0.0.1:$api_port
        wait_for_http --ok "http://127.0.0.1:$port/healthz"
}

# invoke BODY [CURL ARGS...]: sets CODE, BODY and HEADERS (a file).
invoke() {
        local data=$1
        shift
        HEADERS=$TEST_TMP/headers
        BODY=$(curl -sS -D "$HEADERS" -o - --max-time 60 "$@" "$URL" --data-binary "$data" -w '\n%{http_code}')
        CODE=${BODY##*$'\n'}
        BODY=${BODY%$'\n'*}
}

header() {
        grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

inits() {
        grep -c '^init' "$MARKER"
}

# ---- the binary itself
check "lambda-rie is statically linked" bash -c "file -L '$RIE' | grep -q 'statically linked'"
check "--help documents the synopsis" bash -c "'$RIE' --help | grep -q 'lambda-rie \[OPTIONS...\] \[BOOTSTRAP'"
check "a bad option is refused" bash -c "! '$RIE' --no-such-option 2>/dev/null"
check "a bad timeout is refused with a clear error" bash -c \
        "'$RIE' --timeout 0 2>&1 | grep -q 'Invalid --timeout'"
check "a bad AWS_LAMBDA_FUNCTION_TIMEOUT is refused" bash -c \
        "AWS_LAMBDA_FUNCTION_TIMEOUT=abc '$RIE' 2>&1 | grep -q 'AWS_LAMBDA_FUNCTION_TIMEOUT'"

start_rie main --timeout 2 "$TEST_TMP/bootstrap"

# ---- success, lazily initialised, then warm
check "no bootstrap before the first invocation" assert_eq 0 "$(inits)" "inits"
invoke '{"a":1}'
check "success: 200" assert_eq 200 "$CODE" "status"
check "success: the function's answer" assert_eq '{"a":1}' "$BODY" "body"
check "success: X-Amz-Executed-Version" assert_eq '$LATEST' "$(header X-Amz-Executed-Version)" "version"
check "success: no function error header" assert_eq "" "$(header X-Amz-Function-Error)" "error header"
invoke '{"a":2}'
check "warm: the same runtime serves the next invocation" assert_eq 1 "$(inits)" "inits"

# ---- what the runtime sees
invoke '"headers"'
check "next: Content-Type is always set" assert_contains "$BODY" "Content-Type: application/json" "next headers"
check "next: request id" assert_contains "$BODY" "Lambda-Runtime-Aws-Request-Id: " "next headers"
check "next: deadline" bash -c "grep -q 'Lambda-Runtime-Deadline-Ms: [0-9]\{13\}' <<<'$BODY'"
check "next: function ARN" assert_contains "$BODY" \
        "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:012345678912:function:local-fn" "next headers"
check "next: trace id" assert_contains "$BODY" "Lambda-Runtime-Trace-Id: Root=1-" "next headers"
invoke '"env"'
check "env: Lambda variables for the runtime" assert_eq \
        '{"name":"local-fn","handler":"function.handler","root":"/var/task","stream":"set","group":"/aws/lambda/local-fn","memory":"3008"}' \
        "$BODY" "env"
ctx=$(printf '{"custom":{"k":"v"}}' | base64 -w0)
invoke '"ctx"' -H "X-Amz-Client-Context: $ctx"
check "client context reaches the runtime decoded" assert_eq '{"custom":{"k":"v"}}' "$BODY" "context"
invoke '"ctx"' -H "X-Amz-Client-Context: not*base64"
check "malformed client context: 400" assert_eq 400 "$CODE" "status"

# ---- function errors are marked, not plain 200s
invoke '"fail"'
check "function error: 200" assert_eq 200 "$CODE" "status"
check "function error: X-Amz-Function-Error: Unhandled" assert_eq Unhandled "$(header X-Amz-Function-Error)" "header"
check "function error: the runtime's error JSON" assert_eq '{"errorMessage":"it broke","errorType":"HandlerError"}' "$BODY" "body"
invoke '"textfail"'
check "function error without JSON: wrapped in the error shape" assert_contains "$BODY" '"errorMessage":"not json at all"' "body"
check "function error without JSON: still Unhandled" assert_eq Unhandled "$(header X-Amz-Function-Error)" "header"

# ---- log tail
invoke '{"tail":1}' -H 'X-Amz-Log-Type: Tail'
tail_log=$(header X-Amz-Log-Result | base64 -d)
check "Tail: the invocation's START line" assert_contains "$tail_log" "START RequestId: $(header X-Amzn-RequestId)" "log"
check "Tail: the function's own output" assert_contains "$tail_log" 'handling' "log"
check "Tail: END and REPORT" bash -c "grep -q '^END RequestId' <<<'$tail_log' && grep -q '^REPORT RequestId.*Duration: .* ms.*Max Memory Used: [0-9]* MB' <<<'$tail_log'"


# ---- one invocation at a time: a second gets a clear 429, the first completes
curl -sS -o "$TEST_TMP/slow.body" -w '%{http_code}' --max-time 30 "$URL" -d '"sleep"' >"$TEST_TMP/slow.code" &
slow=$!
sleep 0.5
invoke '{"second":1}'
check "concurrent: the second invocation gets 429" assert_eq 429 "$CODE" "status"
check "concurrent: typed TooManyRequestsException" assert_eq TooManyRequestsException "$(header x-amzn-ErrorType)" "type"
check "concurrent: Retry-After" assert_eq 1 "$(header Retry-After)" "retry"
wait "$slow"
check "concurrent: the first one ends (here: its timeout)" assert_eq 200 "$(cat "$TEST_TMP/slow.code")" "status"

# ---- timeouts
check "timeout: Sandbox.Timedout shape" assert_contains "$(cat "$TEST_TMP/slow.body")" \
        '"errorType":"Sandbox.Timedout"' "body"
check "timeout: message names the limit" assert_contains "$(cat "$TEST_TMP/slow.body")" \
        'Task timed out after 2.00 seconds' "body"
before=$(inits)
invoke '{"after":"timeout"}'
check "timeout: the next invocation works" assert_eq '{"after":"timeout"}' "$BODY" "body"
check "timeout: it re-initialised the runtime" assert_eq $((before + 1)) "$(inits)" "inits"
# The timer stays armed for an earlier invocation's deadline (lambda-rie arms it lazily): it must not
# end a later invocation at that deadline, only at the later one's own (2 s after it started).
invoke '{"arms":"the timer"}'
sleep 1.2
started=$EPOCHREALTIME
curl -sS -o "$TEST_TMP/late.body" --max-time 30 "$URL" -d '"sleep"' >/dev/null
elapsed_ms=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
check "timeout: a later invocation runs its whole timeout (${elapsed_ms} ms >= 2000)" test "$elapsed_ms" -ge 2000
check "timeout: ... then times out" assert_contains "$(cat "$TEST_TMP/late.body")" '"errorType":"Sandbox.Timedout"' "body"
invoke '{"after":"the second timeout"}'
check "timeout: and the next works again" assert_eq '{"after":"the second timeout"}' "$BODY" "body"

# ---- crashes
invoke '"crash"'
check "crash: 502" assert_eq 502 "$CODE" "status"
check "crash: Runtime.ExitError with the exit status" assert_contains "$BODY" 'Runtime exited with error: exit status 3' "body"
before=$(inits)
invoke '{"after":"the crash"}'
check "crash: the next invocation re-initialises and works" assert_eq '{"after":"the crash"}' "$BODY" "body"
check "crash: one more init" assert_eq $((before + 1)) "$(inits)" "inits"

# ---- Runtime API state errors
invoke '"twice"'
wait_for_file() {
        for _ in $(seq 50); do [[ -s $1 ]] && return 0; sleep 0.1; done
}
wait_for_file "$TEST_TMP/bogus.status"
check "stale id: the first response counts" assert_eq '"first"' "$BODY" "body"
check "stale id: a second response for it is 403" assert_eq 403 "$(cat "$TEST_TMP/twice.status")" "status"
check "unknown id: 400 InvalidRequestID" assert_eq 400 "$(cat "$TEST_TMP/bogus.status")" "status"
check "init/error after init: 403" assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' "http://$API/2018-06-01/runtime/init/error" -d '{}')" "status"
check "Runtime API: unknown path 404" assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://$API/2018-06-01/runtime/nope")" "status"
check "Runtime API: wrong method 405" assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$API/2018-06-01/runtime/invocation/next")" "status"

# ---- payload limits
head -c $((6 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$TEST_TMP/too-big"
invoke @"$TEST_TMP/too-big"
check "request over 6 MB: 413" assert_eq 413 "$CODE" "status"
check "request over 6 MB: RequestTooLargeException" assert_eq RequestTooLargeException "$(header x-amzn-ErrorType)" "type"
invoke '"big"'
check "response over 6 MB: Function.ResponseSizeTooLarge" assert_contains "$BODY" 'Function.ResponseSizeTooLarge' "body"
check "response over 6 MB: marked as a function error" assert_eq Unhandled "$(header X-Amz-Function-Error)" "header"
check "response over 6 MB: the runtime got 413" assert_eq 413 "$(cat "$TEST_TMP/big.status")" "status"
head -c $((6 * 1024 * 1024)) /dev/zero | tr '\0' 'y' >"$TEST_TMP/just-fits"
check "request of exactly 6 MB reaches the function whole" assert_eq "200 $(md5sum <"$TEST_TMP/just-fits")" \
        "$(curl -sS -o >(md5sum >"$TEST_TMP/echo.md5") -w '%{http_code}' "$URL" --data-binary @"$TEST_TMP/just-fits"; sleep 0.2; echo " $(cat "$TEST_TMP/echo.md5")")" "status and checksum"

# ---- invocation types
invoke '{}' -H 'X-Amz-Invocation-Type: DryRun'
check "DryRun: 204" assert_eq 204 "$CODE" "status"
invoke '{"event":1}' -H 'X-Amz-Invocation-Type: Event'
check "Event: 202" assert_eq 202 "$CODE" "status"
invoke '{}' -H 'X-Amz-Invocation-Type: Sometimes'
check "unknown invocation type: 400" assert_eq 400 "$CODE" "status"

# ---- malformed HTTP never hurts the server
URL_PORT=${URL#http://127.0.0.1:}
URL_PORT=${URL_PORT%%/*}
bad_status() {
        timeout 5 python3 - "$URL_PORT" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
print(s.recv(100).split(b" ")[1].decode())
EOF
}
check "malformed request line: 400" assert_eq 400 "$(bad_status 'GARBAGE\r\n\r\n')" "status"
check "Content-Length with Transfer-Encoding: 400" assert_eq 400 \
        "$(bad_status 'POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" "status"
check "duplicate Content-Length: 400" assert_eq 400 \
        "$(bad_status 'POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')" "status"
check "unknown path: 404" assert_eq 404 "$(bad_status 'GET /nope HTTP/1.1\r\n\r\n')" "status"
invoke '{"still":"healthy"}'
check "after malformed input the server still answers" assert_eq '{"still":"healthy"}' "$BODY" "body"

# ---- keep-alive and pipelining: two requests on one connection, answered in order
check "pipelined requests on one connection are answered in order" bash -c "timeout 20 python3 - '$URL_PORT' <<'EOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
one = b'POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"p\":1}'
two = b'POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"p\":2}'
s.sendall(one + two)
data = b''
while data.count(b'HTTP/1.1 200') < 2 or not data.endswith(b'{\"p\":2}'):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
assert data.index(b'{\"p\":1}') < data.index(b'{\"p\":2}'), data
EOF"

# ---- init errors
start_rie initerr "$TEST_TMP/bootstrap-init-error"
invoke '{}'
check "init error: 200 with Unhandled" assert_eq "200 Unhandled" "$CODE $(header X-Amz-Function-Error)" "status"
check "init error: the runtime's error" assert_contains "$BODY" 'Runtime.ImportModuleError' "body"
invoke '{}'
check "init error: the next invocation initialises again" assert_eq 2 "$(inits)" "inits"

# ---- real memory use: a runtime that holds 80 MB while it handles the invocation
cat >"$TEST_TMP/bootstrap-memory.py" <<'EOF'
import os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    block = bytearray(80 << 20)
    block[::4096] = b"1" * len(block[::4096])
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=b'"held"')).read()
    del block
EOF
start_rie memory /usr/bin/python3 "$TEST_TMP/bootstrap-memory.py"
invoke '{}'
check "memory: the invocation ran" assert_eq '"held"' "$BODY" "body"
check "memory: REPORT shows the real peak (80 MB held)" bash -c \
        "grep 'REPORT' '$TEST_TMP/memory.log' | tail -n 1 | grep -Eq 'Max Memory Used: (8[0-9]|9[0-9]|1[0-9][0-9]) MB'"

# ---- the Runtime API's streaming mode: a chunked response passed on as it arrives, errors in trailers
start_rie stream --timeout 3 /usr/bin/python3 "$(source_dir)/tests/integration/stream-runtime.py"
sread() { python3 "$(source_dir)/tests/integration/chunked-read.py" "$URL" "$@"; }
sjson() { python3 -c 'import base64, json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
out=$(sread '{"chunks":5,"pause_ms":200}')
check "streaming: 200, chunked, marked streaming" assert_eq "200 chunked streaming" \
        "$(sjson "$out" 'd["status"], d["headers"]["transfer-encoding"], d["headers"]["lambda-runtime-function-response-mode"]' | tr -d "(),'")" "head"
check "streaming: the runtime's Content-Type" assert_eq application/octet-stream \
        "$(sjson "$out" 'd["headers"]["content-type"]')" "content type"
check "streaming: every chunk, in order" assert_eq "chunk 0 chunk 1 chunk 2 chunk 3 chunk 4" \
        "$(sjson "$out" '" ".join(c["data"].strip() for c in d["chunks"])')" "chunks"
check "streaming: the chunks arrive as written (200 ms apart: first to last 0.6 to 1.5 s)" bash -c \
        "python3 -c 'import json, sys; c = json.loads(sys.argv[1])[\"chunks\"]; sys.exit(not 0.6 <= c[-1][\"t\"] - c[0][\"t\"] <= 1.5)' '$out'"
check "streaming: a clean end has no error trailer" assert_eq "True None" \
        "$(sjson "$out" 'd["complete"], d["trailers"].get("lambda-runtime-function-error-type")' | tr -d "(),'")" "trailers"
out=$(sread '{"chunks":2,"fail":true}' 'X-Amz-Log-Type: Tail')
check "streaming: the chunks written before a failure" assert_eq "chunk 0 chunk 1" \
        "$(sjson "$out" '" ".join(c["data"].strip() for c in d["chunks"])')" "chunks"
check "streaming: the failure's type in the trailer" assert_eq Error \
        "$(sjson "$out" 'd["trailers"]["lambda-runtime-function-error-type"]')" "error type"
check "streaming: its body, base64, in the trailer" assert_eq "failed mid-stream" \
        "$(sjson "$out" 'json.loads(base64.b64decode(d["trailers"]["lambda-runtime-function-error-body"]))["errorMessage"]')" "error body"
check "streaming: Tail puts the log in a trailer" assert_contains \
        "$(sjson "$out" 'base64.b64decode(d["trailers"]["x-amz-log-result"]).decode()')" "REPORT RequestId" "log"
out=$(sread '{"chunks":2,"malformed":true}')
check "streaming: malformed chunk framing ends the answer with Runtime.TruncatedResponse" assert_eq \
        "2 Runtime.TruncatedResponse" "$(sjson "$out" 'len(d["chunks"]), d["trailers"]["lambda-runtime-function-error-type"]' | tr -d "(),'")" "trailers"
out=$(sread '{"chunks":1,"cut":true}')
check "streaming: a connection cut mid-stream ends it with Runtime.TruncatedResponse" assert_eq \
        "Runtime.TruncatedResponse" "$(sjson "$out" 'd["trailers"]["lambda-runtime-function-error-type"]')" "trailers"
out=$(sread '{"chunks":30,"pause_ms":200}')
check "streaming: a timeout mid-stream is Sandbox.Timedout in the trailer" assert_eq "True Sandbox.Timedout" \
        "$(sjson "$out" 'len(d["chunks"]) < 30, d["trailers"]["lambda-runtime-function-error-type"]' | tr -d "(),'")" "trailers"
size=$(sread '{"chunks":22,"size":1048576}' | python3 -c 'import json, sys; d = json.load(sys.stdin)
print(sum(len(c["data"]) for c in d["chunks"]), d["trailers"]["lambda-runtime-function-error-type"])')
check "streaming: past 20 MiB, Function.ResponseSizeTooLarge after exactly 20 MiB" assert_eq \
        "20971520 Function.ResponseSizeTooLarge" "$size" "size"
out=$(sread '{"chunks":2}')
check "streaming: the runtime serves the next invocation" assert_eq "chunk 0 chunk 1" \
        "$(sjson "$out" '" ".join(c["data"].strip() for c in d["chunks"])')" "chunks"
check "streaming: the Runtime API accepted the streamed responses (202)" bash -c \
        "grep -q 'runtime api answered: HTTP/1.1 202' '$TEST_TMP/stream.log'"

# A slow invoker: lambda-rie stops reading the runtime (which sends 16 MiB as fast as it can) while
# 256 KiB wait, so its peak memory stays far below the stream's size.
start_rie streamlag /usr/bin/python3 "$(source_dir)/tests/integration/stream-runtime.py"
lag=$(LAG_S=1.5 LAG_PID=$PID_streamlag sread '{"chunks":16,"size":1048576}' | python3 -c 'import json, sys; d = json.load(sys.stdin)
print(sum(len(c["data"]) for c in d["chunks"]), d["complete"], d["lag_hwm_kb"])')
check "streaming: a slow invoker gets the whole stream" assert_eq "16777216 True" "${lag% *}" "stream"
check "streaming: backpressure: lambda-rie's peak memory stays under 8 MiB for a 16 MiB stream" \
        bash -c "(( ${lag##* } < 8192 ))"
echo "# lambda-rie VmHWM with a slow invoker of a 16 MiB stream: ${lag##* } kB" >&2

# ---- eager init
start_rie eager --eager-init "$TEST_TMP/bootstrap"
for _ in $(seq 50); do [[ $(inits) -ge 1 ]] && break; sleep 0.1; done
check "eager init: the bootstrap runs before any invocation" assert_eq 1 "$(inits)" "inits"
invoke '{"eager":1}'
check "eager init: first invocation served by it" assert_eq '1 {"eager":1}' "$(inits) $BODY" "inits and body"

# ---- no bootstrap at all
start_rie nobootstrap /nonexistent/bootstrap
invoke '{}'
check "missing bootstrap: 502" assert_eq 502 "$CODE" "status"

# ---- SIGTERM stops it and its runtime
pid=$PID_main
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM: lambda-rie exits" bash -c "! kill -0 $pid 2>/dev/null"
bootstraps=$(sed -n 's/^init by //p' "$TEST_TMP/main.marker" | tr '\n' ' ')
check "SIGTERM: no bootstrap left behind" bash -c "for p in $bootstraps; do ! kill -0 \$p 2>/dev/null || exit 1; done"

lib_done
