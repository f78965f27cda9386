#!/usr/bin/env bash
# Provides a PostgreSQL for the tests and prints its URL (one line on stdout; everything else goes to stderr).
#
#   scripts/pg-test.sh [start]   print $SEQUENCER_TEST_DATABASE_URL if set; otherwise start a throwaway cluster
#                                (installing Debian's `postgresql` first if it is missing) and print its URL
#   scripts/pg-test.sh stop      stop the cluster recorded in the state file and delete its directory
#   scripts/pg-test.sh status    print the recorded cluster's URL if it is running, exit 1 otherwise
#
# The cluster lives in a fresh temp directory (owned by `postgres` when run as root, since initdb refuses root),
# listens on 127.0.0.1 on a free port with its unix socket in that directory, and trusts local connections of its
# superuser `ves`, who owns the database `ves_test`. The state file ($PG_TEST_STATE_FILE, default
# .ves/pg-test.state) records the directory and URL; `start` with a running recorded cluster prints its URL again.
# Fails with a non-zero status and a clear message when PostgreSQL cannot be provided; it never skips.
set -euo pipefail

cd "$(dirname "$0")/.."

STATE_FILE="${PG_TEST_STATE_FILE:-.ves/pg-test.state}"
PG_USER=ves
PG_DB=ves_test

log() { printf 'pg-test: %s\n' "$*" >&2; }
die() {
  printf 'pg-test: error: %s\n' "$*" >&2
  printf 'pg-test: set SEQUENCER_TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB (a role that may CREATE DATABASE) to use an existing server\n' >&2
  exit 1
}

# The newest PostgreSQL server binaries directory, or nothing.
find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

install_postgres() {
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL (initdb, pg_ctl) is not installed and installing it needs root"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL (initdb, pg_ctl) is not installed and apt-get is unavailable"
  log "installing Debian's postgresql package (apt-get)…"
  apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 ||
    die "apt-get install postgresql failed"
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Reads DIR and URL from the state file; false if there is none.
read_state() {
  [ -f "$STATE_FILE" ] || return 1
  DIR="$(sed -n 's/^dir=//p' "$STATE_FILE")"
  URL="$(sed -n 's/^url=//p' "$STATE_FILE")"
  BINDIR="$(sed -n 's/^bindir=//p' "$STATE_FILE")"
  [ -n "$DIR" ] && [ -n "$BINDIR" ]
}

running() { [ -d "$DIR/data" ] && as_owner "$BINDIR/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

cmd_start() {
  if [ -n "${SEQUENCER_TEST_DATABASE_URL:-}" ]; then
    echo "$SEQUENCER_TEST_DATABASE_URL"
    return
  fi
  if read_state; then
    if running && [ -n "$URL" ]; then
      log "reusing the running cluster in $DIR"
      echo "$URL"
      return
    fi
    cmd_stop # a stale or half-started cluster: clean it up first
  fi

  local bindir
  bindir="$(find_bindir)"
  if [ -z "$bindir" ]; then
    install_postgres
    bindir="$(find_bindir)"
    [ -n "$bindir" ] || die "postgresql was installed but initdb/pg_ctl are not under /usr/lib/postgresql/*/bin"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    die "running as root but there is no 'postgres' user to own the cluster (initdb refuses to run as root)"
  fi

  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/ves-pg.XXXXXX")"
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  mkdir -p "$(dirname "$STATE_FILE")"
  printf 'dir=%s\nbindir=%s\nurl=\n' "$dir" "$bindir" >"$STATE_FILE"

  log "initdb in $dir ($bindir)"
  (cd "$dir" && as_owner "$bindir/initdb" -D "$dir/data" -U "$PG_USER" --auth=trust -E UTF8 --locale=C --no-sync) \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    die "initdb failed (log above)"
  }

  local port="" attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    if (cd "$dir" && as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start) >&2; then
      break
    fi
    if grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null; then
      log "port $port was taken, trying another (attempt $attempt)"
      port=""
      continue
    fi
    cat "$dir/server.log" >&2 || true
    die "pg_ctl start failed (server log above)"
  done
  [ -n "$port" ] || die "could not find a free port for PostgreSQL"

  (cd "$dir" && as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" "$PG_DB") >&2 ||
    die "createdb $PG_DB failed"
  local url="postgres://$PG_USER@127.0.0.1:$port/$PG_DB"
  printf 'dir=%s\nbindir=%s\nurl=%s\n' "$dir" "$bindir" "$url" >"$STATE_FILE"
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready at $url (data in $dir)"
  echo "$url"
}

cmd_stop() {
  if ! read_state; then
    log "no recorded cluster ($STATE_FILE)"
    return
  fi
  if running; then
    (cd "$DIR" && as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop) >&2 ||
      as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate stop >&2 || true
  fi
  case "$DIR" in
    */ves-pg.*) rm -rf "$DIR" ;;
  esac
  rm -f "$STATE_FILE"
  log "stopped and removed $DIR"
}

cmd_status() {
  if read_state && running && [ -n "$URL" ]; then
    echo "$URL"
  else
    log "no running cluster recorded in $STATE_FILE"
    exit 1
  fi
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: scripts/pg-test.sh [start|stop|status]" >&2
    exit 2
    ;;
esac
