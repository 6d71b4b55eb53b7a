#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL server, for the tests' PostgreSQL variants.
#
#   bash .ci/postgres.sh make test
#
# Installs Debian's PostgreSQL when no server binaries are found, then creates a cluster in a
# temp folder and starts it on 127.0.0.1 at a free port, never on another address. It creates
# a user with a random password and an empty database, exports JUPYTER_EXPERIMENTS_TEST_DB_URL
# and runs the command. On exit, whatever the outcome, the server is stopped and its folder
# deleted, and the script exits with the command's status.
#
# Run as root (CI), the server runs as the `postgres` user, because initdb refuses root.
# Durability settings are off: the cluster only lives for one test run.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGUMENT...]" >&2
    exit 2
fi

DB_NAME=experiments_test
DB_USER=experiments

find_bindir() {
    local candidates
    candidates=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$candidates" ] && [ -x "$candidates/pg_ctl" ]; then
        echo "$candidates"
    fi
}

BINDIR=$(find_bindir)
if [ -z "$BINDIR" ]; then
    if [ "$(id -u)" != "0" ]; then
        echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql'." >&2
        exit 1
    fi
    echo "Installing PostgreSQL from Debian's packages"
    apt-get update -q
    # The package's own cluster is not used. In containers it stays stopped, because no init
    # system starts it, and the cluster below takes a port of its own anyway.
    apt-get install -y -q postgresql
    BINDIR=$(find_bindir)
fi

# Run PostgreSQL's programs as `postgres` when this script runs as root.
as_server_user() {
    if [ "$(id -u)" = "0" ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

WORKDIR=$(mktemp -d -t jupyter-experiments-pg.XXXXXX)
if [ "$(id -u)" = "0" ]; then
    chown postgres: "$WORKDIR"
fi
DATADIR="$WORKDIR/data"
LOGFILE="$WORKDIR/server.log"

stop_server() {
    local status=$?
    if [ -f "$DATADIR/postmaster.pid" ]; then
        as_server_user "$BINDIR/pg_ctl" -D "$DATADIR" -m fast -w stop >/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$LOGFILE" ]; then
        echo "Last lines of the PostgreSQL server log:" >&2
        tail -n 20 "$LOGFILE" >&2 || true
    fi
    rm -rf "$WORKDIR"
    exit "$status"
}
trap stop_server EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

# The default collation is ICU's en-US, which orders text like the en_US.UTF-8 of most servers
# ('a' < 'B'), so that tests catch code that assumes SQLite's byte order. PostgreSQL before 15
# cannot make ICU the default and falls back to C.UTF-8, which orders like SQLite.
COLLATION=(--locale=C.UTF-8)
if "$BINDIR/initdb" --help | grep -q -- --locale-provider; then
    COLLATION+=(--locale-provider=icu --icu-locale=en-US)
fi
as_server_user "$BINDIR/initdb" -D "$DATADIR" -U postgres --auth-local=peer \
    --auth-host=scram-sha-256 --encoding=UTF8 "${COLLATION[@]}" >/dev/null
as_server_user "$BINDIR/pg_ctl" -D "$DATADIR" -l "$LOGFILE" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$WORKDIR" \
    -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    -o "-c max_connections=200" \
    start >/dev/null

as_server_user "$BINDIR/psql" -h "$WORKDIR" -p "$PORT" -U postgres -d postgres -q \
    -v ON_ERROR_STOP=1 -v user="$DB_USER" -v password="$PASSWORD" -v db="$DB_NAME" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL

export JUPYTER_EXPERIMENTS_TEST_DB_URL="postgresql+psycopg://$DB_USER:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
echo "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, database $DB_NAME"

"$@"
