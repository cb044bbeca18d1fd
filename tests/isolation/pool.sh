#!/bin/bash
# tests/isolation/pool.sh: reused workers of one-shot runs (POST /v1/run,
# src/session/wb_session_pool.c, docs/os-sandbox.md "Reused workers").
# With the test binary $WB_BUILD/tests/wasmbox-attempt (a step whose code
# is "#wb-test-attempt:KIND" makes the worker attempt KIND; "whoami" says
# its pid), against `wasmbox serve` with two API keys:
#   - a key's successive runs run in the same warm worker; another key's
#     never do;
#   - a worker that crashed, or whose run ended other than by the guest's
#     own exit (here: out of fuel), is not reused; the next run works;
#   - each run's workspace is gone when the run ends; a worker cannot
#     read or write another key's run in flight (standing for a guest
#     that has broken the engine);
#   - the pool's directories are gone when the server stops;
#   - started as root: the workers (one-shot and sessions') run as
#     nobody, cannot read the API key file, a session.json or another
#     session's workspace, while a session's files put by the API are
#     written by its steps and the guest's files read by the API.
# Runs itself inside `unshare --net` (127.0.0.1 only). Last line: "N
# passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${WB_BUILD:-$root/build}
A=$B/tests/wasmbox-attempt
if [ -z "${WB_ISO_NETNS:-}" ]; then
    WB_ISO_NETNS=1 exec unshare --net bash "$0" "$@"
fi
ip link set lo up
. "$root/tests/lib.sh"        # pass, fail, skip, summary
if [ ! -x "$A" ]; then
    fail "$A not built (make isolation-check)"
    summary
    exit 1
fi
server_scratch wbpool   # $T, removed at exit with the server ($spid)
KEY_A=poolkeyA$RANDOM$RANDOM$RANDOM KEY_B=poolkeyB$RANDOM$RANDOM$RANDOM
printf 'alice:%s\nbob:%s\n' "$KEY_A" "$KEY_B" >"$T/keys"
chmod 600 "$T/keys"
mkdir "$T/scratch"
"$A" serve --listen 127.0.0.1:0 --api-keys "$T/keys" --state-dir "$T/state" \
    --scratch-dir "$T/scratch" 2>"$T/log" &
spid=$!
url=$(server_url "$T/log")
[ -n "$url" ] || { fail "the server did not start: $(cat "$T/log")"; summary; exit 1; }

