#!/bin/bash
# hostile.sh: modules built to exhaust or crash the host must fail cleanly
# with the documented status, one stderr line, within 20 s and a bounded
# peak RSS. Modules come from tests/modules/gen_hostile.py.
. "$(dirname "$0")/common.bash"
gen
# Peak RSS bound in MiB; sanitizer builds carry shadow memory.
MAX_RSS_MB=${MAX_RSS_MB:-256}

# host DESC STATUSES... -- ARGS: run, check status, stderr and resources.
host() {
    local desc=$1 want=()
    shift
    while [ "$1" != "--" ]; do want+=("$1"); shift; done
    shift
    wb "$@"
    if [ "$status" -ge 124 ]; then
        fail "$desc: crashed or timed out (status $status): $(head -c 300 "$TMP/err")"
        return
    fi
    expect "$desc" "${want[@]}"
    if [ -z "$rss" ]; then
        echo "note - $desc: /usr/bin/time missing, peak RSS not checked"
    elif [ "$rss" -gt $((MAX_RSS_MB * 1024)) ]; then
        fail "$desc: peak RSS $((rss / 1024)) MiB > $MAX_RSS_MB MiB"
    else
        pass "$desc: peak RSS $((rss / 1024)) MiB"
    fi
}

host "missing file" 3 -- inspect "$MODS/no-such-module.wasm"
host "directory as module" 3 -- inspect "$MODS"
host "non-wasm file" 4 -- inspect "$MODS/not_wasm.wasm"
host "empty file" 4 -- inspect "$MODS/empty.wasm"
host "truncated module" 4 -- invoke "$MODS/truncated.wasm" fib 1
host "section size near 4 GiB" 4 -- inspect "$MODS/huge_section.wasm"
host "custom section size near 4 GiB" 4 -- inspect "$MODS/huge_custom.wasm"
host "type count near 4 GiB" 4 -- inspect "$MODS/huge_count.wasm"
host "data segment length near 4 GiB" 4 -- inspect "$MODS/huge_data.wasm"
host "10,000 nested blocks" 0 -- invoke "$MODS/nested_blocks.wasm" f
[ "$status" = 0 ] && expect_out "10,000 nested blocks result" 7
# 100,000 locals is valid wasm; an implementation limit may refuse it.
host "100,000 locals" 0 4 5 8 -- invoke "$MODS/many_locals.wasm" f
[ "$status" = 0 ] && expect_out "100,000 locals result" 0
# 4 GiB of memory: reserved lazily, or refused by the memory limit.
host "65,536-page memory" 0 8 -- invoke "$MODS/big_memory.wasm" f
[ "$status" = 0 ] && expect_out "65,536-page memory last byte" 1
host "16 MiB function body" 0 8 -- invoke "$MODS/huge_body.wasm" f
[ "$status" = 0 ] && expect_out "16 MiB function body result" 1
host "unbounded recursion" 7 -- invoke "$MODS/recursion.wasm" f
host "infinite loop with fuel" 8 -- invoke --fuel 100000 "$MODS/loop.wasm" f

# Bulk operations pay fuel for their length, before doing the work: a
# loop of large ones under --fuel 10000 ends with outcome fuel at once.
for op in fill copy init table_fill table_copy; do
    t0=$(date +%s%N)
    wb run --fuel 10000 --report "$TMP/report" "$MODS/bulk_${op}_loop.wasm"
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$status" = 121 ] && grep -q '"outcome": *"fuel"' "$TMP/report"; then
        pass "run: loop of $op under --fuel 10000: outcome fuel"
    else
        fail "run: loop of $op under --fuel 10000: status $status: $(head -c 300 "$TMP/err")"
    fi
    if [ "$ms" -lt 1000 ]; then pass "run: loop of $op ended in $ms ms"
    else fail "run: loop of $op took $ms ms (fuel ignores its length?)"; fi
done
# One operation of 64 KiB or 8,000 elements costs 1,024 or 1,000 fuel.
for op in fill init grow table_init; do
    host "one $op with 900 fuel" 8 -- invoke --fuel 900 "$MODS/bulk_one_$op.wasm" f
    host "one $op with 1,100 fuel" 0 -- invoke --fuel 1100 "$MODS/bulk_one_$op.wasm" f
done

# Implementation limits reject the module: `run` exits 126 (never 123,
# an internal error), other subcommands 8; one line names the limit.
over_limit() {
    local desc=$1 what=$2 mod=$MODS/$3
    wb run "$mod"
    expect "run: $desc" 126
    case $err in
    *"implementation limit: $what"*) pass "run: $desc: message names the limit" ;;
    *) fail "run: $desc: message does not name '$what': $err" ;;
    esac
    host "inspect: $desc" 8 -- inspect "$mod"
}
over_limit "60,000 locals" "too many locals" limit_locals.wasm
over_limit "br_table of 1,000,001 targets" "br_table too large" limit_br_table.wasm
over_limit "1,100,000 operands" "function needs too many stack slots" limit_stack.wasm
over_limit "100,001 exports" "too many exports" limit_exports.wasm
wb run "$MODS/limit_table.wasm"
expect "run: table of 20,000,000 elements" 126
case $err in
*"implementation limit: table limit exceeded"*) pass "run: table limit named" ;;
*) fail "run: table limit not named: $err" ;;
esac

summary
