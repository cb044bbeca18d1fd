#!/bin/bash
# scripts/guests/build.sh [GUEST...]: build the wasm32-wasi guest runtimes
# (default: all of python js lua sqlite shell) into build/guests/ (or
# $WB_OUT).
# Sources and intermediate builds are cached in ${WASMBOX_CACHE:-~/.cache/
# wasmbox}, so a second run only reinstalls. Needs what scripts/setup.sh
# installs (clang-14, lld-14, wasi-libc, libclang-rt-14-dev-wasm32,
# binaryen, tcl, a deb-src entry) plus npm. Logs: $WASMBOX_CACHE/logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${WASMBOX_CACHE:-${HOME:-/tmp}/.cache/wasmbox}
mkdir -p "$cache/logs"
# One build at a time per cache: two (two checkouts, or a stray one left
# by an interrupted make) would unpack and build into the same trees.
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
    echo "guests: waiting for another guest build using $cache" >&2
    flock 9
fi
guests=("$@")
[ ${#guests[@]} -gt 0 ] || guests=(js lua sqlite shell python)
fail=0
for g in "${guests[@]}"; do
    [ -x "$here/$g.sh" ] || { echo "guests: unknown guest '$g'" >&2; exit 2; }
    t0=$(date +%s)
    if "$here/$g.sh" 2> >(tee "$cache/logs/$g.log" >&2); then
        echo "guests: $g ok ($(( $(date +%s) - t0 ))s)"
    else
        echo "guests: $g FAILED (log: $cache/logs/$g.log)" >&2
        fail=1
    fi
done
exit $fail
