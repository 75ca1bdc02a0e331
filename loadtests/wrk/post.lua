-- POSTs one body to every request and prints a JSON summary line that the runner parses.
-- BODY_FILE: the request body; HEADERS: "name: value" pairs separated by "|".
local function read_all(path)
  local file = assert(io.open(path, "rb"), "cannot open BODY_FILE " .. tostring(path))
  local content = file:read("*a")
  file:close()
  return content
end

wrk.method = "POST"
wrk.body = read_all(os.getenv("BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
for pair in string.gmatch(os.getenv("HEADERS") or "", "[^|]+") do
  local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

-- A body with the runner's marker (#000000, Payloads.Marker) gets a new six-digit number there for every request,
-- so every user turn is new text, as in real traffic: nothing a proxy keeps about prompts it saw flatters it.
local marker = string.find(wrk.body, "#000000", 1, true)
if marker then
  local before, after, sent = string.sub(wrk.body, 1, marker - 1), string.sub(wrk.body, marker + 7), 0
  function request()
    sent = sent + 1
    return wrk.format(nil, nil, nil, before .. string.format("#%06d", sent % 1000000) .. after)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
