#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ttfb.py HOST PORT FUNCTION RUNS [PAYLOAD]: time to first byte of a streamed answer against a
buffered one, for the same function in the same run.

Alternates, RUNS times each, on one kept-alive connection: InvokeWithResponseStream (POST
/2021-11-15/functions/FUNCTION/response-streaming-invocations, the first byte of the event stream
is the first PayloadChunk) and Invoke (POST /2015-03-31/functions/FUNCTION/invocations, whose first
body byte comes with the whole answer). Times are from the request's last byte sent to the first
byte of the answer's body, and to its last. Prints JSON: each run's figures, the p50s, and
"ttfb_ratio" = streamed TTFB p50 / buffered TTFB p50.
"""
import json
import socket
import statistics
import sys
import time

host, port, function, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
payload = (sys.argv[5] if len(sys.argv) > 5 else '{"chunks":5,"pause_ms":200}').encode()
paths = {"streamed": f"/2021-11-15/functions/{function}/response-streaming-invocations",
         "buffered": f"/2015-03-31/functions/{function}/invocations"}


def once(s, f, path):
    s.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
    start = time.monotonic()
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline().decode("latin-1").strip()
        if not line:
            break
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    first = None
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            n = int(f.readline().split(b";")[0], 16)
            if n == 0:
                while f.readline().strip():
                    pass
                break
            f.read(n + 2)
            first = first or time.monotonic()
    else:
        f.read(1)
        first = time.monotonic()
        f.read(int(headers["content-length"]) - 1)
    end = time.monotonic()
    return {"status": status, "ttfb_ms": round((first - start) * 1000, 2), "total_ms": round((end - start) * 1000, 2)}


s = socket.create_connection((host, port), timeout=60)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
result = {"function": function, "payload": payload.decode(), "runs": runs, "streamed": [], "buffered": []}
for _ in range(runs):
    for mode in ("streamed", "buffered"):
        result[mode].append(once(s, f, paths[mode]))
for mode in ("streamed", "buffered"):
    ok = [r for r in result[mode] if r["status"] == 200]
    result[mode + "_ttfb_p50_ms"] = round(statistics.median(r["ttfb_ms"] for r in ok), 2) if ok else None
    result[mode + "_total_p50_ms"] = round(statistics.median(r["total_ms"] for r in ok), 2) if ok else None
a, b = result["streamed_ttfb_p50_ms"], result["buffered_ttfb_p50_ms"]
result["ttfb_ratio"] = round(a / b, 3) if a and b else None
print(json.dumps(result))
