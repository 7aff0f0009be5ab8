#!/usr/bin/env bash
# The README's two commands, for a fresh Debian 12 machine or a developer's own.
#
#   installer/dev.sh run    install what is missing, build, and open PoolScope's window on a
#                           throwaway local PostgreSQL and PgBouncer with a few sessions in
#                           trouble (closing the window or Ctrl-C ends it; without a display,
#                           the command line's watch)
#   installer/dev.sh test   install what is missing, build, start the test bench, run every
#                           test, and stop the bench again, whatever the tests did
#
# Environment: BUILD_PRESET (dev or asan; default dev), FUZZ_SECONDS (per fuzz target; 20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PRESET=${BUILD_PRESET:-dev}
# What building and testing PoolScope needs from Debian.
# fonts-dejavu-core: the window's text, also when the tests draw it offscreen.
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-charts-dev fonts-dejavu-core libpq-dev postgresql pgbouncer)
# The fuzz targets need clang and its libFuzzer runtime; the bench needs openssl for its test
# CA and procps for pkill.
TEST_PACKAGES=(clang libclang-rt-14-dev openssl procps)

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

# A few sessions in the states PoolScope is for, held open by psql until the run ends. Each
# holder pipeline gets a process group of its own (set -m) so that it can be ended whole.
start_sample_sessions() {
    local app=$POOLSCOPE_TEST_PG_APP
    psql "$app" -qc "CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance int);
                     INSERT INTO accounts VALUES (1, 100) ON CONFLICT DO NOTHING" >/dev/null
    hold() { # application_name, SQL to run and then sit on
        { printf '%s\n' "$2"; sleep 3600; } | PGAPPNAME=$1 psql "$app" -q >/dev/null 2>&1 &
    }
    set -m
    hold billing "BEGIN; SELECT 1/0 /*route='%2Fcheckout',stack='billing%3A%3APaymentService%3A%3Acharge%20payment.cpp%3A214|billing%3A%3ACheckout%3A%3Ahandle%20checkout.cpp%3A88|http%3A%3ARouter%3A%3Adispatch%20router.cpp%3A41'*/;"
    hold billing "BEGIN; SELECT 1/0 /*route='%2Fcheckout',stack='billing%3A%3APaymentService%3A%3Acharge%20payment.cpp%3A214|billing%3A%3ACheckout%3A%3Ahandle%20checkout.cpp%3A88|http%3A%3ARouter%3A%3Adispatch%20router.cpp%3A41'*/;"
    hold ledger "BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = 1 /*controller:ledger,action:debit,line:app/ledger.rb:31*/;"
    sleep 0.5
    hold ledger "UPDATE accounts SET balance = balance + 1 WHERE id = 1;"
    hold catalog "SELECT 1 /*route='%2Fproducts'*/;"
    hold catalog "SELECT 1 /*route='%2Fproducts'*/;"
    set +m
}

stop_sample_sessions() {
    for group in $(jobs -p); do kill -- "-$group" 2>/dev/null || true; done
}

case "${1:-}" in
    run)
        install_missing "${PACKAGES[@]}"
        build
        start_bench
        start_sample_sessions
        trap 'stop_sample_sessions; stop_bench' EXIT
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            log "PoolScope on a throwaway server and its PgBouncer: leaks appear within 10 s (close the window to end)"
            "$ROOT/build/$PRESET/app/poolscope" "$POOLSCOPE_TEST_PG" "$POOLSCOPE_TEST_BOUNCER"
        else
            log "no display: the command line instead; leaks appear within 10 s (Ctrl-C ends it)"
            "$ROOT/build/$PRESET/app/poolscope" watch "$POOLSCOPE_TEST_PG" --owner-by code
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
