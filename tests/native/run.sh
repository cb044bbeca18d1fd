#!/usr/bin/env bash
# tests/native/run.sh [WASMBOX]: the native tier (--tier native) against
# the interpreter and the sandbox's guarantees (default build/wasmbox).
#
#   traps       each kind of trap: same exit status, message and
#               name-section backtrace in both tiers
#   limits      an infinite loop ends at --timeout, so does a guest
#               blocked in a host call; fuel ends a loop; deep recursion
#               traps; --max-stack holds
#   programs    WASI programs (clang --target=wasm32-wasi) print the same
#               in both tiers, and the whole WASI suite (tests/wasi) and
#               escape suite (tests/escape) run in the native tier
#   compile     a 40 KB function gets the lighter pipeline, within a
#               bound of CPU time
#   refusal     without its plugin the tier refuses with one line and
#               exit status 126, never running the module another way
#   c-api       wb_module_compile_native through libwasmbox.so
#   group       two stores of a group (src/engine/group.c) on two threads
#               share its fuel in compiled code (group_native.c)
#   start-up    the interpreter does not load LLVM (nor does --tier auto
#               with nothing cached); compiling does
# One line per failing case, then "N passed, N failed, N skipped"
# (tests/lib.sh). Without the plugin (no llvm-19-dev) every case skips.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
OUT=$(dirname "$WB")/native-tests
CC=(clang-14 --target=wasm32-wasi --sysroot=/usr -O1)
mkdir -p "$OUT"
. "$ROOT/tests/lib.sh"
# a code cache of its own, empty: each module is compiled once here, and
# nothing compiles in the background (tests/cli/cache.sh tests that)
export XDG_CACHE_HOME=$OUT/cache WASMBOX_BACKGROUND_COMPILE=0
rm -rf "$XDG_CACHE_HOME"
mkdir -m 700 "$XDG_CACHE_HOME"

# A module with a _start export from a WAT body (functions and all).
wat() {   # name text
    printf '%s\n' "$2" >"$OUT/$1.wat"
    wat2wasm --debug-names --enable-all "$OUT/$1.wat" -o "$OUT/$1.wasm" 2>"$OUT/$1.log"
}

# Runs in a tier: $rc, $OUT/$tier.out, $OUT/$tier.err.
run_tier() {   # tier args...
    local tier=$1
    shift
    # generous: compiling under ASan on a loaded machine takes a while
    timeout 600 "$WB" run --tier "$tier" "$@" >"$OUT/$tier.out" 2>"$OUT/$tier.err"
    rc=$?
}

# Both tiers must agree on status, stdout and stderr (messages and
# backtrace); the status must be `want`.
same() {   # case want args...
    local case=$1 want=$2 irc
    shift 2
    run_tier interp "$@"
    irc=$rc
    run_tier native "$@"
    if [ "$rc" != "$want" ] || [ "$irc" != "$want" ]; then
        fail "$case: exit status interp $irc, native $rc, want $want ($(head -c 300 "$OUT/native.err" | tr '\n' ' '))"
    elif ! cmp -s "$OUT/interp.out" "$OUT/native.out"; then
        fail "$case: stdout differs: $(diff "$OUT/interp.out" "$OUT/native.out" | head -4 | tr '\n' ' ')"
    elif ! cmp -s "$OUT/interp.err" "$OUT/native.err"; then
        fail "$case: stderr differs: $(diff "$OUT/interp.err" "$OUT/native.err" | head -6 | tr '\n' ' ')"
    else
        pass
    fi
}

if ! wat probe '(module (func (export "_start")))' ||
   ! "$WB" run --tier native "$OUT/probe.wasm" >/dev/null 2>"$OUT/probe.err"; then
    skip "native tier: unavailable: $(head -c 200 "$OUT/probe.err")"
    summary
    exit
fi

