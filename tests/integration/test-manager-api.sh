#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The manager's side of the control-plane API, with busctl on a private system bus with the project's
# policy, a real engine and the stand-in of AWS's Python base image: CreateFunction of an image and of
# a zip function (the zip as a file descriptor), their configuration (Source, RevisionId, State,
# LastUpdateStatus, Declaration), UpdateFunction with and without the right RevisionId, a bad zip that
# changes nothing, the operator's declarations left alone, PublishVersionWhenReady right after a change
# (the version of its code once loaded; CodeSha256 and RevisionId checked then), a restart that loses
# nothing, and DeleteFunction removing the function, its files and its upload. Time bound: about a
# minute (the first build of the Python stand-in: seconds).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init manager-api
require_cmd busctl systemd
require_cmd curl
require_cmd zip
ensure_dockerd
lambdad_init
lambdad_images hello runtime-python

API=$TEST_TMP/api-functions
STORE=$TEST_TMP/store
cat >"$FN/operators.json" <<EOF
{ "image": "${IMAGE_PREFIX}hello:latest" }
EOF
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --log-level=debug --api-functions-dir="$API" \
        --code-store="$STORE" --runtime=python3.12="${IMAGE_PREFIX}runtime-python:latest"
LOG=$TEST_TMP/dbus.log

# call METHOD SIGNATURE ARGS...: the answer, or busctl's error text (errors are what we test).
call() {
        busctl call --timeout=60 --json=short org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 "$@" 2>&1 || true
}
# config NAME KEY: one key of GetFunctionConfiguration.
config() {
        call GetFunctionConfiguration s "$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)["data"][0]
print(d.get(sys.argv[1], {}).get("data", ""))' "$2" 2>/dev/null || true
}
has() { assert_contains "$1" "$2" "the answer"; }
is() { assert_eq "$1" "$2" "the value"; }
config_is() { [[ $(config "$1" "$2") == "$3" ]]; }
# invoke NAME: an instance of NAME answers the event {"via": "test"}.
invoke() {
        local host port secret
        read -r host port secret < <(busctl call --timeout=60 org.lambdad.Manager1 /org/lambdad/Manager1 \
                org.lambdad.Manager1 EnsureContainer s "$1" | sed -E 's/^sqs "([^"]*)" ([0-9]+) "([0-9a-f]+)"$/\1 \2 \3/')
        curl -s --max-time 30 -H "X-Lambdad-Instance-Secret: $secret" -d '{"via":"test"}' \
                "http://$host:$port/2015-03-31/functions/function/invocations"
}

BUS_CODE=${BUS_CODE:-$LAMBDAD_BUILD/tests/integration/bus-code}

# ---- an image function
out=$(call CreateFunction ssah img '{"image": "'"${IMAGE_PREFIX}hello:latest"'", "memory_mb": 256, "description": "made by the test"}' 0)
check "CreateFunction of an image function answers with its configuration" has "$out" '"Source"'
check "... from the API, Active" is "api Active Successful Image" \
        "$(config img Source) $(config img State) $(config img LastUpdateStatus) $(config img PackageType)"
check "... stored in the API's directory" test -s "$API/img.json"
check "... and it runs" has "$(invoke img)" 'Hello from lambdad'
check "CreateFunction of a function that exists: ResourceConflict" \
        has "$("$BUS_CODE" create img '{"image": "x"}' /dev/null)" "org.lambdad.Error.ResourceConflict: Function already exist: img"
check "CreateFunction of the operator's function: ResourceConflict" \
        has "$(call CreateFunction ssah operators '{"image": "x"}' 0)" "Function already exist: operators"
check "a bad declaration names its field" \
        has "$(call CreateFunction ssah bad '{"image": "x", "memory_mb": 64}' 0)" "memory_mb: expected an integer from 128 to 10240"
check "a host path as code is refused" \
        has "$(call CreateFunction ssah bad '{"runtime": "python3.12", "handler": "a.b", "code_directory": "/etc"}' 0)" \
        "brings its code as a zip"
check "an invalid name is refused" has "$(call CreateFunction ssah 'a:b' '{"image": "x"}' 0)" "Invalid function name"

