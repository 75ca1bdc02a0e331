#!/usr/bin/env bash
# What rate limits cost a request, in steady state: gateway-full (tracking off, to see the limiter alone) sending to
# its endpoint without limits ("off"), then to the same endpoint with six counters a request (per endpoint, per
# user on it, the group's and the key's; requests and tokens) kept in memory and in a real redis-server on loopback
# that this script starts. Fresh upstream and gateway processes for every measurement, in rotating order, at a
# moderate rate and at saturation. Also runs the limiter micro-benchmark (one acquisition at a time, then 64 in
# flight) against both stores. Writes a markdown table.
#
#   loadtests/limits-ab.sh [rounds=3] [out=loadtests/results/<date>-limits-ab.md]
#
# SCENARIOS="serial moderate saturation" (the default) picks scenarios.
#
# Needs a Release build (run.sh or `dotnet build Gateway.sln -c Release`), wrk and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-loadtests/results/$(date -u +%F)-limits-ab.md}
work=$(mktemp -d)
up_port=$((20000 + $$ % 10000)); gw_port=$((up_port + 1)); redis_port=$((up_port + 2))
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1 &
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do redis-cli -p "$redis_port" ping > /dev/null 2>&1 && break; sleep 0.1; done

for model in chat chat-unlimited; do
python3 - "$work/$model.json" "$model" <<'PY'
import json, sys
text = ("The quarterly numbers are in and the board wants a summary. " * 16)[:860]
json.dump({"model": sys.argv[2], "messages": [{"role": "system", "content": "You are a concise assistant for a finance team."},
           {"role": "user", "content": "#000000 " + text}], "temperature": 0.2, "max_tokens": 256}, open(sys.argv[1], "w"))
PY
done

# shellcheck source=lib/measure.sh
source loadtests/lib/measure.sh
measure() { # mode latency_ms connections seconds → one JSON line
  local mode=$1 store=memory model=chat
  [ "$mode" = redis ] && store="redis://127.0.0.1:$redis_port"
  [ "$mode" = off ] && model=chat-unlimited
  measure_gateway "$work/$model.json" "$2" "$3" "$4" BENCH_TRACKING=false BENCH_LIMITS_STORE="$store" \
    | python3 -c "import json,sys; r=json.load(sys.stdin); r['mode']='$mode'; print(json.dumps(r))"
}

results="$work/results.jsonl"
for scenario in "serial 10 1 8" "moderate 50 15 10" "saturation 0 64 8"; do
  set -- $scenario
  [[ " ${SCENARIOS:-serial moderate saturation} " == *" $1 "* ]] || continue
  for round in $(seq "$rounds"); do
    # Rotate the order each round, so no mode always runs first (or last) on a drifting machine.
    modes=(off memory redis); shift_by=$(( (round - 1) % 3 ))
    for mode in "${modes[@]:$shift_by}" "${modes[@]:0:$shift_by}"; do
      echo "$1 round $round $mode" >&2
      measure "$mode" "$2" "$3" "$4" | python3 -c "import json,sys; r=json.load(sys.stdin); r['scenario']='$1'; r['round']=$round; print(json.dumps(r))" >> "$results"
    done
  done
done

micro="$work/micro.md"
dotnet loadtests/Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll limiter --store memory --out "$micro" >&2
dotnet loadtests/Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll limiter --store "redis://127.0.0.1:$redis_port" --out "$micro" >&2

python3 - "$results" "$out" "$micro" <<'PY'
import json, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
out, micro = sys.argv[2], open(sys.argv[3]).read().strip()
sys.path.insert(0, "loadtests/lib")
from wrk_figures import measurement_table, medians_against_off
table, by = measurement_table(rows, "limits")
lines = [f"# What rate limits cost ({datetime.date.today()})", "",
         "`loadtests/limits-ab.sh`: loadtests/configs/gateway-full.yaml with tracking off, sending to `chat-unlimited` (off) or to `chat`",
         "with six counters a request (endpoint; user on the endpoint: requests and tokens; group: requests and tokens; key: tokens),",
         "kept in memory or in redis-server on loopback; the user turn is new text in every request. Fresh processes for every",
         "measurement, once its throughput is steady (settle), modes in rotating order. Serial: 10 ms upstream, 1 connection, 8 s.",
         "Moderate: 50 ms upstream, 15 connections, 10 s. Saturation: 0 ms upstream, 64 connections, 8 s. 2 shared cores.", ""] + table
lines += ["", "Medians, and the limiter's difference against off:", ""] + medians_against_off(by, ["serial", "moderate", "saturation"], ["off", "memory", "redis"], "limits")
lines += ["", "The limiter alone (`Gateway.Benchmarks.dll limiter`): the same six counters and a 1 KB prompt (token estimate included),",
          "one acquisition at a time, then 64 in flight:", "", "| store | counters | acquisitions | p50 | p99 | throughput (64 in flight) |", "|---|---:|---:|---:|---:|---:|", micro]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
