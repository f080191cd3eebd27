#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback, for the tests and for trying the postgres backend.
#
# Usage: eval "$(bash scripts/postgres.sh start)"   # starts one; prints the two exports below
#        bash scripts/postgres.sh env DIR           # prints the exports of a running cluster
#        bash scripts/postgres.sh stop [DIR]        # stops it and deletes DIR (default $MESH_POSTGRES_DIR)
#
# `start` installs Debian's `postgresql` with apt-get when initdb is missing, creates a data
# directory under /tmp, runs initdb and pg_ctl as the unprivileged `postgres` user when run as root
# (PostgreSQL refuses root), listens on 127.0.0.1 on a free port (unix socket in the data
# directory, nothing in /var/run), trusts loopback connections (the cluster holds test data only)
# and prints
#     export MESH_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
#     export MESH_POSTGRES_DIR=/tmp/mesh-pg.XXXXXX
# Durability settings are PostgreSQL's defaults (fsync on, synchronous_commit on).
set -euo pipefail

PG_BIN="${MESH_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_if_missing() {
    [ -x "$PG_BIN/initdb" ] && return 0
    [ "$(id -u)" = 0 ] || { echo "postgres: $PG_BIN/initdb missing; install postgresql (as root)" >&2; exit 2; }
    echo "postgres: installing postgresql (Debian)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    [ -x "$PG_BIN/initdb" ] || { echo "postgres: $PG_BIN/initdb still missing after install" >&2; exit 2; }
}

print_env() {
    local dir="$1" port
    port="$(cat "$dir/port" 2>/dev/null)" || { echo "postgres: no cluster in $dir" >&2; exit 2; }
    echo "export MESH_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export MESH_POSTGRES_DIR=$dir"
}

start() {
    install_if_missing
    local dir port
    dir="$(mktemp -d /tmp/mesh-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 0700 "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: bind 0, read it, release it (a race with another process is reported by pg_ctl).
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" >/dev/null ||
        { echo "postgres: server did not start (log: $dir/server.log)" >&2; tail -20 "$dir/server.log" >&2; exit 1; }
    echo "$port" | as_owner tee "$dir/port" >/dev/null
    print_env "$dir"
}

stop() {
    local dir="${1:-${MESH_POSTGRES_DIR:-}}"
    [ -n "$dir" ] || { echo "postgres: stop needs DIR or MESH_POSTGRES_DIR" >&2; exit 2; }
    case "$dir" in /tmp/mesh-pg.*) ;; *) echo "postgres: refusing to delete $dir (not /tmp/mesh-pg.*)" >&2; exit 2 ;; esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
            echo "postgres: pg_ctl stop failed (log: $dir/server.log)" >&2
    fi
    rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
env) print_env "${2:?usage: postgres.sh env DIR}" ;;
*) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
