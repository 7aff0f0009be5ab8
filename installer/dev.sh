#!/usr/bin/env bash
# The README's two commands, for a fresh Debian 12 machine or a developer's own.
#
#   installer/dev.sh run    install what is missing, build, and open PoolScope's demo: a
#                           throwaway local PostgreSQL and PgBouncer with a web shop that leaks
#                           (closing the window or Ctrl-C ends it and removes both; without a
#                           display, the command line's watch on the same demo)
#   installer/dev.sh test   install what is missing, build, start the test bench, run every
#                           test, and stop the bench again, whatever the tests did
#
# Environment: BUILD_PRESET (dev or asan; default dev), FUZZ_SECONDS (per fuzz target; 20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PRESET=${BUILD_PRESET:-dev}
# What building and testing PoolScope needs from Debian.
# libqt6opengl6-dev: qt6-charts-dev's CMake configuration needs Qt6OpenGL's, and nothing else
# pulls it in (tests/package/dependency_audit.sh proves the list against what CMake loads).
# fonts-dejavu-core: the window's text, also when the tests draw it offscreen.
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev fonts-dejavu-core libpq-dev postgresql pgbouncer)
# The fuzz targets need clang and its libFuzzer runtime; the bench needs openssl for its test
# CA and procps for pkill; the package test needs CPack's helpers (dpkg-shlibdeps, file) and
# the validators (lintian, desktop-file-validate, appstreamcli, man).
# tst_liveleaklog leaks connections through real pools (tests/leakapps/): a JDK, the JDBC driver,
# HikariCP, c3p0, DBCP2 and Tomcat JDBC with the logging each writes through, and SQLAlchemy.
TEST_PACKAGES=(clang libclang-rt-14-dev openssl procps dpkg-dev file lintian desktop-file-utils appstream man-db
               pg-activity bsdutils # bench_sidebyside runs pg_activity under script(1)
               default-jdk-headless libpostgresql-jdbc-java libhikaricp-java libslf4j-java liblogback-java
               libc3p0-java liblog4j2-java libcommons-dbcp2-java libcommons-pool2-java libcommons-logging-java
               libtomcat9-java python3-sqlalchemy python3-psycopg2)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
    log "building (preset $PRESET)"
    cmake --preset "$PRESET" -G Ninja -S "$ROOT" >/dev/null
    cmake --build --preset "$PRESET"
}

BENCH_DIR=""
stop_bench() {
    [ -n "$BENCH_DIR" ] && "$ROOT/tests/bench/bench.sh" stop "$BENCH_DIR" >/dev/null 2>&1 || true
}

start_bench() {
    BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/poolscope-bench.XXXXXX")
    trap stop_bench EXIT
    trap 'exit 130' INT TERM
    log "starting the test bench"
    "$ROOT/tests/bench/bench.sh" start "$BENCH_DIR"
    # shellcheck disable=SC1091
    . "$BENCH_DIR/env"
}

run_fuzzers() {
    log "building and running the fuzz targets (${FUZZ_SECONDS:-20} s each)"
    cmake --preset fuzz -G Ninja -S "$ROOT" >/dev/null
    cmake --build --preset fuzz
    "$ROOT/tests/fuzz/run.sh" "$ROOT/build/fuzz" "${FUZZ_SECONDS:-20}"
}

run_tests() {
    cd "$ROOT" # test presets are found next to CMakePresets.json
    log "running the tests"
    # Unit tests run in parallel; the live tests share the bench and take turns (RESOURCE_LOCK).
    # Verbose, so every log carries the benchmark figures and each test function's result.
    ctest --preset "$PRESET" -j 2 --verbose
}

# Without a display: the demo's host on its own (it starts the throwaway cluster and the
# shop), and the command line's watch on its PostgreSQL. The host's standard input is a pipe
# from this script: when the script ends, however it ends, the host stops and removes the cluster.
watch_demo() {
    local app=$1 line postgres=""
    coproc HOST { exec "$app/poolscope-workload" --demo --scenario leak; }
    while IFS= read -r line <&"${HOST[0]}"; do
        case $line in
            *'"event":"ready"'*) postgres=$(printf '%s' "$line" | sed -E 's/.*"postgres":"([^"]*)".*/\1/'); break ;;
            *'"event":"error"'*) break ;;
        esac
    done
    [ -n "$postgres" ] || { echo "the demo did not start" >&2; exit 1; }
    # Keep its reports flowing, or it would block writing them (a background job does not
    # inherit the coprocess's descriptors, a copy of one it does).
    local reports
    exec {reports}<&"${HOST[0]}"
    cat <&"$reports" >/dev/null &
    "$app/poolscope" watch "$postgres" --owner-by code || true
}

case "${1:-}" in
    run)
        install_missing "${PACKAGES[@]}"
        build
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            log "PoolScope's demo: a throwaway PostgreSQL and PgBouncer with a leaking web shop (close the window to end)"
            "$ROOT/build/$PRESET/app/poolscope" --demo
        else
            log "no display: the demo with the command line's watch instead; leaks appear within 15 s (Ctrl-C ends it)"
            watch_demo "$ROOT/build/$PRESET/app"
        fi ;;
    test)
        install_missing "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        build
        run_fuzzers
        start_bench
        run_tests ;;
    *)
        echo "usage: installer/dev.sh run|test" >&2
        exit 2 ;;
esac
