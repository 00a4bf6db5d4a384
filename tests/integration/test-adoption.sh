#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Which containers of an earlier lifetime the manager adopts, and which it removes: the real
# manager (D-Bus-activated on a private bus with the project's policy, its instances on an engine
# network of the test's own, --network) and a socket-activated gateway that stays connected.
#   (a) a container labelled as lambdad's but of another network (another compose project) is never
#       adopted and never removed; one labelled as this network's but attached to another is
#       never adopted;
#   (b) an instance whose image changed (rebuilt under the same tag) or whose declaration changed
#       (its JSON edited before the restart) is removed, and a fresh one serves;
#   (c) a healthy instance with an unchanged declaration and image is adopted, after SIGTERM with
#       the gateway connected and after SIGKILL: the same container is listed by ListInstances and
#       serves the gateway's next invocation with no cold start (lambda-rie's log tail has no
#       "Init Duration", which only a runtime's first invocation reports);
#   (d) `lambda-manager --cleanup=zombies` keeps an adoptable instance and removes an exited one;
#       `lambda-manager --cleanup` removes every instance of its network.
# Time bound: about 60 s here (meson timeout 300 s).
# shellcheck disable=SC2317  # helpers run through check and wait_until, which shellcheck cannot follow

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init adoption
require_cmd curl
require_cmd python3
require_cmd busctl systemd
ensure_dockerd
# The engine networks (the manager's own, and another deployment's) and the builds of a function
# image go last, once the manager's cleanup (lambdad_init) has removed every container using them.
NETA=lambdadadopta$$
NETB=lambdadadoptb$$
IMG=lambdad-test-adopt-$$:latest
image_ids=()
# shellcheck disable=SC2016  # expanded when the cleanup runs, with every build made by then
lib_cleanup 'docker image rm -f "${image_ids[@]}" >/dev/null 2>&1 || true'
lib_cleanup "docker network rm '$NETA' '$NETB' >/dev/null 2>&1 || true"
lambdad_init
lambdad_images hello echo
docker network create "$NETA" >/dev/null
docker network create "$NETB" >/dev/null

# A function image the test rebuilds under the same tag: a new image id, the same name.
build_img() {
        local ctx=$TEST_TMP/img
        mkdir -p "$ctx"
        printf 'FROM %shello:latest\nLABEL org.lambdad.test.rev=%s\n' "$IMAGE_PREFIX" "$1" >"$ctx/Dockerfile"
        DOCKER_BUILDKIT=0 docker build -q -t "$IMG" "$ctx" >/dev/null
        image_ids+=("$(docker image inspect -f '{{.Id}}' "$IMG")")
}
build_img 1

printf '{ "image": "%secho:latest", "max_instances": 2, "freeze_after_ms": 0 }\n' "$IMAGE_PREFIX" >"$FN/echo.json"
printf '{ "image": "%shello:latest", "max_instances": 2, "freeze_after_ms": 0 }\n' "$IMAGE_PREFIX" >"$FN/decl.json"
printf '{ "image": "%s", "max_instances": 2, "freeze_after_ms": 0 }\n' "$IMG" >"$FN/img.json"

# The manager's arguments, also for the --cleanup runs by hand; its lease record in a directory of
# the test's own (--state-dir).
mkdir -m 0700 "$TEST_TMP/manager-state"
MANAGER_ARGS=(--docker-socket="$LIB_DOCKER_SOCK" --network="$NETA" --exit-idle=0 --state-dir="$TEST_TMP/manager-state")
lambdad_bus "${MANAGER_ARGS[@]}"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --exit-idle=0 {_LAMBDAD_LOCK}>&-
GATEWAY_PID=$SOCKET_ACTIVATE_PID

