#!/usr/bin/env bash
# The test bench: a throwaway PostgreSQL 15 cluster and a PgBouncer in front of it, on free
# loopback ports, in a temporary directory. Both refuse to run as root, so as root they run
# as the `postgres` user.
#
#   bench.sh start DIR   start both; writes DIR/env with the conninfo the tests read
#   bench.sh stop DIR    stop both and remove DIR (safe to call twice, or on a half-started bench)
#
# DIR/env exports:
#   POOLSCOPE_TEST_PG          superuser conninfo (TCP, password)
#   POOLSCOPE_TEST_PG_MONITOR  a role with pg_monitor + pg_signal_backend only
#   POOLSCOPE_TEST_PG_PLAIN    a role with no monitoring or signalling rights
#   POOLSCOPE_TEST_PG_APP      the role test workloads connect as
#   POOLSCOPE_TEST_BOUNCER     PgBouncer admin console
#   POOLSCOPE_TEST_BOUNCER_STATS PgBouncer console as a stats-only user
#   POOLSCOPE_TEST_SMALL       superuser conninfo of a second, tiny cluster (max_connections 8,
#                              2 reserved for superusers) that speaks TLS with a throwaway CA
#   POOLSCOPE_TEST_SMALL_APP   the same cluster as a plain role, for filling it up
#   POOLSCOPE_TEST_SMALL_MONITOR the same cluster as a pg_monitor + pg_signal_backend role
#   POOLSCOPE_TEST_TLS_CA      that CA's certificate
#   POOLSCOPE_TEST_BOUNCER_APP PgBouncer pooled database "appdb" as the app role (transaction pooling, 5)
#   POOLSCOPE_TEST_BOUNCER_SESSION "appdb" through PgBouncer in session pooling with pool_size 2
set -euo pipefail

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PASSWORD=bench-secret

die() { echo "bench: $*" >&2; exit 1; }

# Runs a command as the unprivileged server owner when we are root.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local port
    for _ in $(seq 1 200); do
        # Below the ephemeral range (32768+), where client sockets could take the port first.
        port=$((20000 + RANDOM % 12000))
        if ! port_in_use "$port"; then echo "$port"; return 0; fi
    done
    die "no free loopback port found"
}

