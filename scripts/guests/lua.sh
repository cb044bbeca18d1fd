#!/bin/bash
# scripts/guests/lua.sh: Lua 5.4 (Debian's lua5.4 source) for wasm32-wasi
# -> lua.wasm.
#
# WASI has no setjmp/longjmp, which Lua's error handling (error, pcall,
# coroutine.yield) needs: lua/wb_sjlj.[ch] implement it with Binaryen's
# Asyncify pass (wasm-opt, Debian package binaryen), applied after linking.
# io.popen, os.execute, os.tmpname and io.tmpfile report failure.
#
# Output: $WB_OUT/lua/lua.wasm
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

B=$WB_CACHE/build/lua
make_sdk
build_compat
command -v wasm-opt >/dev/null || die "wasm-opt not found (Debian package binaryen)"
tb=$(fetch lua5.4)

LUA_REV=3   # bump when the flags below change
key=$( (echo "$LUA_REV"; source_line lua5.4; compat_key; cat "$WB_GUESTS_DIR"/lua/wb_sjlj.* \
        "$WB_GUESTS_DIR/patches/wasi-stubs.c"; wasm-opt --version) | sha256sum | cut -c1-16)
if ! stamp_ok lua "$key" || [ ! -f "$B/lua.wasm" ]; then
    log "lua: building for wasm32-wasi"
    t0=$(date +%s)
    unpack "$tb" "$B/src"
    rm -rf "$B/obj"; mkdir -p "$B/obj" "$B/compat"
    : > "$B/compat/setjmp.h"     # ldo.c includes it; wb_sjlj.h replaces it
    cflags=(-O2 -DLUA_COMPAT_5_3 -D_WASI_EMULATED_SIGNAL
            -D_WASI_EMULATED_PROCESS_CLOCKS -I"$B/compat" -I"$WB_GUESTS_DIR/lua"
            -include "$WB_GUESTS_DIR/lua/wb_sjlj.h"
            -DLUA_TMPNAMBUFSIZE=32 '-Dlua_tmpnam(b,e)=(e=1)')
    objs=()
    for f in "$B"/src/src/*.c; do
        n=$(basename "$f" .c)
        [ "$n" = luac ] && continue
        extra=()
        # main is in wb_sjlj.c; ask isatty() rather than assume a terminal
        [ "$n" = lua ] && extra=(-Dmain=wb_lua_main -include unistd.h
                                 '-Dlua_stdin_is_tty()=isatty(0)')
        "$WASI_CC" "${cflags[@]}" "${extra[@]}" -c "$f" -o "$B/obj/$n.o" &
        objs+=("$B/obj/$n.o")
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    done
    wait
    for o in "${objs[@]}"; do [ -f "$o" ] || die "lua: compiling $(basename "$o" .o).c failed"; done
    "$WASI_CC" -O2 -I"$WB_GUESTS_DIR/lua" -c "$WB_GUESTS_DIR/lua/wb_sjlj.c" -o "$B/obj/wb_sjlj.o"
    "$WASI_CC" -O2 -Wno-deprecated-declarations \
        -c "$WB_GUESTS_DIR/patches/wasi-stubs.c" -o "$B/obj/wasi-stubs.o"
    # Link without -O so clang does not run wasm-opt itself (which would
    # drop the function names the Asyncify lists below refer to).
    # shellcheck disable=SC2086
    "$WASI_CC" -o "$B/lua-raw.wasm" "${objs[@]}" "$B/obj/wb_sjlj.o" "$B/obj/wasi-stubs.o" \
        $WB_COMPAT_LIBS -lm -lwasi-emulated-signal -lwasi-emulated-process-clocks \
        -Wl,-z,stack-size=1048576 -Wl,--stack-first
    # No WASI import unwinds; only wb_setjmp/wb_longjmp (which call the
    # asyncify.* intrinsics) do. The driver must stay uninstrumented.
    wasm-opt --asyncify \
        --pass-arg=asyncify-imports@wasi_snapshot_preview1.none \
        --pass-arg=asyncify-removelist@main,wb_sjlj_drive \
        "$B/lua-raw.wasm" -o "$B/lua-async.wasm"
    wasm-opt -O2 --strip-debug "$B/lua-async.wasm" -o "$B/lua.wasm"
    log "lua: build took $(( $(date +%s) - t0 ))s"
    stamp_set lua "$key"
fi

install_file "$B/lua.wasm" "$WB_OUT/lua/lua.wasm"
log "lua: lua.wasm $(size_of "$WB_OUT/lua/lua.wasm")"
