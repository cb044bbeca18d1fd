#!/bin/bash
# tests/net/guests.sh: outbound HTTP from the Python and JavaScript guests
# (issue 18, guest side): urllib.request / http.client in python.wasm and
# fetch() in qjs.wasm, through the host's wasmbox_http import.
#
# Everything runs inside a network and mount namespace this script
# creates (unshare --net --mount, only `lo` up): the server
# (tests/net/guest_server.py) listens on 127.0.0.1 (HTTP, and HTTPS with
# a certificate from a CA made here, trusted through WASMBOX_CA_FILE), and
# no packet can leave the machine even if a check were wrong. Without
# unshare rights, openssl or the guest images, the cases are skipped.
# WB_BUILD: build directory (default build); WASMBOX: the binary (default
# $WB_BUILD/wasmbox); WASMBOX_GUESTS: the images (default $WB_BUILD/guests).
# Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}
CASES=17

skip_all() {
    echo "net/guests: every case is skipped: $1"
    for _ in $(seq $CASES); do skip "net/guests: $1"; done
    summary
    exit
}

if [ -z "${WB_NET_GUESTS_NS:-}" ]; then
    [ -x "$W" ] || skip_all "$W not built"
    [ -f "$WASMBOX_GUESTS/python/python.wasm" ] && [ -f "$WASMBOX_GUESTS/js/qjs.wasm" ] ||
        skip_all "no python and js images in $WASMBOX_GUESTS (make guests)"
    command -v openssl >/dev/null || skip_all "openssl missing"
    unshare --net --mount true 2>/dev/null ||
        skip_all "cannot create a network namespace (unshare --net --mount)"
    WB_NET_GUESTS_NS=1 exec unshare --net --mount bash "$0" "$@"
fi

# From here on: inside the namespace. Only loopback, and only up.
ip link set lo up || { fail "net/guests: cannot bring lo up"; summary; exit; }
if ip -o addr show | grep -v ' lo ' | grep -q inet; then
    fail "net/guests: the namespace has an interface besides lo"; summary; exit
fi

tmp=$(mktemp -d)
# HTTPS: a CA made here, trusted by the host through WASMBOX_CA_FILE, and
# a certificate for the address 127.0.0.1 signed by it
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=wasmbox-guests-ca \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null &&
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "$tmp/srv.key" -out "$tmp/srv.csr" 2>/dev/null &&
printf 'subjectAltName=IP:127.0.0.1\n' > "$tmp/ext" &&
openssl x509 -req -in "$tmp/srv.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 1 -extfile "$tmp/ext" -out "$tmp/srv.pem" 2>/dev/null ||
    { fail "net/guests: openssl could not make the test CA"; summary; exit; }
export WASMBOX_CA_FILE=$tmp/ca.pem
python3 "$root/tests/net/guest_server.py" "$tmp/srv.pem" "$tmp/srv.key" \
    >"$tmp/port" 2>"$tmp/server.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ "$(wc -l < "$tmp/port")" = 2 ] && break; sleep 0.1; done
P=$(sed -n 1p "$tmp/port")
S=$(sed -n 2p "$tmp/port")
[ -n "$P" ] && [ -n "$S" ] ||
    { fail "net/guests: the test server did not start: $(cat "$tmp/server.err")"; summary; exit; }
U=http://127.0.0.1:$P
ALLOW=(--allow-host "http://127.0.0.1:$P" --allow-host "127.0.0.1:$S")
BIG=$((6 * 1024 * 1024 + 12345))

# check NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING -- CMD...
check() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc=0
    shift 5
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    if [ "$rc" != "$want_rc" ]; then
        fail "$name: status $rc, want $want_rc; stdout: $(head -c 400 "$tmp/out"); stderr: $(head -c 400 "$tmp/err")"
    elif ! grep -qF -- "$want_out" "$tmp/out"; then
        fail "$name: stdout lacks '$want_out': $(head -c 400 "$tmp/out"); stderr: $(head -c 400 "$tmp/err")"
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        fail "$name: stderr lacks '$want_err': $(head -c 400 "$tmp/err")"
    else
        pass "$name"
    fi
}

# ---- Python: urllib.request and http.client -------------------------
check "python urlopen GET" 0 "200 200 $U/hello text/plain b'hello from the test server'" "" -- \
    "$W" python "${ALLOW[@]}" -c "
import urllib.request
with urllib.request.urlopen('$U/hello') as r:
    print(r.status, r.getcode(), r.geturl(), r.headers['Content-Type'], r.read())"

# the same from a cold start (the case above starts from python.snap
# when there is one)
check "python urlopen GET, cold start" 0 "200 b'hello from the test server'" "" -- \
    env WASMBOX_COLD=1 "$W" python "${ALLOW[@]}" -c "
import urllib.request
print(urllib.request.urlopen('$U/hello').status, urllib.request.urlopen('$U/hello').read())"

check "python urlopen GET over https" 0 "200 https://127.0.0.1:$S/hello b'hello from the test server'" "" -- \
    "$W" python "${ALLOW[@]}" -c "
import urllib.request
with urllib.request.urlopen('https://127.0.0.1:$S/hello') as r:
    print(r.status, r.geturl(), r.read())"

