#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Function URLs through lambda-gateway, with the real manager and dockerd: curl at /url/NAME/... and
# by Host NAME.lambda-url.HOST (GET and POST, query strings, cookies in and Set-Cookie out, a binary
# body's base64 round trip), AWS_IAM URLs signed with SigV4 by curl, the answer mappings (function
# error 502, JSON without statusCode 200 application/json, malformed 502), 404, 400 for paths that
# escape their prefix, 413, 429 at max_instances, CORS preflights, a RESPONSE_STREAM URL's prelude,
# and a real headless Chromium loading a page from one function URL that fetch()es another URL on
# another origin, allowed by CORS or refused. About 20 s here.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lambdad.sh"
lib_init function-url
require_cmd curl
require_cmd python3
ensure_dockerd
lambdad_init
lambdad_images url

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
PAGE_ORIGIN=http://page.lambda-url.localhost:$PORT
decl() { # NAME URL-OBJECT [EXTRA]
        printf '{ "image": "%surl:latest", "max_instances": 2, "url": %s%s }\n' "$IMAGE_PREFIX" "$2" "${3:-}" >"$FN/$1.json"
}
decl pub '{"auth": "NONE"}'
decl iam '{"auth": "AWS_IAM"}'
decl page '{"auth": "NONE"}'
decl api "{\"auth\": \"NONE\", \"cors\": {\"allow_origins\": [\"$PAGE_ORIGIN\"], \"allow_methods\": [\"POST\", \"GET\"],
        \"allow_headers\": [\"content-type\", \"x-test\"], \"expose_headers\": [\"x-request-id\"], \"max_age\": 300}}"
decl closed '{"auth": "NONE", "cors": {"allow_origins": ["http://other.example"], "allow_methods": ["*"], "allow_headers": ["*"]}}'
decl streamed '{"auth": "NONE", "invoke_mode": "RESPONSE_STREAM"}' ', "environment": {"URL_MODE": "stream"}'
# At the limit the manager waits 1 s for an instance (--wait-timeout); the function takes 3 (of its 10).
printf '{ "image": "%surl:latest", "max_instances": 1, "timeout_sec": 10, "url": {"auth": "NONE"} }\n' "$IMAGE_PREFIX" >"$FN/one.json"
printf '{ "image": "%surl:latest" }\n' "$IMAGE_PREFIX" >"$FN/nourl.json"
lambdad_bus --docker-socket="$LIB_DOCKER_SOCK" --exit-idle=0 --wait-timeout=1

AKID=AKIDLAMBDADURLTEST01
SECRET=lambdadUrlSecretKey0123456789abcdefgh
printf '%s %s *\n' "$AKID" "$SECRET" >"$TEST_TMP/credentials"
chmod 0640 "$TEST_TMP/credentials"
socket_activate "127.0.0.1:$PORT" "$GATEWAY" --credentials="$TEST_TMP/credentials" --exit-idle=0 {_LAMBDAD_LOCK}>&-

c() { curl -sS --max-time 30 "$@"; }
json() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1"; }
header() { tr -d '\r' <"$1" | grep -i "^$2:" | cut -d' ' -f2- | paste -sd'|'; }

# ---- the manager's side: GetFunctionConfiguration
conf() { busctl --system call org.lambdad.Manager1 /org/lambdad/Manager1 org.lambdad.Manager1 GetFunctionConfiguration s "$1" 2>&1; }
check "GetFunctionConfiguration: a URL's keys" assert_contains "$(conf api)" \
        "\"UrlAuthType\" s \"NONE\" \"UrlInvokeMode\" s \"BUFFERED\" \"UrlCors\" s \"{\\\"AllowOrigins\\\":[\\\"$PAGE_ORIGIN\\\"]" "reply"
check "GetFunctionConfiguration: no URL keys without a url (the Event queue's keys, then the function's own)" bash -c \
        '[[ $1 == "a{sv} 10 \"MaxInstances\" u 4 \"MaximumRetryAttempts\" u 2 \"MaximumEventAgeSeconds\" u 21600 \"Source\" s \"operator\" "* && $1 != *Url* ]]' \
        _ "$(conf nourl)"
check "GetFunctionConfiguration: FunctionNotFound" assert_contains "$(conf nosuch)" "is not declared" "error"

