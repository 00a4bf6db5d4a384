#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lambda container images as users already have them, unmodified, through the real gateway, the
# D-Bus-activated manager and a real dockerd: AWS's base-image layout (entry point script, the
# Node runtime interface client in /var/runtime, the handler in CMD), aws-lambda-ric as the entry
# point of a plain image, a custom runtime with a shell bootstrap, none of them carrying lambda-rie
# (the manager lends it), the declaration's ImageConfig overrides and user, a handler that does
# not exist, an image that exits at once, an image for another architecture, and the original
# design's naming (function lambda-hello, image lambda-hello:latest).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init images
require_cmd curl
require_cmd python3
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_dockerd
lambdad_init
lambdad_images hello awsbase node-ric custom-sh broken

P=$IMAGE_PREFIX
# The original design's naming: the function lambda-hello is the image lambda-hello:latest.
"$LAMBDAD_SRC/examples/build-images.sh" --rie "$LAMBDAD_BUILD/src/rie/lambda-rie" --tag-prefix lambda- hello >&2
lib_cleanup "docker rmi -f lambda-hello:latest >/dev/null 2>&1"

# An image for another CPU: hello's, described as arm64 (the engine here runs amd64 or what the
# host is; anything else will do).
ARCH=$(docker version -f '{{.Server.Arch}}')
OTHER=arm64
[[ $ARCH != arm64 ]] || OTHER=amd64
docker save "${P}hello:latest" -o "$TEST_TMP/hello.tar"
python3 - "$TEST_TMP/hello.tar" "$TEST_TMP/other.tar" "$OTHER" "${P}other-arch:latest" <<'EOF'
import hashlib, io, json, sys, tarfile
src, dst, arch, tag = sys.argv[1:5]
tin = tarfile.open(src)
members = [(m, tin.extractfile(m).read() if m.isfile() else None) for m in tin.getmembers()]
content = {m.name: data for m, data in members}
manifest = json.loads(content["manifest.json"])
old = manifest[0]["Config"]
config = json.loads(content[old])
config["architecture"] = arch
data = json.dumps(config).encode()
new = hashlib.sha256(data).hexdigest() + ".json"
manifest[0]["Config"], manifest[0]["RepoTags"] = new, [tag]
with tarfile.open(dst, "w") as tout:
    for m, body in members:
        if m.name not in (old, "manifest.json", "repositories"):
            tout.addfile(m, io.BytesIO(body) if body is not None else None)
    for name, body in ((new, data), ("manifest.json", json.dumps(manifest).encode())):
        info = tarfile.TarInfo(name)
        info.size = len(body)
        tout.addfile(info, io.BytesIO(body))
EOF
docker load -i "$TEST_TMP/other.tar" >&2
lib_cleanup "docker rmi -f ${P}other-arch:latest >/dev/null 2>&1"

declare_fn() {
        printf '%s\n' "$2" >"$FN/$1.json"
}
declare_fn awsbase "{ \"image\": \"${P}awsbase:latest\", \"timeout_sec\": 10 }"
declare_fn awsbase-other "{ \"image\": \"${P}awsbase:latest\", \"command\": [\"app.other\"] }"
declare_fn awsbase-missing "{ \"image\": \"${P}awsbase:latest\", \"command\": [\"app.nosuch\"] }"
declare_fn ric "{ \"image\": \"${P}node-ric:latest\" }"
declare_fn custom "{ \"image\": \"${P}custom-sh:latest\" }"
declare_fn custom-root "{ \"image\": \"${P}custom-sh:latest\", \"user\": \"0:0\" }"
declare_fn secret "{ \"image\": \"${P}custom-sh:latest\", \"command\": [\"secret.handler\"] }"
declare_fn secret-root "{ \"image\": \"${P}custom-sh:latest\", \"command\": [\"secret.handler\"], \"user\": \"0\" }"
declare_fn overrides "{ \"image\": \"${P}custom-sh:latest\", \"entrypoint\": [\"/var/task/bootstrap\"],
        \"command\": [\"function.handler\"] }"
declare_fn workdir "{ \"image\": \"${P}custom-sh:latest\", \"working_directory\": \"/tmp\" }"
declare_fn no-entry "{ \"image\": \"${P}awsbase:latest\", \"entrypoint\": [\"/var/task/bootstrap\"] }"
declare_fn broken "{ \"image\": \"${P}broken:latest\", \"max_instances\": 1 }"
declare_fn other-arch "{ \"image\": \"${P}other-arch:latest\" }"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=30 --wait-timeout=2 --start-timeout=20

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --exit-idle=0

