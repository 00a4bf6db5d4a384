#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lambda-manager for real: a private system bus with the project's policy and D-Bus activation, a
# real engine, real lambda-rie images. EnsureContainer/Acquire/Release, coalesced cold starts at
# the instance limit, leases ending with their holder, idle reaping, cleanup of earlier lifetimes
# (--cleanup and activation), safety (no container for undeclared or unlabelled images), the
# engine going away and coming back, malformed arguments, memory/CPU/pids limits, the gateway in
# front of it with the AWS CLI, --publish=bridge, exit on idle, and the interface XML.
#
# The engine is $LAMBDAD_ENGINE (tests/lib/lib.sh, ensure_engine): dockerd (test-manager), or a
# Podman service that the test starts for itself (test-manager-podman). The `docker` client
# drives either one.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init manager
require_cmd busctl systemd
require_cmd curl
require_cmd python3
[[ -x /usr/bin/aws ]] || lib_skip "AWS CLI v2 missing (apt-get install awscli)"
ensure_engine

lambdad_init
SRC=$LAMBDAD_SRC
PREFIX=$IMAGE_PREFIX
lambdad_images hello

# An image that opts in under its own name, for the NAME -> NAME:latest convention.
IMPLICIT=lambdadtestimplicit
ctx=$TEST_TMP/implicit-image
mkdir "$ctx"
printf 'FROM %shello:latest\nLABEL org.lambdad.function=%s\n' "$PREFIX" "$IMPLICIT" >"$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$IMPLICIT:latest" "$ctx" >/dev/null 2>&1
lib_cleanup "docker rmi -f $IMPLICIT:latest >/dev/null"
# And one that does not (a tag without the label, as anybody's image would be).
docker tag "${PREFIX}hello:latest" lambdadtestunlabelled:latest
lib_cleanup "docker rmi -f lambdadtestunlabelled:latest >/dev/null"

# The engine as the manager sees it: a socket we can take away and give back.
ENGINE=$TEST_TMP/engine.sock
engine_proxy_start "$ENGINE"

# Declared functions.
cat >"$FN/hello.json" <<EOF
{ "image": "${PREFIX}hello:latest", "idle_timeout_sec": 3, "timeout_sec": 5 }
EOF
cat >"$FN/capped.json" <<EOF
{ "image": "${PREFIX}hello:latest", "max_instances": 3, "idle_timeout_sec": 60, "memory_mb": 256, "cpus": 0.5 }
EOF
printf '{ "image": "x", "memory_mb": 64 }' >"$FN/broken.json"

# The bus: the project's own policy, and activation of the manager through a service file.
lambdad_bus --docker-socket="$ENGINE" --exit-idle=4 --wait-timeout=2 --start-timeout=20 --log-level=debug

# call METHOD SIGNATURE ARGS...: the answer, or busctl's error text (errors are what we test).
call() {
        busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 "$@" 2>&1 || true
}
not_listed() {
        ! busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -q "$1"
}

# ---- zombies of an earlier lifetime, and a container that is not ours
zombie=$(docker_run_tracked --label org.lambdad.managed-by=lambda-manager --label org.lambdad.function=hello \
        --label org.lambdad.lifetime=00000000000000000000000000000000 --entrypoint /bin/busybox \
        "${PREFIX}hello:latest" sleep 300)
bystander=$(docker_run_tracked --name "lambdad-hello-bystander$$" --label org.lambdad.function=hello \
        --entrypoint /bin/busybox "${PREFIX}hello:latest" sleep 300)

# ---- activation: the first call starts the manager, which removes the zombie beside serving
check "no manager runs before the first call" test -z "$(manager_pid)"
out=$(call EnsureContainer s hello)
check "EnsureContainer activates the manager and answers host, port and the instance's secret" \
        grep -Eqx 'sqs "127\.0\.0\.1" [0-9]+ "[0-9a-f]{64}"' <<<"$out"
