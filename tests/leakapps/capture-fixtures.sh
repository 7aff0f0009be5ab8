#!/bin/bash
# Records the leak-report fixtures of tests/fixtures/leaklogs/ against a running PostgreSQL
# server: runs each leak app once (HikariCP, c3p0, DBCP 2, Tomcat JDBC, SQLAlchemy), with
# pg_stat_activity of its sessions sampled every second beside it.
#
#   capture-fixtures.sh HOST PORT USER [DBNAME]
#
# DBNAME defaults to postgres; a password, if needed, comes from PGPASSWORD. The user must be
# able to create a table in DBNAME (each app makes its leakapp_stock_<pool> table there).
# Writes into $LEAKLOGS_OUT (default: tests/fixtures/leaklogs beside this directory):
#
#   hikari-logback.log  c3p0-log4j2.log  dbcp2-catalina.log  tomcat-jul.log  sqlalchemy.log
#   <pool>-activity.tsv  pg_stat_activity of the app's sessions, one sample a second
#   ready.tsv            each pool with the backend pids its READY line gave
#
# Timestamps are UTC (TZ=UTC for the apps, PGTZ=UTC for the samples); the locale is C.UTF-8.
# Needs psql (postgresql-client), a JDK, the jars run-leakapp.sh names, and /usr/bin/python3
# with python3-sqlalchemy and python3-psycopg2. Takes about a minute.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: capture-fixtures.sh HOST PORT USER [DBNAME]" >&2
    exit 2
fi
host=$1 port=$2 user=$3 db=${4:-postgres}
here=$(cd "$(dirname "$0")" && pwd)
out=${LEAKLOGS_OUT:-$here/../fixtures/leaklogs}
limit=30000

export TZ=UTC PGTZ=UTC LC_ALL=C.UTF-8
command -v psql >/dev/null || { echo "capture-fixtures.sh: psql not found (postgresql-client)" >&2; exit 1; }
[ -x /usr/bin/python3 ] || { echo "capture-fixtures.sh: /usr/bin/python3 not found" >&2; exit 1; }

mkdir -p "$out"
work=$(mktemp -d)
sampler=""
cleanup() {
    if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

psql_base=(psql -X -q -h "$host" -p "$port" -U "$user" -d "$db" -v ON_ERROR_STOP=1)
"${psql_base[@]}" -Atc "SELECT 1" >/dev/null

# Samples pg_stat_activity for one application_name every second, as TSV, until killed. A
# sample in which the app has no session is one row with only sampled_at. Run in the
# background, it becomes psql itself (exec), so that $! is the process to kill.
sample_activity() {
    local app=$1
    printf 'sampled_at\tpid\tstate\tbackend_start\txact_start\tstate_change\tquery\n'
    exec "${psql_base[@]}" -At -F $'\t' <<SQL
SELECT to_char(s.now, 'YYYY-MM-DD HH24:MI:SS.MS'),
       a.pid, a.state,
       to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS.MS'),
       to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS.MS'),
       to_char(a.state_change, 'YYYY-MM-DD HH24:MI:SS.MS'),
       left(regexp_replace(a.query, '\s+', ' ', 'g'), 40)
  FROM (SELECT clock_timestamp() AS now) AS s
  LEFT JOIN pg_stat_activity AS a ON a.application_name = '$app'
 ORDER BY a.pid \watch 1
SQL
}

# capture POOL LOGNAME COMMAND...: runs one app with the sampler beside it.
capture() {
    local pool=$1 log=$2
    shift 2
    echo "capture-fixtures.sh: $pool -> $log" >&2
    rm -f "$out/$log" "$out/$pool-activity.tsv"
    sample_activity "leakapp-$pool" >"$out/$pool-activity.tsv" &
    sampler=$!
    sleep 1
    "$@" >"$work/$pool.stdout"
    sleep 1
    kill "$sampler"
    wait "$sampler" 2>/dev/null || true
    sampler=""
    local ready
    ready=$(sed -n 's/^READY //p' "$work/$pool.stdout")
    if [ -z "$ready" ]; then
        echo "capture-fixtures.sh: $pool printed no READY line" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$pool" "$ready" >>"$out/ready.tsv"
    for file in "$out/$log" "$out/$pool-activity.tsv"; do
        if [ "$(wc -c <"$file")" -gt "$limit" ]; then
            echo "capture-fixtures.sh: $file is over $limit bytes" >&2
            exit 1
        fi
    done
}

jdbc="jdbc:postgresql://$host:$port/$db"
run="$here/run-leakapp.sh -d $work/classes"
rm -f "$out/ready.tsv"
printf 'pool\tpids\n' >"$out/ready.tsv"

# Three leaks each. Hikari reports 2 s after a checkout and gets the first leak back at 5 s;
# c3p0 and DBCP close leaks 3 s after; Tomcat marks them suspect at 2 s, gets the first back at
# 5 s and abandons the others at 8 s; SQLAlchemy lets go of the first at 5 s.
capture hikari hikari-logback.log $run hikari "$jdbc" "$user" 3 10 "$out/hikari-logback.log"
capture c3p0 c3p0-log4j2.log $run c3p0 "$jdbc" "$user" 3 9 "$out/c3p0-log4j2.log"
capture dbcp2 dbcp2-catalina.log $run dbcp2 "$jdbc" "$user" 3 9 "$out/dbcp2-catalina.log"
capture tomcat tomcat-jul.log $run tomcat "$jdbc" "$user" 3 13 "$out/tomcat-jul.log"
capture sqlalchemy sqlalchemy.log /usr/bin/python3 "$here/sqlalchemy_leak.py" \
    "postgresql+psycopg2://$user@$host:$port/$db" 3 9 "$out/sqlalchemy.log"

echo "capture-fixtures.sh: done; see $out/ready.tsv" >&2
