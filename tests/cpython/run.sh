#!/bin/bash
# tests/cpython/run.sh [fast|asan|full] [MODULE...]: CPython's own
# regression tests (the `test` package of the source the guest is built
# from) inside `wasmbox python`, against tests/cpython/expected. The tiers
# (tests/cpython/modules): fast (make check, normal build), asan (make
# check, ASan build), full (make cpython-tests). MODULEs: run only these.
# WB_BUILD: build directory (default build); WASMBOX: the binary (default
# $WB_BUILD/wasmbox); WASMBOX_GUESTS: the images (default
# $WB_BUILD/guests), which need python/ and python-tests/ (make guests).
# CPYTHON_JOBS: modules at once (default 2). CPYTHON_SLOW: timeout
# multiplier (default 1, 4 for the asan tier). CPYTHON_RECORD=FILE: append
# every case's result there (MODULE, OUTCOME, ID, DETAIL; for updating
# tests/cpython/expected). Logs: $WB_BUILD/cpython/.
# Last line: "N passed, N failed, N skipped" (see tests/cpython/run.py).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
G=${WASMBOX_GUESTS:-$B/guests}
tier=fast
case ${1:-} in fast|asan|full) tier=$1; shift ;; esac
slow=${CPYTHON_SLOW:-1}
[ "$tier" = asan ] && slow=${CPYTHON_SLOW:-4}

for need in "$W" "$G/python/python.wasm" "$G/python-tests/test/__init__.py"; do
    if [ ! -e "$need" ]; then
        echo "cpython: SKIP: $need missing (make, make guests)"
        echo "0 passed, 0 failed, 0 skipped"
        exit 0
    fi
done
command -v python3 >/dev/null || { echo "cpython: python3 (host) not found"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
exec python3 "$root/tests/cpython/run.py" --wasmbox "$W" --guests "$G" --tier "$tier" \
    --jobs "${CPYTHON_JOBS:-2}" --slow "$slow" --logs "$B/cpython" \
    ${CPYTHON_RECORD:+--record "$CPYTHON_RECORD"} "$@"
