#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The example function images, built offline by examples/build-images.sh, started with a real
# dockerd and invoked over HTTP through their published ports: answers, function errors,
# timeouts, one-at-a-time, crash recovery, logs and the opt-in label.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
lib_init rie-docker
require_cmd curl
ensure_dockerd

RIE=$(build_dir)/src/rie/lambda-rie
PREFIX=lambdad-test-
"$(source_dir)/examples/build-images.sh" --rie "$RIE" --tag-prefix "$PREFIX" hello echo fail sleepy crash >&2

# start NAME: runs the image, sets URL to its invoke endpoint and CID to the container.
start() {
        CID=$(docker_run_tracked -p 127.0.0.1::8080 "$PREFIX$1:latest")
        local port
        port=$(container_port "$CID")
        URL=http://127.0.0.1:$port/2015-03-31/functions/function/invocations
        wait_for_http --ok "http://127.0.0.1:$port/healthz" 20
}

# invoke DATA [CURL ARGS...]: sets CODE, BODY and HEADERS.
invoke() {
        local data=$1
        shift
        HEADERS=$TEST_TMP/headers
        BODY=$(curl -sS -D "$HEADERS" --max-time 60 "$@" "$URL" --data-binary "$data" -w '\n%{http_code}')
        CODE=${BODY##*$'\n'}
        BODY=${BODY%$'\n'*}
}

header() {
        grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

check "images carry the opt-in label under their own tag name" assert_eq "${PREFIX}hello" \
        "$(docker image inspect -f '{{index .Config.Labels "org.lambdad.function"}}' "${PREFIX}hello:latest")" "label"
check "images are FROM scratch with lambda-rie as entry point" assert_eq '[/lambda-rie]' \
        "$(docker image inspect -f '{{.Config.Entrypoint}}' "${PREFIX}hello:latest")" "entrypoint"

# ---- hello: the custom-runtime tutorial's shell bootstrap
start hello
hello=$CID
invoke '{"name":"lambdad"}'
check "hello: 200" assert_eq 200 "$CODE" "status"
check "hello: greets" assert_contains "$BODY" "Hello from lambdad!" "body"
check "hello: sees its event" assert_contains "$BODY" '"name":"lambdad"' "body"
invoke '{"second":true}' -H 'X-Amz-Log-Type: Tail'
check "hello: warm invocation" assert_contains "$BODY" '"second":true' "body"
check "hello: Tail log" assert_contains "$(header X-Amz-Log-Result | base64 -d)" "START RequestId:" "log tail"
logs=$(docker logs "$hello" 2>&1)
check "hello: START/END/REPORT in the container log" bash -c \
        "grep -q '^START RequestId' <<<'$logs' && grep -q '^END RequestId' <<<'$logs' && grep -q '^REPORT RequestId' <<<'$logs'"
check "hello: REPORT has the container's real peak memory" bash -c \
        "grep '^REPORT' <<<'$logs' | tail -n 1 | grep -Eq 'Max Memory Used: [1-9][0-9]* MB'"
check "hello: REPORT has an Init Duration on the cold start" bash -c \
        "grep '^REPORT' <<<'$logs' | head -n 1 | grep -q 'Init Duration: '"
start=$SECONDS
docker stop -t 10 "$hello" >/dev/null
check "hello: docker stop is quick (lambda-rie handles SIGTERM as PID 1)" test $((SECONDS - start)) -lt 5

# ---- echo: payloads byte for byte, up to the limit
start echo
head -c 786432 /dev/urandom | base64 -w0 >"$TEST_TMP/payload"
check "echo: a 1 MB payload comes back byte for byte" assert_eq "$(md5sum <"$TEST_TMP/payload")" \
        "$(curl -sS --max-time 60 "$URL" --data-binary @"$TEST_TMP/payload" | md5sum)" "checksum"
head -c $((6 * 1024 * 1024 + 1)) /dev/zero >"$TEST_TMP/too-big"
invoke @"$TEST_TMP/too-big"
check "echo: over 6 MB is refused with 413" assert_eq "413 RequestTooLargeException" "$CODE $(header x-amzn-ErrorType)" "status"

# ---- fail: function errors are marked
start fail
invoke '{}'
check "fail: 200 with X-Amz-Function-Error: Unhandled" assert_eq "200 Unhandled" "$CODE $(header X-Amz-Function-Error)" "status"
check "fail: the function's error" assert_contains "$BODY" '"errorType":"HandlerError"' "body"

# ---- sleepy: timeout, one at a time, recovery
start sleepy
curl -sS -o "$TEST_TMP/slow.body" -w '%{http_code}' --max-time 30 "$URL" -d '{}' >"$TEST_TMP/slow.code" &
slow=$!
sleep 0.5
invoke '{}'
check "sleepy: a second concurrent invocation gets 429, not a crash" assert_eq "429 TooManyRequestsException" \
        "$CODE $(header x-amzn-ErrorType)" "status"
wait "$slow"
check "sleepy: timeout answered as a function error" assert_eq 200 "$(cat "$TEST_TMP/slow.code")" "status"
check "sleepy: Sandbox.Timedout after 2 s" assert_contains "$(cat "$TEST_TMP/slow.body")" \
        'Task timed out after 2.00 seconds' "body"
started=$SECONDS
invoke '{}'
check "sleepy: the next invocation runs again (re-initialised) and times out again" assert_contains "$BODY" \
        'Sandbox.Timedout' "body"
check "sleepy: within its timeout bound" test $((SECONDS - started)) -lt 10
check "sleepy: the container still runs" assert_eq true "$(docker inspect -f '{{.State.Running}}' "$CID")" "state"

# ---- crash: 502, then a fresh runtime
start crash
invoke '{"ok":1}'
check "crash: healthy first" assert_eq '200 {"ok":true}' "$CODE $BODY" "answer"
invoke '{"crash":true}'
check "crash: 502 when the runtime dies mid-invocation" assert_eq 502 "$CODE" "status"
check "crash: Runtime.ExitError" assert_contains "$BODY" 'Runtime.ExitError' "body"
invoke '{"ok":2}'
check "crash: the next invocation re-initialises and works" assert_eq '200 {"ok":true}' "$CODE $BODY" "answer"

lib_done
