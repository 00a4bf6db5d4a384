#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Only the gateway may invoke an instance (issue #24), on a real engine: the manager D-Bus-activated
# on a private bus with the project's policy, the gateway socket-activated, a victim function and a
# hostile one (examples/snoop).
#   - a local unprivileged user on the host (nobody) who POSTs to the victim's published port gets
#     403, whatever secret it makes up; lambda-rie logs the refusal; /healthz stays open;
#   - the hostile function, from its own container, reaches neither the victim's address (both are
#     isolated: a bridge without inter-container traffic) nor its published port nor the gateway's, but
#     does reach a listener outside (in a network namespace of the test's, routed by the host); on the
#     shared bridge it reaches another function's instance, which answers 403. Where the engine's
#     default bridge has icc off (dockerd --icc=false, as tools/common.sh starts it), isolated
#     functions run on it and shared ones on lambdad-shared; elsewhere isolated ones on
#     lambdad-isolated and shared ones on the default bridge: the test checks the branch its engine
#     takes (LAMBDAD_TEST_ENGINE_ICC=false runs it on a private engine with icc off, see below);
#   - the hostile function reads every /proc/*/environ and /proc/*/cmdline it can open and tries
#     lambda-rie's /proc/1/mem: neither its own instance's secret nor the victim's is in what it read;
#   - the gateway still invokes both; two instances of one function have one spec label and two
#     secrets; after a restart of the manager (handover) a new gateway is served by the adopted
#     instance, whose secret the new manager read back from the engine;
#   - an image whose own lambda-rie predates the secret is refused at start, not run open;
#   - environment_files: the function sees the file's content, no log or answer of lambdad does;
#   - engine_runtime: runc passed to the engine as HostConfig.Runtime; a runtime the engine does not
#     know refused at start with a message naming it (runsc too, when the engine has it);
#   - "network": "none": the gateway invokes it (curl, aws lambda invoke) at a unix socket in a
#     directory of the manager's; its container has loopback only and reaches nothing (the victim, the
#     published ports, the gateway, a shared instance, the listener outside); nobody on the host cannot
#     list the sockets directory and gets 403 at the socket, as does anyone without the secret; after
#     the manager's restart the adopted instance serves on, a leftover directory is swept; the directory
#     goes with the instance.
# LAMBDAD_TEST_PUBLISH=bridge (test-isolation-bridge): the same with the manager's --publish=bridge,
# where nothing is published and the gateway reaches instances at their address on the bridge: nobody
# on the host POSTs there instead.
# Time bound: about 75 s here (meson timeout 300 s).
# shellcheck disable=SC2317  # helpers run through check and wait_until, which shellcheck cannot follow

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"

# ---- LAMBDAD_TEST_ENGINE_ICC=false (test-isolation-icc): the same on a private dockerd --icc=false, in
# a network namespace of the test's own (the machine's engine keeps its flags). The outer half makes the
# namespace and runs this script again inside it.
if [[ ${LAMBDAD_TEST_ENGINE_ICC:-} == false && -z ${ISOLATION_NETNS:-} ]]; then
        lib_init isolation-ns
        require_cmd ip iproute2
        require_cmd nsenter util-linux
        ISOLATION_NETNS=lambdadis$$
        export ISOLATION_NETNS
        netns_create "$ISOLATION_NETNS"
        ip -n "$ISOLATION_NETNS" link set lo up
        rc=0
        nsenter --net="/var/run/netns/$ISOLATION_NETNS" "$0" "$@" &
        wait "$!" || rc=$?
        exit "$rc"
fi

