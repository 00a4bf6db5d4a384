#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# prepare.sh: stage what the images of docker-compose.yml contain, from a meson build of this tree,
# so that `docker-compose build` (or `up --build`) needs no registry: each Dockerfile here is
# FROM scratch + rootfs/SERVICE. Every binary comes with exactly the shared libraries `ldd` lists
# for it and the dynamic loader; users and groups are fixed numbers (see passwd), as D-Bus policy
# and file permissions work on numbers across containers.
#
#     packaging/compose/prepare.sh [BUILD_DIR]     (default: $LAMBDAD_BUILD_DIR, else build/)
#
# Prints the size of each staged tree. Run it again after rebuilding.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(realpath -m -- "${1:-${LAMBDAD_BUILD_DIR:-$ROOT/build}}")
OUT=$HERE/rootfs
DBUS_DAEMON=${DBUS_DAEMON:-/usr/bin/dbus-daemon}

die() {
        echo "prepare.sh: $*" >&2
        exit 1
}

for b in src/manager/lambda-manager src/gateway/lambda-gateway src/rie/lambda-rie; do
        [[ -x $BUILD/$b ]] || die "$BUILD/$b missing: build first (meson setup build && meson compile -C build)"
done
[[ -x $DBUS_DAEMON ]] || die "$DBUS_DAEMON missing (apt-get install dbus-daemon)"

# copy_with_libs DEST SRC TARGET: SRC to DEST/TARGET, plus every library it loads, at the same path.
copy_with_libs() {
        local dest=$1 src=$2 target=$3 lib
        install -D -m 0755 "$src" "$dest$target"
        while read -r lib; do
                [[ -e $dest$lib ]] && continue
                # Keep the name the loader asks for; store the file it resolves to.
                install -D -m 0755 "$(readlink -f "$lib")" "$dest$lib"
        done < <(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

common() {
        local dest=$1
        install -D -m 0644 "$HERE/passwd" "$dest/etc/passwd"
        install -D -m 0644 "$HERE/group" "$dest/etc/group"
}

rm -rf "$OUT"
mkdir -p "$OUT"

d=$OUT/bus
common "$d"
# The bus volume's mount point, only in this image: the engine gives an empty volume the owner of
# the directory in the image of the container that mounts it (Dockerfile.bus makes it messagebus).
install -d -m 0755 "$OUT/bus-run/lambdad-bus"
copy_with_libs "$d" "$DBUS_DAEMON" /usr/bin/dbus-daemon
install -D -m 0644 "$HERE/bus.conf" "$d/etc/lambdad/bus.conf"
install -D -m 0644 "$ROOT/dbus/org.lambdad.Manager1.conf" "$d/usr/share/dbus-1/system.d/org.lambdad.Manager1.conf"
# dbus-daemon reads the machine id when a client asks for it.
install -D -m 0644 /dev/null "$d/etc/machine-id"
printf '%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$d/etc/machine-id"

d=$OUT/manager
common "$d"
copy_with_libs "$d" "$BUILD/src/manager/lambda-manager" /usr/libexec/lambdad/lambda-manager
install -d -m 0755 "$d/etc/lambdad/functions.d"
# lambda-rie for images that do not bring their own: the volume `rie` mounted here is filled from
# the image, and the manager lends it to such instances (--rie-volume=auto).
install -D -m 0755 "$BUILD/src/rie/lambda-rie" "$d/var/lambdad/lambda-rie"
# The state directory (the lease record one lifetime leaves the next), apart: copied into /var/lib
# with the manager's owner (Dockerfile.manager), as the volume manager-state is filled from it.
install -d -m 0700 "$OUT/manager-state/lambdad-manager"

d=$OUT/gateway
common "$d"
copy_with_libs "$d" "$BUILD/src/gateway/lambda-gateway" /usr/libexec/lambdad/lambda-gateway
install -d -m 0755 "$d/etc/lambdad/secrets"
# The state directory, apart: copied into /var/lib with the gateway's owner (Dockerfile.gateway), as
# the volume gateway-state is filled from it, owner and mode included.
install -d -m 0700 "$OUT/gateway-state/lambdad-gateway"

for s in bus manager gateway; do
        printf 'prepare.sh: %-8s %s\n' "$s" "$(du -sh --apparent-size "$OUT/$s" | cut -f1)"
done