# ---- traps ------------------------------------------------------------------
trap_case() {   # name body-of-$inner [extra module fields [status]]
    wat "$1" "(module
  ${3:-}
  (type \$v (func))
  (type \$i (func (param i32) (result i32)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 0) \$leaf \$inner)
  (func \$leaf)
  (func \$inner (param i32) (result i32) $2)
  (func \$middle (param i32) (result i32) (call \$inner (local.get 0)))
  (func (export \"_start\") (drop (call \$middle (i32.const 7)))))" || {
        fail "$1: wat2wasm: $(head -c 200 "$OUT/$1.log")"; return; }
    same "trap $1" "${4:-134}" "$OUT/$1.wasm"
}
trap_case unreachable 'unreachable'
trap_case div_zero '(i32.div_s (local.get 0) (i32.const 0))'
trap_case rem_zero '(i64.rem_u (i64.const 1) (i64.const 0)) drop (i32.const 0)'
trap_case div_overflow '(i32.div_s (i32.const 0x80000000) (i32.const -1))'
trap_case div64_overflow '(i64.div_s (i64.const 0x8000000000000000) (i64.const -1)) i32.wrap_i64'
trap_case trunc_nan '(i32.trunc_f32_s (f32.const nan))'
trap_case trunc_range '(i32.trunc_f64_u (f64.const -1))'
trap_case trunc64_range '(i64.trunc_f32_s (f32.const 1e19)) i32.wrap_i64'
trap_case load_oob '(i32.load (i32.const 65533))'
trap_case store_oob '(i64.store offset=65530 (local.get 0) (i64.const 1)) (i32.const 0)'
# guard regions: a load whose value is dropped still traps, as do the
# largest index and offset, and a fault after memory.grow's new pages
trap_case load_dropped_oob '(drop (i32.load (i32.const 70000))) (i32.const 0)'
trap_case load_far_oob '(i64.load offset=0xffffffff (i32.const -1)) i32.wrap_i64'
trap_case grown_oob '(drop (memory.grow (i32.const 1))) (i32.store (i32.const 131068) (i32.const 1)) (i32.load (i32.const 131069))'
trap_case fill_oob '(memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)) (i32.const 0)'
trap_case undefined_element '(call_indirect (type $i) (local.get 0) (i32.const 9))'
trap_case uninitialized_element '(call_indirect (type $i) (local.get 0) (i32.const 3))'
trap_case indirect_type '(call_indirect (type $i) (local.get 0) (i32.const 0))'
trap_case table_oob '(table.get 0 (i32.const 5)) drop (i32.const 0)'
# an exit from a host function unwinds native frames too (not a trap)
trap_case host_exit '(call $exit (i32.const 3)) (i32.const 0)' \
    '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))' 3

# ---- limits -------------------------------------------------------------------
# The run's own clock (the report's wall_time_ms, from the start of the
# guest), not the compilation's.
timed_out() {   # case
    local ms outcome
    ms=$(jq -r .wall_time_ms "$OUT/timeout.json" 2>/dev/null)
    outcome=$(jq -r .outcome "$OUT/timeout.json" 2>/dev/null)
    if [ "$rc" = 124 ] && [ "$outcome" = timeout ] && [ "${ms:-99999}" -lt 10000 ]; then
        pass
    else
        fail "$1: status $rc, outcome ${outcome:-?} after ${ms:-?} ms, want 124, timeout, < 10 s"
    fi
}
wat loop '(module (func (export "_start") (loop (br 0))))'
run_tier native --timeout 1s --report "$OUT/timeout.json" "$OUT/loop.wasm"
timed_out "timeout: infinite loop"
run_tier native --fuel 1000000 "$OUT/loop.wasm"
if [ "$rc" = 121 ] && grep -q "fuel exhausted" "$OUT/native.err"; then pass; else
    fail "fuel: infinite loop: status $rc, want 121 ($(head -c 200 "$OUT/native.err"))"; fi
wat count '(module (func (export "_start") (local i32)
  (loop (br_if 0 (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 1000))))))'
run_tier native --fuel 100000 --report "$OUT/count.json" "$OUT/count.wasm"
used=$(jq -r .fuel_used "$OUT/count.json" 2>/dev/null)
if [ "$rc" = 0 ] && [ "${used:-0}" -ge 1000 ] && [ "${used:-0}" -le 20000 ]; then pass; else
    fail "fuel: a bounded loop: status $rc, fuel_used ${used:-?} (want 0, 1000..20000)"; fi
