# shellcheck shell=bash
# scripts/guests/common.sh: shared helpers for the guest build scripts.
# Sourced (not run) by python.sh, js.sh, lua.sh and sqlite.sh.
#
# Layout (everything third-party stays out of the source tree):
#   $WB_CACHE/src/          fetched tarballs, checked against SOURCES
#   $WB_CACHE/wasi-sdk/     wrapper "SDK": clang-14 + lld-14 + wasi-libc
#   $WB_CACHE/build/NAME/   unpacked sources, build dirs, stamps
#   $WB_CACHE/sysroot/      wasm32-wasi libraries we build (zlib, sqlite,
#                           libwbcompat)
#   $WB_OUT/NAME/           installed guest images (build/guests/NAME)
#
# Environment: WASMBOX_CACHE (default ~/.cache/wasmbox), WB_OUT
# (default <repo>/build/guests), JOBS (default: number of CPUs).

set -euo pipefail

WB_GUESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WB_SOURCES=${WB_SOURCES:-$WB_GUESTS_DIR/SOURCES}   # tests point this elsewhere
WB_ROOT=$(cd "$WB_GUESTS_DIR/../.." && pwd)
WB_CACHE=${WASMBOX_CACHE:-${HOME:-/tmp}/.cache/wasmbox}
WB_OUT=${WB_OUT:-$WB_ROOT/build/guests}
WB_SDK=$WB_CACHE/wasi-sdk
WB_SYSROOT=$WB_CACHE/sysroot
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LLVM_BIN=${LLVM_BIN:-/usr/lib/llvm-14/bin}
WASI_LIBC_INC=${WASI_LIBC_INC:-/usr/include/wasm32-wasi}
WASI_LIBC_LIB=${WASI_LIBC_LIB:-/usr/lib/wasm32-wasi}

mkdir -p "$WB_CACHE/src" "$WB_CACHE/build" "$WB_OUT"

log() { printf '[guests %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[guests] error: %s\n' "$*" >&2; exit 1; }

# source_field NAME FIELD: a field of NAME's line in SOURCES
# (fields: 1 kind, 2 package, 3 version, 4 file, 5 sha256).
source_field() {
    awk -v n="$1" -v f="$2" '!/^#/ && NF >= 5 && $2 == n { print $f; exit }' \
        "$WB_SOURCES"
}

