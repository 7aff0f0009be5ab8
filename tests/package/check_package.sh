#!/usr/bin/env bash
# Builds the Debian package and the tarball from a build directory, checks their metadata and
# contents, validates the desktop entry, the AppStream metainfo and the package (lintian: no
# errors or warnings), unpacks the package into a throwaway directory and runs the unpacked
# poolscope against the test bench.
#
#   check_package.sh BUILD_DIR      (POOLSCOPE_TEST_PG must name the bench's PostgreSQL)
set -euo pipefail

BUILD=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

[ -n "${POOLSCOPE_TEST_PG:-}" ] || fail "POOLSCOPE_TEST_PG is not set: the test bench is not running"
for tool in cpack dpkg-deb dpkg lintian desktop-file-validate appstreamcli; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (installer/dev.sh test installs it)"
done

OUT=$(mktemp -d "${TMPDIR:-/tmp}/poolscope-package.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

(cd "$BUILD" && cpack -G "DEB;TGZ" -B "$OUT" >"$OUT/cpack.log" 2>&1) || { cat "$OUT/cpack.log" >&2; fail "cpack failed"; }
DEB=$(ls "$OUT"/poolscope_*_*.deb)
TGZ=$(ls "$OUT"/poolscope-*.tar.gz)
pass "cpack built $(basename "$DEB") and $(basename "$TGZ")"

# Metadata: name, version, the libraries it links, the platform plugins, the demo's servers.
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = poolscope ] || fail "Package is '$(field Package)'"
[ -n "$(field Version)" ] || fail "no Version"
for dependency in libqt6widgets6 libqt6charts6 libqt6core6 libpq5 qt6-qpa-plugins; do
    grep -q "$dependency" <<<"$(field Depends)" || fail "Depends lacks $dependency: $(field Depends)"
done
for recommended in postgresql pgbouncer; do
    grep -q "$recommended" <<<"$(field Recommends)" || fail "Recommends lacks $recommended: $(field Recommends)"
done
grep -q "Description: inspector for PostgreSQL" <<<"$(dpkg-deb -I "$DEB")" || fail "no description"
pass "control: $(field Package) $(field Version), Depends: $(field Depends)"

# Contents: exactly what an installed desktop application needs, nothing from the build.
CONTENTS=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for path in ./usr/bin/poolscope ./usr/bin/poolscope-workload \
        ./usr/share/applications/org.poolscope.PoolScope.desktop \
        ./usr/share/metainfo/org.poolscope.PoolScope.metainfo.xml \
        ./usr/share/icons/hicolor/scalable/apps/poolscope.svg \
        ./usr/share/icons/hicolor/16x16/apps/poolscope.png ./usr/share/icons/hicolor/48x48/apps/poolscope.png \
        ./usr/share/icons/hicolor/256x256/apps/poolscope.png \
        ./usr/share/man/man1/poolscope.1.gz ./usr/share/man/man1/poolscope-workload.1.gz \
        ./usr/share/doc/poolscope/copyright ./usr/share/doc/poolscope/changelog.gz; do
    grep -qxF "$path" <<<"$CONTENTS" || fail "$path is missing from the package"
done
if grep -E '/(tst_|bench_|fuzz_)|\.a$|/include/' <<<"$CONTENTS"; then fail "build leftovers in the package"; fi
pass "contents: $(grep -vc '/$' <<<"$CONTENTS") files, no tests, static libraries or headers"

# The standard validators.
ROOT=$OUT/root
dpkg -x "$DEB" "$ROOT"
# Every library the programs load comes from what Depends pulls in on a fresh machine.
"$(dirname "$0")/dependency_audit.sh" runtime "$DEB" "$ROOT" || fail "the package's Depends"
desktop-file-validate "$ROOT/usr/share/applications/org.poolscope.PoolScope.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$ROOT/usr/share/metainfo/org.poolscope.PoolScope.metainfo.xml" >"$OUT/appstream.log" 2>&1 \
    || { cat "$OUT/appstream.log" >&2; fail "appstreamcli validate"; }
man --warnings -l "$ROOT/usr/share/man/man1/poolscope.1.gz" >/dev/null 2>"$OUT/man.log"
[ ! -s "$OUT/man.log" ] || { cat "$OUT/man.log" >&2; fail "the man page has warnings"; }
lintian --fail-on error,warning "$DEB" >"$OUT/lintian.log" 2>&1 || { cat "$OUT/lintian.log" >&2; fail "lintian"; }
pass "desktop-file-validate, appstreamcli validate, man --warnings and lintian (no errors or warnings)"

# Hardening, as the distribution builds it: lintian's hardening tags are info or pedantic, which
# --fail-on error,warning lets through, so they are asked for by name; then the ELF itself.
HARDENING_TAGS=hardening-no-bindnow,hardening-no-fortify-functions,hardening-no-relro,hardening-no-pie
lintian -I -E --pedantic --tags "$HARDENING_TAGS" "$DEB" >"$OUT/lintian-hardening.log" 2>&1 || true
if grep -E "hardening-no-(bindnow|fortify-functions|relro|pie)" "$OUT/lintian-hardening.log"; then
    fail "lintian reports missing hardening"
fi
for program in poolscope poolscope-workload; do
    ELF=$ROOT/usr/bin/$program
    DYNAMIC=$(readelf -d "$ELF")
    grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' <<<"$DYNAMIC" || fail "$program: no BIND_NOW (-Wl,-z,now)"
    grep -qE '\(FLAGS_1\).*PIE' <<<"$DYNAMIC" || fail "$program: not a position-independent executable"
    grep -q 'GNU_RELRO' <<<"$(readelf -l "$ELF")" || fail "$program: no GNU_RELRO segment (-Wl,-z,relro)"
    grep -q 'DYN' <<<"$(readelf -h "$ELF" | grep 'Type:')" || fail "$program: not PIE (ELF type is not DYN)"
    grep -q '__stack_chk_fail' <<<"$(readelf --dyn-syms -W "$ELF")" || fail "$program: no stack protector"
done
pass "hardening: BIND_NOW, GNU_RELRO, PIE and the stack protector in both programs; no lintian hardening tag (fortify included)"

# The unpacked program runs: its version, and a snapshot of the bench.
grep -q "^poolscope [0-9]" <<<"$("$ROOT/usr/bin/poolscope" --version)" || fail "poolscope --version"
SNAPSHOT=$(env -u DISPLAY -u WAYLAND_DISPLAY "$ROOT/usr/bin/poolscope" snapshot "$POOLSCOPE_TEST_PG") \
    || fail "the unpacked poolscope snapshot failed"
grep -q "^PostgreSQL " <<<"$SNAPSHOT" || fail "no PostgreSQL header in the snapshot: $SNAPSHOT"
grep -q "^Sessions: " <<<"$SNAPSHOT" || fail "no sessions line in the snapshot"
pass "unpacked: $("$ROOT/usr/bin/poolscope" --version); snapshot: $(grep '^Sessions: ' <<<"$SNAPSHOT")"

# The tarball holds the same program.
# (Listings are read whole before grep looks at them: grep -q closing a pipe early would make
# the writer fail under pipefail.)
TARBALL=$(tar -tzf "$TGZ")
grep -q '/bin/poolscope$' <<<"$TARBALL" || fail "no bin/poolscope in the tarball"
pass "tarball: $(grep -vc '/$' <<<"$TARBALL") files"
