#!/bin/bash
# check-api.sh: the public interface is what the headers say it is.
#
#   headers   include/wasmbox.h includes every include/wasmbox/*.h, and
#             each of them compiles alone, as C11 (-Wpedantic -Werror) and
#             as C++;
#   docs      every declaration marked WB_API has its own comment right
#             above it;
#   exports   the functions marked WB_API and the symbols libwasmbox.so of
#             BUILD defines (nm -D --defined-only) are the same list; each
#             extra or missing name is printed;
#   test_api  tests/unit/test_api.c includes no header of the project but
#             <wasmbox.h> (it tests what embedders see);
#   embed     examples/embed.c, compiled with -Iinclude and linked with
#             libwasmbox.so alone, runs a module through the public API.
# Last line: "N passed, N failed"; exits non-zero on any failure.
# Usage: scripts/check-api.sh [BUILD]    (default: build; run make first)
set -u
cd "$(dirname "$0")/.."
build=${1:-${BUILD:-build}}
so=$build/libwasmbox.so
passed=0 failed=0
tmp=$(mktemp -d /tmp/wasmbox-api.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

# The names of the functions declared WB_API in the public headers, one a
# line: in each declaration that starts a line with WB_API, the identifier
# before the first "(".
declared() {
    awk '
        /^WB_API / { decl = "" ; on = 1 }
        on { decl = decl " " $0 }
        on && /;/ {
            on = 0
            sub(/\(.*/, "", decl)
            n = split(decl, w, /[^A-Za-z0-9_]+/)
            while (n > 0 && w[n] == "") n--
            print w[n]
        }' include/wasmbox/*.h | sort
}

check_headers() {
    local h name bad=0 cxx
    cxx=$(command -v c++ || true)
    for h in include/wasmbox/*.h; do
        name=${h#include/}
        if ! grep -q "^#include \"$name\"" include/wasmbox.h; then
            echo "api: include/wasmbox.h does not include $name"
            bad=1
        fi
        printf '#include "%s"\n' "$name" >"$tmp/one.c"
        if ! cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude \
                -fsyntax-only "$tmp/one.c" 2>"$tmp/cc.log"; then
            echo "api: $h does not compile alone: $(head -3 "$tmp/cc.log")"
            bad=1
        fi
        if [ -n "$cxx" ] && ! "$cxx" -x c++ -Wall -Wextra -Werror -Iinclude \
                -fsyntax-only "$tmp/one.c" 2>"$tmp/cc.log"; then
            echo "api: $h does not compile as C++: $(head -3 "$tmp/cc.log")"
            bad=1
        fi
    done
    return $bad
}

# A WB_API line whose previous line does not end a comment.
check_docs() {
    awk '
        /^WB_API / && prev !~ /\*\/[[:space:]]*$/ {
            printf "api: %s:%d: no comment above: %s\n", FILENAME, FNR, $0
            bad = 1
        }
        { prev = $0 }
        END { exit bad }' include/wasmbox/*.h
}

check_exports() {
    declared >"$tmp/declared"
    nm -D --defined-only "$so" | awk '{ print $NF }' | sort >"$tmp/exported"
    local extra missing
    extra=$(comm -13 "$tmp/declared" "$tmp/exported")
    missing=$(comm -23 "$tmp/declared" "$tmp/exported")
    [ -n "$extra" ] && echo "api: exported but not declared WB_API:" $extra
    [ -n "$missing" ] && echo "api: declared WB_API but not exported:" $missing
    [ -z "$extra$missing" ] && [ -s "$tmp/declared" ]
}

check_test_api() {
    local bad
    bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
              tests/unit/test_api.c | grep -v '"wasmbox.h"')
    [ -z "$bad" ] && return 0
    echo "api: tests/unit/test_api.c includes internal headers: $bad"
    return 1
}

# The example links libwasmbox.so only (-L -l, no -Isrc); with a sanitizer
# build, the executable carries the sanitizer runtime the library needs.
check_embed() {
    local san=() out rc
    nm -D "$so" | grep -q __asan_ && san=(-fsanitize=address,undefined)
    mkdir -p "$build/examples"
    if ! cc -std=c11 -Wall -Wextra -Werror -Iinclude "${san[@]}" \
            -o "$build/examples/embed" examples/embed.c \
            -L"$build" -l:libwasmbox.so -Wl,-rpath,"\$ORIGIN/.." \
            2>"$tmp/cc.log"; then
        echo "api: examples/embed.c does not build: $(head -3 "$tmp/cc.log")"
        return 1
    fi
    if readelf -d "$build/examples/embed" | grep NEEDED |
            grep -vqE '\[(libwasmbox\.so|libc\.so\.6|lib(a|ub)san\.so\.[0-9]+|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1)\]'; then
        echo "api: embed needs more than libwasmbox.so:" \
             "$(readelf -d "$build/examples/embed" | grep NEEDED)"
        return 1
    fi
    out=$(timeout 30 "$build/examples/embed" 2>"$tmp/report")
    rc=$?
    if [ "$rc" != 0 ] ||
       ! grep -qx 'add_twice(2, 3) = 10' <<<"$out" ||
       ! grep -qx 'hello from the sandbox' <<<"$out" ||
       ! grep -q '"outcome": *"exited"' "$tmp/report"; then
        echo "api: embed (exit $rc) printed: $out $(cat "$tmp/report")"
        return 1
    fi
}

if [ ! -f "$so" ]; then
    echo "api: no $so (make first)"
    echo "0 passed, 1 failed"
    exit 1
fi
check_headers && ok "headers compile alone, C and C++" || fail "headers"
check_docs && ok "every WB_API declaration has a comment" || fail "docs"
check_exports && ok "libwasmbox.so exports exactly the $(wc -l <"$tmp/declared") WB_API functions" ||
    fail "exports of $so"
check_test_api && ok "test_api.c includes only <wasmbox.h>" || fail "test_api.c"
check_embed && ok "examples/embed runs with libwasmbox.so alone" || fail "embed"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
