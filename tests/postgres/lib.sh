# tests/postgres/lib.sh - a scratch PostgreSQL 15 for the tests (sourced).
#
#   pg_start DIR   initdb + pg_ctl start in DIR (created; its parent must be
#                  searchable by the server's user; unix socket in DIR,
#                  TCP on a free 127.0.0.1 port); sets PG_PID, PG_PORT and
#                  PG_CONNINFO (a libpq connection string, superuser "stratus").
#                  Returns 2 when PostgreSQL is not installed (caller skips).
#   pg_stop        stops the server started by pg_start (SIGTERM to PG_PID,
#                  then SIGKILL after 20 s) and waits for it to exit.
#
# PostgreSQL refuses to run as root: as root, the server runs as the user
# "nobody" through runuser, DIR owned by it. The data directory is thrown
# away with DIR (fsync off: nothing here must survive a machine crash).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PID=
PG_PORT=
PG_CONNINFO=

pg__as() { # runs a command as the server's user
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg__free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
  local dir=$1
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || return 2
  mkdir -p "$dir" || return 1
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  pg__as "$PG_BIN/initdb" -D "$dir/data" -U stratus -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  local try
  for try in 1 2 3; do
    PG_PORT=$(pg__free_port)
    if pg__as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c fsync=off -c max_connections=100" \
        start >"$dir/pg_ctl.log" 2>&1; then
      PG_PID=$(head -1 "$dir/data/postmaster.pid")
      PG_CONNINFO="host=$dir port=$PG_PORT user=stratus dbname=postgres"
      return 0
    fi
  done
  cat "$dir/pg_ctl.log" "$dir/server.log" >&2
  return 1
}

pg_stop() {
  [ -n "$PG_PID" ] || return 0
  kill -TERM "$PG_PID" 2>/dev/null
  local i
  for i in $(seq 1 200); do
    kill -0 "$PG_PID" 2>/dev/null || { PG_PID=; return 0; }
    sleep 0.1
  done
  kill -KILL "$PG_PID" 2>/dev/null
  PG_PID=
}