wat recurse '(module (func $down (param i32) (result i32)
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "_start") (drop (call $down (i32.const 0)))))'
same "deep recursion" 134 "$OUT/recurse.wasm"
if grep -q "call stack exhausted" "$OUT/native.err"; then pass; else
    fail "deep recursion: no 'call stack exhausted' in: $(head -c 200 "$OUT/native.err")"; fi
same "--max-stack 50" 134 --max-stack 50 "$OUT/recurse.wasm"
wat depth '(module (func $down (param i32)
    (if (local.get 0) (then (call $down (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "_start") (call $down (i32.const 45))))'
same "--max-stack 50, 46 frames" 0 --max-stack 50 "$OUT/depth.wasm"
# the default limit (10000 calls) is reached before the native stack's
sed 's/i32.const 45/i32.const 9990/' "$OUT/depth.wat" >"$OUT/deep.wat"
wat2wasm --debug-names "$OUT/deep.wat" -o "$OUT/deep.wasm"
same "9991 frames" 0 "$OUT/deep.wasm"

# Frame records are rebuilt from the machine stack (native_frames.c): a
# trap's backtrace through inline call_indirects, after deeper calls have
# returned, from a guard-page fault and from a trap in a helper
# (memory.fill), 1 and 30 frames down.
walk_case() {   # name depth last-call
    wat "walk_$1" "(module (memory 1)
  (type \$i (func (param i32) (result i32)))
  (table 2 funcref) (elem (i32.const 0) \$leaf \$down)
  (func \$leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func \$oob (param i32) (result i32) (i32.load (i32.add (local.get 0) (i32.const 70000))))
  (func \$fill (param i32) (result i32)
    (memory.fill (i32.const 65000) (i32.const 0) (local.get 0)) (i32.const 0))
  (func \$down (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call_indirect (type \$i) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1)))
      (else (drop (call_indirect (type \$i) (i32.const 5) (i32.const 0)))
            (call $3 (i32.const 1000)))))
  (func \$entry (param i32) (result i32) (call \$down (local.get 0)))
  (func (export \"_start\") (drop (call \$entry (i32.const $2)))))" || {
        fail "walk $1: wat2wasm: $(head -c 200 "$OUT/walk_$1.log")"; return; }
    same "backtrace: $1" 134 "$OUT/walk_$1.wasm"
}
walk_case fault1 1 '$oob'
walk_case fault30 30 '$oob'
walk_case helper1 1 '$fill'
walk_case helper30 30 '$fill'
if grep -q '#11 down (func 3)' "$OUT/native.err"; then pass; else
    fail "backtrace: 12 frames shown: $(head -c 300 "$OUT/native.err")"; fi

# ---- programs -----------------------------------------------------------------
for p in mix sleep; do
    if ! "${CC[@]}" -o "$OUT/$p.wasm" "$ROOT/tests/native/$p.c" -lm 2>"$OUT/$p.log"; then
        fail "$p: does not compile: $(head -3 "$OUT/$p.log" | tr '\n' ' ')"
    fi
done
same "program mix.c" 0 "$OUT/mix.wasm"
if cmp -s "$OUT/native.out" "$ROOT/tests/native/mix.expected"; then pass; else
    fail "program mix.c: output differs from tests/native/mix.expected: $(diff "$ROOT/tests/native/mix.expected" "$OUT/native.out" | head -4 | tr '\n' ' ')"; fi
run_tier native --timeout 1s --report "$OUT/timeout.json" "$OUT/sleep.wasm"
timed_out "timeout: blocked in a host call"
# The WASI and escape suites, every `wasmbox run` in the native tier (a few minutes:
# each run compiles its module; NATIVE_WASI=0 leaves it out, counted as
# one skip).
# Under ASan, LLVM allocates through the sanitizer's allocator and
# compiles several times slower: past the WASI suite's 30 s per case on a
# loaded machine. The normal build runs it; ASan runs mix.c and sleep.c.
if nm "$WB" 2>/dev/null | grep -q __asan_init; then
    NATIVE_WASI=${NATIVE_WASI:-0}
fi
if [ "${NATIVE_WASI:-1}" = 0 ]; then
    skip "the WASI suite in the native tier (NATIVE_WASI=0; the default in ASan builds)"
else
printf '#!/bin/sh\nif [ "$1" = run ]; then shift; exec "%s" run --tier native "$@"; fi\nexec "%s" "$@"\n' \
    "$WB" "$WB" >"$OUT/wasmbox-native"
chmod +x "$OUT/wasmbox-native"
while IFS= read -r line; do
    add_counts "$line" || { [[ $line == FAIL* ]] && echo "wasi (native): $line"; }
done < <(FSDIFF_SEEDS=4 bash "$ROOT/tests/wasi/run.sh" "$OUT/wasmbox-native" 2>&1)
# The escape suite too, its modules compiled first (its bounds on wall
# time are for the runs).
while IFS= read -r line; do
    add_counts "$line" || { [[ $line == FAIL* ]] && echo "escape (native): $line"; }
done < <(ESCAPE_PRECOMPILE=1 bash "$ROOT/tests/escape/run.sh" "$OUT/wasmbox-native" 2>&1)
fi

# ---- compile time -------------------------------------------------------------
# A function of 16 KiB or more is optimised with O1 instead of O2, and
# X86 domain reassignment is off: both cost minutes on big interpreter
# loops (docs/native-tier.md, "Compile time"). WB_NT_PROFILE reports
# both. The synthetic interpreter loop below (about 40 KB of Wasm: a
# br_table over 300 cases of loads, stores, a branch and a small loop)
# compiles in about 2 s of CPU time; the bound is 30 times that, so that a
# loaded machine does not fail it, only a super-linear pass coming back.
big_loop() {
    local i
    printf '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 (memory 1) (data (i32.const 0) "\\05\\11\\2a\\63\\07\\c8\\01\\ff\\80\\21\\00")
 (func $interp (param $pc i32) (result i32)
  (local $acc i32) (local $sp i32) (local $op i32) (local $t i32) (local $x i64) (local $f f64)
  (local.set $sp (i32.const 4096))
  (loop $next
   (local.set $op (i32.load8_u (local.get $pc)))
   (local.set $pc (i32.add (local.get $pc) (i32.const 1)))\n'
    for ((i = 300; i >= 0; i--)); do printf '(block $c%d ' "$i"; done
    printf '(br_table'
    for ((i = 0; i <= 300; i++)); do printf ' $c%d' "$i"; done
    printf ' (local.get $op)))\n'
    for ((i = 0; i < 300; i++)); do
        printf '(local.set $t (i32.load offset=%d (local.get $sp)))
 (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const %d)) (local.get $t)))
 (i32.store offset=0 (local.get $sp) (i32.add (local.get $t) (i32.const %d)))
 (i32.store offset=4 (local.get $sp) (i32.xor (local.get $acc) (i32.const %d)))
 (i32.store offset=8 (local.get $sp) (i32.sub (local.get $t) (local.get $acc)))
 (i64.store offset=16 (local.get $sp) (i64.add (i64.load offset=24 (local.get $sp)) (i64.extend_i32_u (local.get $acc))))
 (local.set $f (f64.add (local.get $f) (f64.convert_i32_s (local.get $t))))
 (if (i32.and (local.get $acc) (i32.const %d))
   (then (local.set $sp (i32.add (local.get $sp) (i32.const 4))))
   (else (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))))
 (local.set $t (i32.and (local.get $t) (i32.const 255)))
 (loop $l (local.set $t (i32.sub (local.get $t) (i32.const 1)))
   (br_if $l (i32.gt_s (local.get $t) (i32.const %d))))
 (br_if $next (i32.ne (local.get $op) (i32.const 0)))
 (return (i32.add (local.get $acc) (i32.trunc_sat_f64_s (local.get $f)))))\n' \
            $((i % 16 * 4)) $((i * 7 + 3)) "$i" $((i * 7 + 3)) $((1 << (i % 8))) $((i % 5))
    done
    printf ' ) (i32.const -1))
 (func (export "_start") (call $exit (i32.and (call $interp (i32.const 0)) (i32.const 127)))))\n'
}
if ! wat big "$(big_loop)"; then
    fail "compile time: wat2wasm: $(head -c 200 "$OUT/big.log")"
