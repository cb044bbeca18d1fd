#!/bin/bash
# bench/http_load.sh: load test of `wasmbox serve` with wrk (not part of
# `make check`).
#
#   bench/http_load.sh [--duration 30s] [--rounds 2] [--connections 4]
#                      [--out bench/http_load.md]
#
# Starts two servers on random free loopback ports (API key auth, default
# policy, --workers = CPUs), one with isolation (worker processes, the
# default) and one without (--no-os-sandbox), then runs rounds of two wrk
# workloads against each in turn, each for --duration with a bounded
# number of connections (a closed loop: at most --connections requests in
# flight):
#   python   POST /v1/run {"language":"python","code":"print(1)"}
#   wasm     POST /v1/run with a tiny WASI module (tests/http/hello.wat,
#            or $WB_BUILD/bench/full/wasm/hello.wasm without wat2wasm;
#            WB_BUILD, the build directory, defaults to build)
# A request fails unless it is a 200 whose outcome is "exited"; there must
# be none. Server RSS is sampled before the first round and after each;
# the throughput ratio with/without isolation is printed per workload.
# Writes a "## HTTP API load" Markdown section to --out (to be merged into
# BENCHMARKS.md) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Loopback only: the servers and wrk run in a network namespace of their
# own, whose only interface is its lo, so no packet can leave the machine.
if [ -z "${WB_HTTP_LOAD_NETNS:-}" ]; then
    exec unshare --net env WB_HTTP_LOAD_NETNS=1 bash -c \
        'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
DURATION=30s ROUNDS=2 CONNS=4 OUT=bench/http_load.md
while [ $# -gt 0 ]; do
    case $1 in
        --duration) DURATION=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --connections) CONNS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: $0 [--duration 30s] [--rounds N] [--connections N] [--out FILE]" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "http_load: needs wrk (Debian package wrk)" >&2; exit 1; }
B=${WB_BUILD:-build}    # the build directory (make passes $(BUILD))
WASMBOX=$B/wasmbox
[ -x $WASMBOX ] || { echo "http_load: $WASMBOX missing: run make first" >&2; exit 1; }
GUESTS_DIR=${WASMBOX_GUESTS:-$B/guests}
[ -f "$GUESTS_DIR/python/python.wasm" ] || { echo "http_load: no python guest in $GUESTS_DIR (make guests)" >&2; exit 1; }

