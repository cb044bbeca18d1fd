# common.bash: helpers sourced by tests/cli/*.sh (not a test itself).
# Each test script prints "ok"/"FAIL" lines (pass, fail: tests/lib.sh) and
# ends with `summary`, the line "N passed, N failed, N skipped" that
# scripts/check.sh parses.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/lib.sh"
WB_BUILD=${WB_BUILD:-$ROOT/build}
WASMBOX=${WASMBOX:-$WB_BUILD/wasmbox}
MODS=${MODS:-$WB_BUILD/hostile}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# gen: build the generated modules (idempotent, about a second).
gen() { python3 "$ROOT/tests/modules/gen_hostile.py" "$MODS"; }

# wb ARGS...: run wasmbox under a time limit; sets $status, $out, $err and
# $rss (peak KiB, empty when /usr/bin/time is missing).
wb() {
    local t=()
    [ -x /usr/bin/time ] && t=(/usr/bin/time -q -f %M -o "$TMP/rss")
    rm -f "$TMP/rss"
    timeout 20 "${t[@]}" "$WASMBOX" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
    rss=$(tail -n 1 "$TMP/rss" 2>/dev/null || true)
}

# expect DESC STATUS...: the last wb status is one of STATUS...; errors
# (status >= 2) come with exactly one stderr line starting "wasmbox: ";
# status 1 (e.g. spectest failures) with at most one.
expect() {
    local desc=$1 s lines
    shift
    lines=$(wc -l <"$TMP/err")
    for s in "$@"; do
        [ "$status" = "$s" ] || continue
        if { [ "$s" -ge 2 ] && [ "$lines" != 1 ]; } ||
           { [ "$s" = 1 ] && [ "$lines" -gt 1 ]; } ||
           { [ "$lines" -ge 1 ] && [ "${err#wasmbox: }" = "$err" ]; }; then
            fail "$desc: status $status but stderr is not one line:" \
                "$(head -c 300 "$TMP/err")"
            return
        fi
        pass "$desc (status $status)"
        return
    done
    fail "$desc: status $status, expected $*; stderr: $(head -c 300 "$TMP/err")"
}

# expect_out DESC TEXT: stdout of the last wb equals TEXT.
expect_out() {
    if [ "$out" = "$2" ]; then pass "$1"; else fail "$1: got '$out', expected '$2'"; fi
}
