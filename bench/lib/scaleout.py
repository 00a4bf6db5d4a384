#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""scaleout.py HOST PORT PATH N [TIMEOUT_S]: N simultaneous invocations, each asking for its log
tail (X-Amz-Log-Type: Tail), on N connections opened beforehand.

Prints one line per request: its HTTP status, the milliseconds from the release of the requests
to its whole answer, and the "Init Duration" (ms) that its log tail reports, or "-" when it reports
none. lambda-rie reports an Init Duration with the first invocation after its runtime initialised:
the answer of an instance that never served before carries one, that of an instance that had
already served does not. A request without an answer prints "000 - -".
"""
import base64
import re
import socket
import sys
import threading
import time

host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
body = b'{"scaleout":true}'
request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
           f"X-Amz-Log-Type: Tail\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body

from httpanswer import read_answer  # noqa: E402 (bench/lib is the script's own directory)

barrier = threading.Barrier(n + 1)
results = [None] * n
INIT = re.compile(r"Init Duration: ([0-9.]+) ms")


def worker(i):
    s = None
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    try:
        barrier.wait(timeout=timeout)
    except threading.BrokenBarrierError:
        pass
    if s is None:
        return
    try:
        s.sendall(request)
        status, headers = read_answer(s)
        t = time.monotonic()
        try:
            tail = base64.b64decode(headers.get("x-amz-log-result", "")).decode("utf-8", "replace")
        except ValueError:
            tail = ""
        m = INIT.search(tail)
        results[i] = (status, t, m.group(1) if m else "-")
    except Exception:  # noqa: BLE001 - any failure is an unanswered request
        pass
    finally:
        s.close()


threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
for th in threads:
    th.start()
barrier.wait(timeout=timeout)
t0 = time.monotonic()
for th in threads:
    th.join(timeout + 5)
for r in results:
    if r is None:
        print("000 - -")
    else:
        print("%d %.3f %s" % (r[0], (r[1] - t0) * 1000, r[2]))
