#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The server-side MUSTs of RFC 9112 and RFC 9110 that apply to lambda-gateway, each sent as raw
bytes over a real socket, one table row a requirement: what is sent, the status that must come
back, and whether the connection must be closed after it. Prints TAP lines; exits 1 if any fails.

usage: http-musts.py HOST PORT FUNCTION [SILENT]

With SILENT, last: SILENT connections that send nothing are opened first (the gateway must run
with a smaller --max-connections), and a well-formed request must still be answered 200.
"""
import resource
import socket
import sys
import time

HOST, PORT, FN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SILENT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
PATH = "/2015-03-31/functions/%s/invocations" % FN
BODY = b'{"m":1}'


def post(headers, body=BODY, target=PATH, version="HTTP/1.1", method="POST"):
    head = "%s %s %s\r\n" % (method, target, version) + "".join(h + "\r\n" for h in headers) + "\r\n"
    return head.encode() + body


def cl(body=BODY):
    return "Content-Length: %d" % len(body)


# (requirement, request bytes, expected status, the connection must close after it)
ROWS = [
    ("9112 3.2: HTTP/1.1 without Host -> 400", post([cl()]), 400, False),
    ("9112 3.2: two Host fields -> 400", post(["Host: a", "Host: b", cl()]), 400, False),
    ("9112 3.2: a Host value that is not uri-host[:port] -> 400", post(["Host: a/b", cl()]), 400, False),
    ("9112 3.2: Host with a port, and an IP literal", post(["Host: [::1]:8080", cl()]), 200, False),
    ("9112 3.2: HTTP/1.0 needs no Host", post([cl()], version="HTTP/1.0"), 200, True),
    ("9112 3.2.2: absolute-form accepted", post(["Host: x", cl()], target="http://x" + PATH), 200, False),
    ("9112 5.1: whitespace before the colon -> 400", post(["Host: x", "Content-Length : 7"]), 400, True),
    ("9112 6.1: Transfer-Encoding and Content-Length -> 400 and close",
     post(["Host: x", cl(), "Transfer-Encoding: chunked"], b"7\r\n" + BODY + b"\r\n0\r\n\r\n"), 400, True),
    ("9112 6.1: chunked not the final coding -> 400 and close",
     post(["Host: x", "Transfer-Encoding: chunked, gzip"], b"7\r\n" + BODY + b"\r\n0\r\n\r\n"), 400, True),
    ("9112 6.1: an unknown transfer coding -> 400 (or 501) and close",
     post(["Host: x", "Transfer-Encoding: frobnicate"], BODY), 400, True),
    ("9112 6.3: two different Content-Length values -> 400 and close",
     post(["Host: x", "Content-Length: 7", "Content-Length: 8"]), 400, True),
    ("9112 6.3: a Content-Length that is not a number -> 400 and close",
     post(["Host: x", "Content-Length: 7a"]), 400, True),
    ("9112 7.1: a chunk size that is not hex -> 400 and close",
     post(["Host: x", "Transfer-Encoding: chunked"], b"zz\r\n" + BODY + b"\r\n0\r\n\r\n"), 400, True),
    ("9112 7.1: chunked body accepted",
     post(["Host: x", "Transfer-Encoding: chunked"], b"3\r\n" + BODY[:3] + b"\r\n4\r\n" + BODY[3:] + b"\r\n0\r\n\r\n"),
     200, False),
    ("9112 2.3 / 9110 6.2: HTTP/2.0 in an HTTP/1 request line -> 505", post(["Host: x", cl()], version="HTTP/2.0"),
     505, True),
    ("9112 3: a request-target longer than the server takes -> 414",
     post(["Host: x", cl()], target=PATH + "?" + "a" * 9000), 414, True),
    ("9110 15.5.6: a method the path does not take -> 405 with Allow", post(["Host: x", cl()], method="PUT"), 405,
     False),
    ("9110 9.1: an unknown method -> 501", post(["Host: x", cl()], method="FROB"), 501, True),
    ("9110 15.5.20: header fields too large -> 431", post(["Host: x", "X-Big: " + "a" * 20000, cl()]), 431, True),
    ("9112 9.6: Connection: close is honoured", post(["Host: x", "Connection: close", cl()]), 200, True),
    ("9112 9.3: keep-alive by default in HTTP/1.1", post(["Host: x", cl()]), 200, False),
]


def exchange(data, expect_continue=False):
    """Sends data, returns (status line, headers, whether the server closed afterwards); a reset
    before any answer is the status line "reset", so that the table goes on and the row fails."""
    s = socket.create_connection((HOST, PORT), timeout=15)
    try:
        return exchange_on(s, data, expect_continue)
    except ConnectionResetError:
        return "reset", [], True
    finally:
        s.close()


def exchange_on(s, data, expect_continue):
    """exchange() on the connected socket s."""
    if expect_continue:
        head, body = data.split(b"\r\n\r\n", 1)
        s.sendall(head + b"\r\n\r\n")
        first = s.recv(65536)
        if not first.startswith(b"HTTP/1.1 100"):
            return first.split(b"\r\n", 1)[0].decode(), first, True
        s.sendall(body)
    else:
        s.sendall(data)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    # Closed by the server: EOF within a short wait.
    s.settimeout(1.0)
    try:
        closed = s.recv(1) == b""
    except socket.timeout:
        closed = False
    return lines[0], lines, closed


failed = 0
n = 0
for name, data, status, must_close in ROWS:
    n += 1
    line, lines, closed = exchange(data)
    got = int(line.split(" ")[1]) if line.startswith("HTTP/1.1 ") and len(line.split(" ")) > 1 else 0
    ok = got == status and (not must_close or closed)
    if ok and status == 405:
        ok = any(l.lower().startswith("allow:") for l in lines)
    if ok and status in (400, 501, 505) and must_close:
        ok = closed
    if not ok and status == 400 and "unknown transfer coding" in name and got == 501 and closed:
        ok = True
    print("%s %d - %s (got %s%s)" % ("ok" if ok else "not ok", n, name, line, ", closed" if closed else ""))
    failed += not ok

n += 1
line, lines, closed = exchange(post(["Host: x", cl(), "Expect: 100-continue"]), expect_continue=True)
ok = line.startswith("HTTP/1.1 200")
print("%s %d - 9110 10.1.1: Expect: 100-continue gets 100 Continue, then the answer (got %s)" % ("ok" if ok else "not ok", n, line))
failed += not ok
if SILENT:
    n += 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (SILENT + 2000, SILENT + 2000))
    silent = []
    for _ in range(SILENT):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((HOST, PORT))
        except BlockingIOError:
            pass
        silent.append(s)
    time.sleep(1.0)
    line, lines, closed = exchange(post(["Host: x", cl()]))
    ok = line.startswith("HTTP/1.1 200")
    print("%s %d - limits: %d silent connections do not keep a request out (got %s)" % (
        "ok" if ok else "not ok", n, SILENT, line))
    failed += not ok
    for s in silent:
        s.close()
print("1..%d" % n)
sys.exit(1 if failed else 0)
