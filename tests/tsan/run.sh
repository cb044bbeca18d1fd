#!/bin/bash
# tests/tsan/run.sh: the ThreadSanitizer checks (`make tsan-check`).
#
#   tests/tsan/run.sh [BUILD]        BUILD: a TSan build (default build/tsan,
#                                    made by `make BUILD=build/tsan TSAN=1`)
#
# With every process of the build logging its reports to one directory
# (TSAN_OPTIONS log_path), runs the unit tests, the HTTP suite
# (tests/http), the MCP suite (tests/mcp) and a short concurrent stress of
# both servers (tests/tsan/stress.py, on loopback inside `unshare --net`),
# then counts every ThreadSanitizer report as one failure. There are no
# suppressions (tests/tsan/suppressions.txt says why each would be there).
# WASMBOX_GUESTS: the guest images (default build/guests).
# Last line: "N passed, N failed, N skipped" (tests/lib.sh); exit status 1
# on a failure.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${1:-build/tsan}
B=$(cd "$B" 2>/dev/null && pwd) || { fail "no build directory ${1:-build/tsan}"; summary; exit; }
GUESTS=$(cd "${WASMBOX_GUESTS:-build/guests}" 2>/dev/null && pwd || echo "${WASMBOX_GUESTS:-build/guests}")
export WASMBOX_GUESTS=$GUESTS

if [ ! -x "$B/wasmbox" ]; then
    fail "tsan: $B/wasmbox is not built (make BUILD=build/tsan TSAN=1)"
    summary
    exit
fi
if ! nm "$B/wasmbox" | grep -q __tsan_init; then
    fail "tsan: $B/wasmbox is not a ThreadSanitizer build"
    summary
    exit
fi

T=$(mktemp -d /tmp/wasmbox-tsan.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/reports"
# Reports go to $T/reports/tsan.PID and are counted at the end; a process
# that had one exits 66. halt_on_error=0: one run shows every report.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$T/reports/tsan second_deadlock_stack=1 report_signal_unsafe=1 suppressions=$PWD/tests/tsan/suppressions.txt"

step() { echo; echo "==== tsan: $* (at ${SECONDS}s)"; }
# counted NAME LOG: add the "N passed, N failed[, N skipped]" of LOG's
# last line; without one, or with a bad exit status ($rc), one failure.
counted() {
    if add_counts "$(tail -n 1 "$2")"; then
        [ "$rc" != 0 ] && [ "$counted_failed" = 0 ] && fail "$1: exit status $rc"
    else
        fail "$1: no summary line (exit status $rc)"
    fi
}

step "unit tests"
${MAKE:-make} --no-print-directory BUILD="$B" TSAN=1 unit-bins >"$T/unit-build.log" 2>&1 ||
    { cat "$T/unit-build.log"; fail "unit tests do not build"; }
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    timeout 600 "$t" >"$T/unit.log" 2>&1; rc=$?
    n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$T/unit.log")
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$T/unit.log")
    if [ "$rc" = 0 ]; then
        echo "ok   $(basename "$t") (${n:-0} passed${s:+, $s skipped})"
        add_counts "${n:-0} passed, 0 failed, ${s:-0} skipped"
    else
        cat "$T/unit.log"; fail "$(basename "$t"): exit status $rc"
    fi
done

step "HTTP API (tests/http)"
# Steps of the sanitizer build are slower: a longer step timeout.
WB_HTTP_TIMEOUT=30s timeout 900 bash tests/http/run.sh "$B/wasmbox" >"$T/http.log" 2>&1; rc=$?
cat "$T/http.log"
counted http "$T/http.log"

step "MCP server (tests/mcp)"
WB_BUILD=$B WB_MCP_TIMEOUT=10s timeout 900 bash tests/mcp/run.sh >"$T/mcp.log" 2>&1; rc=$?
cat "$T/mcp.log"
counted mcp "$T/mcp.log"

step "stress: both servers, concurrent clients, SIGTERM (tests/tsan/stress.py)"
mkdir -p "$T/stress"
stress=(python3 tests/tsan/stress.py "$B/wasmbox" "$GUESTS" "$T/stress" --rounds 3)
# A private network namespace with only loopback in it, when allowed.
if unshare --net true 2>/dev/null && command -v ip >/dev/null; then
    timeout 900 unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
        "${stress[@]}" >"$T/stress.log" 2>&1; rc=$?
else
    echo "(unshare --net is not available here: on the host's loopback)"
    timeout 900 "${stress[@]}" >"$T/stress.log" 2>&1; rc=$?
fi
cat "$T/stress.log"
counted stress "$T/stress.log"
for f in serve mcp; do
    [ -f "$T/stress/$f.log" ] && grep -v "listening on" "$T/stress/$f.log" |
        sed "s/^/     $f: /" | head -20
done

step "ThreadSanitizer reports"
n=0
for f in "$T"/reports/tsan.*; do
    [ -e "$f" ] || continue
    c=$(grep -c '^WARNING: ThreadSanitizer\|^ThreadSanitizer:\|^==[0-9]*==ERROR: ThreadSanitizer\|FATAL: ThreadSanitizer' "$f")
    [ "$c" = 0 ] && c=1        # anything in a report file is one
    n=$((n + c))
    echo "---- $(basename "$f"): $c report(s)"
    cat "$f"
done
if [ "$n" = 0 ]; then
    pass "no ThreadSanitizer report"
else
    echo "FAIL $n ThreadSanitizer report(s) (above)"
    add_counts "0 passed, $n failed"         # each report is one
fi

echo "(${SECONDS}s in all)"
summary
