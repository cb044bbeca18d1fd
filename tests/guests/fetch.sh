#!/bin/bash
# tests/guests/fetch.sh: the version fallback of scripts/guests' fetch,
# against stub apt-cache/apt-get (no network). The archive may list a
# newest source version whose files it does not serve; fetch must go on
# to older versions, newest first in dpkg's order, and fail with one line
# naming the package, the versions tried and the file when none delivers.
# Ends with "N passed, N failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/wbfetch.XXXXXX")
trap 'rm -rf "$T"' EXIT
check() { if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi; }

# The stubs: apt-cache lists $STUB_VERSIONS (in a shuffled order, as
# several suites do); apt-get writes the tarball only for $STUB_GOOD and
# records every version asked for.
mkdir -p "$T/bin" "$T/cache"
printf 'hello\n' > "$T/payload"
sum=$(sha256sum "$T/payload" | cut -d' ' -f1)
cat > "$T/bin/apt-cache" <<'STUB'
#!/bin/bash
for v in $STUB_VERSIONS; do printf 'Package: demo\nVersion: %s\n\n' "$v"; done
STUB
cat > "$T/bin/apt-get" <<'STUB'
#!/bin/bash
want=${!#}; ver=${want#demo=}
echo "$ver" >> "$STUB_LOG"
[ "$ver" = "$STUB_GOOD" ] || { echo "E: 404  Not Found" >&2; exit 100; }
if [ "$1" = download ]; then cp "$STUB_PAYLOAD" "demo_${ver}_all.deb"
else cp "$STUB_PAYLOAD" demo_1.0.orig.tar.gz; fi
STUB
chmod +x "$T/bin/"*
printf 'deb demo 1.0 demo_1.0.orig.tar.gz %s\n' "$sum" > "$T/SOURCES"

run_fetch() {   # prints fetch's status; stderr to $T/err
    rm -f "$T/log" "$T/cache/src/"*
    PATH="$T/bin:$PATH" WB_SOURCES="${SOURCES:-$T/SOURCES}" WASMBOX_CACHE="$T/cache" \
        STUB_LOG="$T/log" STUB_PAYLOAD="$T/payload" \
        bash -c 'source "$1/scripts/guests/common.sh" && fetch demo' _ "$ROOT" \
        >"$T/out" 2>"$T/err"
    echo $?
}

# Newest first by dpkg's rules (epochs, ~ before release, +debNuM after).
export STUB_VERSIONS="1:1.0-1 1:1.0~rc1-1 1:1.0-1+deb12u1 0.9-3"
export STUB_GOOD="1:1.0-1"
check "fallback status" "$(run_fetch)" 0
check "fallback order" "$(tr '\n' ' ' < "$T/log")" "1:1.0-1+deb12u1 1:1.0-1 "
check "fallback file" "$(sha256sum < "$T/cache/src/demo_1.0.orig.tar.gz" | cut -d' ' -f1)" "$sum"
check "fallback prints the path" "$(cat "$T/out")" "$T/cache/src/demo_1.0.orig.tar.gz"

# The newest version delivers: nothing else is asked for.
export STUB_GOOD="1:1.0-1+deb12u1"
check "newest status" "$(run_fetch)" 0
check "newest only" "$(tr '\n' ' ' < "$T/log")" "1:1.0-1+deb12u1 "

# Cached and intact: no download at all.
PATH="$T/bin:$PATH" WB_SOURCES="$T/SOURCES" WASMBOX_CACHE="$T/cache" \
    STUB_LOG="$T/log2" bash -c 'source "$1/scripts/guests/common.sh" && fetch demo' _ "$ROOT" \
    >/dev/null 2>&1
check "cache hit" "$([ -e "$T/log2" ] && echo fetched || echo none)" none

# No version delivers: one error line naming package, versions and file.
export STUB_GOOD="none"
check "none status" "$(run_fetch)" 1
check "none tried all" "$(tr '\n' ' ' < "$T/log")" "1:1.0-1+deb12u1 1:1.0-1 1:1.0~rc1-1 0.9-3 "
check "none message" "$(grep -c 'error:' "$T/err")" 1
check "none names it" "$(grep 'error:' "$T/err")" \
    "[guests] error: demo: demo_1.0.orig.tar.gz (sha256 $sum) not delivered by any source version of demo (tried 1:1.0-1+deb12u1 1:1.0-1 1:1.0~rc1-1 0.9-3)"

# A file that arrives with the wrong checksum counts as not delivered.
printf 'tampered\n' > "$T/payload"
export STUB_GOOD="1:1.0-1"
check "bad sum status" "$(run_fetch)" 1

# No deb-src entry at all.
export STUB_VERSIONS=""
check "no source status" "$(run_fetch)" 1
check "no source message" "$(grep -c 'no deb-src entry for demo' "$T/err")" 1

# A binary package (kind debbin): exactly the pinned version, asked for
# once; an archive that moved on fails naming it, a changed file fails.
printf 'hello\n' > "$T/payload"
printf 'debbin demo 1.0-1 demo_1.0-1_all.deb %s\n' "$sum" > "$T/SOURCES.bin"
export SOURCES=$T/SOURCES.bin STUB_GOOD="1.0-1"
check "debbin status" "$(run_fetch)" 0
check "debbin asks the pin only" "$(tr '\n' ' ' < "$T/log")" "1.0-1 "
check "debbin prints the path" "$(cat "$T/out")" "$T/cache/src/demo_1.0-1_all.deb"
export STUB_GOOD="1.0-2"
check "debbin gone status" "$(run_fetch)" 1
check "debbin gone names it" "$(grep -c 'apt-get download demo=1.0-1 failed' "$T/err")" 1
printf 'tampered\n' > "$T/payload"
export STUB_GOOD="1.0-1"
check "debbin bad sum status" "$(run_fetch)" 1
check "debbin bad sum message" "$(grep -c 'sha256 mismatch for demo_1.0-1_all.deb' "$T/err")" 1
check "debbin bad file removed" "$(cd "$T/cache/src" && echo *.deb)" '*.deb'
unset SOURCES

summary