# invoke FUNCTION PAYLOAD: the gateway's answer, status first, in $ANSWER ("200 {...}"); the log
# tail's "Init Duration" (or "-") in $INIT. Not inside $(...): it sets both here.
invoke() {
        local out logtail
        out=$(curl -sS -D "$TEST_TMP/h" -w '\n%{http_code}' --max-time 60 -H 'X-Amz-Log-Type: Tail' \
                "$URL/2015-03-31/functions/$1/invocations" -d "$2") || true
        logtail=$(sed -n 's/^X-Amz-Log-Result: *//Ip' "$TEST_TMP/h" | tr -d '\r' | base64 -d 2>/dev/null) || true
        INIT=$(grep -o 'Init Duration: [0-9.]* ms' <<<"$logtail" || echo -)
        ANSWER="$(tail -n 1 <<<"$out") $(sed '$d' <<<"$out")"
}
# answered TEXT: the last invocation answered 200 with TEXT in its body.
answered() {
        [[ $ANSWER == "200 "*"$1"* ]] || { echo "FAIL: expected 200 with '$1', got '$ANSWER'" >&2; return 1; }
}
mgr() {
        busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 "$@"
}
# ids FUNCTION: the manager's containers of FUNCTION on this test's network (short ids; not the
# copies the test plants, labelled org.lambdad.test by docker_run_tracked).
ids() {
        docker ps -a --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.function=$1" \
                --filter "label=org.lambdad.network=$NETA" --format '{{.ID}} {{.Label "org.lambdad.test"}}' |
                awk '$2 == "" { print $1 }' | sort
}
short_id() { [[ $1 =~ ^[0-9a-f]{12}$ ]]; }
# only ID FUNCTION: FUNCTION's one container (of the manager's) is ID.
only() { assert_eq "$1" "$(ids "$2" | tr '\n' ' ' | sed 's/ $//')" "$2's containers"; }
# fresh_with ID OLD CMD...: ID is a container, not OLD, and CMD ID holds.
fresh_with() {
        local id=$1 old=$2
        shift 2
        short_id "$id" && [[ $id != "$old" ]] && "$@" "$id"
}
has_rev2() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | grep -qx LAMBDAD_TEST_REV=2; }
runs_rebuilt() { [[ $(docker inspect -f '{{.Image}}' "$1") == "${image_ids[1]}" ]]; }
other_untouched() { not_listed "$OTHER" && running "$OTHER"; }
network_empty() {
        [[ -z $(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.network=$NETA") ]]
}
running() { [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
gone() { ! docker inspect "$1" >/dev/null 2>&1; }
listed() { grep -q "\"$1" <<<"$(mgr ListInstances 2>/dev/null)"; }
not_listed() { ! listed "$1"; }
# copy_of ID [LABEL=VALUE...]: `docker run` arguments for a container like ID (image, labels, user,
# environment, entrypoint and command: everything the manager could compare), with these labels
# replaced.
copy_of() {
        docker inspect "$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]["Config"]
labels = {k: v for k, v in (c.get("Labels") or {}).items() if not k.startswith("org.lambdad.test")}
labels.update(dict(a.split("=", 1) for a in sys.argv[1:]))
args = []
for k, v in sorted(labels.items()):
    args += ["--label", "%s=%s" % (k, v)]
for e in c.get("Env") or []:
    args += ["--env", e]
if c.get("User"):
    args += ["--user", c["User"]]
ep = c.get("Entrypoint") or []
if ep:
    args += ["--entrypoint", ep[0]]
args += [c["Image"]] + ep[1:] + (c.get("Cmd") or [])
sys.stdout.write("\0".join(args) + "\0")' "${@:2}"
}
# manager_stop_with SIGNAL: the manager gets SIGNAL with the gateway connected to the bus, and is gone.
manager_stop_with() {
        check "the gateway is connected when the manager gets SIG$1" _lib_alive "$GATEWAY_PID"
        kill "-$1" "$(manager_pid)"
        wait_until "the manager gone" manager_gone
}

# ---- the first lifetime: one instance of each function
for f in echo decl img; do
        invoke "$f" "{\"first\":\"$f\"}"
        check "$f answers" answered "{\"first\":\"$f\"}"
        # The control for the checks of "no cold start" below: a cold start's log tail says so.
        [[ $f != echo ]] || check "echo's first invocation, a cold start, reports its Init Duration ($INIT)" test "$INIT" != -
done
E1=$(ids echo) D1=$(ids decl) I1=$(ids img)
one_each() { short_id "$E1" && short_id "$D1" && short_id "$I1"; }
check "one instance each (echo $E1, decl $D1, img $I1)" one_each
first_lifetime=$(docker inspect -f '{{index .Config.Labels "org.lambdad.lifetime"}}' "$E1")

# (a) another deployment's copy of echo's instance (its network and compose project), and one
# labelled as this network's but attached to the other.
mapfile -d '' -t args < <(copy_of "$E1" "org.lambdad.network=$NETB" "com.docker.compose.project=lambdadother$$")
OTHER=$(docker_run_tracked --network "$NETB" "${args[@]}")
mapfile -d '' -t args < <(copy_of "$E1")
ELSEWHERE=$(docker_run_tracked --network "$NETB" "${args[@]}")
planted_run() { running "$OTHER" && running "$ELSEWHERE"; }
check "the planted copies run" planted_run

# (b) before the restart: decl's declaration changes, img's image is rebuilt (the old manager reads
# declarations only at start and on SIGHUP, and does not look at images again).
printf '{ "image": "%shello:latest", "max_instances": 2, "freeze_after_ms": 0, "environment": { "LAMBDAD_TEST_REV": "2" } }\n' \
        "$IMAGE_PREFIX" >"$FN/decl.json"
build_img 2
check "the rebuilt image has a new id" test "${image_ids[0]}" != "${image_ids[1]}"

# ---- SIGTERM with the gateway connected: a successor is expected, the instances are handed over
manager_stop_with TERM
check "SIGTERM with the gateway connected: echo's instance left running for the next lifetime" running "$E1"
check "the next lifetime comes up" mgr ListFunctions
check "(c) SIGTERM: echo's instance adopted (listed by the next lifetime)" wait_until "echo listed" listed "$E1"
invoke echo '{"after":"term"}'
check "(c) SIGTERM: the gateway's next invocation of echo answers 200 ($ANSWER)" answered '{"after":"term"}'
check "(c) SIGTERM: ... served by the same warm runtime, no cold start (Init Duration: $INIT)" assert_eq - "$INIT" "log tail"
check "(c) SIGTERM: echo runs on the adopted container only" only "$E1" echo
check "(c) the adopted instance keeps its lifetime's label" assert_eq "$first_lifetime" \
        "$(docker inspect -f '{{index .Config.Labels "org.lambdad.lifetime"}}' "$E1")" "label"
check "(b) declaration changed: decl's old instance removed, not adopted" wait_until "decl's old instance removed" gone "$D1"
check "(b) image changed: img's old instance removed, not adopted" wait_until "img's old instance removed" gone "$I1"
invoke decl '{"after":1}'
check "(b) decl answers on a fresh instance" answered '"event":{"after":1}'
D2=$(ids decl)
check "(b) decl's fresh instance ($D2) has the new declaration" fresh_with "$D2" "$D1" has_rev2
invoke img '{"after":1}'
check "(b) img answers on a fresh instance" answered '"event":{"after":1}'
I2=$(ids img)
check "(b) img's fresh instance ($I2) runs the rebuilt image" fresh_with "$I2" "$I1" runs_rebuilt
check "(a) another network's copy: not adopted" not_listed "$OTHER"
check "(a) another network's copy: not removed" running "$OTHER"
check "(a) a copy on another network but labelled as this one's: not adopted" not_listed "$ELSEWHERE"
echo "# (a) the copy on another network labelled as this one's: $(gone "$ELSEWHERE" && echo removed || echo left)"

# ---- SIGKILL: no hand-over at all; the next lifetime still adopts what is healthy
manager_stop_with KILL
check "SIGKILL: echo's instance still runs" running "$E1"
check "the next lifetime after SIGKILL comes up" mgr ListFunctions
check "(c) SIGKILL: echo's instance adopted (listed by the next lifetime)" wait_until "echo listed" listed "$E1"
invoke echo '{"after":"kill"}'
check "(c) SIGKILL: the gateway's next invocation of echo answers 200 ($ANSWER)" answered '{"after":"kill"}'
check "(c) SIGKILL: ... served by the same warm runtime, no cold start (Init Duration: $INIT)" assert_eq - "$INIT" "log tail"
check "(c) SIGKILL: echo runs on the adopted container only" only "$E1" echo
check "(a) SIGKILL: another network's copy still not adopted, still running" other_untouched

# ---- (d) --cleanup=zombies and --cleanup, by hand, with no manager running. Activation fails
# meanwhile, so that nothing but the runs below touches the instances.
service=$TEST_TMP/dbus-services/org.lambdad.Manager1.service
cp "$service" "$TEST_TMP/manager.service.good"
sed -i 's|^Exec=.*|Exec=/bin/false|' "$service"
dbus_reload
manager_stop_with TERM
check "(d) echo's instance left running by SIGTERM" running "$E1"
mapfile -d '' -t args < <(copy_of "$E1")
EXITED=$(docker_run_tracked --network "$NETA" "${args[@]}")
docker stop -t 1 "$EXITED" >/dev/null
check "(d) an exited instance of ours on this network (planted)" \
        assert_eq exited "$(docker inspect -f '{{.State.Status}}' "$EXITED")" "state"
"$MANAGER" --cleanup=zombies --functions-dir="$FN" --rie-path="$LAMBDAD_BUILD/src/rie/lambda-rie" "${MANAGER_ARGS[@]}" \
        >"$TEST_TMP/cleanup-zombies.log" 2>&1 && rc=0 || rc=$?
check "(d) --cleanup=zombies exits 0" assert_eq 0 "$rc" "exit status"
check "(d) --cleanup=zombies removes the exited instance" gone "$EXITED"
check "(d) --cleanup=zombies keeps the adoptable instance" running "$E1"
check "(d) --cleanup=zombies leaves another network's copy alone" running "$OTHER"
"$MANAGER" --cleanup --functions-dir="$FN" --rie-path="$LAMBDAD_BUILD/src/rie/lambda-rie" "${MANAGER_ARGS[@]}" \
        >"$TEST_TMP/cleanup.log" 2>&1 && rc=0 || rc=$?
check "(d) --cleanup exits 0" assert_eq 0 "$rc" "exit status"
check "(d) --cleanup removes every instance of its network" network_empty
check "(d) --cleanup leaves another network's copy alone" running "$OTHER"
cp "$TEST_TMP/manager.service.good" "$service"
dbus_reload

lib_done