sha256_ok() { # FILE SHA256
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# deb_versions PKG: the source versions `apt-cache showsrc` lists for PKG,
# newest first, each once.
deb_versions() {
    apt-cache showsrc "$1" 2>/dev/null |
        awk -v p="$1" '/^Package:/ { ok = $2 == p } ok && /^Version:/ { print $2 }' |
        awk '!seen[$0]++' | sort_versions
}

# sort_versions: Debian version strings on stdin, newest first (dpkg's
# ordering, which sort -V does not follow for epochs and ~).
sort_versions() {
    local vs=() v i j t
    while read -r v; do vs+=("$v"); done
    for ((i = 1; i < ${#vs[@]}; i++)); do
        for ((j = i; j > 0; j--)); do
            dpkg --compare-versions "${vs[j]}" gt "${vs[j-1]}" || break
            t=${vs[j]}; vs[j]=${vs[j-1]}; vs[j-1]=$t
        done
    done
    [ ${#vs[@]} -eq 0 ] || printf '%s\n' "${vs[@]}"
}

# fetch_deb NAME PKG FILE SHA256 DIR: try each source version of PKG,
# newest first, until FILE arrives in DIR with its sha256. The newest
# version can be one whose files the archive no longer serves (a security
# update listed in the index while only its predecessor's files are
# downloadable), so one failed version is not the end; only the upstream
# .orig tarball is used, so a missing Debian patch tarball is not fatal.
fetch_deb() {
    local name=$1 pkg=$2 file=$3 sum=$4 dir=$5 v tried=()
    command -v apt-get >/dev/null || die "apt-get not found"
    local versions
    versions=$(deb_versions "$pkg")
    [ -n "$versions" ] ||
        die "no deb-src entry for $pkg: run scripts/setup.sh (it adds one)"
    while read -r v; do
        tried+=("$v")
        log "fetching Debian source of $pkg=$v"
        (cd "$dir" && apt-get source --download-only -q "$pkg=$v" >&2) ||
            log "apt-get source $pkg=$v reported an error; checking the .orig tarball"
        if sha256_ok "$dir/$file" "$sum"; then return 0; fi
        rm -f "$dir/$file"
    done <<<"$versions"
    die "$name: $file (sha256 $sum) not delivered by any source version of $pkg (tried ${tried[*]})"
}

# fetch NAME [DIR]: make sure DIR/<file> of NAME (default $WB_CACHE/src)
# exists and matches its pinned sha256; prints the path. Debian sources
# come from `apt-get source`, Debian binary packages from `apt-get
# download`, npm packages from `npm pack`.
fetch() {
    local name=$1 dir=${2:-$WB_CACHE/src} kind pkg ver file sum path
    kind=$(source_field "$name" 1); pkg=$(source_field "$name" 2)
    ver=$(source_field "$name" 3); file=$(source_field "$name" 4)
    sum=$(source_field "$name" 5)
    [ -n "$kind" ] || die "$name: not listed in SOURCES"
    path=$dir/$file
    if sha256_ok "$path" "$sum"; then echo "$path"; return 0; fi
    rm -f "$path"
    case $kind in
    deb) fetch_deb "$name" "$pkg" "$file" "$sum" "$dir" ;;
    debbin)
        # a binary package of exactly the pinned version: an archive that
        # no longer serves it fails here, naming it (bump the pin)
        command -v apt-get >/dev/null || die "apt-get not found"
        log "fetching Debian package $pkg=$ver"
        (cd "$dir" && apt-get download -q "$pkg=$ver" >&2) ||
            die "$name: apt-get download $pkg=$ver failed (is the pinned version still in the archive? see SOURCES)"
        ;;
    npm)
        command -v npm >/dev/null || die "npm not found"
        log "fetching npm package $pkg@$ver"
        (cd "$dir" && npm pack --silent "$pkg@$ver" >/dev/null) ||
            die "npm pack $pkg@$ver failed"
        ;;
    *) die "$name: unknown kind $kind" ;;
    esac
    [ -f "$path" ] || die "$name: $file did not arrive"
    if ! sha256_ok "$path" "$sum"; then
        local got
        got=$(sha256sum "$path" | cut -d' ' -f1)
        rm -f "$path"                   # never left where a build looks
        die "$name: sha256 mismatch for $file (got $got, want $sum)"
    fi
    local integ
    integ=$(source_field "$name" 6)
    if [ -n "$integ" ]; then
        [ "sha512-$(openssl dgst -sha512 -binary "$path" | base64 -w0)" = "$integ" ] ||
            die "$name: sha512 integrity mismatch for $file"
    fi
    log "$file: sha256 ok"
    echo "$path"
}

# unpack TARBALL DEST: extract TARBALL so that its single top directory
# becomes DEST (removed first).
unpack() {
    local tarball=$1 dest=$2 tmp
    rm -rf "$dest" "$dest.tmp"
    mkdir -p "$dest.tmp"
    tar -xf "$tarball" -C "$dest.tmp"
    tmp=$(find "$dest.tmp" -mindepth 1 -maxdepth 1)
    [ "$(echo "$tmp" | wc -l)" = 1 ] || die "$tarball: expected one top directory"
    mv "$tmp" "$dest"
    rmdir "$dest.tmp"
}

# apply_patches DIR NAME: apply scripts/guests/patches/NAME-*.patch to DIR.
apply_patches() {
    local dir=$1 name=$2 p
    for p in "$WB_GUESTS_DIR"/patches/"$name"-*.patch; do
        [ -f "$p" ] || continue
        log "patch $(basename "$p")"
        patch -d "$dir" -p1 --forward --quiet < "$p"
    done
}

# stamp_ok NAME KEY: true if build step NAME was done with inputs KEY.
# stamp_set NAME KEY records it. KEY should cover sources, scripts, patches.
stamp_ok() { [ -f "$WB_CACHE/build/.stamp-$1" ] && [ "$(cat "$WB_CACHE/build/.stamp-$1")" = "$2" ]; }
stamp_set() { echo "$2" > "$WB_CACHE/build/.stamp-$1"; }

# source_line NAME: NAME's line in SOURCES (part of cache keys).
source_line() { awk -v n="$1" '!/^#/ && NF >= 5 && $2 == n' "$WB_SOURCES"; }

# inputs_key FILE...: a hash of the given files (scripts, patches, SOURCES).
inputs_key() {
    local f
    for f in "$@"; do if [ -f "$f" ]; then cat "$f"; fi; done | sha256sum | cut -c1-16
}

# make_sdk: a minimal WASI-SDK-shaped directory built from Debian's
# clang-14, lld-14, llvm-14 and wasi-libc, as CPython's Tools/wasm expects.
make_sdk() {
    local b=$WB_SDK/bin s=$WB_SDK/share/wasi-sysroot
    [ -x "$LLVM_BIN/clang" ] || die "clang-14 not found in $LLVM_BIN"
    [ -f "$WASI_LIBC_LIB/libc.a" ] || die "wasi-libc not installed"
    [ -f "$("$LLVM_BIN/clang" -print-resource-dir)/lib/wasi/libclang_rt.builtins-wasm32.a" ] ||
        die "libclang-rt-14-dev-wasm32 not installed"
    # clang runs wasm-opt itself when it links with -O and finds it: it
    # must always be there, or outputs would depend on what is installed.
    command -v wasm-opt >/dev/null ||
        die "wasm-opt not found (Debian package binaryen)"
    mkdir -p "$b" "$s/include" "$s/lib"
    # The sysroot keeps host headers (/usr/include) out of cross builds.
    ln -sfn "$WASI_LIBC_INC" "$s/include/wasm32-wasi"
    ln -sfn "$WASI_LIBC_LIB" "$s/lib/wasm32-wasi"
    local t
    for t in clang clang++ clang-cpp; do
        cat > "$b/$t.tmp" <<EOF
#!/bin/sh
exec "$LLVM_BIN/$t" --target=wasm32-wasi --sysroot="$s" -ffile-prefix-map="$WB_CACHE/"= "\$@"
EOF
        chmod +x "$b/$t.tmp"; mv "$b/$t.tmp" "$b/$t"
    done
    ln -sfn "$LLVM_BIN/wasm-ld" "$b/wasm-ld"
    for t in llvm-ar llvm-ranlib llvm-nm llvm-strip; do
        ln -sfn "$LLVM_BIN/$t" "$b/$t"
    done
    ln -sfn "$LLVM_BIN/llvm-ar" "$b/ar"
    ln -sfn "$LLVM_BIN/llvm-ranlib" "$b/ranlib"
    WASI_CC=$b/clang
    WASI_AR=$b/llvm-ar
    # shellcheck disable=SC2034   # used by python.sh
    WASI_RANLIB=$b/llvm-ranlib
    export WASI_SDK_PATH=$WB_SDK
}

# install_file SRC DEST: copy, creating directories.
install_file() { mkdir -p "$(dirname "$2")"; cp -f "$1" "$2"; }

# size_of FILE: human-readable size.
size_of() { du -sh "$1" | cut -f1; }

# ---- shared wasm32-wasi libraries, installed into $WB_SYSROOT ----------

# build_zlib: libz.a + zlib.h for wasm32-wasi (from Debian's zlib source).
build_zlib() {
    local key tb b=$WB_CACHE/build/zlib f objs=()
    tb=$(fetch zlib)
    key=$(source_line zlib | sha256sum | cut -c1-16)
    if stamp_ok zlib "$key" && [ -f "$WB_SYSROOT/lib/libz.a" ]; then return 0; fi
    log "zlib: building for wasm32-wasi"
    unpack "$tb" "$b/src"
    mkdir -p "$b/obj" "$WB_SYSROOT/lib" "$WB_SYSROOT/include"
    for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite \
             infback inffast inflate inftrees trees uncompr zutil; do
        "$WASI_CC" -O2 -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN -c \
            "$b/src/$f.c" -o "$b/obj/$f.o"
        objs+=("$b/obj/$f.o")
    done
    rm -f "$WB_SYSROOT/lib/libz.a"
    "$WASI_AR" rcs "$WB_SYSROOT/lib/libz.a" "${objs[@]}"
    cp "$b/src/zlib.h" "$b/src/zconf.h" "$WB_SYSROOT/include/"
    stamp_set zlib "$key"
}

# sqlite_amalgamation: generate sqlite3.c, sqlite3.h and shell.c from
# Debian's full SQLite source tree (needs a native cc and tclsh).
# Sets SQLITE_AMALG to the directory holding them.
sqlite_amalgamation() {
    local key tb b=$WB_CACHE/build/sqlite
    SQLITE_AMALG=$b/amalg
    tb=$(fetch sqlite3)
    key=$(source_line sqlite3 | sha256sum | cut -c1-16)
    if stamp_ok sqlite-amalg "$key" && [ -f "$SQLITE_AMALG/sqlite3.c" ]; then return 0; fi
    command -v tclsh >/dev/null || die "tclsh is needed to generate sqlite3.c (package tcl)"
    log "sqlite: generating the amalgamation (native tools)"
    unpack "$tb" "$b/src"
    rm -rf "$b/native"; mkdir -p "$b/native"
    (cd "$b/native" && CC=cc "$b/src/configure" --disable-tcl >configure.log 2>&1 &&
        make -j"$JOBS" sqlite3.c sqlite3.h shell.c >make.log 2>&1) ||
        die "sqlite amalgamation failed; see $b/native/*.log"
    rm -rf "$SQLITE_AMALG"; mkdir -p "$SQLITE_AMALG"
    cp "$b/native/sqlite3.c" "$b/native/sqlite3.h" "$b/native/shell.c" \
       "$b/src/src/sqlite3ext.h" "$SQLITE_AMALG/" 2>/dev/null ||
    cp "$b/native/sqlite3.c" "$b/native/sqlite3.h" "$b/native/shell.c" "$SQLITE_AMALG/"
    [ -f "$SQLITE_AMALG/sqlite3ext.h" ] || cp "$b/native/sqlite3ext.h" "$SQLITE_AMALG/" 2>/dev/null || true
    stamp_set sqlite-amalg "$key"
}

# Options for SQLite on WASI: no threads, no mmap, no dynamic extensions,
# no shared-memory WAL (wasi has no shm). File locking: the "unix" VFS,
# whose lock table covers the connections of the guest, with the
# fcntl(F_SETLK) answers of a single process (sqlite/wb_locks.c).
# (a string, not an array: its quotes are meant literally, and it is part
# of cache keys)
# shellcheck disable=SC2089
SQLITE_WASI_DEFS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION=1
 -DSQLITE_OMIT_WAL=1 -DSQLITE_MAX_MMAP_SIZE=0
 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1
 -DSQLITE_ENABLE_MATH_FUNCTIONS
 -DSQLITE_TEMP_STORE=3 -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID
 -D_WASI_EMULATED_PROCESS_CLOCKS -DSQLITE_DEFAULT_UNIX_VFS=\"unix\"
 -DSQLITE_EXTRA_INIT=wb_sqlite_locks_init
 -include $WB_GUESTS_DIR/patches/wasi-compat.h"

# sqlite_key: what libsqlite3.a is made from (part of the keys of the
# guests that link it).
sqlite_key() {
    # the checkout's path (in -include) is left out: a clone elsewhere
    # must find the same cache entries
    (source_line sqlite3; echo "${SQLITE_WASI_DEFS//"$WB_GUESTS_DIR"/GUESTS}";
     inputs_key "$WB_GUESTS_DIR/patches/wasi-compat.h" "$WB_GUESTS_DIR"/sqlite/*) |
        sha256sum | cut -c1-16
}

# build_sqlite_lib: libsqlite3.a + sqlite3.h for wasm32-wasi: sqlite3.o
# and wb_locks.o (also linked on their own by sqlite.sh).
build_sqlite_lib() {
    local key b=$WB_CACHE/build/sqlite
    sqlite_amalgamation
    key=$(sqlite_key)
    if stamp_ok sqlite-lib "$key" && [ -f "$WB_SYSROOT/lib/libsqlite3.a" ]; then return 0; fi
    log "sqlite: building libsqlite3.a for wasm32-wasi"
    mkdir -p "$WB_SYSROOT/lib" "$WB_SYSROOT/include"
    # shellcheck disable=SC2086,SC2090
    "$WASI_CC" -O2 $SQLITE_WASI_DEFS -c "$SQLITE_AMALG/sqlite3.c" -o "$b/sqlite3.o"
    # shellcheck disable=SC2086,SC2090
    "$WASI_CC" -O2 -Wall -Wextra -Werror $SQLITE_WASI_DEFS -I"$SQLITE_AMALG" \
        -c "$WB_GUESTS_DIR/sqlite/wb_locks.c" -o "$b/wb_locks.o"
    rm -f "$WB_SYSROOT/lib/libsqlite3.a"
    "$WASI_AR" rcs "$WB_SYSROOT/lib/libsqlite3.a" "$b/sqlite3.o" "$b/wb_locks.o"
    cp "$SQLITE_AMALG/sqlite3.h" "$WB_SYSROOT/include/"
    stamp_set sqlite-lib "$key"
}

# ---- libwbcompat.a: corrections to wasi-libc, in every guest -----------

# What every guest links ahead of wasi-libc (compat/README.md): the
# archive, and the reference that pulls its path lookup into guests that
# never call chdir (wasi-libc's is then not used at all).
# shellcheck disable=SC2034   # used by the guest scripts
WB_COMPAT_LIBS="-L$WB_SYSROOT/lib -lwbcompat -Wl,--undefined=__wasilibc_find_relpath_alloc"

# compat_key: what libwbcompat.a is made from (part of the guests' keys).
compat_key() { inputs_key "$WB_GUESTS_DIR"/compat/*; }

# build_compat: libwbcompat.a from compat/*.c into $WB_SYSROOT/lib.
build_compat() {
    local key b=$WB_CACHE/build/compat f objs=()
    key=$(compat_key)
    if stamp_ok compat "$key" && [ -f "$WB_SYSROOT/lib/libwbcompat.a" ]; then return 0; fi
    log "compat: building libwbcompat.a"
    rm -rf "$b"; mkdir -p "$b" "$WB_SYSROOT/lib"
    for f in "$WB_GUESTS_DIR"/compat/*.c; do
        "$WASI_CC" -O2 -Wall -Wextra -Werror -c "$f" -o "$b/$(basename "$f" .c).o"
        objs+=("$b/$(basename "$f" .c).o")
    done
    rm -f "$WB_SYSROOT/lib/libwbcompat.a"
    "$WASI_AR" rcs "$WB_SYSROOT/lib/libwbcompat.a" "${objs[@]}"
    stamp_set compat "$key"
}

# ---- libwbproc.a: POSIX processes over the host's wasmbox_proc -------

# The guest side of docs/processes.md (proc/README.md): fork, exec*,
# posix_spawn, wait*, pipe, dup*, fcntl, kill, signals, popen/system.
# Programs that link it compile with $WB_PROC_CFLAGS (its headers, which
# wrap wasi-libc's unistd.h, signal.h, fcntl.h and stdio.h to declare
# what wasi-libc hides) and link $WB_PROC_LIBS ahead of wasi-libc.
# shellcheck disable=SC2034   # used by the guest scripts
WB_PROC_CFLAGS="-I$WB_GUESTS_DIR/proc/include"
# shellcheck disable=SC2034
WB_PROC_LIBS="-L$WB_SYSROOT/lib -lwbproc"

# proc_key: what libwbproc.a is made from (part of the guests' keys).
proc_key() { inputs_key "$WB_GUESTS_DIR"/proc/*.[ch] "$WB_GUESTS_DIR"/proc/include/*.h \
                        "$WB_GUESTS_DIR"/proc/include/sys/*.h; }

# build_proc: libwbproc.a from proc/*.c into $WB_SYSROOT/lib.
build_proc() {
    local key b=$WB_CACHE/build/proc f objs=()
    key=$(proc_key)
    if stamp_ok proc "$key" && [ -f "$WB_SYSROOT/lib/libwbproc.a" ]; then return 0; fi
    log "proc: building libwbproc.a"
    rm -rf "$b"; mkdir -p "$b" "$WB_SYSROOT/lib"
    for f in "$WB_GUESTS_DIR"/proc/*.c; do
        "$WASI_CC" -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
            -I"$WB_GUESTS_DIR/proc/include" -c "$f" -o "$b/$(basename "$f" .c).o"
        objs+=("$b/$(basename "$f" .c).o")
    done
    rm -f "$WB_SYSROOT/lib/libwbproc.a"
    "$WASI_AR" rcs "$WB_SYSROOT/lib/libwbproc.a" "${objs[@]}"
    stamp_set proc "$key"
}

# Libraries wasi-libc provides to emulate missing POSIX pieces.
# shellcheck disable=SC2034   # used by sqlite.sh
WASI_EMU_LIBS="-lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks -lwasi-emulated-mman"