lib_init isolation
require_cmd curl
require_cmd setpriv util-linux
require_cmd busctl systemd
require_cmd python3
require_cmd /usr/bin/aws awscli
if [[ -n ${ISOLATION_NETNS:-} ]]; then
        require_cmd dockerd docker.io
        require_cmd unshare util-linux
        ENGINE_DATA=/var/lib/lambdad-test-isolation-$$
        mkdir -p "$TEST_TMP/engine" "$ENGINE_DATA"
        lib_cleanup rm -rf "$ENGINE_DATA"
        LIB_DOCKER_SOCK=$TEST_TMP/engine/docker.sock
        export DOCKER_HOST=unix://$LIB_DOCKER_SOCK
        # Its own /run (pid file, containerd); stopped after the manager's cleanup (registered later,
        # run first) removed the instances.
        start_bg dockerd unshare --mount --propagation private sh -c \
                "mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd --icc=false --data-root='$ENGINE_DATA' \
                -H 'unix://$LIB_DOCKER_SOCK' --shutdown-timeout=1"
        ENGINE_PID=$BG_PID
        lib_cleanup "kill -TERM $ENGINE_PID; for _ in \$(seq 300); do kill -0 $ENGINE_PID 2>/dev/null || break; sleep 0.1; done"
        for _ in $(seq 300); do
                _lib_docker_ping && break
                _lib_alive "$ENGINE_PID" || break
                sleep 0.1
        done
        _lib_docker_ping || lib_fail "the private dockerd did not answer (see dockerd.log)"
else
        ensure_dockerd
