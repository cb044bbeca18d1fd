#!/bin/bash
# tests/http/flood.sh [WASMBOX]: floods of idle TCP connections, without
# an API key, against `wasmbox serve` and `wasmbox mcp --http`
# (tests/http/flood.py): clients are still served, the servers keep at
# most --max-connections of them (and `mcp` as many threads), and idle
# ones are cut at --header-timeout; a per-address cap
# (--max-connections-per-client) and its default. Runs in its own network
# namespace (unshare --net; SKIP without it). About 20 s.
# Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WASMBOX=$(realpath "${1:-build/wasmbox}")
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "connection floods (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 unshare --net bash "$0" "$WASMBOX"
fi
ip link set lo up
T=$(mktemp -d /tmp/wasmbox-flood.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
ulimit -n 4096
KEY=flood-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "alice:$KEY" > "$T/keys"
chmod 600 "$T/keys"

count() {   # count LOGFILE: add its ok/FAIL lines, show them
    cat "$1"
    add_counts "$(grep -c '^ok' "$1") passed, $(grep -c '^FAIL' "$1") failed"
}
# start NAME ADDR-REGEX ARGS...: the server's port in $PORT, pid in $PID
start() {
    local name=$1 re=$2; shift 2
    env -u WASMBOX_API_KEYS "$WASMBOX" "$@" 2>"$T/$name.log" &
    PID=$!
    PIDS+=("$PID")
    PORT=
    for _ in $(seq 200); do
        PORT=$(sed -n "s/.*listening on http:\/\/$re:\([0-9]*\).*/\1/p" "$T/$name.log")
        [ -n "$PORT" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$PORT" ]; then
        fail "$name did not start: $(head -3 "$T/$name.log")"
        return 1
    fi
}
# stop NAME: SIGTERM; the server must exit 0 with nothing from a sanitizer
stop() {
    kill "$PID"; wait "$PID"; local rc=$?
    if [ "$rc" = 0 ] && ! grep -q 'Sanitizer\|runtime error' "$T/$1.log"; then
        pass "$1 exits 0 after the flood"
    else
        fail "$1 exits $rc after the flood:"; grep -v '^wasmbox' "$T/$1.log" | head -20
    fi
}

if start serve '127\.0\.0\.1' serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
        --state-dir "$T/s" --max-connections 64 --header-timeout 2s; then
    python3 tests/http/flood.py serve "$PORT" "$PID" "$KEY" 64 2 > "$T/serve.out" 2>&1
    count "$T/serve.out"
    if grep -q '^wasmbox serve: listening.*per client' "$T/serve.log"; then
        fail "serve on loopback: no per-address cap by default"
    else
        pass "serve on loopback: no per-address cap by default"
    fi
    stop serve
fi

if start perclient '127\.0\.0\.1' serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
        --state-dir "$T/s" --max-connections-per-client 16; then
    python3 tests/http/flood.py per-client "$PORT" 16 > "$T/per.out" 2>&1
    count "$T/per.out"
    stop perclient
fi

ip addr add 10.11.12.13/32 dev lo
if start remote '10\.11\.12\.13' serve --listen 10.11.12.13:0 --api-keys "$T/keys" \
        --state-dir "$T/s"; then
    if grep -q 'at most 1000 connections, 64 per client address' "$T/remote.log"; then
        pass "serve on a non-loopback address: 64 connections per client address by default"
    else
        fail "serve on a non-loopback address: $(head -1 "$T/remote.log")"
    fi
    stop remote
fi

if start mcp '127\.0\.0\.1' mcp --http 127.0.0.1:0 --state-dir "$T/m" \
        --max-connections 64 --header-timeout 2s; then
    python3 tests/http/flood.py mcp "$PORT" "$PID" 64 2 > "$T/mcp.out" 2>&1
    count "$T/mcp.out"
    stop mcp
fi
summary