# run KEY CODE [LIMITS]: a one-shot Python run; $code and $body.
run() {
    local j out
    j=$(python3 -c 'import json, sys
d = {"language": "python", "code": sys.argv[1]}
if sys.argv[2]: d["limits"] = json.loads(sys.argv[2])
print(json.dumps(d))' "$2" "${3:-}")
    out=$(curl -s -m 60 -w '\n%{http_code}' -X POST -H "Authorization: Bearer $1" \
          -H 'Content-Type: application/json' --data-binary "$j" "$url/v1/run")
    code=${out##*$'\n'}
    body=${out%$'\n'*}
}
jget() { python3 -c 'import sys, json
v = json.loads(sys.argv[1])
for k in sys.argv[2:]: v = v[k]
print(v)' "$@" 2>/dev/null; }
# whoami KEY: the pid of the worker that ran a step of KEY
whoami() {
    run "$1" "#wb-test-attempt:whoami"
    jget "$body" stderr | sed -n 's/^attempt whoami: pid \([0-9]*\) .*/\1/p'
}

a1=$(whoami "$KEY_A"); a2=$(whoami "$KEY_A"); a3=$(whoami "$KEY_A")
if [ -n "$a1" ] && [ "$a1" = "$a2" ] && [ "$a2" = "$a3" ]; then
    pass "a key's successive runs run in one warm worker ($a1)"
else
    fail "no reuse: workers '$a1' '$a2' '$a3' ($code $body)"
fi
b1=$(whoami "$KEY_B")
[ -n "$b1" ] && [ "$b1" != "$a1" ] && pass "another key's run gets its own worker ($b1)" ||
    fail "bob's run: worker '$b1', alice's '$a1'"
a4=$(whoami "$KEY_A")
[ "$a4" = "$a1" ] && pass "alice's worker is still hers after bob's run" ||
    fail "alice's worker changed: $a1 -> $a4"
run "$KEY_A" "print(6 * 7)"
[ "$code" = 200 ] && [ "$(jget "$body" stdout)" = 42 ] &&
    pass "a real Python run in the warm worker" || fail "python run: $code $body"
# a run leaves nothing to the next one in the same worker: not its
# interpreter's state (a module's attribute, a new module, the
# environment, a builtin, a frozen object's contents), nor its files, nor
# its randomness
run "$KEY_A" "import json, os, sys, random, builtins, types
json.leak = 'L1'; os.environ['LEAK'] = 'E1'; builtins.leak = 'B1'
sys.modules['leakmod'] = types.ModuleType('leakmod'); sys.path.append('/leak')
json.decoder.JSONDecoder.leak = 'C1'
open('/work/leak.txt', 'w').write('F1'); os.mkdir('/work/leakdir')
print(random.random())"
r1=$(jget "$body" stdout)
a8=$(whoami "$KEY_A")
run "$KEY_A" "import json, os, sys, random, builtins
seen = [n for n, v in [('module attribute', hasattr(json, 'leak')),
    ('environment', 'LEAK' in os.environ), ('builtin', hasattr(builtins, 'leak')),
    ('module', 'leakmod' in sys.modules), ('sys.path', '/leak' in sys.path),
    ('class attribute', hasattr(json.decoder.JSONDecoder, 'leak')),
    ('file', os.path.exists('/work/leak.txt')), ('directory', os.path.exists('/work/leakdir')),
    ('listing', os.listdir('/work') != [])] if v]
print(seen, random.random())"
seen=$(jget "$body" stdout)
[ "$code" = 200 ] && [ "$a8" = "$a1" ] && [[ $seen == "[] "* ]] && [ -n "$r1" ] &&
    [ "${seen#\[\] }" != "$r1" ] &&
    pass "the next run in the same worker ($a8) sees nothing of the one before" ||
    fail "state left to the next run (worker $a8, was $a1): $code $body (first drew $r1)"
left=$(find "$T/scratch" -mindepth 3 -maxdepth 3 \( -path '*/sessions/*' -o -path '*/work/*' \) | wc -l)
[ "$left" = 0 ] && pass "no run's session nor file is left after it" ||
    fail "left behind: $(find "$T/scratch" -mindepth 3 -maxdepth 3)"

# a crash: the worker is gone, the next run gets a new one
run "$KEY_A" "#wb-test-attempt:segv"
[ "$code" = 500 ] && [ "$(jget "$body" outcome)" = internal ] &&
    pass "a crash in a warm worker: 500 internal" || fail "crash: $code $body"
a5=$(whoami "$KEY_A")
[ -n "$a5" ] && [ "$a5" != "$a1" ] && pass "after a crash, a new worker ($a5)" ||
    fail "after a crash: worker '$a5' (was $a1)"
# out of fuel: the engine stopped the guest; the worker is not reused
run "$KEY_A" "while True: pass" '{"fuel": 1000}'
[ "$code" = 200 ] && [ "$(jget "$body" outcome)" = fuel ] &&
    pass "a run out of fuel" || fail "fuel run: $code $body"
a6=$(whoami "$KEY_A")
[ -n "$a6" ] && [ "$a6" != "$a5" ] && pass "after a run that did not exit, a new worker ($a6)" ||
    fail "after the fuel run: worker '$a6' (was $a5)"
[ "$code" = 200 ] && pass "the run after it works" || fail "after fuel: $code $body"
# a run that spins in a warm worker (one whose watchdog thread has
# already watched earlier runs) still ends at its timeout
a7=$(whoami "$KEY_A")
t0=$(date +%s%N)
run "$KEY_A" "while True: pass" '{"timeout": 1}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$a7" = "$a6" ] && [ "$code" = 200 ] && [ "$(jget "$body" outcome)" = timeout ] &&
    [ "$ms" -lt 30000 ] && pass "a spinning run in a reused worker times out (${ms} ms)" ||
    fail "spin in worker $a7 (was $a6): $code $body after $ms ms"

# another key's run in flight: its workspace is out of reach
run "$KEY_A" "import time; open('/work/s.txt', 'w').write('alice'); time.sleep(4)" &
busy=$!
ws=
for _ in $(seq 60); do
    ws=$(dirname "$(find "$T/scratch" -name s.txt -path '*/work/*' 2>/dev/null | head -1)")
    [ "$ws" != . ] && break
    sleep 0.1
done
if [ -n "$ws" ] && [ "$ws" != . ]; then
    sj=$(find "$(dirname "$ws")/sessions" -name session.json | head -1)
    for what in "open:$ws/s.txt" "write:$ws/planted.txt" "open:$sj"; do
        run "$KEY_B" "#wb-test-attempt:$what"
        e=$(jget "$body" stderr)
        [ "$code" = 200 ] && [[ $e == *"refused: "* ]] &&
            pass "bob's warm worker: $what refused" || fail "bob: $what: $code $body"
    done
    [ -e "$ws/planted.txt" ] && fail "bob planted a file in alice's run" ||
        pass "nothing planted in alice's run"
else
    fail "alice's run's workspace not found under $T/scratch"
fi
wait $busy
if [ -n "$ws" ] && [ "$ws" != . ]; then
    # a worker's own pool directory: only work/ is its to write
    run "$KEY_A" "#wb-test-attempt:write:$(dirname "$ws")/sessions/planted"
    [ "$code" = 200 ] && [[ $(jget "$body" stderr) == *"refused: "* ]] &&
        pass "a worker cannot write beside its workspace (the sessions' directories)" ||
        fail "write beside the workspace: $code $body"
fi

# ---- started as root: the workers run as nobody --------------------------
if [ "$(id -u)" = 0 ]; then
    nobody=$(id -u nobody)
    run "$KEY_A" "#wb-test-attempt:whoami"
    [[ $(jget "$body" stderr) == *" uid $nobody "* ]] &&
        pass "a one-shot run's worker runs as nobody ($nobody)" ||
        fail "one-shot worker's uid: $code $body"
    run "$KEY_A" "#wb-test-attempt:open:$T/keys"
    [[ $(jget "$body" stderr) == *"refused: "* ]] &&
        pass "it cannot read the API key file" || fail "key file: $code $body"
    # req METHOD PATH [BODY]: $code and $body (alice's key)
    req() {
        local out
        out=$(curl -s -m 60 -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $KEY_A" \
              ${3+--data-binary "$3"} "$url$2")
        code=${out##*$'\n'}
        body=${out%$'\n'*}
    }
    step() {   # step SESSION CODE
        req POST "/v1/sessions/$1/exec" "$(python3 -c 'import json, sys
print(json.dumps({"language": "python", "code": sys.argv[1]}))' "$2")"
    }
    req POST /v1/sessions '{}'
    s1=$(jget "$body" id)
    req POST /v1/sessions '{}'
    s2=$(jget "$body" id)
    req PUT "/v1/sessions/$s1/files/d/put.txt" "from the API;"
    step "$s1" "open('/work/d/put.txt', 'a').write('by the guest'); open('/work/new.txt', 'w').write('new')"
    [ "$code" = 200 ] && pass "a session step writes a file the API put" ||
        fail "step on a put file: $code $body"
    req GET "/v1/sessions/$s1/files/d/put.txt"
    [ "$body" = "from the API;by the guest" ] && pass "the API reads it back" ||
        fail "file read back: $code $body"
    req GET "/v1/sessions/$s1/files/new.txt"
    [ "$body" = new ] && pass "the API reads a file the guest made" ||
        fail "guest's file: $code $body"
    step "$s1" "#wb-test-attempt:whoami"
    [[ $(jget "$body" stderr) == *" uid $nobody "* ]] &&
        pass "a session's worker runs as nobody" || fail "session worker's uid: $code $body"
    for what in "open:$T/keys" "open:$T/state/sessions/$s2/session.json" \
                "write:$T/state/sessions/$s2/work/planted.txt" \
                "open:$T/state/sessions/$s1/session.json"; do
        step "$s1" "#wb-test-attempt:$what"
        [ "$code" = 200 ] && [[ $(jget "$body" stderr) == *"refused: "* ]] &&
            pass "a session's worker: $what refused" || fail "$what: $code $body"
    done
    stat -c '%U %a' "$T/keys" "$T/state/sessions/$s1/session.json" |
        grep -qv '^root ' && fail "server files not root's: $(stat -c '%n %U %a' "$T/keys" "$T/state/sessions/$s1/session.json")" ||
        pass "the key file and session.json stay root's"
else
    skip "not root: no uid drop to test"
fi
kill "$spid"
wait "$spid" 2>/dev/null
spid=
left=$(find "$T/scratch" -mindepth 1 -maxdepth 1 -name 'w-*' | wc -l)
[ "$left" = 0 ] && pass "the pool's directories are gone with the server" ||
    fail "left behind: $(ls "$T/scratch")"
summary
