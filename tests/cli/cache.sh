#!/bin/bash
# cache.sh: the native tier's code cache and `wasmbox compile`
# (docs/native-tier.md), in a cache of its own ($XDG_CACHE_HOME in $TMP).
#
#   compile     compile -o FILE, then run --native-code FILE: same output,
#               report tier "native"; compile into the cache, then
#               --tier native and --tier auto run it without loading
#               libLLVM (LD_DEBUG=files)
#   auto        the first run of a new module interprets and compiles in
#               the background; a later run is native
#   refusals    a corrupted, truncated, foreign-version, foreign-LLVM,
#               foreign-CPU or foreign-module file, a group-writable file,
#               a world- or group-writable cache directory: each refused
#               with one line, the run goes on in the interpreter (the
#               right output, status 0); --tier native compiles again;
#               a file that loaded once (stamped, so later loads skip its
#               checksum) and was then damaged in place is refused too
#   traps       timeout, fuel and stack exhaustion from cached code end
#               as they do with code compiled for the run
#   eviction    over WASMBOX_NATIVE_CACHE_MAX, storing a file removes the
#               least recently used others (a run from the cache counts as
#               a use), never the file just stored, by `wasmbox compile`
#               and by `run --tier native`
# Without the plugin (no llvm-19-dev) every case skips.
# Usage: WB_BUILD=$PWD/build bash tests/cli/cache.sh
. "$(dirname "$0")/common.bash"
export XDG_CACHE_HOME=$TMP/xdg
unset WASMBOX_BACKGROUND_COMPILE
mkdir -m 700 "$XDG_CACHE_HOME"
CACHE=$XDG_CACHE_HOME/wasmbox/native

if ! command -v wat2wasm >/dev/null || ! command -v jq >/dev/null; then
    skip "code cache: wat2wasm or jq is missing"
    summary
    exit
fi
# hello: writes "hello\n" with fd_write; $1 makes the module's bytes differ
hello() {   # name tag
    cat >"$TMP/$1.wat" <<WAT
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func \$w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\\n")
  (func \$tag (result i32) (i32.const $2))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call \$w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
    wat2wasm "$TMP/$1.wat" -o "$TMP/$1.wasm"
}
hello a 1 && hello b 2 && hello c 3 || { fail "the test modules do not assemble"; summary; exit; }

wb compile -o "$TMP/a.wbn" "$TMP/a.wasm"
if [ "$status" != 0 ]; then
    skip "code cache: the native tier is unavailable: $(head -c 200 "$TMP/err")"
    summary
    exit
fi
pass "compile -o FILE"
tier() { jq -r .tier "$TMP/report.json" 2>/dev/null; }

# A run of $2 that must print hello and end with status 0 in tier $1,
# with stderr lines matching $3 (empty: none).
run_as() {   # desc tier module [stderr-regex] [run options...]
    local desc=$1 want=$2 mod=$3 re=${4:-}
    shift 4
    wb run --report "$TMP/report.json" "$@" "$mod"
    local lines
    lines=$(wc -l <"$TMP/err")
    if [ "$status" != 0 ] || [ "$out" != hello ]; then
        fail "$desc: status $status, stdout '$out': $(head -c 300 "$TMP/err")"
    elif [ "$(tier)" != "$want" ]; then
        fail "$desc: ran in tier '$(tier)', want $want"
    elif [ -z "$re" ] && [ "$lines" != 0 ]; then
        fail "$desc: unexpected stderr: $(head -c 300 "$TMP/err")"
    elif [ -n "$re" ] && { [ "$lines" != 1 ] || ! grep -Eq "^wasmbox: .*$re" "$TMP/err"; }; then
        fail "$desc: stderr is not one line matching '$re': $(head -c 300 "$TMP/err")"
    else
        pass "$desc"
    fi
}

