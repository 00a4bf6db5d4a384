#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Freeze and thaw, for real: lambda-manager on a private bus, a real engine, the gateway in front.
# An instance idle for freeze_after_ms is paused in the engine (cgroup freezer) and shows as frozen;
# the next invocation thaws it and is answered; a function's background timer does not advance
# while it is frozen; a container killed while frozen (by the engine, or by a SIGKILL that only
# lands when it is thawed) costs the next invocation nothing; freeze_after_ms 0 never freezes.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init freeze
require_cmd busctl systemd
require_cmd curl
ensure_dockerd
lambdad_init
lambdad_images hello echo

# A function with a background timer: a counter that the runtime advances every 100 ms from its start.
TICKER=lambdadtestticker
ctx=$TEST_TMP/ticker-image
mkdir "$ctx"
cat >"$ctx/function.sh" <<'EOF'
# shellcheck shell=sh
(n=0; while :; do n=$((n + 1)); echo "$n" >/tmp/ticks; sleep 0.1; done) &
handler () {
        printf '{"ticks":%s}' "$(cat /tmp/ticks)"
}
EOF
printf 'FROM %secho:latest\nCOPY function.sh /var/task/function.sh\n' "$IMAGE_PREFIX" >"$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$TICKER:latest" "$ctx" >/dev/null
lib_cleanup "docker rmi -f $TICKER:latest >/dev/null"

cat >"$FN/hello.json" <<EOF
{ "image": "${IMAGE_PREFIX}hello:latest", "freeze_after_ms": 300, "max_instances": 2 }
EOF
cat >"$FN/ticker.json" <<EOF
{ "image": "$TICKER:latest", "freeze_after_ms": 300, "max_instances": 1 }
EOF
cat >"$FN/spare.json" <<EOF
{ "image": "${IMAGE_PREFIX}hello:latest", "freeze_after_ms": 300, "spare_instances": 2, "max_instances": 4 }
EOF
cat >"$FN/warm.json" <<EOF
{ "image": "${IMAGE_PREFIX}hello:latest", "freeze_after_ms": 0, "max_instances": 1 }
EOF
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --log-level=debug
LOG=$TEST_TMP/dbus.log

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# The gateway gives its leases back after a second: only then is an instance idle in the manager.
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --lease-idle=1 --exit-idle=0

# invoke FUNCTION: the answer's body in $OUT, how long it took in $MS.
invoke() {
        local start
        start=$(date +%s%N)
        OUT=$(curl -sS --max-time 30 "$URL/2015-03-31/functions/$1/invocations" -d '{"freeze":"thaw"}')
        MS=$((($(date +%s%N) - start) / 1000000))
}
# container FUNCTION: the id of the function's (one) container.
container() {
        docker ps -aq --no-trunc --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.function=$1" | head -1
}
paused() {
        [[ $(docker inspect -f '{{.State.Paused}}' "$1" 2>/dev/null) == true ]]
}
listed_as() {
        busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances |
                grep -q "\"$1\" \"[^\"]*\" \"$2\""
}
frozen_soon() {
        wait_until "$1 frozen" paused "$1"
}

# ---- idle -> paused in the engine, then thawed by the next invocation
invoke hello; out=$OUT
cold_ms=$MS
check "a cold invocation answers (${cold_ms} ms)" assert_contains "$out" '"freeze":"thaw"' "body"
id=$(container hello)
check "the instance is paused in the engine after freeze_after_ms" frozen_soon "$id"
check "ListInstances shows it frozen" listed_as "$id" frozen
invoke hello; out=$OUT
thaw_ms=$MS
check "the next invocation thaws it and answers (${thaw_ms} ms; cold ${cold_ms} ms)" \
        assert_contains "$out" '"freeze":"thaw"' "body"
check "served by the same container, no new one" assert_eq "$id" "$(container hello)" "container"
check "it runs again" bash -c "[[ \$(docker inspect -f '{{.State.Paused}}' $id) == false ]]"
check "the thaw is logged with its time" grep -q "Instance ${id:0:12} of 'hello' thawed in" "$LOG"
check "and it freezes again once idle" frozen_soon "$id"
# A few more thaws, for the figures of the report.
for k in 1 2 3; do
        frozen_soon "$id" >/dev/null
        invoke hello
        echo "# thaw through the gateway: ${MS} ms"
