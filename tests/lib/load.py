# SPDX-License-Identifier: LGPL-2.1-or-later
#
# load.py URL KEY SECONDS THREADS BOUND [OPTIONS]: a bounded load
# of invocations (THREADS clients for SECONDS, Bearer KEY) while a test breaks something. Prints one
# line: requests, 200s, 503s, bad (anything but a 200, or a 503 or 429 with Retry-After: 1, or an
# answer slower than BOUND seconds), and the statuses of the bad ones (0: no answer: a reset, a
# refused connection, a timeout).
#
# --keep-alive  each client keeps one connection open across its requests (reconnecting only when
#               the server closed it after a complete answer), as the AWS SDKs do
# --expect TEXT a 200 must carry TEXT in its body, else it is bad (shown as status 2000)
# --payload P   the event to send (default {"load":1})
# --function-error TYPE
#               a 200 with X-Amz-Function-Error is good when its body's errorType is TYPE (else
#               every function error is bad, shown as status 2001)
# --log FILE    one line per request: start and end (epoch seconds), status, and Retry-After, the
#               function error's type (a 200 with X-Amz-Function-Error), the exception's name
#               (status 0) or -
# --backoff S   after a 503 or 429, wait S seconds before the next request, as the AWS SDKs back
#               off (from 100 ms) instead of spinning
import http.client, json, sys, threading, time, urllib.parse

url, key, seconds, threads, bound = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
keep_alive, expect, log, backoff = False, None, None, 0.0
payload, function_error = b'{"load":1}', None
args = sys.argv[6:]
while args:
    opt = args.pop(0)
    if opt == "--keep-alive":
        keep_alive = True
    elif opt == "--expect":
        expect = args.pop(0)
    elif opt == "--log":
        log = args.pop(0)
    elif opt == "--payload":
        payload = args.pop(0).encode()
    elif opt == "--function-error":
        function_error = args.pop(0)
    elif opt == "--backoff":
        backoff = float(args.pop(0))
    else:
        sys.exit("load.py: unknown option " + opt)

target = urllib.parse.urlsplit(url)
path = target.path + ("?" + target.query if target.query else "")
results, lock = [], threading.Lock()


def one(conn):
    """One invocation on conn: (status or 2000/2001 for a bad 200, what --log shows after it,
    whether the connection may be reused)."""
    conn.request("POST", path, body=payload, headers={"Authorization": "Bearer " + key,
                                                      "Connection": "keep-alive" if keep_alive else "close"})
    r = conn.getresponse()
    body = r.read()
    code, extra = r.status, r.getheader("Retry-After")
    if code == 200 and r.getheader("X-Amz-Function-Error"):
        extra = json.loads(body).get("errorType", "?")
        if extra != function_error:
            code = 2001
    elif code == 200 and expect is not None and expect.encode() not in body:
        code = 2000
    return code, extra, not r.will_close


def worker():
    end = time.time() + seconds
    conn = None
    while time.time() < end:
        start = time.time()
        if conn is None:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            code, retry, reuse = one(conn)
        except Exception as e:
            # Which failure it was goes where Retry-After would be, for --log.
            code, retry, reuse = 0, type(e).__name__, False
        if not (keep_alive and reuse):
            conn.close()
            conn = None
        with lock:
            results.append((code, retry, time.time() - start, start, time.time()))
        if code in (429, 503) and backoff > 0:
            time.sleep(backoff)
    if conn is not None:
        conn.close()


workers = [threading.Thread(target=worker) for _ in range(threads)]
for t in workers:
    t.start()
for t in workers:
    t.join()
if log:
    with open(log, "w") as f:
        for r in sorted(results, key=lambda r: r[3]):
            f.write("%.3f %.3f %d %s\n" % (r[3], r[4], r[0], r[1] or "-"))
bad = [r for r in results if r[0] not in (200, 429, 503) or (r[0] != 200 and r[1] != "1") or r[2] > bound]
print(len(results), sum(r[0] == 200 for r in results), sum(r[0] == 503 for r in results), len(bad),
      sorted(set(r[0] for r in bad)))
