#!/usr/bin/env bash
# What guardrails add to a request with a 10 KB prompt, end to end: gateway-full (tracking off, to see the guardrails
# alone) sending a 10 KB conversation to chat-unguarded ("off"), and to chat-unlimited, which masks all seven built-in
# entities both ways, with a clean prompt ("clean") and with one holding 20 entities ("entities"). Fresh upstream and
# gateway processes for every measurement, in rotating order, one request at a time and at saturation. Writes a
# markdown table.
#
#   loadtests/guardrails-ab.sh [rounds=3] [out=loadtests/results/<date>-guardrails-ab.md]
#
# SCENARIOS="serial saturation" (the default) picks scenarios. Needs a Release build and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-loadtests/results/$(date -u +%F)-guardrails-ab.md}
work=$(mktemp -d)
up_port=$((20000 + $$ % 10000)); gw_port=$((up_port + 1))
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

for mode in off clean entities; do
python3 - "$work/$mode.json" "$mode" <<'PY'
import json, sys
mode = sys.argv[2]
prose = "The quarterly review went well: revenue grew in every region, and the board asked finance for a short summary of costs by team. "
entities = ["jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "536-22-1234", "192.168.10.24",
            "+44 20 7946 0958", "AKIAIOSFODNN7EXAMPLE", "bob@corp.example.org", "5555-5555-5555-4444", "+1 202-555-0143"]
messages, size, turn = [{"role": "system", "content": "You are a concise assistant for the finance team."}], 0, 0
while size < 10 * 1024:
    text = prose * 9
    if mode == "entities":
        at = len(prose) * 4
        text = text[:at] + f" Contact {entities[turn % 10]} and {entities[(turn + 5) % 10]}. " + text[at:]
    messages.append({"role": "user" if turn % 2 == 0 else "assistant", "content": text})
    size += len(text); turn += 1
# The newest user turn is new text in every request (post.lua numbers it), as in an agent's conversation.
last = max(i for i, m in enumerate(messages) if m["role"] == "user")
messages[last]["content"] = "#000000 " + messages[last]["content"]
json.dump({"model": "chat-unguarded" if mode == "off" else "chat-unlimited", "messages": messages, "temperature": 0.2, "max_tokens": 256},
          open(sys.argv[1], "w"))
PY
done

# shellcheck source=lib/measure.sh
source loadtests/lib/measure.sh
results="$work/results.jsonl"
for scenario in "serial 10 1 8" "saturation 0 64 8"; do
  set -- $scenario
  [[ " ${SCENARIOS:-serial saturation} " == *" $1 "* ]] || continue
  for round in $(seq "$rounds"); do
    # Rotate the order each round, so no mode always runs first (or last) on a drifting machine.
    modes=(off clean entities); shift_by=$(( (round - 1) % 3 ))
    for mode in "${modes[@]:$shift_by}" "${modes[@]:0:$shift_by}"; do
      echo "$1 round $round $mode" >&2
      measure_gateway "$work/$mode.json" "$2" "$3" "$4" BENCH_TRACKING=false \
        | python3 -c "import json,sys; r=json.load(sys.stdin); r['mode']='$mode'; r['scenario']='$1'; r['round']=$round; print(json.dumps(r))" >> "$results"
    done
  done
done

python3 - "$results" "$out" <<'PY'
import json, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
out = sys.argv[2]
sys.path.insert(0, "loadtests/lib")
from wrk_figures import measurement_table, medians_against_off
table, by = measurement_table(rows, "prompt")
lines = [f"# What guardrails add to a 10 KB prompt ({datetime.date.today()})", "",
         "`loadtests/guardrails-ab.sh`: loadtests/configs/gateway-full.yaml with tracking off, a 10 KB conversation sent to",
         "`chat-unguarded` (off) or to `chat-unlimited` (all seven built-in entities masked both ways), clean or holding 20",
         "entities; its newest user turn is new text in every request. Fresh processes for every measurement, once its throughput",
         "is steady (settle), modes in rotating order. Serial: 10 ms upstream, 1 connection, 8 s. Saturation: 0 ms upstream,",
         "64 connections, 8 s. 2 shared cores.", ""] + table
lines += ["", "Medians, and the difference against off:", ""] + medians_against_off(by, ["serial", "saturation"], ["off", "clean", "entities"], "prompt")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