# ---- compile ------------------------------------------------------------------
export WASMBOX_BACKGROUND_COMPILE=0
run_as "--native-code FILE" native "$TMP/a.wasm" "" --native-code "$TMP/a.wbn"
run_as "--tier interp" interp "$TMP/a.wasm" "" --tier interp
wb compile "$TMP/a.wasm"
FILE_A=$out
if [ "$status" = 0 ] && [[ $FILE_A == "$CACHE"/*.wbn ]] && [ -f "$FILE_A" ]; then
    pass "compile into the cache"
else
    fail "compile into the cache: status $status, '$out' $(head -c 200 "$TMP/err")"
fi
run_as "--tier native from the cache" native "$TMP/a.wasm" "" --tier native
run_as "--tier auto from the cache" native "$TMP/a.wasm" ""
for t in native auto; do
    LD_DEBUG=files "$WASMBOX" run --tier $t "$TMP/a.wasm" >/dev/null 2>"$TMP/ld"
    if grep -q "libLLVM\|libwasmbox-native" "$TMP/ld"; then
        fail "--tier $t from the cache loads LLVM: $(grep -m1 LLVM "$TMP/ld")"
    elif ! grep -q "file=" "$TMP/ld"; then
        skip "--tier $t without LLVM: LD_DEBUG says nothing here"
    else
        pass "--tier $t from the cache does not load LLVM"
    fi
done
perm=$(stat -c %a "$CACHE" "$XDG_CACHE_HOME/wasmbox" "$FILE_A" | tr '\n' ' ')
if [ "$perm" = "700 700 600 " ]; then pass "cache modes (directories 700, files 600)"
else fail "cache modes: $perm, want 700 700 600"; fi

# ---- auto: interpret now, native later ------------------------------------------
unset WASMBOX_BACKGROUND_COMPILE
run_as "auto, first run: the interpreter" interp "$TMP/b.wasm" ""
for _ in $(seq 600); do
    ls "$CACHE"/*.wbn 2>/dev/null | grep -vqx "$FILE_A" && break
    sleep 0.2
done
run_as "auto, a later run: native code compiled in the background" native "$TMP/b.wasm" ""
FILE_B=$(ls "$CACHE"/*.wbn | grep -vx "$FILE_A" | head -1)
export WASMBOX_BACKGROUND_COMPILE=0

# ---- refusals -----------------------------------------------------------------------
# forge FILE OFFSET TEXT: writes TEXT at OFFSET and fixes the header's
# checksum, so that the check behind it is the one that refuses.
cat >"$TMP/forge.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "r+b");
    unsigned char h[160];
    if (!f || fread(h, 1, 160, f) != 160) return 1;
    size_t n = strlen(argv[3]);
    memcpy(h + atoi(argv[2]), argv[3], n + (n < 8));
    unsigned long long x = XXH3_64bits(h, 152);
    for (int i = 0; i < 8; i++) h[152 + i] = (unsigned char)(x >> 8 * i);
    rewind(f);
    return fwrite(h, 1, 160, f) != 160 || fclose(f) != 0;
}
C
cc -O1 "$TMP/forge.c" -o "$TMP/forge" -lxxhash || fail "forge does not build"
GOOD=$TMP/good.wbn
cp "$FILE_A" "$GOOD"
restore() { cp "$GOOD" "$FILE_A"; chmod 600 "$FILE_A"; }
refused() {   # desc regex
    run_as "refused: $1" interp "$TMP/a.wasm" "native code refused: .*$2.*; running in the interpreter"
    restore
}
size=$(stat -c %s "$GOOD")
code=$((65536 + 8))    # the code starts 64 KiB into the file (format 2)
printf '\x55' | dd of="$FILE_A" bs=1 seek=$code conv=notrunc status=none
refused "a flipped byte in the code" "checksum differs"
# a load that passed stamps the file (native_stamp.c) and later loads
# skip the checksum; a write in place changes the file's ctime, which
# touch cannot put back, so the damaged file is checked whole again
run_as "a stamped file runs native" native "$TMP/a.wasm" ""
printf '\x55' | dd of="$FILE_A" bs=1 seek=$code conv=notrunc status=none
touch -r "$GOOD" "$FILE_A"
refused "a flipped byte in the code of a stamped file" "checksum differs"
printf '\x55' | dd of="$FILE_A" bs=1 seek=100 conv=notrunc status=none
refused "a flipped byte in the header" "header's checksum"
truncate -s $((size - 9)) "$FILE_A"
refused "truncated" "sizes do not add up"
truncate -s 100 "$FILE_A"
refused "truncated in the header" "not a wasmbox native code file"
"$TMP/forge" "$FILE_A" 24 "0.0.9"
refused "another wasmbox version" "another version of wasmbox \(0.0.9"
"$TMP/forge" "$FILE_A" 40 "18.1.0"
refused "another LLVM" "LLVM 18.1.0"
"$TMP/forge" "$FILE_A" 64 "otherCPU"
refused "another CPU" "another CPU"
"$TMP/forge" "$FILE_A" 104 "zzzzzzzz"
refused "sizes out of range" "sizes do not add up"
cp "$FILE_B" "$FILE_A"
refused "another module's code under this module's name" "another module"
chmod 620 "$FILE_A"
refused "a group-writable file" "writable by another user"
chmod 777 "$CACHE"
refused "a world-writable cache directory" "writable by other users"
chmod 700 "$CACHE"
chmod 770 "$XDG_CACHE_HOME/wasmbox"
refused "a group-writable wasmbox directory" "writable by other users"
chmod 700 "$XDG_CACHE_HOME/wasmbox"
wb run --native-code "$FILE_B" "$TMP/a.wasm"
if [ "$status" = 0 ] && [ "$out" = hello ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
   grep -q "another module" "$TMP/err"; then pass "refused: --native-code of another module"
else fail "refused: --native-code of another module: status $status: $(head -c 300 "$TMP/err")"; fi
printf '\x55' | dd of="$FILE_A" bs=1 seek=$code conv=notrunc status=none
run_as "--tier native: a corrupted file is compiled again" native "$TMP/a.wasm" \
    "native code refused: .*compiling the module again" --tier native
run_as "... and replaced in the cache" native "$TMP/a.wasm" "" --tier native

# ---- traps from cached code ---------------------------------------------------------
# The same outcome, status and message from code loaded from the cache as
# from code compiled for the run (an empty cache of its own).
trap_same() {   # desc want module options...
    local desc=$1 want=$2 mod=$3 fresh
    shift 3
    XDG_CACHE_HOME=$TMP/fresh-$RANDOM wb run --tier native "$@" "$mod"
    fresh="$status $(head -1 "$TMP/err")"
    wb compile "$mod" && wb run --tier auto --report "$TMP/report.json" "$@" "$mod"
    if [ "$status" != "$want" ] || [ "$status $(head -1 "$TMP/err")" != "$fresh" ]; then
        fail "$desc: from the cache '$status $(head -1 "$TMP/err")', fresh '$fresh', want $want"
    elif [ "$(tier)" != native ]; then
        fail "$desc: ran in tier '$(tier)'"
    else
        pass "$desc: status $want from cached code"
    fi
}
cat >"$TMP/loop.wat" <<'WAT'
(module (func (export "_start") (loop (br 0))))
WAT
cat >"$TMP/recurse.wat" <<'WAT'
(module (func $down (param i32) (result i32)
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "_start") (drop (call $down (i32.const 0)))))
WAT
wat2wasm "$TMP/loop.wat" -o "$TMP/loop.wasm" && wat2wasm "$TMP/recurse.wat" -o "$TMP/recurse.wasm"
sed -i 's/(loop (br 0))/(loop (br 0)) (nop)/' "$TMP/loop.wat"
wat2wasm "$TMP/loop.wat" -o "$TMP/loop2.wasm"
trap_same "timeout" 124 "$TMP/loop.wasm" --timeout 1s
trap_same "fuel" 121 "$TMP/loop2.wasm" --fuel 100000
trap_same "call stack exhausted" 134 "$TMP/recurse.wasm"
trap_same "--max-stack 50" 134 "$TMP/recurse.wasm" --max-stack 50

# ---- eviction -------------------------------------------------------------------
export XDG_CACHE_HOME=$TMP/xdg-evict
mkdir -m 700 "$XDG_CACHE_HOME"
CACHE=$XDG_CACHE_HOME/wasmbox/native
wb compile "$TMP/a.wasm"; EA=$out
sleep 0.05
wb compile "$TMP/b.wasm"; EB=$out
sleep 0.05
run_as "eviction: a run from the cache" native "$TMP/a.wasm" "" --tier native
sleep 0.05
# room for two files: storing c removes b (a was used after b was written)
WASMBOX_NATIVE_CACHE_MAX=$(( $(stat -c %s "$EA") * 2 + 100 )) wb compile "$TMP/c.wasm"; EC=$out
if [ -f "$EA" ] && [ ! -e "$EB" ] && [ ! -e "$EB.used" ] && [ -f "$EC" ]; then
    pass "eviction: the least recently used file goes"
else
    fail "eviction: left $(ls "$CACHE" | tr '\n' ' ')"
fi
WASMBOX_NATIVE_CACHE_MAX=1 wb run --tier native "$TMP/b.wasm"
if [ "$status" = 0 ] && [ -f "$EB" ] && [ ! -e "$EA" ] && [ ! -e "$EC" ]; then
    pass "eviction: run --tier native keeps the file it stored, over the cap"
else
    fail "eviction: status $status, left $(ls "$CACHE" | tr '\n' ' ')"
fi
WASMBOX_NATIVE_CACHE_MAX=0 wb compile "$TMP/a.wasm"
if [ -f "$EA" ] && [ -f "$EB" ]; then pass "eviction: 0 means no cap"
else fail "eviction: cap 0 left $(ls "$CACHE" | tr '\n' ' ')"; fi
summary
