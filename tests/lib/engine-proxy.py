#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# engine-proxy.py LISTEN TARGET [MODE_FILE]: the container engine as lambda-manager sees it in the
# tests, a unix socket that passes calls on to the real one and that a test can take away (kill it)
# or make misbehave.
# Modes (MODE_FILE's content): pass; drop (take each request, answer nothing: the engine went away
# mid-call); 500 (answer creates with the engine's own failure, pass the rest); busy (answer each
# DELETE after 2.5 s with 500 "device or resource busy", as dockerd does for a container whose removal
# it cannot finish after a restart; pass the rest). A change of mode closes every connection, as an
# engine restart does.
import asyncio, os, sys
listen, target = sys.argv[1:3]
mode_file = sys.argv[3] if len(sys.argv) > 3 else None
conns = set()
def mode():
    if not mode_file:
        return "pass"
    try:
        return open(mode_file).read().strip()
    except OSError:
        return "pass"
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    finally:
        w.close()
async def read_request(r):
    head = await r.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head, await r.readexactly(length) if length else b""
async def answer_500(cw, msg):
    cw.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
    await cw.drain()
async def one_by_one(cr, cw, m):
    while True:
        head, body = await read_request(cr)
        line = head.split(b"\r\n", 1)[0]
        if m == "500" and b"/containers/create" in line:
            await answer_500(cw, b'{"message":"failed to create shim task: dial unix /run/containerd/containerd.sock: connect: connection refused: unavailable"}')
            continue
        if m == "busy" and line.startswith(b"DELETE /"):
            await asyncio.sleep(2.5)
            cid = line.split(b"/containers/")[1].split(b"?")[0][:64]
            await answer_500(cw, b'{"message":"container %s: driver \\"overlay2\\" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/x/merged: device or resource busy"}' % cid)
            continue
        tr, tw = await asyncio.open_unix_connection(target)
        tw.write(head[:-2] + b"Connection: close\r\n\r\n" + body)
        while data := await tr.read(65536):
            cw.write(data)
            await cw.drain()
        tw.close()
async def handle(cr, cw):
    conns.add(cw)
    try:
        m = mode()
        if m == "drop":
            await cr.read(65536)
        elif m in ("500", "busy"):
            await one_by_one(cr, cw, m)
        else:
            tr, tw = await asyncio.open_unix_connection(target)
            conns.add(tw)
            await asyncio.gather(pipe(cr, tw), pipe(tr, cw), return_exceptions=True)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        cw.close()
async def watch_mode():
    last = mode()
    while True:
        await asyncio.sleep(0.05)
        if mode() != last:
            last = mode()
            for w in list(conns):
                w.close()
            conns.clear()
async def main():
    if os.path.exists(listen):
        os.unlink(listen)
    server = await asyncio.start_unix_server(handle, path=listen)
    asyncio.create_task(watch_mode())
    async with server:
        await server.serve_forever()
asyncio.run(main())