# ---- a zip function: the zip goes as a file descriptor
mkdir -p "$TEST_TMP/code"
printf 'def handler(event, context):\n    return {"version": 1, "name": context.function_name}\n' >"$TEST_TMP/code/app.py"
(cd "$TEST_TMP/code" && zip -q "$TEST_TMP/v1.zip" app.py)
check "CreateFunction of a zip function" is ok \
        "$("$BUS_CODE" create zipfn '{"runtime": "python3.12", "handler": "app.handler", "timeout_sec": 10}' "$TEST_TMP/v1.zip")"
sha=$(openssl dgst -sha256 -binary "$TEST_TMP/v1.zip" | base64)
wait_until --timeout=20 "zipfn Active" config_is zipfn State Active
check "... Active, with the zip's CodeSha256" is "Active Zip $sha" \
        "$(config zipfn State) $(config zipfn PackageType) $(config zipfn CodeSha256)"
check "... and its code answers" has "$(invoke zipfn)" '"version": 1'
check "the upload is kept" test "$(find "$API/uploads" -name '*.zip' | wc -l)" -eq 1

# ---- updates
rev=$(config zipfn RevisionId)
check "UpdateFunction with another RevisionId: refused (PreconditionFailed)" \
        has "$(call UpdateFunction sssah zipfn 00000000-0000-0000-0000-000000000000 '{"memory_mb": 512}' 0)" \
        "does not match the latest Revision Id"
printf 'not a zip' >"$TEST_TMP/bad.zip"
before=$(cat "$API/zipfn.json")
check "new code that is not a zip is refused, naming the problem" \
        has "$("$BUS_CODE" update zipfn "$rev" '{}' "$TEST_TMP/bad.zip")" "not a zip file"
check "... and changes nothing" is "$before $rev" "$(cat "$API/zipfn.json") $(config zipfn RevisionId)"
check "... LastUpdateStatus Failed" is Failed "$(config zipfn LastUpdateStatus)"
printf 'def handler(event, context):\n    return {"version": 2}\n' >"$TEST_TMP/code/app.py"
(cd "$TEST_TMP/code" && zip -q "$TEST_TMP/v2.zip" app.py)
check "UpdateFunction with the RevisionId: new code and configuration" is ok \
        "$("$BUS_CODE" update zipfn "$rev" '{"memory_mb": 512, "environment": {"A": "1"}}' "$TEST_TMP/v2.zip")"
check "... a new revision" test "$(config zipfn RevisionId)" != "$rev"
wait_until --timeout=20 "the update" config_is zipfn LastUpdateStatus Successful
answers() { invoke "$1" | grep -q "$2"; }
check "... the new code answers" wait_until --timeout=20 "version 2" answers zipfn '"version": 2'

check "... with the new memory" has "$(config zipfn Declaration)" '"memory_mb": 512'
check "the old upload is gone" test "$(find "$API/uploads" -name '*.zip' | wc -l)" -eq 1
check "UpdateFunction of the operator's function: ResourceConflict" \
        has "$(call UpdateFunction sssah operators '' '{"memory_mb": 256}' 0)" "does not change it"
check "DeleteFunction of the operator's function: ResourceConflict" \
        has "$(call DeleteFunction s operators)" "does not change it"
check "UpdateFunction of no function: refused (FunctionNotFound)" \
        has "$(call UpdateFunction sssah nosuch '' '{}' 0)" "Function not found: nosuch"

# ---- versions and aliases: version 1 is v2's code, version 2 v1's
check "PublishVersion: version 1" has "$(call PublishVersion ssss zipfn '' '' first)" '"Version":{"type":"s","data":"1"}'
check "... a function of its own, zipfn:1, with the code of then" is "1 $(openssl dgst -sha256 -binary "$TEST_TMP/v2.zip" | base64)" \
        "$(config zipfn:1 Version) $(config zipfn:1 CodeSha256)"
check "PublishVersion with another CodeSha256: refused" has "$(call PublishVersion ssss zipfn "$sha" '' '')" \
        "is different from the current CodeSha256"
rev=$(config zipfn RevisionId)
check "UpdateFunction back to v1's code" is ok "$("$BUS_CODE" update zipfn "$rev" '{}' "$TEST_TMP/v1.zip")"
wait_until --timeout=20 "the update" config_is zipfn LastUpdateStatus Successful
check "PublishVersion: version 2" has "$(call PublishVersion ssss zipfn "$sha" '' '')" '"Version":{"type":"s","data":"2"}'
check "... again, nothing new: version 2 again" has "$(call PublishVersion ssss zipfn '' '' '')" '"Version":{"type":"s","data":"2"}'
check "each version runs its own code in its own instances" is '"version": 2|"version": 1' \
        "$(invoke zipfn:1 | grep -o '"version": [0-9]')|$(invoke zipfn:2 | grep -o '"version": [0-9]')"
