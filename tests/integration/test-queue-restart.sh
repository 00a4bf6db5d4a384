#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The durable queue of Event invocations survives its owner's death: 50 events for a slow function
# (tally: 1 s each, 4 at a time), lambda-gateway SIGKILLed while they run, then started again on
# the same state directory. Every event must run at least once; the runs are counted in the
# function's own output (its containers' logs) and the duplicates reported.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init queue-restart
require_cmd curl
ensure_dockerd
lambdad_init
lambdad_images tally

printf '{ "image": "%stally:latest", "max_instances": 4, "idle_timeout_sec": 600 }\n' "$IMAGE_PREFIX" >"$FN/tally.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0
QUEUE=$STATE_DIRECTORY/queue

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_gateway() {
        start_bg "gateway-$1" "$GATEWAY" --listen="127.0.0.1:$PORT" --no-auth --exit-idle=0 --queue-concurrency=4 \
                --log-level=debug {_LAMBDAD_LOCK}>&-
        GATEWAY_PID=$BG_PID
        wait_for_http "$URL/healthz" 10
}
# The function's output: instances whose lease holder dies are stopped and removed, so their logs
# are followed from the start, into files that outlive them.
mkdir -p "$TEST_TMP/tally-logs"
follow_logs() {
        local c
        while :; do
                for c in $(docker ps -q --filter label=org.lambdad.function=tally); do
                        [[ -e $TEST_TMP/tally-logs/$c ]] || docker logs -f "$c" >"$TEST_TMP/tally-logs/$c" 2>&1 &
                done
                sleep 0.1
        done
}
start_bg follow-logs follow_logs
# runs: every "tally-run" line the function wrote, one event number a line.
runs() {
        cat "$TEST_TMP"/tally-logs/* 2>/dev/null | sed -n 's/^tally-run {"n":\([0-9]*\)}$/\1/p'
}
queued() { find "$QUEUE" -name '*.event' | wc -l; }

start_gateway 1
accepted=0 on_disk=0
for i in $(seq 1 50); do
        code=$(curl -s -o /dev/null -D "$TEST_TMP/head" -w '%{http_code}' --max-time 10 -H 'X-Amz-Invocation-Type: Event' \
                "$URL/2015-03-31/functions/tally/invocations" -d "{\"n\":$i}")
        [[ $code == 202 ]] && accepted=$((accepted + 1))
        # A run takes a second at least: right after its 202 the event is still queued.
        id=$(tr -d '\r' <"$TEST_TMP/head" | sed -n 's/^x-amzn-RequestId: //Ip')
        [[ -n $id && -e $QUEUE/$id.event ]] && on_disk=$((on_disk + 1))
done
check "50 events accepted (202)" assert_eq 50 "$accepted" "accepted"
check "each is on disk when its 202 arrives" assert_eq 50 "$on_disk" "events found in queue/ after their 202"

# Killed in the middle: some ran, some are running, most wait.
ran_at_least() { (($(runs | wc -l) >= $1)); }
check "some events run before the kill" wait_until --timeout=60 "8 runs" ran_at_least 8
kill -KILL "$GATEWAY_PID"
before=$(queued)
echo "# SIGKILL with $before event(s) still queued, $(runs | wc -l) run(s) seen"
check "events are left after the kill" bash -c "(( $before > 0 && $before < 50 ))"

start_gateway 2
queue_empty() { (($(queued) == 0)); }
check "the next gateway runs what was left" wait_until --timeout=90 "queue empty" queue_empty
# The last run's log line may trail its answer by a moment.
sleep 1
total=$(runs | wc -l)
distinct=$(runs | sort -un | wc -l)
missing=$(comm -23 <(seq 1 50 | sort) <(runs | sort -u))
check "every event ran at least once" assert_eq "" "$missing" "events that never ran"
check "50 distinct events ran" assert_eq 50 "$distinct" "distinct events"
echo "# runs: $total for 50 events: $((total - distinct)) duplicate(s) after SIGKILL"
check "duplicates are at most the events in flight at the kill (4)" bash -c "(( $total - $distinct <= 4 ))"
check "the gateway serves on" assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" "healthz"
lib_done
