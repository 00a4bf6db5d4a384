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

# load_all_200 NAME [WHAT]: every answer of load NAME was a 200 with the right body, in time: not
# one 503, 429, reset or timeout (a planned restart must be invisible to clients). The counts by
# status are shown in the check's name.
load_all_200() {
        local total ok n503 bad others counts
        read -r total ok n503 bad others <"$TEST_TMP/$1.out"
        counts=$(awk '{ n[$3]++ } END { for (c in n) printf "%s%s: %d", (s++ ? ", " : ""), c, n[c] }' "$TEST_TMP/$1.log")
        LOAD_FIGURES+=" $1: $total requests ($counts), bad $bad $others;"
        # (the first 10; no `| head`: under pipefail its early exit would end the test with SIGPIPE)
        awk '$3 != 200 && n++ < 10 { printf "# not a 200: %s\n", $0 }' "$TEST_TMP/$1.log"
        check "${2:-$1}: every answer a 200 ($total requests; by status: ${counts:-none}; bad: $bad $others)" \
                test "$total" -gt 0 -a "$ok" -eq "$total" -a "$bad" -eq 0
}

# load_window_counts NAME FROM TO: the answers of load NAME to requests that were in flight at
# any time between FROM and TO (epoch seconds), by status ("200: 812, 503: 3"), and their slowest (s).
load_window_counts() {
        awk -v a="$2" -v b="$3" '$2 >= a && $1 <= b { n[$3]++; d = $2 - $1; if (d > m) m = d; t++ }
                END { for (c in n) printf "%s%s: %d", (s++ ? ", " : ""), c, n[c]; printf " (%d in all; slowest %.3f s)", t, m }' \
                "$TEST_TMP/$1.log"
}

# load_window_p99 NAME FROM TO: the 99th percentile (nearest rank, s) of the answers in flight
# between FROM and TO; 0 when there were none.
load_window_p99() {
        awk -v a="$2" -v b="$3" '$2 >= a && $1 <= b { print $2 - $1 }' "$TEST_TMP/$1.log" | sort -g |
                awk '{ d[NR] = $1 } END { k = int(NR * 0.99 + 0.999999); printf "%.3f", NR ? d[k < 1 ? 1 : k] : 0 }'
}

# load_restart_p99 NAME BEGIN END WHAT: the p99 of the answers of load NAME in flight during a restart
# (BEGIN to END) against the p99 of an equal window just before it, same clients and load: at most
# 3 times (bench/run's manager_restart_p99_ratio goal). A time bound as a ratio, never absolute.
load_restart_p99() {
        local name=$1 begin=$2 end=$3 what=$4 before during bound
        before=$(load_window_p99 "$name" "$(awk -v a="$begin" -v b="$end" 'BEGIN { printf "%.3f", 2 * a - b }')" "$begin")
        during=$(load_window_p99 "$name" "$begin" "$end")
        bound=$(awk -v b="$before" 'BEGIN { printf "%.3f", 3 * b }')
        LOAD_FIGURES+=" $what: p99 ${during} s in the restart's window, ${before} s in as long a window before;"
        check "$what: p99 latency in the restart's window at most 3 x the p99 of as long a window before it (${during} s vs ${before} s, bound ${bound} s)" \
                awk -v t="$during" -v b="$bound" -v p="$before" 'BEGIN { exit !(p > 0 && t <= b) }'
}

# bare_cold_start IMAGE: `docker run` of IMAGE (published on 127.0.0.1) to its first 200, in ms,
# appended to $BARE_RUNS; the container is removed. The baseline of a time bound, measured in the
# same run and under the same load as what it bounds (an idle machine is not a busy one).
BARE_RUNS=()
bare_cold_start() {
        local start bare port
        start=$(date +%s%N)
        bare=$(docker_run_tracked -p 127.0.0.1::8080 "$1")
        port=$(container_port "$bare")
        until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -d '{}' \
                "http://127.0.0.1:$port/2015-03-31/functions/function/invocations") == 200 ]]; do
                (($(date +%s%N) - start < 30000000000)) || lib_fail "the bare container of $1 never answered"
                sleep 0.01
        done
        BARE_RUNS+=($((($(date +%s%N) - start) / 1000000)))
        docker rm -f "$bare" >/dev/null
}

# bare_cold_start_median IMAGE: three bare cold starts of IMAGE one after the other; their median
# (ms) in $BARE_MS, and the figures in $LOAD_FIGURES.
bare_cold_start_median() {
        BARE_RUNS=()
        bare_cold_start "$1"
        bare_cold_start "$1"
        bare_cold_start "$1"
        BARE_MS=$(printf '%s\n' "${BARE_RUNS[@]}" | sort -n | sed -n 2p)
        LOAD_FIGURES+=" bare cold start of $1 under the same load ${BARE_MS} ms (median of ${BARE_RUNS[*]});"
}
