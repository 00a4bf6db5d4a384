#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The server-side MUSTs of RFC 9112 and RFC 9110 that apply to lambda-gateway, each as raw bytes
# over a real socket against the real gateway (socket-activated) and manager (bus-activated) with
# the hello image: the table is tests/integration/http-musts.py. Then the connection limit:
# 10,000 connections that send nothing against --max-connections=1024 must not keep a
# well-formed request from being answered.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init http-musts
require_cmd python3
ensure_dockerd
lambdad_init
lambdad_images hello
printf '{ "image": "%shello:latest" }\n' "$IMAGE_PREFIX" >"$FN/hello.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=30

PORT=$(free_port)
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --no-auth --exit-idle=0 --max-connections=1024
# Warm: the table is about HTTP, not cold starts.
check "hello answers" assert_contains "$(curl -sS --max-time 60 "http://127.0.0.1:$PORT/functions/hello/invocations" -d '{}')" \
        "Hello from lambdad" "answer"

# The table, then 10,000 silent connections against --max-connections=1024.
python3 "$LAMBDAD_SRC/tests/integration/http-musts.py" 127.0.0.1 "$PORT" hello 10000 >"$TEST_TMP/musts.tap" || true
cat "$TEST_TMP/musts.tap" >&2
while read -r line; do
        case $line in
        "ok "*) ok "${line#ok [0-9]* - }" ;;
        "not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
        esac
done <"$TEST_TMP/musts.tap"
check "the table ran whole" grep -q '^1\.\.23$' "$TEST_TMP/musts.tap"
check "silent connections were evicted, and counted" bash -c \
        "curl -s 'http://127.0.0.1:$PORT/metrics' | grep -Eq '^lambdad_connections_evicted_total [1-9]'"

lib_done
