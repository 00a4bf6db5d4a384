#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""burst.py HOST PORT PATH N [TIMEOUT_S]: N simultaneous POSTs on N connections opened beforehand.

Each thread connects, waits at a barrier, sends its request and reads the answer. Prints one JSON
object: statuses counted, typed 429s (x-amzn-ErrorType TooManyRequestsException), requests without
an answer, and the time from the release of the barrier to the first and the last answer.
"""
import json
import socket
import sys
import threading
import time

host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
body = b'{"burst":true}'
request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body

from httpanswer import read_answer  # noqa: E402 (bench/lib is the script's own directory)

barrier = threading.Barrier(n + 1)
results = [None] * n


def worker(i):
    s = None
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as e:
        results[i] = {"error": "connect: %s" % e}
    try:
        barrier.wait(timeout=timeout)
    except threading.BrokenBarrierError:
        pass
    if s is None:
        return
    try:
        s.sendall(request)
        status, headers = read_answer(s)
        results[i] = {"status": status, "type": headers.get("x-amzn-errortype"),
                      "retry_after": headers.get("retry-after"), "t": time.monotonic()}
    except Exception as e:  # noqa: BLE001 - any failure is an unanswered request
        results[i] = {"error": str(e), "t": time.monotonic()}
    finally:
        s.close()


threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
barrier.wait(timeout=timeout)
t0 = time.monotonic()
for t in threads:
    t.join(timeout + 5)

statuses = {}
typed_429 = untyped_429 = unanswered = 0
times = []
for r in results:
    if not r or "status" not in r:
        unanswered += 1
        continue
    statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    if r["status"] == 429:
        if r["type"] == "TooManyRequestsException":
            typed_429 += 1
        else:
            untyped_429 += 1
    times.append(r["t"] - t0)
times.sort()
answered = statuses.get("200", 0) + typed_429
print(json.dumps({
    "requests": n,
    "statuses": statuses,
    "ok": statuses.get("200", 0),
    "typed_429": typed_429,
    "untyped_429": untyped_429,
    "unanswered": unanswered,
    "answered": answered,
    "all_answered": answered == n,
    "errors": sorted({r["error"] for r in results if r and "error" in r})[:5],
    "first_answer_s": round(times[0], 4) if times else None,
    "median_answer_s": round(times[len(times) // 2], 4) if times else None,
    "last_answer_s": round(times[-1], 4) if times else None,
}))