else
    cpu=$(TIMEFORMAT='%3U %3S'
          { time WB_NT_PROFILE=1 "$WB" compile -o "$OUT/big.wbn" "$OUT/big.wasm" \
                >/dev/null 2>"$OUT/big.err"; } 2>&1)
    cpu=$(awk '{ printf "%d", $1 + $2 }' <<<"$cpu")
    if ! grep -q 'LLVM options:.* -disable-x86-domain-reassignment' "$OUT/big.err" ||
       ! grep -q '\[big: O1\]' "$OUT/big.err"; then
        fail "compile time: the profile shows no O1 unit or no option: $(head -c 400 "$OUT/big.err" | tr '\n' ' ')"
    elif [ "$cpu" -gt 60 ]; then
        fail "compile time: a 40 KB function took $cpu s of CPU time (bound 60 s)"
    else
        pass
    fi
    run_tier interp "$OUT/big.wasm"
    same "a big function (O1)" "$rc" "$OUT/big.wasm"
fi

# Many small functions: the pipelines (src/native/passes.c) have no
# inliner, which here only copied each small function into its own entry
# wrapper after pricing every call site. The profile's code size is about
# 185 bytes per function (its entry wrapper and _start's share included)
# without it, about 300 with default<O2>'s inliner; the bound, 240, sits
# between. Both tiers agree on the result.
small_funcs() {
    local i
    printf '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))\n'
    for ((i = 0; i < 200; i++)); do
        printf ' (func $s%d (param i32) (result i32)
  (i32.add (i32.mul (local.get 0) (i32.const %d)) (i32.const %d)))\n' "$i" $((i * 2 + 3)) "$i"
    done
    printf ' (func (export "_start") (local i32)\n'
    for ((i = 0; i < 200; i++)); do
        printf '  (local.set 0 (call $s%d (local.get 0)))\n' "$i"
    done
    printf '  (call $exit (i32.and (local.get 0) (i32.const 127)))))\n'
}
if ! wat small "$(small_funcs)"; then
    fail "small functions: wat2wasm: $(head -c 200 "$OUT/small.log")"
