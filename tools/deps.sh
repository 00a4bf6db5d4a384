#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# deps.sh: install every Debian package lambdad needs to build and to run its tests, and only
# what is missing, so that a second run takes a fraction of a second and needs no network.
# Prints one line saying what it did.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What compiles the programs: one list for this script and the container images' build.
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$ROOT/tools/build-deps.txt")
packages+=(
        # build: the tests too
        build-essential libcmocka-dev
        clang         # fuzzers
        clang-format  # the style test
        # packaging: the .deb build and lintian, the RPM spec check
        debhelper dpkg-dev fakeroot lintian rpm
        # benchmarks: load generator, the reverse proxy to compare with, plots
        wrk nginx-light gnuplot-nox strace
        # integration and system tests
        docker.io systemd-container dbus iproute2 curl jq file python3
        podman netavark  # the second engine the manager is tested on; netavark: its network stack as tested
        awscli        # a real Lambda client
        python3-boto3 # another one, for Debian's /usr/bin/python3 (test-streaming, test-zip)
        chromium      # a real browser: test-function-url's CORS fetch between two function URLs
        busybox-static
        docker-compose  # the container deployment (docker-compose.yml) and its tests
        mmdebstrap    # their base image, made from Debian's packages (packaging/compose/base-image.sh)
        # building aws-lambda-ric (the Node example) from npm
        cmake g++ make autoconf automake libtool
)

# The example images know what they need; ask them (only if the script has the option, as an
# unknown option could make it do something else).
images_script=$ROOT/examples/build-images.sh
if [[ -x $images_script ]] && grep -q -- '--print-apt-deps' "$images_script"; then
        read -r -a extra <<<"$("$images_script" --print-apt-deps)"
        packages+=("${extra[@]}")
fi

# Node.js and npm for the Node example: the machines come with Node 20 from elsewhere, which
# Debian's npm package would try to replace, so only fall back to Debian's when there is none.
if ! command -v node >/dev/null 2>&1; then
        packages+=(nodejs npm libnode-dev)
fi

mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

# One dpkg-query for all (dpkg -s per package is slower); it exits non-zero when any package
# is unknown to dpkg, which is just a missing one here.
installed=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
        grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
        echo "deps: all ${#packages[@]} packages already installed"
        exit 0
fi

((EUID == 0)) || {
        echo "deps: missing ${missing[*]}; run as root to install them" >&2
        exit 1
}
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} missing package(s) in $((SECONDS - start))s: ${missing[*]}"