# ---- GET and POST through /url/NAME/..., the event as the function saw it
ev=$(c -H 'Cookie: a=1; b=2' -H 'X-Multi: one' -H 'X-Multi: two' -A 'test-agent/1' "$URL/url/pub/some/path?x=1&y=a%20b&x=2")
check "GET: the event's version and routeKey" assert_eq '2.0 $default' "$(json 'd["version"], d["routeKey"]' <<<"$ev" | tr -d "(),'")" "event"
check "GET: rawPath is the path under /url/NAME" assert_eq /some/path "$(json 'd["rawPath"]' <<<"$ev")" "rawPath"
check "GET: rawQueryString" assert_eq 'x=1&y=a%20b&x=2' "$(json 'd["rawQueryString"]' <<<"$ev")" "rawQueryString"
check "GET: queryStringParameters decoded, repeated keys comma-joined" assert_eq "{'x': '1,2', 'y': 'a b'}" \
        "$(json 'd["queryStringParameters"]' <<<"$ev")" "queryStringParameters"
check "GET: cookies" assert_eq "['a=1', 'b=2']" "$(json 'd["cookies"]' <<<"$ev")" "cookies"
check "GET: headers lower-case, repeated ones comma-joined, no cookie header" assert_eq "one,two|test-agent/1|False" \
        "$(json '"|".join(map(str, (d["headers"]["x-multi"], d["headers"]["user-agent"], "cookie" in d["headers"])))' <<<"$ev")" "headers"
check "GET: requestContext.http" assert_eq "GET /some/path HTTP/1.1 127.0.0.1 test-agent/1" \
        "$(json 'd["requestContext"]["http"]["method"], d["requestContext"]["http"]["path"], d["requestContext"]["http"]["protocol"], d["requestContext"]["http"]["sourceIp"], d["requestContext"]["http"]["userAgent"]' <<<"$ev" | tr -d "(),'")" "http"
check "GET: requestContext stage, domainName, apiId, time and timeEpoch" python3 - "$ev" "$PORT" <<'PY'
import json, sys, time, re
d = json.loads(sys.argv[1])["requestContext"]
assert d["stage"] == "$default" and d["routeKey"] == "$default", d
assert d["domainName"] == "127.0.0.1:" + sys.argv[2] and d["apiId"] == "pub" and d["accountId"] == "anonymous", d
assert abs(d["timeEpoch"] / 1000 - time.time()) < 60, d
assert re.fullmatch(r"\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d \+0000", d["time"]), d["time"]
assert len(d["requestId"]) == 36, d
PY
ev=$(c -X POST -H 'Content-Type: application/json' --data '{"posted":true}' "$URL/url/pub/?q=v")
check "POST JSON: the body as text" assert_eq '{"posted":true} False POST' \
        "$(json 'd["body"], d["isBase64Encoded"], d["requestContext"]["http"]["method"]' <<<"$ev" | tr -d "(),'")" "body"
check "no path under /url/NAME: rawPath /" assert_eq / "$(c "$URL/url/pub" | json 'd["rawPath"]')" "rawPath"

# ---- a binary body: base64 in the event, and back through isBase64Encoded
head -c 3000 /dev/urandom >"$TEST_TMP/bin.in"
c -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/bin.in" -o "$TEST_TMP/bin.out" \
        -D "$TEST_TMP/bin.h" "$URL/url/pub/binary"
