#!/bin/bash
# scripts/guests/native.sh: the guest runtimes' machine code into the
# native code cache (`make guests-native`; docs/native-tier.md, "Guests"),
# so that `wasmbox python|js|lua|sqlite3`, sessions, `wasmbox mcp` and
# `wasmbox serve` (tier cached, their default) run them natively from
# their first use.
#
#   scripts/guests/native.sh WASMBOX GUESTS_DIR [SECONDS]
#
# Each image (python first: it gains the most) is compiled with `wasmbox
# compile --if-missing` into $XDG_CACHE_HOME/wasmbox/native (default
# ~/.cache/wasmbox/native), at nice 10. An image whose code is cached
# already is not compiled again; the cache key holds the wasmbox build
# (WB_NATIVE_BUILD, a hash of the sources compiled code depends on), the
# LLVM version and the CPU, so a build that changes any of them compiles
# afresh. Bounded in time: SECONDS (default 1800, $GUESTS_NATIVE_SECONDS)
# for all images together; an image cut off by it, or one whose image is
# missing, keeps running in the interpreter (one line says so). python.wasm
# takes about 3 minutes of CPU (up to 15 of wall time on a loaded 2-core
# machine) and 1.2 GB; the others less.
# Exit status: 0 (also when out of time, or without the native tier in
# this build), 1 when the compiler failed on an image.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 WASMBOX GUESTS_DIR [SECONDS]" >&2
    exit 2
fi
wasmbox=$1 dir=$2 budget=${3:-${GUESTS_NATIVE_SECONDS:-1800}}
if [ ! -e "$(dirname "$wasmbox")/libwasmbox-native.so" ]; then
    echo "guests-native: this build has no native tier (llvm-19-dev); the" \
         "runtimes run in the interpreter"
    exit 0
fi
end=$((SECONDS + budget)) rc=0
# shell/dash.wasm is left out: it imports wasmbox_proc.fork, so it always
# runs in the interpreter (docs/processes.md); busybox.wasm does not.
for img in python/python.wasm js/qjs.wasm lua/lua.wasm sqlite/sqlite3.wasm \
           shell/busybox.wasm; do
    if [ ! -f "$dir/$img" ]; then
        echo "guests-native: $img: no such image in $dir"
        continue
    fi
    left=$((end - SECONDS))
    if [ "$left" -le 0 ]; then
        echo "guests-native: $img: out of time (${budget}s); it runs in" \
             "the interpreter"
        continue
    fi
    t0=$SECONDS
    out=$(nice -n 10 timeout "$left" "$wasmbox" compile --if-missing \
              "$dir/$img" 2>&1)
    st=$?
    if [ $st = 0 ]; then
        echo "guests-native: $img: ${out##*/} ($((SECONDS - t0)) s)"
    elif [ $st = 124 ]; then
        echo "guests-native: $img: out of time (${budget}s) after" \
             "$((SECONDS - t0)) s; it runs in the interpreter"
    else
        echo "guests-native: $img: not compiled (exit status $st): $out"
        rc=1
    fi
done
exit $rc
