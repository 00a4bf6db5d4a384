#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""reload.py HOST PORT FUNCTION DIR RUNS GAP_S MODE MANAGER_LOG: bench/run's §15 code_reload_ms.

FUNCTION is a zip function whose code is the folder DIR ("code_directory"), handler
app.lambda_handler in DIR/app.py answering {"version": VERSION}. Each run:
  - warm: invocations through the gateway at HOST:PORT (one keep-alive connection) until the answer
    carries the version now in DIR/app.py, then 3 more (one instance serving, warm);
  - save: a new version into DIR/app.py, as an editor saves: MODE "atomic" writes DIR/.app.py.tmp
    and renames it over app.py (vim, emacs, JetBrains' "safe write"), "inplace" truncates app.py and
    writes it (VS Code, nano); the save time is taken when the rename (or close) has returned;
  - poll: invocations on the same connection, 10 ms apart, until one answers the new version; the
    time from the save to the end of that answer is the run's figure (ms);
  - then GAP_S seconds, so that the old instances drain before the next run.
MANAGER_LOG (the manager's stderr, lines without times) is followed meanwhile, and each line gets
the time it was read: the lines of each run's window go to its "timeline", in ms from the save.
Prints one JSON object: mode, runs (ms, in order), polls (invocations per run until the new
version, the answering one included), old_answers (answers of the old version after the save),
errors (answers other than 200 or not of the expected form, with samples), timeline.
"""
import http.client
import json
import os
import sys
import threading
import time

host, port, function, code_dir, runs, gap, mode, log_path = sys.argv[1:9]
port, runs, gap = int(port), int(runs), float(gap)
if mode not in ("atomic", "inplace"):
    sys.exit("reload.py: MODE is atomic or inplace, not %r" % mode)
path = "/2015-03-31/functions/%s/invocations" % function
app = os.path.join(code_dir, "app.py")

# ---- the manager's log, each line with the time it was read
log_lines = []
log_stop = threading.Event()


def follow_log():
    try:
        fh = open(log_path, "rb")
    except OSError:
        return
    fh.seek(0, os.SEEK_END)
    buf = b""
    while not log_stop.is_set():
        chunk = fh.read()
        if not chunk:
            time.sleep(0.002)
            continue
        t = time.time()
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            log_lines.append((t, line.decode(errors="replace")))


follower = threading.Thread(target=follow_log, daemon=True)
follower.start()

# ---- invocations
conn = None


def invoke():
    """(status, version or None, body) of one invocation on the keep-alive connection."""
    global conn
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("POST", path, body=b'{"reload":1}', headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read().decode(errors="replace")
        status, fn_error = r.status, r.getheader("X-Amz-Function-Error")
    except (OSError, http.client.HTTPException) as e:
        if conn is not None:
            conn.close()
        conn = None
        return None, None, "%s: %s" % (type(e).__name__, e)
    try:
        d = json.loads(body) if status == 200 and not fn_error else None
    except ValueError:
        d = None
    return status, d.get("version") if isinstance(d, dict) else None, body


def source(version):
    return ('VERSION = "%s"\n\n\ndef lambda_handler(event, context):\n'
            '    return {"version": VERSION}\n' % version)


def save(version):
    data = source(version).encode()
    if mode == "atomic":
        tmp = os.path.join(code_dir, ".app.py.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, app)
    else:
        with open(app, "r+b") as fh:
            fh.truncate(0)
            fh.write(data)
    return time.time()


def current_version():
    with open(app) as fh:
        for line in fh:
            if line.startswith("VERSION = "):
                return json.loads(line.split("=", 1)[1])
    return None


result = {"mode": mode, "runs": [], "polls": [], "old_answers": [], "errors": 0, "error_samples": [],
          "timeline": []}


def error(run, what):
    result["errors"] += 1
    if len(result["error_samples"]) < 5:
        result["error_samples"].append([run, what[:300]])


for run in range(1, runs + 1):
    # Warm: the version on disk answers (after the last run's reload), then 3 more.
    want = current_version()
    deadline = time.time() + 60
    ok = 0
    while ok < 4:
        status, version, body = invoke()
        if version == want:
            ok += 1
        elif time.time() > deadline:
            sys.exit("reload.py: %s does not answer version %s (last: %s %s)" % (function, want, status, body[:200]))
        else:
            time.sleep(0.05)
    new = "v%d-%d" % (run, os.getpid())
    t_save = save(new)
    polls = old = 0
    while True:
        status, version, body = invoke()
        polls += 1
        t = time.time()
        if version == new:
            break
        if version == want:
            old += 1
        else:
            error(run, "%s %s" % (status, body))
        if t - t_save > 60:
            sys.exit("reload.py: no answer of the new version within 60 s of the save")
        time.sleep(0.01)
    result["runs"].append(round((t - t_save) * 1000, 3))
    result["polls"].append(polls)
    result["old_answers"].append(old)
    time.sleep(gap)
    # The manager's log of this run's window: from the save to the end of the gap.
    t_end = time.time()
    result["timeline"].append([[round((lt - t_save) * 1000, 1), line] for lt, line in list(log_lines)
                               if t_save - 0.01 <= lt < t_end])

log_stop.set()
json.dump(result, sys.stdout)
sys.stdout.write("\n")
