#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-chaos.sh SCENARIO: one fault under load, against the real daemons on a private bus and a
# private dockerd, all in a network namespace of the test's own (so the engine may be stopped and
# started again without touching anyone else's). 8 keep-alive clients invoke for a bounded time
# while the fault hits; then:
#   - every answer was a 200 with the right body, a 200 with X-Amz-Function-Error of the expected
#     type (function faults), or a 503/429 with Retry-After: nothing else, and none slower than
#     the load's bound;
#   - the first 200 after the fault ended came within the scenario's stated bound;
#   - the gateway's and the manager's open fds and RSS are back at the baseline taken before the
#     fault, under the same load (fds within FD_MARGIN, RSS within RSS_MARGIN_KB);
#   - no zombie among the processes of the test, the daemons and the engine;
#   - no managed container is left once the manager stops.
# Scenarios (recovery bounds in seconds, from the end of the fault to the first 200):
#   manager-kill     the manager SIGKILLed; nothing but 200s for the function whose leases the
#                    gateway holds, and for one without a lease, the first 200 within 1.2 times a
#                    bare cold start of its image measured under the same load (its call activates
#                    the next lifetime, which adopts the killed one's healthy instances)
#   manager-away     the manager SIGKILLed with its bus name unowned for 3 s            (5)
#   instance-kill    `docker kill` of instances in the middle of invocations (0.5 s)    (5)
#   oom              invocations past memory_mb: 200 + Unhandled Runtime.ExitError      (5)
#   engine-restart   dockerd stopped, 2 s away, started again                           (15)
#   gateway-drain    the gateway SIGTERMed with invocations in flight: every request sent
#                    before the signal is answered 200, and it exits 0 within 5 s
# Each scenario takes 30-45 s here; the suite's bound is 6 minutes (tests/chaos/meson.build).
# The figures of each run (counts, recovery time, fds, RSS) are printed as "# figures: ...".

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/load.sh"

SCENARIO=${1:?usage: test-chaos.sh SCENARIO}

# ---- the outer half: a network namespace, and this script again inside it
if [[ -z ${CHAOS_NETNS:-} ]]; then
        lib_init "chaos-ns-$SCENARIO"
        require_cmd ip iproute2
        require_cmd nsenter util-linux
        CHAOS_NETNS=lambdadch$$
        export CHAOS_NETNS
        netns_create "$CHAOS_NETNS"
        ip -n "$CHAOS_NETNS" link set lo up
        # In the background: a signal then ends the wait at once, so the namespace is deleted even
        # when meson's SIGKILL follows its SIGTERM half a second later.
        rc=0
        nsenter --net="/var/run/netns/$CHAOS_NETNS" "$0" "$@" &
        wait "$!" || rc=$?
        exit "$rc"
fi

lib_init "chaos-$SCENARIO"
require_cmd curl
require_cmd python3
require_cmd unshare util-linux
require_cmd dockerd docker.io
LOAD_SECONDS=14
LOAD_CLIENTS=8
LOAD_BOUND=20
FD_MARGIN=3
RSS_MARGIN_KB=4096

# ---- a private engine: its own data, socket and /run, in this namespace
ENGINE=$TEST_TMP/engine
ENGINE_DATA=/var/lib/lambdad-test-chaos-$$
# sweep_orphans: what chaos tests killed too hard to clean up left: containers whose engine is gone
# (their shims outlive it, in the engine's private mount namespace, which no dockerd holds any
# more), and engine data of tests whose shell is gone. Engines that still run (another test's, or
# the swarm test's second node) keep theirs.
sweep_orphans() {
        local shim ns d engines=" "
        for d in $(pgrep -x dockerd); do
                engines+="$(readlink "/proc/$d/ns/mnt") "
        done
        for shim in $(pgrep -f '^/usr/bin/containerd-shim-runc-v2 -namespace moby '); do
                ns=$(readlink "/proc/$shim/ns/mnt") || continue
                [[ $ns == "$(readlink /proc/self/ns/mnt)" || $engines == *" $ns "* ]] && continue
                pkill -KILL -P "$shim" || true
                kill -KILL "$shim" 2>/dev/null || true
        done
        for d in /var/lib/lambdad-test-chaos-*; do
                [[ -d $d ]] && ! _lib_alive "${d##*-}" && ! pgrep -f -- "--data-root=$d " >/dev/null && rm -rf "$d"
        done
        return 0
}
sweep_orphans
lib_cleanup sweep_orphans
mkdir -p "$ENGINE" "$ENGINE_DATA"
lib_cleanup rm -rf "$ENGINE_DATA"
LIB_DOCKER_SOCK=$ENGINE/docker.sock
export DOCKER_HOST=unix://$LIB_DOCKER_SOCK
ENGINE_STARTS=0

