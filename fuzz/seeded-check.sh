#!/bin/bash
# seeded-check.sh: the short run of a fuzzer whose target writes its own
# seeds (make fuzz-snapshot, make fuzz-wire build the target first):
#   seeded-check.sh NAME SEEDS_VAR NSEEDS MAX_LEN [REGRESS_DIR]
#   1. its seeds (one valid input of each mode, written by the target
#      itself into $SEEDS_VAR) and REGRESS_DIR, the inputs of fixed
#      findings (one test)
#   2. SECONDS_LEFT seconds of fuzzing from them (one test)
# A crash, leak or sanitizer report fails the test that ran it; inputs
# libFuzzer saves go to $FUZZ_DIR/NAME-*. FUZZ_EXTRA: more libFuzzer
# flags (a dictionary); CORPUS=DIR: fuzz into DIR and keep it. Last line:
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
name=$1 seeds_var=$2 nseeds=$3 max_len=$4 regress=${5:-}
[ -n "$regress" ] && [ ! -d "$regress" ] && { echo "FAIL no $regress"; exit 1; }
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
SECONDS_LEFT=${SECONDS_LEFT:-20}
bin=$FUZZ_DIR/fuzz_$name
flags=(-rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -max_len="$max_len"
       "-artifact_prefix=$FUZZ_DIR/$name-" ${FUZZ_EXTRA:-})
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
    local what=$1 log=$FUZZ_DIR/$name-check.log
    shift
    if "$@" >"$log" 2>&1; then
        echo "PASS $what"
        passed=$((passed + 1))
    else
        tail -40 "$log"
        echo "FAIL $what"
        failed=$((failed + 1))
    fi
}

corpus=${CORPUS:-$work/corpus}
mkdir -p "$work/seeds" "$corpus"
run "seeds${regress:+ and $regress}" env "$seeds_var=$work/seeds" "$bin" \
    "${flags[@]}" -runs=0 "$work/seeds" $regress
if [ "$(ls "$work/seeds" | wc -l)" != "$nseeds" ]; then
    echo "FAIL seeds: the target wrote $(ls "$work/seeds" | wc -l) of $nseeds"
    failed=$((failed + 1))
fi
run "fuzz ${SECONDS_LEFT}s" "$bin" "${flags[@]}" \
    -max_total_time="$SECONDS_LEFT" "$corpus" "$work/seeds" $regress
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
