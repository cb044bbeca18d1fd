#!/bin/bash
# check-layers.sh: every folder of src/ uses only the folders below it:
#
#   cli > server > session > policy > sandbox > snapshot > proc > wasi > net
#   > native > engine > common
#
# (include/, the public headers, is open to all.) Two checks:
#   includes  each #include "..." of src/<folder>/*.{c,h,inc} must resolve
#             to the same folder or a lower one;
#   symbols   with a build (BUILD, default build), each wb_* symbol an
#             object of src/<folder> needs must be defined in the same
#             folder or a lower one (nm), so a call upwards through a
#             declaration written by hand is caught too.
# A new folder must be given its place here. Last line: "N passed, N
# failed" (one per check); exits non-zero on any upward use.
# Usage: scripts/check-layers.sh [BUILD]
set -u
cd "$(dirname "$0")/.."
build=${1:-${BUILD:-build}}
layers=(common engine native net wasi proc snapshot sandbox policy session server cli)
passed=0 failed=0

declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

# The folder of src/ that `#include "$2"` in file $1 resolves to, or ""
# (include/ or a system header), into $to; the compiler's order: the
# file's own folder, then -Iinclude -Isrc -Isrc/engine.
resolve() {
    local p
    to=""
    for p in "${1%/*}/$2" "include/$2" "src/$2" "src/engine/$2"; do
        [ -e "$p" ] || continue
        [[ $p == */../* ]] && p=$(realpath --relative-to=. "$p")
        if [[ $p == src/*/* ]]; then
            p=${p#src/}
            to=${p%%/*}
        fi
        return
    done
}
check_includes() {
    local bad=0 f from inc line
    for f in src/*/; do
        from=${f#src/}
        from=${from%/}
        if [ -z "${rank[$from]:-}" ]; then
            echo "layers: src/$from/ has no place in the layers (scripts/check-layers.sh)"
            bad=1
        fi
    done
    while IFS= read -r line; do
        f=${line%%:*}
        inc=${line#*\"}
        inc=${inc%\"*}
        from=${f#src/}
        from=${from%%/*}
        resolve "$f" "$inc"
        [ -n "$to" ] && [ -n "${rank[$from]:-}" ] || continue
        if [ "${rank[$to]:--1}" -lt 0 ] || [ "${rank[$to]}" -gt "${rank[$from]}" ]; then
            echo "layers: $f includes \"$inc\": $from may not use $to (above it)"
            bad=1
        fi
    done < <(grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src/*/*.c src/*/*.h src/*/*.inc 2>/dev/null)
    return $bad
}

# Objects of sources that still exist (a build may hold stale ones).
objects() {
    local o src
    for o in "$build"/src/*/*.o; do
        src=${o#"$build"/}
        [ -e "${src%.o}.c" ] && echo "$o"
    done
}

check_symbols() {
    local order="${layers[*]}"
    # nm -A: "build/src/FOLDER/x.o: [addr] TYPE name", one line per symbol
    nm -A -g $(objects) 2>/dev/null | awk -v build="$build/src/" -v order="$order" '
        BEGIN { n = split(order, l, " "); for (i = 1; i <= n; i++) rank[l[i]] = i }
        {
            file = $1; sub(/:$/, "", file)
            folder = substr(file, length(build) + 1); sub(/\/.*/, "", folder)
            sym = $NF; type = $(NF - 1)
            if (sym !~ /^wb_/) next
            if (type == "U") { users[++nu] = file; used[nu] = sym; from[nu] = folder }
            else owner[sym] = folder
        }
        END {
            bad = 0
            for (i = 1; i <= nu; i++) {
                d = owner[used[i]]
                if (d != "" && rank[d] > rank[from[i]]) {
                    printf "layers: %s uses %s of src/%s: %s may not use %s (above it)\n", \
                        substr(users[i], length(build) - 3), used[i], d, from[i], d
                    bad = 1
                }
            }
            exit bad
        }'
}

if check_includes; then
    passed=$((passed + 1)); echo "ok   - includes point downwards"
else
    failed=$((failed + 1)); echo "FAIL - an include points upwards"
fi
if ! ls "$build"/src/*/*.o >/dev/null 2>&1; then
    echo "skip - symbols: no objects in $build (make first)"
elif check_symbols; then
    passed=$((passed + 1)); echo "ok   - calls point downwards ($build)"
else
    failed=$((failed + 1)); echo "FAIL - a call points upwards ($build)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