read -r _ _ port secret <<<"$out"
secret=${secret//\"/}
check "the instance's RIE answers an invocation with its secret" assert_contains \
        "$(curl -sS --max-time 20 -H "X-Lambdad-Instance-Secret: $secret" "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" -d '{"via":"manager"}')" \
        '"via":"manager"' "invocation"
check "... and refuses one without it: 403" assert_eq 403 \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" -d '{"via":"anybody"}')" "status"
check "the secret is in no answer but EnsureContainer's and Acquire's" bash -c \
        "! busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -q '$secret'"
zombie_gone() {
        ! docker inspect "$zombie" >/dev/null 2>&1
}
check "activation removed the zombie of an earlier lifetime" wait_until "the zombie removed" zombie_gone
check "activation left the container that is not ours" docker inspect "$bystander"
check "a broken declaration does not stop the others, and is logged with file and field" bash -c \
        "grep -q 'broken.json: memory_mb' '$TEST_TMP/dbus.log' || journalctl -q 2>/dev/null | grep -q 'broken.json: memory_mb'"

# ---- the interface as the service introspects it is the one documented in dbus/
strip_xml() {
        python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
m = re.search(r'<interface name="org.lambdad.Manager1">.*?</interface>', text, flags=re.S)
print(re.sub(r"\s+", " ", m.group(0)) if m else "missing")
EOF
}
busctl introspect --xml-interface org.lambdad.Manager1 /org/lambdad/Manager1 >"$TEST_TMP/live.xml"
check "dbus/org.lambdad.Manager1.xml matches the running service" assert_eq \
        "$(strip_xml "$SRC/dbus/org.lambdad.Manager1.xml")" "$(strip_xml "$TEST_TMP/live.xml")" "interface"
check "busctl introspect shows named arguments" bash -c \
        "busctl introspect org.lambdad.Manager1 /org/lambdad/Manager1 | grep -q '^.Acquire *method *s *ssqbs'"

# ---- implicit functions: only for images that opt in
out=$(call EnsureContainer s "$IMPLICIT")
check "an image labelled org.lambdad.function=NAME runs as NAME" assert_contains "$out" "sqs " "answer"
out=$(call Acquire s lambdadtestunlabelled)
check "an unlabelled image: FunctionNotFound" assert_contains "$out" "Function not found" "error"
check "an unlabelled image: no container created" assert_eq 0 "$(ours lambdadtestunlabelled)" "containers"
out=$(call Acquire s nosuchfunction)
check "an unknown function: FunctionNotFound" assert_contains "$out" "Function not found" "error"

# ---- malformed arguments
check "an invalid function name: InvalidArgs" assert_contains "$(call Acquire s 'bad name!')" "Invalid function name" "error"
check "an over-long function name: InvalidArgs" assert_contains "$(call Acquire s "$(printf 'x%.0s' $(seq 65))")" "Invalid function name" "error"
check "an invalid instance id: InvalidArgs" assert_contains "$(call Release sb 'not-an-id' true)" "Invalid instance id" "error"
check "the wrong signature: refused" bash -c "busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 Acquire u 5 2>&1 | grep -qi 'invalid'"
check "Release of an instance not leased to the caller" assert_contains \
        "$(call Release sb 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef true)" "No instance" "error"

# ---- coalescing: 50 concurrent cold Acquires of a function limited to 3
"$BUS_ACQUIRE" capped 50 6 >"$TEST_TMP/acquire.out" &
holder=$!
wait_until "50 answers" bash -c "[[ \$(wc -l <'$TEST_TMP/acquire.out') -ge 50 ]]"
check "50 concurrent Acquires: 50 answers" assert_eq 50 "$(wc -l <"$TEST_TMP/acquire.out")" "answers"
check "50 concurrent Acquires: exactly 3 leases (the limit)" assert_eq 3 "$(grep -c '^ok ' "$TEST_TMP/acquire.out")" "leases"
check "the others: LimitExceeded" assert_eq 47 "$(grep -c '^error org.lambdad.Error.LimitExceeded' "$TEST_TMP/acquire.out")" "errors"
check "exactly 3 containers started" assert_eq 3 "$(ours capped)" "containers"
# The limits as the kernel enforces them, read inside one of them: memory, CPU quota and period,
# pids (cgroup v1 files, else v2's, which print the same numbers in the same order).
limits_in() {
        docker exec "$1" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us \
                /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max 2>/dev/null ||
                docker exec "$1" cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max
}
one=$(docker ps -q --filter label=org.lambdad.managed-by=lambda-manager --filter label=org.lambdad.function=capped | head -n 1)
check "limits: 256 MB, half a CPU and 1024 processes in the container's cgroups" assert_eq \
        "268435456 50000 100000 1024" "$(limits_in "$one" | tr -s ' \n' ' ' | sed 's/ $//')" "limits"
check "ListInstances shows the leases" bash -c "[[ \$(busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -o '\"leased\"' | wc -l) -eq 3 ]]"
# ---- leases end with their holder
wait "$holder"
check "leases end when the holder disconnects (instances removed)" wait_until "capped containers gone" none_of capped
check "... which the manager logs, with how many" grep -q 'Lease holder :[0-9.]* left the bus holding 3 lease(s): their instances are removed' "$TEST_TMP/dbus.log"

# ---- Release gives the instance back warm; it is reused
"$BUS_ACQUIRE" capped 1 0 --release >"$TEST_TMP/first.out"
"$BUS_ACQUIRE" capped 1 0 --release >"$TEST_TMP/second.out"
check "a released instance is reused warm" assert_eq "$(cut -d' ' -f2 "$TEST_TMP/first.out")" \
        "$(cut -d' ' -f2 "$TEST_TMP/second.out")" "instance id"
check "no release failed" bash -c "! grep -q release-failed '$TEST_TMP/first.out' '$TEST_TMP/second.out'"

# ---- idle reaping: hello's keep-alive is 3 s
check "idle instances are reaped after their keep-alive" wait_until "hello reaped" none_of hello

# ---- an instance whose container dies is dropped (and its lease holders told by signal)
out=$(call EnsureContainer s hello)
victim=$(docker ps -q --no-trunc --filter label=org.lambdad.managed-by=lambda-manager --filter label=org.lambdad.function=hello | head -n 1)
"$BUS_ACQUIRE" --watch 30 >"$TEST_TMP/signals.log" 2>&1 &
monitor=$!
lib_cleanup "kill $monitor 2>/dev/null || true"
wait_until "signal watcher" grep -q watching "$TEST_TMP/signals.log"
docker kill "$victim" >/dev/null
check "a dead instance's container is removed" wait_until "victim removed" bash -c "! docker inspect '$victim' >/dev/null 2>&1"
check "a dead instance is no longer listed" wait_until "victim unlisted" not_listed "$victim"
check "InstanceStopped says it died" wait_until "signal" grep -q "^stopped $victim hello died" "$TEST_TMP/signals.log"
out=$(call EnsureContainer s hello)
check "the next call gets a fresh instance" assert_contains "$out" "sqs " "answer"

# ---- a start the engine refuses: StartFailed with the engine's words, nothing left behind
cat >"$FN/missing.json" <<EOF
{ "image": "lambdadtest-no-such-image:latest" }
EOF
call Reload >/dev/null
out=$(call Acquire s missing)
check "an image that does not exist: StartFailed" assert_contains "$out" "No such image" "error"
check "a failed start leaves no container" assert_eq 0 "$(ours missing)" "containers"
check "without \"pull\": true nothing is pulled" bash -c "! grep -q 'Pulling lambdadtest-no-such-image' '$TEST_TMP/dbus.log'"
# A registry on loopback that refuses: the pull is tried, fails, and says so (no traffic leaves).
cat >"$FN/pulled.json" <<EOF
{ "image": "127.0.0.1:1/lambdadtest/none:latest", "pull": true }
EOF
call Reload >/dev/null
out=$(call Acquire s pulled)
check "with \"pull\": true a missing image is pulled, and a failed pull is StartFailed" assert_contains "$out" "Pulling" "error"
check "a failed pull leaves no container" assert_eq 0 "$(ours pulled)" "containers"

# ---- Reload keeps warm instances of unchanged functions
# Used just now, so that its 3 s keep-alive outlasts the reload (a slow failed pull above may
# have eaten most of it).
call EnsureContainer s hello >/dev/null
before=$(busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -o '"[0-9a-f]\{64\}" "hello"' || true)
kill -HUP "$(manager_pid)"
sleep 1
after=$(busctl call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListInstances | grep -o '"[0-9a-f]\{64\}" "hello"' || true)
check "SIGHUP reload keeps the warm instance of an unchanged function" bash -c "[[ -n '$before' && '$before' == '$after' ]]"

# ---- the gateway in front of it: the AWS CLI invokes hello
GWPORT=$(free_port)
socket_activate "127.0.0.1:$GWPORT" "$GATEWAY" --no-auth --exit-idle=0 --lease-idle=1
check "aws lambda invoke through the gateway: exit 0" env AWS_ACCESS_KEY_ID=AKIDLAMBDADTEST00001 \
        AWS_SECRET_ACCESS_KEY=lambdadTestSecret AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER= \
        /usr/bin/aws --endpoint-url "http://127.0.0.1:$GWPORT" --cli-read-timeout 60 lambda invoke \
        --function-name hello --cli-binary-format raw-in-base64-out --payload '{"via":"cli"}' "$TEST_TMP/cli.json"
check "aws lambda invoke through the gateway: hello's answer" assert_contains \
        "$(cat "$TEST_TMP/cli.json" 2>/dev/null)" '"event":{"via":"cli"}' "answer"
_lib_kill_tree "$SOCKET_ACTIVATE_PID"

# ---- CleanupZombies counts only other lifetimes
docker_run_tracked --label org.lambdad.managed-by=lambda-manager --label org.lambdad.function=hello \
        --label org.lambdad.lifetime=11111111111111111111111111111111 --entrypoint /bin/busybox \
        "${PREFIX}hello:latest" sleep 300 >/dev/null
check "CleanupZombies removes one zombie, not the live instances" assert_eq "u 1" "$(call CleanupZombies)" "count"

# ---- the engine goes away and comes back (no warm instance may hide it)
call StopFunction s hello >/dev/null
wait_until "hello stopped" none_of hello
engine_proxy_stop "$ENGINE"
start=$(date +%s%N)
out=$(call Acquire s hello)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "engine down: BackendUnavailable" assert_contains "$out" "unreachable" "error"
check "engine down: answered within a second (${elapsed_ms} ms)" test "$elapsed_ms" -lt 1000
engine_proxy_start "$ENGINE"
check "engine back: the next call works" bash -c "[[ \$(busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 EnsureContainer s hello) == sq* ]]"

# ---- exit on idle, re-activation, and --cleanup
call StopFunction s hello >/dev/null
call StopFunction s "$IMPLICIT" >/dev/null
call StopFunction s capped >/dev/null
check "with no instances and no calls the manager exits" wait_until "manager exit" manager_gone
check "no lambdad container left after it exits" assert_eq 0 "$(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager | wc -l)" "containers"
check "the next call activates it again" bash -c "[[ \$(busctl call --timeout=30 org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 ListFunctions) == a\(ssbuuuu\)* ]]"

# ---- SIGTERM removes the instances before the manager goes
call EnsureContainer s hello >/dev/null
check "an instance runs before SIGTERM" test "$(ours hello)" -eq 1
kill -TERM "$(manager_pid)"
check "SIGTERM: the manager exits" wait_until "manager exit" manager_gone
check "SIGTERM: its instances are removed" assert_eq 0 "$(ours hello)" "containers"

# ---- --publish=bridge: the instance is reached at its container's address on the engine's network
sed -i 's/ --exit-idle=4 / --exit-idle=4 --publish=bridge /' "$TEST_TMP/dbus-services/org.lambdad.Manager1.service"
dbus_reload
out=$(call EnsureContainer s hello)
check "--publish=bridge: the container's own address, port 8080" \
        grep -Eqx 'sqs "[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+" 8080 "[0-9a-f]{64}"' <<<"$out"
host=$(cut -d'"' -f2 <<<"$out")
secret=$(cut -d'"' -f4 <<<"$out")
check "--publish=bridge: not on loopback" test "${host%%.*}" != 127
check "--publish=bridge: the RIE answers there" assert_contains \
        "$(curl -sS --max-time 20 -H "X-Lambdad-Instance-Secret: $secret" "http://$host:8080/2015-03-31/functions/function/invocations" -d '{"via":"bridge"}' 2>&1)" \
        '"via":"bridge"' "invocation"
call StopFunction s hello >/dev/null
check "--publish=bridge: StopFunction removes the instance" wait_until "hello stopped" none_of hello

docker_run_tracked --label org.lambdad.managed-by=lambda-manager --label org.lambdad.lifetime=22222222222222222222222222222222 \
        --entrypoint /bin/busybox "${PREFIX}hello:latest" sleep 300 >/dev/null
"$MANAGER" --cleanup --docker-socket="$LIB_DOCKER_SOCK" >&2
check "--cleanup removes every lambdad container" assert_eq 0 "$(docker ps -aq --filter label=org.lambdad.managed-by=lambda-manager | wc -l)" "containers"
check "--cleanup leaves the others" docker inspect "$bystander"

lib_done
