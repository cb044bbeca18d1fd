#!/bin/bash
# tests/net/run.sh: outbound HTTP(S) for guests (docs/network.md) with a
# C guest of the wasmbox_http imports (tests/net/guest.c) against HTTP
# and HTTPS servers of tests/net/server.py.
#
#   tests/net/run.sh [path/to/wasmbox]
#
# Everything runs inside a network namespace the script makes (unshare
# --net --mount, only lo up), so no packet can leave the machine even if
# a check were wrong: the servers listen on 127.0.0.1, and a test
# /etc/hosts is bind-mounted over the real one (in that mount namespace
# only) to give names to loopback, private and link-local addresses. The
# HTTPS server's certificate comes from a CA made here with openssl and
# trusted through WASMBOX_CA_FILE. Ends with "N passed, N failed, N
# skipped" (tests/lib.sh).
set -u
cd "$(dirname "$0")/../.."
WASMBOX=$(realpath "${1:-build/wasmbox}")
. tests/lib.sh

. tests/net/netns.sh
net_enter unshare ip openssl python3 clang jq curl

cat > "$T/hosts" <<'HOSTS'
127.0.0.1 localhost api.test other.test sneaky.test
10.0.0.7 evil.test
169.254.169.254 meta.test
192.168.1.5 lan.test
HOSTS
mount --bind "$T/hosts" /etc/hosts

# a CA and a certificate for api.test signed by it
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=wasmbox-test-ca \
    -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=api.test \
    -keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null
printf 'subjectAltName=DNS:api.test\n' > "$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 1 -extfile "$T/ext" -out "$T/srv.pem" 2>/dev/null

python3 tests/net/server.py "$T/conn.log" 8080 8443 "$T/srv.pem" \
    "$T/srv.key" > "$T/srv.out" 2>&1 &
SRV=$!
for _ in $(seq 100); do grep -q ready "$T/srv.out" && break; sleep 0.1; done

H=http://api.test:8080
A=(--allow-host http://api.test:8080 --allow-host http://127.0.0.1:8080
   --allow-host api.test:8443 --allow-host 127.0.0.1:8443)
export WASMBOX_CA_FILE=$T/ca.pem
conns() { wc -l < "$T/conn.log" 2>/dev/null || echo 0; }

g "${A[@]}" -- GET $H/hello
check "allowed GET over http" has "code=0 status=200 bytes=5"
check "the body arrives" has hello
check "report: method, host, port, status, bytes" \
    test "$(jq -c '.requests[0] | [.method,.scheme,.host,.port,.status,.bytes,.refused]' "$T/rep")" \
         = '["GET","http","api.test",8080,200,5,null]'

g "${A[@]}" -- POST $H/echo 'a=1&b=2' 'Content-Type: text/plain|X-Test: 1'
check "allowed POST with a body and headers" has "echo:a=1&b=2"
g "${A[@]}" -- GET $H/headers '' 'X-Test: seen'
check "request headers reach the server" has seen

g "${A[@]}" -- GET https://api.test:8443/hello
check "allowed GET over https (test CA)" has "code=0 status=200 bytes=5"
WASMBOX_CA_FILE=/dev/null g "${A[@]}" -- GET https://api.test:8443/hello
check "https with a CA store that lacks the server's CA: TLS (6)" has "code=6"
g --allow-host http://api.test:8443 --allow-host http://127.0.0.1:8443 -- \
    GET http://api.test:8443/hello
check "plain http to a TLS port fails, no crash" grep -q "^code=[57]" "$T/out"
g --allow-host api.test:8080 --allow-host 127.0.0.1:8080 -- GET $H/hello
check "an https rule does not allow plain http" has "code=1"

g "${A[@]}" -- GET http://other.test:8080/hello
check "a host not on the list: DENIED" has "no network.allow rule names it"
g -- GET $H/hello
check "no rule at all: DENIED, no network" has "this run has no network"
check "... and the refusal is in the report" \
    test "$(jq -r '.requests[0].refused' "$T/rep")" \
         = "http://api.test:8080 refused: no network.allow rule (this run has no network)"
