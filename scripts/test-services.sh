#!/usr/bin/env bash
# Starts (or stops) the throwaway Redis and PostgreSQL servers the store tests run against, on
# loopback only, with nothing kept on disk after `stop`.
#
#   eval "$(bash scripts/test-services.sh start)"   # prints CIMD_TEST_REDIS_URL / CIMD_TEST_DATABASE_URL
#   bash scripts/test-services.sh stop
#
# Ports: CIMD_TEST_REDIS_PORT (default 56379) and CIMD_TEST_PG_PORT (default 55432). The data
# lives in a directory under the system's temporary directory (CIMD_TEST_SERVICES_DIR to choose).
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the Debian package
# creates.
set -euo pipefail

redis_port="${CIMD_TEST_REDIS_PORT:-56379}"
pg_port="${CIMD_TEST_PG_PORT:-55432}"
dir="${CIMD_TEST_SERVICES_DIR:-${TMPDIR:-/tmp}/mcp-cimd-test-services}"

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then
    found=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  fi
  [ -n "$found" ] && [ -x "$found/pg_isready" ] || {
    echo "PostgreSQL server binaries not found (install postgresql)" >&2
    exit 1
  }
  echo "$found"
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

start() {
  mkdir -p "$dir"
  if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save "" --appendonly no \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 50); do
      redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi
  local bin pgdata="$dir/pg"
  bin=$(pg_bin)
  # pg_isready: 0 accepting, 1 rejecting (a server is there, e.g. every connection in use),
  # 2 no response. Only when nothing answers is a new cluster made.
  local ready=0
  "$bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q 2>/dev/null || ready=$?
  if [ "$ready" = 2 ]; then
    rm -rf "$pgdata"
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" "$pgdata"
    cd /
    as_pg_user "'$bin/initdb' -D '$pgdata' -A trust -U postgres --no-sync >/dev/null"
    as_pg_user "'$bin/pg_ctl' -D '$pgdata' -l '$pgdata/log' -w -o \"-c listen_addresses=127.0.0.1 -p $pg_port -k '$pgdata' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start >/dev/null"
  fi
  echo "export CIMD_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "export CIMD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
}

stop() {
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  if [ -d "$dir/pg" ]; then
    as_pg_user "'$(pg_bin)/pg_ctl' -D '$dir/pg' -m immediate stop >/dev/null 2>&1" || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
