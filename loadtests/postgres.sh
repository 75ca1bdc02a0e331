#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tracking-writer benchmark, with the server's default (durable) settings:
#   loadtests/postgres.sh start DIR PORT   → prints the store URL
#   loadtests/postgres.sh stop DIR
# PostgreSQL refuses to run as root; as root it runs as the postgres user of Debian's package.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
case "$1" in
  start)
    dir=$2; port=$3
    rm -rf "$dir"; mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U gateway --auth=trust -E UTF8 >/dev/null
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    "${as_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U gateway bench
    echo "postgres://gateway@127.0.0.1:$port/bench"
    ;;
  stop)
    "${as_pg[@]}" "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null || true
    rm -rf "$2"
    ;;
esac