check "binary body: the same bytes come back" cmp "$TEST_TMP/bin.in" "$TEST_TMP/bin.out"
check "binary body: with the function's content type" assert_eq application/octet-stream "$(header "$TEST_TMP/bin.h" content-type)" "content-type"
ev=$(c -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/bin.in" "$URL/url/pub/echo")
check "binary body: isBase64Encoded in the event" assert_eq True "$(json 'd["isBase64Encoded"]' <<<"$ev")" "isBase64Encoded"

# ---- the answer: statusCode, headers, cookies, body
body=$(c -D "$TEST_TMP/ck.h" "$URL/url/pub/cookies")
check "answer: statusCode" assert_contains "$(head -n 1 "$TEST_TMP/ck.h")" " 201" "status"
check "answer: body" assert_eq created "$body" "body"
check "answer: the function's headers" assert_eq yes "$(header "$TEST_TMP/ck.h" x-custom)" "x-custom"
check "answer: one Set-Cookie per cookie" assert_eq 'a=1; Path=/|b=2; HttpOnly' "$(header "$TEST_TMP/ck.h" set-cookie)" "set-cookie"
body=$(c -D "$TEST_TMP/js.h" "$URL/url/pub/json")
check "JSON without statusCode: 200 application/json, the output as the body" assert_eq '200 application/json {"hello":"world"}' \
        "$(head -n 1 "$TEST_TMP/js.h" | cut -d' ' -f2) $(header "$TEST_TMP/js.h" content-type) $body" "answer"
check "a JSON string: its contents as the body" assert_eq "just a string" "$(c "$URL/url/pub/string")" "body"

st=$(c -I -o "$TEST_TMP/head.h" -w '%{http_code}' "$URL/url/pub/cookies")
check "HEAD: the head GET gets (its Content-Length), no body" assert_eq "201 7" "$st $(header "$TEST_TMP/head.h" content-length)" "head"

# ---- Host-based routing
ev=$(c -H "Host: pub.lambda-url.localhost:$PORT" "$URL/hosted/path?h=1")
check "Host NAME.lambda-url.HOST: the whole path is the function's" assert_eq "/hosted/path h=1 pub pub.lambda-url.localhost:$PORT" \
        "$(json 'd["rawPath"], d["rawQueryString"], d["requestContext"]["domainPrefix"], d["requestContext"]["domainName"]' <<<"$ev" | tr -d "(),'")" "event"
check "Host routing to a function without a URL: 404" assert_eq 404 \
        "$(c -o /dev/null -w '%{http_code}' -H 'Host: nourl.lambda-url.example.test' "$URL/")" "status"

# ---- errors
st=$(c -o "$TEST_TMP/err.json" -w '%{http_code}' -D "$TEST_TMP/err.h" "$URL/url/pub/error")
check "function error: 502" assert_eq 502 "$st" "status"
check "function error: AWS error shape" assert_contains "$(cat "$TEST_TMP/err.json") $(header "$TEST_TMP/err.h" x-amzn-errortype)" \
        '"message":"Internal Server Error"} ServiceException' "body"
check "malformed answer: 502" assert_eq 502 "$(c -o /dev/null -w '%{http_code}' "$URL/url/pub/malformed")" "status"
st=$(c -o "$TEST_TMP/nf.json" -w '%{http_code}' -D "$TEST_TMP/nf.h" "$URL/url/nourl/")
check "a function without url: 404 ResourceNotFoundException" assert_eq "404 ResourceNotFoundException" \
        "$st $(header "$TEST_TMP/nf.h" x-amzn-errortype)" "status"
check "an unknown function: 404" assert_eq 404 "$(c -o /dev/null -w '%{http_code}' "$URL/url/nosuch/")" "status"
for p in '/url/pub/../x' '/url/pub/a/%2e%2E/b' '/url/pub/a%2Fb' '/url/pub/a%5cb' '/url/pub/./a' '/url/pub/a\b'; do
        check "path escape $p: 400" assert_eq 400 "$(c --path-as-is -o /dev/null -w '%{http_code}' "$URL$p")" "status"
done
st=$(head -c $((6 * 1024 * 1024 + 10)) /dev/zero | c -o "$TEST_TMP/big.json" -w '%{http_code}' -D "$TEST_TMP/big.h" \
        -X POST -H 'Content-Type: application/octet-stream' --data-binary @- "$URL/url/pub/")
check "a body over 6 MB: 413 RequestTooLargeException" assert_eq "413 RequestTooLargeException" "$st $(header "$TEST_TMP/big.h" x-amzn-errortype)" "status"
head -c $((5 * 1024 * 1024)) /dev/zero >"$TEST_TMP/5m"
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/5m" "$URL/url/pub/")
check "a 5 MB binary body whose base64 event is over 6 MB: 413" assert_eq 413 "$st" "status"

# ---- at max_instances: 429 TooManyRequestsException for a NONE URL too
rm -f "$TEST_TMP/codes"
pids=()
for i in 1 2 3; do
        c -o /dev/null -w '%{http_code}\n' -D "$TEST_TMP/lim.$i" "$URL/url/one/sleep" >>"$TEST_TMP/codes" &
        pids+=($!)
done
wait "${pids[@]}"
codes=$(sort "$TEST_TMP/codes" | paste -sd' ')
check "max_instances 1 and 3 slow requests: some 429s, the rest 200 ($codes)" bash -c "grep -q 429 <<<'$codes' && grep -q 200 <<<'$codes' && ! grep -q 5 <<<'$codes'"
check "429 is TooManyRequestsException with Retry-After" bash -c \
        "grep -il 'x-amzn-ErrorType: TooManyRequestsException' $TEST_TMP/lim.* | xargs grep -qi 'Retry-After: 1'"

# ---- AWS_IAM: SigV4 (service lambda) accepted, unsigned or badly signed refused
body=$(c --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" "$URL/url/iam/signed?s=1")
check "AWS_IAM: a SigV4-signed GET is accepted" assert_eq "/signed 000000000000" "$(json 'd["rawPath"], d["requestContext"]["accountId"]' <<<"$body" | tr -d "(),'")" "event"
body=$(c --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" -H 'Content-Type: application/json' -d '{"signed":1}' "$URL/url/iam/post")
check "AWS_IAM: a SigV4-signed POST is accepted" assert_eq '{"signed":1}' "$(json 'd["body"]' <<<"$body")" "body"
st=$(c -o "$TEST_TMP/iam.json" -w '%{http_code}' -D "$TEST_TMP/iam.h" "$URL/url/iam/")
check "AWS_IAM: unsigned: 403 in the AWS shape" assert_eq "403 MissingAuthenticationTokenException" "$st $(header "$TEST_TMP/iam.h" x-amzn-errortype)" "status"
check "AWS_IAM: unsigned: a message" assert_contains "$(cat "$TEST_TMP/iam.json")" '"message":' "body"
check "AWS_IAM: a wrong secret: 403" assert_eq 403 \
        "$(c -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:wrongSecretKey0123456789abcdefgh" "$URL/url/iam/")" "status"

# ---- ListFunctions prints FunctionUrl for functions with a URL, on the Host the request named
list=$(c --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AKID:$SECRET" "$URL/2015-03-31/functions/?MaxItems=100")
check "ListFunctions: FunctionUrl of a function with a URL" assert_eq "http://127.0.0.1:$PORT/url/pub/ None" \
        "$(json '" ".join(str({f["FunctionName"]: f.get("FunctionUrl") for f in d["Functions"]}[n]) for n in ("pub", "nourl"))' <<<"$list")" "FunctionUrl"

# ---- CORS
c -o /dev/null -D "$TEST_TMP/pre.h" -X OPTIONS -H "Origin: $PAGE_ORIGIN" -H 'Access-Control-Request-Method: POST' \
        -H 'Access-Control-Request-Headers: content-type,x-test' "$URL/url/api/data"
check "preflight: 200" assert_contains "$(head -n 1 "$TEST_TMP/pre.h")" " 200" "status"
check "preflight: Access-Control-* from the cors settings" assert_eq "$PAGE_ORIGIN POST,GET content-type,x-test 300" \
        "$(header "$TEST_TMP/pre.h" access-control-allow-origin) $(header "$TEST_TMP/pre.h" access-control-allow-methods) $(header "$TEST_TMP/pre.h" access-control-allow-headers) $(header "$TEST_TMP/pre.h" access-control-max-age)" "headers"
c -o /dev/null -D "$TEST_TMP/pre2.h" -X OPTIONS -H "Origin: http://evil.example" -H 'Access-Control-Request-Method: POST' "$URL/url/api/data"
check "preflight from an origin not allowed: no Access-Control-Allow-Origin" assert_eq "" "$(header "$TEST_TMP/pre2.h" access-control-allow-origin)" "header"
c -o /dev/null -D "$TEST_TMP/cors.h" -H "Origin: $PAGE_ORIGIN" "$URL/url/api/data"
check "an allowed origin's request: Allow-Origin and Expose-Headers" assert_eq "$PAGE_ORIGIN x-request-id" \
        "$(header "$TEST_TMP/cors.h" access-control-allow-origin) $(header "$TEST_TMP/cors.h" access-control-expose-headers)" "headers"

# ---- RESPONSE_STREAM: the function's prelude gives status, headers and cookies
body=$(c -D "$TEST_TMP/st.h" "$URL/url/streamed/x")
check "streaming URL: the prelude's status" assert_contains "$(head -n 1 "$TEST_TMP/st.h")" " 201" "status"
check "streaming URL: the prelude's headers and cookies" assert_eq "text/plain stream s=1; Path=/" \
        "$(header "$TEST_TMP/st.h" content-type) $(header "$TEST_TMP/st.h" x-mode) $(header "$TEST_TMP/st.h" set-cookie)" "headers"
check "streaming URL: the body after the 8 NULs" assert_eq "streamed body for /x" "$body" "body"

# ---- a real browser: a page from one URL fetch()es another on another origin
if command -v chromium >/dev/null 2>&1; then
        browse() { # TARGET: the page's #result after its fetch
                # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
                timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TEST_TMP/chromium" \
                        --virtual-time-budget=10000 --dump-dom "$PAGE_ORIGIN/page?target=$1" 2>/dev/null |
                        sed -n 's/.*<div id="result">\(.*\)<\/div>.*/\1/p'
        }
        out=$(browse "$URL/url/api/data")
        check "Chromium: a CORS fetch to an allowing URL succeeds, with the exposed header" assert_eq 'OK 200 {"answer":42} r1' "$out" "result"
        out=$(browse "$URL/url/closed/data")
        check "Chromium: the same fetch to a URL that does not allow the page's origin is refused" assert_contains "$out" "ERR TypeError" "result"
else
        not_ok "Chromium" "chromium is not installed (apt-get install chromium; tools/deps.sh installs it)"
fi

lib_done
