#!/bin/bash
# scripts/guests/numpy.sh: numpy 1.24.2 for the Python guest (issue 20),
# OPT-IN: `make guests-numpy` (or scripts/guests/build.sh numpy). The
# default `make guests` does not run it.
#
# WASI preview1 has no dlopen, so numpy's C extension modules are linked
# statically into a second python.wasm and registered as built-in modules
# under their dotted names (numpy/wb_config.py writes the inittab);
# numpy/_wasmbox_builtins.py lets `import numpy.core._multiarray_umath`
# find them. The image goes to $WB_NUMPY_OUT/python/ (default
# build/guests-numpy; python.wasm and lib/, the standard library plus
# numpy's Python files); the default image $WB_OUT/python/ is left as it
# is. Run python.sh first (make guests-numpy does).
#
# Steps (cached in $WB_CACHE/build/numpy, stamps as in python.sh):
#   1. source: Debian's numpy_1.24.2.orig.tar.xz (SOURCES.numpy); see
#      numpy_source below for the archive's missing file.
#   2. cross build: numpy's own setup.py (numpy.distutils) on the host's
#      python3.11 with the guest's build configuration
#      (numpy/mk_sysconfig.py): its code generators (.c.src templates,
#      __multiarray_api.h, __umath_generated.c, config.h and
#      _numpyconfig.h from compile/link probes against wasi-libc) run on
#      the host; every compile is clang-14 for wasm32-wasi; each
#      extension becomes a static archive (numpy/ldshared.sh).
#   3. link: python.wasm = CPython's objects + those archives + an
#      inittab with numpy's modules.
#   4. image: the default image's lib/ plus numpy's .py files, compiled.
# numpy's pin is in SOURCES.numpy (see there), not in SOURCES.
# shellcheck disable=SC2034   # read by common.sh
WB_SOURCES=${WB_NUMPY_SOURCES:-$(dirname "${BASH_SOURCE[0]}")/SOURCES.numpy}
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

B=$WB_CACHE/build/numpy
PYB=$WB_CACHE/build/python
NPDIR=$WB_GUESTS_DIR/numpy
HOSTPY=${HOSTPY:-/usr/bin/python3.11}
mkdir -p "$B"

make_sdk
if [ ! -f "$PYB/wasi/python.wasm" ] || [ ! -d "$WB_OUT/python/lib" ]; then
    die "numpy: build the Python guest first (scripts/guests/build.sh python)"
fi
"$HOSTPY" -c 'import sys, setuptools; assert sys.version_info[:2] == (3, 11)' 2>/dev/null ||
    die "numpy: $HOSTPY with setuptools is needed (scripts/setup.sh numpy)"
# Cython turns numpy.random's .pyx files into C: its version is part of
# the build's key; Debian 12's is the one this was written against.
CYTHON_VERSION=$("$HOSTPY" -c 'import Cython; print(Cython.__version__)' 2>/dev/null) ||
    die "numpy: Cython is needed for numpy.random (scripts/setup.sh numpy)"
[ "$CYTHON_VERSION" = 0.29.32 ] ||
    log "numpy: warning: Cython $CYTHON_VERSION, not Debian 12's 0.29.32"
[ -d /usr/include/wasm32-wasi/c++/v1 ] ||
    die "numpy: libc++ for wasm32-wasi is needed (scripts/setup.sh numpy)"

# numpy_source: prints the path of numpy's pinned source tarball, fetched
# from Debian's archive and checked against its sha256 (SOURCES.numpy).
# Third-party code comes only from Debian's archive: when the mirror does
# not serve the tarball (the one this was developed against answers 404
# for numpy_1.24.2.orig.tar.xz), the build stops here with one line.
numpy_source() {
    local file sum
    file=$(source_field numpy 4); sum=$(source_field numpy 5)
    if sha256_ok "$WB_CACHE/src/$file" "$sum"; then echo "$WB_CACHE/src/$file"; return; fi
    (fetch numpy) || die "numpy: Debian's $file (sha256 ${sum:0:12}...) cannot be fetched from the archive; the numpy image needs it"
}

# 1. source
tb=$(numpy_source)
key_src=$( (basename "$tb"; source_line numpy; inputs_key "$WB_GUESTS_DIR"/patches/numpy-*.patch) |
    sha256sum | cut -c1-16)
if ! stamp_ok numpy-src "$key_src" || [ ! -f "$B/src/setup.py" ]; then
    log "numpy: unpacking $(basename "$tb")"
    rm -f "$WB_CACHE/build/.stamp-numpy-build"
    unpack "$tb" "$B/src"
    apply_patches "$B/src" numpy
    stamp_set numpy-src "$key_src"
fi

