#!/bin/bash
# snapshot-check.sh: the short run of the snapshot-loader fuzzer
# (make fuzz-snapshot builds the target first):
#   1. its seeds (one valid input of each mode, written by the target
#      itself: WB_SNAPSHOT_SEEDS) (one test)
#   2. SECONDS_LEFT seconds of fuzzing from them (one test)
# A crash, leak or sanitizer report fails the test that ran it; inputs
# libFuzzer saves go to $FUZZ_DIR/snapshot-*. Last line: "N passed, N
# failed".
set -u
cd "$(dirname "$0")/.."
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
SECONDS_LEFT=${SECONDS_LEFT:-20}
bin=$FUZZ_DIR/fuzz_snapshot
flags=(-rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -max_len=300000
       "-artifact_prefix=$FUZZ_DIR/snapshot-")
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
    local name=$1 log=$FUZZ_DIR/snapshot-check.log
    shift
    if "$@" >"$log" 2>&1; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        tail -40 "$log"
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}

mkdir -p "$work/seeds" "$work/corpus"
run "seeds" env WB_SNAPSHOT_SEEDS="$work/seeds" "$bin" "${flags[@]}" \
    -runs=0 "$work/seeds"
if [ "$(ls "$work/seeds" | wc -l)" != 3 ]; then
    echo "FAIL seeds: the target wrote $(ls "$work/seeds" | wc -l) of 3"
    failed=$((failed + 1))
fi
run "fuzz ${SECONDS_LEFT}s" "$bin" "${flags[@]}" \
    -max_total_time="$SECONDS_LEFT" "$work/corpus" "$work/seeds"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
