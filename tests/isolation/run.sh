#!/bin/bash
# tests/isolation/run.sh: the servers' worker processes (issue 15). With
# the test binary $WB_BUILD/tests/wasmbox-attempt (wasmbox with a hook: a
# session step whose code is "#wb-test-attempt:KIND" makes the worker
# itself attempt KIND after its lock-down, standing for a guest that has
# broken the engine; tests/oslock/attempt.c), against `wasmbox serve` and
# `wasmbox mcp`:
#   - each escape a worker attempts is refused or kills the worker; a kill
#     is a 500 with "outcome": "internal" and an incident id that the log
#     names with the signal or the system call; the server keeps
#     answering, counts it in /metrics, and the session's next step runs;
#   - a SIGSEGV in host code: the same;
#   - two tenants at once (two API keys, one step running in each): the
#     second's worker cannot read the first's workspace, its worker's
#     memory (/proc/PID/mem, ptrace, process_vm_readv), the API keys file,
#     nor session.json files;
#   - the workers run in other network and IPC namespaces;
#   - fail closed: a worker that cannot lock itself down runs nothing;
#   - --no-os-sandbox: the same attempts succeed (the lock-down is what
#     stops them);
#   - MCP: a crash is a tool error with the incident, the next call runs.
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
T=$(mktemp -d "${TMPDIR:-/tmp}/wbiso.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
KEY_A=isokeyA$RANDOM$RANDOM$RANDOM KEY_B=isokeyB$RANDOM$RANDOM$RANDOM
printf 'alice:%s\nbob:%s\n' "$KEY_A" "$KEY_B" >"$T/keys"
chmod 600 "$T/keys"

# A loopback listener; its port in $port.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True: s.accept()[0].close()' "$T/port.tmp" &
pids+=($!)
for _ in $(seq 50); do [ -s "$T/port.tmp" ] && break; sleep 0.1; done
port=$(cat "$T/port.tmp")

# start NAME ARGS...: `serve` on a free port with both keys; $url, $spid.
start() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    "$A" serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
        --state-dir "$T/$name" "$@" 2>"$T/$name.log" &
    spid=$!
    pids+=($spid)
    for _ in $(seq 100); do
        grep -q "listening on" "$T/$name.log" && break
        sleep 0.1
    done
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$T/$name.log" | head -1)
}

