#!/bin/bash
# tests/http/drain.sh [WASMBOX]: what Kubernetes asks of `wasmbox serve`
# (deploy/kubernetes/): GET /healthz (readiness) answers 503 from SIGTERM
# on, GET /livez (liveness) stays 200; during --drain-delay the server
# still listens and runs new requests (a load balancer that has not yet
# heard of the SIGTERM loses nothing), after it new connections are
# refused and the runs under way finish; a second SIGTERM ends the delay;
# /metrics has wasmbox_runs_in_flight (waiting for or holding a worker),
# wasmbox_workers and wasmbox_draining; bad --drain-delay values are
# refused (exit 2, one line). Runs in its own network namespace
# (unshare --net; SKIP without it). Raw wasm guests only (wat2wasm; no
# guest image needed). Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WASMBOX=$(realpath "${1:-build/wasmbox}")
HERE=tests/http
if ! command -v wat2wasm >/dev/null || ! command -v curl >/dev/null; then
    skip "drain and probes (needs wat2wasm and curl)"
    summary
    exit
fi
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "drain and probes (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 unshare --net bash "$0" "$WASMBOX"
fi
ip link set lo up
server_scratch wasmbox-drain          # $T, $spid killed at exit
KEY=drain-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'ops:%s\n' "$KEY" > "$T/keys"
chmod 600 "$T/keys"
H="Authorization: Bearer $KEY"
cat > "$T/policy.yaml" <<EOF
budget:
  timeout: 20s
session:
  languages: [wasm]
EOF
wat2wasm "$HERE/sleep.wat" -o "$T/sleep.wasm"
wat2wasm "$HERE/hello.wat" -o "$T/hello.wasm"
printf '{"language": "wasm", "module": "%s"}' "$(base64 -w0 "$T/sleep.wasm")" > "$T/sleep.json"
printf '{"language": "wasm", "module": "%s"}' "$(base64 -w0 "$T/hello.wasm")" > "$T/hello.json"

check() {   # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name: $CODE $(head -c 300 "$T/body")"; fi
}
req() {     # req METHOD URL [curl args...]: body in $T/body, status in $CODE
    local m=$1 u=$2; shift 2
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 -X "$m" "$u" "$@")
}
body_is() { [ "$(tr -d ' \n' < "$T/body")" = "$1" ]; }
metric() {  # metric NAME: its value in a fresh /metrics
    curl -s --max-time 5 -H "$H" "$URL/metrics" | sed -n "s/^$1 \([0-9]*\)$/\1/p"
}
wait_metric() {   # wait_metric NAME VALUE: up to 20 s
    for _ in $(seq 200); do
        [ "$(metric "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
start() {   # start NAME [ARGS...]: $URL, $spid, stderr in $T/NAME.log
    local name=$1; shift
    env -u WASMBOX_API_KEYS "$WASMBOX" serve --listen 127.0.0.1:0 \
        --state-dir "$T/state" --policy "$T/policy.yaml" \
        --api-keys "$T/keys" "$@" 2>"$T/$name.log" &
    spid=$!
    URL=$(server_url "$T/$name.log")
    [ -n "$URL" ] || { fail "$name: the server did not start: $(head -3 "$T/$name.log")"; summary; exit 1; }
}
run_bg() {  # run_bg FILE JSON: POST /v1/run in the background, "CODE" to FILE
    curl -s -o "$1.body" -w '%{http_code}' --max-time 60 -H "$H" \
        -X POST "$URL/v1/run" -d @"$2" > "$1" 2>/dev/null &
}

# ---- bad values: exit 2, one line ---------------------------------------
for v in abc -1 2h 1x ""; do
    env -u WASMBOX_API_KEYS "$WASMBOX" serve --listen 127.0.0.1:0 \
        --api-keys "$T/keys" --drain-delay "$v" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q drain-delay "$T/err"; then
        pass "--drain-delay '$v': exit 2, one line naming it"
    else
        fail "--drain-delay '$v': exit $rc: $(head -c 300 "$T/err")"
    fi
done

# ---- before SIGTERM ------------------------------------------------------
start main --workers 2 --drain-delay 5s
req GET "$URL/healthz"
check "/healthz: 200 {\"status\":\"ok\"}" eval '[ "$CODE" = 200 ] && body_is "{\"status\":\"ok\"}"'
req GET "$URL/livez"
check "/livez without a key: 200 {\"status\":\"ok\"}" eval '[ "$CODE" = 200 ] && body_is "{\"status\":\"ok\"}"'
req POST "$URL/livez"
check "POST /livez: 405" [ "$CODE" = 405 ]
req GET "$URL/livez/extra"
check "GET /livez/extra: 404" [ "$CODE" = 404 ]
CODE=$(metric wasmbox_workers)
check "/metrics: wasmbox_workers 2" [ "$CODE" = 2 ]
CODE=$(metric wasmbox_draining)
check "/metrics: wasmbox_draining 0" [ "$CODE" = 0 ]
CODE=$(metric wasmbox_runs_in_flight)
check "/metrics: wasmbox_runs_in_flight 0 when idle" [ "$CODE" = 0 ]
hdr=$(curl -s -D - -o /dev/null --max-time 5 -H "$H" "$URL/metrics" | tr -d '\r')
check "before SIGTERM an answer keeps its connection" \
    eval '! grep -qi "^Connection: close$" <<<"$hdr"'
req GET "$URL/metrics" -H "$H"
check "/metrics: HELP and TYPE lines of the new gauges" eval \
    '[ "$(grep -c "^# TYPE wasmbox_\(runs_in_flight\|workers\|draining\) gauge$" "$T/body")" = 3 ]'

# three 3 s runs on two workers: two hold them, one waits; all three count
for i in 1 2 3; do run_bg "$T/slow$i" "$T/sleep.json"; done
check "three slow runs on two workers: wasmbox_runs_in_flight 3" wait_metric wasmbox_runs_in_flight 3
CODE=$(metric wasmbox_http_requests_queued)
check "of which one waits in the queue" [ "$CODE" = 1 ]

# ---- SIGTERM: not ready, still serving for the delay ---------------------
kill -TERM "$spid"
for _ in $(seq 50); do grep -q 'drain-delay' "$T/main.log" && break; sleep 0.05; done
req GET "$URL/healthz"
check "after SIGTERM /healthz: 503 {\"status\":\"draining\"}" eval \
    '[ "$CODE" = 503 ] && body_is "{\"status\":\"draining\"}"'
hdr=$(curl -s -D - -o /dev/null --max-time 5 "$URL/healthz" | tr -d '\r')
check "and Retry-After: 1" grep -qi '^Retry-After: 1$' <<<"$hdr"
hdr=$(curl -s -D - -o /dev/null --max-time 5 -H "$H" "$URL/metrics" | tr -d '\r')
check "during the delay answers close their kept-alive connection" \
    grep -qi '^Connection: close$' <<<"$hdr"
req GET "$URL/livez"
check "after SIGTERM /livez: 200 {\"status\":\"draining\"}" eval \
    '[ "$CODE" = 200 ] && body_is "{\"status\":\"draining\"}"'
CODE=$(metric wasmbox_draining)
check "/metrics during the delay: wasmbox_draining 1" [ "$CODE" = 1 ]
run_bg "$T/late" "$T/sleep.json"      # starts during the delay: must finish
# clients that have not heard: new connections, each a run, answered
# while the delay lasts (a slow build may reach its end: refused then)
ok=0 other=""
for i in $(seq 10); do
    req POST "$URL/v1/run" -H "$H" -d @"$T/hello.json"
    case $CODE in 200) ok=$((ok + 1)) ;; 000) break ;; *) other+=" $CODE" ;; esac
