# Sourced by the A/B scripts (tracing-ab.sh, limits-ab.sh): one measurement of gateway-full on fresh processes.
#
#   measure_gateway BODY_FILE LATENCY_MS CONNECTIONS SECONDS [VAR=VALUE …]
#
# Starts the fake upstream and the gateway (with the VAR=VALUE settings for its config), sets the upstream's
# latency, warms up for 4 s, runs wrk for SECONDS, stops both, and prints wrk's JSON line with the gateway's
# CPU ticks (user+system, from /proc) over the measured run added as cpu_ticks. Needs $work, $up_port, $gw_port.
measure_gateway() {
  local body=$1 latency=$2 conns=$3 secs=$4; shift 4
  rm -rf "$work/bench"; mkdir -p "$work/bench"
  dotnet loadtests/FakeUpstream/bin/Release/net10.0/FakeUpstream.dll --urls "http://127.0.0.1:$up_port" > "$work/up.log" 2>&1 &
  local up=$!
  env "$@" BENCH_GATEWAY_PORT="$gw_port" BENCH_UPSTREAM="http://127.0.0.1:$up_port" BENCH_WORK="$work/bench" \
    dotnet src/Gateway/bin/Release/net10.0/gateway.dll --config loadtests/configs/gateway-full.yaml > "$work/gw.log" 2>&1 &
  local gw=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$gw_port/healthz" && curl -sf -o /dev/null "http://127.0.0.1:$up_port/healthz" && break
    sleep 0.1
  done
  curl -sf -X POST "http://127.0.0.1:$up_port/control?latency_ms=$latency&chunk_interval_ms=1&hold=false" > /dev/null
  export BODY_FILE="$body" HEADERS="Authorization: Bearer gw-load-tester-0123456789abcdef"
  wrk -t1 "-c$conns" -d4s -s loadtests/wrk/post.lua "http://127.0.0.1:$gw_port/v1/chat/completions" > /dev/null
  local before; before=$(awk '{print $14+$15}' "/proc/$gw/stat")
  local result; result=$(wrk -t1 "-c$conns" "-d${secs}s" -s loadtests/wrk/post.lua "http://127.0.0.1:$gw_port/v1/chat/completions" | tail -1)
  local after; after=$(awk '{print $14+$15}' "/proc/$gw/stat")
  kill "$gw" "$up"; wait "$gw" "$up" 2>/dev/null || true
  echo "$result" | python3 -c "import json,sys; r=json.load(sys.stdin); r['cpu_ticks']=$after-$before; print(json.dumps(r))"
}
