#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What becomes of an Event invocation: a failing function is retried maximum_retry_attempts times,
# then its record reaches on_failure with approximateInvokeCount = attempts + 1; a success reaches
# on_success (a function, whose own success then reaches a directory); a failure with no
# destination is kept in failed/; an event past its maximum age is dropped and counted; the bound
# answers 429; corrupt and truncated queue files are moved aside while the others still run; and
# a destination that is missing or not allowed is refused when the declarations load; an Event of a
# function that does not exist is answered 404 before anything is queued (an implicit one, 202).
# Retries are scaled down (--retry-delay-scale) to seconds.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init queue-retries
require_cmd curl
require_cmd python3
ensure_dockerd
lambdad_init
lambdad_images echo fail tally

ROOT=$TEST_TMP/destinations
mkdir -p "$ROOT/failures" "$ROOT/successes" "$ROOT/aged"
declare_fn() { printf '{ "image": "%s%s:latest", %s }\n' "$IMAGE_PREFIX" "$2" "$3" >"$FN/$1.json"; }
declare_fn failing fail '"maximum_retry_attempts": 2, "on_failure": {"directory": "'"$ROOT/failures"'"}'
declare_fn failing0 fail '"maximum_retry_attempts": 0'
declare_fn ok echo '"on_success": {"function": "sink"}'
declare_fn sink echo '"on_success": {"directory": "'"$ROOT/successes"'"}'
declare_fn aged echo '"maximum_event_age_sec": 60, "on_failure": {"directory": "'"$ROOT/aged"'"}'
declare_fn bounded tally '"max_instances": 1'
# Refused at load, each with its reason in the manager's log.
declare_fn badfn echo '"on_failure": {"function": "nosuch"}'
declare_fn selfdest echo '"on_success": {"function": "selfdest"}'
declare_fn baddir echo '"on_failure": {"directory": "'"$ROOT/missing"'"}'
declare_fn outside echo '"on_failure": {"directory": "/tmp"}'
declare_fn relative echo '"on_failure": {"directory": "dlq"}'
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --destination-root="$ROOT"

QUEUE=$STATE_DIRECTORY/queue
mkdir -p "$QUEUE"
# Before the gateway starts: an event that waited two minutes already (as across a long outage),
# a garbage file, and a truncated one (its head promises more payload than there is).
now=$(date +%s%6N)
then=$((now - 120000000))
AGED_ID=00000000-0000-4000-8000-000000000001
printf 'lambdad-event 1\nid %s\nfunction aged\nenqueued %s\ndue %s\nattempts 0\nlength 10\n\n{"old":true}' \
        "$AGED_ID" "$then" "$then" >"$QUEUE/$AGED_ID.event"
sed -i 's/length 10/length 12/' "$QUEUE/$AGED_ID.event"
head -c 300 /dev/urandom >"$QUEUE/garbage.event"
TRUNC_ID=00000000-0000-4000-8000-000000000002
printf 'lambdad-event 1\nid %s\nfunction ok\nenqueued %s\ndue %s\nattempts 0\nlength 100\n\n{"cut' \
        "$TRUNC_ID" "$now" "$now" >"$QUEUE/$TRUNC_ID.event"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_bg gateway "$GATEWAY" --listen="127.0.0.1:$PORT" --no-auth --exit-idle=0 --retry-delay-scale=0.02 \
        --queue-function-max-events=3 --log-level=debug {_LAMBDAD_LOCK}>&-
wait_for_http "$URL/healthz" 10

event() {
        curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Amz-Invocation-Type: Event' \
                "$URL/2015-03-31/functions/$1/invocations" -d "$2"
}
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
files_in() { find "$1" -maxdepth 1 -name '*.json' | wc -l; }
has_files() { (($(files_in "$1") >= $2)); }
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$@"; }

# ---- bad input
check "garbage in queue/ is moved to corrupt/" test -e "$STATE_DIRECTORY/corrupt/garbage.event"
check "a truncated event is moved to corrupt/" test -e "$STATE_DIRECTORY/corrupt/$TRUNC_ID.event"
check "the corrupt files are counted" assert_eq 2 "$(metric lambdad_event_files_corrupt_total)" "metric"
# The manager is activated by the gateway's first call; its log then says what it refused.
logged() { grep -qF "$1" "$TEST_TMP/dbus.log"; }
check "undeclared destination function: refused at load" wait_until --timeout=30 "the manager's log" logged \
        "badfn.json: on_failure: the destination function is not declared (function not loaded)"
check "a function as its own destination: refused (it would loop)" logged \
        "selfdest.json: on_success: a function cannot be its own destination (function not loaded)"
check "missing destination directory: refused" logged "baddir.json: on_failure: the destination directory does not exist"
check "directory outside --destination-root: refused" logged \
        "outside.json: on_failure: the destination directory is not under the allowed root"
check "relative directory: refused" logged "relative.json: on_failure.directory: expected an absolute path"

# ---- a function that does not exist: 404 before anything is queued, as on Lambda
queued_files() { find "$QUEUE" "$STATE_DIRECTORY/failed" -name '*.event' -o -name '*.json' | wc -l; }
before=$(queued_files)
body=$(curl -s -D "$TEST_TMP/404.head" -w '\n%{http_code}' --max-time 10 -H 'X-Amz-Invocation-Type: Event' \
        "$URL/2015-03-31/functions/nosuchfunction/invocations" -d '{}')