# 2. cross build with numpy.distutils.
# Bump NP_BUILD_REV when the build options below change.
NP_BUILD_REV=1
key_build=$( (echo "$NP_BUILD_REV $key_src Cython $CYTHON_VERSION"; cat "$PYB/wasi/pyconfig.h"
              inputs_key "$NPDIR"/mk_sysconfig.py "$NPDIR"/ldshared.sh) |
    sha256sum | cut -c1-16)
if ! stamp_ok numpy-build "$key_build" || [ ! -d "$B/src/build" ]; then
    log "numpy: cross build for wasm32-wasi (log: $B/build.log)"
    t0=$(date +%s)
    rm -rf "$B/src/build" "$B/host"; mkdir -p "$B/host"
    "$HOSTPY" "$NPDIR/mk_sysconfig.py" \
        "$PYB/stage/lib/python3.11/_sysconfigdata__wasi_wasm32-wasi.py" \
        "$B/host/_sysconfigdata__wb_numpy.py" "$WASI_CC" "$WB_SDK/bin/clang++" \
        "$NPDIR/ldshared.sh" "$PYB/stage/include/python3.11" "$WASI_AR" ||
        die "numpy: mk_sysconfig failed"
    (
        cd "$B/src"
        # The host python reads the guest's configuration (sizes, suffix,
        # compilers) instead of its own.
        export _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__wb_numpy
        export PYTHONPATH=$B/host SETUPTOOLS_USE_DISTUTILS=stdlib
        export WB_AR=$WASI_AR
        # No BLAS/LAPACK from the host: numpy's bundled lapack_lite (C).
        export NPY_BLAS_ORDER='' NPY_LAPACK_ORDER='' BLAS=None LAPACK=None ATLAS=None
        # NPY_NO_SMP: the guest has no threads (wasm32-wasi CPython is
        # built without them); SVML is x86-64 AVX-512 code.
        export NPY_NOSMP=1 NPY_DISABLE_SVML=1
        # --disable-optimization: no CPU dispatch; numpy 1.24's universal
        # intrinsics have no wasm SIMD128 backend, so every loop is the
        # portable C one.
        # --build-base must be relative: with an absolute one, generated
        # sources (absolute paths) get object paths whose directories
        # numpy.distutils never creates.
        nice -n 10 "$HOSTPY" setup.py build --disable-optimization \
            --build-base build -j "$JOBS" >"$B/build.log" 2>&1
    ) || die "numpy: cross build failed; see $B/build.log"
    log "numpy: cross build took $(( $(date +%s) - t0 ))s"
    stamp_set numpy-build "$key_build"
fi

