#!/bin/bash
# snapshot.sh: `wasmbox invoke --save-snapshot/--from-snapshot`: state
# carries over from one process to the next (globals, memory, a table),
# and a snapshot of another module, a truncated, a bit-flipped or a
# missing file is refused with one line and status 1 (3 when missing).
# Usage: WB_BUILD=$PWD/build bash tests/cli/snapshot.sh
. "$(dirname "$0")/common.bash"

cat >"$TMP/count.wat" <<'WAT'
(module
  (type $t (func (result i32)))
  (memory 1 2000)
  (table $tb 2 funcref)
  (global $n (mut i32) (i32.const 0))
  (func $seven (type $t) (i32.const 7))
  (elem declare func $seven)
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024))
                                         (i32.const 10)))
    (if (i32.eq (global.get $n) (i32.const 2))
      (then (drop (memory.grow (i32.const 1599)))
            (i32.store (i32.const 104857596) (i32.const 5))
            (table.set $tb (i32.const 1) (ref.func $seven))))
    (global.get $n))
  (func (export "get") (result i32)
    (i32.add (i32.add (global.get $n) (i32.load (i32.const 1024)))
             (i32.add (i32.load (i32.const 104857596))
                      (call_indirect (type $t) (i32.const 1))))))
WAT
cat >"$TMP/other.wat" <<'WAT'
(module (memory 1) (func (export "get") (result i32) (i32.const 0)))
WAT
if ! command -v wat2wasm >/dev/null; then
    skip "snapshots: wat2wasm (wabt) is missing"
    summary
    exit
fi
if ! wat2wasm "$TMP/count.wat" -o "$TMP/count.wasm" ||
   ! wat2wasm "$TMP/other.wat" -o "$TMP/other.wasm"; then
    fail "snapshots: the test modules do not assemble"
    summary
    exit
fi
S1=$TMP/s1.snap S2=$TMP/s2.snap

wb invoke --save-snapshot "$S1" "$TMP/count.wasm" bump
expect "bump, save" 0
expect_out "first bump" 1
wb invoke --from-snapshot "$S1" --save-snapshot "$S2" "$TMP/count.wasm" bump
expect "restore, bump, save" 0
expect_out "second bump continues from the snapshot" 2
wb invoke --from-snapshot "$S2" "$TMP/count.wasm" get
expect "restore the 100 MiB memory" 0
# 2 bumps + 20 in memory + 5 at the end of the grown memory + 7 by table
expect_out "globals, memory and table restored" 34
size=$(stat -c %s "$S2" 2>/dev/null || echo 0)
disk=$(( $(stat -c '%b * %B' "$S2" 2>/dev/null || echo 0) ))
if [ "$size" -gt 100000000 ] && [ "$disk" -lt 1000000 ]; then
    pass "zero pages are holes ($size bytes, $disk on disk)"
else
    fail "zero pages are holes: $size bytes, $disk on disk"
fi
wb invoke --from-snapshot "$S1" "$TMP/count.wasm" get
expect "the first snapshot is unchanged" 7
[ "$status" = 7 ] && case $err in *"out of bounds"*) ;; *)
    fail "first snapshot: $err" ;; esac

wb invoke --from-snapshot "$S1" "$TMP/other.wasm" get
expect "another module" 1
case $err in *"made from another module"*) pass "another module: says so" ;;
             *) fail "another module: $err" ;; esac
head -c 200000 "$S2" >"$TMP/cut.snap"
wb invoke --from-snapshot "$TMP/cut.snap" "$TMP/count.wasm" get
expect "truncated" 1
case $err in *truncated*) pass "truncated: says so" ;; *) fail "truncated: $err" ;; esac
cp "$S1" "$TMP/flip.snap"
printf '\x55' | dd of="$TMP/flip.snap" bs=1 seek=70000 conv=notrunc status=none
wb invoke --from-snapshot "$TMP/flip.snap" "$TMP/count.wasm" get
expect "bit flip" 1
case $err in *damaged*) pass "bit flip: says damaged" ;; *) fail "bit flip: $err" ;; esac
wb invoke --from-snapshot "$TMP/none.snap" "$TMP/count.wasm" get
expect "missing snapshot" 3
wb invoke --from-snapshot "$TMP/count.wasm" "$TMP/count.wasm" get
expect "a module is no snapshot" 1
case $err in *"not a wasmbox snapshot"*) pass "not a snapshot: says so" ;;
             *) fail "not a snapshot: $err" ;; esac
wb invoke --save-snapshot /nonexistent/dir/x.snap "$TMP/count.wasm" bump
expect "unwritable snapshot path" 3
summary
