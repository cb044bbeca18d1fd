#!/bin/bash
# tests/http/restart.sh [WASMBOX]: sessions of `wasmbox serve` outlive the
# server process. A session with `x = 41` and a file in /work goes on
# after a kill -9 and after a SIGTERM of the server (a new server on the
# same state directory: `x + 1` is 42, the file is there, its limits are
# kept), with and without worker processes; another key is refused after
# the restart exactly as before; sessions whose serve.json or
# session.json is damaged, of another session, missing, a FIFO (which
# must not block start-up), or whose owner
# is no key of the new server are not served (one log line each) while
# the server serves the others. A fork that stepped (its checkpoint a
# layer over its parent's file, much smaller than it) goes on after a
# kill -9 too. Runs in its own network namespace
# (unshare --net; SKIP without it). Guest images: $WASMBOX_GUESTS
# (default build/guests). Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WASMBOX=$(realpath "${1:-build/wasmbox}")
GUESTS=$(realpath "${WASMBOX_GUESTS:-build/guests}")
if [ ! -f "$GUESTS/python/python.wasm" ]; then
    skip "serve sessions across restarts (no $GUESTS/python/python.wasm)"
    summary
    exit
fi
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "serve sessions across restarts (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 WASMBOX_GUESTS="$GUESTS" unshare --net \
        bash "$0" "$WASMBOX"
fi
ip link set lo up
server_scratch wasmbox-restart       # $T (0711), $spid killed at exit
KEY_A=alice-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
KEY_B=bob-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'alice:%s\nbob:%s\n' "$KEY_A" "$KEY_B" > "$T/keys"
printf 'bob:%s\n' "$KEY_B" > "$T/keys-bob"
chmod 600 "$T/keys" "$T/keys-bob"
HA="Authorization: Bearer $KEY_A"
HB="Authorization: Bearer $KEY_B"
cat > "$T/policy.yaml" <<EOF
budget:
  memory: 256M
  timeout: ${WB_HTTP_TIMEOUT:-5s}
session:
  idle_expiry: 1h
  languages: [python]
EOF

check() {   # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name: $CODE $(head -c 400 "$T/body")"; fi
}
req() {     # req METHOD URL [curl args...]: body in $T/body, status in $CODE
    local m=$1 u=$2; shift 2
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$u" "$@")
}
jget() {    # jget EXPR: a python expression over j (the last body)
    python3 -c "import json; j=json.load(open('$T/body')); print($1)" 2>/dev/null
}
step() {    # step SESSION CODE [HEADER]: POST .../exec in python
    req POST "$URL/v1/sessions/$1/exec" -H "${3:-$HA}" -d "$(python3 -c \
        'import json,sys; print(json.dumps({"language": "python", "code": sys.argv[1]}))' "$2")"
}
# start NAME [ARGS...]: a server on $T/state, its stderr in $T/NAME.log,
# its URL in $URL, its pid in $spid
start() {
    local name=$1; shift
    env -u WASMBOX_API_KEYS WASMBOX_GUESTS="$GUESTS" "$WASMBOX" serve \
        --listen 127.0.0.1:0 --state-dir "$T/state" --policy "$T/policy.yaml" \
        "$@" 2>"$T/$name.log" &
    spid=$!
    URL=$(server_url "$T/$name.log")
    [ -n "$URL" ] || { fail "$name: the server did not start: $(head -3 "$T/$name.log")"; summary; exit 1; }
}
clean_log() {   # clean_log NAME: nothing from a sanitizer
    ! grep -q 'Sanitizer\|runtime error' "$T/$1.log"
}
stop() {        # stop NAME: SIGTERM, exit 0
    kill -TERM "$spid"; wait "$spid"; local rc=$?
    spid=
    if [ "$rc" = 0 ] && clean_log "$1"; then pass "$1: SIGTERM, exit 0"
    else fail "$1: exit $rc after SIGTERM: $(grep -v '^wasmbox serve' "$T/$1.log" | head -5)"; fi
}
# refusal SESSION: how key B is answered on session SESSION (GET, exec,
# file read, delete; status and body each) and whether its list has it
refusal() {
    local out="" m
    for m in "GET /v1/sessions/$1" "POST /v1/sessions/$1/exec" \
             "GET /v1/sessions/$1/files/f.txt" "DELETE /v1/sessions/$1"; do
        if [ "${m%% *}" = POST ]; then step "$1" 'print(x)' "$HB"
        else req ${m%% *} "$URL${m#* }" -H "$HB"; fi
        out+="$m -> $CODE $(cat "$T/body");"
    done
    req GET "$URL/v1/sessions" -H "$HB"
    echo "$out list: $(jget "[s['id'] for s in j['sessions']]")"
}

