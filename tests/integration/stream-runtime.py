#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A bootstrap that speaks the Runtime API's streaming mode byte for byte as aws-lambda-ric 3.x does
# (ResponseStream.js): POST .../response with "Lambda-Runtime-Function-Response-Mode: streaming",
# "Transfer-Encoding: chunked", "Trailer: Lambda-Runtime-Function-Error-Type,
# Lambda-Runtime-Function-Error-Body", one chunk per write, and on failure the two trailer fields (the
# body base64 of the error JSON). The event chooses: {"chunks": N, "pause_ms": M, "size": BYTES per
# chunk, "fail": true (after the chunks), "malformed": true (a bad chunk size after the chunks),
# "cut": true (close the connection after the chunks), "ignore_trailer_decl": true (undeclared)}.

import base64
import json
import os
import socket
import time
import urllib.request

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = api.rsplit(":", 1)
base = f"http://{api}/2018-06-01/runtime/invocation/"

while True:
    with urllib.request.urlopen(base + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"{}")
    chunks = int(event.get("chunks", 3))
    pause = float(event.get("pause_ms", 0)) / 1000
    size = int(event.get("size", 0))
    print(f"streaming {chunks} chunks for {rid}", flush=True)

    s = socket.create_connection((host, int(port)))
    trailer = "" if event.get("ignore_trailer_decl") else \
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
    s.sendall((f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\n"
               f"Host: {api}\r\n"
               "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
               f"{trailer}"
               "Content-Type: application/octet-stream\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode())
    for i in range(chunks):
        if i > 0 and pause:
            time.sleep(pause)
        data = (f"chunk {i}\n" if size == 0 else (str(i % 10) * size)).encode()
        s.sendall(b"%x\r\n%s\r\n" % (len(data), data))
    if event.get("cut"):
        s.close()
        continue
    if event.get("malformed"):
        s.sendall(b"zz\r\nnot a chunk\r\n")
    elif event.get("fail"):
        error = {"errorType": "Error", "errorMessage": "failed mid-stream", "trace": []}
        s.sendall(b"0\r\nLambda-Runtime-Function-Error-Type: Error\r\n"
                  b"Lambda-Runtime-Function-Error-Body: " +
                  base64.b64encode(json.dumps(error).encode()) + b"\r\n\r\n")
    else:
        s.sendall(b"0\r\n\r\n")
    answer = s.recv(4096).decode(errors="replace")
    print("runtime api answered: " + answer.split("\r\n", 1)[0], flush=True)
    s.close()