engine_start() {
        ENGINE_STARTS=$((ENGINE_STARTS + 1))
        # The engine must not hold the manager lock, nor outlive the test.
        start_bg "dockerd$ENGINE_STARTS" unshare --mount --propagation private sh -c \
                "mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd --data-root='$ENGINE_DATA' \
                -H 'unix://$LIB_DOCKER_SOCK' --shutdown-timeout=1" {_LAMBDAD_LOCK}>&-
        ENGINE_PID=$BG_PID
        for _ in $(seq 300); do
                _lib_docker_ping && return 0
                _lib_alive "$ENGINE_PID" || break
                sleep 0.1
        done
        lib_fail "the private dockerd did not answer (see dockerd$ENGINE_STARTS.log)"
}

engine_stop() {
        kill -TERM "$ENGINE_PID"
        for _ in $(seq 300); do
                _lib_alive "$ENGINE_PID" || return 0
                sleep 0.1
        done
        lib_fail "the private dockerd did not stop within 30 s"
}

lambdad_init
engine_start
lambdad_images echo chaos
printf '{ "image": "%secho:latest", "max_instances": 8 }\n' "$IMAGE_PREFIX" >"$FN/echo.json"
printf '{ "image": "%schaos:latest", "max_instances": 8, "memory_mb": 128, "timeout_sec": 10 }\n' "$IMAGE_PREFIX" >"$FN/chaos.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=120 --wait-timeout=1

KEY=chaos-api-key-0123456789
printf 'chaos %s *\n' "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" >"$TEST_TMP/api-keys"
chmod 0640 "$TEST_TMP/api-keys"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" --exit-idle=0 {_LAMBDAD_LOCK}>&-
GATEWAY_PID=$SOCKET_ACTIVATE_PID

invoke() {
        curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/$1/invocations" -d "$2"
}

# load NAME FUNCTION SECONDS [load.py OPTIONS...]: $LOAD_CLIENTS clients invoking FUNCTION.
load() {
        local name=$1 function=$2 seconds=$3
        shift 3
        load_start "$name" "$URL/functions/$function/invocations" "$KEY" "$seconds" "$LOAD_CLIENTS" "$LOAD_BOUND" "$@"
}

