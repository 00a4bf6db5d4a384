#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Group commit of the durable queue: 32 Event invocations sent at once to a lambda-gateway whose
# state directory is on the disk. Each must be on disk when its 202 arrives, and the gateway's writer
# thread must have made them durable with fewer directory fsyncs than events
# (lambdad_event_queue_commits_total). No manager runs: the events stay queued (a private bus
# answers the gateway that there is none).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init queue-group-commit
require_cmd curl
GATEWAY=$(build_dir)/src/gateway/lambda-gateway
N=32
# On the disk (not a tmpfs): with fsyncs that cost something, events wait for each other's.
STATE=$(mktemp -d /var/tmp/lambdad-test-group-commit.XXXXXX)
lib_cleanup "rm -rf '$STATE'"
QUEUE=$STATE/gateway/queue

dbus_start_private
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_bg gateway "$GATEWAY" --listen="127.0.0.1:$PORT" --no-auth --exit-idle=0 --state-directory="$STATE/gateway" \
        --queue-function-max-events=1000 --log-level=info
wait_for_http "$URL/healthz" 10 || lib_fail "the gateway did not start"

# Each client checks its own event's file right after its 202.
one() {
        local code id
        code=$(curl -s -o /dev/null -D "$TEST_TMP/head-$1" -w '%{http_code}' --max-time 10 \
                -H 'X-Amz-Invocation-Type: Event' "$URL/2015-03-31/functions/burst/invocations" -d "{\"n\":$1}")
        id=$(tr -d '\r' <"$TEST_TMP/head-$1" | sed -n 's/^x-amzn-RequestId: //Ip')
        [[ $code == 202 && -n $id && -e $QUEUE/$id.event ]] && echo ok >"$TEST_TMP/ok-$1"
}
pids=()
for i in $(seq 1 "$N"); do
        one "$i" &
        pids+=($!)
done
wait "${pids[@]}"
on_disk=$(find "$TEST_TMP" -maxdepth 1 -name 'ok-*' | wc -l)
check "$N events accepted, each on disk at its 202" assert_eq "$N" "$on_disk" "events on disk at their 202"
check "$N event files in queue/" assert_eq "$N" "$(find "$QUEUE" -name '*.event' | wc -l)" "event files"
check "no temporary left" assert_eq 0 "$(find "$QUEUE" -name '.*' | wc -l)" "temporaries"
metric() { curl -s "$URL/metrics" | sed -n "s/^$1 //p"; }
commits=$(metric lambdad_event_queue_commits_total)
echo "# $N events made durable with $commits directory fsync(s)"
check "grouped: fewer directory fsyncs than events" bash -c "(( ${commits:-0} >= 1 && ${commits:-0} < $N ))"
check "the gauge counts them" assert_eq "$N" "$(metric lambdad_events_queued)" "lambdad_events_queued"
lib_done