# scenario MODE [ARGS...]: the restart cases, with the server ARGS
scenario() {
    local mode=$1; shift
    rm -rf "$T/state"
    start "$mode-1" --api-keys "$T/keys" "$@"
    req POST "$URL/v1/sessions" -H "$HA" -d '{"limits": {"timeout": 4}}'
    local sid; sid=$(jget "j['id']")
    check "$mode: a session with key A" [ "$CODE" = 201 -a -n "$sid" ]
    step "$sid" 'x = 41
open("/work/f.txt", "w").write("kept across restarts")'
    check "$mode: x = 41 and a file in /work" [ "$CODE" = 200 -a "$(jget "j['outcome']")" = exited ]
    local before; before=$(refusal "$sid")
    check "$mode: key B is refused before the restart" grep -q "GET.* -> 404 " <<<"$before"

    kill -9 "$spid"; wait "$spid" 2>/dev/null
    start "$mode-2" --api-keys "$T/keys" "$@"
    check "$mode: the new server says it restored the session" \
        grep -q "1 session restored" "$T/$mode-2.log"
    step "$sid" 'print(x + 1)'
    check "$mode: after kill -9, x + 1 with key A -> 42" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 42 -a "$(jget "j['state']['kept']")" = True ]
    req GET "$URL/v1/sessions/$sid/files/f.txt" -H "$HA"
    check "$mode: the file written before kill -9 is readable" \
        [ "$CODE" = 200 -a "$(cat "$T/body")" = "kept across restarts" ]
    req GET "$URL/v1/sessions/$sid" -H "$HA"
    check "$mode: the session keeps its limits (timeout 4 s) and steps" \
        [ "$CODE" = 200 -a "$(jget "'%d %d' % (j['limits']['timeout_ms'], j['steps'])")" = "4000 2" ]
    local after; after=$(refusal "$sid")
    if [ "$after" = "$before" ]; then pass "$mode: key B gets exactly the refusals it got before"
    else fail "$mode: key B: before: $before; after: $after"; fi
    req GET "$URL/v1/sessions" -H "$HA"
    check "$mode: key A's list has the session" [ "$(jget "[s['id'] for s in j['sessions']]")" = "['$sid']" ]
    step "$sid" 'x += 100'
    check "$mode: x += 100" [ "$CODE" = 200 -a "$(jget "j['outcome']")" = exited ]
    stop "$mode-2"

    start "$mode-3" --api-keys "$T/keys" "$@"
    step "$sid" 'print(x)'
    check "$mode: after SIGTERM and a new server, x -> 141" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 141 ]
    # a fork that steps, then a kill -9: the fork goes on from its layer
    # (over the file its parent was restored from after the kill -9
    # above, which the fork shares: its base)
    req POST "$URL/v1/sessions/$sid/fork" -H "$HA"
    local fid; fid=$(jget "j['id']")
    check "$mode: a fork of it" [ "$CODE" = 201 -a -n "$fid" ]
    step "$fid" 'x += 1000'
    check "$mode: x += 1000 in the fork" [ "$CODE" = 200 -a "$(jget "j['outcome']")" = exited ]
    local ck=$T/state/sessions
    local bb fb; bb=$(stat -c %b "$ck/$fid/ckpt/python.base.snap") fb=$(stat -c %b "$ck/$fid/ckpt/python.snap")
    check "$mode: the fork's checkpoint is a layer ($fb blocks, its base $bb)" \
        [ "$(stat -c %i "$ck/$fid/ckpt/python.base.snap")" = "$(stat -c %i "$ck/$sid/ckpt/python.base.snap")" -a "$fb" -lt $((bb / 4)) ]
    kill -9 "$spid"; wait "$spid" 2>/dev/null
    start "$mode-4" --api-keys "$T/keys" "$@"
    step "$fid" 'print(x)'
    check "$mode: after kill -9, the fork goes on (x -> 1141)" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 1141 -a "$(jget "j['state']['kept']")" = True ]
    step "$sid" 'print(x)'
    check "$mode: and its parent too (x -> 141)" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 141 ]
    req DELETE "$URL/v1/sessions/$fid" -H "$HA"
    check "$mode: delete the fork" [ "$CODE" = 200 ]
    stop "$mode-4"
    check "$mode: no server logged a sanitizer report" \
        clean_log "$mode-1"
    SID=$sid
}

scenario workers
scenario threads --no-os-sandbox