fds() { ls "/proc/$1/fd" | wc -l; }
# fd_kinds PID: what PID's fds are, counted by kind (for the diagnosis of a leak).
fd_kinds() { find "/proc/$1/fd" -mindepth 1 -printf '%l\n' | sed 's/[0-9]\+/N/g' | sort | uniq -c | tr -s ' \n' ' '; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# settle: the gateway gives its leases back after --lease-idle (1 s), and with them their
# connections: both measurements are taken once that has happened.
settle() { sleep 2.5; }

# baseline: the daemons' fds and RSS after the scenario's steady load, before the fault.
baseline() {
        load warm "$1" 3 --expect "$2" --payload "$2"
        wait "$LOAD_PID"
        settle
        BASE_GATEWAY_FDS=$(fds "$GATEWAY_PID") BASE_GATEWAY_RSS=$(rss_kb "$GATEWAY_PID")
        BASE_MANAGER_FDS=$(fds "$(manager_pid)") BASE_MANAGER_RSS=$(rss_kb "$(manager_pid)")
        BASE_GATEWAY_KINDS=$(fd_kinds "$GATEWAY_PID") BASE_MANAGER_KINDS=$(fd_kinds "$(manager_pid)")
}

# back_to_baseline FUNCTION PAYLOAD: the same steady load again, then the daemons as they were
# before the fault.
back_to_baseline() {
        local pid what
        load again "$1" 3 --expect "$2" --payload "$2"
        wait "$LOAD_PID"
        load_verdict again
        settle
        for what in gateway manager; do
                if [[ $what == gateway ]]; then pid=$GATEWAY_PID; else pid=$(manager_pid); fi
                local base_fds=BASE_${what^^}_FDS base_rss=BASE_${what^^}_RSS base_kinds=BASE_${what^^}_KINDS
                local now_fds now_rss
                now_fds=$(fds "$pid") now_rss=$(rss_kb "$pid")
                LOAD_FIGURES+=" $what fds ${!base_fds}->$now_fds, RSS ${!base_rss}->$now_rss kB;"
                ((now_fds <= ${!base_fds} + FD_MARGIN && now_fds >= ${!base_fds} - FD_MARGIN)) ||
                        echo "# $what's fds before: ${!base_kinds}; now: $(fd_kinds "$pid")"
                check "$what: fds back to the baseline (${!base_fds} -> $now_fds, margin $FD_MARGIN)" \
                        test "$now_fds" -le $((${!base_fds} + FD_MARGIN)) -a "$now_fds" -ge $((${!base_fds} - FD_MARGIN))
                check "$what: RSS back to the baseline (${!base_rss} -> $now_rss kB, margin $RSS_MARGIN_KB kB)" \
                        test "$now_rss" -le $((${!base_rss} + RSS_MARGIN_KB))
        done
}

# no_zombies: no defunct process among the test's, the daemons' and the engine's.
no_zombies() {
        local -a tree
        mapfile -t tree < <(for p in $$ "$GATEWAY_PID" "$(manager_pid)" "$ENGINE_PID"; do
                [[ -n $p ]] && echo "$p" && _lib_descendants "$p"
        done)
        local zombies
        zombies=$(ps -o pid=,stat=,comm= -p "$(IFS=,; echo "${tree[*]}")" 2>/dev/null | awk '$2 ~ /^Z/' || true)
        [[ -z $zombies ]] || {
                echo "FAIL: zombies: $zombies" >&2
                return 1
        }
}

# manager_stops_clean: the gateway goes first (no lease holder left on the bus: the manager has no
# one to hand its instances over to), then SIGTERM to the manager; once it is gone, none of its
# containers is left.
manager_stops_clean() {
        kill -TERM "$GATEWAY_PID"
        wait_until "the gateway stopped" eval '! _lib_alive "$GATEWAY_PID"'
        kill -TERM "$(manager_pid)"
        wait_until "the manager stopped" manager_gone
        local left
        left=$(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager | wc -l)
        check "no managed container once the manager stopped ($left left)" assert_eq 0 "$left" "containers"
}

now() { date +%s.%N; }

# logged_once WHAT LOG PATTERN: a change of state is logged once, not once per request (at most 2
# lines: a fault may come and go twice within one scenario).
logged_once() {
        local n
        n=$(grep -c "$3" "$2" || true)
        ((n <= 2)) || grep "$3" "$2" | head -n 6 | sed 's/^/# logged: /'
        LOAD_FIGURES+=" '$3' logged $n time(s);"
        check "$1 logged once per change, not per request ($n lines)" test "$n" -ge 1 -a "$n" -le 2
}

# ---- warm up: both functions answer, instances started
check "echo answers" assert_eq '{"warm":1}' "$(invoke echo '{"warm":1}')" "answer"
check "chaos answers" assert_eq '{"warm":1}' "$(invoke chaos '{"warm":1}')" "answer"

case $SCENARIO in
manager-kill)
        baseline echo '{"load":1}'
        mapfile -t old_echo < <(docker ps -q --filter label=org.lambdad.function=echo | sort)
        load fault echo 24 --expect '"load":1'
        sleep 2
        # The bound's baseline: a bare cold start of chaos's image, under the same load.
        bare_cold_start_median "${IMAGE_PREFIX}chaos:latest"
        chaos_bound=$(awk -v b="$BARE_MS" 'BEGIN { printf "%.3f", 1.2 * b / 1000 }')
        kill -KILL "$(manager_pid)"
        fault_end=$(now)
        # Nobody owns the name: the leases the gateway holds keep serving on the live instances.
        sleep 3
        # chaos holds no lease (its warm-up's went back after --lease-idle): its first invocation
        # activates the next lifetime, and is timed to its first 200 (others retried 10 ms apart).
        new_lifetime=$(now)
        tries=0
        while :; do
                tries=$((tries + 1))
                code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $KEY" \
                        "$URL/functions/chaos/invocations" -d '{"after":1}') || true
                [[ $code == 200 ]] && break
                awk -v a="$new_lifetime" -v b="$(now)" 'BEGIN { exit !(b - a < 30) }' ||
                        lib_fail "chaos: no 200 within 30 s of its first invocation after the kill (last: $code)"
                sleep 0.01
        done
        chaos_first=$(awk -v a="$new_lifetime" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
        LOAD_FIGURES+=" chaos (no lease) first 200 ${chaos_first} s after its first call ($tries tries), bound $chaos_bound s;"
        listed=$(busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.lambdad.Manager1 /org/lambdad/Manager1 \
                org.lambdad.Manager1 ListInstances 2>&1 || true)
        wait "$LOAD_PID"
        load_all_200 fault "manager SIGKILL under 8 clients: echo (leases held)"
        unserved=$(awk -v a="$fault_end" -v b="$new_lifetime" '$1 >= a && $2 < b && $3 != 200' "$TEST_TMP/fault.log" | wc -l)
        served=$(awk -v a="$fault_end" -v b="$new_lifetime" '$1 >= a && $2 < b && $3 == 200' "$TEST_TMP/fault.log" | wc -l)
        LOAD_FIGURES+=" with no manager: $served 200, $unserved other;"
        check "with no manager, the held leases served every request ($served 200s, $unserved other)" \
                test "$served" -gt 0 -a "$unserved" -eq 0
        check "chaos (no lease held): the first 200 within 1.2 x a bare cold start under the same load (${chaos_first} s, bound ${chaos_bound} s)" \
                awk -v t="$chaos_first" -v b="$chaos_bound" 'BEGIN { exit !(t <= b) }'
        # The killed lifetime's healthy instances are adopted by the next one, not replaced.
        adopted() {
                local id
                ((${#old_echo[@]} > 0)) || return 1
                for id in "${old_echo[@]}"; do
                        [[ $(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]] || return 1
                        grep -q "\"$id" <<<"$listed" || { echo "FAIL: $id not listed by the new lifetime: $listed" >&2; return 1; }
                done
        }
        check "the new lifetime adopted the killed one's echo instances (${#old_echo[@]}: still running, listed as its own)" adopted
        back_to_baseline echo '{"load":1}'
        ;;
manager-away)
        baseline echo '{"load":1}'
        service=$TEST_TMP/dbus-services/org.lambdad.Manager1.service
        cp "$service" "$TEST_TMP/manager.service.good"
        load fault echo "$LOAD_SECONDS" --expect '"load":1'
        sleep 3
        # Activation fails at once while the name is unowned: nothing may own it for 3 s.
        sed -i 's|^Exec=.*|Exec=/bin/false|' "$service"
        dbus_reload
        kill -KILL "$(manager_pid)"
        sleep 3
        cp "$TEST_TMP/manager.service.good" "$service"
        dbus_reload
        # Owned again: the next call activates it (the gateway may need none, serving on its leases).
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.lambdad.Manager1 /org/lambdad/Manager1 \
                org.freedesktop.DBus.Peer Ping
        fault_end=$(now)
        wait "$LOAD_PID"
        load_verdict fault
        load_recovery fault "$fault_end" 5
        logged_once "the gateway: the manager gone" "$TEST_TMP/socket-activate-127_0_0_1_$PORT.log" "manager went away"
        back_to_baseline echo '{"load":1}'
        ;;
instance-kill)
        baseline chaos '{"slow":1}'
        load fault chaos "$LOAD_SECONDS" --expect '"slow":1' --payload '{"slow":1}'
        sleep 4
        # Every instance is busy: at 0.5 s per invocation, these are killed in the middle of one.
        victims=$(docker ps -q --filter label=org.lambdad.function=chaos | head -n 2)
        check "instances to kill" test -n "$victims"
        # shellcheck disable=SC2086  # one id per word
        docker kill $victims >/dev/null
        fault_end=$(now)
        wait "$LOAD_PID"
        load_verdict fault
        load_recovery fault "$fault_end" 5
        back_to_baseline chaos '{"slow":1}'
        ;;
oom)
        baseline chaos '{"load":1}'
        load fault chaos "$LOAD_SECONDS" --expect '"load":1'
        main_load=$LOAD_PID
        sleep 2
        # One client past memory_mb, over and over: each time the OOM killer ends the runtime.
        LOAD_CLIENTS=1 load hog chaos 6 --payload '{"hog":1}' --function-error Runtime.ExitError
        wait "$LOAD_PID"
        hog_end=$(awk '$2 > m { m = $2 } END { print m }' "$TEST_TMP/hog.log")
        out=$(invoke chaos '{"hog":1}')
        wait "$main_load"
        load_verdict fault
        load_verdict hog
        hogs=$(awk '$3 == 200 && $4 == "Runtime.ExitError"' "$TEST_TMP/hog.log" | wc -l)
        LOAD_FIGURES+=" $hogs OOM kills;"
        check "every hog ended in Runtime.ExitError ($hogs of $(wc -l <"$TEST_TMP/hog.log"))" \
                assert_eq "$(wc -l <"$TEST_TMP/hog.log")" "$hogs" "answers"
        check "the OOM killer ended the runtime, as Lambda reports it" \
                assert_contains "$out" 'Runtime exited with error: signal: Killed' "errorMessage"
        load_recovery fault "$hog_end" 5
        back_to_baseline chaos '{"load":1}'
        ;;
engine-restart)
        baseline echo '{"load":1}'
        load fault echo 22 --expect '"load":1'
        sleep 4
        engine_stop
        sleep 2
        engine_start
        fault_end=$(now)
        wait "$LOAD_PID"
        load_verdict fault
        load_recovery fault "$fault_end" 15
        logged_once "the manager: the engine away" "$TEST_TMP/dbus.log" "container engine at .* cannot be reached"
        logged_once "the manager: the engine back" "$TEST_TMP/dbus.log" "container engine at .* is back after"
        back_to_baseline echo '{"load":1}'
        ;;
gateway-drain)
        baseline chaos '{"slow":1}'
        load fault chaos 8 --expect '"slow":1' --payload '{"slow":1}'
        sleep 3
        sigterm=$(now)
        kill -TERM "$GATEWAY_PID"
        wait_until "the gateway exited" bash -c "! kill -0 $GATEWAY_PID 2>/dev/null"
        exited=$(now)
        wait "$SOCKET_ACTIVATE_PID" && gw_rc=0 || gw_rc=$?
        wait "$LOAD_PID"
        before=$(awk -v t="$sigterm" '$1 < t' "$TEST_TMP/fault.log" | wc -l)
        answered=$(awk -v t="$sigterm" '$1 < t && $3 == 200' "$TEST_TMP/fault.log" | wc -l)
        after_bad=$(awk -v t="$sigterm" '$1 >= t && $3 != 200 && $3 != 0' "$TEST_TMP/fault.log" | wc -l)
        drain=$(awk -v a="$sigterm" -v b="$exited" 'BEGIN { printf "%.2f", b - a }')
        LOAD_FIGURES+=" $answered of $before requests sent before SIGTERM answered 200, drained in $drain s;"
        check "every request sent before SIGTERM answered 200 ($answered of $before)" assert_eq "$before" "$answered" "answered"
        check "requests after SIGTERM: answered 200 or refused, nothing else ($after_bad otherwise)" assert_eq 0 "$after_bad" "answers"
        check "the gateway exited 0" assert_eq 0 "$gw_rc" "exit status"
        check "the gateway drained within 5 s ($drain s)" awk -v t="$drain" 'BEGIN { exit !(t <= 5) }'
        # As systemd would at the next connection: a new gateway on the same socket address.
        socket_activate "127.0.0.1:$PORT" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" --exit-idle=0 {_LAMBDAD_LOCK}>&-
        GATEWAY_PID=$SOCKET_ACTIVATE_PID
        back_to_baseline chaos '{"slow":1}'
        ;;
*)
        lib_fail "unknown scenario '$SCENARIO'"
        ;;
esac

check "no zombie processes" no_zombies
manager_stops_clean
echo "# figures: $SCENARIO:$LOAD_FIGURES"
lib_done