done
check "during the delay new connections are served ($ok runs 200, then refused or none)" \
    [ "$ok" -ge 1 -a -z "$other" ]
for _ in $(seq 100); do     # the delay's end: the listener closes
    curl -s -o /dev/null --max-time 1 "$URL/livez" || break
    sleep 0.1
done
curl -s -o /dev/null --max-time 2 "$URL/healthz"
check "after the delay new connections are refused" [ $? != 0 ]
wait "$spid"; rc=$?; spid=
check "the server exited 0" [ "$rc" = 0 ]
wait
all=1
for f in slow1 slow2 slow3 late; do
    [ "$(cat "$T/$f")" = 200 ] && grep -q '"outcome":"exited"' "$T/$f.body" || all=0
done
CODE="$(cat "$T"/slow? "$T/late" | tr '\n' ' ')"
check "every run under way or queued at SIGTERM, and the one started during the delay, finished (200)" [ "$all" = 1 ]
check "the log says it: not ready, then stopped" eval \
    'grep -q "not ready; still serving for 5000 ms" "$T/main.log" && grep -q stopped "$T/main.log"'

# ---- a second SIGTERM ends a long delay ----------------------------------
start second --drain-delay 10m
kill -TERM "$spid"
for _ in $(seq 50); do grep -q 'drain-delay' "$T/second.log" && break; sleep 0.05; done
req GET "$URL/healthz"
check "10 min delay: /healthz 503 at once" [ "$CODE" = 503 ]
t0=$(date +%s%N)
kill -TERM "$spid"; wait "$spid"; rc=$?; spid=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a second SIGTERM: exit 0 in $ms ms (under 5 s)" [ "$rc" = 0 -a "$ms" -lt 5000 ]
check "and the log says the delay was cut short" grep -q 'cut short' "$T/second.log"

# ---- no delay (the default): readiness never lies ------------------------
start nodelay
# many probes racing the SIGTERM: each is 200 ok, 503 draining, or refused;
# never a 200 after a 503
( for i in $(seq 300); do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 2 "$URL/healthz"
  done > "$T/probes" ) &
pp=$!
sleep 0.3
kill -TERM "$spid"; wait "$spid"; rc=$?; spid=
wait "$pp"
seq_ok=$(awk 'BEGIN { s = 0 } $1 == 503 || $1 == "000" { s = 1 }
              $1 == 200 && s { bad = 1 } END { print bad ? 0 : 1 }' "$T/probes")
others=$(grep -cv '^\(200\|503\|000\)$' "$T/probes")
CODE="$(sort "$T/probes" | uniq -c | tr '\n' ' ')"
check "probes racing a SIGTERM: 200 then 503/refused, never ready again ($CODE)" \
    [ "$seq_ok" = 1 -a "$others" = 0 -a "$rc" = 0 ]

summary
