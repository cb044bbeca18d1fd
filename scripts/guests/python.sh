#!/bin/bash
# scripts/guests/python.sh: CPython 3.11 for wasm32-wasi, from Debian's
# python3.11 source package, with zlib and SQLite (also from Debian
# sources) linked in statically.
#
# Output: $WB_OUT/python/python.wasm and $WB_OUT/python/lib/python3.11/
# (the standard library, precompiled, with a few pure-Python packages in
# its site-packages) and $WB_OUT/python/lib/zoneinfo (pypkgs.sh). The
# guest sees the lib directory at /lib (read-only): python.wasm was
# configured with prefix "/", so it finds its standard library at
# /lib/python3.11.
#
# Steps (each cached in $WB_CACHE/build/python, redone when its inputs
# change): native build python (same sources) -> wasm32-wasi cross build
# -> install into a staging dir -> trimmed, compiled image in $WB_OUT.
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=pypkgs.sh
source "$(dirname "${BASH_SOURCE[0]}")/pypkgs.sh"

B=$WB_CACHE/build/python
SRC=$B/src
PYVER=3.11

make_sdk
build_compat
build_zlib
build_sqlite_lib

tb=$(fetch python3.11)
key_src=$( (source_line python3.11; inputs_key "$WB_GUESTS_DIR"/patches/python-*.patch) |
    sha256sum | cut -c1-16)
if ! stamp_ok python-src "$key_src" || [ ! -x "$SRC/configure" ]; then
    log "python: unpacking $(basename "$tb")"
    rm -rf "$B/native" "$B/wasi"
    rm -f "$WB_CACHE/build/.stamp-python-native" "$WB_CACHE/build/.stamp-python-wasi"
    unpack "$tb" "$SRC"
    apply_patches "$SRC" python
    stamp_set python-src "$key_src"
fi

# 1. Native build python: the cross build runs it to freeze modules and
#    to compile the standard library. It must be the very same version.
if ! stamp_ok python-native "$key_src" || [ ! -x "$B/native/python" ]; then
    log "python: native build (log: $B/native/*.log)"
    t0=$(date +%s)
    rm -rf "$B/native"; mkdir -p "$B/native"
    (cd "$B/native" &&
        "$SRC/configure" --prefix="$B/native-install" >configure.log 2>&1 &&
        make -j"$JOBS" >make.log 2>&1) ||
        die "python native build failed; see $B/native/configure.log, make.log"
    log "python: native build took $(( $(date +%s) - t0 ))s"
    stamp_set python-native "$key_src"
fi
BUILD_PY=$B/native/python