fi
# Where each policy runs on this engine (instance-setup.h).
if [[ $(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.enable_icc"}}') == false ]]; then
        ISO_NET=bridge SHARED_NET=lambdad-shared ISO_SAYS="isolated functions run on it"
else
        ISO_NET=lambdad-isolated SHARED_NET=bridge ISO_SAYS="isolated functions run on lambdad-isolated"
fi
echo "# the default bridge's icc: $(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.enable_icc"}}'); isolated on $ISO_NET, shared on $SHARED_NET"
lambdad_init
lambdad_images hello snoop
# An image whose own "lambda-rie" predates the instance secret: its /healthz does not say it checks
# one (a busybox httpd stands in for an old lambda-rie).
OLDRIE_IMAGE=lambdad-test-oldrie-$$:latest
lib_cleanup "docker image rm -f '$OLDRIE_IMAGE' >/dev/null 2>&1 || true"
mkdir -p "$TEST_TMP/oldrie"
printf '#!/bin/busybox sh\necho %s >/tmp/healthz\nexec /bin/busybox httpd -f -p 8080 -h /tmp\n' \
        "'{\"status\":\"ok\",\"runtime\":\"idle\"}'" >"$TEST_TMP/oldrie/lambda-rie"
chmod 0755 "$TEST_TMP/oldrie/lambda-rie"
printf 'FROM %s\nCOPY lambda-rie /lambda-rie\nENTRYPOINT ["/lambda-rie"]\n' "$(docker_image_busybox)" >"$TEST_TMP/oldrie/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$OLDRIE_IMAGE" "$TEST_TMP/oldrie" >/dev/null
printf '{ "image": "%s" }\n' "$OLDRIE_IMAGE" >"$FN/oldrie.json"

printf '{ "image": "%shello:latest", "max_instances": 2, "freeze_after_ms": 0 }\n' "$IMAGE_PREFIX" >"$FN/victim.json"
printf '{ "image": "%ssnoop:latest", "max_instances": 1, "freeze_after_ms": 0, "timeout_sec": 20 }\n' "$IMAGE_PREFIX" >"$FN/snoop.json"
# A secret in a file, for environment_files.
mkdir -m 0700 "$TEST_TMP/secrets"
FILE_SECRET=file-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$FILE_SECRET" >"$TEST_TMP/secrets/token"
printf '{ "image": "%ssnoop:latest", "freeze_after_ms": 0, "environment": {"PLAIN": "1"}, "environment_files": {"TOKEN": "%s"} }\n' \
        "$IMAGE_PREFIX" "$TEST_TMP/secrets/token" >"$FN/envfiles.json"
# The network policy: the two above are isolated (the default); these two are on the shared bridge.
printf '{ "image": "%shello:latest", "freeze_after_ms": 0, "network": "shared" }\n' "$IMAGE_PREFIX" >"$FN/sharedvictim.json"
printf '{ "image": "%ssnoop:latest", "freeze_after_ms": 0, "timeout_sec": 20, "network": "shared" }\n' "$IMAGE_PREFIX" >"$FN/sharedsnoop.json"
# engine_runtime: one the engine knows, one it does not.
printf '{ "image": "%shello:latest", "freeze_after_ms": 0, "engine_runtime": "runc" }\n' "$IMAGE_PREFIX" >"$FN/onrunc.json"
printf '{ "image": "%shello:latest", "engine_runtime": "nosuchruntime" }\n' "$IMAGE_PREFIX" >"$FN/unknownruntime.json"
# "network": "none": its instances' sockets in a directory nobody may traverse to, as the manager's
# RuntimeDirectory (/run/lambdad-manager, 0711) is.
printf '{ "image": "%ssnoop:latest", "freeze_after_ms": 0, "timeout_sec": 20, "network": "none" }\n' "$IMAGE_PREFIX" >"$FN/quiet.json"
SOCKETS_TOP=$(mktemp -d /tmp/lambdad-test-sockets.XXXXXX)
lib_cleanup rm -rf "$SOCKETS_TOP"
chmod 0711 "$SOCKETS_TOP"
SOCKETS=$SOCKETS_TOP/instances
PUBLISH=${LAMBDAD_TEST_PUBLISH:-loopback}
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --handover=always --instance-sockets-dir="$SOCKETS" \
        --publish="$PUBLISH"

start_gateway() {
        PORT=$(free_port)
        URL=http://127.0.0.1:$PORT
        socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --exit-idle=0 --lease-idle=60 {_LAMBDAD_LOCK}>&-
        GATEWAY_PID=$SOCKET_ACTIVATE_PID
}
start_gateway

mgr() {
        busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 "$@"
}
# invoke FUNCTION PAYLOAD: through the gateway; "STATUS BODY".
invoke() {
        local out
        out=$(curl -sS -w '\n%{http_code}' --max-time 60 "$URL/2015-03-31/functions/$1/invocations" -d "$2") || true
        echo "$(tail -n 1 <<<"$out") $(sed '$d' <<<"$out")"
}
# container_of FUNCTION: its one container (the first, if several).
container_of() {
        docker ps -q --filter label=org.lambdad.managed-by=lambda-manager --filter "label=org.lambdad.function=$1" | head -n 1
}
secret_of() {
        docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | sed -n 's/^LAMBDA_RIE_SECRET=//p'
}
RIE_PATH=/2015-03-31/functions/function/invocations

# ---- the gateway invokes the victim; the victim's instance and its secret
out=$(invoke victim '{"via":"gateway"}')
check "the gateway invokes the victim" assert_contains "$out" '200 {"message":"Hello from lambdad!","event":{"via":"gateway"}}' "answer"
VICTIM=$(container_of victim)
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
VICTIM_IP=$(ip_of "$VICTIM")
VICTIM_SECRET=$(secret_of "$VICTIM")
check "the victim's instance has a secret of 256 bits in its environment (the engine knows it)" \
        grep -Eqx '[0-9a-f]{64}' <<<"$VICTIM_SECRET"
if [[ $PUBLISH == bridge ]]; then
        # The host, and so the gateway and anybody on it, reaches the instance at its address.
        VICTIM_AT=http://$VICTIM_IP:8080
        check "--publish=bridge: nothing published" assert_eq "map[]" \
                "$(docker inspect -f '{{.HostConfig.PortBindings}}' "$VICTIM")" "port bindings"
else
        VICTIM_PORT=$(container_port "$VICTIM")
        VICTIM_AT=http://127.0.0.1:$VICTIM_PORT
        check "... published on loopback only ($VICTIM_PORT)" assert_eq "127.0.0.1" \
                "$(docker inspect -f '{{(index (index .NetworkSettings.Ports "8080/tcp") 0).HostIp}}' "$VICTIM")" "host ip"
fi

# ---- a local unprivileged user on the host
as_nobody() {
        setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"
}
nobody_status() { # [CURL ARGS...] URL
        as_nobody curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"
}
check "nobody on the host: no secret, 403" assert_eq 403 \
        "$(nobody_status "$VICTIM_AT$RIE_PATH" -d '{"via":"nobody"}')" "status"
check "nobody on the host: a made-up secret, 403" assert_eq 403 \
        "$(nobody_status -H "X-Lambdad-Instance-Secret: $(printf '0%.0s' $(seq 64))" "$VICTIM_AT$RIE_PATH" -d '{}')" "status"
check "nobody on the host: another path, 403" assert_eq 403 \
        "$(nobody_status "$VICTIM_AT/2015-03-31/functions/victim/invocations?Qualifier=x" -d '{}')" "status"
check "nobody on the host: an Event, 403 (nothing queued)" assert_eq 403 \
        "$(nobody_status -H 'X-Amz-Invocation-Type: Event' "$VICTIM_AT$RIE_PATH" -d '{}')" "status"
check "nobody on the host: /healthz stays open for the manager's readiness probe" assert_eq 200 \
        "$(nobody_status "$VICTIM_AT/healthz")" "status"
refusals=$(docker logs "$VICTIM" 2>&1 | grep -c 'Refused POST .*: no X-Lambdad-Instance-Secret' || true)
check "lambda-rie logs each refusal ($refusals)" test "$refusals" -ge 2
check "the victim never ran for them" bash -c "! docker logs '$VICTIM' 2>&1 | grep -q '\"via\":\"nobody\"'"

# ---- the network: isolated functions are on a bridge without traffic between its containers
check "isolated (the default): the victim is on $ISO_NET only" assert_eq "$ISO_NET " \
        "$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$VICTIM")" "networks"
