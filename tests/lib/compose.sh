# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# compose.sh: docker-compose.yml under test, on top of lib.sh and lambdad.sh: the images staged from
# this build (packaging/compose/prepare.sh), a project of its own (-p) with its own published port,
# function declarations and secrets, removed with everything it made when the test exits.
# Source after lambdad.sh, call lambdad_init (the manager lock: a manager in a container cleans up
# like any other), then compose_init.

# compose_init: $P (project), $NET (its network), $PORT, $URL, $KEY (LAMBDAD_API_KEY), $AKID and
# $SECRET (a SigV4 key pair in the mounted credentials), and the environment docker-compose reads.
compose_init() {
        require_cmd docker-compose
        P=lambdadt$$
        NET=${P}_default
        PORT=$(free_port)
        URL=http://127.0.0.1:$PORT
        KEY=compose-test-key-$$
        AKID=AKIDCOMPOSETEST00001
        SECRET=composeTestSecretKey0123456789abcdef
        mkdir -p "$TEST_TMP/secrets"
        printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/secrets/credentials"
        # The gateway runs as 61102:61102 and refuses files others may read.
        chgrp -R 61102 "$TEST_TMP/secrets"
        chmod 0750 "$TEST_TMP/secrets"
        chmod 0640 "$TEST_TMP/secrets/credentials"
        export LAMBDAD_PORT=$PORT LAMBDAD_API_KEY=$KEY LAMBDAD_FUNCTIONS_DIR=$FN LAMBDAD_SECRETS_DIR=$TEST_TMP/secrets
        export LAMBDAD_DOCKER_GID LAMBDAD_TAG=test
        LAMBDAD_DOCKER_GID=$(stat -c %g "$LIB_DOCKER_SOCK")
        lib_cleanup compose_remove
        "$LAMBDAD_SRC/packaging/compose/prepare.sh" "$LAMBDAD_BUILD" >&2
}

# dc ARGS...: docker-compose on the tree's file, as this test's project (its chatter in compose.log).
dc() {
        docker-compose -p "$P" -f "$LAMBDAD_SRC/docker-compose.yml" --project-directory "$LAMBDAD_SRC" "$@" \
                2>>"$TEST_TMP/compose.log"
}

# compose_remove: the project down, and whatever a failed test may have left on its network.
compose_remove() {
        local ids
        dc down -v --remove-orphans -t 20 >/dev/null
        ids=$(docker ps -aq --filter "label=org.lambdad.network=$NET")
        [[ -z $ids ]] || docker rm -f $ids >/dev/null
        docker network rm "$NET" >/dev/null 2>&1 || true
        return 0
}

# functions_on_network: the ids of the function containers on the project's network.
functions_on_network() {
        docker ps -aq --filter "label=org.lambdad.managed-by=lambda-manager" --filter "label=org.lambdad.network=$NET"
}

# invoke FUNCTION PAYLOAD: curl with the API key; prints the body.
invoke() {
        curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$URL/functions/$1/invocations" -d "$2"
}

# wait_for_answer FUNCTION TEXT SECONDS: until an invocation answers 200 with TEXT in its body.
wait_for_answer() {
        local deadline=$((SECONDS + $3)) out
        while ((SECONDS < deadline)); do
                out=$(curl -s --max-time 10 -H "Authorization: Bearer $KEY" "$URL/functions/$1/invocations" -d '{"w":1}') || true
                [[ $out == *"$2"* ]] && return 0
                sleep 0.1
        done
        echo "FAIL: $1 did not answer with '$2' within $3 s (last: $out)" >&2
        return 1
}

# bus_call ARGS...: busctl on the project's bus, from the host (as root, whom the policy lets call all).
bus_call() {
        local vol
        vol=$(docker volume inspect -f '{{.Mountpoint}}' "${P}_bus") || return
        busctl --address="unix:path=$vol/system_bus_socket" call org.lambdad.Manager1 /org/lambdad/Manager1 \
                org.lambdad.Manager1 "$@"
}

# epoch_of RFC3339: seconds since the epoch, with fractions (docker inspect's times).
epoch_of() {
        python3 -c 'import sys, datetime; s = sys.argv[1]; d, _, f = s.rstrip("Z").partition(".");
print("%.3f" % (datetime.datetime.strptime(d, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + (f or "0"))))' "$1"
}