done
# The bare engine's cold start of the same image, measured in the same run: docker run to the first
# invocation answered.
bare_cold() {
        local start c port k
        start=$(date +%s%N)
        c=$(docker_run_tracked -p 127.0.0.1::8080 "${IMAGE_PREFIX}hello:latest")
        port=$(container_port "$c")
        for ((k = 0; k < 2000; k++)); do
                curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" \
                        -d '{}' && break
                sleep 0.005
        done
        echo $((($(date +%s%N) - start) / 1000000))
        docker rm -f "$c" >/dev/null
}
bare=$(bare_cold)
echo "# bare engine cold start (docker run to first 200): ${bare} ms; a thaw through the gateway: ${MS} ms"
check "a thaw through the gateway (${MS} ms) is well below a bare cold start (${bare} ms)" test "$MS" -lt "$bare"
check "the gateway's /metrics counts the thaws" bash -c \
        "curl -sS --max-time 5 '$URL/metrics' | grep -Eq '^lambdad_thaws_total[{]function=\"hello\"[}] [4-9]'"

# ---- a function's background timer does not advance while it is frozen
invoke ticker; out=$OUT
t1=$(grep -o '[0-9]\+' <<<"$out")
start=$(date +%s%N)
tid=$(container ticker)
check "ticker: frozen after its invocation" frozen_soon "$tid"
sleep 4
invoke ticker; out=$OUT
t2=$(grep -o '[0-9]\+' <<<"$out")
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
# Running all along, it would have ticked elapsed/100 times; frozen, only until it froze (~1.5 s).
check "ticker: the timer stood still while frozen ($t1 -> $t2 ticks in ${elapsed_ms} ms)" \
        bash -c "[[ -n '$t1' && -n '$t2' ]] && (( ($t2 - $t1) * 100 < $elapsed_ms * 6 / 10 ))"

# ---- freeze_after_ms 0: never frozen
invoke warm
wid=$(container warm)
sleep 3
check "freeze_after_ms 0: the idle instance is never paused" bash -c "! [[ \$(docker inspect -f '{{.State.Paused}}' $wid) == true ]]"
check "freeze_after_ms 0: listed idle" listed_as "$wid" idle

# ---- a container killed while frozen: the next invocation still succeeds
check "hello frozen before the kill" frozen_soon "$id"
docker kill "$id" >/dev/null
invoke hello; out=$OUT
check "killed by the engine while frozen: the next invocation answers" assert_contains "$out" '"freeze":"thaw"' "body"
id=$(container hello)
check "a new instance froze in turn" frozen_soon "$id"
# A SIGKILL to a frozen process lands only when it is thawed: the thaw finds it dead, and the
# invocation goes to a fresh instance without the caller seeing anything.
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$id")"
invoke hello; out=$OUT
check "killed under the freezer: the next invocation answers (${MS} ms)" assert_contains "$out" '"freeze":"thaw"' "body"
check "the thaw that found it dead is logged" grep -q "Instance ${id:0:12} of 'hello' could not be thawed" "$LOG"
check "and that container is removed" wait_until "the dead container removed" \
        bash -c "! docker inspect $id >/dev/null 2>&1"

# ---- spares: started and frozen ahead of demand, refilled after a scale-out takes them
# spares_are TOTAL FROZEN: function spare has TOTAL containers, FROZEN of them paused.
spares_are() {
        local c n=0
        for c in $(docker ps -q --no-trunc --filter label=org.lambdad.function=spare); do
                paused "$c" && n=$((n + 1))
        done
        [[ $n -eq $2 && $(docker ps -q --filter label=org.lambdad.function=spare | wc -l) -eq $1 ]]
}
check "spares: two started ahead of any call, and frozen" wait_until "two frozen spares" spares_are 2 2
out=$(busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 Acquire s spare)
check "spares: Acquire is served by a thaw, and says so ($out)" grep -Eq '^ssqbs "[0-9a-f]{64}" "127.0.0.1" [0-9]+ true "[0-9a-f]{64}"$' <<<"$out"
# busctl's lease ended with its connection (that instance is destroyed): the spares are refilled.
check "spares: refilled after the lease took one" wait_until "two frozen spares again" spares_are 2 2
start=$(date +%s%N)
"$BUS_ACQUIRE" spare 2 4 >"$TEST_TMP/spare.out" &
acquirer=$!
wait_until "two leases" bash -c "[[ \$(grep -c '^ok ' '$TEST_TMP/spare.out') -eq 2 ]]"
burst_ms=$((($(date +%s%N) - start) / 1000000))
check "spares: a scale-out of two is served at once by the spares (${burst_ms} ms)" test "$burst_ms" -lt 1500
check "spares: refilled in the background while the scale-out holds them" \
        wait_until "four instances, two of them frozen spares" spares_are 4 2
wait "$acquirer" || true

# ---- frozen instances stop with their function, and nothing is left (spares, like min_instances,
# come back after StopFunction: their declaration goes)
rm "$FN/spare.json"
busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 Reload
for f in hello ticker warm; do
        busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 StopFunction s "$f" >/dev/null
done
check "frozen instances are removed like any other" wait_until "all stopped" \
        bash -c "[[ -z \$(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager) ]]"
lib_done
