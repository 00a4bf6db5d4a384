#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docker-compose.yml on a Docker Swarm of two nodes on this one machine, with the images compose builds
# from a clone of this tree (packaging/compose/Dockerfile, as test-compose, whose build cache it
# reuses; tests/lib/compose.sh) and no variable but the stack's own: the host's dockerd is the
# swarm manager, advertising on a veth pair; a second dockerd in a network namespace of its own
# (and a private /run, so that its containers' /var/run/docker.sock is its own) joins as a worker.
# `docker stack deploy` runs bus, manager and gateway on both nodes (global services; each manager
# drives its own node's engine; the gateways publish in host mode). Invocations go to both nodes'
# gateways and run on both nodes; a rolling restart of the managers (`docker service update
# --force`) under 8 keep-alive clients is invisible to them (only 200s; echo's instances adopted on
# both nodes, hello's, whose declaration changed, replaced); `docker stack rm` leaves no function
# container on either node. The swarm, the second engine and the namespace are removed at the end.
# Time bound: about 3 minutes here with the build cache warm (meson timeout 600 s, which also covers
# building the images cold; it runs alone, tests/integration/meson.build).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/compose.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/load.sh"
lib_init swarm
require_cmd curl
require_cmd python3
require_cmd ip iproute2
require_cmd nsenter util-linux
require_cmd unshare util-linux
require_cmd dockerd docker.io
ensure_dockerd
# The swarm changes the shared engine: nobody else's manager may run meanwhile, and it is left at
# the end whatever happens.
lambdad_init
compose_init
[[ $(docker info -f '{{.Swarm.LocalNodeState}}') == inactive ]] ||
        lib_skip "the engine is already part of a swarm (not ours to change)"
# hello: the example function compose builds; echo: built with the lambda-rie of compose's manager.
printf '{ "image": "lambda-hello:latest", "max_instances": 8 }\n' >"$FN/hello.json"
printf '{ "image": "%secho:latest", "max_instances": 8 }\n' "$IMAGE_PREFIX" >"$FN/echo.json"
# Isolated functions: iso (lambda-hello) and snoop (examples/snoop, the hostile function of
# test-isolation, which reports whom it reaches), on lambdad-isolated of their node's engine, invoked at
# a socket in the sockets directory; quiet, snoop with "network": "none".
# open: a function without a "network" (shared on the stack's network), never frozen (a paused
# instance answers nobody, which would make the checks below pass for the wrong reason).
printf '{ "image": "lambda-hello:latest", "freeze_after_ms": 0 }\n' >"$FN/open.json"
printf '{ "image": "lambda-hello:latest", "network": "isolated", "freeze_after_ms": 0 }\n' >"$FN/iso.json"
printf '{ "image": "%ssnoop:latest", "network": "isolated", "freeze_after_ms": 0, "timeout_sec": 40 }\n' \
        "$IMAGE_PREFIX" >"$FN/snoop.json"
printf '{ "image": "%ssnoop:latest", "network": "none", "freeze_after_ms": 0, "timeout_sec": 40 }\n' \
        "$IMAGE_PREFIX" >"$FN/quiet.json"
# A Swarm does not make a missing bind-mount source: the code store and the sockets directory must
# exist on every node (node 2's /run is its own: made there below).
mkdir -p "$CODE_STORE" "$SOCKETS"
# lambdad-isolated is made by the first manager that needs it, and left (README): removed at the end
# if this test's manager made it.
docker network inspect lambdad-isolated >/dev/null 2>&1 ||
        lib_cleanup "docker network rm lambdad-isolated >/dev/null 2>&1 || true"
STACK=lambdad
NET=${STACK}_default

# ---- the second node: a network namespace over a veth pair, and its own dockerd
n=$(($$ % 200 + 20))
NS=lambdadsw$$
HOST_IP=10.251.$n.1
NODE2_IP=10.251.$n.2
NODE2=$TEST_TMP/node2
NODE2_DATA=/var/lib/lambdad-test-swarm-$$
mkdir -p "$NODE2" "$NODE2_DATA"
lib_cleanup rm -rf "$NODE2_DATA"
netns_create "$NS"
ip link add "lsw$$" type veth peer name "lsw$$p"
lib_cleanup ip link delete "lsw$$"
ip link set "lsw$$p" netns "$NS"
ip addr add "$HOST_IP/24" dev "lsw$$"
ip link set "lsw$$" up
ip -n "$NS" addr add "$NODE2_IP/24" dev "lsw$$p"
ip -n "$NS" link set "lsw$$p" up
ip -n "$NS" link set lo up
# No default route: node 2 talks to node 1 only (the engine would otherwise try registries).