# req KEY METHOD PATH [BODY]: $code and $body.
req() {
    local out
    out=$(curl -s -m 60 -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
          ${4:+-H 'Content-Type: application/json' --data-binary "$4"} "$url$3")
    code=${out##*$'\n'}
    body=${out%$'\n'*}
}

jget() { python3 -c 'import sys, json
v = json.loads(sys.argv[1])
for k in sys.argv[2:]: v = v[k] if not k.isdigit() else v[int(k)]
print(v)' "$@" 2>/dev/null; }

new_session() {
    req "$1" POST /v1/sessions '{}'
    jget "$body" id
}

step() {   # step KEY SESSION LANG CODE
    local j
    j=$(python3 -c 'import json, sys; print(json.dumps({"language": sys.argv[1], "code": sys.argv[2]}))' "$3" "$4")
    req "$1" POST "/v1/sessions/$2/exec" "$j"
}

# stopped WHAT DESC: refused (the line is the step's stderr) or the worker
# was killed: a 500 naming the incident, which the log names too; then
# the session's next step runs.
stopped() {
    local what=$1 desc=$2
    step "$KEY_A" "$sa" python "#wb-test-attempt:$what"
    local e
    e=$(jget "$body" stderr)
    if [ "$code" = 200 ] && [[ $e == "attempt $what: refused: "* ]]; then
        pass "$desc: refused (${e##*: })"
    elif [ "$code" = 500 ] && [ "$(jget "$body" outcome)" = internal ]; then
        local id
        id=$(jget "$body" id)
        if [ -n "$id" ] && grep -q "incident $id: session $sa: worker process [0-9]* $3" "$T/main.log"; then
            pass "$desc: worker killed, 500 internal, incident $id logged ($(grep -o "incident $id.*" "$T/main.log" | sed 's/.*worker process [0-9]* //'))"
        else
            fail "$desc: 500 but the log lacks incident '$id' matching '$3': $body"
        fi
    else
        fail "$desc: not stopped: $code $body"
    fi
    step "$KEY_A" "$sa" python "print(40 + 2)"
    [ "$code" = 200 ] && [ "$(jget "$body" stdout)" = 42 ] &&
        pass "$desc: the next step runs" || fail "$desc: next step: $code $body"
}

start main
[ -n "$url" ] || { fail "the server did not start: $(cat "$T/main.log")"; summary; exit 1; }
sa=$(new_session "$KEY_A")
step "$KEY_A" "$sa" python "x = 1; open('/work/secret.txt', 'w').write('alice-secret')"
[ "$code" = 200 ] && pass "a session step runs in a worker" || fail "first step: $code $body"

stopped open:/etc/passwd "read /etc/passwd" "x"
stopped "open:$T/keys" "read the API keys file" "x"
stopped "write:$T/outside.txt" "write outside the grants" "x"
[ -e "$T/outside.txt" ] && fail "a file was made outside the grants" ||
    pass "no file made outside the grants"
stopped exec "execve /bin/sh" "was stopped by seccomp at system call [0-9]* (execve)"
stopped "connect:$port" "TCP connect to a loopback listener" "x"
stopped ptrace "ptrace of the parent" "was stopped by seccomp at system call [0-9]* (ptrace)"
stopped mprotect "mprotect to executable" "was stopped by seccomp at system call [0-9]* (mprotect)"
# userfaultfd stays killed in workers, with UFFD_USER_MODE_ONLY too (the
# checkpoints there compare page hashes: docs/os-sandbox.md)
stopped uffd "userfaultfd without UFFD_USER_MODE_ONLY" "was stopped by seccomp at system call [0-9]* (userfaultfd)"
stopped uffd-user "userfaultfd with UFFD_USER_MODE_ONLY" "was stopped by seccomp at system call [0-9]* (userfaultfd)"
# memfd_create (a checkpoint's file) only as CLOEXEC | ALLOW_SEALING:
# MFD_HUGETLB (4), MFD_EXEC (0x10) are refused
stopped memfd:4 "memfd_create with MFD_HUGETLB" "x"
stopped memfd:0x10 "memfd_create with MFD_EXEC" "x"
# (sanitizer builds: ASan reports the fault and exits with status 1)
segv_end="was killed by signal 11 (SIGSEGV)"
nm -D "$A" 2>/dev/null | grep -q " __asan_init" && segv_end="exited with status 1"
stopped segv "SIGSEGV in host code" "$segv_end"
# the workers killed above took the Python interpreter with them; the
# next worker restored it from its checkpoint on disk (docs/snapshots.md)
step "$KEY_A" "$sa" python "print(x)"
[ "$code" = 200 ] && [ "$(jget "$body" stdout)" = 1 ] &&
    pass "after the workers' crashes the interpreter goes on from its checkpoint on disk (x == 1)" ||
    fail "state after the crashes: $code $body"
req "$KEY_A" GET /metrics
crashes=$(grep -o '^wasmbox_worker_crashes_total [0-9]*' <<<"$body" | cut -d' ' -f2)
[ "${crashes:-0}" -ge 1 ] && pass "/metrics counts the crashes ($crashes)" ||
    fail "/metrics: no crash count: $(grep worker <<<"$body")"
req "$KEY_A" GET /healthz
[ "$code" = 200 ] && pass "the server still answers" || fail "healthz: $code"

# ---- two tenants at once -------------------------------------------------
sb=$(new_session "$KEY_B")
step "$KEY_A" "$sa" python "print(x)"        # alice's worker is up again
ws_a="$T/main/sessions/$sa/work"
[ -s "$ws_a/secret.txt" ] && pass "alice's file is in her workspace" ||
    fail "alice's workspace: $(ls -la "$ws_a" 2>&1)"
# alice busy in a step while bob's worker attempts
step "$KEY_A" "$sa" python "import time; time.sleep(4)" &
busy=$!
sleep 1.5
zyg=$(pgrep -P "$spid" | head -1)
workers=$(pgrep -P "$zyg" | tr '\n' ' ')
[ "$(wc -w <<<"$workers")" -ge 1 ] && pass "workers are the zygote's children ($workers)" ||
    fail "no worker processes under the zygote $zyg"
for what in "open:$ws_a/secret.txt" "write:$ws_a/planted.txt" \
            "open:$T/main/sessions/$sa/session.json" "open:$T/keys"; do
    step "$KEY_B" "$sb" python "#wb-test-attempt:$what"
    e=$(jget "$body" stderr)
    [ "$code" = 200 ] && [[ $e == *"refused: "* ]] &&
        pass "bob's worker: $what refused" || fail "bob's worker: $what: $code $body"
done
[ -e "$ws_a/planted.txt" ] && fail "bob planted a file in alice's workspace" ||
    pass "nothing planted in alice's workspace"
for w in $workers; do
    step "$KEY_B" "$sb" python "#wb-test-attempt:open:/proc/$w/mem"
    e=$(jget "$body" stderr)
    [ "$code" = 200 ] && [[ $e == *"refused: "* ]] &&
        pass "bob's worker cannot read worker $w's memory" ||
        fail "memory of worker $w: $code $body"
done
# ... nor by ptrace or process_vm_readv (refused, or the worker is killed:
# then bob's session gets a 500 "internal" and its next step a new worker)
for w in $workers; do
    for how in ptrace vmread; do
        step "$KEY_B" "$sb" python "#wb-test-attempt:$how:$w"
        e=$(jget "$body" stderr)
        if { [ "$code" = 200 ] && [[ $e == *"refused: "* ]]; } ||
           { [ "$code" = 500 ] && [[ $body == *'"outcome":"internal"'* ]]; }; then
            pass "bob's worker cannot $how worker $w"
        else
            fail "$how of worker $w: $code $body"
        fi
    done
done
step "$KEY_B" "$sb" python "#wb-test-attempt:open:/proc/$spid/environ"
[[ $(jget "$body" stderr) == *"refused: "* ]] &&
    pass "bob's worker cannot read the server's /proc files" ||
    fail "server environ: $code $body"
wait $busy
# namespaces: the workers are not in the server's
sns=$(readlink "/proc/$spid/ns/net")
wns=$(readlink "/proc/$zyg/ns/net")
[ -n "$wns" ] && [ "$sns" != "$wns" ] && pass "workers in their own network namespace" ||
    fail "network namespace: server $sns, zygote $wns"
for ns in ipc mnt; do
    [ "$(readlink "/proc/$spid/ns/$ns")" != "$(readlink "/proc/$zyg/ns/$ns")" ] &&
        pass "workers in their own $ns namespace" || fail "$ns namespace shared"
done
# the zygote holds no API key: it was forked before the key file was read
if [ -r "/proc/$zyg/mem" ] && python3 - "$zyg" "$KEY_A" <<'EOF'
import sys, re
pid, key = sys.argv[1], sys.argv[2].encode()
found = False
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m or "[vvar]" in line or "[vsyscall]" in line:
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        if hi - lo > 1 << 30:          # sanitizers' shadow: nothing of ours
            continue
        prev = b""
        for at in range(lo, hi, 1 << 20):
            try:
                mem.seek(at)
                chunk = mem.read(min(1 << 20, hi - at))
            except (OSError, ValueError, OverflowError):
                break
            if key in prev[-len(key):] + chunk:
                found = True
            prev = chunk
sys.exit(1 if found else 0)
EOF
then pass "the zygote's memory holds no API key"
else fail "an API key is in the zygote's memory (or /proc/$zyg/mem unreadable)"; fi
kill "$spid"; wait "$spid" 2>/dev/null
sleep 0.5
[ -z "$(pgrep -P "$zyg" 2>/dev/null)" ] && ! kill -0 "$zyg" 2>/dev/null &&
    pass "SIGTERM: no worker nor zygote left" || fail "left behind: $(ps -o pid,comm --ppid "$zyg")"

# ---- fail closed ---------------------------------------------------------
start closed --os-user no-such-user-wb
s=$(new_session "$KEY_A")
step "$KEY_A" "$s" python "print('ran')"
if [ "$code" = 500 ] && [[ $body == *"cannot run the step"* ]] && [[ $body != *ran\\n* ]]; then
    pass "a worker that cannot lock down runs nothing (500: $(jget "$body" error | cut -c1-90))"
else
    fail "fail closed: $code $body"
fi
kill "$spid"; wait "$spid" 2>/dev/null

# ---- --no-os-sandbox: the same attempts succeed -------------------------
start open --no-os-sandbox
s=$(new_session "$KEY_A")
for what in open:/etc/passwd "connect:$port"; do
    step "$KEY_A" "$s" python "#wb-test-attempt:$what"
    [[ $(jget "$body" stderr) == *"$what: allowed"* ]] &&
        pass "--no-os-sandbox: $what allowed" || fail "--no-os-sandbox: $what: $code $body"
done
kill "$spid"; wait "$spid" 2>/dev/null

# ---- MCP (stdio) ---------------------------------------------------------
python3 - "$A" "$T/mcp" >"$T/mcp.out" 2>"$T/mcp.err" <<'EOF'
import json, subprocess, sys
p = subprocess.Popen([sys.argv[1], "mcp", "--state-dir", sys.argv[2]],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
def call(i, method, params):
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                              "params": params}) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())
call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}})
p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
r = call(2, "tools/call", {"name": "run_python", "arguments": {"code": "y = 7"}})
r = call(3, "tools/call", {"name": "run_python", "arguments": {"code": "#wb-test-attempt:segv"}})
res = r["result"]
print("crash", res["isError"], res["structuredContent"].get("outcome"),
      res["structuredContent"].get("incident"))
