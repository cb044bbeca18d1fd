#!/usr/bin/env bash
# tests/wasi/fsdiff.sh WASMBOX [SEEDS [OPS [FIRST]]]: the differential test
# of tmpfs against the kernel. For each seed, tests/wasi/fsdiff.c runs the
# same random sequence of OPS calls on a --tmpfs grant and on --dir grants
# of fresh host directories (openat2 and the fallback walk); the
# transcripts must be identical (what they leave out by design is listed
# in fsdiff.c). `make check` runs a short run through tests/wasi/run.sh;
# `make fuzz-fs` a long one. One line per failing seed (with the first
# difference), then "N passed, N failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
SEEDS=${2:-20}
OPS=${3:-300}
FIRST=${4:-1}
OUT=$ROOT/build/wasi
WASM=$OUT/fsdiff.wasm
mkdir -p "$OUT"
if [ ! -f "$WASM" ] || [ "$ROOT/tests/wasi/fsdiff.c" -nt "$WASM" ]; then
    clang-14 --target=wasm32-wasi --sysroot=/usr -O1 -o "$WASM" \
        "$ROOT/tests/wasi/fsdiff.c" 2>"$OUT/fsdiff.log" || {
        fail "fsdiff: does not compile: $(head -3 "$OUT/fsdiff.log" | tr '\n' ' ')"
        summary
        exit
    }
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wbfsdiff.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Hole-charging lets a few writes at 1 MiB cost their offset: room for it.
LIMITS=(--max-disk 4G --timeout 60s)

run() {   # name wasmbox-run-args...: transcript in $T/name.out
    local name=$1
    shift
    "$WB" run "${LIMITS[@]}" "$@" "$WASM" "$seed" "$OPS" >"$T/$name.out" 2>"$T/$name.err"
    echo "exit $?" >>"$T/$name.out"
}

for ((seed = FIRST; seed < FIRST + SEEDS; seed++)); do
    run tmpfs --tmpfs /d:256M
    why=""
    for mode in openat2 walk; do
        extra=()
        [ $mode = walk ] && extra=(--x-resolve-walk)
        rm -rf "$T/host" && mkdir "$T/host"
        run "$mode" "${extra[@]}" --dir "$T/host:/d"
        if ! cmp -s "$T/tmpfs.out" "$T/$mode.out"; then
            why="tmpfs vs host ($mode): $(diff "$T/tmpfs.out" "$T/$mode.out" | head -4 | tr '\n' ' ')"
            break
        fi
    done
    if [ -z "$why" ] && ! grep -q '^exit 0$' "$T/tmpfs.out"; then
        why="did not exit 0: $(tail -2 "$T/tmpfs.out" | tr '\n' ' ') $(head -c 300 "$T/tmpfs.err")"
    fi
    if [ -n "$why" ]; then
        fail "fsdiff seed $seed ($OPS ops): $why"
    else
        pass
    fi
done
summary
