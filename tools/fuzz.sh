#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fuzz.sh [--merge] [SECONDS [TARGET...]]: real fuzzing. Builds every libFuzzer target of
# tests/fuzz with clang and ASan+UBSan in a build dir of its own ($LAMBDAD_FUZZ_BUILD_DIR, default
# build-fuzz/ in the tree), then runs each target in turn for SECONDS (default 60) on its corpus.
# New inputs go to a scratch dir, not the repository, unless --merge is given: then they are
# minimised into tests/fuzz/corpus/TARGET/ (review and commit them). Stops at the first crash,
# leak or UB report, printing the reproducer's path and how to replay it. Ends with one summary
# line per target: execs, exec/s, coverage and features, new corpus units, crashes.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
        sed -n '4,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit "${1:-0}"
}

merge=0
seconds=60
targets=()
while (($# > 0)); do
        case $1 in
        --merge) merge=1 ;;
        -h | --help) usage 0 ;;
        -*) usage 1 >&2 ;;
        *)
                if ((${#targets[@]} == 0)) && [[ $1 =~ ^[0-9]+$ ]] && [[ $seconds == 60 ]]; then
                        seconds=$1
                else
                        targets+=("$1")
                fi
                ;;
        esac
        shift
done
((seconds > 0)) || die "SECONDS must be at least 1"

build=$(realpath -m -- "${LAMBDAD_FUZZ_BUILD_DIR:-$LAMBDAD_ROOT/build-fuzz}")
corpus_root=$LAMBDAD_ROOT/tests/fuzz/corpus

# clang, like tools/deps.sh installs the rest (only when missing).
if ! command -v clang >/dev/null 2>&1; then
        need_root
        say "installing clang"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends clang >/dev/null
fi

# The fuzzers' own build: clang, sanitizers everywhere (the libraries under test included).
say "building the fuzzers in $build"
if [[ ! -f $build/meson-private/coredata.dat ]]; then
        CC=clang meson setup "$build" "$LAMBDAD_ROOT" --werror -Dfuzzers=true \
                -Db_sanitize=address,undefined -Db_lundef=false \
                -Dintegration-tests=false -Dsystem-tests=false >/dev/null
fi
if ((${#targets[@]} == 0)); then
        mapfile -t targets < <(find "$corpus_root" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi
# Only the fuzzers: ASan cannot link the static lambda-rie.
meson compile -C "$build" "${targets[@]}" >"$build/fuzz-compile.log" 2>&1 ||
        die "the fuzzers did not build (see $build/fuzz-compile.log)"

scratch=$(mktemp -d /tmp/lambdad-fuzz.XXXXXX)
summary=()
# Errors inside the sanitizers are bugs in our code: make each one fatal and print a full report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The summary line of one run, from libFuzzer's log: its final stats and last status line.
summarize() {
        local target=$1 log=$2 new_units=$3 crashes=$4
        local execs rate cov ft last
        last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
        ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
        printf '%-22s execs %9s  exec/s %6s  cov %5s  ft %6s  new units %4s  crashes %s\n' \
                "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$new_units" "$crashes"
}

count_units() {
        find "$@" -maxdepth 1 -type f 2>/dev/null | wc -l
}

status=0
for target in "${targets[@]}"; do
        binary=$build/tests/fuzz/$target
        corpus=$corpus_root/$target
        [[ -x $binary ]] || die "no fuzzer $binary (is $target in tests/fuzz/meson.build?)"
        [[ -d $corpus ]] || die "no corpus $corpus"

        new=$scratch/$target/new
        artifacts=$scratch/$target/artifacts
        log=$scratch/$target/log
        mkdir -p "$new" "$artifacts" "$scratch/$target/tmp"
        before=$(count_units "$corpus")

        say "fuzzing $target for ${seconds}s"
        rc=0
        # New inputs land in the first dir given; the committed corpus is only read. Whatever a
        # target keeps in $TMPDIR stays in the scratch dir, even after a crash.
        TMPDIR=$scratch/$target/tmp "$binary" "$new" "$corpus" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
                -print_final_stats=1 -error_exitcode=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?

        if ((rc == 77)); then
                summary+=("$(printf '%-22s skipped: %s' "$target" "$(tail -n 1 "$log")")")
                continue
        fi
        crashes=$(count_units "$artifacts")
        if ((rc != 0 || crashes > 0)); then
                summary+=("$(summarize "$target" "$log" "$(count_units "$new")" "$((crashes > 0 ? crashes : 1))")")
                grep -E -A40 '^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
                for a in "$artifacts"/*; do
                        [[ -e $a ]] || continue
                        printf 'REPRODUCER: %s\n  replay: %s %s\n  or:     %s %s\n' "$a" "$binary" "$a" \
                                "$LAMBDAD_BUILD_DIR/tests/fuzz/$target-replay" "$a" >&2
                done
                printf 'log: %s\n' "$log" >&2
                status=1
                break
        fi

        units=$(count_units "$new")
        if ((merge)); then
                say "merging new inputs of $target into $corpus"
                "$binary" -merge=1 "$corpus" "$new" >"$log.merge" 2>&1 ||
                        die "merging into $corpus failed (see $log.merge)"
                units=$(($(count_units "$corpus") - before))
        fi
        summary+=("$(summarize "$target" "$log" "$units" 0)")
done

say "summary (${seconds}s per target; new units in $scratch)"
printf '%s\n' "${summary[@]}"
exit "$status"
