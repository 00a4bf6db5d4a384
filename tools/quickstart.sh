#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# quickstart.sh: the README's first command. On a fresh Debian 12, as root: installs what is
# missing, starts dockerd if none answers, builds lambdad, builds the `hello` function image
# offline, invokes it once and prints its answer. Everything it starts is removed when it ends
# (Ctrl-C included); dockerd is left running. $LAMBDAD_BUILD_DIR overrides build/.
#
# Until the gateway and the manager exist, the function container is run by hand and invoked
# directly through lambda-rie. When they land, only serve_function (and the invoke URL it
# sets) changes: start the manager and the gateway, and invoke through the gateway.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$LAMBDAD_ROOT"
need_root
# The tests' cleanup machinery: strict mode, $TEST_TMP, and removal of what we start on exit.
lib_init quickstart

FUNCTION=hello
PAYLOAD='{"name":"lambdad"}'

prepare() {
        "$LAMBDAD_ROOT/tools/deps.sh"
        say "Docker engine"
        start_engine
        meson_build
        say "Building the $FUNCTION function image (offline, FROM scratch)"
        "$LAMBDAD_ROOT/examples/build-images.sh" --rie "$LAMBDAD_BUILD_DIR/src/rie/lambda-rie" "$FUNCTION"
}

# serve_function NAME: make NAME invocable; sets INVOKE_URL.
serve_function() {
        local cid port
        say "Starting a $1 container"
        cid=$(docker_run_tracked --rm -p 127.0.0.1::8080 "$1:latest")
        port=$(container_port "$cid")
        # lambda-rie answers /healthz once it listens.
        wait_for_http --ok "http://127.0.0.1:$port/healthz" 20
        INVOKE_URL=http://127.0.0.1:$port/2015-03-31/functions/function/invocations
}

# invoke URL PAYLOAD: POST it, show the answer; fails unless the answer is a 200.
invoke() {
        local out code body
        say "Invoking: POST $1"
        echo "    payload: $2"
        out=$(curl -sS --max-time 60 -w '\n%{http_code}' "$1" -H 'Content-Type: application/json' -d "$2")
        code=${out##*$'\n'}
        body=${out%$'\n'*}
        say "HTTP $code, the function answered:"
        echo
        echo "$body"
        echo
        [[ $code == 200 ]] || lib_fail "expected HTTP 200 from $1, got $code"
}

prepare
serve_function "$FUNCTION"
invoke "$INVOKE_URL" "$PAYLOAD"
