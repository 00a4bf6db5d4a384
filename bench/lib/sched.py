#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/lib/sched.py FILE: `perf sched timehist` of a recording (bench/run's latency section with
LAMBDAD_BENCH_SCHED=1) as JSON: per process name of the request's path (wrk, the proxy, lambda-rie
and the function), how long it waited for a CPU once woken (sch delay: p50/p99/max, milliseconds)
and how many times it ran, and which other processes had the CPUs meanwhile (run time, top 8)."""
import collections
import json
import subprocess
import sys

PATH_TASKS = ("wrk", "lambda-gateway", "nginx", "lambda-rie", "bootstrap")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else None


def main():
    out = subprocess.run(["perf", "sched", "timehist", "-i", sys.argv[1]], capture_output=True, text=True).stdout
    delays = collections.defaultdict(list)
    run = collections.Counter()
    for line in out.splitlines():
        f = line.split()
        # time cpu task[tid/pid] wait sch-delay run
        if len(f) < 6 or not f[1].startswith("["):
            continue
        try:
            sch, rt = float(f[-2]), float(f[-1])
        except ValueError:
            continue
        name = f[2].rsplit("[", 1)[0]
        base = next((t for t in PATH_TASKS if name.startswith(t[:15])), None)
        if base:
            delays[base].append(sch)
        run[base or name] += rt
    json.dump({
        "sch_delay_ms": {t: {"runs": len(v), "p50": pct(v, 50), "p99": pct(v, 99), "max": max(v)}
                         for t, v in delays.items()},
        "others_run_ms": dict(sorted(((k, round(v, 1)) for k, v in run.items() if k not in PATH_TASKS),
                                     key=lambda kv: -kv[1])[:8]),
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
