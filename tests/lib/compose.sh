# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# compose.sh: docker-compose.yml under test, on top of lib.sh and lambdad.sh, as a user runs it: from
# a `git clone` of this tree into an empty directory (its committed HEAD), the images built by
# compose itself from packaging/compose/Dockerfile (no meson build of the host), no variable
# exported. What the test's own project needs (its port, key, function declarations, secrets) is in
# the clone's .env, where a user would put it. The Debian base image is made from Debian's packages
# when the engine has none (packaging/compose/base-image.sh), and kept with the build cache for the
# next run and the next test. Source after lambdad.sh, call lambdad_init (the manager lock: a manager
# in a container cleans up like any other), then compose_init.

# The sizes of the images as main built them before they were built by compose (prepare.sh from the
# host's build, then `docker-compose build`), in bytes: what the images must not outgrow.
COMPOSE_SIZE_BEFORE_bus=7440639
COMPOSE_SIZE_BEFORE_manager=63505628
COMPOSE_SIZE_BEFORE_gateway=11405300

# compose_init: $P (project), $NET (its network), $CLONE (the tree under test), $PORT, $URL, $KEY
# (LAMBDAD_API_KEY), $AKID and $SECRET (a SigV4 key pair in the mounted credentials), $SOCK_GID (the
# engine socket's group), $CODE_STORE, $SOCKETS (LAMBDAD_INSTANCE_SOCKETS), and COMPOSE_ENV (the .env lines, for `docker stack deploy`,
# which reads no .env).
compose_init() {
        local src
        require_cmd docker-compose
        require_cmd git
        P=lambdadt$$
        NET=${P}_default
        PORT=$(free_port)
        URL=http://127.0.0.1:$PORT
        KEY=compose-test-key-$$
        AKID=AKIDCOMPOSETEST00001
        SECRET=composeTestSecretKey0123456789abcdef
        SOCK_GID=$(stat -c %g "$LIB_DOCKER_SOCK")
        CLONE=$TEST_TMP/clone
        CODE_STORE=$TEST_TMP/code-store
        # Under /run, as the default /run/lambdad/instances (on test-swarm's second node, its own /run).
        SOCKETS=/run/$P/instances
        lib_cleanup rm -rf "/run/$P"
        lib_cleanup compose_remove

        src=$LAMBDAD_SRC
        if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
                [[ -z $(git -C "$src" status --porcelain --untracked-files=no) ]] ||
                        echo "# note: the tree has uncommitted changes; this test runs its HEAD, $(git -C "$src" rev-parse --short HEAD)"
                git clone -q --no-hardlinks "$src" "$CLONE" || lib_fail "git clone of $src failed"
        else
                # A tree from an archive: the same files, without any build directory.
                mkdir -p "$CLONE"
                tar -C "$src" --exclude='./build*' -cf - . | tar -C "$CLONE" -xf -
        fi

        mkdir -p "$TEST_TMP/secrets"
        printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/secrets/credentials"
        # The gateway runs as 61102:61102 and refuses files others may read.
        chgrp -R 61102 "$TEST_TMP/secrets"
        chmod 0750 "$TEST_TMP/secrets"
        chmod 0640 "$TEST_TMP/secrets/credentials"
        # The code store and the sockets directory are left for the engine to make (as root), as on a
        # host that never had them.
        COMPOSE_ENV=(LAMBDAD_PORT="$PORT" LAMBDAD_API_KEY="$KEY" LAMBDAD_FUNCTIONS_DIR="$FN"
                LAMBDAD_SECRETS_DIR="$TEST_TMP/secrets" LAMBDAD_CODE_STORE="$CODE_STORE"
                LAMBDAD_INSTANCE_SOCKETS="$SOCKETS" LAMBDAD_TAG=test)
        printf '%s\n' "${COMPOSE_ENV[@]}" >"$CLONE/.env"

        "$CLONE/packaging/compose/base-image.sh" >&2 || lib_fail "no debian:bookworm-slim to build on"
        compose_images_remember
}

