# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/lib/node-throughput.sh: §17 of bench/run (sourced by it), a trivial Node function's warm
# throughput and latency through lambdad against serverless-offline running the same handler.
#
# The handler is examples/node-hello/app.mjs for both. lambdad runs it in node-hello's image
# (aws-lambda-ric, its Runtime API client, on lambda-rie), no freeze, declared twice: with one
# instance per core (max_instances = nproc: the headline; at 8 clients the gateway queues the calls
# no instance is free for, as serverless-offline's one process runs its workers on the same cores)
# and with an instance per client (max_instances 8, round 1 only, reported beside). On 2 cores the
# second has a long tail: 8 busy containers, each in a CPU cgroup of its own, beside the gateway's and
# docker-proxy's, and a call waits whenever one of the three it crosses is behind its share.
# serverless-offline gives each concurrent invocation a worker thread of its own (its pool grows
# without bound). serverless (3.x) and serverless-offline (13.x) come from npm into the cache
# (LAMBDAD_CACHE_DIR, /var/cache/lambdad), for the benchmark only; when the registry cannot be
# reached the section says so and is skipped. serverless-offline is driven on its Lambda Invoke
# endpoint (--lambdaPort), lambdad on the gateway's: the same request, one wrk connection per client.
# Both modes of serverless-offline are measured: worker threads (its default, the baseline) and
# --useInProcess (every invocation in its own process's event loop: no isolation, a reference).
# Rounds alternate lambdad and the worker mode; one serverless-offline runs at a time.
# Raw: node-tput-{lambdad,lambdad-8,sls-worker,sls-inprocess}-c{1,8}-rN.json (wrk's figures).
# From bench/run: NODE_TPUT_S, NODE_TPUT_WARM, NODE_TPUT_ROUNDS, QUICK, and its helpers.
# shellcheck disable=SC2153  # those are bench/run's

NODE_TPUT_FN=bench-node-tput
SLS_VERSION=3.40.0
SLS_OFFLINE_VERSION=13.10.1

# sls_install: serverless and serverless-offline in the cache, installed once. Prints their
# node_modules, or fails.
sls_install() {
        local d=${LAMBDAD_CACHE_DIR:-/var/cache/lambdad}/bench-sls-$SLS_VERSION-$SLS_OFFLINE_VERSION
        if [[ ! -f $d/node_modules/serverless-offline/package.json || ! -f $d/node_modules/serverless/bin/serverless.js ]]; then
                mkdir -p "$d"
                echo '{ "private": true }' >"$d/package.json"
                timeout 600 npm install --prefix "$d" --no-audit --no-fund --loglevel=error \
                        "serverless@$SLS_VERSION" "serverless-offline@$SLS_OFFLINE_VERSION" >&2 || return 1
        fi
        echo "$d/node_modules"
}

# sls_start MODE NODE_MODULES: serverless-offline serving examples/node-hello's handler as function
# "hello" of service "bench" (MODE: worker or inprocess); sets SLS_URL, SLS_PID.
sls_start() {
        local mode=$1 nm=$2 d=$TEST_TMP/sls lport
        local -a extra=()
        [[ $mode == inprocess ]] && extra=(--useInProcess)
        mkdir -p "$d"
        cp "$ROOT/examples/node-hello/app.mjs" "$d/app.mjs"
        ln -sfn "$nm" "$d/node_modules"
        cat >"$d/serverless.yml" <<'EOF'
service: bench
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  stage: dev
  region: us-east-1
plugins:
  - serverless-offline
functions:
  hello:
    handler: app.handler
EOF
        lport=$(free_port)
        # No telemetry, update checks or notifications: nothing leaves the machine.
        (cd "$d" && export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DEPRECATION_DISABLE='*' &&
                start_bg "sls-$mode" node "$nm/serverless/bin/serverless.js" offline start --noPrependStageInUrl \
                --host 127.0.0.1 --lambdaPort "$lport" --httpPort "$(free_port)" --websocketPort "$(free_port)" \
                --albPort "$(free_port)" "${extra[@]}")
        SLS_PID=$(cat "$TEST_TMP/sls-$mode.pid")
        SLS_URL=http://127.0.0.1:$lport/2015-03-31/functions/bench-dev-hello/invocations
        wait_for_port 127.0.0.1 "$lport" 60
}

# node_tput_run NAME URL ROUND: wrk at 1 and at 8 connections, after a warm-up at 8 (its figures
# dropped: it starts the instances, or serverless-offline's workers).
node_tput_run() {
        local name=$1 url=$2 r=$3
        wrk_run "$TEST_TMP/node-tput-warm.json" "$NODE_TPUT_WARM" 2 8 "$url"
        settle
        wrk_run "$RAW/node-tput-$name-c1-r$r.json" "$NODE_TPUT_S" 1 1 "$url"
        settle
        wrk_run "$RAW/node-tput-$name-c8-r$r.json" "$NODE_TPUT_S" 2 8 "$url"
        settle
}

node_throughput() {
        local nm r
        "$ROOT/examples/build-images.sh" --rie "$LAMBDAD_BUILD/src/rie/lambda-rie" --tag-prefix bench- node-hello >&2
        NODE_TPUT_INSTANCES=$(nproc)
        printf '{ "image": "%s", "max_instances": %s, "freeze_after_ms": 0, "idle_timeout_sec": 3600 }\n' \
                "$NODE_IMAGE" "$NODE_TPUT_INSTANCES" >"$FN/$NODE_TPUT_FN.json"
        printf '{ "image": "%s", "max_instances": 8, "freeze_after_ms": 0, "idle_timeout_sec": 3600 }\n' \
                "$NODE_IMAGE" >"$FN/$NODE_TPUT_FN-8.json"
        mgr Reload >/dev/null
        if ((QUICK)) && ! nm=$(sls_install); then
                echo "skipped: --quick does not install serverless-offline from npm (a full run does, and caches it)" >"$RAW/node-tput.txt"
                say "[node-throughput] $(cat "$RAW/node-tput.txt")"
        elif ! nm=$(sls_install); then
                echo "skipped: npm registry unreachable (serverless@$SLS_VERSION, serverless-offline@$SLS_OFFLINE_VERSION)" >"$RAW/node-tput.txt"
                say "[node-throughput] $(cat "$RAW/node-tput.txt")"
        fi
        for ((r = 1; r <= NODE_TPUT_ROUNDS; r++)); do
                node_tput_run lambdad "$(invoke_url "$NODE_TPUT_FN")" "$r"
                [[ -n $nm ]] || continue
                sls_start worker "$nm"
                node_tput_run sls-worker "$SLS_URL" "$r"
                _lib_kill_tree "$SLS_PID"
        done
        instances "$NODE_TPUT_FN" | wc -l >"$RAW/node-tput-instances.txt"
        node_tput_run lambdad-8 "$(invoke_url "$NODE_TPUT_FN-8")" 1
        instances "$NODE_TPUT_FN-8" | wc -l >"$RAW/node-tput-instances-8.txt"
        if [[ -n $nm ]]; then
                sls_start inprocess "$nm"
                node_tput_run sls-inprocess "$SLS_URL" 1
                _lib_kill_tree "$SLS_PID"
        fi
        # Warm instances would keep the manager from exiting on idle (§5): the declarations go.
        rm -f "$FN/$NODE_TPUT_FN.json" "$FN/$NODE_TPUT_FN-8.json"
        mgr Reload >/dev/null || true
}