else
    WB_NT_PROFILE=1 "$WB" compile -o "$OUT/small.wbn" "$OUT/small.wasm" \
        >/dev/null 2>"$OUT/small.err"
    code=$(sed -n 's/.*; code \([0-9]*\) bytes;.*/\1/p' "$OUT/small.err")
    if [ -z "$code" ] || [ "$code" -gt $((200 * 240)) ]; then
        fail "small functions: ${code:-no} bytes of code for 200 functions (bound 48000): $(head -c 300 "$OUT/small.err" | tr '\n' ' ')"
    else
        pass
    fi
    x=0
    for ((i = 0; i < 200; i++)); do x=$(( (x * (2 * i + 3) + i) & 0xffffffff )); done
    same "small functions" $((x & 127)) "$OUT/small.wasm"
fi

# ---- refusal ------------------------------------------------------------------
# Without its plugin the tier refuses to run the module (one line, 126):
# the interpreter is never used in its place.
mkdir -p "$OUT/alone"
cp "$WB" "$OUT/alone/wasmbox"
XDG_CACHE_HOME=$OUT/alone/no-cache "$OUT/alone/wasmbox" run --tier native "$OUT/mix.wasm" >"$OUT/alone.out" 2>"$OUT/alone.err"
rc=$?
if [ "$rc" = 126 ] && [ "$(wc -l <"$OUT/alone.err")" = 1 ] && [ ! -s "$OUT/alone.out" ] &&
   grep -q "native tier unavailable" "$OUT/alone.err"; then pass; else
    fail "refusal: no plugin: status $rc, want 126 and one line: $(head -c 300 "$OUT/alone.err")"; fi
