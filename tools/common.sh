# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# common.sh: what the tools/*.sh entry points share: where the tree and the build dir are,
# messages, building with meson, and starting the Docker engine. The engine is started by the
# code the tests use (tests/lib/lib.sh), so tools and tests start it the same way.

LAMBDAD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/lib/lib.sh
source "$LAMBDAD_ROOT/tests/lib/lib.sh"

# The build dir: $LAMBDAD_BUILD_DIR (relative to where the tool was started) or build/ in the
# tree. Exported absolute, so that the tests' build_dir finds the same one.
LAMBDAD_BUILD_DIR=$(realpath -m -- "${LAMBDAD_BUILD_DIR:-$LAMBDAD_ROOT/build}")
export LAMBDAD_BUILD_DIR

say() {
        printf '==> %s\n' "$*"
}

die() {
        printf 'ERROR: %s\n' "$*" >&2
        exit 1
}

# need_root: apt-get and dockerd need it; say so plainly instead of failing halfway.
need_root() {
        ((EUID == 0)) || die "run this as root (it installs packages and may start dockerd)"
}

# start_engine: make sure a Docker engine answers, starting dockerd when none does.
start_engine() {
        local rc=0
        _lib_start_dockerd || rc=$?
        case $rc in
        0) ;;
        2) die "dockerd is not installed: run tools/deps.sh (package docker.io)" ;;
        *) die "the Docker engine did not start (see /var/log/lambdad-test-dockerd.log)" ;;
        esac
}

# meson_build [DIR [OPTION...]]: configure (or reconfigure) DIR (default: the build dir) with
# warnings as errors and these setup options, and compile. Extra setup options may also come from
# $LAMBDAD_MESON_OPTIONS (e.g. "-Dsystem-tests=false").
meson_build() {
        local dir=${1:-$LAMBDAD_BUILD_DIR}
        local -a opts=(--werror "${@:2}")
        # shellcheck disable=SC2206  # word splitting of the options is the point
        opts+=(${LAMBDAD_MESON_OPTIONS:-})

        if [[ -f $dir/meson-private/coredata.dat ]]; then
                say "meson setup --reconfigure $dir"
                # A build dir from another meson version cannot be reconfigured: start it afresh.
                meson setup --reconfigure "${opts[@]}" "$dir" "$LAMBDAD_ROOT" ||
                        meson setup --wipe "${opts[@]}" "$dir" "$LAMBDAD_ROOT"
        else
                say "meson setup $dir"
                meson setup "${opts[@]}" "$dir" "$LAMBDAD_ROOT"
        fi
        say "meson compile -C $dir"
        meson compile -C "$dir"
}
