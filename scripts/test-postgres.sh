#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: its own data directory under /tmp, a free
# loopback port, trust authentication, no fsync. `start` prints nothing and writes the URL to
# .build/test-postgres.url; `stop` stops it and removes the data.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.build/test-postgres
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  if [ -f "$STATE" ]; then
    dir=$(cat "$STATE")
    as_postgres "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$STATE" .build/test-postgres.url
  fi
}

case "${1:-}" in
start)
  stop
  mkdir -p .build
  dir=$(mktemp -d /tmp/authsim-pg-XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  echo "$dir" > "$STATE"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$BIN/initdb" -D "$dir/data" -U authsim --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  as_postgres "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres://authsim@127.0.0.1:$port/postgres" > .build/test-postgres.url
  ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
