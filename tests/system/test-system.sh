#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lambdad as an operator runs it: a real systemd as PID 1 (systemd-nspawn booting the host's own
# tree under an overlay), the Debian package built from this tree installed with dpkg -i, the
# host's dockerd socket bound in. The
# gateway is socket-activated, the manager D-Bus-activated (its ExecStartPre cleanup runs), the
# policy holds, both exit when idle and come back, a manager restart under load is invisible to
# clients (only 200s; the unchanged function's instances adopted, the changed one's replaced),
# `systemctl stop lambda-manager` removes the instances, and stopping everything leaves no
# container behind.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/load.sh"
lib_init system
require_cmd systemd-nspawn systemd-container
require_cmd curl
require_cmd python3
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_dockerd
lambdad_init
lambdad_images hello echo

# The package, built offline from this tree and checked by lintian.
DEB=$("$LAMBDAD_SRC/packaging/build-deb.sh" "$TEST_TMP/deb") || lib_fail "building the .deb failed"
check "the .deb builds offline and is lintian-clean at the error level" test -f "$DEB"
check "the RPM spec parses" bash -c "! command -v rpmspec >/dev/null || rpmspec -P '$LAMBDAD_SRC/packaging/rpm/lambdad.spec' >/dev/null"

# What the operator writes before installing: short idle periods so that the test sees the
# daemons exit, the socket on a free port, functions and credentials.
ETC=$TEST_TMP/etc
mkdir -p "$ETC/lambda-gateway.socket.d" "$ETC/lambda-gateway.service.d" "$ETC/lambda-manager.service.d" "$ETC/functions.d"
PORT=$(free_port)
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PORT" >"$ETC/lambda-gateway.socket.d/test.conf"
printf '[Service]\nExecStart=\nExecStart=/usr/libexec/lambda-gateway --exit-idle=6 --lease-idle=2\n' \
        >"$ETC/lambda-gateway.service.d/test.conf"
printf '[Service]\nExecStart=\nExecStart=/usr/libexec/lambda-manager --exit-idle=6 --wait-timeout=2\n' \
        >"$ETC/lambda-manager.service.d/test.conf"
printf '{ "image": "%shello:latest", "idle_timeout_sec": 3 }\n' "$IMAGE_PREFIX" >"$ETC/functions.d/hello.json"
printf '{ "image": "%secho:latest", "idle_timeout_sec": 3, "max_instances": 4 }\n' "$IMAGE_PREFIX" >"$ETC/functions.d/echo.json"
KEY=system-test-key-0123
AKID=AKIDSYSTEMTEST000001
SECRET=systemTestSecret0123456789abcdef
printf 'tests %s *\n' "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" >"$ETC/api-keys"
printf '%s %s *\n' "$AKID" "$SECRET" >"$ETC/credentials"

# The package's files over the host's /usr (read-only, as nspawn gives it), and its maintainer
# scripts: what dpkg -i would do, on a tree that nspawn cannot let us write.
STAGE=$TEST_TMP/stage
dpkg-deb -x "$DEB" "$STAGE"
dpkg-deb -e "$DEB" "$TEST_TMP/control"
if [[ -d $STAGE/lib ]]; then
        mkdir -p "$STAGE/usr/lib"
        cp -a "$STAGE/lib/." "$STAGE/usr/lib/"
        rm -rf "$STAGE/lib"
fi
# The engine's socket belongs to the host's docker group: the same gid inside, from the first boot
# (as on a host where docker.io is installed before lambdad).
printf 'g docker %s\n' "$(stat -c %g "$LIB_DOCKER_SOCK")" >"$ETC/00-docker.conf"

# ---- boot the host's tree
MACHINE=lambdad-test-$$
systemd-nspawn -D / --volatile=yes --register=no --keep-unit -M "$MACHINE" \
        --overlay-ro="/usr:$STAGE/usr:/usr" \
        --bind="$LIB_DOCKER_SOCK:/run/docker.sock" --bind-ro="$TEST_TMP/control:/mnt/control" --bind-ro="$ETC:/mnt/etc" \
        --bind-ro="$ETC/00-docker.conf:/etc/sysusers.d/00-docker.conf" \
        -b systemd.condition-first-boot=false >"$TEST_TMP/nspawn.log" 2>&1 &
NSPAWN=$!
lib_cleanup "kill -TERM $NSPAWN 2>/dev/null; for i in \$(seq 50); do kill -0 $NSPAWN 2>/dev/null || break; sleep 0.2; done; kill -KILL $NSPAWN 2>/dev/null || true"
PID1=
for _ in $(seq 100); do
        PID1=$(pgrep -P "$NSPAWN" -x systemd || true)
        [[ -n $PID1 ]] && break
        sleep 0.1
