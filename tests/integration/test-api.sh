#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The control-plane API for real: functions deployed with the AWS CLI v2 (then boto3 and the AWS
# SDK for JavaScript v3) through lambda-gateway to lambda-manager (D-Bus-activated on a private
# system bus with the project's policy, a real dockerd, --api-functions-dir), zip functions on the
# offline stand-in of AWS's python3.12 image, image functions on the hello example. Checks:
# - the walk: create-function (zip) → wait function-active-v2 → invoke → update-function-code →
#   wait function-updated-v2 → invoke shows the new code → get-function and
#   get-function-configuration in AWS's shapes (CodeSha256 and CodeSize of the zip) →
#   update-function-configuration (memory, environment) → the function sees them; RevisionId
#   checks; an image function the same way; a 20 MB zip taken;
# - both daemons restarted in the middle (the manager SIGTERMed and D-Bus-activated again, the
#   gateway SIGTERMed and started again): every function, setting and RevisionId is still there;
# - an invoke-only caller (SigV4 and Bearer) is refused 403 AccessDeniedException on every
#   control-plane route, table-driven, and logged; a key that manages one function manages no other;
# - errors in AWS's types: a bad zip, a bad field, an unknown runtime, an unsupported setting, a
#   reserved variable (named as AWS names it), a name that exists, the operator's own function (409);
# - reserved concurrency 0 throttles invoke, Event and streamed invocations (429
#   TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded) until deleted;
#   the event invoke config put, merged, listed and deleted, an Event's record reaching its destination
#   function; both kept across a restart of the daemons; the invoke-only caller refused on each route;
# - provisioned concurrency: $LATEST refused as Lambda refuses it; 2 instances of version 2 started
#   and frozen (paused) once READY, the first invocation of the version served by one of them (no
#   container started); an alias's configuration on its version; the list paged; kept across a
#   restart of both daemons; deleted, the instances stop; not above the reserved concurrency, all
#   versions' together;
# - reserved concurrency 1 put after version 1 was published: while an invocation of version 1 runs,
#   $LATEST is throttled (429, Reason ReservedFunctionConcurrentInvocationLimitExceeded), then answers;
# - create-function and update-function-code --publish answer the version they published, each in one
#   call to the manager (busctl monitor: PublishVersionWhenReady, answered once the code is loaded);
# - delete-function → invoke 404 ResourceNotFoundException, no container left;
# - boto3 and the JS SDK v3 (their waiters included) through the same walk.
# Time: about three and a half minutes here once the images are built (the CLI starts for each call).
# shellcheck disable=SC2317  # helpers run through check and expect_error, which shellcheck cannot follow
# shellcheck disable=SC2016  # single-quoted Python expressions, "$LATEST" is AWS's literal

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init api
require_cmd curl
require_cmd zip
require_cmd openssl
# Debian's python3 and its boto3, not another one first on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || lib_skip "Debian's python3 missing (apt-get install python3)"
"$PY" -c 'import boto3' 2>/dev/null || lib_skip "boto3 missing for $PY (apt-get install python3-boto3)"
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_dockerd
lambdad_init
lambdad_images hello runtime-python
HERE=$LAMBDAD_SRC/tests/integration
ROLE=arn:aws:iam::123456789012:role/lambda-role

