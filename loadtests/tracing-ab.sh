#!/usr/bin/env bash
# What a trace per request costs, in steady state: gateway-full against the same file with tracking off, in
# alternating pairs (fresh upstream and gateway processes for every measurement, so neither inherits the
# other's heap or the writer's backlog), at a moderate rate and at saturation. Writes a markdown table.
#
#   loadtests/tracing-ab.sh [pairs=3] [out=loadtests/results/<date>-tracing-ab.md]
#
# Needs a Release build (run.sh or `dotnet build Gateway.sln -c Release`) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}
out=${2:-loadtests/results/$(date -u +%F)-tracing-ab.md}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
up_port=$((20000 + $$ % 10000)); gw_port=$((up_port + 1))
python3 - "$work/chat.json" <<'PY'
import json, sys
text = ("The quarterly numbers are in and the board wants a summary. " * 16)[:860]
json.dump({"model": "chat", "messages": [{"role": "system", "content": "You are a concise assistant for a finance team."},
           {"role": "user", "content": "#000000 " + text}], "temperature": 0.2, "max_tokens": 256}, open(sys.argv[1], "w"))
PY

# shellcheck source=lib/measure.sh
source loadtests/lib/measure.sh
measure() { # tracking latency_ms connections seconds → one JSON line
  measure_gateway "$work/chat.json" "$2" "$3" "$4" BENCH_TRACKING="$1" \
    | python3 -c "import json,sys; r=json.load(sys.stdin); r['tracking']='$1'; print(json.dumps(r))"
}

results="$work/results.jsonl"
for scenario in "moderate 50 15 10" "saturation 0 64 8"; do
  set -- $scenario
  for pair in $(seq "$pairs"); do
    for tracking in false true; do
      echo "$1 pair $pair tracking=$tracking" >&2
      measure "$tracking" "$2" "$3" "$4" | python3 -c "import json,sys; r=json.load(sys.stdin); r['scenario']='$1'; print(json.dumps(r))" >> "$results"
    done
  done
done

python3 - "$results" "$out" "$pairs" <<'PY'
import json, statistics, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
out, pairs = sys.argv[2], int(sys.argv[3])
sys.path.insert(0, "loadtests/lib")
from wrk_figures import fig
lines = [f"# What tracing costs, steady state ({datetime.date.today()})", "",
         "`loadtests/tracing-ab.sh`: loadtests/configs/gateway-full.yaml with tracking on (a trace per request to SQLite, previews,",
         "usage and cost) and off, in alternating pairs; every measurement on fresh processes (upstream, gateway), once its throughput is steady (settle).",
         "Moderate: 50 ms upstream, 15 connections (~290 req/s), 10 s. Saturation: 0 ms upstream, 64 connections, 8 s. 2 shared cores;",
         "CPU per request is the gateway process's user+system time over the run, divided by its requests.", "",
         "| scenario | pair | tracking | req/s | p50 | p99 | CPU per request | errors |", "|---|---:|---|---:|---:|---:|---:|---:|"]
by = {}
for i, r in enumerate(rows):
    f = fig(r); key = (r["scenario"], r["tracking"]); by.setdefault(key, []).append(f)
    lines.append(f"| {r['scenario']} | {i // 2 % pairs + 1} | {'on' if r['tracking'] == 'true' else 'off'} | {f['rps']:,.0f} | {f['p50']/1000:.2f} ms | {f['p99']/1000:.2f} ms | {f['cpu']:.0f} µs | {f['errors']} |")
lines += ["", "Medians, and tracing's difference (on minus off):", "", "| scenario | req/s off → on | p50 off → on (difference) | p99 off → on | CPU per request off → on |", "|---|---|---|---|---|"]
for scenario in ["moderate", "saturation"]:
    off, on = by[(scenario, "false")], by[(scenario, "true")]
    m = lambda xs, k: statistics.median(x[k] for x in xs)
    lines.append(f"| {scenario} | {m(off,'rps'):,.0f} → {m(on,'rps'):,.0f} ({m(on,'rps')/m(off,'rps'):.2f}×) | {m(off,'p50')/1000:.3f} → {m(on,'p50')/1000:.3f} ms ({m(on,'p50')-m(off,'p50'):+.0f} µs) | {m(off,'p99')/1000:.2f} → {m(on,'p99')/1000:.2f} ms | {m(off,'cpu'):.0f} → {m(on,'cpu'):.0f} µs |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
