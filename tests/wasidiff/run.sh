#!/usr/bin/env bash
# tests/wasidiff/run.sh [WASMBOX]: the differential test against node:wasi.
# Every WASI test program of tests/wasi/ and tests/wasidiff/ (C, built with
# wasi-libc) and tests/wasidiff/as/*.ts (AssemblyScript, built with the
# pinned compiler of package-lock.json, installed by `npm ci` into
# build/wasidiff/npm) runs each of its cases twice: under WASMBOX and under
# node:wasi (node_run.mjs takes the same arguments), each on its own copy
# of the same directory tree. A case passes when stdout, the exit status
# and the tree left behind are the same.
#
# Cases come from the sources' "// RUN case: ARGS" and "// SETUP: CMD"
# lines, as in tests/wasi/run.sh; "--tmpfs GUEST[:SIZE]" becomes a fresh
# host directory for both. Where wasmbox differs on purpose the case is in
# tests/wasidiff/differences with the reason: "case | * | why" leaves the
# case out, "case | LABEL | why" leaves out the stdout lines that start
# with LABEL (they must differ), "case | @exit | why" the exit status,
# "case | @tree | why" the tree. A listed difference that is not seen
# fails, so the list stays true. Last line: "N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/wasidiff
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
OUT=$ROOT/build/wasidiff
CC=(clang-14 --target=wasm32-wasi --sysroot=/usr -O1)
NODE=(node --no-warnings "$HERE/node_run.mjs")
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/wbdiff.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$ROOT/tests/lib.sh"