check "... named as AWS names them" has "$(invoke zipfn:2)" '"name": "zipfn"'
check "... in containers of their own" test "$(docker ps -q --filter name=lambdad-zipfn.1- | wc -l)" -ge 1
check "both uploads are kept for the versions" test "$(find "$API/uploads" -name '*.zip' | wc -l)" -eq 2
check "ListVersions: \$LATEST, 1, 2" is "3" "$(call ListVersions s zipfn | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"][0]))')"
check "CreateAlias live: 1, with half to 2" has \
        "$(call CreateAlias ssa{sv} zipfn live 2 FunctionVersion s 1 AdditionalVersionWeights a{sd} 1 2 0.5)" '"data":{"2":5.0'
check "CreateAlias with a weight of 1.5: refused" has \
        "$(call CreateAlias ssa{sv} zipfn other 2 FunctionVersion s 1 AdditionalVersionWeights a{sd} 1 2 1.5)" "from 0.0 to 1.0"
check "CreateAlias of a version that is not there: FunctionNotFound" has \
        "$(call CreateAlias ssa{sv} zipfn other 1 FunctionVersion s 7)" "Function not found: zipfn:7"
check "DeleteFunction of a version an alias points at: ResourceConflict" has "$(call DeleteFunction s zipfn:1)" \
        "the following aliases reference it: [live]"
check "PublishVersion of the operator's function: ResourceConflict" has "$(call PublishVersion ssss operators '' '' '')" \
        "does not change it"
check "the store holds them" test -s "$API/zipfn:1.version" -a -s "$API/zipfn:2.meta" -a -s "$API/zipfn.aliases"

# ---- provisioned concurrency: version 2 keeps an instance started, across the restart below
# provisioned_status: GetProvisionedConcurrencyConfig's Status of zipfn:2.
provisioned_status() {
        call GetProvisionedConcurrencyConfig ss zipfn 2 | python3 -c 'import json, sys
print(json.load(sys.stdin)["data"][0]["Status"]["data"])' 2>/dev/null || true
}
provisioned_ready() { [[ $(provisioned_status) == READY ]]; }
check "PutProvisionedConcurrencyConfig on \$LATEST: refused as Lambda refuses it" \
        has "$(call PutProvisionedConcurrencyConfig ssu zipfn '$LATEST' 1)" "cannot be applied to unpublished function versions"
check "... on the operator's function: ResourceConflict" \
        has "$(call PutProvisionedConcurrencyConfig ssu operators 1 1)" "does not change it"
check "... above the function's max_instances: refused" \
        has "$(call PutProvisionedConcurrencyConfig ssu zipfn 2 5)" "exceeds the max_instances of function zipfn"
check "PutProvisionedConcurrencyConfig zipfn 2: 1 instance" \
        has "$(call PutProvisionedConcurrencyConfig ssu zipfn 2 1)" '"Requested":{"type":"u","data":1}'
check "... READY once it is up" wait_until --timeout=30 "version 2's instance" provisioned_ready
check "... kept beside the version" test -s "$API/zipfn:2.provisioned"
check "ListProvisionedConcurrencyConfigs: version 2's" \
        has "$(call ListProvisionedConcurrencyConfigs s zipfn)" '"Qualifier":{"type":"s","data":"2"}'
check "GetProvisionedConcurrencyConfig of version 1: ProvisionedConcurrencyConfigNotFound" \
        has "$(call GetProvisionedConcurrencyConfig ss zipfn 1)" "No Provisioned Concurrency Config found"

# ---- a restart loses nothing
rev=$(config zipfn RevisionId)
kill -TERM "$(manager_pid)"
wait_until --timeout=20 "the manager's exit" manager_gone
check "after a restart: the functions and their revisions are there" \
        is "api $rev api" "$(config zipfn Source) $(config zipfn RevisionId) $(config img Source)"
check "... and answer" has "$(invoke zipfn)" '"version": 1'
check "... the versions and the alias too" is "1 2 live" \
        "$(config zipfn:1 Version) $(config zipfn:2 Version) $(call GetAlias ss zipfn live | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["Name"]["data"])')"