check "$ISO_NET: a bridge, inter-container traffic off, not internal (a route out)" assert_eq \
        "bridge false false" \
        "$(docker network inspect "$ISO_NET" -f '{{.Driver}} {{index .Options "com.docker.network.bridge.enable_icc"}} {{.Internal}}')" "network"
check "the manager's log says which bridge isolates" bash -c "cat '$TEST_TMP'/*.log | grep -qF '$ISO_SAYS'"

# A listener outside the engine's networks (lambdad.sh).
outside_listener_start
check "the listener outside answers the host" wait_until "outside listener" outside_up

# ---- the hostile function: what it reads, and whom it reaches
GW_BRIDGE=$(docker network inspect "$ISO_NET" -f '{{(index .IPAM.Config 0).Gateway}}')
# The victim's published port as the host's bridge address shows it to a container (with
# --publish=bridge there is none: its address again).
if [[ $PUBLISH == bridge ]]; then
        VICTIM_VIA_HOST=http://$VICTIM_IP:8080$RIE_PATH
else
        VICTIM_VIA_HOST=http://$GW_BRIDGE:$VICTIM_PORT$RIE_PATH
fi
out=$(invoke snoop "{\"urls\":[\"http://$VICTIM_IP:8080$RIE_PATH\",\"$VICTIM_VIA_HOST\",\"http://$GW_BRIDGE:$PORT/2015-03-31/functions/victim/invocations\",\"http://${OUT_NET}2:8080/\"]}")
check "the gateway invokes the hostile function" assert_contains "$out" '200 {"read":' "answer"
SNOOP=$(container_of snoop)
SNOOP_SECRET=$(secret_of "$SNOOP")
field() { python3 -c 'import base64, json, sys; print(base64.b64decode(json.loads(sys.argv[1])[sys.argv[2]]).decode(errors="replace"))' "${out#200 }" "$1"; }
read_text=$(field read)
refused=$(field refused)
reached=$(field urls)
check "it did read what it may (its own environment)" assert_contains "$read_text" "AWS_LAMBDA_FUNCTION_NAME=snoop" "read"
check "it did read lambda-rie's command line (/proc/1/cmdline: no secret there)" assert_contains "$read_text" "/lambda-rie" "read"
check "lambda-rie's /proc/1/environ is closed to it (not dumpable)" assert_contains "$refused" "/proc/1/environ" "refused"
check "lambda-rie's /proc/1/mem is closed to it" assert_contains "$refused" "/proc/1/mem" "refused"
check "nothing of lambda-rie but its command line was read" bash -c "! grep -Eq '^read /proc/1/(environ|mem|maps|task)' <<<\"\$1\"" _ "$refused"
check "its own instance's secret is in nothing it read" bash -c "[[ -n '$SNOOP_SECRET' ]] && ! grep -qF '$SNOOP_SECRET' <<<\"\$1\"" _ "$read_text$refused"
check "the victim's secret is in nothing it read" bash -c "! grep -qF '$VICTIM_SECRET' <<<\"\$1\"" _ "$read_text$refused"
check "isolated: from its container, the victim's address on the network cannot be reached" \
        assert_contains "$reached" "http://$VICTIM_IP:8080$RIE_PATH 000" "urls"
check "from its container, the victim's published port (on the host's loopback) cannot be reached" \
        assert_contains "$reached" "$VICTIM_VIA_HOST 000" "urls"
