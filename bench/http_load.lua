-- http_load.lua: wrk script of bench/http_load.sh. POSTs the JSON body in
-- the file $WB_BODY to $WB_PATH (default /v1/run) with the bearer key
-- $WB_KEY, counts non-200 answers as failures, and prints one
-- machine-readable line at the end:
--   WBRESULT requests=N duration_us=N rps=N p50_ms=N p90_ms=N p99_ms=N
--            max_ms=N failed=N
local f = assert(io.open(os.getenv("WB_BODY"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = os.getenv("WB_PATH") or "/v1/run"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("WB_KEY")
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

bad = 0          -- global: done() reads it with thread:get
function response(status, headers, body)
  if status ~= 200 or not body:find('"outcome":"exited"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do
    failed = failed + (t:get("bad") or 0)
  end
  local e = summary.errors
  failed = failed + e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WBRESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.1f p90_ms=%.1f " ..
    "p99_ms=%.1f max_ms=%.1f failed=%d status_errors=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, failed, e.status))
end
