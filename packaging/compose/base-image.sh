#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# base-image.sh: the base image the images of docker-compose.yml build on (debian:bookworm-slim),
# made from Debian's own packages, for engines that no registry serves (offline sites, these
# machines): mmdebstrap makes a minimal Debian 12 with apt, and `docker import` tags it. Nothing is
# done when the engine has the image already (pulled or made earlier).
#
#     packaging/compose/base-image.sh [IMAGE]     (default debian:bookworm-slim)
#
# Needs root and mmdebstrap (apt-get install mmdebstrap), and Debian's mirrors, or the ones given as
# LAMBDAD_DEBIAN_MIRRORS (sources.list lines, one per line). A site with a registry does not need
# this: `docker compose up --build` pulls the image.
set -euo pipefail

IMAGE=${1:-debian:bookworm-slim}
DOCKER=${DOCKER:-docker}

die() {
        echo "base-image.sh: $*" >&2
        exit 1
}

if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
        echo "base-image.sh: $IMAGE is there already"
        exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap missing (apt-get install mmdebstrap)"

# What the image's apt uses later (the images' build installs packages with it): Debian 12 with its
# updates and security updates, as in Debian's own image.
mirrors=${LAMBDAD_DEBIAN_MIRRORS:-"deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main"}

work=$(mktemp -d "${TMPDIR:-/tmp}/lambdad-base-image.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
start=$SECONDS
# shellcheck disable=SC2016  # $1 is the hook's argument, for mmdebstrap to expand
# minbase: Essential packages and apt, nothing else (about 80 MB, like debian:bookworm-slim). The
# package lists are left out: every build runs apt-get update first.
mmdebstrap --quiet --variant=minbase --aptopt='Acquire::Languages "none"' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
        bookworm "$work/rootfs.tar" "$mirrors" >&2 || die "mmdebstrap failed"
"$DOCKER" import --change 'CMD ["bash"]' "$work/rootfs.tar" "$IMAGE" >/dev/null ||
        die "docker import of $IMAGE failed"
echo "base-image.sh: made $IMAGE from Debian's packages in $((SECONDS - start)) s"
