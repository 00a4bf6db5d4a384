# SPDX-License-Identifier: LGPL-2.1-or-later
#
# load.py URL KEY SECONDS THREADS BOUND: a bounded load of invocations (THREADS clients for
# SECONDS, Bearer KEY) while a test breaks something. Prints one line: requests, 200s, 503s, bad
# (anything but a 200 or a 503 with Retry-After: 1, or an answer slower than BOUND seconds), and
# the statuses of the bad ones.
import sys, threading, time, urllib.error, urllib.request

url, key, seconds, threads, bound = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
results, lock = [], threading.Lock()


def worker():
    end = time.time() + seconds
    while time.time() < end:
        start = time.time()
        req = urllib.request.Request(url, data=b'{"load":1}', headers={"Authorization": "Bearer " + key})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code, retry = r.status, None
        except urllib.error.HTTPError as e:
            code, retry = e.code, e.headers.get("Retry-After")
        except Exception:
            code, retry = 0, None
        with lock:
            results.append((code, retry, time.time() - start))


workers = [threading.Thread(target=worker) for _ in range(threads)]
for t in workers:
    t.start()
for t in workers:
    t.join()
bad = [r for r in results if r[0] not in (200, 503) or (r[0] == 503 and r[1] != "1") or r[2] > bound]
print(len(results), sum(r[0] == 200 for r in results), sum(r[0] == 503 for r in results), len(bad),
      sorted(set(r[0] for r in bad)))
