#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""frozen.py SOCKET SECONDS ID...: the footprint of (paused) containers on the engine at SOCKET.

For each container: whether the engine says it is paused, at the start and at the end; its memory
as the engine reports it (GET /containers/ID/stats?stream=false&one-shot=true: usage, and usage
less inactive file pages, as `docker stats` shows it) and as its memory cgroup does; and the CPU
time it used over SECONDS, from its cgroup (v1 cpuacct.usage, v2 cpu.stat usage_usec; found
through /proc/PID/cgroup of its process) and from the engine's stats (cpu_usage.total_usage).
Prints one JSON object. With SECONDS 0 only the memory is read.
"""
import http.client
import json
import socket
import sys
import time

sock, seconds, ids = sys.argv[1], float(sys.argv[2]), sys.argv[3:]


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def engine(path):
    c = UnixConnection(sock)
    try:
        c.request("GET", "/v1.41" + path)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, r.status, body[:200]))
        return json.loads(body)
    finally:
        c.close()


def cgroup_dirs(pid):
    """The cpu accounting and memory cgroup directories of a process (v1 or v2)."""
    cpu = mem = None
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            names = controllers.split(",")
            if "cpuacct" in names:
                cpu = ("v1", "/sys/fs/cgroup/%s%s" % (controllers, path))
            elif "memory" in names:
                mem = ("v1", "/sys/fs/cgroup/memory%s" % path)
            elif controllers == "" and cpu is None:
                cpu = mem = ("v2", "/sys/fs/cgroup%s" % path)
    return cpu, mem


def cpu_ns(d):
    kind, path = d
    if kind == "v1":
        with open(path + "/cpuacct.usage") as f:
            return int(f.read())
    with open(path + "/cpu.stat") as f:
        for line in f:
            k, v = line.split()
            if k == "usage_usec":
                return int(v) * 1000
    raise RuntimeError("no usage_usec in %s/cpu.stat" % path)


def mem_bytes(d):
    kind, path = d
    with open(path + ("/memory.usage_in_bytes" if kind == "v1" else "/memory.current")) as f:
        return int(f.read())


def sample(cid, state):
    st = engine("/containers/%s/stats?stream=false&one-shot=true" % cid)
    ms = st.get("memory_stats", {})
    stats = ms.get("stats", {})
    usage = ms.get("usage")
    inactive = stats.get("total_inactive_file", stats.get("inactive_file", 0))
    return {
        "engine_memory_usage": usage,
        "engine_memory_working_set": None if usage is None else usage - inactive,
        "engine_memory_rss": stats.get("total_rss", stats.get("anon")),
        "engine_cpu_total_ns": st.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage"),
        "cgroup_memory": mem_bytes(state["mem"]) if state.get("mem") else None,
        "cgroup_cpu_ns": cpu_ns(state["cpu"]) if state.get("cpu") else None,
    }


out = {"seconds": seconds, "containers": []}
states = {}
for cid in ids:
    info = engine("/containers/%s/json" % cid)
    s = {"id": cid[:12], "paused_start": info["State"]["Paused"]}
    try:
        cpu, mem = cgroup_dirs(info["State"]["Pid"])
        s["cpu"], s["mem"] = cpu, mem
        s["cgroup"] = cpu[1] if cpu else None
    except (OSError, ValueError) as e:
        s["cgroup_error"] = str(e)
    s["start"] = sample(cid, s)
    states[cid] = s
if seconds > 0:
    time.sleep(seconds)
    for cid, s in states.items():
        s["end"] = sample(cid, s)
        s["paused_end"] = engine("/containers/%s/json" % cid)["State"]["Paused"]
        a, b = s["start"], s["end"]
        s["cgroup_cpu_ns_used"] = None if a["cgroup_cpu_ns"] is None else b["cgroup_cpu_ns"] - a["cgroup_cpu_ns"]
        s["engine_cpu_ns_used"] = None if a["engine_cpu_total_ns"] is None or b["engine_cpu_total_ns"] is None \
            else b["engine_cpu_total_ns"] - a["engine_cpu_total_ns"]
for cid, s in states.items():
    s.pop("cpu", None)
    s.pop("mem", None)
    out["containers"].append(s)
print(json.dumps(out, indent=1))
