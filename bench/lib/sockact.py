#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""sockact.py ADDR:PORT LOG CMD...: socket activation the way systemd's .socket units do it.

systemd-socket-activate execs the service at the first connection, so once a service exits on
idle nothing listens any more. This keeps the listening socket, starts CMD with it as fd 3
(LISTEN_FDS=1, LISTEN_PID) when a connection waits and CMD is not running, and starts it again
after it exits and a new connection waits. It never accepts a connection itself. One line per
start goes to LOG ("<monotonic seconds> start <pid>", "... exit <pid> <status>").
"""
import os
import select
import signal
import socket
import sys
import time

addr, logpath, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
host, _, port = addr.rpartition(":")
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, int(port)))
listener.listen(1024)
child = None


def log(line):
    with open(logpath, "a") as f:
        f.write("%.6f %s\n" % (time.monotonic(), line))


def stop(signum, frame):
    if child:
        try:
            os.kill(child, signal.SIGTERM)
            os.waitpid(child, 0)
        except OSError:
            pass
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
log("listening %s" % addr)
failures = 0
while True:
    select.select([listener], [], [])
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        # Python's sockets are close-on-exec: fd 3 must be inheritable, whichever number it had.
        if listener.fileno() == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(listener.fileno(), 3, inheritable=True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.execvp(cmd[0], cmd)
    log("start %d" % child)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    log("exit %d %d" % (child, code))
    child = None
    failures = failures + 1 if code != 0 and time.monotonic() - started < 2 else 0
    if failures >= 5:
        log("failing too fast, giving up")
        sys.exit(1)
