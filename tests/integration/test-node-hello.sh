#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A plain Node.js handler run by AWS's own runtime interface client (aws-lambda-ric from npm) as
# the bootstrap, under lambda-rie in a container: the real test of the Runtime API.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
lib_init node-hello
require_cmd curl
require_cmd node nodejs
require_cmd npm
ensure_dockerd

RIE=$(build_dir)/src/rie/lambda-rie
PREFIX=lambdad-test-
# The first build compiles aws-lambda-ric (minutes); later ones use its cache.
"$(source_dir)/examples/build-images.sh" --rie "$RIE" --tag-prefix "$PREFIX" node-hello >&2

CID=$(docker_run_tracked -p 127.0.0.1::8080 -e AWS_LAMBDA_FUNCTION_NAME=node-hello "${PREFIX}node-hello:latest")
PORT=$(container_port "$CID")
URL=http://127.0.0.1:$PORT/2015-03-31/functions/function/invocations
wait_for_http --ok "http://127.0.0.1:$PORT/healthz" 20

invoke() {
        BODY=$(curl -sS -D "$TEST_TMP/headers" --max-time 60 "$@" "$URL" -w '\n%{http_code}')
        CODE=${BODY##*$'\n'}
        BODY=${BODY%$'\n'*}
}

invoke -d '{"name":"world"}'
check "cold: 200" assert_eq 200 "$CODE" "status"
check "cold: the handler's answer through aws-lambda-ric" assert_eq \
        '{"message":"Hello from node!","event":{"name":"world"}}' "$BODY" "body"

for i in 1 2 3 4 5; do
        invoke -d "{\"i\":$i}"
        [[ $CODE == 200 && $BODY == *"\"i\":$i"* ]] || break
done
check "warm: five more invocations answered in turn" assert_eq "200" "$CODE" "status"
check "warm: the last one carries its own event" assert_contains "$BODY" '"i":5' "body"

invoke -d '{}' -H "X-Amz-Client-Context: $(printf '{"custom":{"a":"b"}}' | base64 -w0)"
check "client context accepted by the Node client" assert_eq 200 "$CODE" "status"

invoke -d '{"tail":true}' -H 'X-Amz-Log-Type: Tail'
check "Tail log of a Node invocation" assert_contains \
        "$(grep -i '^X-Amz-Log-Result:' "$TEST_TMP/headers" | cut -d' ' -f2 | tr -d '\r' | base64 -d)" \
        "REPORT RequestId:" "log tail"

logs=$(docker logs "$CID" 2>&1)
check "one runtime served them all (initialised once)" assert_eq 1 "$(grep -c 'Init Duration' <<<"$logs")" "inits"
check "no runtime errors in the log" bash -c "! grep -Eq 'Runtime exited|InvalidStateTransition|InvalidRequestID' <<<'$logs'"

lib_done