check "nor the gateway's port (on the host's loopback)" \
        assert_contains "$reached" "http://$GW_BRIDGE:$PORT/2015-03-31/functions/victim/invocations 000" "urls"
check "isolated: it still reaches a listener outside" assert_contains "$reached" "http://${OUT_NET}2:8080/ 200" "urls"
check "the victim never heard of it" bash -c "! docker logs '$VICTIM' 2>&1 | grep -q 'from $(ip_of "$SNOOP"):'"

# ---- shared: on a bridge whose instances reach each other, and the secret refuses them
out=$(invoke sharedvictim '{}')
check "the gateway invokes a shared function" assert_contains "$out" '200 {"message":"Hello from lambdad!"' "answer"
SHARED_VICTIM=$(container_of sharedvictim)
SHARED_IP=$(ip_of "$SHARED_VICTIM")
check "shared: on $SHARED_NET" assert_eq "$SHARED_NET " \
        "$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$SHARED_VICTIM")" "networks"
out=$(invoke sharedsnoop "{\"urls\":[\"http://$SHARED_IP:8080$RIE_PATH\"]}")
reached=$(field urls)
check "shared: another function reaches it, and gets 403 without the secret" \
        assert_contains "$reached" "http://$SHARED_IP:8080$RIE_PATH 403" "urls"
check "... which lambda-rie logs, naming it" bash -c "docker logs '$SHARED_VICTIM' 2>&1 | grep -q 'Refused POST .* from $(ip_of "$(container_of sharedsnoop)"):[0-9]*: no X-Lambdad-Instance-Secret'"

# ---- "network": "none": no network but its invoke socket
QUIET_URLS="\"http://$VICTIM_IP:8080$RIE_PATH\",\"$VICTIM_VIA_HOST\",\"http://$GW_BRIDGE:$PORT/2015-03-31/functions/victim/invocations\",\"http://127.0.0.1:$PORT/2015-03-31/functions/victim/invocations\",\"http://$SHARED_IP:8080$RIE_PATH\",\"http://${OUT_NET}2:8080/\""
out=$(invoke quiet "{\"urls\":[$QUIET_URLS]}")
check "none: the gateway invokes it (curl)" assert_contains "$out" '200 {"read":' "answer"
reached=$(field urls)
for u in "http://$VICTIM_IP:8080$RIE_PATH" "$VICTIM_VIA_HOST" \
        "http://$GW_BRIDGE:$PORT/2015-03-31/functions/victim/invocations" \
        "http://127.0.0.1:$PORT/2015-03-31/functions/victim/invocations" "http://$SHARED_IP:8080$RIE_PATH" \
        "http://${OUT_NET}2:8080/"; do
        check "none: from its container, $u cannot be reached" assert_contains "$reached" "$u 000" "urls"
done
QUIET=$(container_of quiet)
check "none: its container's NetworkMode is none, nothing published" assert_eq "none map[]" \
        "$(docker inspect -f '{{.HostConfig.NetworkMode}} {{.HostConfig.PortBindings}}' "$QUIET")" "network"
check "none: its network namespace has loopback only" assert_eq "lo" \
        "$(sed -n 's/^ *\([^:]*\):.*/\1/p' "/proc/$(docker inspect -f '{{.State.Pid}}' "$QUIET")/net/dev" | tr '\n' ' ' | sed 's/ $//')" "interfaces"
QUIET_DIR=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/run/lambdad-rie"}}{{.Source}} {{.RW}}{{end}}{{end}}' "$QUIET")
check "none: a directory of 128 random bits in the sockets directory, bound read-write" \
        grep -Eqx "$SOCKETS/[0-9a-f]{32} true" <<<"$QUIET_DIR"
QUIET_DIR=${QUIET_DIR% *}
QUIET_SOCK=$QUIET_DIR/invoke.sock
check "none: the sockets directory 0711, the instance's closed (0711) once ready, the socket lambda-rie's (uid 993)" \
        assert_eq "711 711 socket 993" "$(stat -c '%a' "$SOCKETS") $(stat -c '%a' "$QUIET_DIR") $(stat -c '%F %u' "$QUIET_SOCK")" "modes"
