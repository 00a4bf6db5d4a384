#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test.sh: lambdad's one test command (README; CI runs it through .ci/run). On a fresh Debian 12,
# as root: installs what is missing, starts dockerd if none answers, builds with warnings as
# errors, runs every meson test, and ends with the line "N passed, M failed, K skipped".
# Arguments go to `meson test` (e.g. --suite unit). $LAMBDAD_BUILD_DIR overrides build/.
#
# Exits non-zero when a test failed, timed out or errored, or when no test passed at all (a run
# that tested nothing is no success).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$LAMBDAD_ROOT"

need_root
"$LAMBDAD_ROOT/tools/deps.sh"
say "Docker engine"
start_engine
meson_build

testlog=$LAMBDAD_BUILD_DIR/meson-logs/testlog.json
# A stale log would be summarised as if it were this run's.
rm -f "$testlog"
say "meson test${*:+ $*}"
test_rc=0
meson test -C "$LAMBDAD_BUILD_DIR" --print-errorlogs --num-processes 2 "$@" || test_rc=$?

# Tests that died too hard to clean up (SIGKILL after a timeout) leave containers behind.
docker_sweep_orphans
((DOCKER_SWEPT == 0)) || echo "warning: removed $DOCKER_SWEPT container(s) that tests left behind"

# summarise TESTLOG: list failed and skipped tests, end with the counts; exit 1 if any failed or
# none passed. testlog.json holds one JSON object per test run.
summarise() {
        /usr/bin/env python3 - "$1" <<'EOF'
import json, sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
# Everything else (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...) is a failure.

runs = []
try:
    with open(sys.argv[1]) as f:
        runs = [json.loads(line) for line in f if line.strip()]
except FileNotFoundError:
    print("meson test wrote no %s" % sys.argv[1])

def label(r):
    suites = ",".join(s.split(":", 1)[-1] for s in r.get("suite", []))
    return "%s (%s)" % (r["name"], suites) if suites else r["name"]

failed = [r for r in runs if r["result"] not in PASSED | SKIPPED]
skipped = [r for r in runs if r["result"] in SKIPPED]
passed = len(runs) - len(failed) - len(skipped)

for title, rs in (("Skipped", skipped), ("Failed", failed)):
    if rs:
        print("%s:" % title)
        for r in rs:
            print("  %-10s %s" % (r["result"], label(r)))
if passed == 0:
    print("No test passed.")
print("%d passed, %d failed, %d skipped" % (passed, len(failed), len(skipped)))
sys.exit(1 if failed or passed == 0 else 0)
EOF
}

summary_rc=0
summarise "$testlog" || summary_rc=$?
# meson's own verdict counts too (a harness error may leave no failed test in the log).
((test_rc == 0 && summary_rc == 0))
