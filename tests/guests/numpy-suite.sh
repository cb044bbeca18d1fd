#!/bin/bash
# tests/guests/numpy-suite.sh [DIR...]: numpy's own test suite in the
# opt-in numpy image (issue 20's acceptance; not part of make check yet).
# DIR: test directories inside the numpy package (default: core/tests
# lib/tests).
#
# The guest has no pytest and the image no test files, so this copies into
# a temporary directory, granted read-only at /site: numpy's Python files
# with their tests as the build left them ($WASMBOX_CACHE/build/numpy),
# the tests' data files from the source tree, and Debian's pure-Python
# pytest and hypothesis (python3-pytest, python3-hypothesis: numpy's
# conftest imports hypothesis) from /usr/lib/python3/dist-packages. The
# C modules still come from python.wasm (the finder of
# _wasmbox_builtins.py answers for numpy.* whatever the path). pytest
# runs with numpy's own pytest.ini (warnings are errors); test files that
# cannot be collected (ctypes and mmap do not exist on WASI) are counted as
# errors and the rest runs (--continue-on-collection-errors). os.getuid is
# given to pytest (tmp_path needs it; WASI has no user ids).
#
# Environment: WASMBOX_NUMPY_GUESTS (default build/guests-numpy),
# WASMBOX (default build/wasmbox), WASMBOX_CACHE. Runs best with the
# image's native code cached (wasmbox compile .../python/python.wasm):
# core/tests then takes about 3 minutes. Prints pytest's summary line;
# the exit status is pytest's.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
W=${WASMBOX:-$root/build/wasmbox}
G=${WASMBOX_NUMPY_GUESTS:-$root/build/guests-numpy}
cache=${WASMBOX_CACHE:-${HOME:-/tmp}/.cache/wasmbox}
lib=$(echo "$cache"/build/numpy/src/build/lib.*/numpy)
dist=/usr/lib/python3/dist-packages
need=("$G/python/python.wasm" "$W" "$lib/core/tests" "$dist/pytest" "$dist/hypothesis")
for f in "${need[@]}"; do
    if [ ! -e "$f" ]; then
        echo "SKIP numpy-suite: $f missing (make guests-numpy; apt-get install python3-pytest python3-hypothesis)"
        exit 0
    fi
done
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(core/tests lib/tests)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site" "$tmp/tmp"
cp -r "$lib" "$tmp/site/"
find "$tmp/site/numpy" -name '*.so*' -delete
# data files the build does not copy next to the tests
(cd "$cache/build/numpy/src" && find numpy -path '*/tests/data/*' -type f -print0 |
    xargs -0 -I{} install -D -m 0644 {} "$tmp/site/{}")
for p in _pytest pytest pluggy iniconfig packaging py py.py attr attrs hypothesis \
         sortedcontainers _hypothesis_pytestplugin.py _hypothesis_ftz_detector.py \
         pytest-*.dist-info pluggy-*.egg-info; do
    for f in "$dist"/$p; do [ -e "$f" ] && cp -r "$f" "$tmp/site/"; done
done
cp "$cache/build/numpy/src/pytest.ini" "$tmp/tmp/"
args=""
for d in "${dirs[@]}"; do args="$args, \"/site/numpy/$d\""; done
WASMBOX_GUESTS=$G "$W" python --timeout 1800s --max-memory 2G \
    --dir "$tmp/site:/site:ro" --dir "$tmp/tmp:/tmp" --env TMPDIR=/tmp -c "
import os, sys
sys.path.insert(0, '/site'); os.chdir('/tmp')
# WASI has no user ids and CPython's os no getuid; pytest's tmp_path names
# its directory after it (the guest's files all belong to uid 0)
if not hasattr(os, 'getuid'):
    os.getuid = lambda: 0
import pytest
sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '--rootdir=/tmp', '-c',
    '/tmp/pytest.ini', '-rfE', '--tb=line', '--continue-on-collection-errors'$args]))"