r = call(4, "tools/call", {"name": "run_python", "arguments": {"code": "print(6 * 7)"}})
print("next", json.dumps(r["result"]["content"][0]["text"]))
p.stdin.close()
p.wait(timeout=30)
sys.stderr.write(p.stderr.read())
EOF
read -r _ iserr outcome inc < <(grep '^crash' "$T/mcp.out")
if [ "$iserr" = True ] && [ "$outcome" = internal ] &&
   grep -q "incident $inc: .*$segv_end" "$T/mcp.err"; then
    pass "MCP: a crashed worker is a tool error with incident $inc, logged"
else
    fail "MCP crash: $(cat "$T/mcp.out" "$T/mcp.err")"
fi
grep -q '^next .*42' "$T/mcp.out" && pass "MCP: the next call runs" ||
    fail "MCP next call: $(cat "$T/mcp.out")"

# Guest images reached through symbolic links (an installation that links
# its images from elsewhere): the workers' Landlock rules follow the links
# (Landlock judges where a path leads, not how it is spelt).
gd=${WASMBOX_GUESTS:-$B/guests}
if [ -f "$gd/python/python.wasm" ]; then
    mkdir -p "$T/links/python"
    ln -s "$(cd "$gd/python" && pwd)/python.wasm" "$T/links/python/"
    ln -s "$(cd "$gd/python/lib" && pwd)" "$T/links/python/lib"
    # the shell's whole folder as one link: dash, busybox and its applets
    [ -f "$gd/shell/busybox.wasm" ] && ln -s "$(cd "$gd/shell" && pwd)" "$T/links/shell"
    WASMBOX_GUESTS=$T/links start links
    sl=$(new_session "$KEY_A")
    step "$KEY_A" "$sl" python "import json; print(json.dumps(6 * 7))"
    [ "$code" = 200 ] && [ "$(jget "$body" stdout)" = 42 ] &&
        pass "images and library behind symbolic links: a step runs" ||
        fail "images behind symbolic links: $code $body"
    if [ -L "$T/links/shell" ]; then
        step "$KEY_A" "$sl" python 'import subprocess
r = subprocess.run(["sh", "-c", "sleep 0 && echo tools | tr a-z A-Z"], capture_output=True)
print(r.returncode, r.stdout.decode().strip(), r.stderr.decode().strip() or "-")'
        [ "$code" = 200 ] && [ "$(jget "$body" stdout)" = "0 TOOLS -" ] &&
            pass "a shell folder behind a symbolic link: busybox's tools run in a step" ||
            fail "shell folder behind a symbolic link: $code $body"
    fi
else
    skip "images behind symbolic links (no Python image)"
fi
summary
