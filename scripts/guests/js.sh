#!/bin/bash
# scripts/guests/js.sh: QuickJS (2021-03-27) for wasm32-wasi -> qjs.wasm.
#
# The sources come from the npm package qjsc@0.3.0, which carries them
# under deps/quickjs_2021_03_27. Our patch patches/quickjs-01-wasi.patch
# removes what WASI lacks (threads/Atomics.wait, os.exec/fork, signals,
# terminals, dlopen, fesetround) and replaces the REPL by reading the
# script from stdin. BigInt (CONFIG_BIGNUM) is enabled. js/wb_http.c and
# js/fetch.js add a global fetch() over the host's wasmbox_http import
# (patches/quickjs-02-fetch.patch calls them at start-up).
#
# Output: $WB_OUT/js/qjs.wasm
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

B=$WB_CACHE/build/js
make_sdk
build_compat
tb=$(fetch qjsc)

QJS_REV=4   # bump when the flags below change
JSEXT=$WB_GUESTS_DIR/js
key=$( (echo "$QJS_REV"; source_line qjsc; compat_key; cat "$WB_GUESTS_DIR"/patches/quickjs-*.patch
        cat "$JSEXT"/* "$WB_GUESTS_DIR/wasmbox_http.h") |
    sha256sum | cut -c1-16)
if ! stamp_ok js "$key" || [ ! -f "$B/qjs.wasm" ]; then
    log "js: building QuickJS for wasm32-wasi"
    t0=$(date +%s)
    unpack "$tb" "$B/pkg"
    rm -rf "$B/src" "$B/obj"
    mv "$B/pkg/deps/quickjs_2021_03_27" "$B/src"
    rm -rf "$B/pkg"
    apply_patches "$B/src" quickjs
    mkdir -p "$B/obj"
    ver=$(cat "$B/src/VERSION")
    cp "$JSEXT/wb_http.c" "$WB_GUESTS_DIR/wasmbox_http.h" "$B/src/"
    # fetch.js as a C string for wb_http.c
    { echo 'static const char wb_fetch_js[] ='
      sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/\\n"/' "$JSEXT/fetch.js"
      echo ';'; } > "$B/src/fetch_js.h"
    objs=()
    for f in quickjs libregexp libunicode cutils libbf quickjs-libc qjs wb_http; do
        "$WASI_CC" -O2 -D_GNU_SOURCE -DCONFIG_VERSION="\"$ver\"" -DCONFIG_BIGNUM \
            -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
            -Wno-implicit-const-int-float-conversion \
            -c "$B/src/$f.c" -o "$B/obj/$f.o" &
        objs+=("$B/obj/$f.o")
        # at most $JOBS compilers at once
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    done
    wait
    for o in "${objs[@]}"; do [ -f "$o" ] || die "js: compiling $(basename "$o" .o).c failed"; done
    # shellcheck disable=SC2086
    "$WASI_CC" -O2 -o "$B/qjs.wasm" "${objs[@]}" $WB_COMPAT_LIBS -lm \
        -lwasi-emulated-signal -lwasi-emulated-process-clocks \
        -Wl,-z,stack-size=4194304 -Wl,--stack-first -Wl,--strip-debug
    log "js: build took $(( $(date +%s) - t0 ))s"
    stamp_set js "$key"
fi

install_file "$B/qjs.wasm" "$WB_OUT/js/qjs.wasm"
log "js: qjs.wasm $(size_of "$WB_OUT/js/qjs.wasm")"