wat simd '(module (func (export "_start") (drop (i32x4.splat (i32.const 1)))))'
same "SIMD" 0 "$OUT/simd.wasm"

# ---- the C API ------------------------------------------------------------------
# wb_module_compile_native with libwasmbox.so of the same build (which
# finds the plugin beside itself).
SO=$(dirname "$WB")/libwasmbox.so
SANFLAGS=()
nm -D "$SO" 2>/dev/null | grep -q __asan_ && SANFLAGS=(-fsanitize=address,undefined)
wat api '(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $crash (export "crash") (param i32) (result i32)
    (i32.div_u (local.get 0) (i32.const 0))))'
if ! cc -std=c11 -I"$ROOT/include" -o "$OUT/api_native" "$ROOT/tests/native/api_native.c" \
        -L"$(dirname "$SO")" -lwasmbox -Wl,-rpath,"$(dirname "$SO")" "${SANFLAGS[@]}" \
        2>"$OUT/api_native.log"; then
    fail "c-api: does not build: $(head -3 "$OUT/api_native.log" | tr '\n' ' ')"
elif out=$(timeout 60 "$OUT/api_native" "$OUT/api.wasm" 2>&1) && [ "$out" = ok ]; then
    pass
else
    fail "c-api: $out"
fi

# ---- group ----------------------------------------------------------------------
# compiled code refills its fuel from a group before trapping (group.c);
# the program runs from beside the plugin, where the engine looks for it
wat group '(module
  (func (export "spin") (loop (br 0)))
  (func $down (param i32)
    (if (local.get 0) (then (call $down (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "rec") (loop (call $down (i32.const 100)) (br 0))))'
GROUP_BIN=$(dirname "$WB")/.group_native.$$
GROUP_FLAGS=("${SANFLAGS[@]}")
[ ${#SANFLAGS[@]} -gt 0 ] && GROUP_FLAGS+=(-DWB_BOUNDS_CHECKS=1)
if [ -f "$(dirname "$WB")/libwasmbox.a" ]; then
    if ! cc -std=c11 -D_GNU_SOURCE "${GROUP_FLAGS[@]}" -I"$ROOT/include" -I"$ROOT/src" -I"$ROOT/src/engine" \
            -o "$GROUP_BIN" "$ROOT/tests/native/group_native.c" "$(dirname "$WB")/libwasmbox.a" \
            -lm -lpthread -lyaml -ljansson -lseccomp -lxxhash -ldl 2>"$OUT/group_native.log"; then
        fail "group: does not build: $(head -3 "$OUT/group_native.log" | tr '\n' ' ')"
    elif out=$(timeout 120 "$GROUP_BIN" "$OUT/group.wasm" 2>&1) && [ "$out" = ok ]; then
        pass
    else
        fail "group: $out"
    fi
    rm -f "$GROUP_BIN"
fi

# ---- start-up -------------------------------------------------------------------
# (a cache hit does not load it either: tests/cli/cache.sh)
n=$(LD_DEBUG=files "$WB" run --no-os-sandbox --tier interp "$OUT/probe.wasm" 2>&1 | grep -c "libLLVM")
if [ "$n" = 0 ]; then pass; else fail "start-up: the interpreter loaded libLLVM ($n lines)"; fi
rm -rf "$OUT/startup-cache"
n=$(XDG_CACHE_HOME=$OUT/startup-cache LD_DEBUG=files "$WB" run --no-os-sandbox \
    "$OUT/probe.wasm" 2>&1 | grep -c "libLLVM")
if [ "$n" = 0 ]; then pass; else fail "start-up: --tier auto, nothing cached, loaded libLLVM ($n lines)"; fi
n=$(XDG_CACHE_HOME=$OUT/startup-cache LD_DEBUG=files "$WB" run --no-os-sandbox \
    --tier native "$OUT/probe.wasm" 2>&1 | grep -c "libLLVM")
if [ "$n" != 0 ]; then pass; else fail "start-up: --tier native, nothing cached, did not load libLLVM"; fi
summary