g "${A[@]}" -- GET ftp://api.test/
check "another scheme: INVAL (8)" has "code=8"
g "${A[@]}" -- GET $H/hello '' 'Host: evil.test'
check "a Host header: INVAL (8)" has "code=8"
g "${A[@]}" -- 'GE T' $H/hello
check "a bad method: INVAL (8)" has "code=8"

before=$(conns)
g --allow-host http://sneaky.test:8080 -- GET http://sneaky.test:8080/hello
check "a name resolving to loopback without an address rule: DENIED" \
    has "127.0.0.1 refused for sneaky.test: loopback"
check "... before any connection reached the server" test "$(conns)" = "$before"
g --allow-host http://evil.test:8080 -- GET http://evil.test:8080/
check "a name resolving to 10.0.0.7: DENIED as private" \
    has "10.0.0.7 refused for evil.test: private"
g --allow-host http://meta.test -- GET http://meta.test/latest/meta-data/
check "a name resolving to 169.254.169.254: DENIED (metadata)" \
    has "169.254.169.254 refused for meta.test: link-local"
g --allow-host http://lan.test:8080 -- GET http://lan.test:8080/
check "a name resolving to 192.168.1.5: DENIED" has "192.168.1.5 refused"
g --allow-host 'http://*.test:8080' -- GET http://127.0.0.1:8080/hello
check "a name rule never allows an address literal" has "code=1"
check "the server saw none of the refused requests" test "$(conns)" = "$before"
g --allow-host 'http://[::ffff:127.0.0.1]:8080' --allow-host http://api.test:8080 -- \
    GET http://api.test:8080/hello
check "a mapped-IPv4 rule names the IPv4 address" has "code=0 status=200"

g "${A[@]}" --allow-host http://evil.test:8080 -- \
    GET "$H/redirect?to=http://evil.test:8080/x"
check "redirect to a private address: DENIED" has "10.0.0.7 refused"
check "... both hops in the report" \
    test "$(jq -c '[.requests[] | [.host,.status]]' "$T/rep")" \
         = '[["api.test",302],["evil.test",null]]'
g "${A[@]}" -- GET "$H/redirect?to=http://other.test:8080/hello"
check "redirect to a host not on the list: DENIED" \
    has "other.test:8080 refused: no network.allow rule"
g "${A[@]}" -- GET "$H/redirect?to=/hello"
check "redirect within the allowed host is followed" has "code=0 status=200 bytes=5"
g "${A[@]}" -- POST "$H/redirect?to=/echo" body
check "a 302 after POST goes on as GET" has "status=404"
g "${A[@]}" -- GET "$H/loop"
check "more than 5 redirects: PROTOCOL (7)" has "more than 5 redirects"
check "... 6 requests made" test "$(jq '.requests | length' "$T/rep")" = 6

g "${A[@]}" --max-response 1000 -- GET "$H/big?n=5000"
check "a body over --max-response: TOO_LARGE (4)" has "code=4"
g "${A[@]}" --max-response 5000 -- GET "$H/big?n=5000"
check "a body at --max-response is whole" has "code=0 status=200 bytes=5000"
g "${A[@]}" -- GET "$H/big?n=3000000"
check "a 3 MB body streams through" has "code=0 status=200 bytes=3000000"

g "${A[@]}" --max-requests 2 -- GET $H/hello '' '' 3
check "requests past --max-requests: LIMIT (2)" \
    test "$(grep -c '^code=0' "$T/out"),$(grep -c '^code=2' "$T/out")" = 2,1
check "... the limit in the message" has "network.max_requests (2) reached"

t0=$(date +%s%N)
g "${A[@]}" --timeout 1s -- GET "$H/slow?s=5"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a slow server against --timeout: outcome timeout (124)" \
    test "$rc,$(jq -r .outcome "$T/rep")" = "124,timeout"