# 2. Cross build for wasm32-wasi, with our built-in modules
#    (python/*.c: _wasmbox_http, the host's outbound HTTP import;
#    _wasmbox_proc, its processes: spawn, wait, pipes).
# Bump PY_WASI_REV when the configure/make steps below change.
PY_WASI_REV=5
PYEXT=$WB_GUESTS_DIR/python
key_wasi=$( (echo "$PY_WASI_REV $key_src"; source_line zlib; sqlite_key; compat_key
             inputs_key "$PYEXT"/*.c "$WB_GUESTS_DIR/wasmbox_http.h") |
    sha256sum | cut -c1-16)
if ! stamp_ok python-wasi "$key_wasi" || [ ! -f "$B/wasi/python.wasm" ] ||
   [ ! -f "$B/stage/lib/python$PYVER/os.py" ]; then
    log "python: wasm32-wasi build (log: $B/wasi/*.log)"
    t0=$(date +%s)
    rm -rf "$B/wasi" "$B/stage"; mkdir -p "$B/wasi"
    (
        cd "$B/wasi"
        # Never let pkg-config find the host's libraries.
        export PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR="$WB_SYSROOT/lib/pkgconfig"
        export CONFIG_SITE="$SRC/Tools/wasm/config.site-wasm32-wasi"
        export CC="$WASI_CC" CPP="$WB_SDK/bin/clang-cpp" CXX="$WB_SDK/bin/clang++"
        export AR="$WASI_AR" RANLIB="$WASI_RANLIB" READELF=true
        export ZLIB_CFLAGS="-I$WB_SYSROOT/include" ZLIB_LIBS="-L$WB_SYSROOT/lib -lz"
        export LIBSQLITE3_CFLAGS="-I$WB_SYSROOT/include"
        export LIBSQLITE3_LIBS="-L$WB_SYSROOT/lib -lsqlite3 -lwasi-emulated-mman"
        # ahead of wasi-libc in every link, configure's tests too
        export LIBS="$WB_COMPAT_LIBS"
        "$SRC/configure" -C \
            --host=wasm32-unknown-wasi --build="$("$SRC/config.guess")" \
            --with-build-python="$BUILD_PY" \
            --prefix=/ --disable-test-modules --with-ensurepip=no --with-pymalloc \
            >configure.log 2>&1 || exit 1
        # WASI builds take their extra modules from Modules/Setup.local;
        # makesetup looks for a bare file name in the source's Modules/.
        cp "$PYEXT/_wasmbox_http.c" "$PYEXT/_wasmbox_proc.c" \
            "$WB_GUESTS_DIR/wasmbox_http.h" "$SRC/Modules/"
        printf '*static*\n_wasmbox_http _wasmbox_http.c\n_wasmbox_proc _wasmbox_proc.c\n' \
            >> Modules/Setup.local
        make -j"$JOBS" >make.log 2>&1 || exit 2
        make install DESTDIR="$B/stage" >install.log 2>&1 || exit 3
    ) || die "python wasm32-wasi build failed (step $?); see $B/wasi/*.log"
    for m in zlib _sqlite3 _sha256 _md5 _blake2 binascii pyexpat _json _decimal; do
        grep -q "^$m " "$B/wasi/Modules/Setup.stdlib" 2>/dev/null ||
            log "python: warning: module $m may be missing (see $B/wasi/Modules/Setup.stdlib)"
    done
    for m in _wasmbox_http _wasmbox_proc; do
        grep -q "PyInit_$m" "$B/wasi/Modules/config.c" ||
            die "python: $m is not built in (see $B/wasi/Modules/Setup.local)"
    done
    log "python: wasm32-wasi build took $(( $(date +%s) - t0 ))s"
    stamp_set python-wasi "$key_wasi"
fi

# 3. The guest image: python.wasm plus a trimmed standard library,
#    precompiled into unchecked-hash .pyc files: they are used without
#    comparing source mtimes, which need not survive copying the image.
log "python: installing into $WB_OUT/python"
out=$WB_OUT/python
rm -rf "$out.new"; mkdir -p "$out.new/lib"
# drop the DWARF sections (-g): 22M -> 8M
"$WB_SDK/bin/llvm-strip" --strip-debug -o "$out.new/python.wasm" "$B/wasi/python.wasm"
cp -r "$B/stage/lib/python$PYVER" "$out.new/lib/"
L=$out.new/lib/python$PYVER
rm -rf "$L"/test "$L"/idlelib "$L"/tkinter "$L"/turtledemo "$L"/ensurepip \
       "$L"/lib2to3/tests "$L"/distutils/tests "$L"/unittest/test \
       "$L"/sqlite3/test "$L"/ctypes/test "$L"/tkinter "$L"/turtle.py \
       "$L"/config-$PYVER-* "$L"/site-packages/*
mkdir -p "$L/lib-dynload" "$L/site-packages"
# Ours: the wasmbox package (python/wasmbox/: outbound HTTP and child
# processes through the host) and patches/pyimage-*.patch, which make
# http.client and subprocess use it (os is frozen into python.wasm:
# patches/python-01-os-processes.patch changes it in the source).
cp -r "$PYEXT/wasmbox" "$L/"
apply_patches "$L" pyimage
# The image's own packages, time zones and import hooks (pypkgs.sh).
install_pypkgs "$out.new/lib"
find "$L" -name __pycache__ -type d -prune -exec rm -rf {} +
"$BUILD_PY" -E -m compileall -q -j "$JOBS" -o 0 \
    --invalidation-mode unchecked-hash -d "/lib/python$PYVER" "$L" >/dev/null ||
    die "compileall failed"
rm -rf "$out"; mv "$out.new" "$out"
log "python: python.wasm $(size_of "$out/python.wasm"), stdlib $(size_of "$out/lib")"

# 4. CPython's own regression tests, for tests/cpython (never part of the
#    image): the source's test package, compiled the same way (its
#    badsyntax_* files fail to compile on purpose, so no status check).
#    patches/cpytests-*.patch: test_sqlite3 imports two C limits from
#    _testcapi, which the guest lacks (--disable-test-modules): without
#    the patch none of its modules but two would load.
t=$WB_OUT/python-tests
key_tests=$( (echo "$key_src"; inputs_key "$WB_GUESTS_DIR"/patches/cpytests-*.patch) |
    sha256sum | cut -c1-16)
if ! stamp_ok python-tests "$key_tests" || [ ! -f "$t/test/__pycache__/__init__.cpython-311.pyc" ]; then
    log "python: installing its tests into $t"
    rm -rf "$t.new"; mkdir -p "$t.new"
    cp -r "$SRC/Lib/test" "$t.new/"
    apply_patches "$t.new" cpytests
    find "$t.new" -name __pycache__ -type d -prune -exec rm -rf {} +
    "$BUILD_PY" -E -m compileall -q -j "$JOBS" -o 0 \
        --invalidation-mode unchecked-hash -d /cpython "$t.new" >/dev/null 2>&1 || true
    [ -f "$t.new/test/__pycache__/__init__.cpython-311.pyc" ] || die "compiling the tests failed"
    rm -rf "$t"; mv "$t.new" "$t"
    stamp_set python-tests "$key_tests"
fi
log "python: tests $(size_of "$t")"
