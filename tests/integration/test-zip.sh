#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Zip-packaged functions for real: declarations with "runtime", "handler", "code" (or
# "code_directory") and "layers" instead of "image", run by lambda-manager (D-Bus-activated on a
# private system bus, a real dockerd) on the offline stand-ins of AWS's base images
# (examples/runtime-nodejs, runtime-python, runtime-provided), mapped to the runtimes with
# --runtime=ID=IMAGE and --runtimes-dir, behind lambda-gateway, driven by the AWS CLI v2, boto3 and
# the AWS SDK for JavaScript v3. Checks:
# - the three example zips of examples/zip answer through each client, and their context holds the
#   declaration (function name, memory_mb, a remaining time within timeout_sec);
# - a layer's module is found (Node.js: /opt/nodejs/node_modules by require(); Python: /opt/python);
# - bad zips are refused, each with an error naming its problem, to the client and in the
#   manager's log, and leave the code store as it was: path traversal, an absolute path, a
#   symbolic link out of the code, past 250 MB unpacked, truncated, not a zip;
# - an unknown runtime and a runtime whose image is missing fail saying which image and how to get it;
# - hot reload of a code_directory: the first answer of the new code within the bound (the time is
#   printed; the 1 s goal is the benchmarks'), and under 8 clients no invocation fails and none
#   mixes the versions of two files saved one after the other;
# - two functions with the same zip share one code-* entry of the store.
# Time bound: the first build of runtime-nodejs compiles aws-lambda-ric (minutes, then cached, as
# test-node-hello); the test itself about a minute (meson timeout 900 s).
# shellcheck disable=SC2317  # helpers run through check and wait_until, which shellcheck cannot follow

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init zip
require_cmd curl
require_cmd zip
require_cmd node nodejs
require_cmd npm
require_cmd python3
# Debian's python3, not another one first on PATH (pyenv): boto3 and the bad zips are made with it.
PY=/usr/bin/python3
[[ -x $PY ]] || lib_skip "Debian's python3 missing (apt-get install python3)"
"$PY" -c 'import boto3' 2>/dev/null || lib_skip "boto3 missing for $PY (apt-get install python3-boto3)"
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_dockerd
lambdad_init
lambdad_images runtime-nodejs runtime-python runtime-provided
HERE=$LAMBDAD_SRC/tests/integration
EXAMPLES=$LAMBDAD_SRC/examples/zip

