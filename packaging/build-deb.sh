#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-deb.sh OUTDIR: build lambdad's Debian binary package offline from this tree
# (dpkg-buildpackage -us -uc -b with packaging/debian/ as debian/), check it with lintian at the
# error level, and leave the .deb in OUTDIR. Needs: debhelper dpkg-dev fakeroot lintian and the
# Build-Depends of packaging/debian/control (tools/deps.sh installs them).
set -euo pipefail
out=$(realpath -m "${1:?usage: build-deb.sh OUTDIR}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/lambdad-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The source as a package sees it: tracked files only when this is a git checkout.
mkdir "$work/lambdad-0.1.0"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$work/lambdad-0.1.0")
else
        (cd "$root" && tar --exclude=./build --exclude='./build-*' -cf - .) | tar -C "$work/lambdad-0.1.0" -xf -
fi
cp -r "$root/packaging/debian" "$work/lambdad-0.1.0/debian"

(cd "$work/lambdad-0.1.0" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
        tail -n 40 "$work/build.log" >&2
        echo "build-deb: dpkg-buildpackage failed" >&2
        exit 1
}
deb=$(ls "$work"/lambdad_*.deb)
lintian --fail-on error --suppress-tags-from-file /dev/null "$deb" >&2 || {
        echo "build-deb: lintian reports errors" >&2
        exit 1
}
mkdir -p "$out"
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
