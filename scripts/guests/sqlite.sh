#!/bin/bash
# scripts/guests/sqlite.sh: the SQLite shell (shell.c + sqlite3.c, from
# Debian's sqlite3 source package) for wasm32-wasi -> sqlite3.wasm.
# Built without threads, WAL, mmap and loadable extensions; locks cover
# the connections of one guest (sqlite/wb_locks.c); .system/.shell and
# pipes are unavailable.
#
# Output: $WB_OUT/sqlite/sqlite3.wasm
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

B=$WB_CACHE/build/sqlite
make_sdk
build_compat
build_sqlite_lib   # also generates the amalgamation (sqlite3.c, shell.c)

SHELL_REV=2   # bump when the flags below change
key=$( (echo "$SHELL_REV"; sqlite_key; compat_key;
        cat "$WB_GUESTS_DIR"/patches/wasi-*) | sha256sum | cut -c1-16)
if ! stamp_ok sqlite-shell "$key" || [ ! -f "$B/sqlite3.wasm" ]; then
    log "sqlite: building the shell for wasm32-wasi"
    t0=$(date +%s)
    # WASI has no user database: a pwd.h whose getpwuid() finds nobody
    # (the shell then falls back to $HOME).
    mkdir -p "$B/compat"
    cat > "$B/compat/pwd.h" <<'END'
#include <sys/types.h>
struct passwd { char *pw_name; char *pw_dir; };
static inline struct passwd *getpwuid(uid_t uid) { (void)uid; return 0; }
END
    # shellcheck disable=SC2086,SC2090
    "$WASI_CC" -O2 $SQLITE_WASI_DEFS -D_WASI_EMULATED_SIGNAL -I"$B/compat" \
        -DSQLITE_OMIT_POPEN -DHAVE_READLINE=0 -DHAVE_EDITLINE=0 \
        -I"$SQLITE_AMALG" -c "$SQLITE_AMALG/shell.c" -o "$B/shell.o"
    "$WASI_CC" -O2 -c "$WB_GUESTS_DIR/patches/wasi-stubs.c" -o "$B/wasi-stubs.o"
    # shellcheck disable=SC2086
    "$WASI_CC" -O2 -o "$B/sqlite3.wasm" "$B/shell.o" "$B/sqlite3.o" "$B/wb_locks.o" \
        "$B/wasi-stubs.o" $WB_COMPAT_LIBS -lm $WASI_EMU_LIBS -Wl,-z,stack-size=1048576 -Wl,--stack-first \
        -Wl,--strip-debug
    log "sqlite: shell build took $(( $(date +%s) - t0 ))s"
    stamp_set sqlite-shell "$key"
fi

install_file "$B/sqlite3.wasm" "$WB_OUT/sqlite/sqlite3.wasm"
log "sqlite: sqlite3.wasm $(size_of "$WB_OUT/sqlite/sqlite3.wasm")"
