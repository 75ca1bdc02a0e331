#!/usr/bin/env bash
# The whole comparison in one command, on a fresh machine: installs wrk, nginx and the pinned Portkey
# gateway, builds Release, runs the BenchmarkDotNet micro-benchmarks and then the side-by-side load test
# (direct, plain YARP, nginx, Portkey, our gateway bare and full), and writes loadtests/results/<date>.md.
#
#   loadtests/run.sh                     the full run (about 15 minutes on 2 cores)
#   loadtests/run.sh --quick             a short smoke run of the harness (figures are not results)
#   loadtests/run.sh --systems yarp,gateway-full --no-micro
#
# Every process binds 127.0.0.1 and is stopped by the runner that started it; each step has a time limit.
set -euo pipefail
cd "$(dirname "$0")/.."

micro=1
runner_args=()
for arg in "$@"; do
  case "$arg" in
    --no-micro) micro=0 ;;
    *) runner_args+=("$arg") ;;
  esac
done
quick=0
for arg in "${runner_args[@]+"${runner_args[@]}"}"; do [ "$arg" = "--quick" ] && quick=1; done

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian nginx package may start a system nginx on port 80; the runner starts its own on loopback.

(cd loadtests/portkey && timeout 300 npm ci --no-audit --no-fund --loglevel=error)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Gateway.sln -c Release --nologo -v quiet

# 5,000 open streams need about 10,000 descriptors in a proxy; take what the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=loadtests/.work
mkdir -p "$work"
micro_args=()
if [ "$micro" -eq 1 ]; then
  rm -rf "$work/benchmarkdotnet"
  (cd "$work" && timeout 900 dotnet ../Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll \
      --filter '*' --artifacts benchmarkdotnet)
  micro_args=(--micro "$work/benchmarkdotnet/results")

  # The tracking writer's throughput into SQLite and into PostgreSQL (a throwaway server with default,
  # durable settings), written beside the run's table.
  writer_out="loadtests/results/$(date -u +%F)-tracking-writer.md"
  {
    echo "# Tracking writer throughput, $(date -u +%F)"
    echo
    echo "The real writer of a started gateway (queue, batches of 500, one transaction each), fed traces shaped like its own"
    echo "(three spans, body previews), timed until the last is committed. \`dotnet Gateway.Benchmarks.dll tracking-writer\`."
    echo
    echo "| store | previews | traces per round | rounds (traces/s) | median |"
    echo "|---|---|---:|---|---:|"
  } > "$writer_out"
  bench=loadtests/Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll
  timeout 600 dotnet "$bench" tracking-writer --store sqlite --out "$writer_out"
  pg_port=$((40000 + $$ % 20000))
  pg_url=$(loadtests/postgres.sh start "$PWD/$work/postgres" "$pg_port")
  timeout 600 dotnet "$bench" tracking-writer --store "$pg_url" --out "$writer_out" || status_pg=$?
  loadtests/postgres.sh stop "$PWD/$work/postgres"
  [ "${status_pg:-0}" -eq 0 ] || exit "$status_pg"
fi

status=0
timeout --signal=TERM --kill-after=30 2700 dotnet loadtests/Runner/bin/Release/net10.0/loadtest-runner.dll \
  "${micro_args[@]+"${micro_args[@]}"}" "${runner_args[@]+"${runner_args[@]}"}" || status=$?

# Point the README at the newest full table.
if [ "$quick" -eq 0 ]; then
  latest=$(ls loadtests/results/ | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}\.md$' | sort | tail -1 || true)
  if [ -n "$latest" ]; then
    sed -i -E "s#loadtests/results/[0-9]{4}-[0-9]{2}-[0-9]{2}\.md#loadtests/results/${latest}#g" README.md
  fi
fi
exit "$status"
