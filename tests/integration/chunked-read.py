#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# POSTs a body to an HTTP/1.1 URL and reads the answer off the socket itself, so that nothing buffers
# it: prints JSON with the status, the headers, each piece of the body as it arrived with its time
# since the request went out (the chunks of a chunked answer, as the peer framed them), the trailer
# fields, and whether the framing was complete. With LAG_S and LAG_PID in the environment, it waits
# LAG_S seconds after the head before reading on (a slow client), then notes the peak memory (VmHWM,
# kB) of process LAG_PID as "lag_hwm_kb".
# Usage: chunked-read.py URL BODY [HEADER: VALUE ...]

import json
import os
import socket
import sys
import time
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
body = sys.argv[2].encode()
extra = "".join(h + "\r\n" for h in sys.argv[3:])
s = socket.create_connection((url.hostname, url.port), timeout=60)
start = time.monotonic()
s.sendall((f"POST {url.path}{'?' + url.query if url.query else ''} HTTP/1.1\r\nHost: {url.netloc}\r\n"
           f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body)
f = s.makefile("rb")


def line():
    return f.readline().decode("latin-1").rstrip("\r\n")


def fields():
    out = {}
    while True:
        h = line()
        if not h:
            return out
        k, _, v = h.partition(":")
        out[k.strip().lower()] = v.strip()


status = int(line().split()[1])
headers = fields()
chunks, trailers, complete, hwm = [], {}, False, None
if os.environ.get("LAG_S"):
    time.sleep(float(os.environ["LAG_S"]))
    with open(f"/proc/{os.environ['LAG_PID']}/status") as st:
        hwm = next(int(l.split()[1]) for l in st if l.startswith("VmHWM:"))
if headers.get("transfer-encoding", "").lower() == "chunked":
    while True:
        size_line = line()
        if not size_line:
            break
        n = int(size_line.split(";")[0], 16)
        if n == 0:
            trailers = fields()
            complete = True
            break
        data = f.read(n)
        f.read(2)
        chunks.append({"t": round(time.monotonic() - start, 3), "data": data.decode("latin-1")})
else:
    data = f.read(int(headers.get("content-length", "0")))
    chunks.append({"t": round(time.monotonic() - start, 3), "data": data.decode("latin-1")})
    complete = True
print(json.dumps({"status": status, "headers": headers, "chunks": chunks, "trailers": trailers,
                  "complete": complete, "lag_hwm_kb": hwm}))