oneline() { head -c "${2:-400}" "$1" | tr '\n' ' '; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    fail "wasidiff: node and npm are needed"
    summary
    exit
fi

# ---- the listed differences -------------------------------------------------
declare -A LISTED=()      # "case|label" -> reason
while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    IFS='|' read -r c l why <<<"$line"
    c=$(echo "$c" | xargs) l=$(echo "$l" | sed 's/^ //; s/ $//')
    LISTED["$c|$l"]=$(echo "$why" | sed 's/^ *//; s/ *$//')
done <"$HERE/differences"
labels_of() {   # case -> the listed stdout labels, one a line
    local k
    for k in "${!LISTED[@]}"; do
        [[ ${k%%|*} == "$1" ]] || continue
        case ${k#*|} in '*' | @exit | @tree) ;; *) echo "${k#*|}" ;; esac
    done
}

# ---- building the programs --------------------------------------------------
build_c() {   # src -> $OUT/name.wasm (with its "// LINK:" sources)
    local src=$1 wasm=$OUT/$(basename "$1" .c).wasm l f link=()
    for l in $(sed -n 's|^// LINK: ||p' "$src"); do
        for f in "$ROOT"/$l; do link+=("$f"); done
    done
    if [ ! -f "$wasm" ] || [ "$src" -nt "$wasm" ] ||
       { [ ${#link[@]} -gt 0 ] && [ -n "$(find "${link[@]%/*}" -newer "$wasm")" ]; }; then
        "${CC[@]}" -o "$wasm" "$src" "${link[@]}" 2>"$wasm.log" || return 1
    fi
}

# AssemblyScript: the compiler and its WASI shim from npm, pinned by
# package-lock.json, installed once (again when the lock changes).
npm_ready() {
    local dir=$OUT/npm stamp=$OUT/npm/node_modules/.wasmbox-lock
    if [ -f "$stamp" ] && cmp -s "$HERE/package-lock.json" "$stamp"; then
        return 0
    fi
    mkdir -p "$dir"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$OUT/npm.log" 2>&1 ||
        return 1
    cp "$HERE/package-lock.json" "$stamp"
}
build_as() {   # src -> $OUT/as_name.wasm
    local src=$1 wasm=$OUT/as_$(basename "$1" .ts).wasm npm=$OUT/npm
    if [ ! -f "$wasm" ] || [ "$src" -nt "$wasm" ]; then
        (cd "$npm" && node node_modules/assemblyscript/bin/asc.js "$src" \
            --config node_modules/@assemblyscript/wasi-shim/asconfig.json \
            -O --noAssert --outFile "$wasm") >"$wasm.log" 2>&1 || return 1
    fi
}

# ---- one case ---------------------------------------------------------------
# tree DIR: what the run left: type, path, size, mode, link target, and
# the times a program set to a fixed value (before 2001: times the clock
# made differ between two runs by nature); then every file's hash.
tree() {
    (cd "$1" && find . -mindepth 1 -printf '%y\t%p\t%s\t%m\t%l\t%A@\t%T@\n' |
        awk -F'\t' -v OFS='\t' '{
            if ($6 + 0 >= 978307200) $6 = "-"
            if ($7 + 0 >= 978307200) $7 = "-"
            if ($1 == "d") $3 = "-"
            print }' | sort
     find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# starting LABEL FILE: the lines of FILE that start with LABEL
starting() { awk -v l="$1" 'index($0, l) == 1' "$2"; }
# drop LABELS-FILE FILE: FILE without them, for each label listed
drop() {
    local l
    while IFS= read -r l; do
        awk -v l="$l" 'index($0, l) != 1' "$2" >"$2.tmp" && mv "$2.tmp" "$2"
    done <"$1"
}

declare -A SEEN=()        # the cases run, to find stale listings
run_case() {   # src case args
    local src=$1 case=$2 args=$3 d side why=""
    SEEN[$case]=1
    if [ -n "${LISTED["$case|*"]+x}" ]; then
        skip "$case: ${LISTED["$case|*"]}"
        return
    fi
    d=$W/$case
    mkdir -p "$d/setup"
    while IFS= read -r setup; do
        (cd "$d/setup" && T=$d/setup eval "$setup") >/dev/null 2>&1 ||
            { fail "$case: setup failed: $setup"; return; }
    done < <(sed -n 's|^// SETUP: ||p' "$src")
    # --tmpfs GUEST[:SIZE] -> a fresh host directory (the same for both)
    local n=0 conv=$args
    while [[ $conv =~ --tmpfs\ +([^ :]+)(:[^ ]*)? ]]; do
        n=$((n + 1))
        mkdir -p "$d/setup/tmpfs$n"
        conv=${conv/"${BASH_REMATCH[0]}"/--dir \$T/tmpfs$n:${BASH_REMATCH[1]}}
    done
    for side in wb node; do
        cp -a "$d/setup" "$d/$side"
    done
    local -a cmd
    for side in wb node; do      # both at once
        T=$d/$side
        eval "set -- $conv"
        if [ $side = wb ]; then cmd=("$WB" run); else cmd=("${NODE[@]}"); fi
        # (the subshell's own stderr: no "Terminated" when node is signalled)
        (cd "$d/$side" && timeout 60 "${cmd[@]}" "$@" \
            >"$d/$side.out" 2>"$d/$side.err" </dev/null
         echo $? >"$d/$side.rc") 2>/dev/null &
    done
    wait
    # the listed lines must differ, and are then left out of both
    labels_of "$case" >"$d/labels"
    while IFS= read -r l; do
        [ "${l:0:1}" = "~" ] && continue
        if cmp -s <(starting "$l" "$d/wb.out") <(starting "$l" "$d/node.out"); then
            why+="listed difference '$l' not seen; "
        fi
    done <"$d/labels"
    sed -i 's/^~//' "$d/labels"
    for side in wb node; do
        drop "$d/labels" "$d/$side.out"
    done
    if [ -n "${LISTED["$case|@exit"]+x}" ]; then
        cmp -s "$d/wb.rc" "$d/node.rc" && why+="listed exit difference not seen; "
    elif ! cmp -s "$d/wb.rc" "$d/node.rc"; then
        why+="exit status $(cat "$d/wb.rc") vs node $(cat "$d/node.rc") ($(oneline "$d/wb.err" 200) | $(oneline "$d/node.err" 200)); "
    fi
    if ! cmp -s "$d/wb.out" "$d/node.out"; then
        why+="stdout differs (< wasmbox, > node): $(diff "$d/wb.out" "$d/node.out" | head -8 | tr '\n' ' '); "
    fi
    tree "$d/wb" >"$d/wb.tree"
    tree "$d/node" >"$d/node.tree"
    if [ -n "${LISTED["$case|@tree"]+x}" ]; then
        cmp -s "$d/wb.tree" "$d/node.tree" && why+="listed tree difference not seen; "
    elif ! cmp -s "$d/wb.tree" "$d/node.tree"; then
        why+="trees differ: $(diff "$d/wb.tree" "$d/node.tree" | head -6 | tr '\n' ' '); "
    fi
    if [ -n "$why" ]; then
        fail "$case: $why"
    else
        pass
    fi
}

cases_of() {   # src: every "// RUN case: args" as "case|args"
    local src=$1
    sed -n 's|^// RUN \([A-Za-z0-9_]*\): |\1: |p' "$src" | while IFS= read -r line; do
        echo "${line%%:*}|${line#*: }"
    done
}

run_program() {   # src wasm
    local src=$1 case args
    WASM=$2
    while IFS='|' read -r case args; do
        run_case "$src" "$case" "$args"
    done < <(cases_of "$src" "$2")
}

shopt -s nullglob
declare -A BUILT=()       # one wasm per name in $OUT
for src in "$ROOT"/tests/wasi/*.c "$HERE"/*.c; do
    name=$(basename "$src" .c)
    if [ -n "${BUILT[$name]+x}" ]; then
        fail "$name: $src: the name is taken by ${BUILT[$name]}"
        continue
    fi
    BUILT[$name]=$src
    if ! build_c "$src"; then
        fail "$name: does not compile: $(oneline "$OUT/$name.wasm.log" 300)"
        continue
    fi
    run_program "$src" "$OUT/$name.wasm"
done
if npm_ready; then
    for src in "$HERE"/as/*.ts; do
        name=$(basename "$src" .ts)
        if ! build_as "$src"; then
            fail "$name: does not compile: $(oneline "$OUT/as_$name.wasm.log" 300)"
            continue
        fi
        run_program "$src" "$OUT/as_$name.wasm"
    done
else
    fail "assemblyscript: npm ci failed: $(oneline "$OUT/npm.log" 300)"
fi
for k in "${!LISTED[@]}"; do
    [ -n "${SEEN[${k%%|*}]+x}" ] || fail "${k%%|*}: listed in differences, but there is no such case"
done
echo "listed differences (tests/wasidiff/differences):"
for k in "${!LISTED[@]}"; do
    echo "  ${k%%|*} [${k#*|}]: ${LISTED[$k]}"
done | sort
summary
