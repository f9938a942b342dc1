#!/usr/bin/env bash
# A throw-away MariaDB server for the MySQL template tests: its own data directory under /tmp, a
# free loopback port, a database `authsim` and a user `authsim` with a password who may create
# databases (the mysql driver signs in with mysql_native_password, as against a real server). `start` writes the URL to
# .build/test-mariadb.url; `stop` stops it and removes the data.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.build/test-mariadb
command -v mariadbd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
command -v mariadbd >/dev/null || { echo "MariaDB is not installed (apt-get install mariadb-server)" >&2; exit 1; }

stop() {
  if [ -f "$STATE" ]; then
    dir=$(cat "$STATE")
    if [ -f "$dir/mariadb.pid" ]; then kill "$(cat "$dir/mariadb.pid")" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do [ -e "$dir/mariadb.pid" ] || break; sleep 0.1; done
    rm -rf "$dir" "$STATE" .build/test-mariadb.url .build/test-mariadb.ca
  fi
}

case "${1:-}" in
start)
  stop
  mkdir -p .build
  dir=$(mktemp -d /tmp/authsim-maria-XXXXXX)
  chmod 755 "$dir"
  user=$(id -un)
  if [ "$(id -u)" = 0 ]; then chown mysql "$dir"; user=mysql; fi
  echo "$dir" > "$STATE"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  # TLS with a certificate for localhost made for the run (its CA in .build/test-mariadb.ca):
  # clients may ask for TLS, as drivers with `ssl` do; plain connections still work.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost >/dev/null 2>&1
  chmod 644 "$dir/key.pem" "$dir/cert.pem"
  mariadbd --no-defaults --user="$user" --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --ssl-cert="$dir/cert.pem" --ssl-key="$dir/key.pem" --ssl-ca="$dir/cert.pem" \
    --socket="$dir/mariadb.sock" --pid-file="$dir/mariadb.pid" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
    --max-connections=300 >"$dir/server.log" 2>&1 &
  for _ in $(seq 1 600); do
    mariadb --no-defaults -uroot --socket="$dir/mariadb.sock" -e 'select 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb --no-defaults -uroot --socket="$dir/mariadb.sock" -e "
    CREATE DATABASE authsim;
    CREATE USER 'authsim'@'127.0.0.1' IDENTIFIED BY 'authsim-secret';
    CREATE USER 'authsim'@'localhost' IDENTIFIED BY 'authsim-secret';
    GRANT ALL ON *.* TO 'authsim'@'127.0.0.1';
    GRANT ALL ON *.* TO 'authsim'@'localhost';" || { cat "$dir/server.log" >&2; exit 1; }
  echo "mysql://authsim:authsim-secret@127.0.0.1:$port/authsim" > .build/test-mariadb.url
  cp "$dir/cert.pem" .build/test-mariadb.ca
  ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
