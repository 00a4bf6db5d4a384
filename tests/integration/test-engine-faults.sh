#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The container engine's faults as lambda-manager's callers see them: an engine that cannot be
# reached, one that goes away in the middle of a call, and one that answers with its own failure
# (5xx) are all org.lambdad.Error.BackendUnavailable (the gateway's 503 + Retry-After), never
# StartFailed (502). The manager logs the engine away and back once per change, not per call; once
# the engine is back it serves again, and forgets the instances the engine lost meanwhile.
#
# The manager reaches the engine through a proxy of ours on a unix socket, which passes calls on,
# drops them unanswered, answers 500 to creates, or is gone.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init engine-faults
require_cmd busctl systemd
require_cmd python3
ensure_dockerd
lambdad_init
lambdad_images hello

ENGINE=$TEST_TMP/engine.sock
MODE=$TEST_TMP/proxy.mode
# set_mode MODE: and wait until the connections of the mode before are closed.
set_mode() {
        echo "$1" >"$MODE"
        sleep 0.2
}
echo pass >"$MODE"
engine_proxy_start "$ENGINE" "$MODE"

cat >"$FN/hello.json" <<EOF
{ "image": "${IMAGE_PREFIX}hello:latest", "max_instances": 8, "idle_timeout_sec": 60 }
EOF
lambdad_bus --docker-socket="$ENGINE" --exit-idle=0 --wait-timeout=3 --start-timeout=20 --log-level=debug
LOG=$TEST_TMP/dbus.log

call() {
        busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 "$@" 2>&1 || true
}
# acquire N: N concurrent Acquires on one connection, one answer a line ("ok ..." or "error NAME").
acquire() {
        "$BUS_ACQUIRE" hello "$1" 0 --release 2>&1
}
# only_backend_unavailable ANSWERS N: N answers, each of them BackendUnavailable.
only_backend_unavailable() {
        [[ $(grep -c . <<<"$1") -eq $2 ]] &&
                [[ $(grep -cx 'error org.lambdad.Error.BackendUnavailable' <<<"$1") -eq $2 ]]
}
logged() {
        grep -c "$1" "$LOG" || true
}

check "the engine answers: a call works" grep -q '^ok ' <<<"$(acquire 1)"
call StopFunction s hello >/dev/null
wait_until "hello stopped" none_of hello

# ---- gone: nothing listens on the socket any more
engine_proxy_stop "$ENGINE"
out=$(acquire 8)
check "engine gone: 8 cold calls, each BackendUnavailable" only_backend_unavailable "$out" 8
check "engine gone: logged once, not per call" assert_eq 1 "$(logged 'cannot be reached')" "log lines"
engine_proxy_start "$ENGINE" "$MODE"
check "engine back: logged once" wait_until "the manager sees the engine back" \
        bash -c "[[ \$(grep -c 'is back after' '$LOG') -eq 1 ]]"
check "engine back: calls work again" grep -q '^ok ' <<<"$(acquire 1)"

# ---- the engine takes the call and goes away without answering (an engine restart mid-call)
call StopFunction s hello >/dev/null
wait_until "hello stopped" none_of hello
set_mode drop
out=$(acquire 4)
check "engine gone mid-call: each BackendUnavailable" only_backend_unavailable "$out" 4
set_mode pass
check "engine back after the mid-call fault: calls work again" \
        wait_until "a call that works" bash -c "\"$BUS_ACQUIRE\" hello 1 0 --release | grep -q '^ok '"
# A container whose removal the dropped calls cut short is removed in the background.
check "a removal the engine dropped is retried until it is done" wait_until "the cut-short container removed" \
        bash -c "[[ -z \$(docker ps -aq --filter label=org.lambdad.function=hello --filter status=created) ]]"

# ---- the engine answers its own failure (containerd away): 5xx is the engine's fault, not the function's
call StopFunction s hello >/dev/null
wait_until "hello stopped" none_of hello
set_mode 500
out=$(acquire 3)
check "engine 500 on create: each BackendUnavailable" only_backend_unavailable "$out" 3
check "engine 500: the engine's words are logged" grep -q 'containerd.sock' "$LOG"
set_mode pass
check "after the 500s: calls work again" grep -q '^ok ' <<<"$(acquire 1)"

