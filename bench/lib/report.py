#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""report.py RAW OUT: turn bench/run's raw measurements into OUT/latest.json, OUT/latest.md and
OUT/*.png (gnuplot), and print the headline ratios.

A section whose raw files are missing is left out (its keys are null) and named under "missing".
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_node_tput  # noqa: E402

RAW, OUT = sys.argv[1], sys.argv[2]
missing = []


def load(name, default=None):
    try:
        with open(os.path.join(RAW, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def numbers(name):
    try:
        with open(os.path.join(RAW, name)) as f:
            return [float(x) for x in f.read().split()]
    except OSError:
        return []


def rows(name):
    try:
        with open(os.path.join(RAW, name)) as f:
            return [[float(x) for x in line.split()] for line in f if line.strip()]
    except OSError:
        return []


def pct(values, p):
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def rnd(x, n=3):
    return None if x is None else round(x, n)


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def rps(run):
    return run["requests"] / (run["duration_us"] / 1e6)


def errors(run_or_runs):
    runs = run_or_runs if isinstance(run_or_runs, list) else [run_or_runs]
    return sum(sum(r["errors"].values()) for r in runs)


meta = load("meta.json", {})
config = load("config.json", {})
result = {"machine": meta, "quick": meta.get("quick"), "config": config}
result["section_seconds"] = {os.path.basename(p)[8:-5]: (load(os.path.basename(p)) or {}).get("seconds")
                             for p in sorted(glob.glob(os.path.join(RAW, "section-*.json")))}

# ---- §1 latency
lat = {}
for v in ("direct", "nginx", "gateway"):
    runs = [load(os.path.basename(f)) for f in sorted(glob.glob(os.path.join(RAW, "lat-%s-*.json" % v)))]
    runs = [r for r in runs if r]
    if not runs:
        continue
    lat[v] = {
        "rounds": len(runs),
        "requests": sum(r["requests"] for r in runs),
        # The median over rounds of each round's percentile (wrk's histogram, microseconds).
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p90_ms": statistics.median(r["latency_us"]["p90"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "mean_ms": statistics.median(r["latency_us"]["mean"] for r in runs) / 1000,
        "requests_per_s": statistics.median(rps(r) for r in runs),
        "errors": errors(runs),
        "per_round_p50_ms": [r["latency_us"]["p50"] / 1000 for r in runs],
        "per_round_p99_ms": [r["latency_us"]["p99"] / 1000 for r in runs],
    }
if len(lat) == 3:
    d, n, g = lat["direct"], lat["nginx"], lat["gateway"]
    lat["added_ms"] = {
        "nginx_p50": n["p50_ms"] - d["p50_ms"], "gateway_p50": g["p50_ms"] - d["p50_ms"],
        "nginx_p99": n["p99_ms"] - d["p99_ms"], "gateway_p99": g["p99_ms"] - d["p99_ms"],
    }
    a = lat["added_ms"]
    lat["gateway_vs_nginx_added_ratio_p50"] = ratio(a["gateway_p50"], a["nginx_p50"])
    lat["gateway_vs_nginx_added_ratio_p99"] = ratio(a["gateway_p99"], a["nginx_p99"])
else:
    missing.append("latency")
# The proxy's own CPU per request over the §1 runs (user + system time / requests answered).
for v in ("nginx", "gateway"):
    cpu = [load(os.path.basename(f)) for f in sorted(glob.glob(os.path.join(RAW, "cpu-%s-*.json" % v)))]
    cpu = [c for c in cpu if c]
    if cpu and v in lat and lat[v]["requests"] > 0:
        lat[v]["cpu_us_per_request"] = sum(c["ticks"] / c["hz"] for c in cpu) * 1e6 / lat[v]["requests"]
if all("cpu_us_per_request" in lat.get(v, {}) for v in ("nginx", "gateway")):
    lat["gateway_vs_nginx_cpu_per_request_ratio"] = ratio(lat["gateway"]["cpu_us_per_request"],
                                                          lat["nginx"]["cpu_us_per_request"])
# The gateway's stages of the same requests (bench/lib/trace.py): per interval the median over rounds
# of each round's p50/p99, in microseconds, and where the slowest 1% of each round spent their time.
stage_runs = [load(os.path.basename(f)) for f in sorted(glob.glob(os.path.join(RAW, "stages-*.json")))]
stage_runs = [s for s in stage_runs if s and s.get("requests")]
if stage_runs:
    names = list(stage_runs[0]["intervals_us"])
    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    lat["gateway_stages_us"] = {
        name: {q: med([s["intervals_us"][name][q] for s in stage_runs if s["intervals_us"][name][q] is not None])
               for q in ("p50", "p99", "max")} for name in names}
    lat["gateway_stages_slowest_1pct_mean_us"] = {
        name: med([s["slowest_1pct_mean_us"][name] for s in stage_runs
                   if s["slowest_1pct_mean_us"][name] is not None]) for name in names}
    lat["gateway_traced_requests"] = sum(s["requests"] for s in stage_runs)
    lat["gateway_traced_lease_kept"] = sum(s["lease_kept"] for s in stage_runs)
    lat["gateway_traced_upstream_connects"] = sum(s["upstream_connects"] for s in stage_runs)
    # What the gateway's own stages leave of the wrk-measured p99: the client's side and the kernel's.
    g99 = lat["gateway_stages_us"]["gateway_total"]["p99"]
    if "gateway" in lat and g99 is not None:
        lat["gateway_p99_outside_stages_ms"] = lat["gateway"]["p99_ms"] - g99 / 1000
sched = {v: load("sched-%s.json" % v) for v in ("direct", "nginx", "gateway")}
sched = {v: s for v, s in sched.items() if s}
if sched:
    lat["sched_round1"] = sched
result["latency"] = lat

# ---- §1b system calls per request (strace -c over one run at concurrency 1)
sysc = {}
for v in ("nginx", "gateway"):
    run = load("sys-%s.json" % v)
    try:
        with open(os.path.join(RAW, "strace-%s.txt" % v)) as fh:
            totals = [line.split() for line in fh if line.strip().endswith("total")]
    except OSError:
        totals = []
    if run and run["requests"] > 0 and totals:
        t = totals[-1]
        calls = int(t[3]) if len(t) >= 5 else int(t[2])
        sysc[v] = {"requests": run["requests"], "syscalls": calls, "per_request": calls / run["requests"]}
if len(sysc) != 2:
    missing.append("syscalls")
result["syscalls"] = sysc

# ---- §2 scaling
scale = {}
ns = config.get("scale_ns", [1, 2, 4, 8])
for mode in ("sleep", "zero"):
    per_n = {}
    for n in ns:
        gw = load("scale-%s-%d-gateway.json" % (mode, n))
        direct = [load(os.path.basename(f)) for f in glob.glob(os.path.join(RAW, "scale-%s-%d-direct-*.json" % (mode, n)))]
        direct = [r for r in direct if r]
        if not gw or len(direct) != n:
            continue
        per_n[str(n)] = {
            "gateway_rps": rps(gw),
            "gateway_p50_ms": gw["latency_us"]["p50"] / 1000,
            "gateway_p99_ms": gw["latency_us"]["p99"] / 1000,
            "gateway_errors": errors(gw), "direct_errors": errors(direct),
            "direct_aggregate_rps": sum(rps(r) for r in direct),
            "direct_per_instance_rps": [rps(r) for r in direct],
        }
    if "1" in per_n:
        r1 = per_n["1"]["direct_aggregate_rps"]
        for n, e in per_n.items():
            e["ideal_rps"] = int(n) * r1
            e["ratio_vs_ideal"] = ratio(e["gateway_rps"], e["ideal_rps"])
            e["ratio_vs_direct_aggregate"] = ratio(e["gateway_rps"], e["direct_aggregate_rps"])
            e["direct_ratio_vs_ideal"] = ratio(e["direct_aggregate_rps"], e["ideal_rps"])
        scale[mode] = {"single_instance_direct_rps": r1, "n": per_n}
if len(scale) != 2 or any(str(n) not in scale[m]["n"] for m in scale for n in ns):
    missing.append("scaling")
result["scaling"] = scale
largest = str(ns[-1]) if ns else None


def scale_get(mode, key):
    try:
        return scale[mode]["n"][largest][key]
    except (KeyError, TypeError):
        return None


# ---- §2's no-op comparison at the largest N, in rounds: direct aggregate, nginx, gateway (req/s)
noop_rounds = []
for r in range(1, config.get("rounds2", 0) + 1):
    row = {}
    for v in ("direct", "nginx", "gateway"):
        runs = [load(os.path.basename(p)) for p in glob.glob(os.path.join(RAW, "noop-%d-%s-*.json" % (r, v)))]
        if not largest or len([x for x in runs if x]) != int(largest):
            break
        row[v + "_rps"] = sum(rps(x) for x in runs)
        row[v + "_errors"] = errors(runs)
    else:
        noop_rounds.append(row)


def noop_median(a, b):
    return statistics.median(x[a + "_rps"] / x[b + "_rps"] for x in noop_rounds) if noop_rounds else None


noop = {"rounds": noop_rounds, "n": int(largest) if largest else None,
        "gateway_vs_direct": noop_median("gateway", "direct"), "nginx_vs_direct": noop_median("nginx", "direct"),
        "gateway_vs_nginx": noop_median("gateway", "nginx")}
if len(noop_rounds) != config.get("rounds2", 0) and "scaling" not in missing:
    missing.append("scaling")
result["noop"] = noop


# ---- §3 cold start, on dockerd and on Podman (the same runs: cold-{gateway,bare}SUFFIX.txt)
def cold_stats(suffix):
    gw_rows = rows("cold-gateway%s.txt" % suffix)
    gw_cold = [r[0] for r in gw_rows]
    bare = rows("cold-bare%s.txt" % suffix)
    bare_total = [r[0] for r in bare]
    if not (gw_cold and bare_total):
        return {}
    cold = {
        "runs": len(gw_cold),
        "timing": "curl's own time_total per call (process start-up excluded); wall_p50 includes it",
        "gateway_ms": {"p50": pct(gw_cold, 50), "p90": pct(gw_cold, 90), "min": min(gw_cold), "max": max(gw_cold),
                       "runs": gw_cold, "wall_p50": pct([r[1] for r in gw_rows], 50)},
        "bare_engine_ms": {"p50": pct(bare_total, 50), "p90": pct(bare_total, 90), "min": min(bare_total),
                           "max": max(bare_total), "runs": bare_total,
                           "p50_create": pct([r[1] for r in bare], 50), "p50_start": pct([r[2] for r in bare], 50),
                           "p50_inspect": pct([r[3] for r in bare], 50),
                           "p50_start_to_first_200": pct([r[4] for r in bare], 50),
                           "p50_tries": pct([r[5] for r in bare], 50),
                           "wall_p50": pct([r[6] for r in bare], 50)},
    }
    cold["ratio_p50"] = ratio(cold["gateway_ms"]["p50"], cold["bare_engine_ms"]["p50"])
    cold["ratio_p90"] = ratio(cold["gateway_ms"]["p90"], cold["bare_engine_ms"]["p90"])
    cold["added_p50_ms"] = cold["gateway_ms"]["p50"] - cold["bare_engine_ms"]["p50"]
    # The same through the gateway for a function declared "network": "shared" (bench-cold is
    # isolated, the default): what the isolation costs a cold start.
    shared = [r[0] for r in rows("cold-gateway-shared%s.txt" % suffix)]
    if shared:
        cold["gateway_shared_ms"] = {"p50": pct(shared, 50), "p90": pct(shared, 90), "min": min(shared),
                                     "max": max(shared), "runs": shared}
        cold["isolated_ratio_p50"] = ratio(cold["gateway_ms"]["p50"], cold["gateway_shared_ms"]["p50"])
    # ... and declared "network": "none" (invoked at its unix socket): against the isolated one.
    none = [r[0] for r in rows("cold-gateway-none%s.txt" % suffix)]
    if none:
        cold["gateway_none_ms"] = {"p50": pct(none, 50), "p90": pct(none, 90), "min": min(none),
                                   "max": max(none), "runs": none}
        cold["none_ratio_p50"] = ratio(cold["gateway_none_ms"]["p50"], cold["gateway_ms"]["p50"])
    try:
        with open(os.path.join(RAW, "cold-networks%s.txt" % suffix)) as fh:
            cold["networks"] = fh.read().strip()
    except OSError:
        pass
    return cold


cold = cold_stats("")
if not cold:
    missing.append("cold-start")
result["cold_start"] = cold
# On Podman when bench/run could run it (podman installed); its engine's version beside.
cold_podman = cold_stats("-podman")
podman_note = None
try:
    with open(os.path.join(RAW, "podman.txt")) as fh:
        podman_note = fh.read().strip()
except OSError:
    pass
if not cold_podman and podman_note and not podman_note.startswith("not measured"):
    missing.append("cold-start-podman")
if cold_podman:
    cold_podman["engine"] = podman_note
result["cold_start_podman"] = cold_podman

# ---- §4 burst
b = load("burst.json")
bc = load("burst-containers.json")
burst = {}
if b and bc:
    burst = dict(b)
    burst.update(bc)
    burst["within_limit"] = bc["containers_started"] <= bc["max_instances"]
else:
    missing.append("burst")
result["burst"] = burst

# ---- §5 activation
first = [r[0] for r in rows("act-first.txt")]
warm = [r[0] for r in rows("act-warm.txt")]
idle_rows = rows("act-idle.txt")
act = {}
if first and warm:
    act = {
        "runs": len(first),
        "first_after_idle_ms": {"p50": pct(first, 50), "max": max(first), "runs": first},
        "warm_ms": {"p50": pct(warm, 50), "p90": pct(warm, 90), "n": len(warm)},
        "exit_idle_s": config.get("exit_idle"),
        "wait_for_both_exited_ms": [r[0] for r in idle_rows],
        "lambdad_processes_after_idle": int(idle_rows[-1][1]) if idle_rows else None,
        "function_containers_after_idle": int(idle_rows[-1][2]) if idle_rows else None,
    }
    act["ratio_p50"] = ratio(act["first_after_idle_ms"]["p50"], act["warm_ms"]["p50"])
    if cold:
        act["minus_cold_start_p50_ms"] = act["first_after_idle_ms"]["p50"] - cold["gateway_ms"]["p50"]
    try:
        with open(os.path.join(RAW, "act-gateway-starts.txt")) as f:
            act["gateway_activations"] = int(f.read().strip() or 0)
    except (OSError, ValueError):
        pass
else:
    missing.append("activation")
result["activation"] = act

# ---- §6 footprint
fp = {}
for phase in ("idle", "load", "after"):
    s = load("footprint-%s.json" % phase)
    if s:
        fp[phase] = s
if len(fp) < 3:
    missing.append("footprint")
fp["lambdad_processes_after_idle"] = act.get("lambdad_processes_after_idle")
result["footprint"] = fp

# ---- §7 payloads
pl = {}
for size in (1, 6):
    e = {}
    for v in ("direct", "nginx", "gateway"):
        r = load("payload-%d-%s.json" % (size, v))
        if r:
            e[v] = {"p50_ms": r["latency_us"]["p50"] / 1000, "p99_ms": r["latency_us"]["p99"] / 1000,
                    "requests_per_s": rps(r), "mib_per_s": rps(r) * size, "requests": r["requests"],
                    "errors": errors(r)}
    if len(e) == 3:
        e["gateway_added_p50_ms"] = e["gateway"]["p50_ms"] - e["direct"]["p50_ms"]
        e["nginx_added_p50_ms"] = e["nginx"]["p50_ms"] - e["direct"]["p50_ms"]
        e["gateway_vs_direct_p50_ratio"] = ratio(e["gateway"]["p50_ms"], e["direct"]["p50_ms"])
    pl["%dMiB" % size] = e
hb, ha = load("payload-hwm-before.json"), load("payload-hwm-after.json")
if hb and ha and hb["gateway"].get("alive") and ha["gateway"].get("alive"):
    pl["gateway_vmhwm_kib_before"] = hb["gateway"]["hwm_kib"]
    pl["gateway_vmhwm_kib_after"] = ha["gateway"]["hwm_kib"]
    pl["gateway_rss_kib_after"] = ha["gateway"]["rss_kib"]
hx = load("payload-hwm-x16.json")
if hx and hx["gateway"].get("alive"):
    pl["gateway_vmhwm_kib_6mib_x16"] = hx["gateway"]["hwm_kib"]
for v in ("direct", "gateway"):
    try:
        with open(os.path.join(RAW, "ttfb-%s.txt" % v)) as fh:
            t = [tuple(map(float, line.split())) for line in fh if line.strip()]
    except OSError:
        t = []
    if t:
        pl["ttfb_6mib_%s_ms" % v] = statistics.median(x[0] for x in t) * 1000
        pl["total_6mib_%s_ms" % v] = statistics.median(x[1] for x in t) * 1000
if any(len(pl.get(k, {})) < 3 for k in ("1MiB", "6MiB")) or "gateway_vmhwm_kib_after" not in pl or \
        "gateway_vmhwm_kib_6mib_x16" not in pl or "ttfb_6mib_gateway_ms" not in pl:
    missing.append("payloads")
result["payloads"] = pl



def dist(values):
    """p50, p90, min, max and the runs of a list of times (ms)."""
    if not values:
        return {}
    return {"p50": pct(values, 50), "p90": pct(values, 90), "min": min(values), "max": max(values), "runs": values}


def bare_dist(name):
    """A section's own bare cold starts (bare_once rows): the totals, and the p50 of their parts."""
    b = rows(name)
    if not b:
        return {}
    d = dist([r[0] for r in b])
    d.update({"p50_create": pct([r[1] for r in b], 50), "p50_start": pct([r[2] for r in b], 50),
              "p50_start_to_first_200": pct([r[4] for r in b], 50), "wall_p50": pct([r[6] for r in b], 50)})
    return d


def note(name):
    try:
        with open(os.path.join(RAW, name)) as fh:
            return fh.read().strip()
    except OSError:
        return None


# ---- §8 thaw: the first invocation served by a frozen instance (rows: ms wall thaws same-container)
thaw_rows = rows("thaw-gateway.txt")
thaw = {}
if thaw_rows and rows("thaw-bare.txt"):
    # Only the runs the gateway counted as a thaw of the frozen container count.
    served = [r for r in thaw_rows if r[2] >= 1 and r[3] == 1]
    thaw = {
        "runs": len(thaw_rows), "runs_served_by_a_thaw": len(served),
        "timing": "curl's own time_total per call (process start-up excluded); wall_p50 includes it",
        "gateway_ms": dist([r[0] for r in served]),
        "bare_engine_ms": bare_dist("thaw-bare.txt"),
    }
    if served:
        thaw["gateway_ms"]["wall_p50"] = pct([r[1] for r in served], 50)
    thaw["ratio_p50"] = ratio(thaw["gateway_ms"].get("p50"), thaw["bare_engine_ms"]["p50"])
if thaw.get("ratio_p50") is None:
    missing.append("thaw")
result["thaw"] = thaw

# ---- §9 node-hello: a scale-out served by a frozen spare (rows: ms rie-init-duration thaws)
node_note = note("node.txt")
node_rows = rows("node-spare.txt")
node = {}
if node_rows and rows("node-bare.txt"):
    nf = load("node-frozen.json") or {}
    nc = (nf.get("containers") or [{}])[0].get("start", {})
    node = {
        "runs": len(node_rows),
        "tries_not_served_by_the_spare": len(rows("node-not-scaleout.txt")),
        "scale_out_ms": dist([r[0] for r in node_rows]),
        "thaws_counted": [int(r[2]) for r in node_rows],
        # lambda-rie's "Init Duration" of the spare: from its start to its first invocation, so
        # its time frozen included; it marks the answer as the spare's.
        "spare_rie_init_duration_ms": [r[1] for r in node_rows],
        "bare_engine_ms": bare_dist("node-bare.txt"),
        "frozen_spare_memory_bytes": nc.get("engine_memory_working_set"),
    }
    node["ratio_p50"] = ratio(node["scale_out_ms"]["p50"], node["bare_engine_ms"]["p50"])
elif not node_note:
    missing.append("node-spare")
if node_note:
    node["note"] = node_note
result["node_spare"] = node

# ---- §13 node-stream: time to first byte, streamed (InvokeWithResponseStream) vs buffered (Invoke)
stream = load("stream-ttfb.json") or {}
if not stream and not node_note:
    missing.append("stream-ttfb")
if node_note:
    stream["note"] = node_note
result["stream_ttfb"] = {k: stream.get(k) for k in ("runs", "payload", "streamed_ttfb_p50_ms", "streamed_total_p50_ms",
                                                      "buffered_ttfb_p50_ms", "buffered_total_p50_ms", "note")}

# ---- §10 frozen instances: memory each, CPU over the window
fz = load("frozen.json")
frozen = {}
if fz and fz.get("containers"):
    cs = fz["containers"]

    def mean_mib(key):
        v = [c["start"][key] for c in cs if c["start"].get(key) is not None]
        return statistics.mean(v) / 1048576 if v else None

    cpu = [c.get("cgroup_cpu_ns_used") for c in cs]
    eng = [c.get("engine_cpu_ns_used") for c in cs]
    frozen = {
        "instances": len(cs), "seconds": fz["seconds"],
        "paused_throughout": all(c["paused_start"] and c.get("paused_end") for c in cs),
        "memory_mib_per_instance": {"engine_working_set": mean_mib("engine_memory_working_set"),
                                    "engine_usage": mean_mib("engine_memory_usage"),
                                    "engine_rss": mean_mib("engine_memory_rss"),
                                    "cgroup": mean_mib("cgroup_memory")},
        "cpu_ns_cgroup": None if None in cpu else sum(cpu),
        "cpu_ns_engine": None if None in eng else sum(eng),
        "per_instance": [{"id": c["id"], "memory_bytes": c["start"].get("engine_memory_working_set"),
                          "cpu_ns": c.get("cgroup_cpu_ns_used")} for c in cs],
    }
if frozen.get("cpu_ns_cgroup") is None:
    missing.append("frozen")
result["frozen"] = frozen

# ---- §11 recovery from a manager SIGKILL (rows: ms wall attempts acquires manager-running)
rec = {}
rec_bare = bare_dist("recovery-bare.txt")
for case in ("held", "released"):
    rr = rows("recovery-%s.txt" % case)
    if not rr or not rec_bare:
        continue
    held = sum(1 for r in rr if r[3] == 0)
    rec[case] = {
        "runs": len(rr), "ms": dist([r[0] for r in rr]), "wall_p50": pct([r[1] for r in rr], 50),
        "answers_before_the_200": int(sum(r[2] - 1 for r in rr)),
        "served_on_a_held_lease": held, "served_after_a_new_manager_lifetime": len(rr) - held,
        "manager_running_at_the_answer": int(sum(r[4] > 0 for r in rr)),
    }
    rec[case]["ratio_p50"] = ratio(rec[case]["ms"]["p50"], rec_bare["p50"])
if len(rec) < 2:
    missing.append("recovery")
rec["bare_engine_ms"] = rec_bare
rec["gateway_log"] = (note("recovery-gateway-log.txt") or "").splitlines()
result["recovery"] = rec

# ---- §14 a planned manager restart under 8 clients (restart-load.log: start end status extra)
restart = {}
rt = numbers("restart-times.txt")
try:
    with open(os.path.join(RAW, "restart-load.log")) as fh:
        rl = [(float(a[0]), float(a[1]), int(a[2])) for a in (line.split() for line in fh) if len(a) >= 3]
except OSError:
    rl = []
if len(rt) == 3 and rl:
    w, t0, t1 = rt
    before = [e - b for b, e, c in rl if t0 - w <= b < t0]
    during = [e - b for b, e, c in rl if t0 <= b < t0 + w]
    window = [c for b, e, c in rl if b < t0 + w and e >= t0]
    statuses = {}
    for c in window:
        statuses[str(c)] = statuses.get(str(c), 0) + 1
    restart = {
        "window_s": w, "restart_s": t1 - t0, "requests": len(rl),
        "errors_in_window": sum(1 for c in window if c != 200),
        "errors_in_all": sum(1 for b, e, c in rl if c != 200),
        "answers_in_window_by_status": statuses,
        "before": {"requests": len(before), "p50_ms": rnd(pct(before, 50) * 1000 if before else None, 2),
                   "p99_ms": rnd(pct(before, 99) * 1000 if before else None, 2)},
        "during": {"requests": len(during), "p50_ms": rnd(pct(during, 50) * 1000 if during else None, 2),
                   "p99_ms": rnd(pct(during, 99) * 1000 if during else None, 2),
                   "max_ms": rnd(max(during) * 1000 if during else None, 2)},
    }
    restart["p99_ratio"] = ratio(restart["during"]["p99_ms"], restart["before"]["p99_ms"])
else:
    missing.append("restart")
result["restart"] = restart


# ---- §15 zip functions: code_reload_ms, the cold start of a zip function vs the same code as an image
zipf = {}
zr = load("zip-reload.json") or {}
if zr.get("runs"):
    # Where each reload's time went, from the manager's log lines (times: when bench/lib/reload.py
    # read them, in ms from the save): the change seen (after the quiet period), the new code's
    # instance ready, the old one stopped.
    phases = {"change_logged": [], "new_instance_ready": [], "old_instance_stopped": []}
    for tl in zr.get("timeline", []):
        changed = next((t for t, line in tl if "Code directory" in line and "changed" in line), None)
        if changed is None:
            continue
        phases["change_logged"].append(changed)
        ready = next((t for t, line in tl if t >= changed and "bench-zip-reload' ready" in line), None)
        stopped = next((t for t, line in tl if t >= changed and "bench-zip-reload' stopped" in line), None)
        if ready is not None:
            phases["new_instance_ready"].append(ready)
        if stopped is not None:
            phases["old_instance_stopped"].append(stopped)
    zipf["reload"] = {
        "save": zr.get("mode"), "ms": dist(zr["runs"]), "polls": zr.get("polls"), "old_answers": zr.get("old_answers"),
        "errors": zr.get("errors"), "error_samples": zr.get("error_samples"),
        "phases_p50_ms_from_the_save": {k: rnd(pct(v, 50), 1) for k, v in phases.items()},
        "timeline": zr.get("timeline"),
    }
zc_zip, zc_img = rows("zip-cold-zip.txt"), rows("zip-cold-image.txt")
if zc_zip and zc_img:
    zipf["cold"] = {
        "timing": "curl's own time_total per call (process start-up excluded); wall_p50 includes it",
        "zip_ms": dist([r[0] for r in zc_zip]), "image_ms": dist([r[0] for r in zc_img]),
        "zip_wall_p50": pct([r[1] for r in zc_zip], 50), "image_wall_p50": pct([r[1] for r in zc_img], 50),
    }
    zipf["cold"]["ratio_p50"] = ratio(zipf["cold"]["zip_ms"]["p50"], zipf["cold"]["image_ms"]["p50"])
zipf["store"] = load("zip-store.json") or {}
if "reload" not in zipf or "cold" not in zipf or not zipf["store"]:
    missing.append("zip")
result["zip"] = zipf

# ---- §16 the control-plane API: CreateFunction → first answer vs a declared function's cold start,
# and UpdateFunctionCode → the first answer of the new code
apif = {}
ac, ad = rows("api-create.txt"), rows("api-cold-declared.txt")
if ac and ad:
    apif["create"] = {"ms": dist([r[0] for r in ac]), "create_call_ms_p50": pct([r[1] for r in ac], 50),
                      "invokes_max": max(int(r[2]) for r in ac), "declared_cold_ms": dist([r[0] for r in ad])}
    apif["create"]["ratio_p50"] = ratio(apif["create"]["ms"]["p50"], apif["create"]["declared_cold_ms"]["p50"])
au = load("api-update.json") or {}
if au.get("runs"):
    apif["update"] = dict(au, ms=dist(au["runs"]), update_call_ms_p50=pct(au["update_ms"], 50))
if "create" not in apif or "update" not in apif:
    missing.append("api")
result["api"] = apif


def served_by(case):
    e = rec.get(case)
    if not e:
        return None
    if e["served_after_a_new_manager_lifetime"] == 0:
        return "held lease"
    if e["served_on_a_held_lease"] == 0:
        return "new manager lifetime"
    return "held lease %d, new manager lifetime %d" % (e["served_on_a_held_lease"],
                                                         e["served_after_a_new_manager_lifetime"])


# ---- the gateway's own counters over §1-§4
counters = {}
try:
    with open(os.path.join(RAW, "gateway-metrics.txt")) as fh:
        for line in fh:
            k, _, v = line.strip().rpartition(" ")
            if k:
                counters[k] = float(v)
except OSError:
    pass
classes = {}
for k, v in counters.items():
    if k.startswith("lambdad_requests_total{") and 'code="' in k:
        c = k.split('code="', 1)[1].split('"', 1)[0]
        classes[c] = classes.get(c, 0) + int(v)
result["gateway_counters"] = {"requests_by_status_class": classes,
                              "function_errors": int(sum(v for k, v in counters.items() if k.startswith("lambdad_function_errors_total"))),
                              "cold_starts": int(sum(v for k, v in counters.items() if k.startswith("lambdad_cold_starts_total"))),
                              "manager_errors": int(counters.get("lambdad_manager_errors_total", 0)),
                              "connections": int(counters.get("lambdad_connections_total", 0))}


# ---- headline
result["gateway_vs_nginx_added_latency_ratio"] = rnd(lat.get("gateway_vs_nginx_added_ratio_p50"))
result["cold_start_ratio"] = rnd(cold.get("ratio_p50"))
result["cold_start_ratio_podman"] = rnd(cold_podman.get("ratio_p50"))
result["isolated_cold_start_ratio"] = rnd(cold.get("isolated_ratio_p50"))
result["none_cold_start_ratio"] = rnd(cold.get("none_ratio_p50"))
result["throughput_scaling_ratio"] = rnd(scale_get("sleep", "ratio_vs_ideal"))
result["throughput_scaling_ratio_zero_work"] = rnd(scale_get("zero", "ratio_vs_ideal"))
result["throughput_scaling_ratio_zero_work_vs_direct_aggregate"] = rnd(scale_get("zero", "ratio_vs_direct_aggregate"))
result["burst_containers_started"] = burst.get("containers_started")
result["gateway_vs_nginx_added_p99_ratio"] = rnd(lat.get("gateway_vs_nginx_added_ratio_p99"))
result["gateway_vs_nginx_cpu_per_request_ratio"] = rnd(lat.get("gateway_vs_nginx_cpu_per_request_ratio"))
result["gateway_syscalls_per_request"] = rnd(sysc.get("gateway", {}).get("per_request"), 1)
result["nginx_syscalls_per_request"] = rnd(sysc.get("nginx", {}).get("per_request"), 1)
# The median of the rounds' gateway / direct aggregate (§2's no-op comparison), with nginx beside it.
result["noop_throughput_ratio"] = rnd(noop["gateway_vs_direct"])
result["noop_nginx_vs_direct_ratio"] = rnd(noop["nginx_vs_direct"])
result["noop_gateway_vs_nginx_ratio"] = rnd(noop["gateway_vs_nginx"])
# §1's stages inside the gateway (issue #26: where the p99 goes), microseconds.
result["gateway_stage_p50_us"] = {k: rnd(v["p50"], 1) for k, v in lat.get("gateway_stages_us", {}).items()} or None
result["gateway_stage_p99_us"] = {k: rnd(v["p99"], 1) for k, v in lat.get("gateway_stages_us", {}).items()} or None
result["gateway_peak_rss_mb_6mb_x16"] = rnd(pl["gateway_vmhwm_kib_6mib_x16"] / 1024, 1) \
    if "gateway_vmhwm_kib_6mib_x16" in pl else None
for size in (1, 6):
    e = pl.get("%dMiB" % size, {})
    # Issue #26's goals: the gateway's added p50 over nginx's (<= 1), its MiB/s over nginx's (>= 1).
    result["payload_%dmib_added_ratio" % size] = rnd(ratio(e.get("gateway_added_p50_ms"), e.get("nginx_added_p50_ms"))) \
        if len(e) > 3 else None
    result["payload_%dmib_mib_per_s_ratio" % size] = rnd(ratio(e["gateway"]["mib_per_s"], e["nginx"]["mib_per_s"])) \
        if len(e) > 3 else None
result["ttfb_6mb_gateway_ms"] = rnd(pl.get("ttfb_6mib_gateway_ms"), 1)
result["total_6mb_direct_ms"] = rnd(pl.get("total_6mib_direct_ms"), 1)
result["thaw_start_ratio"] = rnd(thaw.get("ratio_p50"))
result["node_spare_start_ratio"] = rnd(node.get("ratio_p50"))
result["stream_ttfb_ratio"] = rnd(stream.get("ttfb_ratio"))
result["manager_recovery_ratio"] = rnd(rec.get("held", {}).get("ratio_p50"))
result["manager_recovery_served_by"] = served_by("held")
result["manager_recovery_ratio_no_lease"] = rnd(rec.get("released", {}).get("ratio_p50"))
result["manager_recovery_no_lease_served_by"] = served_by("released")
result["manager_restart_errors"] = restart.get("errors_in_window")
result["manager_restart_p99_ratio"] = rnd(restart.get("p99_ratio"))
result["code_reload_ms"] = rnd(zipf.get("reload", {}).get("ms", {}).get("p50"), 1)
result["code_reload_ms_p90"] = rnd(zipf.get("reload", {}).get("ms", {}).get("p90"), 1)
result["code_reload_ms_max"] = rnd(zipf.get("reload", {}).get("ms", {}).get("max"), 1)
result["code_reload_ms_samples"] = zipf.get("reload", {}).get("ms", {}).get("runs")
result["zip_cold_start_ratio"] = rnd(zipf.get("cold", {}).get("ratio_p50"))
result["zip_cold_start_ms_p50"] = rnd(zipf.get("cold", {}).get("zip_ms", {}).get("p50"), 1)
result["image_cold_start_ms_p50"] = rnd(zipf.get("cold", {}).get("image_ms", {}).get("p50"), 1)
result["zip_store_entries_for_two_functions"] = zipf["store"].get("zip_store_entries_for_two_functions")
result["create_to_first_answer_ratio"] = rnd(apif.get("create", {}).get("ratio_p50"))
result["create_to_first_answer_ms_p50"] = rnd(apif.get("create", {}).get("ms", {}).get("p50"), 1)
result["declared_cold_start_ms_p50"] = rnd(apif.get("create", {}).get("declared_cold_ms", {}).get("p50"), 1)
result["update_code_to_first_answer_ms"] = rnd(apif.get("update", {}).get("ms", {}).get("p50"), 1)
result["update_code_to_first_answer_ms_max"] = rnd(apif.get("update", {}).get("ms", {}).get("max"), 1)
result["frozen_instance_memory_mib"] = rnd(frozen.get("memory_mib_per_instance", {}).get("engine_working_set"), 2)
result["frozen_instances_cpu_ns"] = frozen.get("cpu_ns_cgroup")
eq = load("event-queue.json", {}) or {}
if not eq:
    missing.append("event-queue")
result["event_queue"] = eq
result["event_queue_accepted_per_s"] = eq.get("accepted_events_per_s")
result["event_queue_vs_raw_fsync_ratio"] = eq.get("ratio")

# ---- §17 node-throughput: lambdad vs serverless-offline, the same trivial Node handler
ntput, ntput_keys = report_node_tput.node_tput(RAW)
if not ntput["lambdad"]["c8"] and not ntput.get("note"):
    if node_note:
        ntput["note"] = node_note
    else:
        missing.append("node-throughput")
result["node_throughput"] = ntput
result.update(ntput_keys)
result["goals"] = {
    "gateway_adds_no_more_than_nginx": None if result["gateway_vs_nginx_added_latency_ratio"] is None
    else result["gateway_vs_nginx_added_latency_ratio"] <= 1.0,
    "throughput_scaling_at_least_0.8": None if result["throughput_scaling_ratio"] is None
    else result["throughput_scaling_ratio"] >= 0.8,
    "cold_start_ratio_at_most_1.15": None if result["cold_start_ratio"] is None else result["cold_start_ratio"] <= 1.15,
    "isolated_cold_start_ratio_at_most_1.05": None if result["isolated_cold_start_ratio"] is None
    else result["isolated_cold_start_ratio"] <= 1.05,
    "burst_within_max_instances_all_answered": None if not burst
    else bool(burst["within_limit"] and burst["all_answered"]),
    "no_lambdad_processes_after_idle": None if act.get("lambdad_processes_after_idle") is None
    else act["lambdad_processes_after_idle"] == 0,
    "added_p99_no_more_than_nginx": None if result["gateway_vs_nginx_added_p99_ratio"] is None
    else result["gateway_vs_nginx_added_p99_ratio"] <= 1.0,
    "cpu_per_request_no_more_than_nginx": None if result["gateway_vs_nginx_cpu_per_request_ratio"] is None
    else result["gateway_vs_nginx_cpu_per_request_ratio"] <= 1.0,
    "syscalls_per_request_at_most_8": None if result["gateway_syscalls_per_request"] is None
    else result["gateway_syscalls_per_request"] <= 8,
    "noop_throughput_at_least_0.8": None if result["noop_throughput_ratio"] is None
    else result["noop_throughput_ratio"] >= 0.8,
    "peak_rss_6mb_x16_under_32mb": None if result["gateway_peak_rss_mb_6mb_x16"] is None
    else result["gateway_peak_rss_mb_6mb_x16"] < 32,
    "first_byte_before_the_instance_finished": None
    if result["ttfb_6mb_gateway_ms"] is None or result["total_6mb_direct_ms"] is None
    else result["ttfb_6mb_gateway_ms"] < result["total_6mb_direct_ms"],
    "thaw_start_ratio_at_most_0.25": None if result["thaw_start_ratio"] is None
    else result["thaw_start_ratio"] <= 0.25,
    "node_spare_start_ratio_at_most_0.15": None if result["node_spare_start_ratio"] is None
    else result["node_spare_start_ratio"] <= 0.15,
    "manager_recovery_ratio_at_most_2": None if result["manager_recovery_ratio"] is None
    else result["manager_recovery_ratio"] <= 2.0,
    "manager_recovery_no_lease_ratio_at_most_2": None if result["manager_recovery_ratio_no_lease"] is None
    else result["manager_recovery_ratio_no_lease"] <= 2.0,
    "manager_restart_no_errors": None if result["manager_restart_errors"] is None
    else result["manager_restart_errors"] == 0,
    "frozen_instances_use_no_cpu": None if result["frozen_instances_cpu_ns"] is None
    else result["frozen_instances_cpu_ns"] == 0 and frozen["paused_throughout"],
    "code_reload_under_1000ms": None if result["code_reload_ms"] is None else result["code_reload_ms"] < 1000,
    "zip_cold_start_ratio_at_most_1.1": None if result["zip_cold_start_ratio"] is None
    else result["zip_cold_start_ratio"] <= 1.1,
    "zip_store_one_entry_for_two_functions": None if result["zip_store_entries_for_two_functions"] is None
    else result["zip_store_entries_for_two_functions"] == 1,
    "create_to_first_answer_ratio_at_most_1.2": None if result["create_to_first_answer_ratio"] is None
    else result["create_to_first_answer_ratio"] <= 1.2,
    "update_code_to_first_answer_at_most_1000ms": None if result["update_code_to_first_answer_ms"] is None
    else result["update_code_to_first_answer_ms"] <= 1000,
}
# With --sections, what was not asked for is not missing: each name of `missing` is its section's
# (footprint: footprint-idle's, with the samples of scaling and burst).
sections = config.get("sections")
result["goals"].update({
    "node_c8_vs_sls_worker_ratio_at_least_1.25": None if result["node_c8_vs_sls_worker_ratio"] is None
    else result["node_c8_vs_sls_worker_ratio"] >= 1.25,
    "node_c8_p99_vs_sls_worker_ratio_at_most_1": None if result["node_c8_p99_vs_sls_worker_ratio"] is None
    else result["node_c8_p99_vs_sls_worker_ratio"] <= 1.0,
    "node_c1_p50_vs_sls_worker_ratio_at_most_0.8": None if result["node_c1_p50_vs_sls_worker_ratio"] is None
    else result["node_c1_p50_vs_sls_worker_ratio"] <= 0.8,
})
result["sections"] = sections


def asked(m):
    return sections is None or {"footprint": "footprint-idle"}.get(m, m) in sections


result["missing"] = [m for m in missing if asked(m)] + [m for m in config.get("failed", []) if m not in missing]

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "latest.json"), "w") as f:
    json.dump(result, f, indent=1, sort_keys=False)
    f.write("\n")


# ---- markdown
def f(x, n=2, unit=""):
    if x is None:
        return "—"
    if isinstance(x, float):
        return ("%." + str(n) + "f%s") % (x, unit)
    return "%s%s" % (x, unit)


def mib(kib):
    return None if kib is None else kib / 1024


md = []
m = meta
md.append("# lambdad benchmarks%s\n" % (" (--quick: short runs, not for comparison)" if m.get("quick") else ""))
md.append("%s, %s cores (%s), %s MiB, kernel %s, %s; Docker %s, nginx %s, wrk %s; lambdad %s%s. "
          "Run took %s s; load average %.2f at the start, %.2f at the end.\n" % (
              m.get("date"), m.get("nproc"), m.get("cpu_model"), m.get("memory_mib"), m.get("kernel"), m.get("os"),
              m.get("docker"), m.get("nginx"), m.get("wrk"), m.get("git_commit"),
              " (with local changes)" if m.get("git_dirty") else "", m.get("seconds"),
              m.get("load_average_start") or 0, m.get("load_average_end") or 0))
publish = config.get("publish", "loopback")
md.append("Everything on loopback, each figure against its baseline measured in the same run. The gateway runs "
          "with `--no-auth` (no API key or SigV4 check) and `--lease-idle=1`; the function is `bench/echo-c`, "
          "a C runtime that echoes its event (a few µs of work), in a `FROM scratch` image with lambda-rie. "
          "Instances are reached %s (the manager's `--publish=%s`), by the gateway and the direct calls alike. "
          "Produced by `bench/run%s%s%s`.\n"
          % ("at their port published on 127.0.0.1, through the engine's docker-proxy" if publish == "loopback"
             else "at their address on the bridge", publish,
             " --quick" if m.get("quick") else "",
             " --sections " + ",".join(config["sections"]) if config.get("sections") else "",
             " --publish " + publish if publish != "loopback" else ""))

md.append("## Headline\n")
md.append("| figure | value | goal | met |")
md.append("|---|---|---|---|")
g = result["goals"]


def met(x):
    return "—" if x is None else ("yes" if x else "**no**")


md.append("| `gateway_vs_nginx_added_latency_ratio` (§1, p50 added over direct: gateway / nginx) | %s | ≤ 1 | %s |"
          % (f(result["gateway_vs_nginx_added_latency_ratio"]), met(g["gateway_adds_no_more_than_nginx"])))
md.append("| `throughput_scaling_ratio` (§2, N = %s, %s ms function: gateway / (N × one instance direct)) | %s | ≥ 0.8 | %s |"
          % (largest, config.get("sleep_ms"), f(result["throughput_scaling_ratio"]), met(g["throughput_scaling_at_least_0.8"])))
md.append("| `gateway_vs_nginx_added_p99_ratio` (§1, p99 added over direct: gateway / nginx) | %s | ≤ 1 | %s |"
          % (f(result["gateway_vs_nginx_added_p99_ratio"]), met(g["added_p99_no_more_than_nginx"])))
md.append("| `gateway_vs_nginx_cpu_per_request_ratio` (§1, CPU per request: gateway / nginx worker) | %s | ≤ 1 | %s |"
          % (f(result["gateway_vs_nginx_cpu_per_request_ratio"]), met(g["cpu_per_request_no_more_than_nginx"])))
md.append("| system calls per request, gateway (nginx: %s) (§1b, strace -c) | %s | ≤ 8 | %s |"
          % (f(result["nginx_syscalls_per_request"], 1), f(result["gateway_syscalls_per_request"], 1),
             met(g["syscalls_per_request_at_most_8"])))
md.append("| `noop_throughput_ratio` (§2, N = 8, no-op function: gateway / the instances driven directly at once; "
          "median of rounds; nginx in the same place: %s) | %s | ≥ 0.8 | %s |"
          % (f(result["noop_nginx_vs_direct_ratio"]), f(result["noop_throughput_ratio"]),
             met(g["noop_throughput_at_least_0.8"])))
md.append("| 6 MiB answer: first byte through the gateway / whole answer direct, ms (§7) | %s / %s | first < whole | %s |"
          % (f(result["ttfb_6mb_gateway_ms"], 1), f(result["total_6mb_direct_ms"], 1),
             met(g["first_byte_before_the_instance_finished"])))
md.append("| `gateway_peak_rss_mb_6mb_x16` (§7, VmHWM with 16 answers of 6 MiB at once) | %s | < 32 | %s |"
          % (f(result["gateway_peak_rss_mb_6mb_x16"], 1), met(g["peak_rss_6mb_x16_under_32mb"])))
md.append("| `cold_start_ratio` (§3, p50: gateway / bare Engine API) | %s | ≤ 1.15 | %s |"
          % (f(result["cold_start_ratio"]), met(g["cold_start_ratio_at_most_1.15"])))
md.append("| `isolated_cold_start_ratio` (§3, p50 through the gateway: isolated %s ms / shared %s ms; %s) | %s | ≤ 1.05 | %s |"
          % (f(cold.get("gateway_ms", {}).get("p50"), 1), f(cold.get("gateway_shared_ms", {}).get("p50"), 1),
             cold.get("networks", "?"), f(result["isolated_cold_start_ratio"]),
             met(g["isolated_cold_start_ratio_at_most_1.05"])))
md.append("| `none_cold_start_ratio` (§3, p50 through the gateway: \"network\": \"none\" %s ms / isolated %s ms) | %s | — | — |"
          % (f(cold.get("gateway_none_ms", {}).get("p50"), 1), f(cold.get("gateway_ms", {}).get("p50"), 1),
             f(result["none_cold_start_ratio"])))
md.append("| `burst_containers_started` (§4, %s requests, max_instances %s, freeze on) | %s | ≤ %s, all answered | %s |"
          % (config.get("burst_n"), config.get("burst_max"), f(result["burst_containers_started"]),
             config.get("burst_max"), met(g["burst_within_max_instances_all_answered"])))
md.append("| lambdad processes after the idle period (§5/§6) | %s | 0 | %s |"
          % (f(act.get("lambdad_processes_after_idle")), met(g["no_lambdad_processes_after_idle"])))
md.append("| `thaw_start_ratio` (§8, p50: first invocation served by a frozen instance, through the gateway / bare "
          "Engine API cold start) | %s | ≤ 0.25 | %s |" % (f(result["thaw_start_ratio"]), met(g["thaw_start_ratio_at_most_0.25"])))
md.append("| `node_spare_start_ratio` (§9, p50, node-hello: scale-out served by a frozen spare / bare cold start of the "
          "image) | %s | ≤ 0.15 | %s |" % (f(result["node_spare_start_ratio"]) if node.get("ratio_p50") is not None
                                            else (node.get("note") or "—"), met(g["node_spare_start_ratio_at_most_0.15"])))
md.append("| `stream_ttfb_ratio` (§13, p50, node-stream writing 5 chunks 200 ms apart: time to first byte "
          "of InvokeWithResponseStream / of Invoke; %s ms / %s ms) | %s | — | — |"
          % (f(stream.get("streamed_ttfb_p50_ms"), 1), f(stream.get("buffered_ttfb_p50_ms"), 1),
             f(result["stream_ttfb_ratio"], 3) if stream.get("ttfb_ratio") is not None else (stream.get("note") or "—")))
md.append("| `manager_recovery_ratio` (§11, p50: manager SIGKILL → first 200 of a warm function, the gateway holding its "
          "lease; served by: %s / bare cold start) | %s | ≤ 2 | %s |"
          % (result["manager_recovery_served_by"] or "—", f(result["manager_recovery_ratio"]),
             met(g["manager_recovery_ratio_at_most_2"])))
md.append("| `manager_recovery_ratio_no_lease` (§11, the same once the gateway gave the lease back; served by: %s) "
          "| %s | ≤ 2 | %s |" % (result["manager_recovery_no_lease_served_by"] or "—",
                                 f(result["manager_recovery_ratio_no_lease"]),
                                 met(g["manager_recovery_no_lease_ratio_at_most_2"])))
md.append("| `manager_restart_errors` (§14: answers other than 200 to 8 keep-alive clients of a warm function "
          "in flight during a planned manager restart's %s s window) | %s | 0 | %s |"
          % (f(restart.get("window_s"), 0), f(result["manager_restart_errors"]), met(g["manager_restart_no_errors"])))
md.append("| `manager_restart_p99_ratio` (§14: p99 latency of the requests started in the restart's window / in an "
          "equal window before it; %s ms / %s ms) | %s | — | — |"
          % (f(restart.get("during", {}).get("p99_ms"), 1), f(restart.get("before", {}).get("p99_ms"), 1),
             f(result["manager_restart_p99_ratio"])))
md.append("| `event_queue_vs_raw_fsync_ratio` (§12: Event invocations accepted per second, each fsync'd before its 202: "
          "%s/s / bare write + fsync + rename + directory fsync loop: %s/s) | %s | — | — |"
          % (f(eq.get("accepted_events_per_s"), 0), f(eq.get("raw_durable_writes_per_s"), 0),
             f(result["event_queue_vs_raw_fsync_ratio"])))
md.append("| `code_reload_ms` (§15, p50 of %s: a save in a code_directory (%s) → the first answer of the new code, "
          "through the gateway; p90 %s, max %s) | %s | < 1000 | %s |"
          % (len(result["code_reload_ms_samples"] or []), zipf.get("reload", {}).get("save") or "—",
             f(result["code_reload_ms_p90"], 0), f(result["code_reload_ms_max"], 0), f(result["code_reload_ms"], 0),
             met(g["code_reload_under_1000ms"])))
md.append("| `zip_cold_start_ratio` (§15, p50 through the gateway: zip function %s ms / the same code as an image %s ms) "
          "| %s | ≤ 1.1 | %s |" % (f(result["zip_cold_start_ms_p50"], 1), f(result["image_cold_start_ms_p50"], 1),
                                  f(result["zip_cold_start_ratio"]), met(g["zip_cold_start_ratio_at_most_1.1"])))
md.append("| `zip_store_entries_for_two_functions` (§15: code-* entries of the store holding the zip of two functions) "
          "| %s | 1 | %s |" % (f(result["zip_store_entries_for_two_functions"]),
                              met(g["zip_store_one_entry_for_two_functions"])))
md.append("| `create_to_first_answer_ratio` (§16, p50 through the gateway: CreateFunction of a zip → its first answer "
          "%s ms (the call itself %s ms) / the cold start of a declared zip function %s ms) | %s | ≤ 1.2 | %s |"
          % (f(result["create_to_first_answer_ms_p50"], 1), f(apif.get("create", {}).get("create_call_ms_p50"), 1),
             f(result["declared_cold_start_ms_p50"], 1), f(result["create_to_first_answer_ratio"]),
             met(g["create_to_first_answer_ratio_at_most_1.2"])))
md.append("| `update_code_to_first_answer_ms` (§16, p50 of %s: UpdateFunctionCode → the first answer of the new code, "
          "through the gateway; the call itself %s ms, max %s) | %s | ≤ 1000 | %s |"
          % (len(apif.get("update", {}).get("runs", [])), f(apif.get("update", {}).get("update_call_ms_p50"), 0),
             f(result["update_code_to_first_answer_ms_max"], 0), f(result["update_code_to_first_answer_ms"], 0),
             met(g["update_code_to_first_answer_at_most_1000ms"])))
md.append("| `frozen_instance_memory_mib` (§10, per frozen instance, engine stats as `docker stats` shows it) | %s | — | — |"
          % f(result["frozen_instance_memory_mib"]))
md.append("| `frozen_instances_cpu_ns` (§10, %s frozen instances over %s s, cgroup cpuacct) | %s | 0 | %s |"
          % (frozen.get("instances", "—"), f(frozen.get("seconds"), 0), f(result["frozen_instances_cpu_ns"]),
             met(g["frozen_instances_use_no_cpu"])))
if result["missing"]:
    md.append("\n**Not measured:** %s\n" % ", ".join(result["missing"]))
md.append("")

md.append("## 1. Warm invoke latency, concurrency 1\n")
md.append("wrk, one connection (keep-alive), %s round(s) of %s s per path, rotating the order; figures are the median "
          "over rounds. Same warm instance for all three paths.\n" % (config.get("rounds1"), config.get("d1")))
md.append("| path | p50 ms | p90 ms | p99 ms | req/s | added p50 ms | added p99 ms | requests (errors) |")
md.append("|---|---|---|---|---|---|---|---|")
for v, label in (("direct", "direct to lambda-rie (baseline)"), ("nginx", "nginx `proxy_pass`, keep-alive upstream"),
                 ("gateway", "lambda-gateway")):
    e = lat.get(v)
    if not e:
        continue
    a = lat.get("added_ms", {})
    md.append("| %s | %s | %s | %s | %s | %s | %s | %d (%d) |" % (
        label, f(e["p50_ms"], 3), f(e["p90_ms"], 3), f(e["p99_ms"], 3), f(e["requests_per_s"], 0),
        "—" if v == "direct" else f(a.get(v + "_p50"), 3), "—" if v == "direct" else f(a.get(v + "_p99"), 3),
        e["requests"], e["errors"]))
md.append("\nAdded latency, gateway / nginx: p50 **%s**, p99 %s.\n" % (
    f(lat.get("gateway_vs_nginx_added_ratio_p50")), f(lat.get("gateway_vs_nginx_added_ratio_p99"))))

if lat.get("gateway_stages_us"):
    md.append("Inside the gateway, the same requests stage by stage (LAMBDAD_GATEWAY_TRACE, src/gateway/trace.h; "
              "µs, the median over rounds of each round's percentile; %d requests, %d on a kept lease, %d upstream "
              "connects). *instance* is from the request written to the instance to the first byte of its answer "
              "(docker-proxy when the port is published through it, lambda-rie, the function, and their wake-ups); *gateway total* is from the loop's wake-up for "
              "the request to the last byte given to the socket.\n" % (
                  lat["gateway_traced_requests"], lat["gateway_traced_lease_kept"],
                  lat["gateway_traced_upstream_connects"]))
    md.append("| stage | p50 µs | p99 µs | max µs | slowest 1%, mean µs |")
    md.append("|---|---|---|---|---|")
    for name, e in lat["gateway_stages_us"].items():
        md.append("| %s | %s | %s | %s | %s |" % (name.replace("_", " "), f(e["p50"], 1), f(e["p99"], 1),
                                                   f(e["max"], 1),
                                                   f(lat["gateway_stages_slowest_1pct_mean_us"].get(name), 1)))
    md.append("\nThe wrk-measured p99 through the gateway less the p99 of *gateway total*: %s ms (wrk's own "
              "wake-ups, the kernel's loopback, the gateway's wake-up for the request).\n"
              % f(lat.get("gateway_p99_outside_stages_ms"), 3))
if lat.get("sched_round1"):
    md.append("The scheduler in round 1 (perf sched, LAMBDAD_BENCH_SCHED=1): how long each process of the path "
              "waited for a CPU once woken, ms (p50 / p99 / max, runs).\n")
    md.append("| path | wrk | proxy | lambda-rie | function | others on the CPUs (ms of run time) |")
    md.append("|---|---|---|---|---|---|")
    for v, s in lat["sched_round1"].items():
        d = s["sch_delay_ms"]
        cell = lambda t: "%s / %s / %s (%d)" % (f(d[t]["p50"], 3), f(d[t]["p99"], 3), f(d[t]["max"], 3), d[t]["runs"]) \
            if t in d else "—"  # noqa: E731
        proxy = {"nginx": "nginx", "gateway": "lambda-gateway"}.get(v)
        md.append("| %s | %s | %s | %s | %s | %s |" % (v, cell("wrk"), cell(proxy) if proxy else "—", cell("lambda-rie"),
                                                   cell("bootstrap"),
                                                   ", ".join("%s %s" % kv for kv in s["others_run_ms"].items())))
    md.append("")

md.append("## 2. Throughput scaling, concurrency N over N warm instances\n")
md.append("%s s per run. Ideal = N × the rate of one instance driven directly at concurrency 1; direct aggregate = N "
          "instances driven directly at once (one wrk each), i.e. what the machine gives without lambdad.\n"
          % config.get("d2"))
for mode, title in (("sleep", "function sleeping %s ms per invocation (I/O-like; headline)" % config.get("sleep_ms")),
                    ("zero", "function doing no work (CPU-bound on %s cores)" % m.get("nproc"))):
    s = scale.get(mode)
    if not s:
        continue
    md.append("**%s** — one instance direct: %s req/s\n" % (title, f(s["single_instance_direct_rps"], 0)))
    md.append("| N | gateway req/s | ideal req/s | gateway / ideal | direct aggregate req/s | gateway / direct aggregate | gateway p99 ms |")
    md.append("|---|---|---|---|---|---|---|")
    for n in ns:
        e = s["n"].get(str(n))
        if e:
            md.append("| %d | %s | %s | %s | %s | %s | %s |" % (
                n, f(e["gateway_rps"], 0), f(e["ideal_rps"], 0), f(e["ratio_vs_ideal"]),
                f(e["direct_aggregate_rps"], 0), f(e["ratio_vs_direct_aggregate"]), f(e["gateway_p99_ms"], 2)))
    md.append("")

if noop_rounds:
    md.append("**the no-op function at N = %d, in %d rounds of %s s** (their order rotates; the headline takes the "
              "medians), %d connections of one wrk each: to the instances directly, through nginx (one worker, a "
              "port per instance with its secret, kept-alive upstream connections), and through the gateway\n"
              % (noop["n"], len(noop_rounds), config.get("d2"), noop["n"]))
    md.append("| round | direct aggregate req/s | nginx req/s | gateway req/s | nginx / direct | gateway / direct "
              "| gateway / nginx |")
    md.append("|---|---|---|---|---|---|---|")
    for k, x in enumerate(noop_rounds, 1):
        md.append("| %d | %s | %s | %s | %s | %s | %s |" % (
            k, f(x["direct_rps"], 0), f(x["nginx_rps"], 0), f(x["gateway_rps"], 0),
            f(x["nginx_rps"] / x["direct_rps"]), f(x["gateway_rps"] / x["direct_rps"]),
            f(x["gateway_rps"] / x["nginx_rps"])))
    md.append("| median | | | | %s | %s | %s |" % (
        f(noop["nginx_vs_direct"]), f(noop["gateway_vs_direct"]), f(noop["gateway_vs_nginx"])))
    md.append("")

def cold_md(cold, engine):
    bm = cold["bare_engine_ms"]
    md.append("%d runs each, alternating (plus one of each not counted). Gateway: first invocation of a function with "
              "no instance (the manager creates, starts and probes the container). Bare engine: curl on the Engine "
              "API with the manager's container settings — create, start, inspect, then the invocation POST every "
              "10 ms until 200.\n" % cold["runs"])
    md.append("| path | p50 ms | p90 ms | min ms | max ms |")
    md.append("|---|---|---|---|---|")
    md.append("| gateway (socket-activated gateway → D-Bus → manager → %s) | %s | %s | %s | %s |" % (
        engine, f(cold["gateway_ms"]["p50"], 1), f(cold["gateway_ms"]["p90"], 1), f(cold["gateway_ms"]["min"], 1),
        f(cold["gateway_ms"]["max"], 1)))
    md.append("| bare %s Engine API (baseline) | %s | %s | %s | %s |" % (
        engine, f(bm["p50"], 1), f(bm["p90"], 1), f(bm["min"], 1), f(bm["max"], 1)))
    md.append("\nRatio p50 **%s**, p90 %s (gateway adds %s ms at p50). Bare engine p50 breakdown: create %s ms, "
              "start %s ms, inspect %s ms, start → first 200 %s ms (%s tries).\n" % (
                  f(cold["ratio_p50"]), f(cold["ratio_p90"]), f(cold["added_p50_ms"], 1), f(bm["p50_create"], 1),
                  f(bm["p50_start"], 1), f(bm["p50_inspect"], 1), f(bm["p50_start_to_first_200"], 1),
                  f(bm["p50_tries"], 0)))
    md.append("Times are curl's own (`time_total`, its process start-up excluded) summed over the calls of a run; "
              "with the start-ups of the shell's curl processes (wall clock) the p50s are %s ms (gateway) and %s ms "
              "(bare engine).\n" % (f(cold["gateway_ms"]["wall_p50"], 1), f(bm["wall_p50"], 1)))


md.append("## 3. Cold start\n")
if cold:
    cold_md(cold, "Docker")
md.append("### 3b. Cold start on Podman\n")
if cold_podman:
    md.append("The same measurement with the manager and the bare curl on a Podman service (%s) that the run starts "
              "with its own storage, the function image built into it.\n" % podman_note)
    cold_md(cold_podman, "Podman")
else:
    md.append("%s\n" % (podman_note or "Not measured."))

md.append("## 4. Burst\n")
if burst:
    md.append("| requests | max_instances | containers started | answered (200 + typed 429) | 200 | typed 429 | other | first answer s | last answer s |")
    md.append("|---|---|---|---|---|---|---|---|---|")
    other = burst["requests"] - burst["answered"]
    md.append("| %d | %d | **%d** | %d | %d | %d | %d | %s | %s |\n" % (
        burst["requests"], burst["max_instances"], burst["containers_started"], burst["answered"], burst["ok"],
        burst["typed_429"], other, f(burst["first_answer_s"], 3), f(burst["last_answer_s"], 3)))
    md.append("All simultaneous first requests on connections opened beforehand; containers counted from the "
              "engine's `start` events for the function.\n")

md.append("## 5. Activation\n")
if act:
    md.append("Gateway and manager both with `--exit-idle=%s`; the gateway behind a socket holder that starts it at "
              "the next connection (as systemd's socket unit does); the manager D-Bus-activated. %d run(s).\n"
              % (act["exit_idle_s"], act["runs"]))
    md.append("| request | p50 ms |")
    md.append("|---|---|")
    md.append("| first after both daemons exited (socket + bus activation + cold start) | %s |"
              % f(act["first_after_idle_ms"]["p50"], 1))
    md.append("| warm, new connection each (baseline) | %s |" % f(act["warm_ms"]["p50"], 2))
    md.append("| cold start through a running gateway and manager (§3, for reference) | %s |"
              % f(cold.get("gateway_ms", {}).get("p50"), 1))
    md.append("\nRatio first / warm: %s; activation adds %s ms over a cold start with both daemons running. Time "
              "from the last request until both daemons had exited: %s ms; lambdad processes then: %s.\n" % (
                  f(act["ratio_p50"], 0), f(act.get("minus_cold_start_p50_ms"), 1),
                  ", ".join(f(x, 0) for x in act["wait_for_both_exited_ms"]), act["lambdad_processes_after_idle"]))

md.append("## 6. Footprint\n")
md.append("| process | phase | RSS MiB | fds |")
md.append("|---|---|---|---|")
for phase, label in (("idle", "idle (one warm instance, before any load)"),
                     ("load", "under load (§2, N = %s, zero-work; max of samples)" % largest),
                     ("after", "after the burst (§4)")):
    s = fp.get(phase)
    if not s:
        continue
    for proc in ("gateway", "manager"):
        e = s.get(proc, {})
        if not e.get("alive"):
            md.append("| %s | %s | (not running) | |" % (proc, label))
            continue
        md.append("| %s | %s | %s | %s |" % (proc, label, f(mib(e.get("rss_kib_max")), 1), e.get("fds_max")))
md.append("\nlambdad processes after the idle period: **%s** (goal 0).\n" % f(fp.get("lambdad_processes_after_idle")))

md.append("## 7. Big payloads\n")
md.append("JSON string bodies echoed back whole; one connection, %s s per path.\n" % config.get("d7"))
md.append("| body | path | p50 ms | p99 ms | MiB/s in | added p50 ms | requests (errors) |")
md.append("|---|---|---|---|---|---|---|")
for size in ("1MiB", "6MiB"):
    e = pl.get(size, {})
    for v in ("direct", "nginx", "gateway"):
        if v in e:
            added = "—" if v == "direct" else f(e.get(v + "_added_p50_ms"), 2)
            md.append("| %s | %s | %s | %s | %s | %s | %d (%d) |" % (
                size.replace("MiB", " MiB"), v, f(e[v]["p50_ms"], 2), f(e[v]["p99_ms"], 2), f(e[v]["mib_per_s"], 0),
                added, e[v]["requests"], e[v]["errors"]))
md.append("\nGateway peak RSS (VmHWM): %s MiB before the big payloads, %s MiB after (RSS after: %s MiB).\n" % (
    f(mib(pl.get("gateway_vmhwm_kib_before")), 1), f(mib(pl.get("gateway_vmhwm_kib_after")), 1),
    f(mib(pl.get("gateway_rss_kib_after")), 1)))

md.append("## 8. Thaw\n")
if thaw:
    tg, tb = thaw["gateway_ms"], thaw["bare_engine_ms"]
    md.append("A function with `max_instances` 1 and `freeze_after_ms` 200. Each run waits until its instance is frozen "
              "(ListInstances `frozen`, the engine `Paused`), then times one invocation through the gateway (Acquire "
              "thaws it: unpause, one readiness probe), then one bare cold start of the same image (§3's curl on the "
              "Engine API). %d runs, %d of them counted as a thaw of the frozen container by the gateway "
              "(`lambdad_thaws_total`); only those count.\n" % (thaw["runs"], thaw["runs_served_by_a_thaw"]))
    md.append("| path | p50 ms | p90 ms | min ms | max ms |")
    md.append("|---|---|---|---|---|")
    md.append("| first invocation on a frozen instance, through the gateway | %s | %s | %s | %s |" % (
        f(tg.get("p50"), 1), f(tg.get("p90"), 1), f(tg.get("min"), 1), f(tg.get("max"), 1)))
    md.append("| bare Engine API cold start (baseline) | %s | %s | %s | %s |" % (
        f(tb["p50"], 1), f(tb["p90"], 1), f(tb["min"], 1), f(tb["max"], 1)))
    md.append("\nRatio p50 **%s** (goal ≤ 0.25). Bare p50: create %s ms, start %s ms, start → first 200 %s ms.\n" % (
        f(thaw["ratio_p50"]), f(tb["p50_create"], 1), f(tb["p50_start"], 1), f(tb["p50_start_to_first_200"], 1)))

md.append("## 9. node-hello: a scale-out served by a frozen spare\n")
if node.get("ratio_p50") is not None:
    ns_, nb = node["scale_out_ms"], node["bare_engine_ms"]
    md.append("`examples/node-hello` (AWS's Node runtime interface client) with `max_instances` 2, `spare_instances` 1, "
              "`freeze_after_ms` 1000. Each run: the spare is taken and held by another client of the manager (so the "
              "function's one running instance is busy), the manager starts and freezes a new spare, and the next "
              "invocation through the gateway, which finds every running instance busy, is timed: the gateway's "
              "Acquire thaws the spare. Its log tail reports lambda-rie's `Init Duration` (the spare's first "
              "invocation), which shows that the spare served it. %d runs (%d tries served otherwise, not counted); "
              "thaws counted by the gateway per run: %s.\n" % (
                  node["runs"], node["tries_not_served_by_the_spare"], ", ".join(str(t) for t in node["thaws_counted"])))
    md.append("| path | p50 ms | p90 ms | min ms | max ms |")
    md.append("|---|---|---|---|---|")
    md.append("| scale-out served by a frozen spare, through the gateway | %s | %s | %s | %s |" % (
        f(ns_["p50"], 1), f(ns_["p90"], 1), f(ns_["min"], 1), f(ns_["max"], 1)))
    md.append("| bare Engine API cold start of node-hello, first answer included (baseline) | %s | %s | %s | %s |" % (
        f(nb["p50"], 1), f(nb["p90"], 1), f(nb["min"], 1), f(nb["max"], 1)))
    md.append("\nRatio p50 **%s** (goal ≤ 0.15). Bare p50: create %s ms, start %s ms, start → first 200 (the Node client "
              "initialising, then answering) %s ms. A frozen node-hello spare holds %s MiB.\n" % (
                  f(node["ratio_p50"]), f(nb["p50_create"], 1), f(nb["p50_start"], 1),
                  f(nb["p50_start_to_first_200"], 1), f(mib(node["frozen_spare_memory_bytes"] / 1024)
                                                       if node.get("frozen_spare_memory_bytes") else None, 1)))
else:
    md.append("%s\n" % (node.get("note") or "Not measured."))

md.extend(report_node_tput.markdown(ntput, ntput_keys))

md.append("## 10. Frozen instances\n")
if frozen:
    mm = frozen["memory_mib_per_instance"]
    md.append("%d instances of the C echo function, prewarmed and frozen (`freeze_after_ms` 200), paused throughout: "
              "%s. Memory per instance (mean), from the engine's stats: %s MiB as `docker stats` shows it (usage %s "
              "MiB, RSS %s MiB); memory cgroup %s MiB. CPU time of all of them over %s s (cgroup `cpuacct.usage`): "
              "**%s ns** (the engine's own figure: %s ns; goal 0).\n" % (
                  frozen["instances"], "yes" if frozen["paused_throughout"] else "**no**",
                  f(mm["engine_working_set"], 2), f(mm["engine_usage"], 2), f(mm["engine_rss"], 2), f(mm["cgroup"], 2),
                  f(frozen["seconds"], 0), f(frozen["cpu_ns_cgroup"]), f(frozen["cpu_ns_engine"])))

md.append("## 11. Recovery after a manager SIGKILL\n")
if rec.get("held") or rec.get("released"):
    rb = rec["bare_engine_ms"]
    md.append("A warm function (`freeze_after_ms` 0). SIGKILL to the manager, then the next invocation is timed from "
              "the SIGKILL to its first 200 (answers other than 200 retried every 10 ms). Two cases: the gateway still "
              "holds the function's lease (invoked just before, as under load), and the gateway gave it back "
              "(`--lease-idle=1`), so the invocation needs a manager: D-Bus activates a new lifetime, which starts a new "
              "instance. Served by: from the gateway's `lambdad_cold_starts_total` (no Acquire: the held lease).\n")
    md.append("| case | runs | p50 ms | max ms | served by | answers before the 200 | ratio p50 / bare |")
    md.append("|---|---|---|---|---|---|---|")
    for case, label in (("held", "lease held by the gateway"), ("released", "no lease held")):
        e = rec.get(case)
        if e:
            md.append("| %s | %d | %s | %s | %s | %d | **%s** |" % (
                label, e["runs"], f(e["ms"]["p50"], 1), f(e["ms"]["max"], 1), served_by(case),
                e["answers_before_the_200"], f(e["ratio_p50"])))
    md.append("| bare Engine API cold start (baseline) | %d | %s | %s | — | — | — |\n" % (
        len(rb.get("runs", [])), f(rb.get("p50"), 1), f(rb.get("max"), 1)))
    if rec["gateway_log"]:
        md.append("The gateway's log meanwhile: %s.\n" % "; ".join(
            "%d× \"%s\"" % (rec["gateway_log"].count(line), line) for line in dict.fromkeys(rec["gateway_log"])))

md.append("## 14. A planned manager restart under load\n")
if restart:
    md.append("8 keep-alive clients of a warm function (`max_instances` 8, an instance each, `freeze_after_ms` 0). "
              "After 1 s, a window of %s s before the restart, then the restart: SIGTERM to the manager with the gateway "
              "(a lease holder) connected, and the next lifetime activated by a call as soon as it is gone (%s s "
              "from the SIGTERM to its answer); the window from it is as long. Answers in flight during the "
              "restart's window, by status: %s (other than 200 in the whole load: %d).\n"
              % (f(restart["window_s"], 0), f(restart["restart_s"]),
                 ", ".join("%s: %d" % kv for kv in sorted(restart["answers_in_window_by_status"].items())) or "none",
                 restart["errors_in_all"]))
    md.append("| window | requests started | p50 ms | p99 ms |")
    md.append("|---|---|---|---|")
    md.append("| before the restart | %d | %s | %s |" % (restart["before"]["requests"], f(restart["before"]["p50_ms"], 1),
                                                       f(restart["before"]["p99_ms"], 1)))
    md.append("| from the restart | %d | %s | %s |\n" % (restart["during"]["requests"], f(restart["during"]["p50_ms"], 1),
                                                         f(restart["during"]["p99_ms"], 1)))

md.append("## 15. Zip functions\n")
if zipf.get("cold"):
    zc = zipf["cold"]
    md.append("Cold start through the gateway (§3's method: StopFunction between runs, until no instance), "
              "alternating: `bench-zip` (runtime python3.12 on %s, the zip's code bound read-only from the store at "
              "`/var/task`) and `bench-zip-image` (the same image with the same app.py COPYed into `/var/task`, CMD the "
              "handler; same `max_instances`, `memory_mb`, `timeout_sec`).\n" % config.get("zip_runtime_image"))
    md.append("| function | runs | p50 ms | p90 ms | min ms | max ms | wall p50 ms |")
    md.append("|---|---|---|---|---|---|---|")
    for k, label in (("zip_ms", "zip function"), ("image_ms", "the same code as an image (baseline)")):
        d = zc[k]
        md.append("| %s | %d | %s | %s | %s | %s | %s |" % (label, len(d["runs"]), f(d["p50"], 1), f(d["p90"], 1),
                                                      f(d["min"], 1), f(d["max"], 1),
                                                      f(zc[k.replace("_ms", "_wall_p50")], 1)))
    md.append("\nRatio of the p50s: **%s** (goal ≤ 1.1). The store: %s code-* entry for the two functions of that "
              "zip (%s entries in all).\n" % (f(zc["ratio_p50"]), f(zipf["store"].get("zip_store_entries_for_two_functions")),
                                             f(zipf["store"].get("code_store_entries"))))
if zipf.get("reload"):
    zr_ = zipf["reload"]
    ph = zr_["phases_p50_ms_from_the_save"]
    md.append("Hot reload (`bench/lib/reload.py`): `bench-zip-reload` declared with `code_directory`, warm (one "
              "instance serving); each run saves a new version of app.py (%s), then invokes through the gateway on "
              "a keep-alive connection every 10 ms until the answer carries it. From the save to that answer, ms: "
              "p50 **%s**, p90 %s, min %s, max %s (goal < 1000); runs: %s. Old answers after the save, per run: %s; "
              "errors: %s. From the manager's log (p50, ms after the save): change seen %s, new instance ready %s, "
              "old instance stopped %s.\n"
              % (zr_["save"], f(zr_["ms"]["p50"], 0), f(zr_["ms"]["p90"], 0), f(zr_["ms"]["min"], 0),
                 f(zr_["ms"]["max"], 0), ", ".join("%.0f" % x for x in zr_["ms"]["runs"]),
                 ", ".join(str(x) for x in zr_["old_answers"] or []), zr_["errors"], f(ph["change_logged"], 0),
                 f(ph["new_instance_ready"], 0), f(ph["old_instance_stopped"], 0)))

gc = result["gateway_counters"]
if gc["requests_by_status_class"]:
    md.append("## The gateway's own counters\n")
    md.append("From its `/metrics` at the end of §1–§4: answers by status class %s; function errors %d, cold starts "
              "%d, manager errors %d, connections %d.\n" % (
                  ", ".join("%s %d" % kv for kv in sorted(gc["requests_by_status_class"].items())),
                  gc["function_errors"], gc["cold_starts"], gc["manager_errors"], gc["connections"]))

md.append("## Plots\n")
md.append("![latency](latency.png) ![scaling](scaling.png) ![cold start](coldstart.png) ![payloads](payloads.png)\n")
with open(os.path.join(OUT, "latest.md"), "w") as fh:
    fh.write("\n".join(md))

# ---- plots
plots_ok = True
if shutil.which("gnuplot"):
    dat = os.path.join(OUT, ".plotdata")
    os.makedirs(dat, exist_ok=True)
    script = ["set terminal pngcairo size 900,540 font 'sans,10'", "set grid ytics", "set key top left"]
    if len(lat) >= 3:
        with open(os.path.join(dat, "latency.dat"), "w") as fh:
            for v in ("direct", "nginx", "gateway"):
                fh.write("%s %f %f %f\n" % (v, lat[v]["p50_ms"], lat[v]["p90_ms"], lat[v]["p99_ms"]))
        script += [
            "set output '%s/latency.png'" % OUT,
            "set title 'Warm invoke latency, concurrency 1 (lower is better)'",
            "set ylabel 'ms'", "set style data histogram", "set style histogram clustered gap 1",
            "set style fill solid 0.8 border -1", "set boxwidth 0.9", "set yrange [0:*]",
            "plot '%s/latency.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p90', '' using 4 title 'p99'" % dat,
            "unset style", "set style data linespoints", "unset boxwidth",
        ]
    if scale:
        for mode in scale:
            with open(os.path.join(dat, "scale-%s.dat" % mode), "w") as fh:
                for n in ns:
                    e = scale[mode]["n"].get(str(n))
                    if e:
                        fh.write("%d %f %f %f\n" % (n, e["gateway_rps"], e["ideal_rps"], e["direct_aggregate_rps"]))
        script += ["set output '%s/scaling.png'" % OUT, "set terminal pngcairo size 1200,500 font 'sans,10'",
                   "set multiplot layout 1,2", "set xlabel 'N (instances = concurrency)'", "set ylabel 'requests/s'",
                   "set xtics (1,2,4,8)", "set logscale x 2", "set xrange [0.8:10]", "set yrange [0:*]", "set key top left"]
        for mode, title in (("sleep", "%s ms function" % config.get("sleep_ms")), ("zero", "zero-work function")):
            if mode in scale:
                script += ["set title 'Throughput, %s'" % title,
                           "plot '%s/scale-%s.dat' using 1:3 with linespoints title 'ideal: N x one instance direct', "
                           "'' using 1:4 with linespoints title 'direct, N instances at once', "
                           "'' using 1:2 with linespoints lw 2 title 'through lambda-gateway'" % (dat, mode)]
        script += ["unset multiplot", "unset logscale x", "set xtics autofreq", "set xrange [*:*]", "unset xlabel",
                   "set terminal pngcairo size 900,540 font 'sans,10'"]
    if cold:
        with open(os.path.join(dat, "cold.dat"), "w") as fh:
            g_s, b_s = sorted(cold["gateway_ms"]["runs"]), sorted(cold["bare_engine_ms"]["runs"])
            for i in range(max(len(g_s), len(b_s))):
                fh.write("%d %s %s\n" % (i + 1, g_s[i] if i < len(g_s) else "NaN", b_s[i] if i < len(b_s) else "NaN"))
        script += ["set output '%s/coldstart.png'" % OUT,
                   "set title 'Cold start, runs sorted (p50: gateway %.0f ms, bare engine %.0f ms)'" % (
                       cold["gateway_ms"]["p50"], cold["bare_engine_ms"]["p50"]),
                   "set xlabel 'run (sorted)'", "set xtics 1", "set ylabel 'ms to the first 200'", "set yrange [0:*]",
                   "plot '%s/cold.dat' using 1:2 with linespoints lw 2 title 'through lambda-gateway', "
                   "'' using 1:3 with linespoints title 'bare Engine API (curl)'" % dat, "unset xlabel"]
    if all(len(pl.get(k, {})) >= 3 for k in ("1MiB", "6MiB")):
        with open(os.path.join(dat, "payloads.dat"), "w") as fh:
            for v in ("direct", "nginx", "gateway"):
                fh.write("%s %f %f\n" % (v, pl["1MiB"][v]["p50_ms"], pl["6MiB"][v]["p50_ms"]))
        script += ["set output '%s/payloads.png'" % OUT, "set title 'Big payloads echoed, p50 (lower is better)'",
                   "set ylabel 'ms'", "set style data histogram", "set style histogram clustered gap 1",
                   "set style fill solid 0.8 border -1", "set boxwidth 0.9", "set yrange [0:*]",
                   "plot '%s/payloads.dat' using 2:xtic(1) title '1 MiB', '' using 3 title '6 MiB'" % dat]
    p = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, capture_output=True)
    if p.returncode != 0:
        plots_ok = False
        sys.stderr.write("gnuplot failed: %s\n" % p.stderr)
    shutil.rmtree(dat, ignore_errors=True)
else:
    plots_ok = False
    sys.stderr.write("gnuplot not installed: no plots\n")

# ---- the end: the ratios
print("")
print("lambdad benchmarks%s — %s%s" % (" (--quick)" if meta.get("quick") else "", meta.get("date"),
                                       "; sections: " + ", ".join(sections) if sections else ""))
print("  gateway_vs_nginx_added_latency_ratio  %s   (goal <= 1)" % f(result["gateway_vs_nginx_added_latency_ratio"]))
print("  throughput_scaling_ratio              %s   (goal >= 0.8; zero-work: %s, vs direct aggregate %s)" % (
    f(result["throughput_scaling_ratio"]), f(result["throughput_scaling_ratio_zero_work"]),
    f(result["throughput_scaling_ratio_zero_work_vs_direct_aggregate"])))
print("  gateway_vs_nginx_added_p99_ratio      %s   (goal <= 1)" % f(result["gateway_vs_nginx_added_p99_ratio"]))
print("  gateway_vs_nginx_cpu_per_request_ratio %s  (goal <= 1)" % f(result["gateway_vs_nginx_cpu_per_request_ratio"]))
if result["gateway_stage_p99_us"]:
    print("  gateway stages p50/p99 us: %s" % ", ".join(
        "%s %s/%s" % (k, f(result["gateway_stage_p50_us"][k], 0), f(v, 0)) for k, v in result["gateway_stage_p99_us"].items()))
print("  syscalls per request, gateway / nginx %s / %s   (goal <= 8)" % (
    f(result["gateway_syscalls_per_request"], 1), f(result["nginx_syscalls_per_request"], 1)))
print("  noop_throughput_ratio                 %s   (goal >= 0.8; nginx in its place %s, gateway / nginx %s)" % (
    f(result["noop_throughput_ratio"]), f(result["noop_nginx_vs_direct_ratio"]), f(result["noop_gateway_vs_nginx_ratio"])))
print("  6 MiB answer: first byte via gateway %s ms, whole answer direct %s ms" % (
    f(result["ttfb_6mb_gateway_ms"], 1), f(result["total_6mb_direct_ms"], 1)))
for size in (1, 6):
    print("  payload_%dmib_added_ratio              %s   (goal <= 1; MiB/s gateway / nginx: %s, goal >= 1)" % (
        size, f(result["payload_%dmib_added_ratio" % size]), f(result["payload_%dmib_mib_per_s_ratio" % size])))
print("  gateway_peak_rss_mb_6mb_x16           %s   (goal < 32)" % f(result["gateway_peak_rss_mb_6mb_x16"], 1))
print("  cold_start_ratio                      %s   (goal <= 1.15)" % f(result["cold_start_ratio"]))
print("  isolated_cold_start_ratio             %s   (goal <= 1.05; p50 isolated %s ms, shared %s ms; %s)" % (
    f(result["isolated_cold_start_ratio"]), f(cold.get("gateway_ms", {}).get("p50"), 1),
    f(cold.get("gateway_shared_ms", {}).get("p50"), 1), cold.get("networks", "?")))
print("  none_cold_start_ratio                 %s   (p50 \"network\": \"none\" %s ms / isolated %s ms)" % (
    f(result["none_cold_start_ratio"]), f(cold.get("gateway_none_ms", {}).get("p50"), 1),
    f(cold.get("gateway_ms", {}).get("p50"), 1)))
print("  cold_start_ratio on Podman            %s   (p50: gateway %s ms, bare Podman API %s ms)" % (
    f(cold_podman.get("ratio_p50")), f(cold_podman.get("gateway_ms", {}).get("p50"), 1),
    f(cold_podman.get("bare_engine_ms", {}).get("p50"), 1)))
print("  burst_containers_started              %s   (max_instances %s; all answered: %s)" % (
    f(result["burst_containers_started"]), config.get("burst_max"), burst.get("all_answered")))
print("  thaw_start_ratio                      %s   (goal <= 0.25)" % f(result["thaw_start_ratio"]))
print("  node_spare_start_ratio                %s   (goal <= 0.15)%s" % (
    f(result["node_spare_start_ratio"]), "  " + node["note"] if node.get("note") else ""))
print("  stream_ttfb_ratio                     %s   (streamed / buffered time to first byte, p50: %s ms / %s ms)" % (
    f(result["stream_ttfb_ratio"], 3), f(stream.get("streamed_ttfb_p50_ms"), 1), f(stream.get("buffered_ttfb_p50_ms"), 1)))
for line in report_node_tput.summary(ntput, ntput_keys):
    print(line)
print("  manager_recovery_ratio                %s   (goal <= 2; served by: %s; no lease held: %s, served by: %s)" % (
    f(result["manager_recovery_ratio"]), result["manager_recovery_served_by"] or "—",
    f(result["manager_recovery_ratio_no_lease"]), result["manager_recovery_no_lease_served_by"] or "—"))
print("  manager_restart_errors                %s   (goal 0; p99 during / before the restart: manager_restart_p99_ratio %s)" % (
    f(result["manager_restart_errors"]), f(result["manager_restart_p99_ratio"])))
print("  code_reload_ms                        %s   (goal < 1000; p50 of %d saves, p90 %s, max %s)" % (
    f(result["code_reload_ms"], 0), len(result["code_reload_ms_samples"] or []), f(result["code_reload_ms_p90"], 0),
    f(result["code_reload_ms_max"], 0)))
print("  zip_cold_start_ratio                  %s   (goal <= 1.1; p50: zip %s ms, the same code as an image %s ms)" % (
    f(result["zip_cold_start_ratio"]), f(result["zip_cold_start_ms_p50"], 1), f(result["image_cold_start_ms_p50"], 1)))
print("  zip_store_entries_for_two_functions   %s   (goal 1)" % f(result["zip_store_entries_for_two_functions"]))
print("  frozen instances: %s MiB each, %s ns of CPU over %s s   (goal 0 ns)" % (
    f(result["frozen_instance_memory_mib"]), f(result["frozen_instances_cpu_ns"]), f(frozen.get("seconds"), 0)))
print("  event_queue_vs_raw_fsync_ratio        %s   (%s accepted events/s, fsync'd; bare durable writes %s/s)" % (
    f(result["event_queue_vs_raw_fsync_ratio"]), f(eq.get("accepted_events_per_s"), 0),
    f(eq.get("raw_durable_writes_per_s"), 0)))
print("  activation first/warm                 %s   (lambdad processes after idle: %s)" % (
    f(act.get("ratio_p50"), 0), act.get("lambdad_processes_after_idle")))
print("  results: %s/latest.json, latest.md, *.png" % OUT)
if result["missing"]:
    print("  NOT MEASURED: %s" % ", ".join(result["missing"]))
sys.exit(1 if result["missing"] or not plots_ok else 0)