check "an Event of an unknown function: 404 at once" assert_eq 404 "$(tail -n 1 <<<"$body")" "status"
check "ResourceNotFoundException, typed, with AWS's message" bash -c "grep -q 'x-amzn-ErrorType: ResourceNotFoundException' '$TEST_TMP/404.head' && grep -q 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nosuchfunction' <<<'$body'"
check "a refused declaration is no function either: 404" assert_eq 404 "$(event badfn '{}')" "status"
check "nothing was queued for them" assert_eq "$before" "$(queued_files)" "files"
check "an implicit function (a labelled image, no declaration): 202" assert_eq 202 "$(event "${IMAGE_PREFIX}echo" '{"implicit":1}')" "status"

# ---- the age limit (the hand-written event is 2 minutes old, the function allows 60 s)
check "an event past its maximum age is dropped to on_failure" wait_until --timeout=30 "aged record" has_files "$ROOT/aged" 1
check "EventAgeExceeded, never invoked" assert_eq "EventAgeExceeded 0" \
        "$(field "$ROOT/aged/$AGED_ID.json" 'd["requestContext"]["condition"] + " " + str(d["requestContext"]["approximateInvokeCount"])')" "record"
check "dropped for age: counted" assert_eq 1 "$(metric lambdad_events_expired_total)" "metric"

# ---- retries, then on_failure
check "failing: 202" assert_eq 202 "$(event failing '{"try":"me"}')" "status"
check "the record arrives at on_failure after the retries" wait_until --timeout=60 "failure record" has_files "$ROOT/failures" 1
rec=$(ls "$ROOT"/failures/*.json)
check "condition RetriesExhausted" assert_eq RetriesExhausted "$(field "$rec" 'd["requestContext"]["condition"]')" "condition"
check "approximateInvokeCount = maximum_retry_attempts + 1" assert_eq 3 \
        "$(field "$rec" 'd["requestContext"]["approximateInvokeCount"]')" "count"
check "the record: version, ARN, request and response" assert_eq \
        "1.0 arn:aws:lambda:us-east-1:000000000000:function:failing:\$LATEST {'try': 'me'} 200 Unhandled HandlerError" \
        "$(field "$rec" 'd["version"]+" "+d["requestContext"]["functionArn"]+" "+str(d["requestPayload"])+" "+str(d["responseContext"]["statusCode"])+" "+d["responseContext"]["functionError"]+" "+d["responsePayload"]["errorType"]')" "record"
check "two retries counted" assert_eq 2 "$(metric lambdad_event_retries_total)" "metric"
check "delivered to a directory on RetriesExhausted: counted" assert_eq 1 \
        "$(metric 'lambdad_event_destination_deliveries_total{kind="directory",condition="RetriesExhausted"}')" "metric"

# ---- no retries, no destination: failed/
check "failing0: 202" assert_eq 202 "$(event failing0 '{}')" "status"
check "its record is kept in failed/" wait_until --timeout=30 "failed/" has_files "$STATE_DIRECTORY/failed" 1
check "one attempt" assert_eq 1 "$(field "$(ls "$STATE_DIRECTORY"/failed/*.json)" 'd["requestContext"]["approximateInvokeCount"]')" "count"
check "and the journal says so with its request id" assert_contains "$(cat "$TEST_TMP/gateway.log")" "$(basename "$(ls "$STATE_DIRECTORY"/failed/*.json)" .json)" "gateway log"

# ---- on_success to a function, whose success goes to a directory
check "ok: 202" assert_eq 202 "$(event ok '{"hello":"world"}')" "status"
check "the sink's success record arrives" wait_until --timeout=30 "success record" has_files "$ROOT/successes" 1
rec=$(ls "$ROOT"/successes/*.json)
check "the sink was invoked with ok's Success record" assert_eq "Success Success {'hello': 'world'}" \
        "$(field "$rec" 'd["requestContext"]["condition"]+" "+d["requestPayload"]["requestContext"]["condition"]+" "+str(d["requestPayload"]["requestPayload"])')" "record"
check "ok's record names ok" assert_contains "$(field "$rec" 'd["requestPayload"]["requestContext"]["functionArn"]')" ":function:ok:" "ARN"
check "the sink's response is its event" assert_eq "{'hello': 'world'}" "$(field "$rec" 'str(d["responsePayload"]["requestPayload"])')" "response"

# ---- the bound: 3 queued events per function here
codes=""
for i in 1 2 3 4 5; do codes+="$(event bounded "{\"n\":$i}") "; done
check "past the bound: 429" assert_eq "202 202 202 429 429 " "$codes" "statuses"
body=$(curl -s -D "$TEST_TMP/429.head" --max-time 10 -H 'X-Amz-Invocation-Type: Event' "$URL/2015-03-31/functions/bounded/invocations" -d '{}')
check "TooManyRequestsException with AWS's message" assert_contains "$body" '"message":"Rate Exceeded."' "body"
check "typed in x-amzn-ErrorType" assert_contains "$(cat "$TEST_TMP/429.head")" "x-amzn-ErrorType: TooManyRequestsException" "head"

# ---- listing and deleting
list=$("$GATEWAY" --queue-list)
check "--queue-list shows the queued events" assert_contains "$list" "bounded" "list"
id=$(awk '$2 == "bounded" { print $1; exit }' <<<"$list")
check "--queue-delete removes one" "$GATEWAY" --queue-delete="$id"
check "it is gone from the list" bash -c "! '$GATEWAY' --queue-list | grep -q '$id'"
queue_empty() { (($(find "$QUEUE" -name '*.event' | wc -l) == 0)); }
check "the queue drains" wait_until --timeout=60 "queue empty" queue_empty
# The deleted event leaves the gauge when its turn comes (it may wait for a throttle's backoff).
gauge_zero() { [[ $(metric lambdad_events_queued) == 0 ]]; }
check "the gauge comes back to 0" wait_until --timeout=30 "lambdad_events_queued 0" gauge_zero
lib_done
