# tests/net/netns.sh: sourced (after tests/lib.sh, with $WASMBOX set) by
# the scripts of tests/net that run guests against servers on loopback.
#
# net_enter TOOL...: skips when a tool is missing; else re-runs the
# calling script inside a network namespace of its own (unshare --net
# --mount, only lo up: no packet can leave the machine), makes $T (a
# scratch directory removed at exit with the processes in $SRV and
# $SPID) and builds tests/net/guest.c as $T/g.wasm.
net_enter() {
    if [ -z "${WB_NET_INSIDE:-}" ]; then
        for tool in "$@"; do
            command -v $tool >/dev/null || { skip "network tests ($tool missing)"; summary; exit; }
        done
        WB_NET_INSIDE=1 exec unshare --net --mount bash "$0" "$WASMBOX"
    fi
    ip link set lo up
    T=$(mktemp -d /tmp/wasmbox-net-test.XXXXXX)
    SRV=
    SPID=
    trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; [ -n "$SRV" ] && kill $SRV 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
    clang --target=wasm32-wasi -O2 -I include/guest tests/net/guest.c -o "$T/g.wasm" ||
        { fail "guest.c does not build"; summary; exit; }
}

check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

# g [RUN-OPTIONS...] -- ARGS...: run the guest, its stdout in $T/out, the
# report in $T/rep
g() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    "$WASMBOX" run "${opts[@]}" --report "$T/rep" "$T/g.wasm" "$@" \
        > "$T/out" 2>"$T/err"
}
has() { grep -qF -- "$1" "$T/out"; }
