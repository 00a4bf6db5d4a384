#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""deploy.py HOST PORT create FUNCTION | update FUNCTION RUNS GAP_S: bench/run's §16, the
control-plane API through the gateway at HOST:PORT (no authentication), one keep-alive connection.

create: CreateFunction of FUNCTION (runtime python3.12, handler app.lambda_handler, a zip of an app.py
  of its own, so that the code store has never seen it), then Invoke until it answers 200 (10 ms apart: a function still Pending may refuse), then
  DeleteFunction. Prints one line "ms create-ms invokes": from the CreateFunction request to the end
  of the first 200, the CreateFunction call alone, and the invocations it took.
update: CreateFunction of FUNCTION whose app.py answers {"version": "v0"}, warmed; then RUNS times:
  UpdateFunctionCode with the next version's zip, and Invoke 10 ms apart until the answer carries it
  (the time from the UpdateFunctionCode request to the end of that answer is the run's figure), then
  GAP_S seconds for the old instance to go; DeleteFunction at the end. Prints one JSON object: runs
  (ms), update_ms (the UpdateFunctionCode call alone), polls (invocations per run), old_answers
  (answers of the old version meanwhile), errors (answers other than 200, with samples).
"""
import base64
import http.client
import io
import json
import sys
import time
import zipfile

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection(host, port, timeout=120)


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def version_zip(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("app.py")
        info.external_attr = 0o644 << 16
        z.writestr(info, 'VERSION = "%s"\n\n\ndef lambda_handler(event, context):\n    return {"version": VERSION}\n'
                   % version)
    return buf.getvalue()


def create(function, zip_bytes):
    status, body = call("POST", "/2015-03-31/functions", {
        "FunctionName": function, "Runtime": "python3.12", "Handler": "app.lambda_handler",
        "Role": "arn:aws:iam::000000000000:role/lambdad", "Code": {"ZipFile": base64.b64encode(zip_bytes).decode()}})
    if status != 201:
        sys.exit("deploy.py: CreateFunction %s answered %s: %r" % (function, status, body[:300]))


def invoke(function):
    return call("POST", "/2015-03-31/functions/%s/invocations" % function, {"bench": 1})


def until_200(function, errors):
    n = 0
    while True:
        n += 1
        status, body = invoke(function)
        if status == 200:
            return n, body
        errors.append("%s %s" % (status, body[:200].decode(errors="replace")))
        if n > 3000:
            sys.exit("deploy.py: %s never answered 200: %s" % (function, errors[-3:]))
        time.sleep(0.01)


def delete(function):
    status, _ = call("DELETE", "/2015-03-31/functions/" + function)
    if status != 204:
        sys.exit("deploy.py: DeleteFunction %s answered %s" % (function, status))


if mode == "create":
    function = sys.argv[4]
    code = version_zip("%s-%d" % (function, time.time_ns()))
    errors = []
    t0 = time.monotonic()
    create(function, code)
    t1 = time.monotonic()
    n, _ = until_200(function, errors)
    t2 = time.monotonic()
    delete(function)
    print("%.3f %.3f %d" % ((t2 - t0) * 1000, (t1 - t0) * 1000, n))
elif mode == "update":
    function, runs, gap = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
    out = {"runs": [], "update_ms": [], "polls": [], "old_answers": 0, "errors": 0, "error_samples": []}
    errors = []
    create(function, version_zip("v0"))
    until_200(function, errors)
    for k in range(1, runs + 1):
        want = "v%d" % k
        code = base64.b64encode(version_zip(want)).decode()
        t0 = time.monotonic()
        status, body = call("PUT", "/2015-03-31/functions/%s/code" % function, {"ZipFile": code})
        t1 = time.monotonic()
        if status != 200:
            sys.exit("deploy.py: UpdateFunctionCode answered %s: %r" % (status, body[:300]))
        polls = 0
        while True:
            polls += 1
            status, body = invoke(function)
            if status == 200 and json.loads(body).get("version") == want:
                break
            if status == 200:
                out["old_answers"] += 1
            else:
                out["errors"] += 1
                if len(out["error_samples"]) < 5:
                    out["error_samples"].append("%s %s" % (status, body[:200].decode(errors="replace")))
            if polls > 3000:
                sys.exit("deploy.py: version %s never answered" % want)
            time.sleep(0.01)
        t2 = time.monotonic()
        out["runs"].append(round((t2 - t0) * 1000, 3))
        out["update_ms"].append(round((t1 - t0) * 1000, 3))
        out["polls"].append(polls)
        time.sleep(gap)
    delete(function)
    print(json.dumps(out))
else:
    sys.exit("deploy.py: create or update, not %r" % mode)
