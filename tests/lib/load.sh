# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# load.sh: a fault under load, judged (on top of lib.sh): load.py in the background, then whether
# every answer was a good one and how soon after the fault the first 200 came. What each judgement
# measured is added to $LOAD_FIGURES, for the test to print.

LOAD_FIGURES=

# load_start NAME URL KEY SECONDS CLIENTS BOUND [load.py OPTIONS...]: keep-alive clients backing
# off 100 ms after a 503/429 (as the AWS SDKs do), in the background; $TEST_TMP/NAME.out gets the
# summary, NAME.log the requests. The pid is in $LOAD_PID.
load_start() {
        local name=$1
        shift
        python3 "$(source_dir)/tests/lib/load.py" "$@" --keep-alive --backoff 0.1 \
                --log "$TEST_TMP/$name.log" >"$TEST_TMP/$name.out" {_LAMBDAD_LOCK}>&- &
        LOAD_PID=$!
}

# load_verdict NAME: the load's requests were all good ones, and some were 200s.
load_verdict() {
        local total ok n503 bad others
        read -r total ok n503 bad others <"$TEST_TMP/$1.out"
        LOAD_FIGURES+=" $1: $total requests, $ok 200, $n503 503, $bad bad $others;"
        check "$1: only 200s with the right body and 503/429s with Retry-After ($total requests, $ok 200, $n503 503, bad: $bad $others)" \
                test "$bad" -eq 0 -a "$ok" -gt 0
}

# load_recovery NAME SINCE BOUND: the first 200 of load NAME that started at or after SINCE
# (epoch seconds) ended within BOUND seconds of SINCE.
load_recovery() {
        local took
        took=$(awk -v since="$2" '$1 >= since && $3 == 200 { printf "%.2f", $2 - since; exit }' "$TEST_TMP/$1.log")
        LOAD_FIGURES+=" recovery ${took:-none} s (bound $3 s);"
        check "the first 200 after the fault within $3 s (${took:-none} s)" \
                awk -v t="${took:-999999}" -v b="$3" 'BEGIN { exit !(t <= b) }'
}
