-- SPDX-License-Identifier: LGPL-2.1-or-later
-- wrk script for lambdad's benchmarks: POST a JSON body (BENCH_BODY, or the contents of the
-- file BENCH_BODY_FILE) and print one line "BENCHJSON {...}" with the run's figures at the end
-- (latencies in microseconds, from wrk's own histogram).
local body = os.getenv("BENCH_BODY") or '{"hello":"world"}'
local file = os.getenv("BENCH_BODY_FILE")
if file and file ~= "" then
   local f = assert(io.open(file, "rb"))
   body = f:read("*a")
   f:close()
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.2f,"stdev":%.2f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
