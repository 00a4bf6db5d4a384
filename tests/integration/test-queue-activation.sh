#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The queue across the idle exits: a socket-activated gateway (--exit-idle=2) holding an event
# whose retries are due later does not exit on idle; the bus-activated manager exits on idle between
# the retries and is activated again by them; the record reaches on_failure after all three
# attempts; then the gateway exits on idle, its queue empty. A gateway killed with an event queued
# is started again by the next connection (systemd: by lambda-gateway-queue.path) and runs it.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init queue-activation
require_cmd curl
require_cmd python3
ensure_dockerd
lambdad_init
lambdad_images fail

ROOT=$TEST_TMP/destinations
mkdir -p "$ROOT/failures"
printf '{ "image": "%sfail:latest", "idle_timeout_sec": 1, "freeze_after_ms": 0, "on_failure": {"directory": "%s"} }\n' \
        "$IMAGE_PREFIX" "$ROOT/failures" >"$FN/failing.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=2 --destination-root="$ROOT"

gateway_alive() { [[ $(cat "/proc/$1/comm" 2>/dev/null) == lambda-gateway ]]; }
gateway_gone() { ! gateway_alive "$1"; }
files_in() { find "$1" -maxdepth 1 -name '*.json' | wc -l; }
has_files() { (($(files_in "$1") >= $2)); }
event() {
        curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Amz-Invocation-Type: Event' \
                "$1/2015-03-31/functions/failing/invocations" -d "$2"
}
activate() {
        PORT=$(free_port)
        URL=http://127.0.0.1:$PORT
        # Retries after 6 s, then 12 s: longer than both idle exits.
        socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --exit-idle=2 --lease-idle=1 --retry-delay-scale=0.1 \
                --log-level=debug {_LAMBDAD_LOCK}>&-
        GW=$SOCKET_ACTIVATE_PID
}

activate
check "the first connection activates the gateway: 202" assert_eq 202 "$(event "$URL" '{"first":1}')" "status"
check "the gateway started" gateway_alive "$GW"
check "the manager exits on idle between the retries" wait_until --timeout=15 "manager idle exit" manager_gone
check "the gateway does not exit on idle while its event is due" gateway_alive "$GW"
check "the record arrives after the retries, the manager activated again for them" \
        wait_until --timeout=60 "failure record" has_files "$ROOT/failures" 1
rec=$(ls "$ROOT"/failures/*.json)
check "all three attempts ran" assert_eq 3 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requestContext"]["approximateInvokeCount"])' "$rec")" "count"
check "with its queue empty the gateway exits on idle" wait_until --timeout=15 "gateway idle exit" gateway_gone "$GW"

# ---- killed with an event queued: the next activation runs it
rm -f "$ROOT"/failures/*.json
activate
check "second gateway: 202" assert_eq 202 "$(event "$URL" '{"second":1}')" "status"
kill -KILL "$GW"
check "the event stays on disk" assert_eq 1 "$(find "$STATE_DIRECTORY/queue" -name '*.event' | wc -l)" "files"
activate
check "a connection starts the next gateway" wait_for_http "$URL/healthz" 10
check "which runs the event to its end" wait_until --timeout=60 "failure record" has_files "$ROOT/failures" 1
check "then exits on idle" wait_until --timeout=15 "gateway idle exit" gateway_gone "$GW"
lib_done