done
[[ -n $PID1 ]] || lib_fail "no systemd came up in the container: $(tail -5 "$TEST_TMP/nspawn.log")"
inside() {
        nsenter -t "$PID1" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
state=
for _ in $(seq 150); do
        state=$(inside systemctl is-system-running 2>/dev/null || true)
        [[ $state == running || $state == degraded ]] && break
        sleep 0.2
done
check "systemd booted in the container ($state)" bash -c "[[ '$state' == running || '$state' == degraded ]]"

# ---- install the package inside, as an operator would
inside sh -c 'mkdir -p /etc/systemd/system /etc/lambdad /etc/sysusers.d &&
        cp -r /mnt/etc/lambda-gateway.socket.d /mnt/etc/lambda-gateway.service.d /mnt/etc/lambda-manager.service.d /etc/systemd/system/ &&
        cp -r /mnt/etc/functions.d /mnt/etc/api-keys /mnt/etc/credentials /etc/lambdad/ &&
        systemctl daemon-reload'
# A zombie of an "earlier lifetime", for the cleanup to find.
zombie=$(docker_run_tracked --label org.lambdad.managed-by=lambda-manager --label org.lambdad.lifetime=33333333333333333333333333333333 \
        --label org.lambdad.function=hello --entrypoint /bin/busybox "${IMAGE_PREFIX}hello:latest" sleep 300)
inside env DPKG_MAINTSCRIPT_PACKAGE=lambdad DPKG_MAINTSCRIPT_NAME=postinst DPKG_MAINTSCRIPT_ARCH=amd64 /mnt/control/postinst configure >"$TEST_TMP/postinst.log" 2>&1 || lib_fail "postinst failed: $(tail -5 "$TEST_TMP/postinst.log")"
# dpkg's trigger for /usr/share/dbus-1/system.d (the dbus package's) reloads the bus once the
# package is configured, so that the policy sees the new users.
inside systemctl reload dbus
check "the package's postinst creates the system users" bash -c "$(declare -f inside); PID1=$PID1; inside getent passwd lambda-gateway >/dev/null && inside getent passwd lambda-manager >/dev/null"
inside chgrp lambda-gateway /etc/lambdad/api-keys /etc/lambdad/credentials
inside chmod 0640 /etc/lambdad/api-keys /etc/lambdad/credentials

gateway_running() { inside systemctl is-active -q lambda-gateway.service; }
# (not `journalctl | grep -q`: under pipefail, grep's early exit may fail journalctl with SIGPIPE)
manager_logged() { grep -q -- "$1" <<<"$(inside journalctl -q --no-pager -u lambda-manager)"; }
manager_running() { inside systemctl is-active -q lambda-manager.service; }
no_gateway() { ! gateway_running; }
no_manager() { ! manager_running; }
idle_and_reaped() { no_gateway && no_manager && all_ours_gone; }
all_ours_gone() { [[ $(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager | wc -l) -eq 0 ]]; }
as_user() {
        local user=$1 group=$2
        shift 2
        inside setpriv --reuid="$user" --regid="$group" --clear-groups busctl call org.lambdad.Manager1 \
                /org/lambdad/Manager1 org.lambdad.Manager1 "$@" 2>&1 || true
}

# ---- 1. the socket, and nothing running yet
inside systemctl start lambda-gateway.socket
check "lambda-gateway.socket listens" inside systemctl is-active -q lambda-gateway.socket
check "no gateway runs before the first connection" no_gateway
check "no manager runs before the first call" no_manager

# ---- 2. curl and the AWS CLI against the socket
out=$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/functions/hello/invocations" -d '{"via":"systemd"}')
check "curl: hello answers through the socket-activated gateway" assert_contains "$out" '"event":{"via":"systemd"}' "answer"
check "the gateway was socket-activated" gateway_running
check "the manager was D-Bus-activated" manager_running
check "ExecStartPre cleanup removed the planted zombie" bash -c "! docker inspect '$zombie' >/dev/null 2>&1"
check "aws lambda invoke through the socket" env AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 \
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null /usr/bin/aws --endpoint-url "http://127.0.0.1:$PORT" \
        lambda invoke --function-name hello --cli-binary-format raw-in-base64-out --payload '{"via":"aws"}' "$TEST_TMP/aws.json"
check "aws lambda invoke: the answer" assert_contains "$(cat "$TEST_TMP/aws.json" 2>/dev/null)" '"via":"aws"' "answer"

# ---- 3. busctl as root, and the policy for the gateway's user
check "busctl ListInstances shows the instance" assert_contains \
        "$(inside busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances)" '"hello"' "instances"
check "the gateway's user may not call StopFunction" assert_contains "$(as_user lambda-gateway lambda-gateway StopFunction s hello)" \
        "denied" "error"
check "the gateway's user may call EnsureContainer" assert_contains "$(as_user lambda-gateway lambda-gateway EnsureContainer s hello)" \
        "sqs " "answer"
check "nobody else may call anything" assert_contains "$(as_user nobody nogroup ListFunctions)" "denied" "error"

# ---- 4. idle: both daemons exit, containers are reaped, and everything comes back
check "idle: both daemons exit and the instances are reaped" wait_until "idle exit" idle_and_reaped
out=$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/functions/hello/invocations" -d '{"again":1}')
check "idle: the next invocation re-activates everything" assert_contains "$out" '"again":1' "answer"

# ---- 5. systemctl restart lambda-manager under load (the chaos suite's scenario, under systemd):
# a planned restart is invisible to clients. 8 keep-alive clients of echo (warm, at its instance
# limit) get nothing but 200s: not one 503, and the p99 latency of the restart's window is at most 3
# times that of as long a window just before it, same clients. The new lifetime adopts echo's
# instances (the same containers serve after it), while hello, whose declaration changed before the
# restart, gets fresh ones (the manager reads declarations at start and on SIGHUP only, so a file
# edited before `systemctl restart` is what the next lifetime sees). The daemons' fds and RSS come
# back to what they were under the same load before. Then `systemctl stop lambda-manager` (no
# successor) still removes every instance, the gateway connected or not.
unit_pid() { inside systemctl show -P MainPID "$1"; }
fds_of() { inside sh -c "ls /proc/$(unit_pid "$1")/fd | wc -l"; }
# (awk is an alternatives link, and the machine's /etc has none)
rss_of() { inside grep '^VmRSS:' "/proc/$(unit_pid "$1")/status" | tr -dc 0-9; }
steady_load() {
        load_start "$1" "http://127.0.0.1:$PORT/functions/echo/invocations" "$KEY" 3 8 20 --expect '"load":1'
        wait "$LOAD_PID"
        load_verdict "$1"
        sleep 1
}
ids_of() { docker ps -q --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.function=$1" | sort; }
# running_all ID...: every one of these containers still runs.
running_all() {
        local id
        for id; do
                [[ $(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]] || return 1
        done
}
# gone_all ID...: none of these containers exists any more.
gone_all() {
        local id
        for id; do
                ! docker inspect "$id" >/dev/null 2>&1 || return 1
        done
}
# some_and_all CMD ARG...: there are ARGs, and CMD holds for them.
some_and_all() {
        (($# > 1)) || { echo "FAIL: none to check" >&2; return 1; }
        "$@"
}
# listed_in TEXT ID...: ListInstances' answer TEXT names every ID (a prefix of the full id).
listed_in() {
        local text=$1 id
        shift
        for id; do
                grep -q "\"$id" <<<"$text" || { echo "FAIL: $id not listed: $text" >&2; return 1; }
        done
}
# fresh_with_rev ID...: none of these was one of hello's before the restart, and each runs with
# the changed declaration's environment.
fresh_with_rev() {
        local id
        for id; do
                [[ " ${hello_before[*]} " != *" $id "* ]] || { echo "FAIL: $id served before the restart" >&2; return 1; }
                docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id" | grep -qx LAMBDAD_TEST_REV=2 ||
                        { echo "FAIL: $id lacks LAMBDAD_TEST_REV=2" >&2; return 1; }
        done
}
steady_load before
declare -A base
for u in lambda-gateway lambda-manager; do
        base[$u]="$(fds_of $u) $(rss_of $u)"
done
# 20 s: the restart happens within its first 10 s or so.
load_start restart "http://127.0.0.1:$PORT/functions/echo/invocations" "$KEY" 20 8 20 --expect '"load":1'
# As long under load before the restart as its window lasts (about 1 + 2 s): the p99's baseline.
sleep 5
# hello warm (idle_timeout_sec 3: invoked just before), then its declaration changed.
out=$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/functions/hello/invocations" -d '{"before":1}')
check "hello answers before the restart" assert_contains "$out" '"before":1' "answer"
mapfile -t hello_before < <(ids_of hello)
mapfile -t echo_before < <(ids_of echo)
inside sh -c "printf '%s\n' '{ \"image\": \"${IMAGE_PREFIX}hello:latest\", \"idle_timeout_sec\": 3, \"environment\": { \"LAMBDAD_TEST_REV\": \"2\" } }' >/etc/lambdad/functions.d/hello.json"
restart_begin=$(date +%s.%N)
inside systemctl restart lambda-manager
restarted=$(date +%s.%N)
# The new lifetime's view, while the load still runs (echo's instances cannot go idle meanwhile).
listed=$(inside busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances 2>&1 || true)
wait "$LOAD_PID"
mapfile -t echo_after < <(ids_of echo)
window=$(load_window_counts restart "$restart_begin" "$(awk -v t="$restarted" 'BEGIN { printf "%.3f", t + 2 }')")
LOAD_FIGURES+=" restart window (systemctl restart to 2 s after it returned): $window;"
check "the load went on for 2 s after the restart (its last answer $(awk '{ if ($2 > m) m = $2 } END { printf "%.1f", m }' "$TEST_TMP/restart.log") vs $restarted)" \
        awk -v t="$restarted" '$2 > t + 2 { f = 1 } END { exit !f }' "$TEST_TMP/restart.log"
echo "# systemctl restart lambda-manager took $(awk -v a="$restart_begin" -v b="$restarted" 'BEGIN { printf "%.2f", b - a }') s; answers in its window: $window"
load_all_200 restart "systemctl restart lambda-manager under 8 clients"
load_restart_p99 restart "$restart_begin" "$(awk -v t="$restarted" 'BEGIN { printf "%.3f", t + 2 }')" restart
check "restart: echo's instances before it (${#echo_before[@]}) all still run after it (adopted, not replaced)" \
        some_and_all running_all "${echo_before[@]}"
check "restart: the new lifetime lists echo's instances of the last one as its own" \
        some_and_all listed_in "$listed" "${echo_before[@]}"
LOAD_FIGURES+=" echo containers ${#echo_before[@]} before, ${#echo_after[@]} after;"
check "restart: the new lifetime read the last one's lease record from systemd's file descriptor store" \
        wait_until "the journal has it" manager_logged "lease record in systemd's file descriptor store names [1-9]"
out=$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/functions/hello/invocations" -d '{"after":1}')
check "hello (declaration changed) answers after the restart" assert_contains "$out" '"after":1' "answer"
mapfile -t hello_after < <(ids_of hello)
check "hello had an instance before the restart (${#hello_before[@]})" test "${#hello_before[@]}" -gt 0
check "hello (declaration changed): its instances before the restart are removed, not adopted" \
        wait_until "hello's old instances removed" some_and_all gone_all "${hello_before[@]}"
check "hello (declaration changed): a fresh instance serves (${hello_after[*]}), with the new declaration" \
        some_and_all fresh_with_rev "${hello_after[@]}"
steady_load after
for u in lambda-gateway lambda-manager; do
        read -r fds0 rss0 <<<"${base[$u]}"
        fds1=$(fds_of $u) rss1=$(rss_of $u)
        LOAD_FIGURES+=" $u fds $fds0->$fds1, RSS $rss0->$rss1 kB;"
        check "$u: fds back to the baseline ($fds0 -> $fds1, margin 3)" test "$fds1" -le $((fds0 + 3)) -a "$fds1" -ge $((fds0 - 3))
        check "$u: RSS back to the baseline ($rss0 -> $rss1 kB, margin 4096 kB)" test "$rss1" -le $((rss0 + 4096))
done
check "no zombie processes in the machine" assert_eq 0 "$(inside ps -eo stat= | grep -c '^Z' || true)" "zombies"
echo "# figures: systemctl restart lambda-manager:$LOAD_FIGURES"

# systemctl stop: no successor, so nothing is handed over, though the gateway is still connected.
curl -s -o /dev/null --max-time 60 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/functions/echo/invocations" -d '{"stop":1}' || true
mapfile -t ours_before_stop < <(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager)
check "instances run before systemctl stop (${#ours_before_stop[@]})" test "${#ours_before_stop[@]}" -gt 0
check "the gateway is still running (connected to the bus) at systemctl stop" gateway_running
check "systemctl stop lambda-manager completes (no activation cancels it)" inside systemctl stop lambda-manager.service
check "systemctl stop lambda-manager removes its instances, the gateway connected" \
        wait_until "instances removed" some_and_all gone_all "${ours_before_stop[@]}"

# ---- 6. stopping everything leaves no container
inside systemctl stop lambda-gateway.socket lambda-gateway.service lambda-manager.service
check "systemctl stop leaves no lambdad container" wait_until "containers gone" all_ours_gone

# On failure, what systemd saw (lib.sh shows the ends of these logs).
inside ls -lR /etc/systemd/system >"$TEST_TMP/units.log" 2>&1 || true
inside journalctl -q --no-pager -u lambda-manager -u lambda-gateway -u dbus -n 60 >"$TEST_TMP/journal.log" 2>&1 || true

lib_done