# The AWS SDK for JavaScript v3, from npm once, then from the cache (shared with test-gateway).
SDK=/var/cache/lambdad/aws-sdk-client-lambda
if [[ ! -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
        mkdir -p "$SDK.tmp.$$" && (cd "$SDK.tmp.$$" && npm init -y >/dev/null && npm install --silent @aws-sdk/client-lambda@3 >&2) &&
                mv -T "$SDK.tmp.$$" "$SDK" 2>/dev/null || rm -rf "$SDK.tmp.$$"
fi

# ---- the code: the examples zipped as users zip them, and the bad zips

ZIPS=$TEST_TMP/zips
STORE=$TEST_TMP/store
mkdir -p "$ZIPS" "$STORE"
for d in node-hello python-hello provided-sh layer-node layer-python; do
        (cd "$EXAMPLES/$d" && zip -q -r "$ZIPS/$d.zip" .)
done
# Where an unpacking that escapes its folder would write (nothing may be there afterwards).
MARK=$$-$RANDOM
ESCAPES=("/tmp/lambdad-zip-traversal-$MARK" "/tmp/lambdad-zip-absolute-$MARK" "/tmp/lambdad-zip-symlink-$MARK")
lib_cleanup "rm -f ${ESCAPES[*]}"
"$PY" "$HERE/zip-bad-zips.py" "$ZIPS" "$MARK" "$EXAMPLES/python-hello/app.py"

# The code of the hot-reload function: the handler imports a second module, and each file carries
# the version it was written with.
HOT=$TEST_TMP/hot
mkdir -p "$HOT"
write_version() {
        printf 'import part\n\nVERSION = "%s"\n\n\ndef lambda_handler(event, context):\n    return {"app": VERSION, "part": part.VERSION}\n' \
                "$1" >"$HOT/app.py"
        printf 'VERSION = "%s"\n' "$1" >"$HOT/part.py"
}
write_version v1
chmod 0755 "$HOT"
chmod 0644 "$HOT"/*.py

# ---- declarations

# zip_fn NAME RUNTIME HANDLER MEMORY TIMEOUT CODE-JSON [EXTRA-JSON]: a zip-packaged function.
zip_fn() {
        printf '{ "runtime": "%s", "handler": "%s", %s, "memory_mb": %s, "timeout_sec": %s%s }\n' \
                "$2" "$3" "$6" "$4" "$5" "${7:+, $7}" >"$FN/$1.json"
}
code() { printf '"code": "%s"' "$ZIPS/$1.zip"; }

# The memory and timeout of each function that answers: the three examples each with their own,
# so that the context shows the declaration's and not a default.
declare -A MEM=([node-hello]=256 [python-hello]=320 [provided-sh]=384 [node-layer]=192 [python-layer]=192
        [provided-twin]=128 [provided-al2]=128)
declare -A TIMEOUT=([node-hello]=10 [python-hello]=12 [provided-sh]=14 [node-layer]=10 [python-layer]=10
        [provided-twin]=5 [provided-al2]=5)
zip_fn node-hello nodejs22.x index.handler "${MEM[node-hello]}" "${TIMEOUT[node-hello]}" "$(code node-hello)"
zip_fn python-hello python3.12 app.lambda_handler "${MEM[python-hello]}" "${TIMEOUT[python-hello]}" "$(code python-hello)"
zip_fn provided-sh provided.al2023 function.handler "${MEM[provided-sh]}" "${TIMEOUT[provided-sh]}" "$(code provided-sh)"
# The same code with a layer each (another handler of the same zip).
zip_fn node-layer nodejs22.x layer.handler "${MEM[node-layer]}" "${TIMEOUT[node-layer]}" "$(code node-hello)" \
        "\"layers\": [\"$ZIPS/layer-node.zip\"]"
zip_fn python-layer python3.12 layer.lambda_handler "${MEM[python-layer]}" "${TIMEOUT[python-layer]}" "$(code python-hello)" \
        "\"layers\": [\"$ZIPS/layer-python.zip\"]"
# A second function with provided-sh's zip (the store keeps one copy), and a third on a runtime
# mapped by a file of --runtimes-dir instead of --runtime.
zip_fn provided-twin provided.al2023 function.handler "${MEM[provided-twin]}" "${TIMEOUT[provided-twin]}" "$(code provided-sh)"
mkdir -p "$TEST_TMP/runtimes"
printf '{ "image": "%sruntime-provided:latest" }\n' "$IMAGE_PREFIX" >"$TEST_TMP/runtimes/provided.al2.json"
zip_fn provided-al2 provided.al2 function.handler "${MEM[provided-al2]}" "${TIMEOUT[provided-al2]}" "$(code provided-sh)"
# Bad zips, each on a runtime that would run its app.py. Functions and zips have neutral names
# (bad0.zip for bad0, ...), so that an error which only repeats a name cannot pass for one naming
# the problem.
BAD=(traversal absolute symlink bomb truncated not-a-zip)
for i in "${!BAD[@]}"; do
        mv "$ZIPS/${BAD[i]}.zip" "$ZIPS/bad$i.zip"
        zip_fn "bad$i" python3.12 app.lambda_handler 128 5 "$(code "bad$i")"
done
# Runtimes without a usable image: unknown to the manager, mapped to an image the engine does not
# have, and one of AWS's (the default mapping), which no registry can give here.
zip_fn unknown-runtime cobol1.x app.lambda_handler 128 5 "$(code python-hello)"
MISSING_IMAGE=lambdad-test-no-such-runtime:latest
zip_fn missing-image nodejs20.x index.handler 128 5 "$(code node-hello)"
zip_fn missing-aws-image ruby3.3 app.handler 128 5 "$(code python-hello)"
# Hot reload: the code is the folder itself; each of the 8 clients can have an instance of its own.
zip_fn hot python3.12 app.lambda_handler 128 10 "\"code_directory\": \"$HOT\"" '"max_instances": 10'

# ---- the manager and the gateway

lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=60 \
        --runtime=nodejs22.x="${IMAGE_PREFIX}runtime-nodejs:latest" \
        --runtime=python3.12="${IMAGE_PREFIX}runtime-python:latest" \
        --runtime=provided.al2023="${IMAGE_PREFIX}runtime-provided:latest" \
        --runtime=nodejs20.x="$MISSING_IMAGE" \
        --runtimes-dir="$TEST_TMP/runtimes" --code-store="$STORE"
LOG=$TEST_TMP/dbus.log

lambdad_credentials tests
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --api-keys="$TEST_TMP/api-keys" --credentials="$TEST_TMP/credentials" \
        --exit-idle=0 --log-level=debug

export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
# One attempt: a refused function must say why at once, not after the CLI's retries.
export AWS_MAX_ATTEMPTS=1
aws() {
        /usr/bin/aws --endpoint-url "$URL" --cli-read-timeout 60 --cli-connect-timeout 5 "$@"
}

# cli_invoke FUNCTION PAYLOAD: the CLI's output, its error output and the answer's body, all in
# one text; the exit status is the CLI's.
cli_invoke() {
        local rc=0
        rm -f "$TEST_TMP/cli.json"
        aws lambda invoke --function-name "$1" --cli-binary-format raw-in-base64-out --payload "$2" \
                "$TEST_TMP/cli.json" >"$TEST_TMP/cli.out" 2>&1 || rc=$?
        cat "$TEST_TMP/cli.out"
        [[ ! -f $TEST_TMP/cli.json ]] || cat "$TEST_TMP/cli.json"
        return "$rc"
}

# answer_ok FUNCTION VIA TEXT: TEXT is the handler's result for the event {"via": VIA}: a greeting,
# the function's name, its memory_mb (a string in AWS's runtimes, compared as text) and
# 0 < remaining time <= timeout_sec.
answer_ok() {
        local fn=$1 mem=${MEM[$1]} timeout=${TIMEOUT[$1]}
        "$PY" - "$fn" "$mem" "$timeout" "$2" "$3" <<'EOF'
import json, sys
fn, mem, timeout, via, text = sys.argv[1:6]
try:
    d = json.loads(text)
except ValueError:
    sys.exit("FAIL: %s via %s: not JSON: %r" % (fn, via, text[:500]))
problems = []
if not isinstance(d, dict) or not str(d.get("message", "")).startswith("Hello from a zip-packaged"):
    problems.append("no greeting")
    d = d if isinstance(d, dict) else {}
if d.get("functionName") != fn:
    problems.append("functionName %r, not %r" % (d.get("functionName"), fn))
if str(d.get("memoryLimitInMB")) != mem:
    problems.append("memoryLimitInMB %r, not %s" % (d.get("memoryLimitInMB"), mem))
r = d.get("remainingTimeInMillis")
if not isinstance(r, (int, float)) or not 0 < r <= int(timeout) * 1000:
    problems.append("remainingTimeInMillis %r, not in (0, %d]" % (r, int(timeout) * 1000))
if d.get("event") != {"via": via}:
    problems.append("event %r" % (d.get("event"),))
if problems:
    sys.exit("FAIL: %s via %s: %s in %s" % (fn, via, "; ".join(problems), text[:500]))
EOF
}

# sdk_answer_ok FUNCTION VIA OUTPUT: OUTPUT of zip-invoke.py or .mjs is a 200 without a function
# error, and its payload passes answer_ok.
sdk_answer_ok() {
        local payload
        payload=$("$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
if d.get("status") != 200 or d.get("functionError") or d.get("serviceError"):
    sys.exit("FAIL: not a plain 200: %s" % sys.argv[1][:500])
print(d["payload"])' "$3") && answer_ok "$1" "$2" "$payload"
}

# The SDKs' own warnings (Node.js versions, Python deprecations) go to a log, shown on failure.
boto3_invoke() { "$PY" "$HERE/zip-invoke.py" "$URL" "$AKID" "$SECRET" "$@" 2>>"$TEST_TMP/clients.log" || true; }
sdk_invoke() { SDK=$SDK URL=$URL node "$HERE/zip-invoke.mjs" "$@" 2>>"$TEST_TMP/clients.log" || true; }

# ---- the three runtimes, through each client

for fn in node-hello python-hello provided-sh; do
        out=$(cli_invoke "$fn" '{"via":"cli"}') && rc=0 || rc=$?
        check "$fn: aws lambda invoke: exit 0 without a function error" \
                bash -c "(( $rc == 0 )) && ! grep -q FunctionError '$TEST_TMP/cli.out'"
        check "$fn: aws lambda invoke: the handler's answer and context" answer_ok "$fn" cli "$(cat "$TEST_TMP/cli.json" 2>/dev/null)"
        out=$(boto3_invoke "$fn" '{"via":"boto3"}')
        check "$fn: boto3: the handler's answer and context" sdk_answer_ok "$fn" boto3 "$out"
        if [[ -d $SDK/node_modules/@aws-sdk/client-lambda ]]; then
                out=$(sdk_invoke "$fn" '{"via":"js-sdk"}')
                check "$fn: JS SDK v3: the handler's answer and context" sdk_answer_ok "$fn" js-sdk "$out"
        else
                not_ok "$fn: JS SDK v3" "npm install @aws-sdk/client-lambda failed (see above)"
        fi
done
out=$(cli_invoke node-hello '{"fail":true}' || true)
check "node-hello: a thrown error is a function error" assert_contains "$out" '"FunctionError": "Unhandled"' "output"
out=$(cli_invoke python-hello '{"fail":true}' || true)
check "python-hello: a raised error is a function error with its type" assert_contains "$out" '"errorType": "RuntimeError"' "answer"

# ---- layers, and runtimes mapped by file

out=$(cli_invoke node-layer '{"via":"cli"}' || true)
check "node-layer: the answer and context" answer_ok node-layer cli "$(cat "$TEST_TMP/cli.json" 2>/dev/null)"
check "node-layer: require('greeting') from the layer" assert_contains "$out" '"greeting":"Hello, node, from the greeting layer!"' "answer"
check "node-layer: found in /opt/nodejs/node_modules" assert_contains "$out" '"greetingPath":"/opt/nodejs/node_modules/greeting/' "answer"
out=$(cli_invoke python-layer '{"via":"cli"}' || true)
check "python-layer: the answer and context" answer_ok python-layer cli "$(cat "$TEST_TMP/cli.json" 2>/dev/null)"
check "python-layer: import greeting from the layer" assert_contains "$out" '"greeting": "Hello, python, from the greeting layer!"' "answer"
check "python-layer: found in /opt/python" assert_contains "$out" '"greetingPath": "/opt/python/greeting.py"' "answer"
out=$(cli_invoke provided-al2 '{"via":"cli"}' || true)
check "provided-al2: a runtime mapped by --runtimes-dir/provided.al2.json" answer_ok provided-al2 cli "$(cat "$TEST_TMP/cli.json" 2>/dev/null)"

# ---- one store entry for two functions with the same zip

out=$(cli_invoke provided-twin '{"via":"cli"}' || true)
check "provided-twin: the same zip as provided-sh runs" answer_ok provided-twin cli "$(cat "$TEST_TMP/cli.json" 2>/dev/null)"
# listing: what the store holds, every path in it.
listing() { (cd "$STORE" && find . -mindepth 1 | sort); }
# store_entries_with FILE: the store's top-level code-* entries holding a copy of FILE.
store_entries_with() {
        local entry n=0 f
        for entry in "$STORE"/code-*; do
                [[ -d $entry ]] || continue
                while IFS= read -r -d '' f; do
                        if cmp -s "$f" "$1"; then
                                n=$((n + 1))
                                break
                        fi
                done < <(find "$entry" -name "$(basename "$1")" -type f -print0)
        done
        echo "$n"
}
check "the store holds one code-* entry for provided-sh, provided-twin and provided-al2 ($(cd "$STORE" && find . -mindepth 1 -maxdepth 1 | paste -sd ' '))" \
        assert_eq 1 "$(store_entries_with "$EXAMPLES/provided-sh/function.sh")" "code-* entries with provided-sh's function.sh"

# What aws lambda list-functions shows of a zip function: AWS's fields, and the CodeSha256 of the zip.
listed=$(aws lambda list-functions --query "Functions[?FunctionName=='node-hello'] | [0]" --output json 2>&1) || true
sha=$(openssl dgst -sha256 -binary "$ZIPS/node-hello.zip" | base64)
check "list-functions: node-hello is a Zip function of nodejs22.x, index.handler, its CodeSha256 and CodeSize" \
        "$PY" -c 'import json, sys
f = json.loads(sys.argv[1])
assert (f["PackageType"], f["Runtime"], f["Handler"], f["CodeSha256"], f["CodeSize"]) == \
        ("Zip", "nodejs22.x", "index.handler", sys.argv[2], int(sys.argv[3])), f' \
        "$listed" "$sha" "$(stat -c %s "$ZIPS/node-hello.zip")"

# ---- bad zips: refused, each with its own error, the store untouched
#
# The error the client gets and the manager's log line (with the function's or the zip's name)
# must both match the problem's pattern (case-insensitive extended regular expressions):
declare -A PROBLEM=(
        [traversal]='\.\./|\.\.|travers|outside'
        [absolute]='absolute'
        [symlink]='symlink|symbolic link'
        [bomb]='250 ?M|262144000|too (large|big)|exceed|size limit|unpacked|uncompressed'
        [truncated]='truncat|corrupt|damaged|incomplete|unexpected end|end of central directory|not a (valid )?zip|invalid zip'
        [not-a-zip]='not a (valid )?zip|invalid zip|end of central directory|zip (file|archive)'
)
before=$(listing)
for i in "${!BAD[@]}"; do
        b=${BAD[i]} fn=bad$i
        rc=0
        out=$(cli_invoke "$fn" '{"via":"cli"}') || rc=$?
        check "$fn ($b): the invoke fails" bash -c "(( $rc != 0 )) || grep -q FunctionError '$TEST_TMP/cli.out'"
        check "$fn ($b): the client is told the problem (/${PROBLEM[$b]}/)" \
                bash -c "grep -Eiq -- '${PROBLEM[$b]}' <<<\"\$1\" || { echo \"FAIL: \$1\"; false; }" _ "$out"
        check "$fn ($b): the manager logs the problem" wait_until --timeout=5 "$fn's log line" \
                bash -c "grep -aE -- '\\b$fn\\b' '$LOG' | grep -Eiq -- '${PROBLEM[$b]}'"
        check "$fn ($b): the store's listing is unchanged" assert_eq "$before" "$(listing)" "store listing"
done
for f in "${ESCAPES[@]}"; do
        check "nothing was written outside the store ($f)" test ! -e "$f"
done
check "the bomb was not unpacked anywhere in the store" bash -c "! find '$STORE' -name zeros.bin | grep -q ."

# ---- runtimes without an image

out=$(cli_invoke unknown-runtime '{"via":"cli"}' || true)
check "unknown runtime: the error names it and how to map it to an image" \
        bash -c "grep -q 'cobol1.x' <<<\"\$1\" && grep -Eq -- '--runtime|runtimes-dir' <<<\"\$1\" || { echo \"FAIL: \$1\"; false; }" _ "$out"
check "unknown runtime: the manager logs it" wait_until --timeout=5 "the log line" grep -aqF 'cobol1.x' "$LOG"
out=$(cli_invoke missing-image '{"via":"cli"}' || true)
check "missing image: the error names $MISSING_IMAGE and how to get it" \
        bash -c "grep -qF '$MISSING_IMAGE' <<<\"\$1\" && grep -Eiq 'pull|build|load|--runtime' <<<\"\$1\" || { echo \"FAIL: \$1\"; false; }" _ "$out"
check "missing image: the manager logs it" wait_until --timeout=5 "the log line" grep -aqF "$MISSING_IMAGE" "$LOG"
out=$(cli_invoke missing-aws-image '{"via":"cli"}' || true)
check "AWS's image for ruby3.3 (absent here): the error names it and how to get it" \
        bash -c "grep -qF 'public.ecr.aws/lambda/ruby:3.3' <<<\"\$1\" && grep -Eiq 'pull|--runtime' <<<\"\$1\" || { echo \"FAIL: \$1\"; false; }" _ "$out"

# ---- hot reload of a code_directory under 8 clients

hot_version() {
        curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/hot/invocations" -d '{}'
}
check "hot: the first version answers" assert_eq '{"app": "v1", "part": "v1"}' "$(hot_version)" "answer"
rm -f "$TEST_TMP/hot.stop"
"$PY" "$HERE/zip-reload-clients.py" "$URL" "$KEY" hot 8 "$TEST_TMP/hot.stop" "$TEST_TMP/hot.saved" v1 v2 \
        >"$TEST_TMP/hot.summary" 2>"$TEST_TMP/hot-clients.log" &
clients=$!
# Time for the clients' instances to start, so that the reload is measured on warm ones.
sleep 3
# The new version: app.py, then part.py.
write_version v2
date +%s.%N >"$TEST_TMP/hot.saved"
sleep 5
touch "$TEST_TMP/hot.stop"
wait "$clients" || true
summary=$(cat "$TEST_TMP/hot.summary")
field() { "$PY" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
reload_ms=$(field reload_ms 2>/dev/null || echo None)
echo "# hot reload: the first answer of the new code $reload_ms ms after the save (goal 1000 ms); $summary"
check "hot: answers during the reload ($(field requests 2>/dev/null) requests)" test "$(field requests 2>/dev/null || echo 0)" -gt 0
check "hot: no invocation failed during the reload" assert_eq 0 "$(field failures 2>/dev/null)" "failures ($summary)"
check "hot: no answer mixed the versions of app.py and part.py" assert_eq 0 "$(field mixed 2>/dev/null)" "mixed ($summary)"
check "hot: the new code answered within 3 s of the save (${reload_ms} ms)" \
        bash -c "[[ '$reload_ms' =~ ^-?[0-9]+$ ]] && (( $reload_ms <= 3000 ))"
check "hot: afterwards, the new version" assert_eq '{"app": "v2", "part": "v2"}' "$(hot_version)" "answer"

lib_done