# dc ARGS...: docker-compose on the clone's file, as this test's project, from the clone (its .env);
# its chatter goes to compose.log.
dc() {
        (cd "$CLONE" && docker-compose -p "$P" -f docker-compose.yml --project-directory . "$@") \
                2>>"$TEST_TMP/compose.log"
}

# The images compose builds, by tag.
COMPOSE_IMAGES=(lambdad-bus:test lambdad-manager:test lambdad-gateway:test lambda-hello:latest)

# compose_images_remember: the ids of COMPOSE_IMAGES now (nothing for a missing one), in
# COMPOSE_IDS_BEFORE.
compose_images_remember() {
        local i
        declare -gA COMPOSE_IDS_BEFORE=()
        for i in "${COMPOSE_IMAGES[@]}"; do
                COMPOSE_IDS_BEFORE[$i]=$(docker image inspect -f '{{.Id}}' "$i" 2>/dev/null || true)
        done
}

# compose_images_forget_old: removes the images COMPOSE_IMAGES named before a build and no longer
# do (the engine keeps them untagged otherwise, run after run); one a container uses stays.
compose_images_forget_old() {
        local i old
        for i in "${COMPOSE_IMAGES[@]}"; do
                old=${COMPOSE_IDS_BEFORE[$i]:-}
                [[ -n $old && $old != "$(docker image inspect -f '{{.Id}}' "$i" 2>/dev/null)" ]] || continue
                docker image rm "$old" >/dev/null 2>&1 || true
        done
        compose_images_remember
}

# compose_fixtures NAME...: example images the test needs beside lambda-hello (tagged
# $IMAGE_PREFIX$NAME:latest), with the lambda-rie of the manager image compose built, not the host's.
compose_fixtures() {
        local cid
        if [[ ! -x $TEST_TMP/lambda-rie ]]; then
                cid=$(docker create lambdad-manager:test) || lib_fail "no lambdad-manager:test image"
                docker cp "$cid:/var/lambdad/lambda-rie" "$TEST_TMP/lambda-rie" >&2
                docker rm "$cid" >/dev/null
        fi
        "$CLONE/examples/build-images.sh" --rie "$TEST_TMP/lambda-rie" --tag-prefix "$IMAGE_PREFIX" "$@" >&2
}

# compose_image_ids: the ids of every image of the engine, intermediate ones too, sorted.
compose_image_ids() {
        docker images -a -q --no-trunc | sort -u
}

# compose_remove_intermediates_since FILE: removes the untagged images that a build of
# packaging/compose/Dockerfile made since FILE was written (compose_image_ids): the stages of a tree
# that no later build will want again. Newest first, as a child keeps its parent; one in use stays.
compose_remove_intermediates_since() {
        local id
        comm -13 "$1" <(compose_image_ids) |
                xargs -r docker image inspect -f '{{.Created}} {{.Id}} {{len .RepoTags}}' |
                sort -r | while read -r _ id tags; do
                        ((tags == 0)) || continue
                        # The build stages' own mark: the package list of their first layer.
                        docker history --no-trunc --format '{{.CreatedBy}}' "$id" 2>/dev/null |
                                grep -q '/usr/local/share/lambdad/' || continue
                        docker image rm "$id" >/dev/null 2>&1 || true
                done
}

# compose_remove: the project down, and whatever a failed test may have left on its network.
compose_remove() {
        local ids
        [[ -d $CLONE ]] && dc down -v --remove-orphans -t 20 >/dev/null
        ids=$(docker ps -aq --filter "label=org.lambdad.network=$NET")
        [[ -z $ids ]] || docker rm -f $ids >/dev/null
        docker network rm "$NET" >/dev/null 2>&1 || true
        # The networks of isolated functions, if the manager could not remove them.
        docker network ls -q --filter "label=org.lambdad.network=$NET" | xargs -r docker network rm >/dev/null 2>&1 || true
        compose_images_forget_old
        return 0
}

# image_mb IMAGE: its size in MB (10^6 bytes, as docker prints them), one decimal.
image_mb() {
        awk -v s="$(docker image inspect -f '{{.Size}}' "$1")" 'BEGIN { printf "%.1f", s / 1000000 }'
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
