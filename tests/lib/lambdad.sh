# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# lambdad.sh: lambdad's own pieces for the tests that run them together, on top of lib.sh: a
# private system bus with the project's D-Bus policy on which lambda-manager is D-Bus-activated,
# the example images, and lambda-gateway. Source after lib.sh, then call lambdad_init.

# lambdad_init: paths of the build, the manager binary, the example images' tag prefix.
lambdad_init() {
        # A manager removes every lambdad container of other lifetimes when it starts: tests that
        # run one take turns (the lock is held until the test exits).
        exec {_LAMBDAD_LOCK}>/run/lambdad-test-manager.lock
        flock "$_LAMBDAD_LOCK"
        LAMBDAD_SRC=$(source_dir)
        LAMBDAD_BUILD=$(build_dir)
        MANAGER=$LAMBDAD_BUILD/src/manager/lambda-manager
        GATEWAY=$LAMBDAD_BUILD/src/gateway/lambda-gateway
        BUS_ACQUIRE=${BUS_ACQUIRE:-$LAMBDAD_BUILD/tests/integration/bus-acquire}
        IMAGE_PREFIX=lambdad-test-
        FN=$TEST_TMP/functions.d
        mkdir -p "$FN"
        # Every gateway the test starts keeps its queue of Event invocations here, not in the
        # machine's /var/lib/lambdad-gateway (which other tests may be using).
        export STATE_DIRECTORY=$TEST_TMP/gateway-state
        # Whatever a test leaves, the manager (activated by the bus, so not a child of the test)
        # and its containers go with it.
        lib_cleanup "'$MANAGER' --cleanup --docker-socket='$LIB_DOCKER_SOCK' >/dev/null 2>&1"
        # SIGTERM first: a manager that exits by itself also reports its leaks (sanitized builds).
        lib_cleanup "pkill -TERM -f '^$MANAGER --functions-dir=$FN' && for _ in \$(seq 50); do pgrep -f '^$MANAGER --functions-dir=$FN' >/dev/null || break; sleep 0.1; done; pkill -KILL -f '^$MANAGER --functions-dir=$FN' || true"
}

# lambdad_images NAME...: build example images (tagged $IMAGE_PREFIX$NAME:latest), with the
# client of the engine the test drives (ensure_engine).
lambdad_images() {
        "$LAMBDAD_SRC/examples/build-images.sh" --rie "$LAMBDAD_BUILD/src/rie/lambda-rie" \
                --engine "${LAMBDAD_ENGINE:-docker}" --tag-prefix "$IMAGE_PREFIX" "$@" >&2
}

# lambdad_bus MANAGER-ARGS...: a private system bus with the project's policy, on which the
# manager is activated with these arguments (and --functions-dir=$FN, and the built lambda-rie to
# lend to images without one). Exports DBUS_SYSTEM_BUS_ADDRESS.
lambdad_bus() {
        local address=unix:path=$TEST_TMP/system_bus_socket
        cp "$LAMBDAD_SRC/dbus/org.lambdad.Manager1.conf" "$TEST_TMP/dbus-policy/"
        cat >"$TEST_TMP/dbus-services/org.lambdad.Manager1.service" <<EOF
[D-BUS Service]
Name=org.lambdad.Manager1
Exec=/usr/bin/env DBUS_SYSTEM_BUS_ADDRESS=$address $MANAGER --functions-dir=$FN --rie-path=$LAMBDAD_BUILD/src/rie/lambda-rie $*
EOF
        dbus_start_private --strict
        export DBUS_SYSTEM_BUS_ADDRESS=$address
}

# lambdad_credentials NAME: what the gateway's --api-keys and --credentials read, for a test: the
# API key $KEY (NAME-api-key-0123456789), allowed every function, in $TEST_TMP/api-keys, and the
# SigV4 key pair $AKID and $SECRET in $TEST_TMP/credentials.
lambdad_credentials() {
        KEY=$1-api-key-0123456789
        AKID=AKIDLAMBDADTEST00001
        SECRET=lambdadTestSecretKey0123456789abcdef
        printf '%s %s *\n' "$1" "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" >"$TEST_TMP/api-keys"
        printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/credentials"
        chmod 0640 "$TEST_TMP/api-keys" "$TEST_TMP/credentials"
}

# manager_pid: the activated manager's pid, or nothing.
manager_pid() {
        pgrep -f "^$MANAGER --functions-dir=$FN" || true
}

manager_gone() {
        [[ -z $(manager_pid) ]]
}

# ours FUNCTION: how many containers the manager runs for the function.
ours() {
        docker ps -aq --filter "label=org.lambdad.managed-by=lambda-manager" --filter "label=org.lambdad.function=$1" | wc -l
}

none_of() {
        [[ $(ours "$1") -eq 0 ]]
}

# wait_until [--timeout=S] WHAT CMD...: until CMD succeeds (20 s at most, or S).
wait_until() {
        local tries=100 what i
        if [[ $1 == --timeout=* ]]; then
                tries=$((${1#--timeout=} * 5))
                shift
        fi
        what=$1
        shift
        for ((i = 0; i < tries; i++)); do "$@" && return 0; sleep 0.2; done
        echo "FAIL: timed out waiting for $what" >&2
        return 1
}

# free_port: a TCP port nothing listens on now.
free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# engine_proxy_start SOCKET [MODE_FILE]: the engine as the manager sees it, through
# tests/lib/engine-proxy.py: a socket the test can take away or make misbehave (MODE_FILE).
engine_proxy_start() {
        local i
        start_bg engine-proxy python3 "$LAMBDAD_SRC/tests/lib/engine-proxy.py" "$1" "$LIB_DOCKER_SOCK" "${@:2}" \
                {_LAMBDAD_LOCK}>&-
        ENGINE_PROXY_PID=$BG_PID
        for i in $(seq 50); do [[ -S $1 ]] && return 0; sleep 0.1; done
        lib_fail "engine proxy did not start"
}

# engine_proxy_stop SOCKET: the engine goes away (nothing listens on SOCKET any more).
engine_proxy_stop() {
        kill "$ENGINE_PROXY_PID" && wait "$ENGINE_PROXY_PID" 2>/dev/null || true
        rm -f "$1"
}

# outside_listener_start: an HTTP listener outside the engine's networks, as the world is to instances:
# in a network namespace of the test's, at the end of a veth pair whose other end is on the host, which
# routes (and the engine masquerades) the instances' traffic to it. It answers any POST 200 "ok" at
# http://${OUT_NET}2:8080/; outside_up says whether it does (from the host).
outside_listener_start() {
        require_cmd ip iproute2
        require_cmd python3
        OUT_NS=lambdadout$$
        netns_create "$OUT_NS"
        OUT_NET=10.$((200 + $$ % 50)).$(($$ / 50 % 250)).
        ip link add "lout$$h" type veth peer name "lout$$n"
        lib_cleanup "ip link delete 'lout$$h' 2>/dev/null || true"
        ip link set "lout$$n" netns "$OUT_NS"
        ip addr add "${OUT_NET}1/30" dev "lout$$h"
        ip link set "lout$$h" up
        ip -n "$OUT_NS" addr add "${OUT_NET}2/30" dev "lout$$n"
        ip -n "$OUT_NS" link set "lout$$n" up
        ip -n "$OUT_NS" route add default via "${OUT_NET}1"
        start_bg outside ip netns exec "$OUT_NS" python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
http.server.HTTPServer((sys.argv[1], 8080), H).serve_forever()' "${OUT_NET}2"
}

outside_up() { curl -s --max-time 2 "http://${OUT_NET}2:8080/" -d x >/dev/null; }
