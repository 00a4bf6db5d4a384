#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The units' sandboxing, scored by systemd itself: the gateway at most 2.0 ("OK"), the manager at
# most 3.0. Every directive that could not be set says why in the unit.
set -euo pipefail
units=${1:?usage: check-units.sh BUILD_UNITS_DIR}
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed (apt-get install systemd)"; exit 77; }
rc=0
for spec in lambda-gateway.service:20 lambda-manager.service:30; do
        unit=${spec%%:*}
        threshold=${spec##*:}
        score=$(systemd-analyze security --offline=yes "$units/$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        if systemd-analyze security --offline=yes --threshold="$threshold" "$units/$unit" >/dev/null 2>&1; then
                echo "ok $unit: exposure $score (at most $((threshold / 10)).$((threshold % 10)))"
        else
                echo "FAIL $unit: exposure $score, more than $((threshold / 10)).$((threshold % 10))"
                rc=1
        fi
done
# The Podman drop-in (units/lambda-manager-podman.conf.in) as systemd reads it, under a root of
# its own: it must parse, take the docker group away, and keep the score.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system/lambda-manager.service.d"
cp "$units/lambda-manager.service" "$root/etc/systemd/system/"
cp "$units/lambda-manager-podman.conf" "$root/etc/systemd/system/lambda-manager.service.d/podman.conf"
out=$(systemd-analyze security --offline=yes --threshold=30 --root="$root" lambda-manager.service 2>&1) && st=0 || st=$?
if ((st == 0)) && grep -q 'no supplementary groups' <<<"$out"; then
        echo "ok lambda-manager.service with the Podman drop-in: $(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/exposure \1/p' <<<"$out"), no docker group"
else
        echo "FAIL lambda-manager.service with the Podman drop-in:"
        tail -n 5 <<<"$out"
        rc=1
fi
exit $rc
