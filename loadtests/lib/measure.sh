# Sourced by the A/B scripts (tracing-ab.sh, limits-ab.sh): one measurement of gateway-full on fresh processes.
#
#   measure_gateway BODY_FILE LATENCY_MS CONNECTIONS SECONDS [VAR=VALUE …]
#
# Starts the fake upstream and the gateway (with the VAR=VALUE settings for its config), loads it until its
# throughput is steady (settle), sets the upstream's latency, warms that shape up for 2 s, runs wrk for SECONDS,
# stops both, and prints wrk's JSON line with the gateway's CPU ticks (user+system, from /proc) over the measured
# run added as cpu_ticks. Needs $work, $up_port, $gw_port.
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
  export BODY_FILE="$body" HEADERS="Authorization: Bearer gw-load-tester-0123456789abcdef"
  settle "http://127.0.0.1:$gw_port/v1/chat/completions"
  curl -sf -X POST "http://127.0.0.1:$up_port/control?latency_ms=$latency&chunk_interval_ms=1&hold=false" > /dev/null
  wrk -t1 "-c$conns" -d2s -s loadtests/wrk/post.lua "http://127.0.0.1:$gw_port/v1/chat/completions" > /dev/null
  local before; before=$(awk '{print $14+$15}' "/proc/$gw/stat")
  local result; result=$(wrk -t1 "-c$conns" "-d${secs}s" -s loadtests/wrk/post.lua "http://127.0.0.1:$gw_port/v1/chat/completions" | tail -1)
  local after; after=$(awk '{print $14+$15}' "/proc/$gw/stat")
  kill "$gw" "$up"; wait "$gw" "$up" 2>/dev/null || true
  echo "$result" | python3 -c "import json,sys; r=json.load(sys.stdin); r['cpu_ticks']=$after-$before; print(json.dumps(r))"
}

# Chat at saturation (0 ms upstream) in 3 s slices until two slices in a row beat the best earlier one by at most
# 5 %, at most 60 s: the tiered JIT needs ~20 s of load on 2 cores to recompile the gateway's hot path, and figures
# taken before then measure the JIT (loadtests/README.md, "Steady state before measuring"; the runner's
# SteadyState does the same). Prints the slices' rates to stderr.
settle() {
  local url=$1 best=0 flat=0 rate i rates=""
  curl -sf -X POST "http://127.0.0.1:$up_port/control?latency_ms=0&chunk_interval_ms=1&hold=false" > /dev/null
  for i in $(seq 20); do
    rate=$(wrk -t1 -c64 -d3s -s loadtests/wrk/post.lua "$url" | tail -1 |
      python3 -c "import json,sys; r=json.load(sys.stdin); print(int(r['requests'] / (r['duration_us'] / 1e6)))")
    rates="$rates $rate"
    if [ "$i" -gt 1 ]; then
      if [ $((rate * 100)) -le $((best * 105)) ]; then flat=$((flat + 1)); else flat=0; fi
    fi
    if [ "$rate" -gt "$best" ]; then best=$rate; fi
    if [ "$i" -ge 3 ] && [ "$flat" -ge 2 ]; then break; fi
  done
  echo "settled after $((i * 3)) s:$rates req/s" >&2
}