export AWS_ACCESS_KEY_ID=AKIDLAMBDADTEST00001 AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
aws() {
        /usr/bin/aws --endpoint-url "$URL" --cli-read-timeout 60 --cli-connect-timeout 5 "$@"
}
# invoke NAME PAYLOAD: the answer's headers go to $TEST_TMP/NAME.h, the body to stdout.
invoke() {
        curl -sS --max-time 60 -D "$TEST_TMP/$1.h" "$URL/2015-03-31/functions/$1/invocations" -d "$2"
}
status() {
        head -n 1 "$TEST_TMP/$1.h" | cut -d' ' -f2
}
header() {
        grep -i "^$2:" "$TEST_TMP/$1.h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}
json() {
        python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"
}

# ---- AWS's base-image layout: entry point script, runtime in /var/runtime, handler in CMD
check "the awsbase image carries no lambda-rie and no opt-in label" assert_eq '[/lambda-entrypoint.sh] -' \
        "$(docker image inspect -f '{{.Config.Entrypoint}} {{index .Config.Labels "org.lambdad.function"}}-' "${P}awsbase:latest")" "image"
meta=$(aws lambda invoke --function-name awsbase --cli-binary-format raw-in-base64-out --payload '{"via":"aws"}' "$TEST_TMP/aws.json")
out=$(cat "$TEST_TMP/aws.json")
check "AWS base-image layout: aws lambda invoke answers" assert_contains "$out" '"message":"Hello from the AWS base-image layout!"' "answer"
check "AWS base-image layout: the event arrives" assert_contains "$out" '"event":{"via":"aws"}' "answer"
check "AWS base-image layout: not an error" bash -c "! grep -q FunctionError <<<'$meta'"
check "functions run as Lambda's unprivileged user 993:990" assert_eq "993 990" "$(json "$out" 'str(d["uid"]) + " " + str(d["gid"])')" "uid gid"
check "the runtime runs in the image's task root" assert_eq /var/task "$(json "$out" 'd["cwd"]')" "cwd"
id=$(docker ps -q --filter label=org.lambdad.function=awsbase --filter label=org.lambdad.managed-by=lambda-manager | head -n 1)
check "lambda-rie is lent read-only and runs in front of the image's entry point" assert_eq \
        "[$(printf '%s' /var/lambdad/lambda-rie)] [-- /lambda-entrypoint.sh app.handler] true 993:990" \
        "$(docker inspect -f '{{.Config.Entrypoint}} {{.Config.Cmd}} {{with index .Mounts 0}}{{not .RW}}{{end}} {{.Config.User}}' "$id")" "container"

meta=$(aws lambda invoke --function-name awsbase --cli-binary-format raw-in-base64-out --payload '{"fail":true}' "$TEST_TMP/fail.json")
check "a function error: 200 with FunctionError Unhandled (AWS CLI)" assert_contains "$meta" '"FunctionError": "Unhandled"' "meta"
out=$(invoke awsbase '{"fail":true}')
check "a function error: 200 + X-Amz-Function-Error: Unhandled" assert_eq "200 Unhandled" \
        "$(status awsbase) $(header awsbase X-Amz-Function-Error)" "status"
check "a function error: the runtime interface client's error shape" assert_eq "Error failed on request" \
        "$(json "$out" 'd["errorType"] + " " + d["errorMessage"]')" "body"
check "a function error: with its stack trace" assert_contains "$out" '"trace":[' "body"

# ---- ImageConfig: command, entrypoint, working_directory
out=$(invoke awsbase-other '{}')
check "command overrides the image's CMD (another handler)" assert_contains "$out" '"message":"the other handler"' "answer"
out=$(invoke overrides '{"o":2}')
check "entrypoint and command override the image's (hello's handler in the custom image)" \
        assert_contains "$out" '"message":"Hello from lambdad!","event":{"o":2}' "answer"
out=$(invoke workdir '{}')
check "working_directory overrides the image's WORKDIR" assert_eq /tmp "$(json "$out" 'd["cwd"]')" "cwd"
out=$(invoke no-entry '{}')
check "an entry point the image does not have: 502 with exit code 127" assert_eq "502 1" \
        "$(status no-entry) $(grep -c 'exit code 127' <<<"$out")" "status"
check "an entry point the image does not have: the message says which" \
        assert_contains "$out" "/var/task/bootstrap as uid 993: No such file or directory" "message"

# ---- a handler that does not exist: the runtime's own error, as a function error
out=$(invoke awsbase-missing '{}')
check "a missing handler: 200 + X-Amz-Function-Error: Unhandled" assert_eq "200 Unhandled" \
        "$(status awsbase-missing) $(header awsbase-missing X-Amz-Function-Error)" "status"
check "a missing handler: the runtime's own error type" assert_eq Runtime.HandlerNotFound "$(json "$out" 'd["errorType"]')" "errorType"

# ---- aws-lambda-ric as the entry point of a plain image
out=$(aws lambda invoke --function-name ric --cli-binary-format raw-in-base64-out --payload '{"via":"ric"}' "$TEST_TMP/ric.json" >/dev/null && cat "$TEST_TMP/ric.json")
check "aws-lambda-ric as ENTRYPOINT, the handler as CMD" assert_contains "$out" '"message":"Hello from aws-lambda-ric!"' "answer"
check "aws-lambda-ric: in the image's WORKDIR" assert_eq /function "$(json "$out" 'd["cwd"]')" "cwd"

# ---- a custom runtime: a shell bootstrap as ENTRYPOINT, its handler from CMD
out=$(invoke custom '{"c":1}')
check "custom runtime: answers" assert_eq 200 "$(status custom)" "status"
check "custom runtime: _HANDLER comes from CMD" assert_eq whoami.handler "$(json "$out" 'd["handler"]')" "handler"
check "custom runtime: runs as 993:990" assert_eq "993 990" "$(json "$out" 'str(d["uid"]) + " " + str(d["gid"])')" "uid"
out=$(invoke custom-root '{}')
check "a declaration's \"user\" overrides it" assert_eq "0 0" "$(json "$out" 'str(d["uid"]) + " " + str(d["gid"])')" "uid"

# ---- files only root may read: the function fails as it would on Lambda, saying why
out=$(curl -sS --max-time 60 -D "$TEST_TMP/secret.h" -H 'X-Amz-Log-Type: Tail' \
        "$URL/2015-03-31/functions/secret/invocations" -d '{}')
check "a handler file only root may read: 200 + Unhandled" assert_eq "200 Unhandled" \
        "$(status secret) $(header secret X-Amz-Function-Error)" "status"
check "a handler file only root may read: Runtime.ExitError" assert_eq Runtime.ExitError "$(json "$out" 'd["errorType"]')" "errorType"
check "a handler file only root may read: the log says Permission denied" assert_contains \
        "$(header secret X-Amz-Log-Result | base64 -d)" "can't open '/var/task/secret.sh': Permission denied" "log"
check "with \"user\": \"0\" the same file is read" assert_eq '{"secret":true}' "$(invoke secret-root '{}')" "answer"

# ---- an image that exits at once: 502 with the exit code and the output
out=$(invoke broken '{}')
check "an image that exits at once: 502" assert_eq 502 "$(status broken)" "status"
check "an image that exits at once: the exit code" assert_contains "$out" "exit code 126" "message"
check "an image that exits at once: its output" assert_contains "$out" "/var/task/bootstrap as uid 993: Permission denied" "message"
check "an image that exits at once: no container stays" wait_until "broken's container removed" none_of broken
out=$(busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 Acquire s broken 2>&1 || true)
check "an image that exits at once: the D-Bus error carries the output" assert_contains "$out" "Permission denied" "error"

# ---- an image for another architecture: refused, naming both
out=$(invoke other-arch '{}')
check "another architecture: 502" assert_eq 502 "$(status other-arch)" "status"
check "another architecture: the message names both" assert_contains "$out" "built for linux/$OTHER, but this engine runs linux/$ARCH" "message"
check "another architecture: no container was created" none_of other-arch

# ---- the original design's naming
out=$(invoke lambda-hello '{"n":1}')
check "the function lambda-hello is the image lambda-hello:latest" assert_contains "$out" '"message":"Hello from lambdad!","event":{"n":1}' "answer"

lib_done
