#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""sample.py SECONDS INTERVAL NAME=PID...: sample VmRSS, VmHWM and the number of open fds of each
process every INTERVAL for SECONDS (one sample if SECONDS is 0); print JSON with the last, the
largest and the mean of each, in KiB and fds. A process that is gone is reported as such.
"""
import json
import os
import sys
import time


def read(pid):
    vals = {}
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    vals[k] = int(v.split()[0])
        vals["fds"] = len(os.listdir("/proc/%s/fd" % pid))
    except OSError:
        return None
    return vals


seconds, interval = float(sys.argv[1]), float(sys.argv[2])
procs = dict(a.split("=", 1) for a in sys.argv[3:])
samples = {name: [] for name in procs}
end = time.monotonic() + seconds
while True:
    for name, pid in procs.items():
        v = read(pid) if pid else None
        if v:
            samples[name].append(v)
    if time.monotonic() >= end:
        break
    time.sleep(interval)

out = {}
for name, s in samples.items():
    if not s:
        out[name] = {"pid": procs[name] or None, "alive": False}
        continue
    out[name] = {
        "pid": int(procs[name]), "alive": True, "samples": len(s),
        "rss_kib": s[-1]["VmRSS"], "rss_kib_max": max(x["VmRSS"] for x in s),
        "rss_kib_mean": round(sum(x["VmRSS"] for x in s) / len(s)),
        "hwm_kib": s[-1]["VmHWM"],
        "fds": s[-1]["fds"], "fds_max": max(x["fds"] for x in s),
        "threads": s[-1].get("Threads"),
    }
print(json.dumps(out))
