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

# run_tests DIR ARGS...: meson test in DIR; its log is added to $testlogs, its status to $test_rc.
testlogs=()
test_rc=0
run_tests() {
        local dir=$1 rc=0
        shift
        # A stale log would be summarised as if it were this run's.
        rm -f "$dir/meson-logs/testlog.json"
        say "meson test -C $dir${*:+ $*}"
        meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || rc=$?
        testlogs+=("$dir/meson-logs/testlog.json")
        ((rc == 0)) || test_rc=$rc
}
run_tests "$LAMBDAD_BUILD_DIR" "$@"

# A whole run (no arguments) also runs the unit, fuzz-replay and integration suites once more in a
# build with AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer. Every report a
# sanitized process writes (the daemons exit by themselves on SIGTERM, so their leaks are checked
# too) lands in $sanitizer_reports and fails the run. The suites that run their own container
# images (compose, swarm) have nothing of this build to check and are left out.
# LAMBDAD_TEST_SANITIZE=0 skips it.
sanitizer_reports=
if (($# == 0)) && [[ ${LAMBDAD_TEST_SANITIZE:-1} != 0 ]]; then
        sanitized_dir=$LAMBDAD_BUILD_DIR-sanitize
        sanitizer_reports=$sanitized_dir/sanitizer-reports
        say "sanitized build (address, undefined) in $sanitized_dir"
        meson_build "$sanitized_dir" -Db_sanitize=address,undefined -Db_lundef=false -Dsystem-tests=false
        rm -rf "$sanitizer_reports"
        mkdir -p "$sanitizer_reports"
        ASAN_OPTIONS=log_path=$sanitizer_reports/asan:detect_leaks=1 \
                LSAN_OPTIONS=log_path=$sanitizer_reports/lsan \
                UBSAN_OPTIONS=log_path=$sanitizer_reports/ubsan:print_stacktrace=1:halt_on_error=1 \
                run_tests "$sanitized_dir" --suite unit --suite fuzz --suite integration --no-suite containers
fi

# Tests that died too hard to clean up (SIGKILL after a timeout) leave containers behind.
docker_sweep_orphans
((DOCKER_SWEPT == 0)) || echo "warning: removed $DOCKER_SWEPT container(s) that tests left behind"

# summarise REPORTS_DIR TESTLOG...: list failed and skipped tests, end with the counts; exit 1 if
# any failed or none passed. testlog.json holds one JSON object per test run; each sanitizer
# report in REPORTS_DIR (if given) counts as a failed test.
summarise() {
        /usr/bin/env python3 - "$@" <<'EOF'
import glob, json, os, sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
# Everything else (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...) is a failure.

runs = []
for log in sys.argv[2:]:
    try:
        with open(log) as f:
            runs += [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        print("meson test wrote no %s" % log)
for report in sorted(glob.glob(os.path.join(sys.argv[1], "*"))) if sys.argv[1] else []:
    with open(report, errors="replace") as f:
        text = f.read()
    print("---- sanitizer report %s ----\n%s" % (report, text[:6000]))
    runs.append({"name": "sanitizer report " + os.path.basename(report), "result": "FAIL"})

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
summarise "$sanitizer_reports" "${testlogs[@]}" || summary_rc=$?
# meson's own verdict counts too (a harness error may leave no failed test in the log).
((test_rc == 0 && summary_rc == 0))
