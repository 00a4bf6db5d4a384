#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A soak of every path: 10,000 requests (tests/integration/soak.py: successes, function errors
# and crashes, Event, DryRun, SigV4, every 4xx, ListFunctions, malformed HTTP) through a
# socket-activated gateway and a D-Bus-activated manager on a real dockerd, then a burst past a
# function's instance limit (429), and the manager away (503). Both daemons then get SIGTERM and
# must exit 0 by themselves: in the sanitized build (tools/test.sh) that is when LeakSanitizer
# checks that every path gave back what it took. About 40 s here; 2-3 minutes sanitized.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init soak
require_cmd curl
require_cmd python3
python3 -c 'import botocore' 2>/dev/null || lib_skip "botocore missing (apt-get install python3-botocore)"
ensure_dockerd
lambdad_init
lambdad_images echo fail crash sleepy
for f in echo fail crash; do
        printf '{ "image": "%s%s:latest", "max_instances": 4 }\n' "$IMAGE_PREFIX" "$f" >"$FN/$f.json"
done
printf '{ "image": "%ssleepy:latest", "max_instances": 1 }\n' "$IMAGE_PREFIX" >"$FN/single.json"
# Invoked first with the manager away: the gateway holds no lease on it (held ones keep serving).
printf '{ "image": "%secho:latest" }\n' "$IMAGE_PREFIX" >"$FN/unleased.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --wait-timeout=1

lambdad_credentials soak
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# Leases kept 30 s: the check with the manager away uses one taken before.
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" \
        --credentials="$TEST_TMP/credentials" --exit-idle=0 --request-timeout=5 --lease-idle=30 {_LAMBDAD_LOCK}>&-
GATEWAY_PID=$SOCKET_ACTIVATE_PID
invoke() {
        curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/$1/invocations" -d "$2"
}
check "echo answers" assert_eq '{"first":1}' "$(invoke echo '{"first":1}')" "answer"

# ---- every path, 10,000 times round
check "10,000 requests over every path: each answered as it should be" \
        python3 "$LAMBDAD_SRC/tests/integration/soak.py" "$URL" "$KEY" "$AKID" "$SECRET" 10000 4

# ---- past the instance limit: the ones that cannot be served in time get 429
pids=()
for i in $(seq 6); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H "Authorization: Bearer $KEY" \
                "$URL/functions/single/invocations" -d '{}' >>"$TEST_TMP/codes" &
        pids+=($!)
done
wait "${pids[@]}"
codes=$(sort "$TEST_TMP/codes" | uniq -c | tr -s ' \n' ' ')
check "at the instance limit: 200s (timeouts) and 429s, nothing else ($codes)" \
        bash -c "grep -q 429 '$TEST_TMP/codes' && ! grep -qv '^\(200\|429\)$' '$TEST_TMP/codes'"

# ---- the manager away: 503, then back
check "echo answers before the manager goes" assert_eq '{"before":1}' "$(invoke echo '{"before":1}')" "answer"
old_lifetime=$(docker ps -q --filter label=org.lambdad.function=echo | head -n 1 |
        xargs docker inspect -f '{{index .Config.Labels "org.lambdad.lifetime"}}')
kill -KILL "$(manager_pid)"
service=$TEST_TMP/dbus-services/org.lambdad.Manager1.service
cp "$service" "$TEST_TMP/manager.service.good"
sed -i 's|^Exec=.*|Exec=/bin/false|' "$service"
dbus_reload
check "the manager away: 503 for a function without a lease held" assert_eq 503 \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $KEY" "$URL/functions/unleased/invocations" -d '{}')" "status"
check "the manager away: a lease held still serves" assert_eq '{"held":1}' "$(invoke echo '{"held":1}')" "answer"
cp "$TEST_TMP/manager.service.good" "$service"
dbus_reload
# The next lifetime, and the last one's instances (that the held leases used): each adopted (listed
# by the next lifetime as its own) or removed, none left behind unowned.
busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.lambdad.Manager1 /org/lambdad/Manager1 org.freedesktop.DBus.Peer Ping
old_settled() {
        local id listed
        listed=$(busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.lambdad.Manager1 /org/lambdad/Manager1 \
                org.lambdad.Manager1 ListInstances) || return 1
        for id in $(docker ps -aq --filter "label=org.lambdad.lifetime=$old_lifetime"); do
                grep -q "\"$id" <<<"$listed" || return 1
        done
}
check "the next lifetime adopted or removed each of the last one's instances" wait_until "old instances adopted or removed" old_settled
check "the manager back: answers" assert_eq '{"back":1}' "$(invoke echo '{"back":1}')" "answer"
check "again, 2,000 requests over every path" \
        python3 "$LAMBDAD_SRC/tests/integration/soak.py" "$URL" "$KEY" "$AKID" "$SECRET" 2000 4

# ---- both exit by themselves on SIGTERM (and, sanitized, report no leak)
mpid=$(manager_pid)
kill -TERM "$GATEWAY_PID" "$mpid"
wait "$GATEWAY_PID" && rc=0 || rc=$?
check "the gateway exits 0 on SIGTERM" assert_eq 0 "$rc" "exit status"
check "the manager exits on SIGTERM" wait_until "the manager exited" manager_gone
check "the manager said why it exits" grep -q "Received Terminated, exiting." "$TEST_TMP/dbus.log"
lib_done
