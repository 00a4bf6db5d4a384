#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# quickstart.sh: the README's first command. On a fresh Debian 12, as root: installs what is
# missing, starts dockerd if none answers, builds lambdad, builds the `hello` function image
# offline, starts the services the way systemd would (lambda-gateway socket-activated,
# lambda-manager D-Bus-activated on a private system bus with lambdad's policy), invokes `hello`
# through the gateway with curl and with the AWS CLI, and prints the answers. Everything it
# starts is removed when it ends (Ctrl-C included); dockerd is left running.
# $LAMBDAD_BUILD_DIR overrides build/. To run lambdad as services on a systemd host, see README.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=../tests/lib/lambdad.sh
source "$LAMBDAD_ROOT/tests/lib/lambdad.sh"
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

# start_services: the manager (activated on first use) and the gateway (started on the first
# connection), with fresh credentials: an API key and an AWS key pair. Sets URL.
start_services() {
        local port
        lambdad_init
        say "Starting a private system bus (lambdad's D-Bus policy; the manager is activated on demand)"
        lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=30

        API_KEY=qs-$(random_hex)
        AKID=AKIDQUICKSTART$(random_hex | tr a-f A-F | head -c 12)
        SECRET=$(random_hex)$(random_hex)
        printf 'quickstart %s *\n' "$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)" >"$TEST_TMP/api-keys"
        printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/credentials"
        chmod 0640 "$TEST_TMP/api-keys" "$TEST_TMP/credentials"

        port=$(free_port)
        URL=http://127.0.0.1:$port
        say "Socket-activating lambda-gateway on $URL"
        socket_activate "127.0.0.1:$port" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" \
                --credentials="$TEST_TMP/credentials" --exit-idle=30
}

random_hex() {
        head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# invoke PAYLOAD: through the gateway with curl (an API key), then with the AWS CLI (SigV4).
invoke() {
        local out code body
        say "curl -H 'Authorization: Bearer ...' -d '$1' $URL/2015-03-31/functions/$FUNCTION/invocations"
        out=$(curl -sS --max-time 60 -w '\n%{http_code}' -H "Authorization: Bearer $API_KEY" \
                "$URL/2015-03-31/functions/$FUNCTION/invocations" -d "$1")
        code=${out##*$'\n'}
        body=${out%$'\n'*}
        say "HTTP $code, the function answered:"
        echo
        echo "$body"
        echo
        [[ $code == 200 ]] || lib_fail "expected HTTP 200, got $code"

        say "aws lambda invoke --endpoint-url $URL --function-name $FUNCTION --payload '$1'"
        AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= \
                AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
                /usr/bin/aws lambda invoke --endpoint-url "$URL" --function-name "$FUNCTION" \
                --cli-binary-format raw-in-base64-out --payload "$1" "$TEST_TMP/answer.json"
        say "The function answered:"
        echo
        cat "$TEST_TMP/answer.json"
        echo
}

prepare
start_services
invoke "$PAYLOAD"
