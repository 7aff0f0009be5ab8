#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on its seed corpus (and what earlier runs found).
# Fails on any crash, leak or sanitizer report.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$1
seconds=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/poolscope-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

run() { # target, seed directories…
    local target=$1
    shift
    mkdir -p "$work/$target"
    echo "fuzz: $target for ${seconds} s"
    # Findings land in $work; the seed directories are only read.
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$target-" "$work/$target" "$@" 2>"$work/$target.log" || {
        tail -n 60 "$work/$target.log"
        echo "fuzz: $target FAILED; the input that broke it:" "$work/$target"-* >&2
        mkdir -p "$build/fuzz-artifacts" && cp "$work/$target"-* "$build/fuzz-artifacts/" 2>/dev/null || true
        return 1
    }
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$target.log" | tr '\n' ' '
    echo
}

run fuzz_querytags "$here/corpus/querytags" "$here/../fixtures"
run fuzz_bouncer "$here/corpus/bouncer" "$here/../fixtures/pgbouncer-1.18" "$here/../fixtures/pgbouncer-1.25"
run fuzz_text "$here/corpus/text"
run fuzz_audit "$here/corpus/audit"
run fuzz_recording "$here/corpus/recording"
run fuzz_settings "$here/corpus/settings"
run fuzz_safetext "$here/corpus/safetext"
run fuzz_leaklog "$here/corpus/leaklog"