check "python urlopen POST with headers" 0 \
    '201 {"method": "POST", "content_type": "application/json", "x_test": "yes", "body": "{\"n\": 1}"}' "" -- \
    "$W" python "${ALLOW[@]}" -c "
import urllib.request
req = urllib.request.Request('$U/echo', data=b'{\"n\": 1}', method='POST',
    headers={'Content-Type': 'application/json', 'X-Test': 'yes'})
with urllib.request.urlopen(req) as r:
    print(r.status, r.read().decode())"

check "python HTTP error status raises HTTPError" 0 "HTTPError 404 Not Found b'status 404'" "" -- \
    "$W" python "${ALLOW[@]}" -c "
import urllib.request, urllib.error
try:
    urllib.request.urlopen('$U/status/404')
except urllib.error.HTTPError as e:
    print('HTTPError', e.code, e.reason, e.read())"

check "python refused host raises URLError with the host's line" 0 \
    "URLError DENIED True network:" "" -- \
    "$W" python "${ALLOW[@]}" -c "
import urllib.request, urllib.error
try:
    urllib.request.urlopen('http://not-allowed.example/x')
except urllib.error.URLError as e:
    print('URLError', e.reason.code, 'not-allowed.example' in str(e.reason), e.reason)"

check "python large body read in chunks" 0 "chunks>1 $BIG $(python3 -c "
import hashlib; p = bytes(i % 251 for i in range(251 * 261)); n = $BIG
h = hashlib.sha256(); s = 0
while s < n: c = p[:min(len(p), n - s)]; h.update(c); s += len(c)
print(h.hexdigest())")" "" -- \
    "$W" python "${ALLOW[@]}" --timeout 60s -c "
import hashlib, urllib.request
h = hashlib.sha256(); n = chunks = 0
with urllib.request.urlopen('$U/big/$BIG') as r:
    while True:
        c = r.read(256 * 1024)
        if not c:
            break
        h.update(c); n += len(c); chunks += 1
print('chunks>1' if chunks > 1 else 'one chunk', n, h.hexdigest())"

check "python http.client GET and a second request" 0 "200 b'hello from the test server' 418 b'status 418'" "" -- \
    "$W" python "${ALLOW[@]}" -c "
import http.client
c = http.client.HTTPConnection('127.0.0.1', $P)
c.request('GET', '/hello'); r = c.getresponse(); a = (r.status, r.read())
c.request('GET', '/status/418'); r = c.getresponse()
print(*a, r.status, r.read()); c.close()"

check "python without a rule: imports as before, urlopen DENIED" 0 \
    "HTTPSConnection URLError DENIED" "" -- \
    "$W" python -c "
import http.client, urllib.request, urllib.error
print(http.client.HTTPSConnection.__name__, end=' ')
try:
    urllib.request.urlopen('$U/hello')
except urllib.error.URLError as e:
    print('URLError', e.reason.code)"

# ---- JavaScript: fetch() ---------------------------------------------
check "js fetch GET" 0 "200 true OK $U/hello text/plain hello from the test server" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('$U/hello').then(async (r) => {
    console.log(r.status, r.ok, r.statusText, r.url, r.headers.get('content-type'), await r.text());
});"

check "js fetch GET over https" 0 "200 hello from the test server" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('https://127.0.0.1:$S/hello').then(async (r) => console.log(r.status, await r.text()));"

check "js fetch POST json" 0 "201 POST application/json yes {\"n\":1}" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('$U/echo', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Test': 'yes'},
                  body: JSON.stringify({n: 1})})
    .then((r) => r.json().then((j) => console.log(r.status, j.method, j.content_type, j.x_test, j.body)));"

check "js fetch HTTP error status" 0 "500 false Internal Server Error status 500" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('$U/status/500').then(async (r) => console.log(r.status, r.ok, r.statusText, await r.text()));"

check "js fetch refused host rejects with TypeError" 0 "TypeError DENIED true network:" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('http://not-allowed.example/x').then(() => console.log('resolved?'),
    (e) => console.log(e.constructor.name, e.code, e.message.includes('not-allowed.example'), e.message));"

# every 4093rd byte is checked against the pattern (i % 251): summing all
# of them in QuickJS would take most of the budget
check "js fetch large body streamed in chunks" 0 "chunks>1 $BIG bad=0" "" -- \
    "$W" js "${ALLOW[@]}" --timeout 60s -e "
fetch('$U/big/$BIG').then(async (r) => {
    const reader = r.body.getReader();
    let n = 0, chunks = 0, bad = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let i = (4093 - n % 4093) % 4093; i < value.length; i += 4093)
            if (value[i] !== (n + i) % 251) bad++;
        chunks++; n += value.length;
    }
    console.log(chunks > 1 ? 'chunks>1' : 'one chunk', n, 'bad=' + bad);
});"

check "js fetch arrayBuffer and headers" 0 "26 104 true" "" -- \
    "$W" js "${ALLOW[@]}" -e "
fetch('$U/hello').then(async (r) => {
    const b = new Uint8Array(await r.arrayBuffer());
    console.log(b.length, b[0], r.headers.has('Content-Length'));
});"

check "js without a rule: fetch rejects DENIED" 0 "TypeError DENIED" "" -- \
    "$W" js -e "
fetch('$U/hello').then(() => console.log('resolved?'), (e) => console.log(e.constructor.name, e.code));"

summary
