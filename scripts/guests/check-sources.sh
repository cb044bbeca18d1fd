#!/bin/bash
# scripts/guests/check-sources.sh: can every pinned guest source still be
# fetched? Each entry of SOURCES is fetched into a fresh temporary
# directory (never the cache, which would hide a source that has gone
# missing) and checked against its sha256; nothing is built. One line per
# source, then "N passed, N failed". Part of `make check`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wbsources.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
names=$(awk '!/^#/ && NF >= 5 { print $2 }' "${WB_SOURCES:-$here/SOURCES}")
for name in $names; do
    mkdir -p "$tmp/$name"
    # a subshell: common.sh's die() exits, and it must end only this fetch
    if msg=$( (source "$here/common.sh" && fetch "$name" "$tmp/$name") 2>&1 >/dev/null); then
        echo "ok   $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $(grep 'error:' <<<"$msg" | tail -n 1)"
        fail=$((fail + 1))
    fi
    rm -rf "${tmp:?}/$name"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
