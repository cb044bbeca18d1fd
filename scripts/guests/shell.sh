#!/bin/bash
# scripts/guests/shell.sh: the shell and the everyday tools for wasm32-wasi
# -> dash.wasm (Debian's dash 0.5.12: `sh`, `dash`) and busybox.wasm
# (busybox 1.35.0: one multi-call image for ls, grep, sed, awk, ...) with
# `applets`, the names busybox.wasm answers to (the process layer lists
# them under /bin). Both link libwbproc.a (proc/: processes over the
# host's wasmbox_proc) and shell/wb_posix.c (users, modes, temporary
# files, realpath). README.md says why these two.
#
# dash: no job control (no terminal), no line editing; setjmp/longjmp
# (its errors, `exit`, traps) come from Lua's Asyncify implementation
# (lua/wb_sjlj.c, with shell/wb_sjlj_stack.c), applied after linking.
# busybox: the committed shell/busybox.config (tools only, no shell, no
# networking, no suid); patches/busybox-*.patch say what WASI forces.
#
# Output: $WB_OUT/shell/{dash.wasm,busybox.wasm,applets}
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

B=$WB_CACHE/build/shell
S=$WB_GUESTS_DIR/shell
make_sdk
build_compat
build_proc
command -v wasm-opt >/dev/null || die "wasm-opt not found (Debian package binaryen)"

# Flags of everything linked into the shell images.
SHELL_CFLAGS="-O2 -D_GNU_SOURCE -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -I$S/include $WB_PROC_CFLAGS"
SHELL_LIBS="$WB_PROC_LIBS $WB_COMPAT_LIBS -lm $WASI_EMU_LIBS"
SHELL_REV=1   # bump when the flags above or below change

# shell_common_key: what the shared objects and flags are made from.
shell_common_key() {
    (echo "$SHELL_REV $SHELL_CFLAGS $SHELL_LIBS" | sed "s|$WB_GUESTS_DIR|GUESTS|g"
     compat_key; proc_key; find "$S/include" -type f | LC_ALL=C sort | xargs cat;
     cat "$WB_GUESTS_DIR/shell.sh" "$S/wb_posix.c" "$S/stat.c") |
        sha256sum | cut -c1-16
}

# The objects both images link: wb_posix.o (what wasi-libc lacks) and
# stat.o (replaces wasi-libc's fstat.o and fstatat.o).
build_posix() {
    local f
    mkdir -p "$B/obj"
    for f in wb_posix stat; do
        # shellcheck disable=SC2086
        "$WASI_CC" $SHELL_CFLAGS -Wall -Wextra -Werror -c "$S/$f.c" -o "$B/obj/$f.o"
    done
    POSIX_OBJS="$B/obj/wb_posix.o $B/obj/stat.o"
}

# ---- dash --------------------------------------------------------------

