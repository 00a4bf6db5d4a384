#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/lib/trace.py: lambda-gateway's per-request stage timestamps (LAMBDAD_GATEWAY_TRACE,
src/gateway/trace.h) for bench/run.

  trace.py count FILE            the number of records written so far
  trace.py stages FILE FROM TO   the records FROM..TO-1 as JSON: per stage interval its p50/p90/p99/max
                                 (microseconds), and the slowest 1% of the requests (read to last
                                 byte) split into the same intervals, to tell where their time went.
"""
import json
import struct
import sys

HEADER = struct.Struct("<8sIIQQ32x")
STAGES = ("accept", "read", "head", "auth", "lease", "sent", "first_byte", "last_byte", "released")
# The intervals reported, from stage to stage (the gateway's own time, and the instance's).
INTERVALS = (
    ("read", "head", "read_to_head"),
    ("head", "auth", "head_to_auth"),
    ("auth", "lease", "auth_to_lease"),
    ("lease", "sent", "lease_to_sent"),
    ("sent", "first_byte", "instance"),           # the instance's time (lambda-rie, the function)
    ("first_byte", "last_byte", "first_to_last_byte"),
    ("last_byte", "released", "last_byte_to_released"),
    ("read", "last_byte", "gateway_total"),       # all the request spent in the gateway and beyond
)


def records(path, start=0, end=None):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return 0, []  # a gateway that does not trace (an older build): no stages
    magic, n_stages, size, capacity, count = HEADER.unpack_from(data, 0)
    if magic != b"LDTRACE1" or n_stages != len(STAGES):
        sys.exit("%s: not a lambda-gateway trace" % path)
    rec = struct.Struct("<%dQII%dx" % (n_stages, size - 8 * n_stages - 8))
    end = count if end is None else min(end, count)
    start = max(start, end - capacity)
    out = []
    for i in range(start, end):
        v = rec.unpack_from(data, 64 + (i % capacity) * size)
        out.append({"t": dict(zip(STAGES, v[:n_stages])), "flags": v[n_stages], "nth": v[n_stages + 1]})
    return count, out


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def interval(r, a, b):
    ta, tb = r["t"][a], r["t"][b]
    return (tb - ta) / 1000 if ta and tb and tb >= ta else None


def stages(path, start, end):
    _, recs = records(path, start, end)
    recs = [r for r in recs if r["t"]["read"] and r["t"]["last_byte"]]
    result = {"requests": len(recs),
              "lease_kept": sum(1 for r in recs if r["flags"] & 1),
              "upstream_connects": sum(1 for r in recs if r["flags"] & 2),
              "intervals_us": {}}
    for a, b, name in INTERVALS:
        v = [x for x in (interval(r, a, b) for r in recs) if x is not None]
        result["intervals_us"][name] = {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99),
                                        "max": max(v) if v else None}
    # The slowest 1% (at least one) by their time in the gateway, stage by stage (means).
    recs.sort(key=lambda r: interval(r, "read", "last_byte"))
    slow = recs[-max(1, len(recs) // 100):] if recs else []
    result["slowest_1pct_mean_us"] = {
        name: (sum(interval(r, a, b) or 0 for r in slow) / len(slow)) if slow else None
        for a, b, name in INTERVALS}
    return result


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "count":
        print(records(sys.argv[2], 0, 0)[0])
    elif len(sys.argv) == 5 and sys.argv[1] == "stages":
        json.dump(stages(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])), sys.stdout, indent=1)
        print()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
