#!/bin/bash
# tests/net/attacks.sh: attacks on outbound HTTP (docs/network.md) that
# once got through, each kept as a regression test:
#   - a guest's own Content-Length (or Transfer-Encoding) header made the
#     body's bytes a second request on the connection, with a Host of the
#     guest's choosing;
#   - a transfer still resolving its name was waited for when it ended,
#     for the system resolver's own timeouts: network.timeout and the
#     run's --timeout ended many seconds late;
#   - in a session, a connection kept from a step with wider rules served
#     a later step whose rules refuse its address.
#
#   tests/net/attacks.sh [path/to/wasmbox]
#
# Like tests/net/run.sh, everything runs inside a network namespace the
# script makes (unshare --net --mount, only lo up) with a test /etc/hosts
# and /etc/resolv.conf bind-mounted: the servers (tests/net/attack_server.py)
# listen on 127.0.0.1 only. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
WASMBOX=$(realpath "${1:-build/wasmbox}")
. tests/lib.sh

. tests/net/netns.sh
net_enter unshare ip python3 clang jq curl

printf '127.0.0.1 localhost api.test\n' > "$T/hosts"
mount --bind "$T/hosts" /etc/hosts
# names not in the hosts file go to a DNS server that never answers
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf

python3 tests/net/attack_server.py "$T/log" > "$T/srv.out" 2>&1 &
SRV=$!
for _ in $(seq 100); do grep -q ready "$T/srv.out" && break; sleep 0.1; done

H=http://api.test:8080
A=(--allow-host http://api.test:8080 --allow-host http://127.0.0.1:8080
   --allow-host http://nowhere.test:8080)

# ---- request smuggling through the guest's framing headers -------------
SMUGGLE=$'GET /smuggled HTTP/1.1\r\nHost: evil.example\r\n\r\n'
: > "$T/log"
g "${A[@]}" -- POST $H/hello "$SMUGGLE" 'Content-Length: 0'
check "a guest's Content-Length header: INVAL (8)" has "code=8"
check "... naming the header" has "a Content-Length header is not allowed"
g "${A[@]}" -- POST $H/hello "$SMUGGLE" 'X-A: 1|transfer-encoding: chunked'
check "a guest's Transfer-Encoding header: INVAL (8)" has "code=8"
check "... and the server saw no request, smuggled or not" \
    test "$(grep -c '^req' "$T/log")" = 0
: > "$T/log"
g "${A[@]}" -- POST $H/hello "$SMUGGLE" 'X-Content-Length: 0'
check "a body that reads like a request stays a body" has "code=0 status=200"
check "... one request at the server" \
    test "$(grep -c '^req' "$T/log"),$(grep -c smuggled "$T/log")" = 1,0

# ---- waits in the resolver ---------------------------------------------
t0=$(date +%s%N)
g "${A[@]}" --net-timeout 1s -- GET http://nowhere.test:8080/
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a name the resolver never answers: TIMEOUT (3) at --net-timeout" \
    has "code=3"
check "... within it (${ms} ms; the resolver would wait 10 s)" \
    test "$ms" -lt 4000
check "... and the run goes on" test "$(jq -r .outcome "$T/rep")" = exited
t0=$(date +%s%N)
g "${A[@]}" --timeout 1s -- GET http://nowhere.test:8080/
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the same against --timeout: outcome timeout (124)" \
    test "$rc,$(jq -r .outcome "$T/rep")" = "124,timeout"
check "... at the deadline (${ms} ms)" test "$ms" -lt 4000

# ---- a session's step with narrower rules ------------------------------
# The interpreters of JavaScript and Python sessions live on from step to
# step, and so do their brokers and the connections libcurl keeps: a
# guest image with the wasmbox_http bindings is needed.
G=${WASMBOX_GUESTS:-build/guests}
if ! grep -q wasmbox_http "$G/js/qjs.wasm" 2>/dev/null; then
    skip "session steps: no qjs.wasm with the wasmbox_http bindings in $G"
    summary
    exit
fi
export WASMBOX_GUESTS=$G
printf 'version: 1\nnetwork:\n  allow: ["http://api.test:8080", "http://127.0.0.1:8080"]\nsession:\n  languages: [javascript]\n' \
    > "$T/s.yaml"
"$WASMBOX" serve --listen 127.0.0.1:0 --insecure-no-auth --policy "$T/s.yaml" \
    --state-dir "$T/state" 2>"$T/serve.log" &
SPID=$!
U=$(server_url "$T/serve.log")
SID=$(curl -s -X POST "$U/v1/sessions" -d '{}' | jq -r .id)
JS="fetch('$H/hello').then(r => r.text()).then(t => console.log(t))"
step() {   # step ALLOW-JSON: GET $H/hello in the session, answer in $T/body
    jq -n --arg c "$JS" --argjson a "$1" \
        '{language: "javascript", code: $c, limits: {network: {allow: $a}}}' \
        > "$T/req.json"
    curl -s -o "$T/body" -X POST "$U/v1/sessions/$SID/exec" \
        --data-binary @"$T/req.json"
}
step '["http://api.test:8080","http://127.0.0.1:8080"]'
check "session: a step whose rules name the address GETs" \
    test "$(jq -c '[.requests[0].status, .requests[0].refused]' "$T/body")" = '[200,null]'
step '["http://api.test:8080"]'
check "session: a later step without the address rule is refused (no kept connection)" \
    grep -q "127.0.0.1 refused for api.test: loopback" <(jq -r '.requests[0].refused' "$T/body")
step '["http://api.test:8080","http://127.0.0.1:8080"]'
check "session: ... and a step with it GETs again" \
    test "$(jq -c '[.requests[0].status, .requests[0].refused]' "$T/body")" = '[200,null]'
summary