build_dash() {
    local tb key d=$B/dash
    tb=$(fetch dash)
    key=$( (shell_common_key; source_line dash; cat "$WB_GUESTS_DIR"/lua/wb_sjlj.* \
            "$S"/wb_sjlj_stack.c "$S"/include-dash/* \
            "$WB_GUESTS_DIR"/patches/dash-*.patch 2>/dev/null;
            wasm-opt --version) | sha256sum | cut -c1-16)
    if stamp_ok dash "$key" && [ -f "$d/dash.wasm" ]; then return 0; fi
    log "dash: building for wasm32-wasi"
    local t0=$SECONDS
    build_posix
    unpack "$tb" "$d/src"
    apply_patches "$d/src" dash
    # shellcheck disable=SC2086
    "$WASI_CC" $SHELL_CFLAGS -I"$WB_GUESTS_DIR/lua" -c "$WB_GUESTS_DIR/lua/wb_sjlj.c" \
        -DWB_SJLJ_MAIN=wb_dash_main '-DWB_SJLJ_NAME="sh"' -o "$B/obj/wb_sjlj.o"
    # shellcheck disable=SC2086
    "$WASI_CC" $SHELL_CFLAGS -I"$WB_GUESTS_DIR/lua" -c "$S/wb_sjlj_stack.c" \
        -o "$B/obj/wb_sjlj_stack.o"
    # JOBS=0: no job control (no terminal).
    (cd "$d/src" &&
        CC=$WASI_CC CC_FOR_BUILD=cc \
        CFLAGS="$SHELL_CFLAGS -DJOBS=0 -I$S/include-dash -I$WB_GUESTS_DIR/lua" \
        LDFLAGS="-Wl,-z,stack-size=1048576 -Wl,--stack-first" \
        LIBS="$POSIX_OBJS $B/obj/wb_sjlj.o $B/obj/wb_sjlj_stack.o $SHELL_LIBS" \
        ./configure --host=wasm32-unknown-wasi --build="$(cc -dumpmachine)" \
            --without-libedit --disable-lineno >"$d/configure.log" 2>&1) ||
        die "dash: configure failed; see $d/configure.log"
    # main.c's main becomes wb_dash_main, called by wb_sjlj.c's driver
    make -C "$d/src" -j"$JOBS" CFLAGS="$SHELL_CFLAGS -DJOBS=0 -I$S/include-dash -I$WB_GUESTS_DIR/lua -Dmain=wb_dash_main" \
        CFLAGS_FOR_BUILD="-O2" >"$d/make.log" 2>&1 ||
        die "dash: make failed; see $d/make.log"
    # Linked again without -O: with it clang runs wasm-opt, which drops
    # the function names the asyncify lists below refer to.
    # shellcheck disable=SC2086
    "$WASI_CC" -o "$d/dash-raw.wasm" "$d"/src/src/*.o "$d"/src/src/bltin/*.o \
        -Wl,-z,stack-size=1048576 -Wl,--stack-first \
        $POSIX_OBJS "$B/obj/wb_sjlj.o" "$B/obj/wb_sjlj_stack.o" $SHELL_LIBS
    wasm-opt --asyncify \
        --pass-arg=asyncify-imports@wasi_snapshot_preview1.none \
        --pass-arg=asyncify-removelist@main,wb_sjlj_drive \
        "$d/dash-raw.wasm" -o "$d/dash-async.wasm"
    wasm-opt -O2 --strip-debug "$d/dash-async.wasm" -o "$d/dash.wasm"
    log "dash: build took $((SECONDS - t0))s"
    stamp_set dash "$key"
}

# ---- busybox -----------------------------------------------------------

build_busybox() {
    local tb key d=$B/busybox
    tb=$(fetch busybox)
    key=$( (shell_common_key; source_line busybox; cat "$S/busybox.config" \
            "$S"/include-busybox/* "$WB_GUESTS_DIR"/patches/busybox-*.patch) |
          sha256sum | cut -c1-16)
    if stamp_ok busybox "$key" && [ -f "$d/busybox.wasm" ] && [ -f "$d/applets" ]; then
        return 0
    fi
    log "busybox: building for wasm32-wasi"
    local t0=$SECONDS
    build_posix
    unpack "$tb" "$d/src"
    apply_patches "$d/src" busybox
    cp "$S/busybox.config" "$d/src/.config"
    # the banner's build date (AUTOCONF_TIMESTAMP) is the release's, taken
    # from the pinned tarball, so that a rebuild gives the same bytes
    SOURCE_DATE_EPOCH=$(stat -c %Y "$d/src/Makefile")
    export SOURCE_DATE_EPOCH
    # the committed configuration is complete: oldconfig must ask nothing
    (cd "$d/src" && make oldconfig </dev/null >"$d/config.log" 2>&1) ||
        die "busybox: the configuration is incomplete; see $d/config.log"
    diff <(grep -v '^#' "$S/busybox.config") <(grep -v '^#' "$d/src/.config") \
        >"$d/config.diff" ||
        die "busybox: oldconfig changed the configuration; see $d/config.diff"
    # Its own -Os gives way to -O2 (later); gnu11 for wasi-libc's
    # max_align_t. busybox's trylink passes --start-group, which wasm-ld
    # does not know (nor need): the link command is given instead.
    local bbflags="-std=gnu11 $SHELL_CFLAGS -I$S/include-busybox -I$S/include"
    # shellcheck disable=SC2016   # $@, $(core-y), $(libs-y): make's
    make -C "$d/src" -j"$JOBS" CC="$WASI_CC" AR="$WASI_AR" HOSTCC=cc \
        EXTRA_CFLAGS="$bbflags -Wno-error" SKIP_STRIP=y \
        cmd_busybox__='$(CC) -O2 -o $@ -Wl,--gc-sections -Wl,--strip-debug -Wl,-z,stack-size=1048576 -Wl,--stack-first $(core-y) $(libs-y) '"$POSIX_OBJS $SHELL_LIBS" \
        busybox_unstripped busybox.links >"$d/make.log" 2>&1 ||
        die "busybox: make failed; see $d/make.log"
    cp "$d/src/busybox_unstripped" "$d/busybox.wasm"
    # a module importing fork runs in the interpreter only (processes.md)
    if wasm-dis "$d/busybox.wasm" | grep -c '(import "wasmbox_proc" "fork"' >/dev/null; then
        die "busybox: busybox.wasm imports wasmbox_proc.fork"
    fi
    sed 's|.*/||' "$d/src/busybox.links" | LC_ALL=C sort -u > "$d/applets"
    log "busybox: build took $((SECONDS - t0))s"
    stamp_set busybox "$key"
}

build_dash
build_busybox
install_file "$B/dash/dash.wasm" "$WB_OUT/shell/dash.wasm"
install_file "$B/busybox/busybox.wasm" "$WB_OUT/shell/busybox.wasm"
install_file "$B/busybox/applets" "$WB_OUT/shell/applets"
log "shell: dash.wasm $(size_of "$WB_OUT/shell/dash.wasm"), busybox.wasm" \
    "$(size_of "$WB_OUT/shell/busybox.wasm") ($(wc -l < "$WB_OUT/shell/applets") applets)"
