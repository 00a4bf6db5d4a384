# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zip-reload-clients.py URL KEY FUNCTION CLIENTS STOP_FILE SAVED_FILE OLD NEW: test-zip.sh's
# clients during a hot reload. CLIENTS threads invoke FUNCTION through the gateway at URL (API
# key KEY), one request after another on a keep-alive connection each, until STOP_FILE exists.
# The function answers {"app": VERSION, "part": VERSION}, one version from each of its two files.
# SAVED_FILE holds the time (epoch seconds) at which the test had written the NEW version of both.
# Prints one JSON object:
#   requests        how many were answered or failed
#   failures        how many failed (no 200, a function error, an answer that is not the JSON
#                   above), and the first few of them in "failure_samples"
#   mixed           answers whose two versions differ (and samples; counted nowhere else)
#   old, new        answers of each version
#   reload_ms       from the save to the first answer of the new version (null: none came)
#   old_after_new   answers of the old version to requests sent after the first new answer came
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

url, key, function, clients, stop_file, saved_file, old, new = sys.argv[1:9]
target = urllib.parse.urlsplit(url)
path = "/2015-03-31/functions/%s/invocations" % function
records = []
lock = threading.Lock()


def client():
    conn = None
    while not os.path.exists(stop_file):
        start = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            conn.request("POST", path, body=b"{}", headers={"Authorization": "Bearer " + key,
                                                             "Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read().decode(errors="replace")
            outcome = (r.status, r.getheader("X-Amz-Function-Error"), body)
        except (OSError, http.client.HTTPException) as e:
            if conn is not None:
                conn.close()
            conn = None
            outcome = (None, None, "%s: %s" % (type(e).__name__, e))
        with lock:
            records.append((start, time.time()) + outcome)


threads = [threading.Thread(target=client) for _ in range(int(clients))]
for t in threads:
    t.start()
for t in threads:
    t.join()

with open(saved_file) as f:
    saved = float(f.read())
summary = {"requests": len(records), "failures": 0, "failure_samples": [], "mixed": 0, "mixed_samples": [],
           "old": 0, "new": 0, "reload_ms": None, "old_after_new": 0}
first_new = None
answers = []
for start, end, status, error, body in sorted(records):
    try:
        d = json.loads(body) if status == 200 and not error else None
    except ValueError:
        d = None
    if not isinstance(d, dict) or "app" not in d or "part" not in d:
        summary["failures"] += 1
        if len(summary["failure_samples"]) < 5:
            summary["failure_samples"].append([round(start - saved, 3), status, error, body[:300]])
        continue
    if d["app"] != d["part"]:
        summary["mixed"] += 1
        if len(summary["mixed_samples"]) < 5:
            summary["mixed_samples"].append([round(start - saved, 3), d])
        continue
    if d["app"] == new:
        summary["new"] += 1
        if first_new is None or end < first_new:
            first_new = end
    elif d["app"] == old:
        summary["old"] += 1
    answers.append((start, d["app"]))
if first_new is not None:
    summary["reload_ms"] = round((first_new - saved) * 1000)
    summary["old_after_new"] = sum(1 for start, v in answers if start > first_new and v == old)
print(json.dumps(summary))