# ---- damaged, foreign and orphaned sessions are not served ----------------
# (with worker processes again: $SID was made and stepped without them)
start tamper-1 --api-keys "$T/keys"
mk() {      # mk: a new session of key A with y = 7, its id in $NEW
    req POST "$URL/v1/sessions" -H "$HA" -d '{}'
    NEW=$(jget "j['id']")
    step "$NEW" 'y = 7'
}
mk; BADJSON=$NEW
mk; FOREIGN=$NEW
mk; NOREC=$NEW
mk; BADMETA=$NEW
mk; WIDE=$NEW
mk; MALLORY=$NEW
mk; FIFOREC=$NEW
mk; FIFOMETA=$NEW
stop tamper-1
S=$T/state/sessions
printf '{"format": "wasmbox-serve-se' > "$S/$BADJSON/serve.json"
cp "$S/$SID/serve.json" "$S/$FOREIGN/serve.json"   # another session's record
rm "$S/$NOREC/serve.json"
printf 'not json' > "$S/$BADMETA/session.json"
# FIFOs in place of the two records: read, they would block start-up
rm "$S/$FIFOREC/serve.json" "$S/$FIFOMETA/session.json"
mkfifo "$S/$FIFOREC/serve.json" "$S/$FIFOMETA/session.json"
python3 - "$S/$WIDE/serve.json" "$S/$MALLORY/serve.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1])); j["limits"]["timeout"] = "soon"
json.dump(j, open(sys.argv[1], "w"))
j = json.load(open(sys.argv[2])); j["owner"] = "mallory"
json.dump(j, open(sys.argv[2], "w"))
EOF
start tamper-2 --api-keys "$T/keys"
for s in BADJSON FOREIGN NOREC BADMETA WIDE MALLORY FIFOREC FIFOMETA; do
    id=${!s}
    check "$s: one log line, the session is not restored" \
        [ "$(grep -c "session '$id' not restored" "$T/tamper-2.log")" = 1 ]
    step "$id" 'print(y)'
    check "$s: its owner gets 404" [ "$CODE" = 404 ]
done
check "damaged record: the line says so" grep -q "'$BADJSON' not restored: serve.json is damaged" "$T/tamper-2.log"
check "another session's record: the line says so" grep -q "'$FOREIGN' not restored: serve.json belongs to another session" "$T/tamper-2.log"
check "no record: the line says so" grep -q "'$NOREC' not restored: not a session of wasmbox serve" "$T/tamper-2.log"
check "damaged session.json: the line says so" grep -q "'$BADMETA' not restored: its session.json is missing or damaged" "$T/tamper-2.log"
check "malformed limits: the line names the field" grep -q "'$WIDE' not restored: serve.json: limits.timeout" "$T/tamper-2.log"
check "unknown owner: the line says so" grep -q "'$MALLORY' not restored: its owner is not an API key" "$T/tamper-2.log"
check "a FIFO for serve.json: the line says so (start-up not blocked)" grep -q "'$FIFOREC' not restored: serve.json is not a regular file" "$T/tamper-2.log"
check "a FIFO for session.json: the line says so" grep -q "'$FIFOMETA' not restored: its session.json is missing or damaged" "$T/tamper-2.log"
step "$SID" 'print(x)'
check "the intact session is still served, in worker processes though made without (x -> 141)" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 141 ]
req POST "$URL/v1/sessions" -H "$HA" -d '{}'
check "and new sessions can be created" [ "$CODE" = 201 ]
req GET "$URL/v1/sessions" -H "$HA"
check "key A's list holds none of the refused sessions" \
    [ "$(jget "sorted(set([s['id'] for s in j['sessions']]) & set('$BADJSON $FOREIGN $NOREC $BADMETA $WIDE $MALLORY $FIFOREC $FIFOMETA'.split()))")" = "[]" ]
stop tamper-2
check "refused sessions are left on disk for the operator" \
    [ -d "$S/$BADJSON" -a -d "$S/$FOREIGN" -a -d "$S/$NOREC" -a -d "$S/$BADMETA" ]

# ---- a server without the owner's key, then with it again ----------------
start nokey --api-keys "$T/keys-bob"
check "without key A: its session is not restored (one line)" \
    [ "$(grep -c "session '$SID' not restored: its owner is not an API key" "$T/nokey.log")" = 1 ]
req GET "$URL/v1/sessions/$SID" -H "$HB"
check "and key B cannot reach it" [ "$CODE" = 404 ]
stop nokey
start withkey --api-keys "$T/keys"
step "$SID" 'print(x)'
check "with key A again, its session is back (x -> 141)" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 141 ]
stop withkey
summary