# The AWS SDK for JavaScript v3 from the cache test-gateway and test-zip fill (npm once).
SDK=/var/cache/lambdad/aws-sdk-client-lambda
if command -v node >/dev/null && command -v npm >/dev/null && [[ ! -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        mkdir -p "$SDK.tmp.$$" && (cd "$SDK.tmp.$$" && npm init -y >/dev/null && npm install --silent @aws-sdk/client-lambda@3 >&2) &&
                mv -T "$SDK.tmp.$$" "$SDK" 2>/dev/null || rm -rf "$SDK.tmp.$$"
fi

# ---- the code: v1 (the example), v2 (another greeting), a large one, a broken one

ZIPS=$TEST_TMP/zips
mkdir -p "$ZIPS/v2" "$ZIPS/big"
(cd "$LAMBDAD_SRC/examples/zip/python-hello" && zip -q -r "$ZIPS/v1.zip" .)
sed 's/Hello from a zip-packaged Python function!/Hello from version 2!/' \
        "$LAMBDAD_SRC/examples/zip/python-hello/app.py" >"$ZIPS/v2/app.py"
(cd "$ZIPS/v2" && zip -q -r "$ZIPS/v2.zip" .)
cp "$LAMBDAD_SRC/examples/zip/python-hello/app.py" "$ZIPS/big/"
# 20 MB that do not compress, stored: the request carries 27 MB of base64.
head -c $((20 * 1024 * 1024)) /dev/urandom >"$ZIPS/big/noise.bin"
(cd "$ZIPS/big" && zip -q -0 -r "$ZIPS/big.zip" .)
# A well-formed zip (the CLI opens it before sending) whose entry would land outside the code.
"$PY" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("../escape.py", "x = 1\n")' "$ZIPS/bad.zip"
sha_of() { openssl dgst -sha256 -binary "$1" | base64; }

# ---- the daemons

# The operator's own function, which the API may read but not change.
printf '{ "image": "%shello:latest" }\n' "$IMAGE_PREFIX" >"$FN/operator-fn.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=60 \
        --runtime=python3.12="${IMAGE_PREFIX}runtime-python:latest" \
        --code-store="$TEST_TMP/store" --api-functions-dir="$TEST_TMP/api-functions"

# Callers: a deployer (SigV4 and Bearer) who may invoke and manage everything; invokers (SigV4 and
# Bearer) who may only invoke (no RIGHTS field: the default); a manager of api-zip alone.
AKID=AKIDLAMBDADDEPLOY001 SECRET=lambdadDeploySecret0123456789abcdef
AKID_RO=AKIDLAMBDADINVOKE001 SECRET_RO=lambdadInvokeSecret0123456789abcdef
KEY=api-deploy-key-0123456789 KEY_RO=api-invoke-key-0123456789 KEY_ONE=api-one-key-0123456789
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
{
        printf 'deployer %s * invoke,manage\n' "$(hash "$KEY")"
        printf 'invoker %s *\n' "$(hash "$KEY_RO")"
        printf 'one %s api-zip manage\n' "$(hash "$KEY_ONE")"
} >"$TEST_TMP/api-keys"
printf '%s %s * invoke,manage\n%s %s *\n' "$AKID" "$SECRET" "$AKID_RO" "$SECRET_RO" >"$TEST_TMP/credentials"
chmod 0640 "$TEST_TMP/api-keys" "$TEST_TMP/credentials"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_gateway() {
        start_bg "gateway-$1" "$GATEWAY" --listen="127.0.0.1:$PORT" --api-keys="$TEST_TMP/api-keys" \
                --credentials="$TEST_TMP/credentials" --exit-idle=0 --log-level=debug {_LAMBDAD_LOCK}>&-
        GATEWAY_PID=$BG_PID
        wait_for_http "$URL/healthz" 10
}
start_gateway 1
GATEWAY_STARTS=1
# restart_daemons: the manager SIGTERMed (D-Bus-activated again by the next call), the gateway
# SIGTERMed and started again (its log: gateway-$GATEWAY_STARTS.log).
restart_daemons() {
        kill -TERM "$(manager_pid)" 2>/dev/null || true
        check "the manager exits on SIGTERM" wait_until --timeout=30 "the manager to exit" manager_gone
        kill -TERM "$GATEWAY_PID"
        wait "$GATEWAY_PID" 2>/dev/null || true
        GATEWAY_STARTS=$((GATEWAY_STARTS + 1))
        start_gateway "$GATEWAY_STARTS"
}

export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
# One attempt: a refusal must show at once, not after the CLI's retries.
export AWS_MAX_ATTEMPTS=1
aws() {
        /usr/bin/aws --endpoint-url "$URL" --cli-read-timeout 120 --cli-connect-timeout 5 "$@"
}
# as_invoker CMD...: CMD as the invoke-only access key.
as_invoker() { AWS_ACCESS_KEY_ID=$AKID_RO AWS_SECRET_ACCESS_KEY=$SECRET_RO "$@"; }

# json_ok JSON EXPR [ARG...]: the Python expression holds of the document d (args: the ARGs).
json_ok() {
        "$PY" - "$@" <<'PYEOF'
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    sys.exit("FAIL: not JSON: %r" % sys.argv[1][:1000])
args = sys.argv[3:]
try:
    ok = eval("(" + sys.argv[2] + ")")
except (KeyError, IndexError, TypeError, ValueError):
    ok = False
if not ok:
    sys.exit("FAIL: %s does not hold of %s" % (sys.argv[2], json.dumps(d)[:2000]))
PYEOF
}
# cli_error CMD...: CMD must fail; prints its error output.
cli_error() {
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        echo "$out"
        ((rc != 0))
}
# expect_error TYPE CMD...: the CLI fails with this AWS error type.
expect_error() {
        local type=$1 out
        shift
        if ! out=$(cli_error "$@"); then
                echo "FAIL: succeeded: $out"
                return 1
        fi
        [[ $out == *"($type)"* ]] || {
                echo "FAIL: not $type: $out"
                return 1
        }
}
# invoke FUNCTION PAYLOAD: the function's answer (or the CLI's error).
invoke() {
        rm -f "$TEST_TMP/out.json"
        if aws lambda invoke --function-name "$1" --cli-binary-format raw-in-base64-out --payload "$2" \
                "$TEST_TMP/out.json" >"$TEST_TMP/invoke.meta" 2>&1; then
                cat "$TEST_TMP/out.json"
        else
                cat "$TEST_TMP/invoke.meta"
        fi
}
configuration() { aws lambda get-function-configuration --function-name "$1" 2>&1 || true; }
# error_says TYPE MESSAGE CMD...: the CLI fails with this AWS error type and message.
error_says() {
        local type=$1 message=$2 out
        shift 2
        out=$(cli_error "$@") || { echo "FAIL: succeeded: $out"; return 1; }
        [[ $out == *"($type)"* && $out == *": $message" ]] || { echo "FAIL: not $type \"$message\": $out"; return 1; }
}
# answer KEY METHOD PATH [BODY]: the status and x-amzn-ErrorType of the answer.
answer() {
        local -a data=()
        [[ -n ${4:-} ]] && data=(--data-binary "$4")
        curl -s -o /dev/null -D "$TEST_TMP/head" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $1" \
                -X "$2" "${data[@]}" "$URL$3"
        printf ' %s' "$(tr -d '\r' <"$TEST_TMP/head" | sed -n 's/^x-amzn-ErrorType: //Ip')"
}

# ---- create a zip function, wait for it, invoke it

created=$(aws lambda create-function --function-name api-zip --runtime python3.12 --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip" --memory-size 256 --timeout 10 \
        --environment 'Variables={GREETING=hi}' --tags team=a --description 'first version' 2>&1) || true
check "create-function (zip): the function as Lambda describes it" json_ok "$created" \
        'd["FunctionName"] == "api-zip" and d["PackageType"] == "Zip" and d["Runtime"] == "python3.12" and
         d["State"] in ("Pending", "Active") and d["RevisionId"]'
check "aws lambda wait function-active-v2" aws lambda wait function-active-v2 --function-name api-zip
check "invoke: v1 answers, with the declared memory" json_ok "$(invoke api-zip '{"via":"cli"}')" \
        'd["message"] == "Hello from a zip-packaged Python function!" and d["functionName"] == "api-zip" and
         str(d["memoryLimitInMB"]) == "256"'

# ---- the shapes

check "get-function: Configuration (Active), Code, Tags" json_ok "$(aws lambda get-function --function-name api-zip 2>&1)" \
        'd["Configuration"]["State"] == "Active" and d["Configuration"]["LastUpdateStatus"] == "Successful" and
         d["Code"]["RepositoryType"] == "S3" and d["Tags"] == {"team": "a"}'
conf=$(configuration api-zip)
check "get-function-configuration: the settings as given" json_ok "$conf" \
        'd["Handler"] == "app.lambda_handler" and d["MemorySize"] == 256 and d["Timeout"] == 10 and
         d["Description"] == "first version" and d["Environment"]["Variables"] == {"GREETING": "hi"} and
         d["Version"] == "$LATEST" and d["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:api-zip" and
         d["Architectures"][0] in ("x86_64", "arm64") and d["TracingConfig"]["Mode"] == "PassThrough" and
         d.get("LoggingConfig", {"LogGroup": "/aws/lambda/api-zip"})["LogGroup"] == "/aws/lambda/api-zip" and
         d["LastModified"].endswith("+0000")'
check "get-function-configuration: CodeSha256 and CodeSize of the zip" json_ok "$conf" \
        'd["CodeSha256"] == args[0] and d["CodeSize"] == int(args[1])' "$(sha_of "$ZIPS/v1.zip")" "$(stat -c %s "$ZIPS/v1.zip")"
revision1=$(aws lambda get-function-configuration --function-name api-zip --query RevisionId --output text 2>&1)

# ---- new code, new settings

check "update-function-code: a new revision of \$LATEST" json_ok \
        "$(aws lambda update-function-code --function-name api-zip --zip-file "fileb://$ZIPS/v2.zip" 2>&1)" \
        'd["RevisionId"] and d["RevisionId"] != args[0] and d["Version"] == "$LATEST"' "$revision1"
check "aws lambda wait function-updated-v2 (code)" aws lambda wait function-updated-v2 --function-name api-zip
check "invoke: the new code answers" json_ok "$(invoke api-zip '{"via":"cli"}')" 'd["message"] == "Hello from version 2!"'
check "CodeSha256 is v2's" json_ok "$(configuration api-zip)" 'd["CodeSha256"] == args[0]' "$(sha_of "$ZIPS/v2.zip")"

check "update-function-configuration: the new settings" json_ok \
        "$(aws lambda update-function-configuration --function-name api-zip --memory-size 512 \
                --environment 'Variables={GREETING=hello,MODE=fast}' 2>&1)" \
        'd["MemorySize"] == 512 and d["Environment"]["Variables"] == {"GREETING": "hello", "MODE": "fast"}'
check "aws lambda wait function-updated-v2 (configuration)" aws lambda wait function-updated-v2 --function-name api-zip
check "invoke: the function runs with 512 MB" json_ok "$(invoke api-zip '{"via":"cli"}')" \
        'str(d["memoryLimitInMB"]) == "512"'
revision=$(aws lambda get-function-configuration --function-name api-zip --query RevisionId --output text 2>&1)
check "a stale RevisionId: PreconditionFailedException" expect_error PreconditionFailedException \
        aws lambda update-function-configuration --function-name api-zip --timeout 11 --revision-id "$revision1"
check "the current RevisionId: accepted" aws lambda update-function-configuration --function-name api-zip \
        --timeout 12 --revision-id "$revision"
check "aws lambda wait function-updated-v2 (timeout)" aws lambda wait function-updated-v2 --function-name api-zip

# ---- versions and aliases: v1's code published as version 1, v2's as version 2, an alias between

V1_SHA=$(sha_of "$ZIPS/v1.zip") V2_SHA=$(sha_of "$ZIPS/v2.zip")
ARN=arn:aws:lambda:us-east-1:000000000000:function:api-zip
check "update-function-code back to v1" aws lambda update-function-code --function-name api-zip --zip-file "fileb://$ZIPS/v1.zip"
check "aws lambda wait function-updated-v2 (v1)" aws lambda wait function-updated-v2 --function-name api-zip
check "publish-version with another CodeSha256: InvalidParameterValueException" expect_error \
        InvalidParameterValueException aws lambda publish-version --function-name api-zip --code-sha256 "$V2_SHA"
check "publish-version with a stale RevisionId: PreconditionFailedException" expect_error \
        PreconditionFailedException aws lambda publish-version --function-name api-zip --revision-id "$revision1"
published=$(aws lambda publish-version --function-name api-zip --code-sha256 "$V1_SHA" --description "v1 code" 2>&1) || true
check "publish-version: version 1, v1's code, its ARN qualified" json_ok "$published" \
        'd["Version"] == "1" and d["CodeSha256"] == args[0] and d["FunctionArn"] == args[1] + ":1" and
         d["Description"] == "v1 code" and d["MemorySize"] == 512 and d["State"] == "Active"' "$V1_SHA" "$ARN"
check "publish-version again, nothing changed: version 1 again" json_ok \
        "$(aws lambda publish-version --function-name api-zip 2>&1)" 'd["Version"] == "1"'
check "update-function-code to v2" aws lambda update-function-code --function-name api-zip --zip-file "fileb://$ZIPS/v2.zip"
check "aws lambda wait function-updated-v2 (v2)" aws lambda wait function-updated-v2 --function-name api-zip
check "publish-version: version 2, v2's code" json_ok "$(aws lambda publish-version --function-name api-zip 2>&1)" \
        'd["Version"] == "2" and d["CodeSha256"] == args[0]' "$V2_SHA"
check "list-versions-by-function: \$LATEST, 1 and 2, each ARN qualified" json_ok \
        "$(aws lambda list-versions-by-function --function-name api-zip 2>&1)" \
        '[v["Version"] for v in d["Versions"]] == ["$LATEST", "1", "2"] and
         [v["FunctionArn"] for v in d["Versions"]] == [args[0] + ":$LATEST", args[0] + ":1", args[0] + ":2"] and
         d["Versions"][1]["CodeSha256"] == args[1]' "$ARN" "$V1_SHA"
check "get-function-configuration --qualifier 1: the version frozen" json_ok \
        "$(aws lambda get-function-configuration --function-name api-zip --qualifier 1 2>&1)" \
        'd["Version"] == "1" and d["CodeSha256"] == args[0] and d["FunctionArn"] == args[1] + ":1"' "$V1_SHA" "$ARN"
check "get-function api-zip:2" json_ok "$(aws lambda get-function --function-name api-zip:2 2>&1)" \
        'd["Configuration"]["Version"] == "2" and d["Configuration"]["CodeSha256"] == args[0]' "$V2_SHA"
check "get-function --qualifier 9: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda get-function --function-name api-zip --qualifier 9
alias=$(aws lambda create-alias --function-name api-zip --name live --function-version 1 \
        --routing-config 'AdditionalVersionWeights={2=0.1}' 2>&1) || true
check "create-alias live: version 1, 10 % to version 2" json_ok "$alias" \
        'd["Name"] == "live" and d["FunctionVersion"] == "1" and d["AliasArn"] == args[0] + ":live" and
         d["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1} and d["RevisionId"]' "$ARN"
check "create-alias live again: ResourceConflictException" expect_error ResourceConflictException \
        aws lambda create-alias --function-name api-zip --name live --function-version 2
check "create-alias of a version that is not there: ResourceNotFoundException" expect_error \
        ResourceNotFoundException aws lambda create-alias --function-name api-zip --name other --function-version 9
check "create-alias weighting its own version: InvalidParameterValueException" expect_error \
        InvalidParameterValueException aws lambda create-alias --function-name api-zip --name other \
        --function-version 1 --routing-config 'AdditionalVersionWeights={1=0.5}'
check "create-alias with a weight of 1.5: 400 InvalidParameterValueException" assert_eq "400 InvalidParameterValueException" \
        "$(answer "$KEY" POST /2015-03-31/functions/api-zip/aliases '{"Name":"other","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":1.5}}}')" "answer"
check "the operator's function has no versions to publish (ResourceConflictException)" expect_error \
        ResourceConflictException aws lambda publish-version --function-name operator-fn
check "get-alias live" json_ok "$(aws lambda get-alias --function-name api-zip --name live 2>&1)" \
        'd["FunctionVersion"] == "1" and d["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}'
check "list-aliases: live" json_ok "$(aws lambda list-aliases --function-name api-zip 2>&1)" \
        '[a["Name"] for a in d["Aliases"]] == ["live"]'
# invoke_version QUALIFIER: the version that ran (X-Amz-Executed-Version) and the greeting's version.
invoke_version() {
        curl -s -D "$TEST_TMP/invoke.head" -o "$TEST_TMP/invoke.out" --max-time 60 -H "Authorization: Bearer $KEY" \
                -d '{}' "$URL/2015-03-31/functions/api-zip/invocations?Qualifier=$1"
        printf '%s %s\n' "$(tr -d '\r' <"$TEST_TMP/invoke.head" | sed -n 's/^X-Amz-Executed-Version: //Ip')" \
                "$(grep -q 'Hello from version 2!' "$TEST_TMP/invoke.out" && echo v2 || echo v1)"
}
split=()
for _ in $(seq 100); do split+=("$(invoke_version live)"); done
restart_daemons
check "after the restarts: the versions" json_ok "$(aws lambda list-versions-by-function --function-name api-zip 2>&1)" \
        '[v["Version"] for v in d["Versions"]] == ["$LATEST", "1", "2"]'
check "after the restarts: the alias" json_ok "$(aws lambda get-alias --function-name api-zip --name live 2>&1)" \
        'd["FunctionVersion"] == "1" and d["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1} and
         d["RevisionId"] == args[0]' "$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["RevisionId"])' "$alias")"
for _ in $(seq 100); do split+=("$(invoke_version live)"); done
ones=$(printf '%s\n' "${split[@]}" | grep -c '^1 v1$' || true)
twos=$(printf '%s\n' "${split[@]}" | grep -c '^2 v2$' || true)
check "200 invocations of live: each ran version 1 or 2, as its header says ($ones + $twos)" assert_eq 200 $((ones + twos)) "runs"
check "... 10 % ran version 2, within 7 % ($twos of 200)" test "$twos" -ge 6 -a "$twos" -le 34
check "invoke --qualifier 1: v1's code, ExecutedVersion 1" json_ok \
        "$(aws lambda invoke --function-name api-zip --qualifier 1 --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/q1.json" 2>&1)" \
        'd["ExecutedVersion"] == "1"'
check "... which answered as v1" json_ok "$(cat "$TEST_TMP/q1.json")" 'd["message"] == "Hello from a zip-packaged Python function!"'
check "invoke api-zip:2: v2's code" json_ok "$(invoke api-zip:2 '{}')" 'd["message"] == "Hello from version 2!"'
check "invoke by ARN with :1: v1's code" json_ok "$(invoke "$ARN:1" '{}')" 'd["message"] == "Hello from a zip-packaged Python function!"'
check "invoke --qualifier 1 and 2: exactly that version, every time" assert_eq "1 v1,1 v1,2 v2,2 v2" \
        "$(invoke_version 1),$(invoke_version 1),$(invoke_version 2),$(invoke_version 2)" "runs"
check "invoke --qualifier 9: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda invoke --function-name api-zip --qualifier 9 --payload '{}' "$TEST_TMP/q9.json"
check "invoke --qualifier nope (no such alias): ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda invoke --function-name api-zip --qualifier nope --payload '{}' "$TEST_TMP/q9.json"
check "delete-function --qualifier 1, which live points at: ResourceConflictException" expect_error \
        ResourceConflictException aws lambda delete-function --function-name api-zip --qualifier 1
check "update-alias with a stale RevisionId: PreconditionFailedException" expect_error PreconditionFailedException \
        aws lambda update-alias --function-name api-zip --name live --function-version 2 --revision-id stale
check "update-alias live: version 2 alone" json_ok \
        "$(aws lambda update-alias --function-name api-zip --name live --function-version 2 \
                --routing-config '{"AdditionalVersionWeights": {}}' 2>&1)" \
        'd["FunctionVersion"] == "2" and not d.get("RoutingConfig", {}).get("AdditionalVersionWeights")'
check "... which runs version 2" assert_eq "2 v2" "$(invoke_version live)" "run"
check "delete-function --qualifier 1: just that version" aws lambda delete-function --function-name api-zip --qualifier 1
check "... gone" expect_error ResourceNotFoundException aws lambda get-function --function-name api-zip --qualifier 1
check "... the others are not" json_ok "$(aws lambda list-versions-by-function --function-name api-zip 2>&1)" \
        '[v["Version"] for v in d["Versions"]] == ["$LATEST", "2"]'
check "a new configuration" aws lambda update-function-configuration --function-name api-zip --timeout 13
check "aws lambda wait function-updated-v2 (timeout 13)" aws lambda wait function-updated-v2 --function-name api-zip
check "... published: version 3, not 1 again" json_ok "$(aws lambda publish-version --function-name api-zip --description again 2>&1)" \
        'd["Version"] == "3" and d["Timeout"] == 13'
check "delete-alias live" aws lambda delete-alias --function-name api-zip --name live
check "get-alias live: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda get-alias --function-name api-zip --name live
check "create-alias beta (kept until the function goes)" aws lambda create-alias --function-name api-zip --name beta --function-version 3
check "delete-function --qualifier \$LATEST: InvalidParameterValueException, as Lambda words it" \
        error_says InvalidParameterValueException "\$LATEST version cannot be deleted without deleting the function." \
        aws lambda delete-function --function-name api-zip --qualifier '$LATEST'
check "get-function-configuration of alias beta: version 3, the alias's ARN" json_ok \
        "$(aws lambda get-function-configuration --function-name api-zip --qualifier beta 2>&1)" \
        'd["Version"] == "3" and d["FunctionArn"] == args[0] + ":beta"' "$ARN"
check "list-aliases --function-version 3: beta" json_ok \
        "$(aws lambda list-aliases --function-name api-zip --function-version 3 2>&1)" '[a["Name"] for a in d["Aliases"]] == ["beta"]'
check "list-aliases --function-version 2: none" json_ok \
        "$(aws lambda list-aliases --function-name api-zip --function-version 2 2>&1)" 'd["Aliases"] == []'
check "list-versions-by-function in pages of one (the CLI follows NextMarker): \$LATEST, 2, 3" json_ok \
        "$(aws lambda list-versions-by-function --function-name api-zip --page-size 1 2>&1)" \
        '[v["Version"] for v in d["Versions"]] == ["$LATEST", "2", "3"]'
check "... MaxItems=1 (straight to the gateway): one, and a NextMarker" json_ok \
        "$(curl -s --max-time 60 -H "Authorization: Bearer $KEY" "$URL/2015-03-31/functions/api-zip/versions?MaxItems=1")" \
        'len(d["Versions"]) == 1 and d["NextMarker"] == "1"'
check "list-functions: the functions, not their versions" json_ok \
        "$(aws lambda list-functions --query 'Functions[].FunctionName' --output json 2>&1)" \
        '"api-zip" in d and not any(":" in n for n in d)'

# ---- provisioned concurrency: version 2 keeps 2 instances started and frozen, beta (version 3) 1

# version_containers N: the running containers of version N of api-zip, sorted, on one line.
version_containers() {
        docker ps -q --no-trunc --filter "label=org.lambdad.managed-by=lambda-manager" \
                --filter "label=org.lambdad.function=api-zip:$1" | sort | tr '\n' ' '
}
# version_frozen N COUNT: version N has COUNT containers, every one paused (frozen).
version_frozen() {
        local ids
        ids=$(version_containers "$1")
        [[ $(wc -w <<<"$ids") -eq $2 ]] || return 1
        # shellcheck disable=SC2086  # the ids are words
        [[ $(docker inspect -f '{{.State.Paused}}' $ids | grep -c '^true$') -eq $2 ]]
}
no_version_containers() { [[ -z $(version_containers "$1") ]]; }
provisioned() { aws lambda get-provisioned-concurrency-config --function-name api-zip --qualifier "$1" 2>&1; }
provisioned_ready() { [[ $(provisioned "$1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("Status"))' 2>/dev/null) == READY ]]; }
check "put-provisioned-concurrency-config on \$LATEST: InvalidParameterValueException, as Lambda words it" \
        error_says InvalidParameterValueException "Provisioned Concurrency Configs cannot be applied to unpublished function versions." \
        aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier '$LATEST' --provisioned-concurrent-executions 1
check "... without a Qualifier (straight to the gateway): 400 InvalidParameterValueException" \
        assert_eq "400 InvalidParameterValueException" \
        "$(answer "$KEY" PUT /2019-09-30/functions/api-zip/provisioned-concurrency '{"ProvisionedConcurrentExecutions":1}')" "answer"
check "... of 0 (straight to the gateway): 400 InvalidParameterValueException" assert_eq "400 InvalidParameterValueException" \
        "$(answer "$KEY" PUT '/2019-09-30/functions/api-zip/provisioned-concurrency?Qualifier=2' '{"ProvisionedConcurrentExecutions":0}')" "answer"
check "... on a version that is not there: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier 9 --provisioned-concurrent-executions 1
check "... above the version's max_instances (4): InvalidParameterValueException" expect_error InvalidParameterValueException \
        aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier 2 --provisioned-concurrent-executions 5
check "... on the operator's function (no versions): ResourceConflictException" expect_error ResourceConflictException \
        aws lambda put-provisioned-concurrency-config --function-name operator-fn --qualifier 1 --provisioned-concurrent-executions 1
check "get-provisioned-concurrency-config of none: ProvisionedConcurrencyConfigNotFoundException" expect_error \
        ProvisionedConcurrencyConfigNotFoundException aws lambda get-provisioned-concurrency-config --function-name api-zip --qualifier 2
check "put-provisioned-concurrency-config on version 2: 2 requested" json_ok \
        "$(aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier 2 --provisioned-concurrent-executions 2 2>&1)" \
        'd["RequestedProvisionedConcurrentExecutions"] == 2 and d["Status"] in ("IN_PROGRESS", "READY") and
         d["LastModified"].endswith("+0000")'
check "get-provisioned-concurrency-config: READY within 60 s" wait_until --timeout=60 "version 2's instances" provisioned_ready 2
check "... with its 2 instances available and allocated" json_ok "$(provisioned 2)" \
        'd["Status"] == "READY" and d["RequestedProvisionedConcurrentExecutions"] == 2 and
         d["AvailableProvisionedConcurrentExecutions"] == 2 and d["AllocatedProvisionedConcurrentExecutions"] == 2'
check "version 2 has 2 containers, both frozen (paused in the engine)" wait_until --timeout=30 "them to freeze" version_frozen 2 2
provisioned_ids=$(version_containers 2)
check "the first invoke of version 2: ExecutedVersion 2, v2's code" assert_eq "2 v2" "$(invoke_version 2)" "run"
check "... served by one of its provisioned instances, thawed (no container started)" assert_eq "$provisioned_ids" \
        "$(version_containers 2)" "containers"
# Reserved concurrency 2, all of it provisioned on version 2: none is left for version 3's.
check "put-function-concurrency 2" aws lambda put-function-concurrency --function-name api-zip --reserved-concurrent-executions 2
check "provisioned concurrency of version 3 beyond what version 2's leaves of it: InvalidParameterValueException" \
        error_says InvalidParameterValueException \
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function" \
        aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier beta --provisioned-concurrent-executions 1
check "delete-function-concurrency" aws lambda delete-function-concurrency --function-name api-zip
check "put-provisioned-concurrency-config on alias beta: version 3, 1 instance" json_ok \
        "$(aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier beta --provisioned-concurrent-executions 1 2>&1)" \
        'd["RequestedProvisionedConcurrentExecutions"] == 1'
check "... READY" wait_until --timeout=60 "beta's instance" provisioned_ready beta
check "... version 3 has no configuration of its own (ProvisionedConcurrencyConfigNotFoundException)" expect_error \
        ProvisionedConcurrencyConfigNotFoundException aws lambda get-provisioned-concurrency-config --function-name api-zip --qualifier 3
check "list-provisioned-concurrency-configs: version 2's and beta's, their ARNs qualified" json_ok \
        "$(aws lambda list-provisioned-concurrency-configs --function-name api-zip 2>&1)" \
        'sorted(c["FunctionArn"] for c in d["ProvisionedConcurrencyConfigs"]) == [args[0] + ":2", args[0] + ":beta"]' "$ARN"
check "... MaxItems=1: one, and a NextMarker that gives the other" json_ok \
        "$(curl -s --max-time 60 -H "Authorization: Bearer $KEY" "$URL/2019-09-30/functions/api-zip/provisioned-concurrency?List=ALL&MaxItems=1")" \
        'len(d["ProvisionedConcurrencyConfigs"]) == 1 and d["NextMarker"] == "1"'
check "delete-provisioned-concurrency-config of beta" aws lambda delete-provisioned-concurrency-config --function-name api-zip --qualifier beta
check "... which stops its instance" wait_until --timeout=30 "version 3's instance to go" no_version_containers 3
check "... and is gone (ProvisionedConcurrencyConfigNotFoundException)" expect_error ProvisionedConcurrencyConfigNotFoundException \
        aws lambda get-provisioned-concurrency-config --function-name api-zip --qualifier beta

# ---- Publish: true (a function of its own: api-zip's versions keep their numbers)

# The manager's bus traffic meanwhile: each Publish: true is one PublishVersionWhenReady, never a
# PublishVersion asked again while the change's code loads.
# (The private bus's strict policy lets root monitor only with this.)
cat >"$TEST_TMP/dbus-policy/monitor.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
</busconfig>
EOF
dbus_reload
start_bg publish-monitor busctl monitor --json=short org.lambdad.Manager1
PUBLISH_MONITOR_PID=$BG_PID
monitor_sees() {
        busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListFunctions >/dev/null &&
                grep -q '"member":"ListFunctions"' "$TEST_TMP/publish-monitor.log"
}
check "busctl monitor watches the manager" wait_until --timeout=10 "the monitor" monitor_sees
check "create-function --publish: answers version 1's configuration" json_ok \
        "$(aws lambda create-function --function-name api-pub --runtime python3.12 --handler app.lambda_handler \
                --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip" --publish 2>&1)" \
        'd["Version"] == "1" and d["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:api-pub:1" and
         d["CodeSha256"] == args[0]' "$(sha_of "$ZIPS/v1.zip")"
check "aws lambda wait function-active-v2 (api-pub)" aws lambda wait function-active-v2 --function-name api-pub
check "update-function-code --publish: answers version 2's configuration" json_ok \
        "$(aws lambda update-function-code --function-name api-pub --zip-file "fileb://$ZIPS/v2.zip" --publish 2>&1)" \
        'd["Version"] == "2" and d["CodeSha256"] == args[0]' "$(sha_of "$ZIPS/v2.zip")"
check "list-versions-by-function: \$LATEST, 1 and 2" json_ok \
        "$(aws lambda list-versions-by-function --function-name api-pub 2>&1)" \
        '[v["Version"] for v in d["Versions"]] == ["$LATEST", "1", "2"]'
check "... version 1 runs v1's code, version 2 v2's" assert_eq "v1 v2" \
        "$(invoke api-pub:1 '{}' | grep -q 'version 2' && echo v2 || echo v1) $(invoke api-pub:2 '{}' | grep -q 'version 2' && echo v2 || echo v1)" "runs"
check "delete-function (api-pub)" aws lambda delete-function --function-name api-pub
# publish_calls: the PublishVersionWhenReady and PublishVersion calls seen, and the answers to the first;
# the delays of those answers on stderr (a fact for the log: nothing asserts a time).
publish_calls() {
        python3 -c 'import json, sys
calls, sent, answered = {"PublishVersionWhenReady": 0, "PublishVersion": 0}, {}, 0
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("type") == "method_call" and m.get("member") in calls:
        calls[m["member"]] += 1
        if m["member"] == "PublishVersionWhenReady":
            sent[(m.get("sender"), m.get("cookie"))] = m.get("timestamp-realtime", 0)
    elif m.get("type") in ("method_return", "error"):
        t = sent.pop((m.get("destination"), m.get("reply_cookie")), None)
        if t is not None:
            answered += 1
            print("PublishVersionWhenReady answered in %.1f ms" % ((m.get("timestamp-realtime", 0) - t) / 1000), file=sys.stderr)
print(calls["PublishVersionWhenReady"], calls["PublishVersion"], answered)' "$TEST_TMP/publish-monitor.log"
}
both_answered() { [[ $(publish_calls 2>/dev/null) == *" 2" ]]; }
check "busctl monitor saw both answers" wait_until --timeout=10 "the answers" both_answered
check "each --publish was one PublishVersionWhenReady, no PublishVersion" assert_eq "2 0 2" "$(publish_calls)" "calls"
_lib_kill_tree "$PUBLISH_MONITOR_PID"

# ---- reserved concurrency is the whole function's: $LATEST, its versions and aliases together
mkdir -p "$ZIPS/slow"
printf '%s\n' 'import time' '' '' 'def lambda_handler(event, context):' \
        '    time.sleep(event.get("sleep", 0))' '    return {"slept": event.get("sleep", 0)}' >"$ZIPS/slow/app.py"
(cd "$ZIPS/slow" && zip -q -r "$ZIPS/slow.zip" .)
check "create-function api-slow --publish: version 1" json_ok \
        "$(aws lambda create-function --function-name api-slow --runtime python3.12 --handler app.lambda_handler \
                --role "$ROLE" --zip-file "fileb://$ZIPS/slow.zip" --timeout 60 --publish 2>&1)" 'd["Version"] == "1"'
check "aws lambda wait function-active-v2 (api-slow)" aws lambda wait function-active-v2 --function-name api-slow
# Version 1 was published with the default max_instances (4); the reserved concurrency put after applies to it.
check "put-function-concurrency 1 (after the version was published)" json_ok \
        "$(aws lambda put-function-concurrency --function-name api-slow --reserved-concurrent-executions 1 2>&1)" \
        'd == {"ReservedConcurrentExecutions": 1}'
curl -s --max-time 90 -H "Authorization: Bearer $KEY" -d '{"sleep": 15}' \
        "$URL/2015-03-31/functions/api-slow/invocations?Qualifier=1" >"$TEST_TMP/slow.json" &
slow_pid=$!
slow_leased() {
        busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances |
                grep -q '"api-slow:1" "leased"'
}
check "an invocation of version 1 holds its instance (15 s)" wait_until --timeout=60 "version 1's lease" slow_leased
check "meanwhile \$LATEST is throttled: 429 TooManyRequestsException with Lambda's Reason" assert_contains \
        "$(curl -s --max-time 60 -H "Authorization: Bearer $KEY" -d '{}' "$URL/2015-03-31/functions/api-slow/invocations")" \
        '"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"' "answer"
check "... through the AWS CLI too" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-slow --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/t.json"
wait "$slow_pid" || true
check "version 1's invocation ran to its end" json_ok "$(cat "$TEST_TMP/slow.json")" 'd == {"slept": 15}'
# The gateway keeps version 1's instance idle (--lease-idle) and the manager counts that lease: throttled,
# the gateway gives its idle leases of the function back and asks again, so that nothing is refused
# once no invocation runs.
slow_invoke() {
        curl -s --max-time 60 -H "Authorization: Bearer $KEY" -d '{}' "$URL/2015-03-31/functions/api-slow/invocations$1"
}
check "once it is over, \$LATEST answers at once (the idle lease of version 1 given back)" assert_contains \
        "$(slow_invoke "")" '"slept": 0' "answer"
check "... and version 1 right after it" assert_contains "$(slow_invoke "?Qualifier=1")" '"slept": 0' "answer"
check "delete-function (api-slow)" aws lambda delete-function --function-name api-slow

# ---- an image function, and a large zip

check "create-function (image)" json_ok \
        "$(aws lambda create-function --function-name api-image --package-type Image \
                --code "ImageUri=${IMAGE_PREFIX}hello:latest" --role "$ROLE" 2>&1)" 'd["PackageType"] == "Image"'
check "aws lambda wait function-active-v2 (image)" aws lambda wait function-active-v2 --function-name api-image
check "invoke: the image answers" assert_contains "$(invoke api-image '{"via":"cli"}')" '"message":"Hello from lambdad!"' "answer"
check "get-function (image): Code.ImageUri" json_ok "$(aws lambda get-function --function-name api-image 2>&1)" \
        'd["Code"]["ImageUri"] == args[0] and d["Code"]["RepositoryType"] == "ECR"' "${IMAGE_PREFIX}hello:latest"

check "create-function: a 20 MB zip is taken" json_ok \
        "$(aws lambda create-function --function-name api-big --runtime python3.12 --handler app.lambda_handler \
                --role "$ROLE" --zip-file "fileb://$ZIPS/big.zip" 2>&1)" 'd["FunctionName"] == "api-big"'
check "aws lambda wait function-active-v2 (20 MB)" aws lambda wait function-active-v2 --function-name api-big
check "its CodeSize" json_ok "$(configuration api-big)" 'd["CodeSize"] == int(args[0])' "$(stat -c %s "$ZIPS/big.zip")"
check "delete-function (20 MB)" aws lambda delete-function --function-name api-big

# ---- both daemons restarted: nothing is lost

before=$(configuration api-zip)
restart_daemons
check "after the restarts: the same settings and RevisionId" json_ok "$(configuration api-zip)" \
        'all(d[k] == json.loads(args[0])[k] for k in ("RevisionId", "MemorySize", "Timeout", "Environment",
                                                     "CodeSha256", "CodeSize", "Runtime", "Handler", "LastModified"))' \
        "$before"
check "after the restarts: version 2's provisioned concurrency, READY again" wait_until --timeout=60 \
        "version 2's instances" provisioned_ready 2
check "... its 2 instances, frozen" wait_until --timeout=30 "them to freeze" version_frozen 2 2
check "delete-provisioned-concurrency-config of version 2" aws lambda delete-provisioned-concurrency-config --function-name api-zip --qualifier 2
check "... which stops its instances" wait_until --timeout=30 "version 2's instances to go" no_version_containers 2
check "... and is not listed" json_ok "$(aws lambda list-provisioned-concurrency-configs --function-name api-zip 2>&1)" \
        'd["ProvisionedConcurrencyConfigs"] == []'
check "after the restarts: the zip function answers with v2" json_ok "$(invoke api-zip '{"via":"restart"}')" \
        'd["message"] == "Hello from version 2!"'
check "after the restarts: the image function answers" assert_contains "$(invoke api-image '{"via":"restart"}')" \
        '"message":"Hello from lambdad!"' "answer"
check "list-functions: both, and the operator's" json_ok \
        "$(aws lambda list-functions --query 'Functions[].FunctionName' --output json 2>&1)" \
        'set(d) >= {"api-zip", "api-image", "operator-fn"}'

# ---- who may do what

revision=$(aws lambda get-function-configuration --function-name api-zip --query RevisionId --output text 2>&1)
check "an invoke-only access key invokes" as_invoker aws lambda invoke --function-name api-zip \
        --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/ro.json"
check "... and lists" as_invoker aws lambda list-functions
# Each control-plane command of the CLI as the invoke-only access key: 403 AccessDeniedException.
cli_routes=(
        "create-function --function-name api-other --runtime python3.12 --handler app.lambda_handler --role $ROLE --zip-file fileb://$ZIPS/v1.zip"
        "get-function --function-name api-zip"
        "get-function-configuration --function-name api-zip"
        "update-function-code --function-name api-zip --zip-file fileb://$ZIPS/v1.zip"
        "update-function-configuration --function-name api-zip --timeout 5"
        "delete-function --function-name api-zip"
        "publish-version --function-name api-zip"
        "list-versions-by-function --function-name api-zip"
        "create-alias --function-name api-zip --name ro --function-version 2"
        "get-alias --function-name api-zip --name beta"
        "update-alias --function-name api-zip --name beta --function-version 2"
        "delete-alias --function-name api-zip --name beta"
        "list-aliases --function-name api-zip"
        "put-provisioned-concurrency-config --function-name api-zip --qualifier 2 --provisioned-concurrent-executions 1"
        "get-provisioned-concurrency-config --function-name api-zip --qualifier 2"
        "delete-provisioned-concurrency-config --function-name api-zip --qualifier 2"
        "list-provisioned-concurrency-configs --function-name api-zip"
)
for r in "${cli_routes[@]}"; do
        # shellcheck disable=SC2086  # the route's words are its arguments
        check "invoke-only SigV4: aws lambda ${r%% *} is refused (AccessDeniedException)" \
                expect_error AccessDeniedException as_invoker aws lambda $r
done
# The same routes with the invoke-only Bearer key.
curl_routes=(
        "POST /2015-03-31/functions {\"FunctionName\":\"api-other\",\"PackageType\":\"Image\",\"Code\":{\"ImageUri\":\"${IMAGE_PREFIX}hello:latest\"}}"
        "GET /2015-03-31/functions/api-zip"
        "GET /2015-03-31/functions/api-zip/configuration"
        "PUT /2015-03-31/functions/api-zip/code {\"ImageUri\":\"x:1\"}"
        "PUT /2015-03-31/functions/api-zip/configuration {\"Timeout\":5}"
        "DELETE /2015-03-31/functions/api-zip"
        "POST /2015-03-31/functions/api-zip/versions {}"
        "GET /2015-03-31/functions/api-zip/versions"
        "POST /2015-03-31/functions/api-zip/aliases {\"Name\":\"ro\",\"FunctionVersion\":\"2\"}"
        "GET /2015-03-31/functions/api-zip/aliases/beta"
        "PUT /2015-03-31/functions/api-zip/aliases/beta {\"FunctionVersion\":\"2\"}"
        "DELETE /2015-03-31/functions/api-zip/aliases/beta"
        "GET /2015-03-31/functions/api-zip/aliases"
        "PUT /2019-09-30/functions/api-zip/provisioned-concurrency?Qualifier=2 {\"ProvisionedConcurrentExecutions\":1}"
        "GET /2019-09-30/functions/api-zip/provisioned-concurrency?Qualifier=2"
        "DELETE /2019-09-30/functions/api-zip/provisioned-concurrency?Qualifier=2"
        "GET /2019-09-30/functions/api-zip/provisioned-concurrency?List=ALL"
)
for r in "${curl_routes[@]}"; do
        read -r method path body <<<"$r"
        check "invoke-only Bearer key: $method $path is 403 AccessDeniedException" \
                assert_eq "403 AccessDeniedException" "$(answer "$KEY_RO" "$method" "$path" "$body")" "answer"
done
check "a key that manages api-zip reads it" assert_eq "200 " \
        "$(answer "$KEY_ONE" GET /2015-03-31/functions/api-zip/configuration)" "answer"
check "... but may not create another function" assert_eq "403 AccessDeniedException" \
        "$(answer "$KEY_ONE" POST /2015-03-31/functions '{"FunctionName":"api-other","PackageType":"Image","Code":{"ImageUri":"x:1"}}')" "answer"
check "... nor read the operator's" assert_eq "403 AccessDeniedException" \
        "$(answer "$KEY_ONE" GET /2015-03-31/functions/operator-fn)" "answer"
check "... nor invoke" assert_eq "403 AccessDeniedException" \
        "$(answer "$KEY_ONE" POST /2015-03-31/functions/api-zip/invocations '{}')" "answer"
check "refusals are logged with who and what" \
        grep -aq 'invoker may not manage function api-zip: DeleteFunction refused' "$TEST_TMP/gateway-$GATEWAY_STARTS.log"
check "nothing the invokers tried changed api-zip" assert_eq "$revision" \
        "$(aws lambda get-function-configuration --function-name api-zip --query RevisionId --output text 2>&1)" "RevisionId"
check "no api-other was made" expect_error ResourceNotFoundException aws lambda get-function --function-name api-other

# ---- errors in AWS's types

check "a zip with ../ in it: InvalidParameterValueException" expect_error InvalidParameterValueException \
        aws lambda create-function --function-name api-bad --runtime python3.12 --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/bad.zip"
check "MemorySize 20000: InvalidParameterValueException" expect_error InvalidParameterValueException \
        aws lambda create-function --function-name api-bad --runtime python3.12 --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip" --memory-size 20000
check "an unknown runtime: InvalidParameterValueException" expect_error InvalidParameterValueException \
        aws lambda create-function --function-name api-bad --runtime cobol1.x --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip"
check "a VPC: InvalidParameterValueException (not supported)" expect_error InvalidParameterValueException \
        aws lambda create-function --function-name api-bad --runtime python3.12 --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip" --vpc-config SubnetIds=subnet-1,SecurityGroupIds=sg-1
out=$(cli_error aws lambda update-function-configuration --function-name api-zip \
        --environment 'Variables={AWS_LAMBDA_FUNCTION_NAME=x}') || true
check "a reserved environment variable: InvalidParameterValueException naming Environment as AWS does" \
        bash -c '[[ $1 == *"(InvalidParameterValueException)"*Environment* && $1 != *environment* ]] || { echo "FAIL: $1"; false; }' _ "$out"
check "a name that exists: ResourceConflictException" expect_error ResourceConflictException \
        aws lambda create-function --function-name api-zip --runtime python3.12 --handler app.lambda_handler \
        --role "$ROLE" --zip-file "fileb://$ZIPS/v1.zip"
check "the operator's function: readable" aws lambda get-function-configuration --function-name operator-fn
check "the operator's function: not changed by the API (ResourceConflictException)" expect_error \
        ResourceConflictException aws lambda update-function-configuration --function-name operator-fn --timeout 5
check "the operator's function: not deleted by the API" expect_error ResourceConflictException \
        aws lambda delete-function --function-name operator-fn
check "a version that is not there: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda get-function --function-name api-zip --qualifier 99
check "the invokers changed no alias: beta is still there" aws lambda get-alias --function-name api-zip --name beta
check "no failed create left a function behind" expect_error ResourceNotFoundException \
        aws lambda get-function --function-name api-bad

# ---- reserved concurrency and the event invoke config

ARN_PREFIX=arn:aws:lambda:us-east-1:000000000000:function
check "put-function-concurrency 0" json_ok \
        "$(aws lambda put-function-concurrency --function-name api-zip --reserved-concurrent-executions 0 2>&1)" \
        'd == {"ReservedConcurrentExecutions": 0}'
check "get-function-concurrency: 0" json_ok "$(aws lambda get-function-concurrency --function-name api-zip 2>&1)" \
        'd == {"ReservedConcurrentExecutions": 0}'
check "get-function: Concurrency" json_ok "$(aws lambda get-function --function-name api-zip 2>&1)" \
        'd["Concurrency"] == {"ReservedConcurrentExecutions": 0}'
check "reserved concurrency 0: invoke is throttled (TooManyRequestsException)" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-zip --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/t.json"
check "... with Lambda's Reason" assert_contains \
        "$(curl -s --max-time 60 -H "Authorization: Bearer $KEY" -d '{}' "$URL/2015-03-31/functions/api-zip/invocations")" \
        '"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"' "answer"
check "... and an Event invocation too" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-zip --invocation-type Event --cli-binary-format raw-in-base64-out \
        --payload '{}' "$TEST_TMP/t.json"
check "... and a streamed one" assert_eq "429 TooManyRequestsException" \
        "$(answer "$KEY" POST /2021-11-15/functions/api-zip/response-streaming-invocations '{}')" "answer"
check "... and its published versions (reserved concurrency is the function's)" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-zip --qualifier 2 --cli-binary-format raw-in-base64-out --payload '{}' \
        "$TEST_TMP/t.json"
check "... and its alias" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-zip --qualifier beta --cli-binary-format raw-in-base64-out --payload '{}' \
        "$TEST_TMP/t.json"
check "the operator's function: its concurrency is not the API's (ResourceConflictException)" expect_error \
        ResourceConflictException aws lambda put-function-concurrency --function-name operator-fn \
        --reserved-concurrent-executions 1
check "provisioned concurrency above the reserved concurrency (0): InvalidParameterValueException, as Lambda words it" \
        error_says InvalidParameterValueException \
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function" \
        aws lambda put-provisioned-concurrency-config --function-name api-zip --qualifier 2 --provisioned-concurrent-executions 1
# (The CLI checks the bound itself: straight to the gateway.)
check "ReservedConcurrentExecutions -1: InvalidParameterValueException" assert_eq "400 InvalidParameterValueException" \
        "$(answer "$KEY" PUT /2017-10-31/functions/api-zip/concurrency '{"ReservedConcurrentExecutions":-1}')" "answer"

# The destination: a function that prints what it is given (its container's log shows it).
mkdir -p "$ZIPS/sink"
printf '%s\n' 'import json' '' '' 'def lambda_handler(event, context):' \
        '    print("SINK " + json.dumps(event), flush=True)' '    return {}' >"$ZIPS/sink/app.py"
(cd "$ZIPS/sink" && zip -q -r "$ZIPS/sink.zip" .)
check "create-function api-sink (the destination)" aws lambda create-function --function-name api-sink \
        --runtime python3.12 --handler app.lambda_handler --role "$ROLE" --zip-file "fileb://$ZIPS/sink.zip"
check "aws lambda wait function-active-v2 (api-sink)" aws lambda wait function-active-v2 --function-name api-sink
check "get-function-event-invoke-config of none: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda get-function-event-invoke-config --function-name api-zip
check "list-function-event-invoke-configs of none: []" json_ok \
        "$(aws lambda list-function-event-invoke-configs --function-name api-zip 2>&1)" 'd["FunctionEventInvokeConfigs"] == []'
check "put-function-event-invoke-config: a function destination" json_ok \
        "$(aws lambda put-function-event-invoke-config --function-name api-zip --maximum-retry-attempts 0 \
                --destination-config "OnSuccess={Destination=$ARN_PREFIX:api-sink}" 2>&1)" \
        'd["MaximumRetryAttempts"] == 0 and d["DestinationConfig"]["OnSuccess"]["Destination"] == args[0] + ":api-sink" and
         d["FunctionArn"] == args[0] + ":api-zip" and d["LastModified"] and "MaximumEventAgeInSeconds" not in d' "$ARN_PREFIX"
check "update-function-event-invoke-config: merged" json_ok \
        "$(aws lambda update-function-event-invoke-config --function-name api-zip --maximum-event-age-in-seconds 600 2>&1)" \
        'd["MaximumRetryAttempts"] == 0 and d["MaximumEventAgeInSeconds"] == 600 and
         d["DestinationConfig"]["OnSuccess"]["Destination"] == args[0] + ":api-sink"' "$ARN_PREFIX"
check "an SQS destination: InvalidParameterValueException (function destinations only)" assert_contains \
        "$(cli_error aws lambda put-function-event-invoke-config --function-name api-zip \
                --destination-config 'OnFailure={Destination=arn:aws:sqs:us-east-1:000000000000:q}')" \
        "lambdad supports function destinations only" "error"
check "MaximumRetryAttempts 3: InvalidParameterValueException" expect_error InvalidParameterValueException \
        aws lambda update-function-event-invoke-config --function-name api-zip --maximum-retry-attempts 3
check "the operator's function: not changed (ResourceConflictException)" expect_error ResourceConflictException \
        aws lambda put-function-event-invoke-config --function-name operator-fn --maximum-retry-attempts 1

# Both daemons restarted: the concurrency and the event invoke config are kept.
restart_daemons
check "after the restarts: concurrency 0, still throttled" expect_error TooManyRequestsException \
        aws lambda invoke --function-name api-zip --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/t.json"
check "after the restarts: the event invoke config" json_ok \
        "$(aws lambda get-function-event-invoke-config --function-name api-zip 2>&1)" \
        'd["MaximumRetryAttempts"] == 0 and d["MaximumEventAgeInSeconds"] == 600 and
         d["DestinationConfig"]["OnSuccess"]["Destination"] == args[0] + ":api-sink"' "$ARN_PREFIX"
check "list-function-event-invoke-configs: the one" json_ok \
        "$(aws lambda list-function-event-invoke-configs --function-name api-zip 2>&1)" \
        'len(d["FunctionEventInvokeConfigs"]) == 1 and d["FunctionEventInvokeConfigs"][0]["MaximumEventAgeInSeconds"] == 600'

check "delete-function-concurrency" aws lambda delete-function-concurrency --function-name api-zip
# An answer of {} (no reserved concurrency), which the CLI prints as nothing.
check "get-function-concurrency: none" assert_eq "" "$(aws lambda get-function-concurrency --function-name api-zip 2>&1)" \
        "output"
check "invoke works again" json_ok "$(invoke api-zip '{"via":"unthrottled"}')" 'd["message"] == "Hello from version 2!"'
check "an Event invocation: 202" aws lambda invoke --function-name api-zip --invocation-type Event \
        --cli-binary-format raw-in-base64-out --payload '{"via":"event"}' "$TEST_TMP/event.json"
sink_got() { docker logs "$(docker ps -aq --filter label=org.lambdad.function=api-sink | head -n 1)" 2>&1 | grep '^SINK '; }
sink_has_record() { sink_got | grep -q '"via": "event"'; }
check "its result reaches the destination function" wait_until --timeout=60 "api-sink's record" sink_has_record
check "... as Lambda's record of a success" json_ok "$(sink_got | grep '"via": "event"' | head -n 1 | cut -c6-)" \
        'd["requestContext"]["condition"] == "Success" and d["requestPayload"] == {"via": "event"} and
         d["responsePayload"]["message"] == "Hello from version 2!"'

check "delete-function-event-invoke-config" aws lambda delete-function-event-invoke-config --function-name api-zip
check "... which is gone" expect_error ResourceNotFoundException \
        aws lambda get-function-event-invoke-config --function-name api-zip
check "... and cannot be deleted twice" expect_error ResourceNotFoundException \
        aws lambda delete-function-event-invoke-config --function-name api-zip

# The new routes as the invoke-only caller: 403 AccessDeniedException, with SigV4 and with Bearer.
settings_cli_routes=(
        "put-function-concurrency --function-name api-zip --reserved-concurrent-executions 0"
        "get-function-concurrency --function-name api-zip"
        "delete-function-concurrency --function-name api-zip"
        "put-function-event-invoke-config --function-name api-zip --maximum-retry-attempts 0"
        "update-function-event-invoke-config --function-name api-zip --maximum-retry-attempts 0"
        "get-function-event-invoke-config --function-name api-zip"
        "delete-function-event-invoke-config --function-name api-zip"
        "list-function-event-invoke-configs --function-name api-zip"
)
for r in "${settings_cli_routes[@]}"; do
        # shellcheck disable=SC2086  # the route's words are its arguments
        check "invoke-only SigV4: aws lambda ${r%% *} is refused (AccessDeniedException)" \
                expect_error AccessDeniedException as_invoker aws lambda $r
done
settings_curl_routes=(
        "PUT /2017-10-31/functions/api-zip/concurrency {\"ReservedConcurrentExecutions\":0}"
        "GET /2019-09-30/functions/api-zip/concurrency"
        "DELETE /2017-10-31/functions/api-zip/concurrency"
        "PUT /2019-09-25/functions/api-zip/event-invoke-config {\"MaximumRetryAttempts\":0}"
        "POST /2019-09-25/functions/api-zip/event-invoke-config {\"MaximumRetryAttempts\":0}"
        "GET /2019-09-25/functions/api-zip/event-invoke-config"
        "DELETE /2019-09-25/functions/api-zip/event-invoke-config"
        "GET /2019-09-25/functions/api-zip/event-invoke-config/list"
)
for r in "${settings_curl_routes[@]}"; do
        read -r method path body <<<"$r"
        check "invoke-only Bearer key: $method $path is 403 AccessDeniedException" \
                assert_eq "403 AccessDeniedException" "$(answer "$KEY_RO" "$method" "$path" "$body")" "answer"
done
check "nothing the invokers tried set a concurrency" assert_eq "" \
        "$(aws lambda get-function-concurrency --function-name api-zip 2>&1)" "output"
check "delete-function (api-sink)" aws lambda delete-function --function-name api-sink

# ---- delete

check "delete-function (zip)" aws lambda delete-function --function-name api-zip
check "... with its versions and aliases: nothing of it left in the store" \
        bash -c '! compgen -G "$1/api-zip[.:]*" >/dev/null' _ "$TEST_TMP/api-functions"
check "delete-function (image)" aws lambda delete-function --function-name api-image
check "invoke after delete: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda invoke --function-name api-zip --cli-binary-format raw-in-base64-out --payload '{}' "$TEST_TMP/gone.json"
check "get-function after delete: ResourceNotFoundException" expect_error ResourceNotFoundException \
        aws lambda get-function --function-name api-image
no_containers() { none_of api-zip && none_of api-image; }
check "no container of the deleted functions is left" wait_until --timeout=30 "their containers to go" no_containers

# ---- boto3 and the JS SDK v3

check "boto3: create, waiter, invoke, update code and its waiter, configuration, publish, alias, invoke of the alias, two versions at 90/10 over 200 invocations, provisioned concurrency, stale revision, concurrency 0, event invoke config, delete" json_ok \
        "$("$PY" "$HERE/api-boto3.py" "$URL" "$AKID" "$SECRET" api-boto3 "$ZIPS/v1.zip" "$ROLE" "$ZIPS/v2.zip" \
                2>>"$TEST_TMP/clients.log")" \
        'd["create"]["PackageType"] == "Zip" and d["wait"] == "active" and d["invoke"]["functionName"] == "api-boto3" and
         d["updated"] == "Hello from version 2!" and d["updated_back"] != d["updated"] and d["publish2"] == "2" and
         d["weights"] == {"2": 0.1} and d["split"]["1"] + d["split"]["2"] == 200 and 6 <= d["split"]["2"] <= 34 and
         d["deleted"] == {"error": "ResourceNotFoundException"} and
         d["configuration"]["MemorySize"] == 192 and d["configuration"]["Timeout"] == 7 and
         d["publish"] == "1" and d["alias"] == {"Name": "live", "FunctionVersion": "1"} and
         d["invoke_alias"] == {"ExecutedVersion": "1", "functionName": "api-boto3"} and
         d["provisioned"] == 202 and
         d["provisioned_ready"] == {"Status": "READY", "AvailableProvisionedConcurrentExecutions": 1} and
         d["stale"] == {"error": "PreconditionFailedException"} and d["throttle"] == 0 and
         d["throttled"] == {"error": "TooManyRequestsException"} and d["concurrency"] == 0 and
         d["unthrottle"] == 204 and d["unthrottled"] == "api-boto3" and
         d["event_invoke_config"] == {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 120} and
         d["event_invoke_config_age"] == "datetime" and d["delete"] == 204'
if [[ -d $SDK/node_modules/@aws-sdk/client-lambda ]] && command -v node >/dev/null; then
        check "JS SDK v3: create, waitUntilFunctionActiveV2, invoke, update code and waitUntilFunctionUpdatedV2, get, publish, alias, invoke of the alias, two versions at 90/10 over 200 invocations, provisioned concurrency, concurrency 0, delete" json_ok \
                "$(SDK=$SDK URL=$URL node "$HERE/api-sdk.mjs" api-js "$ZIPS/v1.zip" "$ROLE" "$ZIPS/v2.zip" \
                        2>>"$TEST_TMP/clients.log")" \
                'd["create"]["PackageType"] == "Zip" and d["wait"] == "SUCCESS" and d["invoke"]["functionName"] == "api-js" and
                 d["updated"] == "Hello from version 2!" and d["updatedBack"] != d["updated"] and d["publish2"] == "2" and
                 d["weights"] == {"2": 0.1} and d["split"]["1"] + d["split"]["2"] == 200 and 6 <= d["split"]["2"] <= 34 and
                 d["deleted"]["error"] == "ResourceNotFoundException" and
                 d["get"] == {"State": "Active", "RepositoryType": "S3"} and d["publish"] == "1" and
                 d["alias"] == "1" and d["invoke_alias"] == {"ExecutedVersion": "1", "functionName": "api-js"} and
                 d["provisioned"] == 202 and d["provisionedReady"] == {"Status": "READY", "Available": 1} and
                 d["throttle"] == 0 and
                 d["throttled"]["error"] == "TooManyRequestsException" and d["unthrottle"] == 204 and
                 d["unthrottled"] == 200 and d["eventInvokeConfig"]["error"] == "ResourceNotFoundException" and
                 d["delete"] == 204'
else
        not_ok "JS SDK v3" "npm install @aws-sdk/client-lambda failed, or node is missing"
fi

# ---- Terraform's AWS provider

# terraform_walk: apply a zip function, plan again (no drift), change its memory, destroy it. The
# provider comes from a filesystem mirror (LAMBDAD_TF_PLUGINS, default /opt/tf-plugins), never the
# network.
TF_PLUGINS=${LAMBDAD_TF_PLUGINS:-/opt/tf-plugins}
TF=$TEST_TMP/terraform
tf() { (cd "$TF" && TF_CLI_CONFIG_FILE=$TF/cli.tfrc TF_IN_AUTOMATION=1 terraform "$@" -no-color >>"$TF/terraform.log" 2>&1); }
terraform_walk() {
        local failed=$_LIB_NFAILED
        mkdir -p "$TF"
        cp "$ZIPS/v1.zip" "$TF/function.zip"
        printf '%s\n' 'provider_installation {' "  filesystem_mirror {" "    path    = \"$TF_PLUGINS\"" \
                '    include = ["registry.terraform.io/hashicorp/aws"]' '  }' \
                '  direct { exclude = ["registry.terraform.io/*/*"] }' '}' >"$TF/cli.tfrc"
        printf '%s\n' 'terraform {' '  required_providers {' '    aws = { source = "hashicorp/aws" }' '  }' '}' \
                'variable "memory" { default = 256 }' \
                'provider "aws" {' '  region                      = "us-east-1"' \
                "  access_key                  = \"$AKID\"" "  secret_key                  = \"$SECRET\"" \
                '  skip_credentials_validation = true' '  skip_requesting_account_id  = true' \
                '  skip_metadata_api_check     = true' '  skip_region_validation      = true' \
                "  endpoints { lambda = \"$URL\" }" '}' \
                'resource "aws_lambda_function" "tf" {' '  function_name    = "api-tf"' \
                '  filename         = "function.zip"' '  source_code_hash = filebase64sha256("function.zip")' \
                '  handler          = "app.lambda_handler"' '  runtime          = "python3.12"' \
                '  role             = "arn:aws:iam::000000000000:role/lambdad"' '  memory_size      = var.memory' \
                '  environment { variables = { GREETING = "tf" } }' '}' >"$TF/main.tf"
        check "terraform init (from the mirror)" tf init -input=false
        check "terraform apply: creates api-tf" tf apply -input=false -auto-approve
        check "api-tf answers" json_ok "$(invoke api-tf '{"via":"terraform"}')" 'd["functionName"] == "api-tf"'
        check "terraform plan: no drift" tf plan -input=false -detailed-exitcode
        check "terraform apply: memory 512" tf apply -input=false -auto-approve -var memory=512
        check "... which the function has" json_ok "$(configuration api-tf)" 'd["MemorySize"] == 512'
        check "terraform destroy" tf destroy -input=false -auto-approve
        check "... which deleted it" expect_error ResourceNotFoundException aws lambda get-function --function-name api-tf
        ((_LIB_NFAILED == failed)) || sed 's/^/# terraform: /' "$TF/terraform.log" | tail -80
}
if ! command -v terraform >/dev/null; then
        ok "# SKIP Terraform: not installed"
elif [[ ! -d $TF_PLUGINS/registry.terraform.io/hashicorp/aws ]]; then
        ok "# SKIP Terraform: no hashicorp/aws provider in $TF_PLUGINS (LAMBDAD_TF_PLUGINS)"
else
        terraform_walk
fi

lib_done
