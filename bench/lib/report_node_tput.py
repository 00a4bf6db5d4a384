# SPDX-License-Identifier: LGPL-2.1-or-later
"""report_node_tput.py: §17 (node-throughput) for report.py: lambdad and serverless-offline running
the same trivial Node handler, at 1 and 8 clients (raw: node-tput-NAME-cC-rR.json, wrk's figures)."""
import glob
import json
import os
import statistics

VARIANTS = ("lambdad", "lambdad-8", "sls-worker", "sls-inprocess")


def _runs(raw, name, c):
    out = []
    for p in sorted(glob.glob(os.path.join(raw, "node-tput-%s-c%d-r*.json" % (name, c)))):
        try:
            with open(p) as f:
                out.append(json.load(f))
        except (OSError, ValueError):
            pass
    return out


def _figures(runs):
    """Requests/s over all rounds; p50 and p99 (ms): the median of the rounds'."""
    if not runs:
        return None
    return {
        "rounds": len(runs),
        "rps": sum(r["requests"] for r in runs) / (sum(r["duration_us"] for r in runs) / 1e6),
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "max_ms": max(r["latency_us"]["max"] for r in runs) / 1000,
        "errors": sum(sum(r["errors"].values()) for r in runs),
    }


def _ratio(a, b):
    return None if a is None or b is None or b <= 0 else round(a / b, 3)


def node_tput(raw):
    """The section's dict and its three keys (None when not measured)."""
    d = {v: {"c%d" % c: _figures(_runs(raw, v, c)) for c in (1, 8)} for v in VARIANTS}
    try:
        with open(os.path.join(raw, "node-tput.txt")) as f:
            d["note"] = f.read().strip()
    except OSError:
        pass
    for key, name in (("lambdad_instances", "node-tput-instances.txt"), ("lambdad_8_instances", "node-tput-instances-8.txt")):
        try:
            with open(os.path.join(raw, name)) as f:
                d[key] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass

    def get(v, c, k):
        x = d[v]["c%d" % c]
        return x[k] if x else None

    keys = {
        "node_c8_vs_sls_worker_ratio": _ratio(get("lambdad", 8, "rps"), get("sls-worker", 8, "rps")),
        "node_c8_p99_vs_sls_worker_ratio": _ratio(get("lambdad", 8, "p99_ms"), get("sls-worker", 8, "p99_ms")),
        "node_c1_p50_vs_sls_worker_ratio": _ratio(get("lambdad", 1, "p50_ms"), get("sls-worker", 1, "p50_ms")),
        "node_c8_vs_sls_inprocess_ratio": _ratio(get("lambdad", 8, "rps"), get("sls-inprocess", 8, "rps")),
        "node_c8_8_instances_p99_vs_sls_worker_ratio": _ratio(get("lambdad-8", 8, "p99_ms"), get("sls-worker", 8, "p99_ms")),
    }
    return d, keys


def _f(x, n=2):
    return "—" if x is None else "%.*f" % (n, x)


def markdown(d, keys):
    lines = ["## 17. node-throughput: a trivial Node handler, lambdad vs serverless-offline\n"]
    if d.get("note"):
        lines.append("%s\n" % d["note"])
    lines.append("examples/node-hello's handler: lambdad through the gateway (node-hello's image, aws-lambda-ric; "
                 "`lambdad`: an instance per core, %s instances; `lambdad-8`: an instance per client, %s instances, "
                 "not in the ratios), serverless-offline on its Lambda Invoke endpoint (worker threads, its default: "
                 "the baseline; `--useInProcess`: no isolation, a reference).\n"
                 % (d.get("lambdad_instances", "?"), d.get("lambdad_8_instances", "?")))
    lines.append("| | c=1 rps | c=1 p50 ms | c=1 p99 ms | c=8 rps | c=8 p50 ms | c=8 p99 ms | c=8 max ms |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for v in VARIANTS:
        a, b = d[v]["c1"] or {}, d[v]["c8"] or {}
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            v, _f(a.get("rps"), 0), _f(a.get("p50_ms")), _f(a.get("p99_ms")), _f(b.get("rps"), 0),
            _f(b.get("p50_ms")), _f(b.get("p99_ms")), _f(b.get("max_ms"), 1)))
    lines.append("")
    lines.append("`node_c8_vs_sls_worker_ratio` %s (goal ≥ 1.25), `node_c8_p99_vs_sls_worker_ratio` %s (goal ≤ 1.0), "
                 "`node_c1_p50_vs_sls_worker_ratio` %s (goal ≤ 0.8); against the in-process mode, c=8 rps: %s; "
                 "an instance per client, c=8 p99 / serverless-offline's: %s.\n" % (
                     _f(keys["node_c8_vs_sls_worker_ratio"], 3), _f(keys["node_c8_p99_vs_sls_worker_ratio"], 3),
                     _f(keys["node_c1_p50_vs_sls_worker_ratio"], 3), _f(keys["node_c8_vs_sls_inprocess_ratio"], 3),
                     _f(keys["node_c8_8_instances_p99_vs_sls_worker_ratio"], 3)))
    return lines


def summary(d, keys):
    """The lines report.py prints at the end."""
    g = {v: d[v]["c8"] or {} for v in VARIANTS}
    return [
        "  node_c8_vs_sls_worker_ratio           %s   (goal >= 1.25; c=8 rps: lambdad %s, serverless-offline %s, "
        "in-process %s)%s" % (_f(keys["node_c8_vs_sls_worker_ratio"]), _f(g["lambdad"].get("rps"), 0),
                              _f(g["sls-worker"].get("rps"), 0), _f(g["sls-inprocess"].get("rps"), 0),
                              "  " + d["note"] if d.get("note") else ""),
        "  node_c8_p99_vs_sls_worker_ratio       %s   (goal <= 1.0; p99 %s ms / %s ms)" % (
            _f(keys["node_c8_p99_vs_sls_worker_ratio"]), _f(g["lambdad"].get("p99_ms")), _f(g["sls-worker"].get("p99_ms"))),
        "  node_c1_p50_vs_sls_worker_ratio       %s   (goal <= 0.8)" % _f(keys["node_c1_p50_vs_sls_worker_ratio"]),
    ]
