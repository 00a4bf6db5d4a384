# SPDX-License-Identifier: LGPL-2.1-or-later
#
# soak.py URL KEY AKID SECRET COUNT THREADS: COUNT requests over THREADS keep-alive clients, going
# round a table of every answer the gateway gives (invocations that succeed, function errors and
# crashes, Event and DryRun, SigV4 good and bad, every 4xx of the Invoke API, ListFunctions, the
# operational endpoints, malformed HTTP). Each answer's status (and the headers that matter) is
# checked. Prints "N requests, M wrong" and the first wrong answers; exits 1 if any was wrong.
#
# For the sanitized build's leak checking (tools/test.sh): the daemons then exit, and every path
# they took must have given back what it took.
import http.client, socket, sys, threading, urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, key, akid, secret, count, threads = sys.argv[1:5] + [int(sys.argv[5]), int(sys.argv[6])]
target = urllib.parse.urlsplit(url)
BEARER = {"Authorization": "Bearer " + key}
INVOKE = "/2015-03-31/functions/%s/invocations"


def signed(method, path, body, secret_key):
    req = AWSRequest(method=method, url=url + path, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(akid, secret_key), "lambda", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def header(name, value):
    return lambda r, body: r.getheader(name) == value


def body_is(text):
    return lambda r, body: body == text


# (name, method, path, headers, body, status, extra check or None), cheap ones first; the costly
# ones are taken every so often (see pick).
CASES = [
    ("invoke", "POST", INVOKE % "echo", BEARER, b'{"soak":1}', 200, body_is(b'{"soak":1}')),
    ("seed route", "POST", "/functions/echo/invocations", BEARER, b'{"soak":2}', 200, body_is(b'{"soak":2}')),
    ("qualifier", "POST", INVOKE % "echo" + "?Qualifier=%24LATEST", BEARER, b"{}", 200, None),
    ("bad qualifier", "POST", INVOKE % "echo" + "?Qualifier=a%2", BEARER, b"{}", 400, None),
    ("function error", "POST", INVOKE % "fail", BEARER, b"{}", 200, header("X-Amz-Function-Error", "Unhandled")),
    ("event", "POST", INVOKE % "echo", dict(BEARER, **{"X-Amz-Invocation-Type": "Event"}), b"{}", 202, None),
    ("dry run", "POST", INVOKE % "echo", dict(BEARER, **{"X-Amz-Invocation-Type": "DryRun"}), b"{}", 204, None),
    ("bad invocation type", "POST", INVOKE % "echo", dict(BEARER, **{"X-Amz-Invocation-Type": "x"}), b"{}", 400, None),
    ("log tail", "POST", INVOKE % "echo", dict(BEARER, **{"X-Amz-Log-Type": "Tail"}), b"{}", 200, None),
    ("bad client context", "POST", INVOKE % "echo", dict(BEARER, **{"X-Amz-Client-Context": "!"}), b"{}", 400, None),
    ("not json", "POST", INVOKE % "echo", BEARER, b"{nope", 400, None),
    ("unknown function", "POST", INVOKE % "nosuch", BEARER, b"{}", 404, None),
    ("bad function name", "POST", INVOKE % "a%20b", BEARER, b"{}", 400, None),
    ("no key", "POST", INVOKE % "echo", {}, b"{}", 403, None),
    ("wrong key", "POST", INVOKE % "echo", {"Authorization": "Bearer nope"}, b"{}", 403, None),
    ("wrong method", "GET", INVOKE % "echo", BEARER, None, 405, None),
    ("unknown path", "GET", "/nowhere", BEARER, None, 404, None),
    ("list functions", "GET", "/2015-03-31/functions/", BEARER, None, 200, None),
    ("list functions, bad MaxItems", "GET", "/2015-03-31/functions/?MaxItems=0", BEARER, None, 400, None),
    ("healthz", "GET", "/healthz", {}, None, 200, None),
    ("metrics", "GET", "/metrics", BEARER, None, 200, None),
    ("sigv4", "POST", INVOKE % "echo", "sigv4", b'{"signed":1}', 200, body_is(b'{"signed":1}')),
    ("sigv4, wrong secret", "POST", INVOKE % "echo", "sigv4-bad", b"{}", 403, None),
]
EVERY = {
    # name: (every Nth request, case)
    "crash": (97, ("crash", "POST", INVOKE % "crash", BEARER, b'{"crash":1}', 200,
                   header("X-Amz-Function-Error", "Unhandled"))),
    "too large": (499, ("too large", "POST", INVOKE % "echo", BEARER, b"[" + b"0," * (3 << 20) + b"0]", 413, None)),
    "malformed": (53, ("malformed HTTP", "RAW", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", None, None, 400, None)),
    "no host": (59, ("no Host", "RAW", b"GET /healthz HTTP/1.1\r\n\r\n", None, None, 400, None)),
    "version": (61, ("HTTP/2.0", "RAW", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", None, None, 505, None)),
}

lock = threading.Lock()
next_i, done, wrong = 0, 0, []


def pick(i):
    for every, case in EVERY.values():
        if i % every == every - 1:
            return case
    return CASES[i % len(CASES)]


def raw(request):
    with socket.create_connection((target.hostname, target.port), timeout=30) as s:
        s.sendall(request)
        answer = s.recv(4096)
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def one(conn, case):
    name, method, path, headers, body, status, extra = case
    if method == "RAW":
        return raw(path), None
    if headers == "sigv4":
        headers = signed(method, path, body, secret)
    elif headers == "sigv4-bad":
        headers = signed(method, path, body, secret + "x")
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status == status and extra and not extra(r, data):
        return r.status, "wrong headers or body: %r" % data[:200]
    return r.status, None


def worker():
    global next_i, done
    conn = None
    while True:
        with lock:
            if next_i >= count:
                break
            i, next_i = next_i, next_i + 1
        case = pick(i)
        if conn is None:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        try:
            got, why = one(conn, case)
        except Exception as e:
            got, why = 0, type(e).__name__
            conn.close()
            conn = None
        with lock:
            done += 1
            if got != case[5] or why:
                wrong.append("%s: %s, expected %s%s" % (case[0], got, case[5], " (%s)" % why if why else ""))


workers = [threading.Thread(target=worker) for _ in range(threads)]
for t in workers:
    t.start()
for t in workers:
    t.join()
print("%d requests, %d wrong" % (done, len(wrong)))
for w in wrong[:20]:
    print("  " + w)
sys.exit(1 if wrong or done < count else 0)