T=$(mktemp -d /tmp/wasmbox-http-load.XXXXXX)
declare -A PID PORT
cleanup() { for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

KEY=load-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "bench:$KEY" > "$T/keys"
chmod 600 "$T/keys"
NCPU=$(nproc)
WORKERS=$(( NCPU > 2 ? NCPU : 2 ))
# raw wasm needs a policy that allows it
cat > "$T/policy.yaml" <<'EOF2'
session:
  languages: [python, javascript, lua, sql, wasm]
EOF2

# Two servers, the same but for isolation: "on" runs every request in a
# locked-down worker process (the default), "off" on the server's threads
# (--no-os-sandbox). The rounds alternate between them, so both see the
# same machine.
start_server() {   # start_server NAME [OPTIONS]
    local name=$1
    shift
    env -u WASMBOX_API_KEYS $WASMBOX serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
        --policy "$T/policy.yaml" --state-dir "$T/state-$name" --workers $WORKERS \
        --max-concurrent-per-key $((CONNS * 2)) "$@" 2>"$T/server-$name.log" &
    PID[$name]=$!
    for _ in $(seq 100); do
        PORT[$name]=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/server-$name.log")
        [ -n "${PORT[$name]}" ] && break
        sleep 0.05
    done
    [ -n "${PORT[$name]}" ] || { cat "$T/server-$name.log"; exit 1; }
}
start_server on
start_server off --no-os-sandbox

python3 -c 'import json; print(json.dumps({"language": "python", "code": "print(1)"}))' > "$T/python.json"
if command -v wat2wasm >/dev/null; then
    wat2wasm tests/http/hello.wat -o "$T/hello.wasm"
    WASM_SRC="tests/http/hello.wat (144-byte module, one fd_write)"
else
    cp $B/bench/full/wasm/hello.wasm "$T/hello.wasm"
    WASM_SRC="$B/bench/full/wasm/hello.wasm"
fi
python3 -c 'import base64, json, sys; print(json.dumps({"language": "wasm", "module": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}))' "$T/hello.wasm" > "$T/wasm.json"

# RSS of a server with its zygote and workers (KiB)
rss_kb() {
    local total=0 p v
    for p in ${PID[$1]} $(pgrep -P "${PID[$1]}") $(for z in $(pgrep -P "${PID[$1]}"); do pgrep -P "$z"; done); do
        v=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo $total
}
# warm-up: compile and cache the guest images
for iso in on off; do
    for w in python wasm; do
        curl -sf -o /dev/null -X POST "http://127.0.0.1:${PORT[$iso]}/v1/run" \
            -H "Authorization: Bearer $KEY" --data-binary @"$T/$w.json"
    done
done
declare -A RSS0 RPS
for iso in on off; do RSS0[$iso]=$(rss_kb $iso); done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "servers: on port ${PORT[on]}, off port ${PORT[off]}"

ROWS=""
RSSROWS="| before (after warm-up) | $((RSS0[on] / 1024)) | $((RSS0[off] / 1024)) |"
TOTAL_FAILED=0
for round in $(seq "$ROUNDS"); do
    for w in python wasm; do
        for iso in on off; do
            echo "round $round: $w, isolation $iso, for $DURATION, $CONNS connections..."
            WB_BODY="$T/$w.json" WB_KEY="$KEY" wrk -t 2 -c "$CONNS" -d "$DURATION" \
                --timeout 30s -s bench/http_load.lua "http://127.0.0.1:${PORT[$iso]}" > "$T/wrk.out" 2>&1 || true
            line=$(grep '^WBRESULT' "$T/wrk.out" || true)
            if [ -z "$line" ]; then cat "$T/wrk.out"; exit 1; fi
            get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
            failed=$(get failed)
            TOTAL_FAILED=$((TOTAL_FAILED + failed))
            RPS[$w-$iso]="${RPS[$w-$iso]:-} $(get rps)"
            ROWS="$ROWS
| $round | $w | $iso | $(get requests) | $(get rps) | $(get p50_ms) | $(get p90_ms) | $(get p99_ms) | $(get max_ms) | $failed |"
            echo "  $line"
        done
    done
    RSSROWS="$RSSROWS
| after round $round | $(( $(rss_kb on) / 1024 )) | $(( $(rss_kb off) / 1024 )) |"
done
# isolation's cost per workload: total req/s with it over without it
ratio() { python3 -c 'import sys
on = sum(map(float, sys.argv[1].split())); off = sum(map(float, sys.argv[2].split()))
print(f"{on / off:.3f} ({(1 - on / off) * 100:+.1f}% throughput lost)" if off else "n/a")' "${RPS[$1-on]}" "${RPS[$1-off]}"; }
RATIO_PY=$(ratio python)
RATIO_WASM=$(ratio wasm)

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
cat <<EOF3
<!-- http-load:begin (written by bench/http_load.sh; keep when regenerating) -->
## HTTP API load

\`bench/http_load.sh --duration $DURATION --rounds $ROUNDS --connections $CONNS\`
on $(date -u +%Y-%m-%d), $NCPU CPUs ($CPU). One \`wasmbox serve\` on loopback
(API key auth, default policy budget, --workers $WORKERS), twice: isolation
**on** (the default: each request in a locked-down worker process, one
of the API key's warm workers reused from its earlier runs, see
docs/os-sandbox.md "Reused workers") and **off** (\`--no-os-sandbox\`:
on the server's threads), the rounds alternating between them; wrk with $CONNS
connections, i.e. at most $CONNS requests in flight (a closed loop). Every
request is a one-shot \`POST /v1/run\` in a fresh throw-away session
(workspace created and deleted per request). A request counts as failed
unless it is a 200 whose outcome is "exited". Load average before the
first round: $LOAD_START; after the last: $LOAD_END (anything else running
on the machine competes with the server for its CPUs).

- python: \`{"language": "python", "code": "print(1)"}\` (CPython 3.11 start-up per request)
- wasm: $WASM_SRC, base64 in the request

| round | workload | isolation | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | failed |
|---|---|---|---|---|---|---|---|---|---|$ROWS

Throughput with isolation over without (req/s summed over the rounds):
python $RATIO_PY; wasm $RATIO_WASM.

Server RSS (MiB; with isolation: server, zygote and workers):

| when | on | off |
|---|---|---|
$RSSROWS

Failed requests in total: $TOTAL_FAILED.
<!-- http-load:end -->
EOF3
} > "$OUT"
cat "$OUT"
[ "$TOTAL_FAILED" = 0 ]