# ---- instances the engine lost while it was away are forgotten once it is back
out=$(call EnsureContainer s hello)
check "a warm instance before the outage" grep -q '^sqs ' <<<"$out"
id=$(busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances |
        grep -o '"[0-9a-f]\{64\}" "hello" "idle"' | head -1 | cut -d'"' -f2)
check "the warm instance is idle" test -n "$id"
before=$(logged 'is back after')
engine_proxy_stop "$ENGINE"
# The engine lost it: killed behind the manager's back while the manager cannot hear of it.
docker kill "$id" >/dev/null 2>&1
engine_proxy_start "$ENGINE" "$MODE"
check "engine back: seen without any call" wait_until "the engine back" \
        bash -c "[[ \$(grep -c 'is back after' '$LOG') -gt $before ]]"
lost_forgotten() {
        ! busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -q "$id"
}
check "the instance the engine lost is forgotten" wait_until "the lost instance forgotten" lost_forgotten
check "the next call is served by a live instance" bash -c "[[ \$(busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 EnsureContainer s hello) == sq* ]]"

# ---- containers the engine cannot remove (busy for seconds after an engine restart): one forced
# DELETE each, all at once; logged once with the id and the engine's words; never waited for
call StopFunction s hello >/dev/null
wait_until "hello stopped" none_of hello
plant_zombies() {
        local k
        for k in 1 2 3; do
                docker_run_tracked --label org.lambdad.managed-by=lambda-manager --label org.lambdad.function=hello \
                        --label org.lambdad.lifetime=0000000000000000000000000000000$k --entrypoint /bin/busybox \
                        "${IMAGE_PREFIX}hello:latest" sleep 300
                echo
        done
}
zombies_gone() {
        local z
        for z in "$@"; do docker inspect "$z" >/dev/null 2>&1 && return 1; done
        return 0
}
mapfile -t zombies < <(plant_zombies)
set_mode busy
start=$(date +%s%N)
rc=0
"$MANAGER" --cleanup --docker-socket="$ENGINE" >"$TEST_TMP/cleanup.log" 2>&1 {_LAMBDAD_LOCK}>&- || rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "--cleanup with the engine busy: done within a second (${elapsed_ms} ms, exit $rc)" \
        bash -c "[[ $rc -eq 0 && $elapsed_ms -lt 1200 ]]"
check "--cleanup: planted 3 leftovers" assert_eq 3 "${#zombies[@]}" "containers"
for z in "${zombies[@]}"; do
        check "--cleanup: ${z:0:12}, which the engine did not remove in time, is named" \
                grep -q "Container ${z:0:12} is still being removed" "$TEST_TMP/cleanup.log"
done

# The serving manager, killed and activated again while the engine cannot remove its leftovers
kill -KILL "$(manager_pid)"
wait_until "manager gone" manager_gone
start=$(date +%s%N)
out=$(call EnsureContainer s hello)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "activation with unremovable leftovers: the first call is answered (${elapsed_ms} ms)" grep -q '^sqs ' <<<"$out"
check "activation with unremovable leftovers: not held back by their removal" test "$elapsed_ms" -lt 2500
start=$(date +%s%N)
out=$(call CleanupZombies)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "CleanupZombies with the engine busy: answered within a second (${elapsed_ms} ms: $out)" \
        bash -c "[[ '$out' == 'u 0' && $elapsed_ms -lt 1200 ]]"
sleep 6 # a round of background retries, which stay quiet
for z in "${zombies[@]}"; do
        check "${z:0:12}: logged once by the serving manager with the engine's words, however often retried" \
                assert_eq 1 "$(grep -c "${z:0:12} could not be removed (HTTP 500: container $z: driver \"overlay2\" failed to remove root filesystem.*device or resource busy" "$LOG")" "log lines"
done
set_mode pass
check "once the engine can, the leftovers are removed in the background" \
        wait_until "the leftovers removed" zombies_gone "${zombies[@]}"
check "their removal at last is logged" grep -q "${zombies[0]:0:12} removed at last" "$LOG"

call StopFunction s hello >/dev/null
check "no container left" wait_until "hello stopped" none_of hello
lib_done
