#!/bin/bash
# tests/oslock/run.sh: the OS lock-down of `wasmbox run` (issue 15). With
# the test binary $WB_BUILD/tests/wasmbox-attempt (make oslock-check), a
# process that stands for a guest which has broken the engine attempts,
# right after the lock-down, what a real escape would do: read
# /etc/passwd and a file beside its grant, write outside its grants,
# execve /bin/sh, connect to a loopback listener, ptrace its parent, make
# memory executable. Each must be refused or kill the process (SIGSYS:
# status 159); with --no-os-sandbox each must succeed, so the test shows
# that the lock-down is what stops them. Runs itself inside `unshare
# --net` (127.0.0.1 only). Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
A=$B/tests/wasmbox-attempt
if [ -z "${WB_OSLOCK_NETNS:-}" ]; then
    WB_OSLOCK_NETNS=1 exec unshare --net bash "$0" "$@"
fi
ip link set lo up
. "$root/tests/lib.sh"        # pass, fail, skip, summary
if [ ! -x "$A" ] || [ ! -x "$W" ]; then
    fail "$A or $W not built (make oslock-check)"
    summary
    exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wboslock.XXXXXX")
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$T"' EXIT
clang-14 --target=wasm32-wasi --sysroot=/usr -O1 -o "$T/guest.wasm" \
    "$root/tests/oslock/guest.c" || { fail "cannot build the guest"; summary; exit 1; }
mkdir "$T/grant"
echo inside >"$T/grant/in.txt"
echo secret >"$T/beside.txt"

# A loopback listener that accepts forever; its port in $T/port.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True: s.accept()[0].close()' "$T/port.tmp" &
lpid=$!
for _ in $(seq 50); do [ -s "$T/port.tmp" ] && break; sleep 0.1; done
mv "$T/port.tmp" "$T/port" 2>/dev/null
port=$(cat "$T/port" 2>/dev/null)

# attempt WHAT [RUN OPTIONS]: run the hook; sets $status, $err, $out.
attempt() {
    local what=$1
    shift
    WB_TEST_ATTEMPT=$what timeout 20 "$A" run --dir "$T/grant:/g" "$@" \
        "$T/guest.wasm" >"$T/out" 2>"$T/err"
    status=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}

# stopped WHAT DESC: the attempt is refused (the guest then runs) or the
# process is killed by seccomp (159 = 128 + SIGSYS); allowed with
# --no-os-sandbox.
stopped() {
    local what=$1 desc=$2
    attempt "$what"
    case "$status:$err" in
    159:*) pass "$desc: killed (SIGSYS)" ;;
    0:*"attempt $what: refused: "*)
        if [ "$out" = "guest ran" ]; then pass "$desc: refused (${err##*: })"
        else fail "$desc: refused but the guest did not run: $out"; fi ;;
    *) fail "$desc: not stopped (status $status): $err" ;;
    esac
    attempt "$what" --no-os-sandbox
    if [ "$status" = 0 ] && [[ $err == *"attempt $what: allowed"* ]]; then
        pass "$desc: allowed with --no-os-sandbox"
    else
        fail "$desc with --no-os-sandbox: status $status: $err"
    fi
}

stopped open:/etc/passwd "read /etc/passwd"
stopped "open:$T/beside.txt" "read a file beside the grant"
stopped "write:$T/outside.txt" "write outside the grants"
rm -f "$T/outside.txt"
attempt "write:$T/outside.txt"
[ -e "$T/outside.txt" ] && fail "a file outside the grants was made" \
    || pass "no file made outside the grants"
stopped exec "execve /bin/sh"
if [ -n "$port" ]; then
    stopped "connect:$port" "TCP connect to 127.0.0.1:$port"
    # network rules open their own TCP ports only (docs/network.md)
    other=$((port == 65535 ? port - 1 : port + 1))
    attempt "connect:$port" --allow-host "http://127.0.0.1:$other"
    if "$A" sandbox-info 2>/dev/null | grep -q "no TCP bind or connect"; then
        case "$status:$err" in
        0:*"attempt connect:$port: refused: "*)
            pass "with a rule for port $other, port $port stays refused" ;;
        *) fail "with a rule for port $other, port $port: status $status: $err" ;;
        esac
    else
        skip "network rules and ports (no Landlock ABI 4 here)"
    fi
    attempt "connect:$port" --allow-host "http://127.0.0.1:$port"
    case "$status:$err" in
    0:*"attempt connect:$port: allowed"*)
        pass "a rule's port may be connected to (its address is checked by src/net)" ;;
    *) fail "with a rule for port $port: status $status: $err" ;;
    esac
else
    fail "no loopback listener"
fi
stopped ptrace "ptrace of the parent"
# as root the process may keep uid 0: no set-user-ID file in a grant
if [ "$(id -u)" = 0 ]; then
    stopped "suid:$T/grant/prog" "a set-user-ID file in a grant (as root)"
    rm -f "$T/grant/prog"
fi
stopped mprotect "mprotect to executable"

# The grant itself still works, both ways.
attempt "open:$T/grant/in.txt"
[ "$status" = 0 ] && [[ $err == *"allowed"* ]] && pass "the grant is readable" \
    || fail "grant read: status $status: $err"
attempt "write:$T/grant/new.txt"
[ "$status" = 0 ] && [[ $err == *"allowed"* ]] && [ -s "$T/grant/new.txt" ] &&
    pass "the grant is writable" || fail "grant write: status $status: $err"
