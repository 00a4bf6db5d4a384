# SPDX-License-Identifier: LGPL-2.1-or-later
#
# httpanswer.py: reads one HTTP/1.1 answer off a raw socket (the head, then as much body as its
# Content-Length says), for the bench's clients that time requests sent whole at once (burst.py,
# scaleout.py). Returns (status, headers with lower-case names).


def read_answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers
