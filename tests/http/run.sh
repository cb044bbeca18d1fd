#!/bin/bash
# tests/http/run.sh: `wasmbox serve` over HTTP with curl.
#
#   tests/http/run.sh [path/to/wasmbox]
#
# Starts servers on random free loopback ports (--listen 127.0.0.1:0; the
# port is read from the server's start-up line), with a temporary state
# directory, key file and policy. A language whose guest image is missing
# from build/guests is skipped (a skip line). The connection floods against
# both servers (tests/http/flood.sh, about 20 s) run in their own network
# namespace, as do the restarts of tests/http/restart.sh (sessions outlive
# the server) and the probes and drain delay of tests/http/drain.sh. Ends
# with "N passed, N failed, N skipped"; exit status 1 if
# anything failed (tests/lib.sh).
set -u
cd "$(dirname "$0")/../.."
WASMBOX=${1:-build/wasmbox}
GUESTS=${WASMBOX_GUESTS:-build/guests}
HERE=tests/http
. tests/lib.sh        # pass, fail, skip, summary
check() {   # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; last_body; fi
}
last_body() {   # what a failed check saw: the status and the start of the body
    echo "     (HTTP ${CODE:-none}: $(head -c 400 "$T/body" 2>/dev/null | tr '\n' ' '))"
}
checks() {  # checks NAME 'SHELL CONDITION'
    if eval "$2"; then pass "$1"; else fail "$1"; fi
}

for tool in curl python3; do
    command -v $tool >/dev/null || { echo "http tests need $tool"; exit 1; }
done
[ -x "$WASMBOX" ] || { echo "no $WASMBOX (run make)"; exit 1; }

T=$(mktemp -d /tmp/wasmbox-http-test.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    chattr -R -i "$T" 2>/dev/null     # the failed-DELETE case
    rm -rf "$T"
}
trap cleanup EXIT

KEY_A=alice-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
KEY_B=bob-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '# test keys\nalice:%s\n\nbob:%s\n' "$KEY_A" "$KEY_B" > "$T/keys"
chmod 600 "$T/keys"
# WB_HTTP_TIMEOUT: the policy's step timeout (sanitizer builds are slower)
cat > "$T/policy.yaml" <<EOF
budget:
  memory: 256M
  timeout: ${WB_HTTP_TIMEOUT:-5s}
  output: 1M
  disk: 64M
session:
  idle_expiry: 1h
  languages: [python, javascript, lua, sql, wasm, shell]
EOF

# start_server NAME ARGS...: sets PORT_<NAME>, PID_<NAME>; with NOFILE=N
# set, the server runs under `ulimit -n N`
start_server() {
    local name=$1; shift
    local log="$T/$name.log"
    (if [ -n "${NOFILE:-}" ]; then ulimit -n "$NOFILE"; fi
     exec env -u WASMBOX_API_KEYS WASMBOX_GUESTS="$GUESTS" "$WASMBOX" serve \
        --listen 127.0.0.1:0 --state-dir "$T/state-$name" "$@") 2>"$log" &
    local pid=$!
    PIDS+=("$pid")
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "server $name did not start:"; cat "$log"; exit 1
    fi
    eval "PORT_$name=$port; PID_$name=$pid"
}

# req METHOD URL [curl args...]: body in $T/body, status in $CODE
req() {
    local m=$1 u=$2; shift 2
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$u" "$@")
}
auth() { echo "Authorization: Bearer $1"; }
jget() {    # jget EXPR: python expression over j (the last body)
    python3 -c "import json,sys; j=json.load(open('$T/body')); print($1)" 2>/dev/null
}
run_json() {   # run_json LANG CODE [extra json]
    python3 -c 'import json,sys; d={"language":sys.argv[1],"code":sys.argv[2]}; d.update(json.loads(sys.argv[3] if len(sys.argv)>3 else "{}")); print(json.dumps(d))' "$@"
}

# in_flight URL N: wait (up to 60 s) until the server at URL has N requests
# under way besides the /metrics one asking (slow builds start late); asks
# with key B (the 429 test holds key A at its limit).
in_flight() {
    local n
    for _ in $(seq 600); do
        n=$(curl -s -H "$HB" "$1/metrics" |
            sed -n 's/^wasmbox_http_requests_in_flight \([0-9]*\)$/\1/p')
        [ "${n:-0}" -gt "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

start_server main --policy "$T/policy.yaml" --api-keys "$T/keys" \
    --max-body 1M --workers 4
U=http://127.0.0.1:$PORT_main
HA=$(auth "$KEY_A")
HB=$(auth "$KEY_B")

# ---- health, auth ------------------------------------------------------
req GET "$U/healthz"
check "GET /healthz without a key -> 200" [ "$CODE" = 200 ]
req POST "$U/v1/run" -d "$(run_json lua 'print(1)')"
check "no key -> 401" [ "$CODE" = 401 ]
check "401 body is {\"error\": ...}" [ -n "$(jget "j['error']")" ]
req POST "$U/v1/run" -H "$(auth "${KEY_A}x")" -d "$(run_json lua 'print(1)')"
check "wrong key -> 401" [ "$CODE" = 401 ]
req POST "$U/v1/run" -H "Authorization: Basic $KEY_A" -d "$(run_json lua 'print(1)')"
check "not a Bearer credential -> 401" [ "$CODE" = 401 ]
req GET "$U/metrics"
check "GET /metrics without a key -> 401" [ "$CODE" = 401 ]

# ---- one-shot runs, each language --------------------------------------
lang_ok() {   # lang_ok DIR FILE
    [ -f "$GUESTS/$1/$2" ]
}
oneshot() {   # oneshot LANG DIR FILE CODE EXPECT
    local lang=$1 dir=$2 file=$3 code=$4 want=$5
    if ! lang_ok "$dir" "$file"; then
        skip "one-shot $lang (no $GUESTS/$dir/$file; run 'make guests')"
        return
    fi
    req POST "$U/v1/run" -H "$HA" -d "$(run_json "$lang" "$code")"
    local out; out=$(jget "j['stdout']")
    if [ "$CODE" = 200 ] && [ "$out" = "$want" ] &&
       [ "$(jget "j['outcome']")" = exited ] &&
       [ "$(jget "j['exit_code']")" = 0 ]; then
        pass "one-shot $lang"
    else
        fail "one-shot $lang: $CODE $(cat "$T/body")"
    fi
}
oneshot python python python.wasm 'print(6 * 7)' 42
oneshot javascript js qjs.wasm 'console.log(6 * 7)' 42
oneshot lua lua lua.wasm 'print(6 * 7)' 42
oneshot sql sqlite sqlite3.wasm 'select 6 * 7 as answer;' "$(printf 'answer\n42')"
if command -v wat2wasm >/dev/null; then
    wat2wasm "$HERE/hello.wat" -o "$T/hello.wasm"
    MOD=$(base64 -w0 "$T/hello.wasm")
    req POST "$U/v1/run" -H "$HA" -d "{\"language\":\"wasm\",\"module\":\"$MOD\"}"
    check "one-shot wasm (base64 module)" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "hello from wasm" ]
    req POST "$U/v1/run" -H "$HA" -d '{"language":"wasm","module":"AGFzbQEAAAA="}'
    check "one-shot wasm without _start -> 200, outcome error" \
        [ "$CODE" = 200 -a "$(jget "j['outcome']")" = error ]
else
    skip "one-shot wasm (no wat2wasm; install wabt)"
fi
if lang_ok shell dash.wasm; then
    # issue 19: a pipeline of busybox's tools over a file of the request
    req POST "$U/v1/run" -H "$HA" -d "$(run_json shell 'grep -c x in/a.txt | tr 0-9 a-j; cat in/a.txt | sort -r | head -1; pwd' \
        '{"files": {"in/a.txt": "ax\nb\nxc\n"}}')"
    check "one-shot shell: a pipeline over a file of 'files'" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "$(printf 'c\nxc\n/work')" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json shell 'nosuch; exit 7')"
    check "one-shot shell: a missing command on stderr, the script's status" \
        [ "$CODE" = 200 -a "$(jget "j['exit_code']")" = 7 -a "$(jget "'nosuch: not found' in j['stderr']")" = True ]
else
    skip "one-shot shell (no shell guest; make guests)"
fi
if lang_ok python python.wasm; then
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'print(open("in/data.txt").read().upper())' \
        '{"files": {"in/data.txt": "abc", "b.bin": {"base64": "AAE="}}}')"
    check "one-shot python reads a file from 'files'" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = ABC ]
    check "the run reports usage" [ "$(jget "j['usage']['wall_time_ms'] >= 0 and j['usage']['peak_memory'] > 0")" = True ]
    if lang_ok shell dash.wasm; then
        # issue 19: a one-shot run starts in /work under the virtual root,
        # so /bin and /dev/null are there for its children
        req POST "$U/v1/run" -H "$HA" -d "$(run_json python $'import os, subprocess\nr = subprocess.run(["ls", "-l"], capture_output=True)\nprint(os.getcwd(), r.returncode, r.stdout.decode().split()[-1])\nopen("/dev/null", "w").write("gone")\nprint(subprocess.run(["cat", "in/a.txt"], stdout=subprocess.DEVNULL).returncode)\nprint(os.system("grep -c x in/a.txt | tee n >/dev/null"), open("n").read(), end="")' \
            '{"files": {"in/a.txt": "ax\nb\nxx\n"}}')"
        check "one-shot python: subprocess, os.system and /dev/null in /work" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "$(printf '/work 0 in\n0\n0 2')" -a "$(jget "j['processes']['started']")" = 6 ]
    fi
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'import sys; print("x"); sys.exit(3)')"
    check "exit code is passed through" [ "$(jget "j['exit_code']")" = 3 ]
    # a run's end (quick: its interpreter is not torn down) still does
    # what a normal exit shows: atexit functions, __del__ of __main__'s
    # globals (after the others are cleared, as at exit) and of cycles,
    # logging's handlers, unterminated output
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python $'import atexit, logging, sys\nclass D:\n    def __init__(self, n): self.n = n\n    def __del__(self): print("del", self.n, X)\nX = 1\nd = D("global")\nc = D("cycle"); c.me = c; del c\natexit.register(print, "atexit")\nlogging.basicConfig(format="%(message)s"); logging.warning("logged")\nsys.stdout.write("end")')"
    check "a run's end: atexit, __del__, logging, unterminated output" \
        [ "$CODE" = 200 -a "$(jget "j['stdout'] + '|' + j['stderr'] + '|' + str(j['exit_code'])")" = \
          "$(printf 'endatexit\ndel cycle 1\ndel global None\n|logged\n|0')" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python $'import os, sys\nsys.stdout.write("x")\nos.close(1)')"
    check "stdout that cannot be flushed at the end: exit 120" \
        [ "$CODE" = 200 -a "$(jget "j['exit_code']")" = 120 ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'while True: pass' '{"limits": {"timeout": 0.5}}')"
    check "a tighter timeout applies (outcome timeout)" [ "$CODE" = 200 -a "$(jget "j['outcome']")" = timeout ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'print("y" * 100000)' '{"limits": {"output": 1000}}')"
    check "a tighter output limit truncates" [ "$CODE" = 200 -a "$(jget "j['truncated']['stdout']")" = True ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'import sys; print(sys.argv[1:])' '{"args": ["a b", "-x", "--"]}')"
    check "one-shot python: args are sys.argv[1:]" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "['a b', '-x', '--']" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'import sys; print(sys.stdin.read().upper(), end="")' '{"stdin": "one\ntwo\n"}')"
    check "one-shot python: stdin" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "$(printf 'ONE\nTWO')" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'import sys; print(len(sys.stdin.buffer.read()))' '{"stdin": {"base64": "AAEC/w=="}}')"
    check "one-shot python: binary stdin as base64" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 4 ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'import sys; print(repr(sys.stdin.read()))')"
    check "one-shot python: no stdin reads as empty" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "''" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'print(1)' '{"args": "x"}')"
    check "args not an array -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('args')")" = True ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'print(1)' '{"args": [1]}')"
    check "args with a non-string -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('args[0]')")" = True ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json python 'print(1)' '{"stdin": 5}')"
    check "stdin not a string -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('stdin')")" = True ]
fi
if lang_ok js qjs.wasm; then
    req POST "$U/v1/run" -H "$HA" -d "$(run_json javascript 'console.log(JSON.stringify(scriptArgs), std.in.readAsString().trim())' '{"args": ["-a", "b"], "stdin": "in\n"}')"
    check "one-shot javascript: args and stdin" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = '["-a","b"] in' ]
fi
if lang_ok lua lua.wasm; then
    req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(arg[1], #arg)' '{"args": ["x", "y"]}')"
    check "one-shot lua: args" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "$(printf 'x\t2')" ]
    req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)' '{"stdin": "x"}')"
    check "stdin for lua (program on stdin) -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('stdin')")" = True ]
fi
req POST "$U/v1/run" -H "$HA" -d "$(run_json sql 'select 1;' '{"args": ["x"]}')"
check "args for sql -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('args')")" = True ]
if [ -n "${MOD:-}" ]; then
    req POST "$U/v1/run" -H "$HA" -d "{\"language\":\"wasm\",\"module\":\"$MOD\",\"args\":[\"a\"],\"stdin\":\"x\"}"
    check "one-shot wasm takes args and stdin" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "hello from wasm" ]
fi

# ---- limits can only tighten -------------------------------------------
req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)' '{"limits": {"memory": "4G"}}')"
check "limits.memory above the policy -> 400 naming the field" \
    [ "$CODE" = 400 -a -n "$(jget "'limits.memory' in j['error'] or ''")" ]
req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)' '{"limits": {"timeout": 3600}}')"
check "limits.timeout above the policy -> 400" \
    [ "$CODE" = 400 -a "$(jget "j['error'].startswith('limits.timeout')")" = True ]
req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)' '{"limits": {"output": "2M"}}')"
check "limits.output above the policy -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)' '{"limits": {"cpu": 1}}')"
check "an unknown limit -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/sessions" -H "$HA" -d '{"limits": {"memory": "1G"}}'
check "a session cannot widen its limits either -> 400" [ "$CODE" = 400 ]

# ---- 400 / 404 / 405 ---------------------------------------------------
req POST "$U/v1/run" -H "$HA" -d '{"language": "python", "code": '
check "malformed JSON -> 400" [ "$CODE" = 400 -a -n "$(jget "j['error']")" ]
req POST "$U/v1/run" -H "$HA" -d '[1, 2]'
check "a JSON array body -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/run" -H "$HA" -d '{"code": "print(1)"}'
check "missing language -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/run" -H "$HA" -d '{"language": "cobol", "code": "x"}'
check "unknown language -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/run" -H "$HA" -d '{"language": "lua", "code": "print(1)", "colour": 1}'
check "unknown field -> 400" [ "$CODE" = 400 -a "$(jget "j['error'].startswith('colour')")" = True ]
req POST "$U/v1/run" -H "$HA" -d '{"language": "wasm", "module": "!!notbase64"}'
check "bad base64 module -> 400" [ "$CODE" = 400 ]
req POST "$U/v1/run" -H "$HA" -d '{"language": "lua", "code": "x", "files": {"../escape": "x"}}'
check "a file path escaping the workspace -> 400" [ "$CODE" = 400 ]
req GET "$U/v1/nothing" -H "$HA"
check "unknown route -> 404" [ "$CODE" = 404 ]
req GET "$U/v1/sessions/nosuchsession/files" -H "$HA"
check "unknown session -> 404" [ "$CODE" = 404 ]
CODE=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' -X GET "$U/v1/run" -H "$HA")
checks "wrong method -> 405 with Allow: POST" '[ "$CODE" = 405 ] && grep -qi "^Allow: POST" "$T/hdr"'

# ---- 413 ---------------------------------------------------------------
head -c 1100000 /dev/zero | tr '\0' 'a' > "$T/big"
req POST "$U/v1/run" -H "$HA" -H 'Content-Type: application/json' --data-binary @"$T/big"
check "body over --max-body -> 413" [ "$CODE" = 413 ]
req POST "$U/v1/run" -H "$HA" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big"
check "chunked body over --max-body -> 413" [ "$CODE" = 413 ]
req POST "$U/v1/run" -H "$HA" -d "$(run_json lua 'print(1)')"
check "the server still answers after a 413" [ "$CODE" = 200 ]

# ---- session flow ------------------------------------------------------
if lang_ok python python.wasm; then
    req POST "$U/v1/sessions" -H "$HA" -d '{}'
    SID=$(jget "j['id']")
    check "create a session -> 201 with an id" [ "$CODE" = 201 -a -n "$SID" ]
    S=$U/v1/sessions/$SID
    req PUT "$S/files/data/notes.txt" -H "$HA" --data-binary 'line one'
    check "put a file -> 200" [ "$CODE" = 200 -a "$(jget "j['size']")" = 8 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'text = open("data/notes.txt").read(); print(text)')"
    check "exec reads the file" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "line one" ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'counter = 41')"
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'counter += 1; print(counter, text)')"
    check "a variable survives between python execs" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "42 line one" -a "$(jget "j['state']['kept']")" = True ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'open("out.csv", "w").write("a,b\n")')"
    req GET "$S/files" -H "$HA"
    check "list files" [ "$CODE" = 200 -a "$(jget "sorted(f['path'] for f in j['files'] if not f['is_dir'])")" = "['data/notes.txt', 'out.csv']" ]
    req GET "$S/files/out.csv" -H "$HA"
    check "get a file written by the code" [ "$CODE" = 200 -a "$(cat "$T/body")" = "a,b" ]
    req PUT "$S/files/..%2F..%2Fescape.txt" -H "$HA" --data-binary 'x'
    check "a percent-encoded '..' path -> 400" [ "$CODE" = 400 ]
    req PUT "$S/files/a%00b.txt" -H "$HA" --data-binary 'nul'
    checks "a NUL (%00) in a file path -> 400, nothing written" \
        '[ "$CODE" = 400 ] && [ ! -e "$T/state-main/sessions/$SID/work/a" ]'
    req PUT "$S/files/with%20space.txt" -H "$HA" --data-binary 'spaced'
    req GET "$S/files/with%20space.txt" -H "$HA"
    check "percent-encoded file names round-trip" [ "$CODE" = 200 -a "$(cat "$T/body")" = spaced ]
    req GET "$S/files/missing.txt" -H "$HA"
    check "get a missing file -> 404" [ "$CODE" = 404 ]
    req GET "$S/files?dir=nodir" -H "$HA"
    check "list a missing directory -> 404" [ "$CODE" = 404 ]
    req GET "$S/files/no%20such%20file%2F..%2Fx" -H "$HA"
    check "a bad path -> 400, even when it reads 'no such file'" [ "$CODE" = 400 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 1' '{"limits": {"timeout": 60}}')"
    check "exec limits above the policy -> 400" [ "$CODE" = 400 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'while True: pass' '{"limits": {"timeout": "300ms"}}')"
    check "exec with a tighter timeout -> outcome timeout" [ "$(jget "j['outcome']")" = timeout ]
    # the session's kernel runs in a worker (isolation is on): its
    # checkpoint there compares page hashes (docs/snapshots.md)
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 1')"
    req POST "$S/exec" -H "$HA" -d "$(run_json python $'x = 2\nwhile True: pass' '{"limits": {"timeout": "300ms"}}')"
    LIVE=$(jget "j['state']['live_step']")
    check "a timeout after x = 1 rolls back (rolled_back, live_step, kept)" \
        [ "$CODE" = 200 -a "$(jget "j['outcome']")" = timeout -a "${LIVE:-0}" -ge 1 \
          -a "$(jget "(j['state']['rolled_back'], j['state']['kept'], j['state']['lost_after'])")" = "(True, True, False)" ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(x == 1)')"
    check "the next exec sees x == 1" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = True -a "$(jget "j['state']['rolled_back']")" = False ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 3; 1 / 0')"
    req POST "$S/exec" -H "$HA" -d "$(run_json python $'x = 4\nwhile True: pass' '{"limits": {"timeout": "300ms"}}')"
    check "a second timeout rolls back to the step after the first" \
        [ "$(jget "j['state']['rolled_back']")" = True -a "$(jget "j['state']['live_step']")" = $((LIVE + 2)) ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(x)')"
    check "... where x == 3" [ "$(jget "j['stdout']")" = 3 ]
    if lang_ok shell dash.wasm; then
        # issue 19: the kernel's children (docs/processes.md, "Session
        # kernels") see /work and end with their step
        req POST "$S/exec" -H "$HA" -d "$(run_json python $'import os, subprocess\nopen("f", "w").write("ax\\nb\\nxx\\n")\nr = subprocess.run(["ls", "-l"], capture_output=True)\nprint(r.returncode, " f\\n" in r.stdout.decode())')"
        check "session python: subprocess.run(['ls', '-l']) lists /work" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "0 True" -a "$(jget "j['processes']['started']")" = 2 ]
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(os.system("grep -c x f | tee n"))')"
        check "session python: os.system('grep -c x f | tee n')" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "$(printf '2\n0')" ]
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(open("n").read(), end="")')"
        check "... and the next step reads n" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 2 ]
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'p = subprocess.Popen(["sh", "-c", "sleep 4; echo late > late1"])')"
        check "session python: a step that leaves a child running returns" \
            [ "$CODE" = 200 -a "$(jget "j['outcome'] == 'exited' and j['usage']['wall_time_ms'] < 4000")" = True ]
        sleep 5
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(p.poll(), os.path.exists("late1"))')"
        check "... its child was killed when it returned (-9, no late1)" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "-9 False" ]
        T0=$(date +%s%N)
        req POST "$S/exec" -H "$HA" -d "$(run_json python $'x = 0\nsubprocess.run(["sh", "-c", "sleep 3; echo late > late2"])' '{"limits": {"timeout": "1500ms"}}')"
        check "session python: a child sleeping past the deadline: the step times out" \
            [ "$CODE" = 200 -a "$(jget "j['outcome']")" = timeout -a "$(jget "j['state']['rolled_back']")" = True ]
        sleep "$(python3 -c "print(max(0, 4 - ($(date +%s%N) - $T0) / 1e9))")"
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(x, os.path.exists("late2"))')"
        check "... the child is gone with it (no late2) and the next step works" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "3 False" ]
        req POST "$S/exec" -H "$HA" -d "$(run_json python $'ps = []\ntry:\n    while True:\n        ps.append(subprocess.Popen(["sleep", "30"]))\nexcept OSError as e:\n    print(len(ps), e.errno)')"
        check "session python: spawning in a loop ends at max_processes (EAGAIN, processes.refused)" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "15 6" \
              -a "$(jget "(j['processes']['max_live'], j['processes']['refused'] > 0)")" = "(16, True)" ]
        req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(sorted(set(p.wait() for p in ps)), x)')"
        check "... they end with the step (-9), the kernel goes on" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "[-9] 3" ]
    else
        skip "session python: child processes (no shell guest; make guests)"
    fi
    # ---- fork: a new session from this one (POST .../fork)
    ln -s /etc/hostname "$T/state-main/sessions/$SID/work/leak"
    mkfifo "$T/state-main/sessions/$SID/work/pipe"
    req POST "$S/fork" -H "$HA"
    FID=$(jget "j['id']")
    F=$U/v1/sessions/$FID
    check "fork -> 201 with a new id and its parent's" \
        [ "$CODE" = 201 -a -n "$FID" -a "$FID" != "$SID" -a "$(jget "j['parent']")" = "$SID" ]
    req POST "$F/exec" -H "$HA" -d "$(run_json python 'print(x, open("out.csv").read().strip())')"
    check "the fork has the parent's variables and files" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "3 a,b" ]
    req POST "$F/exec" -H "$HA" -d "$(run_json python 'x = 30; open("out.csv", "w").write("fork\n")')"
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(x, open("out.csv").read().strip())')"
    check "the parent is untouched by the fork's steps (x, out.csv)" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = "3 a,b" ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 4')"
    req POST "$F/exec" -H "$HA" -d "$(run_json python 'print(x, open("out.csv").read().strip())')"
    check "... and the fork by the parent's" [ "$(jget "j['stdout']")" = "30 fork" ]
    checks "a symlink out of the workspace is copied as a link, a FIFO left out" \
        '[ -L "$T/state-main/sessions/$FID/work/leak" ] && [ ! -e "$T/state-main/sessions/$FID/work/pipe" ]'
    req GET "$F/files/leak" -H "$HA"
    check "... which the file API refuses -> 400" [ "$CODE" = 400 ]
    req POST "$F/exec" -H "$HA" -d "$(run_json python $'try:\n    print(open("leak").read())\nexcept OSError as e:\n    print("refused")')"
    check "... and the fork's guest cannot read through" [ "$(jget "j['stdout']")" = refused ]
    rm -f "$T/state-main/sessions/$SID/work/leak" "$T/state-main/sessions/$SID/work/pipe"
    req POST "$F/exec" -H "$HA" -d "$(run_json python $'y = 5\nwhile True: pass' '{"limits": {"timeout": "300ms"}}')"
    check "the fork's timeout holds and rolls back" \
        [ "$(jget "j['outcome']")" = timeout -a "$(jget "j['state']['rolled_back']")" = True ]
    req POST "$F/exec" -H "$HA" -d "$(run_json python 'b = bytearray(400 << 20)')"
    check "the fork's memory limit holds (256M)" \
        [ "$(jget "j['outcome'] == 'memory' or 'MemoryError' in j['stderr']")" = True ]
    req POST "$F/exec" -H "$HA" -d "$(run_json python 'print(x)')"
    check "... and the fork goes on (x == 30)" [ "$(jget "j['stdout']")" = 30 ]
    req GET "$S/files" -H "$HB"; NF_BODY=$(cat "$T/body"); NF_CODE=$CODE
    req POST "$S/fork" -H "$HB"
    check "another key's fork of it -> the same 404 as its other endpoints" \
        [ "$CODE" = 404 -a "$NF_CODE" = 404 -a "$(cat "$T/body")" = "$NF_BODY" ]
    req POST "$U/v1/sessions/nosuchsession/fork" -H "$HA"
    check "fork of an unknown id -> 404" [ "$CODE" = 404 ]
    req POST "$S/fork" -H "$HA" -d '{"limits": {}}'
    check "fork takes no fields -> 400" [ "$CODE" = 400 ]
    req DELETE "$F" -H "$HA"
    check "delete the fork" [ "$CODE" = 200 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 3')"
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print("z" * 50)' '{"limits": {"output": 10}}')"
    check "exec with a tighter output limit truncates" [ "$(jget "j['truncated']['stdout']")" = True ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print("z" * 50)')"
    check "the next exec has the session's budget again" \
        [ "$CODE" = 200 -a "$(jget "j['truncated']['stdout']")" = False -a "$(jget "len(j['stdout'])")" = 51 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(1)' '{"args": ["x"]}')"
    check "exec takes no args (only /v1/run) -> 400" [ "$CODE" = 400 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'x = 1' '{"limits": {"disk": "1M"}}')"
    check "exec cannot lower a kernel's disk limit -> 400 naming it" \
        [ "$CODE" = 400 -a "$(jget "j['error'].startswith('limits.disk')")" = True ]
    req GET "$U/v1/sessions" -H "$HA"
    check "list sessions shows it" [ "$CODE" = 200 -a "$(jget "[s['id'] for s in j['sessions']]")" = "['$SID']" ]
    req GET "$U/v1/sessions" -H "$HB"
    check "another key does not see it" [ "$CODE" = 200 -a "$(jget "len(j['sessions'])")" = 0 ]
    req GET "$S/files/out.csv" -H "$HB"
    check "another key cannot read its files -> 404" [ "$CODE" = 404 ]
    req DELETE "$S" -H "$HA"
    check "delete the session" [ "$CODE" = 200 ]
    req POST "$S/exec" -H "$HA" -d "$(run_json python 'print(1)')"
    check "a deleted session -> 404" [ "$CODE" = 404 ]
    check "its workspace is gone" [ ! -e "$T/state-main/sessions/$SID" ]
else
    skip "session flow (no python guest)"
fi

# ---- metrics -----------------------------------------------------------
req GET "$U/metrics" -H "$HA"
check "metrics: runs by outcome" grep -q '^wasmbox_runs_total{outcome="exited"} [1-9]' "$T/body"
check "metrics: latency histogram" grep -q '^wasmbox_http_request_duration_seconds_bucket{le="+Inf"} [1-9]' "$T/body"
check "metrics: gauges" grep -q '^wasmbox_sessions_active 0' "$T/body"
check "metrics: in-flight gauge" grep -q '^wasmbox_http_requests_in_flight 1' "$T/body"

# ---- OpenAPI conformance -----------------------------------------------
"$WASMBOX" serve --list-routes > "$T/routes"
if python3 "$HERE/openapi_check.py" "$U" "$KEY_A" docs/openapi.json "$T/routes" > "$T/openapi.log" 2>&1; then
    pass "OpenAPI document matches the server ($(grep -c '^ok' "$T/openapi.log") checks)"
else
    fail "OpenAPI conformance:"; grep -v '^ok' "$T/openapi.log"
fi

# ---- 429: per-key concurrency ------------------------------------------
if lang_ok python python.wasm; then
    start_server limited --policy "$T/policy.yaml" --api-keys "$T/keys" \
        --max-concurrent-per-key 1 --workers 4
    L=http://127.0.0.1:$PORT_limited
    curl -s -o "$T/slow" -X POST "$L/v1/run" -H "$HA" \
        -d "$(run_json python 'import time; time.sleep(2); print("slow")')" &
    SLOW=$!
    in_flight "$L" 1
    req POST "$L/v1/run" -H "$HA" -d "$(run_json lua 'print(1)')"
    check "a second request of the same key -> 429" [ "$CODE" = 429 ]
    req POST "$L/v1/run" -H "$HB" -d "$(run_json lua 'print(1)')"
    check "another key is not limited -> 200" [ "$CODE" = 200 ]
    wait $SLOW
    check "the first request completed" grep -q '"stdout":"slow\\n"' "$T/slow"
    req POST "$L/v1/run" -H "$HA" -d "$(run_json lua 'print(1)')"
    check "after it, the key may run again" [ "$CODE" = 200 ]
else
    skip "429 (no python guest)"
fi

# ---- fairness between keys ----------------------------------------------
# Two workers; alice queues four runs that spin until their 3 s timeout,
# then bob asks for print(1). A single FIFO made bob wait for two rounds
# of alice's runs (6 s). Bob's wait is measured against his run on an idle
# server, so a slow build (sanitizers) does not change the verdict.
PRINT1=$(run_json lua 'print(1)')   # made before: a slow python must not delay a timed request
SPIN=$(run_json lua 'while true do end' '{"limits": {"timeout": 3}}')
timed_run() {   # timed_run URL KEYHEADER BODY: "CODE SECONDS" of one run
    curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST "$1/v1/run" \
        -H "$2" -d "$3"
}
waited_less() {   # waited_less "CODE SECONDS" "CODE IDLE_SECONDS" EXTRA
    python3 -c 'import sys; c, t = sys.argv[1].split(); i = sys.argv[2].split()[1]; sys.exit(not (c == "200" and float(t) < float(i) + float(sys.argv[3])))' "$@"
}
busy_runs() {   # busy_runs URL: alice's four spinning runs, in the background;
                # fails unless two of them are seen waiting in her queue
    curl -s -Z --parallel-immediate -X POST -H "$HA" -d "$SPIN" \
        -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
        "$1/v1/run" "$1/v1/run" "$1/v1/run" "$1/v1/run" 2>/dev/null &
    BUSY=$!
    for _ in $(seq 60); do
        curl -s "$1/metrics" -H "$HB" | grep -q '^wasmbox_http_requests_queued [2-9]' && return 0
        sleep 0.05
    done
    return 1
}
stop_now() {    # stop_now PID: kill a server and the busy client at once
    kill -KILL "$1" "$BUSY" 2>/dev/null
    wait "$1" "$BUSY" 2>/dev/null
}
if lang_ok lua lua.wasm; then
    start_server fair --policy "$T/policy.yaml" --api-keys "$T/keys" \
        --workers 2 --max-sessions 4 --scratch-dir "$T/scratch-fair"
    F=http://127.0.0.1:$PORT_fair
    # per-key session quota: 4 sessions, two keys -> 2 each
    req POST "$F/v1/sessions" -H "$HA" -d '{}'; C1=$CODE
    req POST "$F/v1/sessions" -H "$HA" -d '{}'; C2=$CODE
    req POST "$F/v1/sessions" -H "$HA" -d '{}'
    checks "a key past its session quota -> 429 naming --max-sessions-per-key" \
        '[ "$C1$C2$CODE" = 201201429 ] && [ "$(jget "j[\"limit\"]")" = max-sessions-per-key ] && grep -q -- --max-sessions-per-key "$T/body"'
    req POST "$F/v1/sessions" -H "$HB" -d '{}'
    check "another key can still open a session" [ "$CODE" = 201 ]
    timed_run "$F" "$HB" "$PRINT1" > /dev/null   # warm
    IDLE=$(timed_run "$F" "$HB" "$PRINT1")
    if busy_runs "$F"; then
        R=$(timed_run "$F" "$HB" "$PRINT1")
        checks "fairness: another key's run starts at once, not behind one key's busy runs ($R; idle: $IDLE)" \
            'waited_less "$R" "$IDLE" 1.5'
    else
        fail "fairness: alice's runs were never seen queued"
    fi
    stop_now "$PID_fair"

    # round-robin alone (no worker kept back): bob waits at most for the
    # end of one of alice's runs, not for her whole queue. One of her runs
    # alone is timed first: its 3 s, plus what starting and ending a run
    # costs in this build (a worker process each; slow with sanitizers).
    start_server rr --policy "$T/policy.yaml" --api-keys "$T/keys" \
        --workers 2 --max-running-per-key 2 --scratch-dir "$T/scratch-rr"
    ONE=$(timed_run "http://127.0.0.1:$PORT_rr" "$HA" "$SPIN" | cut -d' ' -f2)
    if busy_runs "http://127.0.0.1:$PORT_rr"; then
        R=$(timed_run "http://127.0.0.1:$PORT_rr" "$HB" "$PRINT1")
        checks "fairness: the keys' queues are served round-robin ($R; idle: $IDLE; one busy run alone: $ONE s)" \
            'waited_less "$R" "$IDLE" "$(python3 -c "print($ONE + 1.3)")"'
    else
        fail "fairness (round-robin): alice's runs were never seen queued"
    fi
    stop_now "$PID_rr"
else
    skip "fairness between keys (no lua guest)"
fi

# ---- workspace quota across steps and uploads ------------------------------
printf 'budget:\n  timeout: %s\n  disk: 128K\nsession:\n  languages: [python, lua]\n' "${WB_HTTP_TIMEOUT:-5s}" \
    > "$T/quota.yaml"
if lang_ok lua lua.wasm; then
    start_server quota --policy "$T/quota.yaml" --api-keys "$T/keys"
    Q=http://127.0.0.1:$PORT_quota
    req POST "$Q/v1/sessions" -H "$HA" -d '{}'
    QS=$Q/v1/sessions/$(jget "j['id']")
    head -c 50000 /dev/zero > "$T/50k"
    head -c 80000 /dev/zero > "$T/80k"
    req PUT "$QS/files/up.bin" -H "$HA" --data-binary @"$T/50k"
    check "an upload within the workspace quota -> 200" [ "$CODE" = 200 ]
    req PUT "$QS/files/more.bin" -H "$HA" --data-binary @"$T/80k"
    checks "an upload past the workspace quota -> 413 naming it" \
        '[ "$CODE" = 413 ] && [ "$(jget "j[\"limit\"]")" = workspace-quota ] && grep -q quota "$T/body"'
    write_lua() { run_json lua "local f = io.open('$1', 'w'); f:write(string.rep('x', 50000)); f:close(); print('ok')"; }
    req POST "$QS/exec" -H "$HA" -d "$(write_lua one.txt)"
    check "a step may use what is left of the quota" [ "$CODE" = 200 -a "$(jget "j['stdout']")" = ok ]
    req POST "$QS/exec" -H "$HA" -d "$(write_lua two.txt)"
    checks "a step past what is left -> outcome disk-limit naming the quota" \
        '[ "$CODE" = 200 ] && [ "$(jget "j[\"outcome\"]")" = disk-limit ] && grep -q quota "$T/body"'
    if lang_ok python python.wasm; then
        req POST "$QS/exec" -H "$HA" -d "$(run_json python 'open("three.bin", "wb").write(b"x" * 50000)')"
        check "a python (kernel) step past what is left -> disk-limit" \
            [ "$CODE" = 200 -a "$(jget "j['outcome']")" = disk-limit ]
    fi
    req GET "$QS/files" -H "$HA"
    checks "the workspace stays within its quota ($(jget "sum(f['size'] for f in j['files'])") bytes of files)" \
        '[ "$CODE" = 200 ] && [ "$(jget "sum(f[\"size\"] for f in j[\"files\"]) <= 128 * 1024")" = True ]'
    if lang_ok python python.wasm; then
        # a step charges a hard link as one name: 90000 bytes named 8
        # times fit the quota; a fork counts (and would copy) every name
        # in full, so it is refused having written about the budget, not
        # 8 copies (the server's write_bytes, where the kernel counts them)
        req POST "$Q/v1/sessions" -H "$HA" -d '{}'
        LS=$Q/v1/sessions/$(jget "j['id']")
        req POST "$LS/exec" -H "$HA" -d "$(run_json python $'import os\nopen("big", "wb").write(b"x" * 90000)\nfor i in range(7): os.link("big", "l%d" % i)\nprint(len(os.listdir(".")))')"
        check "a file of 90000 bytes with 8 names (hard links) within the quota" \
            [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 8 ]
        wb0=$(sed -n 's/^write_bytes: //p' "/proc/$PID_quota/io" 2>/dev/null)
        req POST "$LS/fork" -H "$HA"
        wb1=$(sed -n 's/^write_bytes: //p' "/proc/$PID_quota/io" 2>/dev/null)
        checks "its fork -> 413 naming the disk budget, having written $(( ${wb1:-0} - ${wb0:-0} )) bytes (< 300000)" \
            '[ "$CODE" = 413 ] && grep -q "disk budget" "$T/body" && [ $(( ${wb1:-0} - ${wb0:-0} )) -lt 300000 ]'
        req GET "$Q/v1/sessions" -H "$HA"
        check "... and leaves no session behind" [ "$(jget "len(j['sessions'])")" = 2 ]
    fi
else
    skip "workspace quota (no lua guest)"
fi

# ---- an overall request deadline -----------------------------------------
start_server deadline --api-keys "$T/keys" --request-timeout 2s
checks "requests trickled byte by byte are cut off at --request-timeout" \
    'python3 "$HERE/trickle.py" "$PORT_deadline" "$KEY_A" 8 > "$T/trickle.log"'
sed 's/^/     /' "$T/trickle.log"
req GET "http://127.0.0.1:$PORT_deadline/metrics" -H "$HA"
checks "and counted in /metrics" 'grep -q "^wasmbox_http_deadline_closed_total [4-9]" "$T/body"'
req GET "http://127.0.0.1:$PORT_deadline/healthz"
check "the server still answers" [ "$CODE" = 200 ]

# ---- deleting a session: deep trees, few fds, honest failures -------------
NOFILE=64 start_server fds --api-keys "$T/keys"
D=http://127.0.0.1:$PORT_fds
req POST "$D/v1/sessions" -H "$HA" -d '{}'
DID=$(jget "j['id']")
DEEP=$(printf 'd/%.0s' $(seq 600))
req PUT "$D/v1/sessions/$DID/files/${DEEP}leaf.txt" -H "$HA" --data-binary 'deep'
check "a file under 600 nested directories" [ "$CODE" = 200 ]
req PUT "$D/v1/sessions/$DID/files/%C0%AE%FF.txt" -H "$HA" --data-binary 'bytes'
checks "a file name that is not UTF-8 -> 200 (it was written), not 500 \"out of memory\"" \
    '[ "$CODE" = 200 ] && [ -f "$T/state-fds/sessions/$DID/work/$(printf "\300\256\377").txt" ]'
req DELETE "$D/v1/sessions/$DID" -H "$HA"
checks "DELETE of the deep session under ulimit -n 64 -> 200, and nothing is left on disk" \
    '[ "$CODE" = 200 ] && [ -z "$(ls -A "$T/state-fds/sessions")" ]'
req POST "$D/v1/sessions" -H "$HA" -d '{}'
DID=$(jget "j['id']")
req PUT "$D/v1/sessions/$DID/files/keep/locked.txt" -H "$HA" --data-binary 'x'
if chattr +i "$T/state-fds/sessions/$DID/work/keep/locked.txt" 2>/dev/null; then
    req DELETE "$D/v1/sessions/$DID" -H "$HA"
    checks "a DELETE that leaves data behind -> 500 saying so, not {\"deleted\": true}" \
        '[ "$CODE" = 500 ] && grep -q "could not be deleted" "$T/body"'
    chattr -R -i "$T/state-fds/sessions"
else
    skip "a failed DELETE (chattr +i is not available here)"
fi

# ---- idle sessions expire while the server runs ---------------------------
# Every quarter of session.idle_expiry (at least 1 s, at most 1 min): the
# server's own idle sessions, and those an earlier process left on disk.
printf 'session:\n  idle_expiry: 2s\n  languages: [lua, wasm]\n' > "$T/expiry.yaml"
start_server expiry --policy "$T/expiry.yaml" --api-keys "$T/keys"
X=http://127.0.0.1:$PORT_expiry
req POST "$X/v1/sessions" -H "$HA" -d '{}'
# sed, not jget: a slow python start-up could outlast the expiry
XID=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$T/body")
req PUT "$X/v1/sessions/$XID/files/a.txt" -H "$HA" --data-binary 'x'
check "a session with a file" [ "$CODE" = 200 -a -d "$T/state-expiry/sessions/$XID" ]
OLD=$T/state-expiry/sessions/leftover
mkdir -p "$OLD/work"
printf '{"version": 1, "id": "leftover", "created": 1, "last_used": %s, "steps": 0}\n' \
    "$(( $(date +%s) - 3600 ))" > "$OLD/session.json"
for _ in $(seq 100); do
    [ -e "$T/state-expiry/sessions/$XID" ] || [ -e "$OLD" ] || break
    sleep 0.1
done
checks "both are deleted within 10 s, the server running" \
    '[ ! -e "$T/state-expiry/sessions/$XID" ] && [ ! -e "$OLD" ]'
req GET "$X/v1/sessions/$XID" -H "$HA"
check "the expired session -> 404" [ "$CODE" = 404 ]
# a session is idle from the end of its last request, not its start: a
# step longer than the expiry must not lose the session just after it
if command -v wat2wasm >/dev/null; then
    wat2wasm "$HERE/sleep.wat" -o "$T/sleep.wasm"
    req POST "$X/v1/sessions" -H "$HA" -d '{}'
    XID=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$T/body")
    req POST "$X/v1/sessions/$XID/exec" -H "$HA" \
        -d "{\"language\": \"wasm\", \"module\": \"$(base64 -w0 "$T/sleep.wasm")\"}"
    check "a 3 s step in a session that expires after 2 s idle" [ "$CODE" = 200 ]
    sleep 1.2     # past the next expiry pass (every second here)
    req GET "$X/v1/sessions/$XID" -H "$HA"
    check "is still there 1.2 s after the step ended" [ "$CODE" = 200 ]
else
    skip "a step longer than the idle expiry (no wat2wasm; install wabt)"
fi
kill "$PID_expiry"

# ---- start-up refusals -------------------------------------------------
env -u WASMBOX_API_KEYS "$WASMBOX" serve --listen 0.0.0.0:0 --insecure-no-auth \
    --state-dir "$T/s2" 2>"$T/err" & RP=$!
sleep 1; if kill -0 $RP 2>/dev/null; then kill $RP; RC=running; else wait $RP; RC=$?; fi
checks "--insecure-no-auth on 0.0.0.0 is refused" '[ "$RC" = 2 ] && grep -q loopback "$T/err"'
env -u WASMBOX_API_KEYS "$WASMBOX" serve --listen 127.0.0.1:0 --state-dir "$T/s2" 2>"$T/err" & RP=$!
sleep 1; if kill -0 $RP 2>/dev/null; then kill $RP; RC=running; else wait $RP; RC=$?; fi
checks "no API keys is refused" '[ "$RC" = 2 ] && grep -q "API keys" "$T/err"'
printf 'short\n' > "$T/badkeys"
"$WASMBOX" serve --listen 127.0.0.1:0 --api-keys "$T/badkeys" --state-dir "$T/s2" 2>"$T/err"
check "a too short key is refused" [ $? = 2 ]
# key names: sessions belong to a key's name, so two keys must never share
# one; an unnamed key is keyN (the N-th key), a name no key may be given
refused() {   # refused NAME FILE-CONTENT PATTERN [ENV]: exit 2, one line
    PAT=$3
    printf "$2" > "$T/dupkeys"
    chmod 600 "$T/dupkeys"
    timeout 3 env -u WASMBOX_API_KEYS ${4:+WASMBOX_API_KEYS="$4"} "$WASMBOX" serve \
        --listen 127.0.0.1:0 --api-keys "$T/dupkeys" --state-dir "$T/s2" 2>"$T/err"
    RC=$?
    checks "$1 is refused (exit 2, one line: $(head -c 160 "$T/err" | head -1))" \
        '[ "$RC" = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -qF -- "$PAT" "$T/err"'
}
refused "an unnamed key, then a key named key1" "$KEY_A\nkey1:$KEY_B\n" \
    "dupkeys:2: key name 'key1' is reserved"
refused "two keys with one name" "# c\nalice:$KEY_A\nalice:$KEY_B\n" \
    "dupkeys:3: duplicate key name 'alice' (also $T/dupkeys:2)"
refused "one key under two names" "alice:$KEY_A\nbob:$KEY_A\n" \
    "dupkeys:2: the same key as $T/dupkeys:1"
refused "one key twice without a name" "$KEY_A\n$KEY_A\n" "dupkeys:2: the same key"
refused "a name in WASMBOX_API_KEYS that the key file has" "alice:$KEY_A\n" \
    "WASMBOX_API_KEYS:2: duplicate key name 'alice' (also $T/dupkeys:1)" "x:${KEY_B}x,alice:$KEY_B"
refused "key7 in WASMBOX_API_KEYS" "alice:$KEY_A\n" "WASMBOX_API_KEYS:1: key name 'key7' is reserved" "key7:$KEY_B"
refused "a key name with a space" "ali ce:$KEY_A\n" "dupkeys:1: a key name cannot contain spaces"
# unnamed keys from the file and the environment: key1 and key2, apart
printf '%s\n' "$KEY_A" > "$T/unnamed"
WASMBOX_API_KEYS="$KEY_B" "$WASMBOX" serve --listen 127.0.0.1:0 --api-keys "$T/unnamed" \
    --state-dir "$T/s5" 2>"$T/unlog" & UP=$!; PIDS+=($UP)
for _ in $(seq 100); do grep -q listening "$T/unlog" && break; sleep 0.05; done
UPORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/unlog")
req POST "http://127.0.0.1:$UPORT/v1/sessions" -H "$HA" -d '{}'
USID=$(jget "j['id']")
req DELETE "http://127.0.0.1:$UPORT/v1/sessions/$USID" -H "$HB"
check "an unnamed key in the file and one in WASMBOX_API_KEYS do not share sessions" [ "$CODE" = 404 ]
req GET "http://127.0.0.1:$UPORT/v1/sessions" -H "$HA"
check "and the first key still has its session" [ "$(jget "[s['id'] for s in j['sessions']]")" = "['$USID']" ]
kill $UP

start_server envkeys --insecure-no-auth
req POST "http://127.0.0.1:$PORT_envkeys/v1/run" -d "$(run_json lua 'print(5)')"
check "--insecure-no-auth on 127.0.0.1 serves without a key" [ "$CODE" = 200 ]
kill "$PID_envkeys"
WASMBOX_API_KEYS="ci:$KEY_A,$KEY_B" "$WASMBOX" serve --listen 127.0.0.1:0 \
    --state-dir "$T/s3" 2>"$T/envlog" & EP=$!; PIDS+=($EP)
for _ in $(seq 100); do grep -q listening "$T/envlog" && break; sleep 0.05; done
EPORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/envlog")
req POST "http://127.0.0.1:$EPORT/v1/run" -H "$HB" -d "$(run_json lua 'print(5)')"
check "keys from WASMBOX_API_KEYS work" [ "$CODE" = 200 ]
kill $EP

if [ -e /proc/net/if_inet6 ]; then
    env -u WASMBOX_API_KEYS "$WASMBOX" serve --listen '[::1]:0' --insecure-no-auth \
        --state-dir "$T/s4" 2>"$T/v6log" & V6=$!; PIDS+=($V6)
    for _ in $(seq 100); do grep -q listening "$T/v6log" && break; sleep 0.05; done
    V6PORT=$(sed -n 's/.*\[::1\]:\([0-9]*\).*/\1/p' "$T/v6log")
    req GET "http://[::1]:$V6PORT/healthz"
    check "listening on [::1] (IPv6 loopback, no auth allowed)" [ "$CODE" = 200 ]
    kill $V6
else
    skip "IPv6 loopback (no IPv6)"
fi

# ---- connection floods (their own network namespace) ----------------------
bash "$HERE/flood.sh" "$WASMBOX" > "$T/flood.log" 2>&1
sed '$d' "$T/flood.log"
add_counts "$(tail -n 1 "$T/flood.log")" ||
    fail "connection floods: no summary line"

# ---- sessions across restarts (their own network namespace) ----------------
WASMBOX_GUESTS="$GUESTS" bash "$HERE/restart.sh" "$WASMBOX" > "$T/restart.log" 2>&1
sed '$d' "$T/restart.log"
add_counts "$(tail -n 1 "$T/restart.log")" ||
    fail "sessions across restarts: no summary line"

# ---- readiness, liveness and --drain-delay (their own network namespace) --
bash "$HERE/drain.sh" "$WASMBOX" > "$T/drain.log" 2>&1
sed '$d' "$T/drain.log"
add_counts "$(tail -n 1 "$T/drain.log")" ||
    fail "readiness and drain: no summary line"

# ---- graceful shutdown -------------------------------------------------
if lang_ok python python.wasm; then
    SLOW=$(run_json python 'import time; time.sleep(1.5); print("finished")')
    curl -s -o "$T/drain" -w '%{http_code}' -X POST "$U/v1/run" -H "$HA" \
        -d "$SLOW" > "$T/drain.code" &
    CP=$!
    in_flight "$U" 1
    kill -TERM "$PID_main"
    sleep 0.2
    curl -s -o /dev/null --max-time 2 "$U/healthz"
    check "after SIGTERM new connections are refused" [ $? != 0 ]
    wait $CP
    checks "the request under way finished (200, its output)" \
        '[ "$(cat "$T/drain.code")" = 200 ] && grep -q finished "$T/drain"'
    wait "$PID_main"; RC=$?
    check "the server exited 0" [ "$RC" = 0 ]
    check "and logged it" grep -q 'stopped' "$T/main.log"
else
    kill -TERM "$PID_main"; wait "$PID_main"; RC=$?
    check "SIGTERM: the server exited 0" [ "$RC" = 0 ]
fi

summary