check "none: nobody on the host cannot list the sockets directory" bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$SOCKETS' >/dev/null 2>&1"
check "none: nobody on the host connects to the socket and gets 403" assert_eq 403 \
        "$(nobody_status --unix-socket "$QUIET_SOCK" "http://instance$RIE_PATH" -d '{"via":"nobody"}')" "status"
check "none: no secret, 403" assert_eq 403 \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$QUIET_SOCK" "http://instance$RIE_PATH" -d '{}')" "status"
check "none: with its secret, the socket serves (the way the gateway goes)" assert_eq 200 \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --unix-socket "$QUIET_SOCK" -H "X-Lambdad-Instance-Secret: $(secret_of "$QUIET")" "http://instance$RIE_PATH" -d '{}')" "status"
check "none: the function never ran for nobody" bash -c "! docker logs '$QUIET' 2>&1 | grep -q '\"via\":\"nobody\"'"
aws_invoke() {
        AWS_ACCESS_KEY_ID=AKIDLAMBDADTEST00001 AWS_SECRET_ACCESS_KEY=unused AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= \
                AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 \
                /usr/bin/aws --endpoint-url "$URL" --cli-read-timeout 60 --cli-connect-timeout 5 lambda invoke \
                --function-name "$1" --cli-binary-format raw-in-base64-out --payload "$2" "$TEST_TMP/aws-out.json" >/dev/null
}
check "none: the gateway invokes it (aws lambda invoke)" aws_invoke quiet '{"urls":[]}'
check "... which answers what the function did" grep -q '"read":' "$TEST_TMP/aws-out.json"
check "none: still the one instance" assert_eq 1 "$(ours quiet)" "instances"

# ---- the gateway still invokes the victim; the secret is per instance, the spec is not
out=$(invoke victim '{"after":"attacks"}')
check "the gateway still invokes the victim" assert_contains "$out" '200 {"message":"Hello from lambdad!","event":{"after":"attacks"}}' "answer"
check "a second instance of the victim (Prewarm)" assert_contains "$(mgr Prewarm su victim 2)" "u " "answer"
two_victims() { [[ $(mgr ListInstances | grep -Eo '"victim" "(idle|leased)"' | wc -l) -eq 2 ]]; }
check "two instances of the victim, ready" wait_until "two instances" two_victims
mapfile -t victims < <(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager --filter label=org.lambdad.function=victim)
spec() { docker inspect -f '{{index .Config.Labels "org.lambdad.spec"}}' "$1"; }
check "two instances, one spec label (the secret is not in it)" assert_eq "$(spec "${victims[0]}")" "$(spec "${victims[1]}")" "spec"
check "two instances, two secrets" test "$(secret_of "${victims[0]}")" != "$(secret_of "${victims[1]}")"
# answers_lack SECRET METHOD...: each METHOD of the manager answers, and none of the answers holds SECRET.
answers_lack() {
        local secret=$1 method out
        shift
        for method in "$@"; do
                out=$(mgr "$method") || return 1
                [[ -n $out && $out != *"$secret"* ]] || return 1
        done
}
check "ListInstances shows no secret" answers_lack "$VICTIM_SECRET" ListInstances

# ---- an image whose lambda-rie does not check the secret is not run open
out=$(invoke oldrie '{}')
check "an image whose lambda-rie predates the secret: 502, saying so" bash -c \
        "grep -q '^502 .*predates the instance secret, so anybody could invoke the instance' <<<\"\$1\"" _ "$out"
check "... and its container is removed" wait_until "oldrie removed" none_of oldrie

# ---- environment_files: the function gets the file's content; no log and no answer of lambdad shows it
out=$(invoke envfiles '{}')
check "a function with environment_files answers" assert_contains "$out" '200 {"read":' "answer"
read_text=$(field read)
check "it sees the file's content as TOKEN (one trailing newline dropped)" bash -c "grep -qx 'TOKEN=$FILE_SECRET' <<<\"\$1\"" _ "$read_text"
check "... beside its plain environment" bash -c "grep -qx 'PLAIN=1' <<<\"\$1\"" _ "$read_text"
check "the value is in neither the manager's nor the gateway's log" bash -c \
        "! grep -rqF '$FILE_SECRET' '$TEST_TMP'/*.log"
check "nor in ListInstances or ListFunctions" answers_lack "$FILE_SECRET" ListInstances ListFunctions