# A read-only grant: read by the guest, not writable by the process.
mkdir "$T/ro" && echo ro >"$T/ro/f"
WB_TEST_ATTEMPT="write:$T/ro/new" timeout 20 "$A" run --dir "$T/ro:/ro:ro" \
    "$T/guest.wasm" /ro/f >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 0 ] && grep -q "refused" "$T/err" && [ ! -e "$T/ro/new" ] &&
   grep -q "read ro" "$T/out"; then
    pass "a read-only grant is read, not written, by the host process"
else
    fail "read-only grant: status $status: $(cat "$T/err" "$T/out")"
fi

# Fail closed: a lock-down that cannot be prepared stops the run (122).
timeout 20 "$W" run --os-user no-such-user-wb "$T/guest.wasm" >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 122 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ]; then
    pass "no such --os-user: exit 122, one line, the guest did not run"
else
    fail "bad --os-user: status $status: $(cat "$T/err" "$T/out")"
fi

# The layers are described, computed on this kernel.
info=$("$W" sandbox-info)
for layer in rlimits privileges no_new_privs landlock seccomp; do
    [[ $info == *"  $layer "* ]] && pass "sandbox-info names $layer" ||
        fail "sandbox-info lacks $layer: $info"
done
"$W" run --help | grep -q "^OS sandbox layers on this kernel:" &&
    pass "run --help lists the layers" || fail "run --help lacks the layers"

# As root, the run drops to nobody where nobody can use the grants: the
# process cannot read a root-only file, even inside its grant.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    mkdir -p "$T/pub" && chmod 755 "$T" "$T/pub"
    echo x >"$T/pub/open.txt" && chmod 644 "$T/pub/open.txt"
    echo x >"$T/pub/rootonly.txt" && chmod 600 "$T/pub/rootonly.txt"
    WB_TEST_ATTEMPT="open:$T/pub/rootonly.txt" timeout 20 "$A" run \
        --dir "$T/pub:/p:ro" "$T/guest.wasm" /p/open.txt >"$T/out" 2>"$T/err"
    if grep -q "refused: Permission denied" "$T/err" && grep -q "read x" "$T/out"; then
        pass "root drops to nobody when nobody can use the grants"
    else
        fail "uid drop: $(cat "$T/err" "$T/out")"
    fi
    WB_TEST_ATTEMPT="open:$T/pub/rootonly.txt" timeout 20 "$A" run \
        --os-user root --dir "$T/pub:/p:ro" "$T/guest.wasm" >"$T/out" 2>"$T/err"
    grep -q "allowed" "$T/err" && pass "--os-user root keeps uid 0" ||
        fail "--os-user root: $(cat "$T/err")"
    chmod 700 "$T"
    # now nobody cannot enter $T: the run keeps uid 0 (the check of the
    # grants as nobody is made in-process and undone)
    WB_TEST_ATTEMPT="open:$T/pub/rootonly.txt" timeout 20 "$A" run \
        --dir "$T/pub:/p:ro" "$T/guest.wasm" /p/open.txt >"$T/out" 2>"$T/err"
    if grep -q "allowed" "$T/err" && grep -q "read x" "$T/out"; then
        pass "root keeps uid 0 when nobody cannot use the grants"
    else
        fail "no drop: $(cat "$T/err" "$T/out")"
    fi
fi

# Sanitizer builds: their reports still work under the lock-down.
if nm "$A" 2>/dev/null | grep -q __asan_init; then
    attempt leak
    [ "$status" != 0 ] && [[ $err == *"LeakSanitizer: detected memory leaks"* ]] &&
        pass "LeakSanitizer reports a leak under the lock-down" ||
        fail "leak: status $status: $(head -c 300 "$T/err")"
    attempt overflow
    [ "$status" != 0 ] && [[ $err == *"AddressSanitizer: heap-buffer-overflow"* ]] &&
        pass "AddressSanitizer reports an overflow under the lock-down" ||
        fail "overflow: status $status: $(head -c 300 "$T/err")"
fi

# The servers run many guests on threads of one process: they must not
# lock themselves down; only their worker processes do
# (src/session/wb_session_worker.c, tests/isolation).
objs=$(ls "$B"/src/server/*.o "$B"/src/session/*.o "$B"/src/cli/serve.o \
       "$B"/src/cli/mcp.o 2>/dev/null | grep -v '/wb_session_worker\.o$')
if [ -z "$objs" ]; then
    fail "no server objects in $B"
elif nm $objs | grep -q ' U wb_oslock_apply'; then
    fail "a server or session object locks down: $(nm -A $objs | grep ' U wb_oslock_apply')"
elif ! nm "$B/src/session/wb_session_worker.o" 2>/dev/null | grep -q ' U wb_oslock_apply'; then
    fail "the servers' workers do not lock down ($B/src/session/wb_session_worker.o)"
else
    pass "only the servers' workers lock down, not the servers"
fi

# The language commands take --no-os-sandbox too (through run).
G=${WASMBOX_GUESTS:-$B/guests}
if [ -f "$G/lua/lua.wasm" ]; then
    for o in "" --no-os-sandbox; do
        r=$(WASMBOX_GUESTS=$G timeout 30 "$W" lua $o -e 'print(6*7)' 2>&1)
        [ "$r" = 42 ] && pass "wasmbox lua ${o:-(locked)} runs" ||
            fail "wasmbox lua $o: $r"
    done
else
    skip "wasmbox lua (locked and --no-os-sandbox): no lua image in $G"
    skip "wasmbox lua --no-os-sandbox: no lua image in $G"
fi
summary
