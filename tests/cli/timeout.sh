#!/bin/bash
# timeout.sh: --timeout of `wasmbox run` for a guest alone in its process
# (no wasmbox_proc import), whose deadline is a timer signal
# (src/sandbox/watchdog_alone.c): a loop, a loop on the clock, a sleep, a
# read of a silent FIFO and a write to a slow reader each end at the
# deadline with status 124 and outcome "timeout"; the write counts in
# stdout_bytes what reached the reader (it counted none: the attack round
# of tests/attack/README.md).
. "$(dirname "$0")/common.bash"
command -v clang-14 >/dev/null || { skip "timeout: no clang-14"; summary; exit; }
G=$TMP/to.wasm
clang-14 --target=wasm32-wasi --sysroot=/usr -O1 -o "$G" \
    "$ROOT/tests/cli/timeout_guest.c" 2>"$TMP/cc" ||
    { fail "timeout_guest.c does not compile: $(head -2 "$TMP/cc")"; summary; exit; }
mkfifo "$TMP/fifo"
exec 7<>"$TMP/fifo"            # a writer that never writes: reads block

# ends MODE [RUN ARGS]: the run ends with timeout within 3 s of a 300 ms
# deadline
ends() {
    local mode=$1 t0 ms
    shift
    t0=$(date +%s%N)
    wb run --timeout 300ms --report "$TMP/r.json" "$@" "$G" "$mode"
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$status" = 124 ] && [ "$ms" -lt 3000 ] &&
       jq -e '.outcome == "timeout" and .exit_status == 124' \
           "$TMP/r.json" >/dev/null; then
        pass "timeout alone: $mode ends at the deadline ($ms ms)"
    else
        fail "timeout alone: $mode: status $status, $ms ms," \
             "$(head -c 200 "$TMP/r.json" 2>/dev/null)"
    fi
}
for mode in spin clock sleep; do
    ends $mode --tier interp
done
ends read --tier interp --stdin "$TMP/fifo"
wb compile "$G"
TIERS=interp
if [ "$status" = 0 ]; then
    TIERS="interp native"
    ends spin --tier native          # machine code: a loop checks the flag
    ends clock --tier native
else
    skip "timeout alone: --tier native (no native tier in this build)"
fi

# a write to a reader taking 4 KiB every 10 ms: about 400 KiB go out
# before the deadline; the report counts what did
timeout 20 "$WASMBOX" run --tier interp --timeout 1s --max-output 1G \
    --report "$TMP/w.json" "$G" write 2>/dev/null |
    python3 -c '
import sys, time
n, t = 0, time.time()
while time.time() - t < 5:
    d = sys.stdin.buffer.read1(4096)
    if not d:
        break
    n += len(d)
    time.sleep(0.01)
print(n)' >"$TMP/got"
got=$(cat "$TMP/got")
if jq -e ".outcome == \"timeout\" and .stdout_bytes == $got and $got > 0" \
       "$TMP/w.json" >/dev/null; then
    pass "timeout alone: a cut write counts the $got bytes that went out"
else
    fail "timeout alone: cut write: reader got $got bytes, report:" \
         "$(head -c 300 "$TMP/w.json")"
fi
exec 7>&-

# One memory.fill or memory.copy of 4 GiB (--max-memory 4G) was one
# instruction: it ran 7 s past a 500 ms deadline. The engine does them in
# 16 MiB pieces, reading the interrupt flag between them.
for op in '(memory.fill (i32.const 0) (i32.const 7) (i32.const 0xfff00000))' \
          '(memory.copy (i32.const 0x10000) (i32.const 0) (i32.const 0xffe00000))'; do
    printf '(module (memory 65535) (func (export "_start") (loop $l %s (br $l))))' \
        "$op" >"$TMP/bulk.wat"
    if ! command -v wat2wasm >/dev/null ||
       ! wat2wasm "$TMP/bulk.wat" -o "$TMP/bulk.wasm" 2>/dev/null; then
        skip "timeout: a 4 GiB ${op:1:11} (no wat2wasm)"
        continue
    fi
    for tier in $TIERS; do
        t0=$(date +%s%N)
        wb run --tier $tier --max-memory 4G --timeout 300ms \
            --report "$TMP/r.json" "$TMP/bulk.wasm"
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ "$status" = 124 ] && [ "$ms" -lt 2000 ]; then
            pass "timeout: a 4 GiB ${op:1:11} ($tier) stops at the deadline ($ms ms)"
        else
            fail "timeout: a 4 GiB ${op:1:11} ($tier): status $status, $ms ms"
        fi
    done
done
# ... and the pieces do what one memset or memmove did
if clang-14 --target=wasm32-wasi --sysroot=/usr -O1 -mbulk-memory \
       -o "$TMP/bulk_guest.wasm" "$ROOT/tests/cli/bulk_guest.c" 2>"$TMP/cc"; then
    for tier in $TIERS; do
        wb run --tier $tier --timeout 180s "$TMP/bulk_guest.wasm"
        [ "$status" = 0 ] && [ "$out" = ok ] &&
            pass "bulk memory in pieces ($tier): every byte right" ||
            fail "bulk memory in pieces ($tier): status $status, $out"
    done
else
    fail "bulk_guest.c does not compile: $(head -2 "$TMP/cc")"
fi
summary
