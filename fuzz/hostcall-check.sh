#!/bin/bash
# hostcall-check.sh: the short run of the host-call fuzzer in `make check`
# (make fuzz-hostcall-check builds the target and its seeds first):
#   1. each reproducer in fuzz/hostcall-regress, alone (one test each)
#   2. the seed corpus (one test)
#   3. SECONDS_LEFT seconds of fuzzing from the seeds (one test)
# A crash, leak or invariant abort fails the test that ran it; the inputs
# libFuzzer saves go to $FUZZ_DIR/hostcall-*. Last line: "N passed, N
# failed".
set -u
cd "$(dirname "$0")/.."
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
SECONDS_LEFT=${SECONDS_LEFT:-20}
bin=$FUZZ_DIR/fuzz_hostcall
seeds=$FUZZ_DIR/hostcall-seeds
flags=(-rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 -max_len=4096
       -len_control=20 "-artifact_prefix=$FUZZ_DIR/hostcall-")
passed=0 failed=0

# run NAME CMD...: one test; its log is shown only when it fails.
run() {
    local name=$1 log=$FUZZ_DIR/hostcall-check.log
    shift
    if "$@" >"$log" 2>&1; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        cat "$log"
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}

# A scratch corpus, and the target's host directories in a place removed
# even after a crash.
work=$(mktemp -d)
shm=/dev/shm
[ -w "$shm" ] || shm=${TMPDIR:-/tmp}
export WB_FUZZ_TMP=$(mktemp -d "$shm/wbfuzz-check.XXXXXX")
trap 'rm -rf "$work" "$WB_FUZZ_TMP"' EXIT
for f in fuzz/hostcall-regress/*; do
    [ -f "$f" ] || continue
    run "reproducer $(basename "$f")" "$bin" "${flags[@]}" "$f"
done
run "seed corpus ($(ls "$seeds" | wc -l) inputs)" \
    "$bin" "${flags[@]}" -runs=0 "$seeds"
# Fuzz from a copy: the short run must not grow the corpus that `make
# fuzz-hostcall` keeps.
cp "$seeds"/seed-* "$work"/
run "fuzzing for ${SECONDS_LEFT}s" \
    "$bin" "${flags[@]}" -max_total_time="$SECONDS_LEFT" "$work"
grep -E '^Done [0-9]+ runs' "$FUZZ_DIR/hostcall-check.log" || true
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
