#!/bin/bash
# session_steps.sh WASMBOX (tests/attack, round 2): session steps of the
# HTTP API whose Python runs children (docs/processes.md, "Session
# kernels"): a fork bomb, pipes nobody reads, grandchildren left behind,
# a child past the deadline, output and memory floods, a child that
# ignores SIGTERM, reads of the request socket. Prints each step's
# outcome and the session worker's process count and threads, which must
# stay 1 process (the kernel's children are its threads) and return to
# the same threads after each step. Runs the server in a network
# namespace of its own: `unshare --net bash tests/attack/session_steps.sh
# build/x/wasmbox` (WASMBOX_GUESTS as for the suites).
set -u
W=$(realpath "${1:-build/wasmbox}")
T=$(mktemp -d /tmp/wbsess.XXXXXX)
ip link set lo up
printf 'budget:\n  memory: 256M\n  timeout: 5s\n  output: 1M\nsession:\n  languages: [python]\n' >"$T/policy.yaml"
printf 'a:attackkey0123456789abcdef01234\n' >"$T/keys"; chmod 600 "$T/keys"
"$W" serve --listen 127.0.0.1:0 --state-dir "$T/state" --policy "$T/policy.yaml" \
    --api-keys "$T/keys" --workers 2 2>"$T/log" &
SRV=$!
trap 'kill $SRV; wait; rm -rf "$T"' EXIT
for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/log")
    [ -n "$PORT" ] && break; sleep 0.1
done
U=http://127.0.0.1:$PORT/v1/sessions H="Authorization: Bearer attackkey0123456789abcdef01234"
SID=$(curl -s -X POST -H "$H" -d '{}' "$U" | jq -r .id)
step() {   # step NAME TIMEOUT CODE
    local body
    body=$(jq -n --arg c "$3" --arg t "$2" '{language: "python", code: $c, limits: {timeout: $t}}')
    curl -s -X POST -H "$H" -d "$body" "$U/$SID/exec" |
        jq -c --arg n "$1" '[$n, .outcome, (.stdout // "" | .[0:60]), (.stderr // "" | .[-120:]), .processes, .message]'
    ps -o nlwp=,rss= --ppid "$(pgrep -P $SRV | head -1)" | tr '\n' ' '; echo
}
step base 5s 'import os, subprocess; print("ok")'
step forkbomb 3s 'print(os.system("f() { f | f & }; f; sleep 1; echo done"))'
step pipes 5s 'p = subprocess.Popen(["yes"], stdout=subprocess.PIPE); q = subprocess.Popen(["sh", "-c", "cat /dev/zero | cat"]); print("left")'
step after 5s 'print(p.poll(), q.poll())'
step grandkids 5s 'print(os.system("(sleep 100 &); (sh -c \"while :; do :; done\" &); echo spawned"))'
step busychild 2s 'subprocess.run(["python3", "-c", "while 1: pass"])'
step output 5s 'os.system("yes | head -c 5000000")'
step memory 5s 'ps = [subprocess.Popen(["python3", "-c", "x = bytearray(100 << 20); import time; time.sleep(2)"]) for i in range(4)]; print([p.wait() for p in ps])'
step noterm 5s 'p = subprocess.Popen(["sh", "-c", "trap \"\" TERM INT HUP; sleep 50"]); print("ok")'
step readsock 2s 'print(os.read(0, 10))'
step final 5s 'print("final")'
