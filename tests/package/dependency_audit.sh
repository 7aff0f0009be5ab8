#!/usr/bin/env bash
# Does a fresh Debian machine get everything PoolScope needs from the packages we name?
# The machine that builds may have more installed than a fresh one: Debian's qt6-charts-dev
# needs Qt6OpenGLConfig.cmake from libqt6opengl6-dev, which nothing else pulls in, and a build
# on a machine that happened to have it stayed green while a fresh one failed.
#
#   dependency_audit.sh build REPO BUILD_DIR
#       Every CMake package configuration the configure step loaded (the *_DIR entries of
#       BUILD_DIR/CMakeCache.txt) comes from a Debian package in the dependency closure of
#       the packages installer/dev.sh installs (its PACKAGES and TEST_PACKAGES).
#   dependency_audit.sh runtime DEB UNPACKED_ROOT
#       Every shared library the package's programs load (ldd) comes from a Debian package in
#       the dependency closure of the packages its Depends field names.
#
# Prints each package it checked against and exits 1 naming what is missing. The closure is
# computed offline from apt's cache (apt-cache depends --recurse); alternatives count as
# pulled in.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

# The packages `$@` pull in, one per line (the packages themselves included).
closure() {
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "$@" 2>/dev/null | grep -E '^[a-z0-9]' | sed 's/:.*//' | sort -u
}

# The Debian package that owns FILE (symlinks resolved), or nothing.
owner_of() {
    local file=$1 owner
    owner=$(dpkg -S "$file" 2>/dev/null | head -n 1 | sed 's/:.*//; s/, .*//') || true
    if [ -z "$owner" ]; then
        owner=$(dpkg -S "$(readlink -f "$file")" 2>/dev/null | head -n 1 | sed 's/:.*//; s/, .*//') || true
    fi
    printf '%s' "$owner"
}

audit_build() {
    local repo=$1 build=$2
    [ -f "$build/CMakeCache.txt" ] || fail "no $build/CMakeCache.txt: configure first"
    local named
    named=$(sed -n -E 's/^(TEST_)?PACKAGES=\((.*)\)/\2/p' "$repo/installer/dev.sh" | tr ' ' '\n' | grep -v '^$' | sort -u)
    [ -n "$named" ] || fail "no PACKAGES=(...) line in installer/dev.sh"
    local pulled
    # shellcheck disable=SC2086
    pulled=$(closure $named)
    local missing="" checked=0 dir config owner
    while IFS= read -r dir; do
        config=$(ls "$dir"/*Config.cmake "$dir"/*-config.cmake 2>/dev/null | head -n 1) || true
        [ -n "$config" ] || continue
        owner=$(owner_of "$config")
        [ -n "$owner" ] || continue # a configuration of our own build tree
        checked=$((checked + 1))
        grep -qxF "$owner" <<<"$pulled" || missing="$missing $owner ($(basename "$config"))"
    done < <(grep -E '_DIR:PATH=/' "$build/CMakeCache.txt" | sed 's/.*=//')
    [ "$checked" -gt 0 ] || fail "no CMake package configuration found in $build/CMakeCache.txt"
    [ -z "$missing" ] || fail "the build loads packages that installer/dev.sh does not install on a fresh machine:$missing"
    echo "PASS: $checked CMake package configurations, each from a package installer/dev.sh installs (or pulls in)"
}

audit_runtime() {
    local deb=$1 root=$2
    local depends
    # "libqt6core6 (>= 6.4), libc6 (>= 2.34) | libc6-udeb, qt6-qpa-plugins" -> one name a line
    depends=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
    [ -n "$depends" ] || fail "$deb has no Depends"
    local pulled
    # shellcheck disable=SC2086
    pulled=$(closure $depends)
    local missing="" checked=0 binary library owner
    while IFS= read -r binary; do
        file -b "$binary" | grep -q '^ELF' || continue
        ldd "$binary" | grep -q 'not found' && fail "$(basename "$binary") cannot find a library: $(ldd "$binary" | grep 'not found')"
        while IFS= read -r library; do
            owner=$(owner_of "$library")
            [ -n "$owner" ] || fail "no installed package owns $library, which $(basename "$binary") loads"
            checked=$((checked + 1))
            grep -qxF "$owner" <<<"$pulled" || missing="$missing $owner ($(basename "$library") for $(basename "$binary"))"
        done < <(ldd "$binary" | sed -n -E 's/.*=> (\/[^ ]+) .*/\1/p')
    done < <(find "$root" -type f -perm -u+x)
    [ "$checked" -gt 0 ] || fail "no shared library found for the programs in $root"
    [ -z "$missing" ] || fail "the programs load libraries that the package's Depends do not pull in:$missing"
    echo "PASS: $checked libraries loaded by the package's programs, each from a package its Depends pull in"
}

case "${1:-}" in
    build) audit_build "$2" "$3" ;;
    runtime) audit_runtime "$2" "$3" ;;
    *) echo "usage: dependency_audit.sh build REPO BUILD_DIR | runtime DEB UNPACKED_ROOT" >&2; exit 2 ;;
esac