check "... and version 2's provisioned concurrency, READY" wait_until --timeout=30 "version 2's instance" provisioned_ready
check "DeleteProvisionedConcurrencyConfig" is "" "$(call DeleteProvisionedConcurrencyConfig ss zipfn 2)"
check "... gone" has "$(call GetProvisionedConcurrencyConfig ss zipfn 2)" "No Provisioned Concurrency Config found"
check "... from the store too" test ! -e "$API/zipfn:2.provisioned"
check "DeleteAlias, then DeleteFunction of version 1: that version alone" is " " \
        "$(call DeleteAlias ss zipfn live) $(call DeleteFunction s zipfn:1)"
check "... gone" has "$(call GetFunctionConfiguration s zipfn:1)" "not declared"
check "... version 2 is not" is 2 "$(config zipfn:2 Version)"

# ---- PublishVersionWhenReady: right after a change, the version of its code, once that is loaded (a
# 16 MB zip, stored: a moment to copy and hash); PublishVersion then is refused as Lambda refuses it
# while LastUpdateStatus is InProgress, or (the code loaded already) answers the same version.
mkdir -p "$TEST_TMP/big"
cp "$TEST_TMP/code/app.py" "$TEST_TMP/big/app.py"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/big/data.bin"
(cd "$TEST_TMP/big" && zip -q -0 "$TEST_TMP/big.zip" app.py data.bin)
big_sha=$(openssl dgst -sha256 -binary "$TEST_TMP/big.zip" | base64)
out=$("$BUS_CODE" create-publish pubfn '{"runtime": "python3.12", "handler": "app.handler"}' "$TEST_TMP/big.zip")
check "CreateFunction of a 16 MB zip function" has "$out" ok
check "PublishVersionWhenReady at once after it: version 1" has "$out" "PublishVersionWhenReady: 1"
check "... the zip's code" is "$big_sha" "$(config pubfn:1 CodeSha256)"
case $out in
*"PublishVersion: org.lambdad.Error.ResourceConflict"*) direct_verdict=refused ;;
*"PublishVersion: 1"*) direct_verdict=same ;;
*) direct_verdict="unexpected: $out" ;;
esac
echo "# PublishVersion between them: $direct_verdict (refused: it came while the code loaded; same: after);" \
        "PublishVersionWhenReady calls that waited: $(grep -c 'waiting for its code to load' "$LOG")"
check "PublishVersion between them: in progress (ResourceConflict) or the same version 1" \
        bash -c '[[ $1 == refused || $1 == same ]]' _ "$direct_verdict"
rev=$(config pubfn RevisionId)
check "UpdateFunction to v2's code" is ok "$("$BUS_CODE" update pubfn "$rev" '{}' "$TEST_TMP/v2.zip")"
check "PublishVersionWhenReady with the old CodeSha256: refused once loaded" \
        has "$(call PublishVersionWhenReady ssss pubfn "$big_sha" '' '')" "is different from the current CodeSha256"
check "... with a stale RevisionId: PreconditionFailed" \
        has "$(call PublishVersionWhenReady ssss pubfn '' "$rev" '')" "does not match the latest Revision Id"
check "... with neither: version 2" has "$(call PublishVersionWhenReady ssss pubfn '' '' '')" \
        '"Version":{"type":"s","data":"2"}'
check "PublishVersionWhenReady of the operator's function: ResourceConflict" \
        has "$(call PublishVersionWhenReady ssss operators '' '' '')" "does not change it"
check "... of no function: FunctionNotFound" has "$(call PublishVersionWhenReady ssss nosuch '' '' '')" \
        "Function not found: nosuch"
check "DeleteFunction pubfn" is "" "$(call DeleteFunction s pubfn)"

# ---- delete
check "DeleteFunction" is "" "$(call DeleteFunction s zipfn)"
check "... the function is gone" has "$(call GetFunctionConfiguration s zipfn)" "'zipfn' is not declared"
check "... and its files, its versions' and its upload" bash -c "[[ ! -e '$API/zipfn.json' && -z \$(find '$API' -name 'zipfn[.:]*') && -z \$(find '$API/uploads' -name '*.zip') ]]"
check "the journal names the changes" grep -q "Function 'zipfn' created through the API" "$LOG"

lib_done
