#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lambda-manager --memory-budget for real: two functions of 128 MB under a budget of 256 MB. A start
# that does not fit stops the least recently used idle or frozen instance (of any function) first;
# when nothing can be stopped, the call waits like any other at its limit and ends in
# LimitExceeded (the gateway's 429), unless memory comes free meanwhile. The engine never runs more
# than the budget allows.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init memory-budget
require_cmd busctl systemd
ensure_dockerd
lambdad_init
lambdad_images hello

for f in older newer; do
        printf '{ "image": "%shello:latest", "memory_mb": 128, "max_instances": 4, "freeze_after_ms": 300 }\n' \
                "$IMAGE_PREFIX" >"$FN/$f.json"
done
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --wait-timeout=2 --memory-budget=256M --log-level=debug
LOG=$TEST_TMP/dbus.log

# acquire FUNCTION N HOLD: N leases held for HOLD seconds (0: released at once); one answer a line.
acquire() {
        "$BUS_ACQUIRE" "$1" "$2" "$3" $([[ $3 -eq 0 ]] && echo --release) 2>&1
}
count() {
        docker ps -q --filter label=org.lambdad.managed-by=lambda-manager ${1:+--filter "label=org.lambdad.function=$1"} | wc -l
}
# Samples the number of containers until stopped: the most ever seen goes to $TEST_TMP/most.
watch_count() {
        local most=0 n
        while :; do
                n=$(count)
                ((n > most)) && most=$n && echo "$most" >"$TEST_TMP/most"
                sleep 0.1
        done
}
echo 0 >"$TEST_TMP/most"
watch_count &
watcher=$!
lib_cleanup "kill $watcher 2>/dev/null || true"

# ---- two functions fill the budget; 'older' is used first, so it is the least recently used
check "older: a call works" grep -q '^ok ' <<<"$(acquire older 1 0)"
sleep 0.5
check "newer: a call works" grep -q '^ok ' <<<"$(acquire newer 1 0)"
check "one instance each, the budget full" bash -c "[[ \$(docker ps -q --filter label=org.lambdad.managed-by=lambda-manager | wc -l) -eq 2 ]]"
older_id=$(docker ps -q --no-trunc --filter label=org.lambdad.function=older)

# ---- a scale-out of newer: its own instance (thawed) and a start that fits only once older's goes
"$BUS_ACQUIRE" newer 2 5 >"$TEST_TMP/burst.out" 2>&1 &
burst=$!
check "newer x2: both leases granted" wait_until "two leases" bash -c "[[ \$(grep -c '^ok ' '$TEST_TMP/burst.out') -eq 2 ]]"
check "the least recently used instance (older's) was stopped to make room" \
        grep -q "Stopping instance ${older_id:0:12} of 'older' (unused for .* s): the memory budget of 256 MiB" "$LOG"
check "older's container is gone" wait_until "older's container removed" \
        bash -c "! docker inspect $older_id >/dev/null 2>&1"

# ---- nothing idle or frozen left to stop: a start that does not fit waits, then LimitExceeded
start=$(date +%s%N)
out=$(acquire older 1 0)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "older while the budget is held by busy instances: LimitExceeded ($out)" \
        grep -qx 'error org.lambdad.Error.LimitExceeded' <<<"$out"
check "after waiting like any call at its limit (${elapsed_ms} ms)" bash -c "(($elapsed_ms >= 1500 && $elapsed_ms < 6000))"
wait "$burst" || true

# ---- a call that waits for memory is served as soon as some comes free
"$BUS_ACQUIRE" newer 2 1 >"$TEST_TMP/burst2.out" 2>&1 &
burst=$!
wait_until "two leases again" bash -c "[[ \$(grep -c '^ok ' '$TEST_TMP/burst2.out') -eq 2 ]]"
out=$(acquire older 1 0)
check "older waits while the budget is busy, and starts once newer's leases end ($out)" grep -q '^ok ' <<<"$out"
wait "$burst" || true
kill "$watcher" 2>/dev/null || true
check "never more than the budget's two instances at once (most seen: $(cat "$TEST_TMP/most"))" \
        bash -c "[[ \$(cat '$TEST_TMP/most') -le 2 ]]"

for f in older newer; do
        busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 StopFunction s "$f" >/dev/null
done
check "no container left" wait_until "all stopped" bash -c "[[ \$(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager | wc -l) -eq 0 ]]"
lib_done