# ---- engine_runtime: passed to the engine as HostConfig.Runtime; one it does not know is refused by name
out=$(invoke onrunc '{"on":"runc"}')
check "engine_runtime runc: the function answers" assert_contains "$out" '200 {"message":"Hello from lambdad!"' "answer"
check "... in a container the engine runs with runc" assert_eq runc \
        "$(docker inspect -f '{{.HostConfig.Runtime}}' "$(container_of onrunc)")" "HostConfig.Runtime"
out=$(invoke unknownruntime '{}')
check "engine_runtime unknown to the engine: 502, naming it and the ones the engine knows" bash -c \
        "grep -q '^502 .*engine_runtime .nosuchruntime., which this engine does not know (it knows: .*runc' <<<\"\$1\"" _ "$out"
check "... and no container was made for it" assert_eq 0 "$(ours unknownruntime)" "containers"
if docker info -f '{{json .Runtimes}}' | grep -q '"runsc"'; then
        printf '{ "image": "%shello:latest", "freeze_after_ms": 0, "engine_runtime": "runsc" }\n' "$IMAGE_PREFIX" >"$FN/gvisor.json"
        mgr Reload >/dev/null
        out=$(invoke gvisor '{"on":"gvisor"}')
        check "engine_runtime runsc (gVisor): the function answers" assert_contains "$out" '200 {"message":"Hello from lambdad!"' "answer"
else
        echo "# runsc (gVisor) is not registered with this engine: not exercised"
fi

# ---- a restart of the manager: the adopted instance serves a new gateway, with its secret read back
kill -TERM "$GATEWAY_PID"
gateway_gone() { ! _lib_alive "$GATEWAY_PID"; }
check "the first gateway exits (its leases given back)" wait_until "gateway exit" gateway_gone
kill -TERM "$(manager_pid)"
check "the manager exits, leaving its instances (handover)" wait_until "manager exit" manager_gone
check "the victim's instance lives on" docker inspect "$VICTIM"
# A directory left by an instance that is gone: the next lifetime sweeps it.
LEFTOVER=$SOCKETS/0123456789abcdef0123456789abcdef
mkdir -m 01777 "$LEFTOVER"
touch "$LEFTOVER/invoke.sock"
start_gateway
out=$(invoke victim '{"after":"restart"}')
check "a new gateway, a new manager lifetime: the victim answers" assert_contains "$out" '200 {"message":"Hello from lambdad!","event":{"after":"restart"}}' "answer"
check "... from an adopted instance (no new container)" assert_eq 2 "$(ours victim)" "instances"
check "... whose secret did not change" bash -c "docker ps -q --filter label=org.lambdad.function=victim | while read -r c; do docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' \"\$c\"; done | grep -qx 'LAMBDA_RIE_SECRET=$VICTIM_SECRET'"
check "... and which still refuses nobody" assert_eq 403 \
        "$(nobody_status "$VICTIM_AT$RIE_PATH" -d '{}')" "status"
out=$(invoke quiet '{"after":"restart"}')
check "none: after the restart, the gateway invokes it" assert_contains "$out" '200 {"read":' "answer"
check "... from the adopted instance (its socket checked again)" assert_eq "$QUIET" "$(container_of quiet)" "container"
check "... which logs adopting it at its socket" bash -c "cat '$TEST_TMP'/*.log | grep -q 'Adopted instance ${QUIET:0:12} of .quiet. at $QUIET_SOCK:0'"
check "none: the leftover directory was swept, the adopted instance's kept" bash -c "[[ ! -e '$LEFTOVER' && -S '$QUIET_SOCK' ]]"
docker kill "$QUIET" >/dev/null
quiet_dir_gone() { [[ ! -e $QUIET_DIR ]] && none_of quiet; }
check "none: its directory goes with the instance (killed, removed)" wait_until "the socket's directory removed" quiet_dir_gone
out=$(invoke quiet '{"after":"kill"}')
check "none: a fresh instance answers, in a directory of its own" assert_contains "$out" '200 {"read":' "answer"
check "... not the old one" bash -c "[[ ! -e '$QUIET_DIR' ]] && ls '$SOCKETS' | grep -Eqx '[0-9a-f]{32}'"

lib_done
