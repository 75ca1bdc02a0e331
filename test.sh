#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: checks for the .NET SDK, installs what the tests need,
# builds in Release (warnings are errors) and runs every test, ending with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required; see https://dot.net" >&2
  exit 2
fi

# Debian packages the tests use (Chromium joins with the web page). Node.js runs the official npm SDKs that prove
# the fake providers honest; PostgreSQL (the shared tracking store) and Redis (the shared rate-limit counters) are
# started by the tests themselves on loopback (PostgreSQL as the package's postgres user when run as root).
apt_packages=()
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || apt_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
npm ci --prefix tests/SdkHonesty --no-audit --no-fund --loglevel=error
dotnet build Gateway.sln -c Release --nologo -v quiet

results=TestResults
rm -rf "$results"
status=0
# One run per test project, each with its own results file, so every project's counts reach the total.
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=${name}.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=$?
done

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p)); failed=$((failed + f))
done
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: no tests ran" >&2
  status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