# A private /run: the engine's own socket, pid file and state, where containers expect them. Without
# the manager lock's fd: its containers' shims outlive it, and would hold the lock for every later
# test.
start_bg dockerd2 {_LAMBDAD_LOCK}>&- nsenter --net="/var/run/netns/$NS" unshare --mount --propagation private sh -c \
        "mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd --data-root='$NODE2_DATA' \
        -H unix:///run/docker.sock -H 'unix://$NODE2/docker.sock' --bip 10.252.$n.1/24 \
        --default-address-pool base=10.253.0.0/16,size=24"
D2=(docker -H "unix://$NODE2/docker.sock")
for _ in $(seq 300); do
        [[ $(curl -s --max-time 1 --unix-socket "$NODE2/docker.sock" http://d/_ping 2>/dev/null) == OK ]] && break
        _lib_alive "$PID_dockerd2" || lib_fail "the second dockerd exited (see dockerd2.log)"
        sleep 0.1
done
"${D2[@]}" info >/dev/null || lib_fail "the second dockerd does not answer"
nsenter -t "$PID_dockerd2" -m mkdir -p "$SOCKETS" || lib_fail "cannot make the sockets directory on node 2"
# Registered after the engine's own stop, so run before it: nothing of node 2 outlives the test.
lib_cleanup "ids=\$(docker -H 'unix://$NODE2/docker.sock' ps -aq) && [ -z \"\$ids\" ] || docker -H 'unix://$NODE2/docker.sock' rm -f \$ids >/dev/null 2>&1 || true"

# stack_remove: the stack, then its network once its tasks are gone (stack rm removes both at once
# and gives up on a network still in use), then its volumes on node 1 (node 2's go with its data).
stack_remove() {
        local v
        docker stack rm "$STACK" >/dev/null 2>&1 || true
        for _ in $(seq 100); do
                docker network inspect "$NET" >/dev/null 2>&1 || break
                docker network rm "$NET" >/dev/null 2>&1 && break
                sleep 0.3
        done
        for v in "${STACK}_bus" "${STACK}_rie" "${STACK}_gateway-state" "${STACK}_manager-state"; do
                for _ in $(seq 50); do
                        docker volume inspect "$v" >/dev/null 2>&1 || break
                        docker volume rm "$v" >/dev/null 2>&1 && break
                        sleep 0.3
                done
        done
        ! docker network inspect "$NET" >/dev/null 2>&1
}

# ---- the swarm
lib_cleanup "docker swarm leave --force >/dev/null 2>&1 || true"
docker swarm init --advertise-addr "$HOST_IP" --listen-addr "$HOST_IP:2377" >&2
lib_cleanup "docker -H 'unix://$NODE2/docker.sock' swarm leave --force >/dev/null 2>&1 || true"
"${D2[@]}" swarm join --token "$(docker swarm join-token -q worker)" --advertise-addr "$NODE2_IP" \
        --listen-addr "$NODE2_IP:2377" "$HOST_IP:2377" >&2
check "two nodes in the swarm" assert_eq 2 "$(docker node ls -q | wc -l)" "nodes"

# ---- the images on both nodes (stack deploy does not build): compose builds them, as in test-compose
start=$(date +%s%N)
dc build >&2
echo "# docker-compose build: $((($(date +%s%N) - start) / 1000000)) ms"
compose_images_forget_old
compose_fixtures echo snoop
images=("${COMPOSE_IMAGES[@]}" "${IMAGE_PREFIX}echo:latest" "${IMAGE_PREFIX}snoop:latest")
docker save "${images[@]}" | "${D2[@]}" load >&2

# ---- deploy
# Images by id: a task's engine tries a registry for any image given by tag, even one it has.
sed_images=()
for s in bus manager gateway; do
        sed_images+=(-e "s|image: lambdad-$s:.*|image: $(docker image inspect -f '{{.Id}}' "lambdad-$s:test")|")
done
sed_images+=(-e "s|image: lambda-hello:latest|image: $(docker image inspect -f '{{.Id}}' lambda-hello:latest)|")
sed "${sed_images[@]}" "$CLONE/docker-compose.yml" >"$TEST_TMP/stack.yml"
lib_cleanup stack_remove
# The stack's settings: what .env holds for compose (stack deploy reads no .env).
(cd "$CLONE" && env "${COMPOSE_ENV[@]}" docker stack deploy -c "$TEST_TMP/stack.yml" --resolve-image never "$STACK") >&2
URL1=http://127.0.0.1:$PORT
URL2=http://$NODE2_IP:$PORT
for u in "$URL1" "$URL2"; do
        URL=$u check "deployed: $u answers" wait_for_answer hello '"message":"Hello from lambdad!"' 90
done
check "each node runs bus, manager and gateway" assert_eq 6 \
        "$(docker service ps -q --filter desired-state=running "${STACK}_bus" "${STACK}_manager" "${STACK}_gateway" | wc -l)" "tasks"
for i in $(seq 10); do
        URL=$URL1 invoke echo "{\"n\":$i}" >/dev/null
        URL=$URL2 invoke echo "{\"n\":$i}" >/dev/null
done
n1=$(docker ps -q --filter "label=org.lambdad.network=$NET" --filter label=org.lambdad.managed-by=lambda-manager | wc -l)
n2=$("${D2[@]}" ps -q --filter "label=org.lambdad.network=$NET" --filter label=org.lambdad.managed-by=lambda-manager | wc -l)
check "functions ran on both nodes ($n1 on node 1, $n2 on node 2)" test "$n1" -ge 1 -a "$n2" -ge 1

# on_node N ARGS...: docker on node N (1: this engine, 2: the second one).
on_node() {
        local n=$1
        shift
        if ((n == 1)); then docker "$@"; else "${D2[@]}" "$@"; fi
}
# fn_ids N FUNCTION: the function's containers on node N.
fn_ids() {
        on_node "$1" ps -q --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.function=$2" \
                --filter "label=org.lambdad.network=$NET" | sort
}
# ---- isolation on Swarm (issue #24): isolated functions on lambdad-isolated (a bridge of each node's
# engine without traffic between its containers), "network": "none" ones without a network; both
# invoked by their node's gateway at a socket in the sockets directory, bound at its host path into
# the node's manager and gateway. Joining the gateway's task container to a function's bridge, as in
# compose, would move its default route and its published port off docker_gwbridge.
RIE_PATH=/2015-03-31/functions/function/invocations
outside_listener_start
check "the listener outside answers the host" wait_until "outside listener" outside_up
# snoop_reached N URL...: what snoop's instance on node N reached of URL... (one "URL STATUS" a line).
snoop_reached() {
        local url=URL$1 out
        shift
        out=$(URL=${!url} invoke "$SNOOPER" "{\"urls\":[$(printf '"%s",' "$@" | sed 's/,$//')]}")
        python3 -c 'import base64, json, sys; print(base64.b64decode(json.loads(sys.argv[1])["urls"]).decode())' "$out" 2>/dev/null ||
                echo "# $SNOOPER answered: $out" >&2
}
# ip_on N CONTAINER NETWORK: its address on that network of node N.
ip_on() {
        on_node "$1" inspect -f "{{with index .NetworkSettings.Networks \"$3\"}}{{.IPAddress}}{{end}}" "$2" 2>/dev/null
}
for u in 1 2; do
        url=URL$u
        out=$(URL=${!url} invoke iso "{\"node\":$u}")
        check "node $u: the gateway invokes the isolated function iso" assert_contains "$out" "\"event\":{\"node\":$u}" "answer"
        out=$(URL=${!url} invoke snoop '{"warm":1}')
        check "node $u: the gateway invokes the isolated function snoop" assert_contains "$out" '"urls":' "answer"
        out=$(URL=${!url} invoke quiet '{"warm":1}')
        check "node $u: the gateway invokes quiet (none)" assert_contains "$out" '"urls":' "answer"
        out=$(URL=${!url} invoke open '{"warm":1}')
        check "node $u: the gateway invokes open (shared)" assert_contains "$out" '"event":{"warm":1}' "answer"
        ISO=$(fn_ids "$u" iso | head -n 1)
        SNOOP=$(fn_ids "$u" snoop | head -n 1)
        QUIET=$(fn_ids "$u" quiet | head -n 1)
        check "node $u: iso and snoop on lambdad-isolated only, quiet on none" \
                assert_eq "lambdad-isolated lambdad-isolated none" \
                "$(on_node "$u" inspect -f '{{.HostConfig.NetworkMode}}' "$ISO" "$SNOOP" "$QUIET" | xargs)" "networks"
        check "node $u: lambdad-isolated: a bridge without traffic between its containers" assert_eq "bridge false false" \
                "$(on_node "$u" network inspect lambdad-isolated -f '{{.Driver}} {{index .Options "com.docker.network.bridge.enable_icc"}} {{.Internal}}')" "network"
        iso_dir=$(on_node "$u" inspect -f '{{range .Mounts}}{{if eq .Destination "/run/lambdad-rie"}}{{.Source}} {{.RW}}{{end}}{{end}}' "$ISO")
        check "node $u: iso's socket in a directory of the sockets directory, bound read-write ($iso_dir)" \
                grep -Eqx "$SOCKETS/[0-9a-f]{32} true" <<<"$iso_dir"
        # A listener on lambdad-isolated (the host's python in a container's network namespace): the
        # host reaches it, snoop must not.
        target=$(on_node "$u" run -d --network lambdad-isolated --label "org.lambdad.test=$TEST_NAME" \
                --entrypoint /bin/sleep lambda-hello:latest 600)
        lib_cleanup "docker -H unix://$([[ $u == 1 ]] && echo "$LIB_DOCKER_SOCK" || echo "$NODE2/docker.sock") rm -f $target >/dev/null 2>&1 || true"
        mkdir -p "$TEST_TMP/empty"
        start_bg "listener$u" nsenter -t "$(on_node "$u" inspect -f '{{.State.Pid}}' "$target")" -n \
                python3 -m http.server 8080 --bind 0.0.0.0 --directory "$TEST_TMP/empty"
        TARGET_IP=$(ip_on "$u" "$target" lambdad-isolated)
        target_up() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$TARGET_IP:8080/") == 200 ]]; }
        if ((u == 1)); then
                check "node 1: a listener on lambdad-isolated answers the host" wait_until "the listener" target_up
        else
                check "node 2: a listener on lambdad-isolated answers node 2's host" wait_until "the listener" \
                        bash -c "[[ \$(nsenter --net=/var/run/netns/$NS curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://$TARGET_IP:8080/) == 200 ]]"
        fi
        gw=$(on_node "$u" ps -q --no-trunc --filter "label=com.docker.swarm.service.name=${STACK}_gateway")
        GW_IP=$(ip_on "$u" "$gw" "$NET")
        GW_GWB_IP=$(on_node "$u" network inspect docker_gwbridge -f "{{with index .Containers \"$gw\"}}{{.IPv4Address}}{{end}}")
        GW_GWB_IP=${GW_GWB_IP%/*}
        OPEN=$(on_node "$u" ps -q --no-trunc --filter label=org.lambdad.function=open | head -n 1)
        OPEN_IP=$(ip_on "$u" "$OPEN" "$NET")
        BRIDGE_GW=$(on_node "$u" network inspect lambdad-isolated -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
        urls=("http://$TARGET_IP:8080/" "http://$GW_GWB_IP:8080/healthz" "http://$GW_IP:8080/healthz"
                "http://$OPEN_IP:8080$RIE_PATH")
        ((u == 1)) && urls+=("http://${OUT_NET}2:8080/")
        SNOOPER=snoop
        reached=$(snoop_reached "$u" "${urls[@]}" "http://$BRIDGE_GW:$PORT/healthz")
        echo "# node $u, from snoop's instance: $(paste -sd ' ' <<<"$reached")"
        check "node $u: isolated: snoop cannot reach another container on lambdad-isolated" assert_contains "$reached" "${urls[0]} 000" "urls"
        check "node $u: isolated: nor the gateway's address on docker_gwbridge, where it listens" assert_contains "$reached" "${urls[1]} 000" "urls"
        # The overlay's addresses are not the host's: what answers there for the host (the world beyond
        # it, on a machine whose network has such addresses) may answer snoop too; the shared instance's
        # own answer (403 without the secret, from its namespace) must not come. (Nothing listens on the
        # gateway's address there: it listens on its docker_gwbridge address, checked above.)
        own=$(nsenter -t "$(on_node "$u" inspect -f '{{.State.Pid}}' "$OPEN")" -n \
                curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 "${urls[3]}" -d '{}' || true)
        if ((u == 1)); then
                world=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 "${urls[3]}" -d '{}' || true)
        else
                world=$(nsenter --net="/var/run/netns/$NS" curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 "${urls[3]}" -d '{}' || true)
        fi
        check "node $u: isolated: snoop at a shared instance on $NET gets what the node's host gets ($world), not the instance's answer ($own)" \
                bash -c "[[ '$own' == 403 && '$world' != 403 ]] && grep -qxF '${urls[3]} $world' <<<'$reached'"
        ((u == 1)) && check "node 1: isolated: it still reaches a listener outside" assert_contains "$reached" "${urls[4]} 200" "urls"
        SNOOPER=quiet
        reached=$(snoop_reached "$u" "${urls[@]}")
        echo "# node $u, from quiet's instance: $(paste -sd ' ' <<<"$reached")"
        for v in "${urls[@]}"; do
                check "node $u: none: from quiet's instance, $v cannot be reached" assert_contains "$reached" "$v 000" "urls"
        done
        on_node "$u" rm -f "$target" >/dev/null
        kill "$(cat "$TEST_TMP/listener$u.pid")" 2>/dev/null || true
done
QUIET_DIR=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/run/lambdad-rie"}}{{.Source}}{{end}}{{end}}' "$(fn_ids 1 quiet | head -n 1)")
ISO_DIR=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/run/lambdad-rie"}}{{.Source}}{{end}}{{end}}' "$(fn_ids 1 iso | head -n 1)")
check "node 1: the sockets directory the manager's own (0711), the instances' closed, the sockets lambda-rie's" \
        assert_eq "61101 711 711 socket 993 711 socket 993" \
        "$(stat -c '%u %a' "$SOCKETS") $(stat -c '%a' "$QUIET_DIR") $(stat -c '%F %u' "$QUIET_DIR/invoke.sock") $(stat -c '%a' "$ISO_DIR") $(stat -c '%F %u' "$ISO_DIR/invoke.sock")" "modes"
for d in "$QUIET_DIR" "$ISO_DIR"; do
        check "node 1: nobody on the host at $d/invoke.sock without the secret: 403" assert_eq 403 \
                "$(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all curl -s -o /dev/null -w '%{http_code}' \
                        --max-time 10 --unix-socket "$d/invoke.sock" "http://instance$RIE_PATH" -d '{}')" "status"
done
check "node 1: the manager says where isolated functions run" bash -c \
        "docker logs \$(docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_manager) 2>&1 | grep -q 'isolated functions run on lambdad-isolated of this engine'"

# ---- a rolling restart of the managers under load on both gateways: invisible to clients
# 8 keep-alive clients of echo (4 on each node's gateway) for 30 s; `docker service update --force`
# of the managers in the middle. Every answer is a 200 (not one 503, reset or timeout). Each node's
# new manager adopts echo's instances (the same containers serve after it), while hello, whose
# declaration changed before the update, gets fresh ones on both nodes (the manager reads
# declarations at start and on SIGHUP only, and both nodes' managers read this directory).
# running_all N ID...: there are IDs, and every one of these containers runs on node N.
running_all() {
        local n=$1 id
        shift
        (($# > 0)) || { echo "FAIL: no container to check" >&2; return 1; }
        for id; do
                [[ $(on_node "$n" inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]] ||
                        { echo "FAIL: $id no longer runs on node $n" >&2; return 1; }
        done
}
# gone_all N ID...: there are IDs, and none of these containers exists on node N any more.
gone_all() {
        local n=$1 id
        shift
        (($# > 0)) || { echo "FAIL: no container to check" >&2; return 1; }
        for id; do
                ! on_node "$n" inspect "$id" >/dev/null 2>&1 || return 1
        done
}
# fresh_with_rev N BEFORE ID...: there are IDs, none of them in BEFORE (space-separated), each
# running with the changed declaration's environment on node N.
fresh_with_rev() {
        local n=$1 before=" $2 " id
        shift 2
        (($# > 0)) || { echo "FAIL: no container to check" >&2; return 1; }
        for id; do
                [[ $before != *" $id "* ]] || { echo "FAIL: $id served before the update" >&2; return 1; }
                on_node "$n" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id" | grep -qx LAMBDAD_TEST_REV=2 ||
                        { echo "FAIL: $id lacks LAMBDAD_TEST_REV=2" >&2; return 1; }
        done
}
declare -A echo_before hello_before iso_before
for u in 1 2; do
        url=URL$u
        # Every client has an instance of its own before the load starts.
        # (waited for by pid: a bare `wait` would wait for the second dockerd too)
        warmers=()
        for i in 1 2 3 4; do
                URL=${!url} invoke echo "{\"warm\":$i}" >/dev/null &
                warmers+=("$!")
        done
        wait "${warmers[@]}"
        out=$(URL=${!url} invoke hello '{"before":1}')
        check "node $u: hello answers before the update" assert_contains "$out" '"before":1' "answer"
done
loaders=()
for u in 1 2; do
        url=URL$u
        load_start "load$u" "${!url}/functions/echo/invocations" "$KEY" 30 4 20 --expect '"load":1'
        loaders+=("$LOAD_PID")
done
sleep 3
for u in 1 2; do
        iso_before[$u]=$({ fn_ids "$u" iso; fn_ids "$u" quiet; } | tr '\n' ' ')
        echo_before[$u]=$(fn_ids "$u" echo | tr '\n' ' ')
        hello_before[$u]=$(fn_ids "$u" hello | tr '\n' ' ')
done
printf '{ "image": "lambda-hello:latest", "max_instances": 8, "environment": { "LAMBDAD_TEST_REV": "2" } }\n' >"$FN/hello.json"
update_begin=$(date +%s.%N)
docker service update --force --detach=false "${STACK}_manager" >&2 2>"$TEST_TMP/update.log" || true
updated=$(date +%s.%N)
wait "${loaders[@]}"
echo "# service update --force took $(awk -v a="$update_begin" -v b="$updated" 'BEGIN { printf "%.2f", b - a }') s"
for u in 1 2; do
        echo "# node $u: answers in the update's window (to 2 s after): $(load_window_counts "load$u" "$update_begin" \
                "$(awk -v t="$updated" 'BEGIN { printf "%.3f", t + 2 }')")"
        check "node $u: the load went on for 2 s after the update" \
                awk -v t="$updated" '$2 > t + 2 { f = 1 } END { exit !f }' "$TEST_TMP/load$u.log"
        load_all_200 "load$u" "service update --force of the managers, node $u's gateway"
done
for u in 1 2; do
        # shellcheck disable=SC2086  # one id per word
        check "node $u: echo's instances before the update ($(wc -w <<<"${echo_before[$u]}")) all still run after it (adopted)" \
                running_all "$u" ${echo_before[$u]}
        # shellcheck disable=SC2086  # one id per word
        check "node $u: iso's and quiet's instances, at their sockets, still run after it (adopted)" \
                running_all "$u" ${iso_before[$u]}
        url=URL$u
        out=$(URL=${!url} invoke quiet '{"after":1}')
        check "node $u: quiet answers after the update" assert_contains "$out" '"urls":' "answer"
        out=$(URL=${!url} invoke hello '{"after":1}')
        check "node $u: hello (declaration changed) answers after the update" assert_contains "$out" '"after":1' "answer"
        # shellcheck disable=SC2086  # one id per word
        check "node $u: hello (declaration changed): its instances before the update are removed, not adopted" \
                wait_until "hello's old instances removed" gone_all "$u" ${hello_before[$u]}
        mapfile -t hello_after < <(fn_ids "$u" hello)
        check "node $u: hello (declaration changed): a fresh instance serves (${hello_after[*]}), with the new declaration" \
                fresh_with_rev "$u" "${hello_before[$u]}" "${hello_after[@]}"
done
for u in "$URL1" "$URL2"; do
        URL=$u check "after the rolling restart: $u answers" wait_for_answer echo '"w":1' 60
done

# ---- stack rm leaves no function container on either node
stack_remove
none_left() {
        [[ -z $(docker ps -aq --filter "label=org.lambdad.network=$NET") &&
                -z $("${D2[@]}" ps -aq --filter "label=org.lambdad.network=$NET") ]]
}
check "stack rm: no function container on either node" wait_until "function containers removed" none_left
check "stack rm: no instance's directory left in node 1's sockets directory" test -z "$(ls -A "$SOCKETS" 2>&1)"
check "stack rm: no network, no volume left on node 1" bash -c \
        "! docker network inspect $NET >/dev/null 2>&1 && [[ -z \$(docker volume ls -q --filter name=^${STACK}_) ]]"

lib_done
