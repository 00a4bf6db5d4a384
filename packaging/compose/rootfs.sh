#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# rootfs.sh: the files of one image of docker-compose.yml, run by a stage of
# packaging/compose/Dockerfile (in the Debian that compiled lambdad; it needs nothing from the host).
# Each image is FROM scratch: every binary comes with exactly the shared libraries `ldd` lists for it
# and the dynamic loader; users and groups are fixed numbers (see passwd), as D-Bus policy and file
# permissions work on numbers across containers.
#
#     rootfs.sh SERVICE OUT [BUILD_DIR]     SERVICE: bus, manager or gateway
#
# Writes OUT/rootfs (the image's files, root's) and OUT/state (the one directory the service's own
# user owns: the Dockerfile copies it with that owner, and a fresh volume mounted there takes it).
# BUILD_DIR is the meson build of the manager and the gateway (default /build).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVICE=${1:?usage: rootfs.sh SERVICE OUT [BUILD_DIR]}
OUT=${2:?usage: rootfs.sh SERVICE OUT [BUILD_DIR]}
BUILD=${3:-/build}
DBUS_DAEMON=/usr/bin/dbus-daemon

die() {
        echo "rootfs.sh: $*" >&2
        exit 1
}

# copy_with_libs DEST SRC TARGET: SRC to DEST/TARGET, plus every library it loads, at the same path.
copy_with_libs() {
        local dest=$1 src=$2 target=$3 lib
        [[ -x $src ]] || die "$src missing"
        install -D -m 0755 "$src" "$dest$target"
        while read -r lib; do
                [[ -e $dest$lib ]] && continue
                # Keep the name the loader asks for; store the file it resolves to.
                install -D -m 0755 "$(readlink -f "$lib")" "$dest$lib"
        done < <(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

rm -rf "$OUT"
d=$OUT/rootfs
install -D -m 0644 "$HERE/passwd" "$d/etc/passwd"
install -D -m 0644 "$HERE/group" "$d/etc/group"

case $SERVICE in
bus)
        # The bus volume's mount point: the engine gives an empty volume the owner of the directory
        # in the image of the container that mounts it (messagebus, by the Dockerfile).
        install -d -m 0755 "$OUT/state/lambdad-bus"
        copy_with_libs "$d" "$DBUS_DAEMON" /usr/bin/dbus-daemon
        install -D -m 0644 "$HERE/bus.conf" "$d/etc/lambdad/bus.conf"
        install -D -m 0644 "$ROOT/dbus/org.lambdad.Manager1.conf" \
                "$d/usr/share/dbus-1/system.d/org.lambdad.Manager1.conf"
        # dbus-daemon reads the machine id when a client asks for it.
        head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/etc/machine-id"
        echo >>"$d/etc/machine-id"
        chmod 0644 "$d/etc/machine-id"
        ;;
manager)
        copy_with_libs "$d" "$BUILD/src/manager/lambda-manager" /usr/libexec/lambdad/lambda-manager
        install -d -m 0755 "$d/etc/lambdad/functions.d"
        # lambda-rie for images that do not bring their own: the volume `rie` mounted here is filled
        # from the image, and the manager lends it to such instances (--rie-volume=auto).
        install -D -m 0755 "$BUILD/src/rie/lambda-rie" "$d/var/lambdad/lambda-rie"
        # The lease record one lifetime leaves the next (--state-dir), in the volume manager-state.
        install -d -m 0700 "$OUT/state/lambdad-manager"
        ;;
gateway)
        copy_with_libs "$d" "$BUILD/src/gateway/lambda-gateway" /usr/libexec/lambdad/lambda-gateway
        install -d -m 0755 "$d/etc/lambdad/secrets"
        # The durable queue of Event invocations, in the volume gateway-state (owner and mode too).
        install -d -m 0700 "$OUT/state/lambdad-gateway"
        ;;
*)
        die "unknown service '$SERVICE': bus, manager or gateway"
        ;;
esac
printf 'rootfs.sh: %-8s %s\n' "$SERVICE" "$(du -sh --apparent-size "$d" | cut -f1)"