psql_super() {
    PGPASSWORD=$PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

# A cluster in DIR/NAME on 127.0.0.1:PORT; the caller appends its own settings, then starts it.
init_cluster() {
    local dir=$1 name=$2 port=$3
    as_owner "$PG_BIN/initdb" -D "$dir/$name" -U postgres --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb-$name.log" 2>&1 \
        || { cat "$dir/initdb-$name.log" >&2; die "initdb of $name failed"; }
    cat >> "$dir/$name/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
EOF
}

# Starts DIR/NAME, logging to DIR/NAME.log.
start_cluster() {
    local dir=$1 name=$2
    as_owner "$PG_BIN/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t 60 start >/dev/null \
        || { cat "$dir/$name.log" >&2; die "PostgreSQL in $dir/$name did not start"; }
}

start() {
    local dir=$1
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found (install the 'postgresql' package)"
    command -v pgbouncer >/dev/null || die "pgbouncer not found (install the 'pgbouncer' package)"
    mkdir -p "$dir"
    chmod 0755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi

    PG_PORT=$(free_port)
    printf '%s\n' "$PASSWORD" > "$dir/pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/pwfile"; fi
    init_cluster "$dir" pg "$PG_PORT"
    cat >> "$dir/pg/postgresql.conf" <<EOF
# Room for the 2,000- and 2,900-session benchmarks plus the tests.
max_connections = 3100
shared_buffers = 64MB
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
log_min_messages = warning
EOF
    start_cluster "$dir" pg

    psql_super <<EOF
CREATE EXTENSION pg_stat_statements;
CREATE ROLE ps_monitor LOGIN PASSWORD '$PASSWORD' IN ROLE pg_monitor, pg_signal_backend;
CREATE ROLE ps_plain LOGIN PASSWORD '$PASSWORD';
CREATE ROLE ps_app LOGIN PASSWORD '$PASSWORD';
CREATE ROLE ps_stats LOGIN PASSWORD '$PASSWORD';
CREATE DATABASE appdb OWNER ps_app;
EOF

    start_small_cluster "$dir"

    local bouncer_port
    bouncer_port=$(free_port)
    while [ "$bouncer_port" = "$PG_PORT" ]; do bouncer_port=$(free_port); done
    cat > "$dir/userlist.txt" <<EOF
"postgres" "$PASSWORD"
"ps_app" "$PASSWORD"
"ps_stats" "$PASSWORD"
EOF
    cat > "$dir/pgbouncer.ini" <<EOF
[databases]
appdb = host=127.0.0.1 port=$PG_PORT dbname=appdb
appdb_session = host=127.0.0.1 port=$PG_PORT dbname=appdb pool_mode=session pool_size=2
postgres = host=127.0.0.1 port=$PG_PORT dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir = $dir
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
admin_users = postgres
stats_users = ps_stats
pool_mode = transaction
default_pool_size = 5
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/userlist.txt" "$dir/pgbouncer.ini"; fi
    as_owner pgbouncer -d "$dir/pgbouncer.ini" || die "PgBouncer did not start (see $dir/pgbouncer.log)"
    for _ in $(seq 1 50); do port_in_use "$bouncer_port" && break; sleep 0.1; done
    port_in_use "$bouncer_port" || die "PgBouncer is not listening on $bouncer_port"

    local common="host=127.0.0.1 password=$PASSWORD connect_timeout=5"
    local small="password=$PASSWORD connect_timeout=5 port=$SMALL_PORT dbname=postgres"
    cat > "$dir/env" <<EOF
export POOLSCOPE_TEST_PG='$common port=$PG_PORT dbname=postgres user=postgres'
export POOLSCOPE_TEST_PG_MONITOR='$common port=$PG_PORT dbname=postgres user=ps_monitor'
export POOLSCOPE_TEST_PG_PLAIN='$common port=$PG_PORT dbname=postgres user=ps_plain'
export POOLSCOPE_TEST_PG_APP='$common port=$PG_PORT dbname=appdb user=ps_app'
export POOLSCOPE_TEST_BOUNCER='$common port=$bouncer_port dbname=pgbouncer user=postgres'
export POOLSCOPE_TEST_BOUNCER_STATS='$common port=$bouncer_port dbname=pgbouncer user=ps_stats'
export POOLSCOPE_TEST_BOUNCER_APP='$common port=$bouncer_port dbname=appdb user=ps_app'
export POOLSCOPE_TEST_BOUNCER_SESSION='$common port=$bouncer_port dbname=appdb_session user=ps_app'
export POOLSCOPE_TEST_SMALL='host=localhost $small user=postgres sslmode=verify-full sslrootcert=$dir/tls/ca.crt'
export POOLSCOPE_TEST_SMALL_APP='host=localhost $small user=ps_app sslmode=verify-full sslrootcert=$dir/tls/ca.crt'
export POOLSCOPE_TEST_SMALL_MONITOR='host=localhost $small user=ps_monitor sslmode=verify-full sslrootcert=$dir/tls/ca.crt'
export POOLSCOPE_TEST_TLS_CA='$dir/tls/ca.crt'
export POOLSCOPE_TEST_PG_BIN='$PG_BIN'
export POOLSCOPE_TEST_BENCH_DIR='$dir'
EOF
    echo "bench: PostgreSQL on 127.0.0.1:$PG_PORT, PgBouncer on 127.0.0.1:$bouncer_port ($dir)"
}

# A second cluster for the fault tests: small enough to fill up, and speaking TLS with a
# certificate for "localhost" signed by a CA made here and thrown away with the bench.
start_small_cluster() {
    local dir=$1
    SMALL_PORT=$(free_port)
    while [ "$SMALL_PORT" = "$PG_PORT" ]; do SMALL_PORT=$(free_port); done
    mkdir -p "$dir/tls"
    (
        cd "$dir/tls"
        openssl req -new -x509 -days 2 -nodes -subj "/CN=PoolScope test CA" -keyout ca.key -out ca.crt
        openssl req -new -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
        printf 'subjectAltName=DNS:localhost\n' > san.ext
        openssl x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile san.ext -out server.crt
        chmod 0600 server.key
    ) >"$dir/tls.log" 2>&1 || { cat "$dir/tls.log" >&2; die "could not make the test certificates"; }
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir/tls"; fi
    init_cluster "$dir" pg-small "$SMALL_PORT"
    cat >> "$dir/pg-small/postgresql.conf" <<EOF
max_connections = 8
superuser_reserved_connections = 2
shared_buffers = 16MB
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
EOF
    start_cluster "$dir" pg-small
    PGPASSWORD=$PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SMALL_PORT" -U postgres -d postgres \
        -c "CREATE ROLE ps_app LOGIN PASSWORD '$PASSWORD'" \
        -c "CREATE ROLE ps_monitor LOGIN PASSWORD '$PASSWORD' IN ROLE pg_monitor, pg_signal_backend"
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/pgbouncer.pid" ]; then
        local pid
        pid=$(cat "$dir/pgbouncer.pid")
        kill "$pid" 2>/dev/null || true
        # Wait for it to go: it removes its socket on the way out, into a directory that
        # must not be recreated after rm -rf below.
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    for cluster in pg pg-small; do
        if [ -f "$dir/$cluster/postmaster.pid" ]; then
            # A test may have left a backend stopped (SIGSTOP): wake everything so it can exit.
            pkill -CONT -P "$(head -n 1 "$dir/$cluster/postmaster.pid")" 2>/dev/null || true
            as_owner "$PG_BIN/pg_ctl" -D "$dir/$cluster" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$dir"
}

case "${1:-}" in
    start) [ -n "${2:-}" ] || die "usage: bench.sh start DIR"; start "$2" ;;
    stop) [ -n "${2:-}" ] || die "usage: bench.sh stop DIR"; stop "$2" ;;
    *) die "usage: bench.sh start|stop DIR" ;;
esac
