#!/usr/bin/env bash
# tests/wasi/run.sh [WASMBOX]: compile each tests/wasi/*.c to wasm (into
# build/wasi/) and run its cases with WASMBOX (default build/wasmbox).
#
# In a test source:
#   // RUN <case>: <wasmbox run arguments>    ($WASM = the module, $T = a
#                                              fresh temp dir for the case)
#   // SETUP: <shell command>                  (run in $T before each case)
#   // EXIT <case>: <status>                   (default 0)
#   // LINK: <sources>                         (compiled in too; paths and
#                                              globs relative to the root)
# The case passes when stdout equals tests/wasi/<case>.expected and the
# exit status matches. One line per failing case, then "N passed, N
# failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
OUT=$ROOT/build/wasi
CC=(clang-14 --target=wasm32-wasi --sysroot=/usr -O1)
mkdir -p "$OUT"
. "$ROOT/tests/lib.sh"

run_case() {   # src case args
    local src=$1 case=$2 args=$3 T rc want
    T=$(mktemp -d "${TMPDIR:-/tmp}/wbwasi.XXXXXX")
    export T WASM
    while IFS= read -r setup; do
        (cd "$T" && eval "$setup") || { fail "$case: setup failed"; rm -rf "$T"; return; }
    done < <(sed -n 's|^// SETUP: ||p' "$src")
    want=$(sed -n "s|^// EXIT $case: ||p" "$src")
    eval "set -- $args"
    timeout 30 "$WB" run --report "$T/report.json" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    if [ "$rc" != "${want:-0}" ]; then
        fail "$case: exit status $rc, want ${want:-0} ($(head -c 300 "$T/stderr" | tr '\n' ' '))"
    elif ! cmp -s "$T/stdout" "$ROOT/tests/wasi/$case.expected"; then
        fail "$case: stdout differs: $(diff "$ROOT/tests/wasi/$case.expected" "$T/stdout" | head -5 | tr '\n' ' ')"
    else
        pass
    fi
    rm -rf "$T"
}

for src in "$ROOT"/tests/wasi/*.c; do
    name=$(basename "$src" .c)
    WASM=$OUT/$name.wasm
    link=()
    for l in $(sed -n 's|^// LINK: ||p' "$src"); do
        for f in "$ROOT"/$l; do link+=("$f"); done
    done
    if [ ! -f "$WASM" ] || [ "$src" -nt "$WASM" ] ||
       { [ ${#link[@]} -gt 0 ] && [ -n "$(find "${link[@]%/*}" -newer "$WASM")" ]; }; then
        if ! "${CC[@]}" -o "$WASM" "$src" "${link[@]}" 2>"$OUT/$name.log"; then
            fail "$name: does not compile: $(head -3 "$OUT/$name.log" | tr '\n' ' ')"
            continue
        fi
    fi
    while IFS= read -r line; do
        case=${line%%:*}
        run_case "$src" "$case" "${line#*: }"
    done < <(sed -n 's|^// RUN \([A-Za-z0-9_]*\): |\1: |p' "$src")
done
# The same sandbox through the C API (needs the static library, linked
# with the libraries it uses, as include/wasmbox.h says).
LIB=$(dirname "$WB")/libwasmbox.a
SANFLAGS=()
nm "$LIB" 2>/dev/null | grep -q __asan_ && SANFLAGS=(-fsanitize=address,undefined)
if [ -f "$LIB" ]; then
    printf 'int main(void){volatile unsigned x=0;for(;;)x++;}\n' >"$OUT/spin.c"
    if ! "${CC[@]}" -o "$OUT/spin.wasm" "$OUT/spin.c" 2>"$OUT/api_run.log" ||
       ! cc -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -o "$OUT/api_run" \
            "$ROOT/tests/wasi/host/api_run.c" "$LIB" -lm -lpthread -lyaml -ljansson -lseccomp -lxxhash -ldl \
            "${SANFLAGS[@]}" 2>"$OUT/api_run.log"; then
        fail "c-api: does not build: $(head -3 "$OUT/api_run.log" | tr '\n' ' ')"
    elif out=$(timeout 30 "$OUT/api_run" "$OUT/args_env.wasm" "$OUT/spin.wasm" \
                   "$OUT/sock.wasm" "$OUT/vroot.wasm" 2>&1) &&
         [ "$out" = ok ]; then
        pass
    else
        fail "c-api: $out"
    fi
fi
# tmpfs against the kernel: a short differential run (a long one is
# `make fuzz-fs`); its seeds count as cases.
while IFS= read -r line; do
    add_counts "$line" || echo "$line"
done < <(bash "$ROOT/tests/wasi/fsdiff.sh" "$WB" "${FSDIFF_SEEDS:-16}" \
             "${FSDIFF_OPS:-300}" || true)
summary