# numpy's extension modules as built: "dotted.name archive" lines (each
# archive is what ldshared.sh made of one extension).
np_modules() {
    local lib f rel
    lib=$(echo "$B"/src/build/lib.*)
    find "$lib/numpy" -name '*.cpython-311-wasm32-wasi.so' | sort | while read -r f; do
        rel=${f#"$lib"/}; rel=${rel%.cpython-311-wasm32-wasi.so}
        echo "${rel//\//.} $f"
    done
}

# 3. link python.wasm: CPython's objects as its wasm32-wasi build linked
#    them (libpython3.11.a holds every module object), with our inittab
#    (wb_config.py) ahead of the archive's config.o, numpy's archives, and
#    libc++ for numpy's C++ sources (built -fno-exceptions -fno-rtti).
#    The libraries after libpython are those python.sh's configure gave
#    CPython's link (Tools/wasm/config.site-wasm32-wasi, zlib, SQLite,
#    libmpdec and expat built in its tree), and wasi-libc's printf/scanf
#    for long double (numpy.longdouble parses and prints through
#    strtold/snprintf; without it wasi-libc aborts).
key_link=$( (echo "$key_build"; cat "$PYB/wasi/Modules/config.c"
             sha256sum "$PYB/wasi/libpython3.11.a" "$PYB/wasi/Programs/python.o"
             inputs_key "$NPDIR"/wb_config.py) | sha256sum | cut -c1-16)
if ! stamp_ok numpy-link "$key_link" || [ ! -f "$B/python.wasm" ]; then
    log "numpy: linking python.wasm"
    t0=$(date +%s)
    mapfile -t mods < <(np_modules)
    [ ${#mods[@]} -gt 0 ] || die "numpy: no extension modules were built"
    names=() archives=() libs=()
    for m in "${mods[@]}"; do
        names+=("${m%% *}"); archives+=("${m#* }")
        # shellcheck disable=SC2207   # -L/-l words
        libs+=($(cat "${m#* }.libs"))
    done
    mapfile -t libs < <(printf '%s\n' "${libs[@]}" | awk 'NF && !seen[$0]++')
    "$HOSTPY" "$NPDIR/wb_config.py" "$PYB/wasi/Modules/config.c" "$B/config.c" "${names[@]}" ||
        die "numpy: wb_config.py failed"
    "$WASI_CC" -O2 -DPy_BUILD_CORE -I"$PYB/wasi" -I"$PYB/src/Include" \
        -I"$PYB/src/Include/internal" -c "$B/config.c" -o "$B/config.o" ||
        die "numpy: compiling the inittab failed"
    # shellcheck disable=SC2086   # the library lists are word lists
    ("$WASI_CC" -z stack-size=524288 -Wl,--stack-first -Wl,--initial-memory=10485760 \
        -o "$B/python.wasm.new" "$PYB/wasi/Programs/python.o" "$B/config.o" \
        "${archives[@]}" "$PYB/wasi/libpython3.11.a" \
        "${libs[@]}" \
        -lc++ -lc++abi $WB_COMPAT_LIBS \
        -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks \
        "$PYB/wasi/Modules/_decimal/libmpdec/libmpdec.a" "$PYB/wasi/Modules/expat/libexpat.a" \
        -L"$WB_SYSROOT/lib" -lz -lsqlite3 -lwasi-emulated-mman -lm \
        -lc-printscan-long-double \
        >"$B/link.log" 2>&1) || die "numpy: linking python.wasm failed; see $B/link.log"
    mv "$B/python.wasm.new" "$B/python.wasm"
    printf '%s\n' "${names[@]}" > "$B/modules.txt"
    log "numpy: link took $(( $(date +%s) - t0 ))s; ${#names[@]} built-in numpy modules"
    stamp_set numpy-link "$key_link"
fi

# 4. The image, a guests directory of its own ($WB_NUMPY_OUT, default
#    build/guests-numpy: point WASMBOX_GUESTS at it): python/python.wasm
#    (stripped of DWARF, as python.sh does), python/lib = the default
#    image's standard library plus numpy's Python files and
#    _wasmbox_builtins.py, compiled the same way. The other guests are
#    links to $WB_OUT's.
NP_OUT=${WB_NUMPY_OUT:-$WB_ROOT/build/guests-numpy}
out=$NP_OUT/python
L=$out.new/lib/python3.11
log "numpy: installing into $out"
rm -rf "$out.new"; mkdir -p "$out.new"
"$WB_SDK/bin/llvm-strip" --strip-debug -o "$out.new/python.wasm" "$B/python.wasm"
cp -r "$WB_OUT/python/lib" "$out.new/"
lib=$(echo "$B"/src/build/lib.*)
# Python files only: no extension archives (built in), no C headers,
# Cython declarations or static libraries, no numpy.distutils (there is no
# compiler in the guest) and no test suites (kept out of the image, as
# CPython's are).
(cd "$lib" && find numpy \( -name tests -o -name distutils \) -prune -o \
    -type f \( -name '*.py' -o -name '*.pyi' -o -name 'py.typed' \) -print |
    while read -r f; do install_file "$f" "$L/site-packages/$f"; done)
cp "$NPDIR/_wasmbox_builtins.py" "$L/"
# numpy's package imports its C modules first thing: install the finder
# for built-in submodules before that (independent of `site`, so -S and
# -I work too).
# (before its first import: its docstring stays numpy.__doc__)
f=$L/site-packages/numpy/__init__.py
awk '!done && /^(import|from) / {
         print "import _wasmbox_builtins  # wasmbox: numpy.* C modules are built in"; done = 1 }
     { print }' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
grep -q '^import _wasmbox_builtins' "$f" || die "numpy: could not hook numpy/__init__.py"
# and at start-up, for the clear error on other packages' C extensions
echo 'import _wasmbox_builtins' > "$L/site-packages/wasmbox-builtins.pth"
find "$L/site-packages" -name __pycache__ -type d -prune -exec rm -rf {} +
"$PYB/native/python" -E -m compileall -q -o 0 --invalidation-mode unchecked-hash \
    -d /lib/python3.11 "$L/_wasmbox_builtins.py" >/dev/null ||
    die "numpy: compileall failed"
"$PYB/native/python" -E -m compileall -q -j "$JOBS" -o 0 --invalidation-mode unchecked-hash \
    -d /lib/python3.11/site-packages "$L/site-packages" >/dev/null ||
    die "numpy: compileall failed"
[ -f "$L/site-packages/numpy/core/__pycache__/numeric.cpython-311.pyc" ] ||
    die "numpy: numpy's modules were not compiled"
rm -rf "$out"; mv "$out.new" "$out"
for g in "$WB_OUT"/*; do
    n=$(basename "$g")
    [ "$n" = python ] || [ -e "$NP_OUT/$n" ] || ln -s "$g" "$NP_OUT/$n"
done
log "numpy: python.wasm $(size_of "$out/python.wasm") (default image: $(size_of "$WB_OUT/python/python.wasm")), lib $(size_of "$out/lib")"