check "... within the deadline (${ms} ms)" test "$ms" -lt 3500
g "${A[@]}" --net-timeout 1s -- GET "$H/slow?s=3"
check "a slow server against --net-timeout: TIMEOUT (3)" has "code=3"
check "... and the run goes on" test "$(jq -r .outcome "$T/rep")" = exited

# policy file keys
cat > "$T/p.yaml" <<'P'
version: 1
network:
  allow: ["http://api.test:8080", "http://127.0.0.1:8080"]
  max_requests: 1
P
g --policy "$T/p.yaml" -- GET $H/hello '' '' 2
check "network.allow and max_requests from a policy file" \
    test "$(grep -c '^code=0' "$T/out"),$(grep -c '^code=2' "$T/out")" = 1,1
printf 'version: 1\nnetwork:\n  allow: ["bad rule"]\n' > "$T/bad.yaml"
"$WASMBOX" run --policy "$T/bad.yaml" "$T/g.wasm" GET $H/ 2>"$T/err"
check "a bad rule in a policy: 125 and its line" \
    test "$?,$(grep -c "bad.yaml:3: network rule 'bad rule'" "$T/err")" = 125,1
"$WASMBOX" run --allow-host 'http://' "$T/g.wasm" GET $H/ 2>"$T/err"
check "a bad --allow-host: 125" test $? = 125

# /v1/run narrows, never widens
printf 'version: 1\nnetwork:\n  allow: ["http://*.test:8080", "http://127.0.0.1:8080"]\n  max_requests: 5\nsession:\n  languages: [lua, wasm]\n' \
    > "$T/s.yaml"
"$WASMBOX" serve --listen 127.0.0.1:0 --insecure-no-auth --policy "$T/s.yaml" \
    --state-dir "$T/state" 2>"$T/serve.log" &
SPID=$!
U=$(server_url "$T/serve.log")
post() {
    curl -s -o "$T/body" -w '%{http_code}' -X POST "$U/v1/run" -d "$1"
}
code=$(post '{"language":"lua","code":"print(1)","limits":{"network":{"allow":["http://evil.example:8080"]}}}')
check "/v1/run: a rule outside the policy: 400" test "$code" = 400
check "... naming limits.network.allow" grep -q "limits.network.allow" "$T/body"
code=$(post '{"language":"lua","code":"print(1)","limits":{"network":{"max_requests":6}}}')
check "/v1/run: more requests than the policy: 400" test "$code" = 400
code=$(post '{"language":"lua","code":"print(1)","limits":{"network":{"allow":["http://api.test:8080"],"max_requests":2}}}')
check "/v1/run: a narrower list is accepted" test "$code" != 400
# a raw module through the server's locked-down workers
B64=$(base64 -w0 "$T/g.wasm")   # too long for an argument: a file
wasm_run() {   # wasm_run URL ALLOW-JSON: the answer in $T/body
    printf '{"language":"wasm","module":"%s","args":["GET","%s"],"limits":{"network":{"allow":%s}}}' \
        "$B64" "$1" "$2" > "$T/req.json"
    curl -s -o "$T/body" -X POST "$U/v1/run" --data-binary @"$T/req.json"
}
wasm_run $H/hello '["http://api.test:8080","http://127.0.0.1:8080"]'
check "/v1/run: a worker's guest GETs an allowed host" \
    test "$(jq -r .stdout "$T/body" | head -2 | tr '\n' ' ')" = "code=0 status=200 bytes=5 hello "
check "... and the answer lists the request" \
    test "$(jq -c '[.requests[0].host, .requests[0].status, .requests_total]' "$T/body")" = '["api.test",200,1]'
wasm_run $H/hello '["http://other.test:8080","http://127.0.0.1:8080"]'
check "/v1/run: the narrowed list holds in the worker" \
    grep -q "code=1" <(jq -r .stdout "$T/body")
wasm_run http://evil.test:8080/ '["http://evil.test:8080"]'
check "/v1/run: a private address is refused in the worker too" \
    grep -q "10.0.0.7 refused" <(jq -r .stdout "$T/body")
kill $SPID 2>/dev/null
wait $SPID 2>/dev/null
summary
