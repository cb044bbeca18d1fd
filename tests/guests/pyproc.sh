#!/bin/bash
# tests/guests/pyproc.sh: child processes from the Python guest (issue
# 19): subprocess, os.system, os.popen and os's process functions, over
# the host's spawn (docs/processes.md; python/_wasmbox_proc.c,
# patches/python-01-os-processes.patch, pyimage-02-processes.patch).
#
# Always (a wasmbox and the Python image): os has the process functions,
# subprocess imports, argument errors are one clear line. Then, in
# tiers, each skipped (one line) when what it needs is missing:
# - a tree where /bin/python3 starts: with Python children,
#   subprocess.run captured, check_output, text mode and input, stdout
#   and stderr apart and together, two children joined by a pipe,
#   check=True, a missing program and cwd, unsupported arguments,
#   timeout=, kill/terminate/poll, cwd= and env=, getppid, pipes of more
#   than a pipe buffer both ways, waitpid, a child that reaches no more
#   than its parent; without spawn, one OSError;
# - /bin/sh (dash): os.system's output and wait status, os.popen both
#   ways, shell=True, status 127 for a missing command;
# - busybox's ls, grep, cat, tee: ls -l captured, ls | grep, os.system
#   of "grep -c x f | tee n", check=True with grep, a shell child that
#   reaches no more than its parent.
#
# The Python run is `wasmbox python`, whose tree has the images of
# $WASMBOX_GUESTS under /bin (python3, and sh and the tools when the
# shell image is built).
# WB_BUILD, WASMBOX, WASMBOX_GUESTS as in tests/guests/run.sh. Last line:
# "N passed, N failed, N skipped".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}
G=$WASMBOX_GUESTS
if [ ! -f "$G/python/python.wasm" ] || [ ! -x "$W" ]; then
    skip "pyproc: every case (no $G/python/python.wasm or no $W)"
    summary
    exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/w/sub" "$tmp/outside"
printf 'x1\nno\nx2\nxx\n' > "$tmp/w/f"
echo "top secret" > "$tmp/outside/secret.txt"

# py NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING PROGRAM:
# Python runs PROGRAM (-c) with $tmp/w granted at /w, from /w.
py() {
    local rc=0
    "$W" python --timeout 60s --dir "$tmp/w:/w" -c "import os; os.chdir('/w')
$5" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    expect "$1" "$2" "$3" "$4" "$rc" "$tmp/out" "$tmp/err"
}

# ---- always ----------------------------------------------------------------
py "os has the process functions" 0 "ok" "" '
import sys
for n in ("pipe", "dup", "dup2", "waitpid", "wait", "kill", "getppid",
          "system", "popen", "WIFEXITED", "WEXITSTATUS", "WNOHANG",
          "waitstatus_to_exitcode"):
    assert hasattr(os, n), n
assert os.WEXITSTATUS(3 << 8) == 3 and os.WIFEXITED(3 << 8)
assert os.WIFSIGNALED(9) and os.WTERMSIG(9) == 9 and not os.WIFEXITED(9)
assert os.waitstatus_to_exitcode(9) == -9
assert os.waitstatus_to_exitcode(7 << 8) == 7
assert sys.executable == "/bin/python3", sys.executable
import subprocess
assert subprocess._can_fork_exec
print("ok")'
py "spawn: argument errors" 0 "ok" "" '
import _wasmbox_proc as p
for bad, exc in (((b"/bin/sh", [b"a\0b"]), ValueError),
                 ((b"/bin/sh", 5), TypeError),
                 ((b"/bin/sh", [1]), TypeError),
                 ((b"/bin/sh", []), None)):
    if exc is None:
        continue
    try:
        p.spawn(*bad)
    except exc:
        pass
    else:
        raise AssertionError(bad)
try:
    os.waitstatus_to_exitcode(0x7f)
except ValueError as e:
    assert "invalid wait status" in str(e)
print("ok")'

# Can Python start a child here?
probe='import subprocess, sys; subprocess.run([sys.executable, "-c", "pass"], check=True)'
if ! "$W" python -c "$probe" >/dev/null 2>"$tmp/probe"; then
    echo "pyproc: this wasmbox starts no Python child: $(tail -1 "$tmp/probe")"
    py "no processes: one OSError" 0 "ok" "" '
import subprocess
for f in (lambda: subprocess.run(["ls"]), lambda: os.system("true")):
    try:
        f()
    except OSError as e:
        print(type(e).__name__, e)
    else:
        raise AssertionError("started")
print("ok")'
    skip "pyproc: the cases with child processes (no spawn in this wasmbox)"
    summary
    exit
fi

# ---- Python children ---------------------------------------------------------
# A child program: PY is the command line of a Python child running CODE.
py "run a Python child, captured" 0 "ok" "" '
import subprocess, sys
r = subprocess.run([sys.executable, "-c", "import os; print(6 * 7, os.getcwd(), os.getppid())"],
                   capture_output=True, text=True, cwd="/w/sub")
assert r.stdout == "42 /w/sub %d\n" % os.getpid(), (r, os.getpid())
assert r.returncode == 0 and r.stderr == ""
assert subprocess.check_output([sys.executable, "-c", "print(1)"]) == b"1\n"
print("ok")'
py "text mode and input" 0 "ok" "" '
import subprocess, sys
cat = [sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read().upper())"]
r = subprocess.run(cat, input="abc\n", capture_output=True, text=True)
assert r.stdout == "ABC\n" and r.returncode == 0, r
p = subprocess.Popen(cat, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, err = p.communicate(b"xyz")
assert (out, err, p.returncode) == (b"XYZ", None, 0), (out, err)
print("ok")'
py "stdout and stderr apart, and together" 0 "ok" "" '
import subprocess, sys
code = "import sys; print(\"out\"); sys.stdout.flush(); print(\"err\", file=sys.stderr); sys.exit(4)"
r = subprocess.run([sys.executable, "-c", code], capture_output=True)
assert (r.stdout, r.stderr, r.returncode) == (b"out\n", b"err\n", 4), r
out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT).stdout
assert out == b"out\nerr\n", out
print("ok")'
py "a pipe between two children" 0 "ok" "" '
import subprocess, sys
p1 = subprocess.Popen([sys.executable, "-c", "print(\"a\\nsub\\nb\")"], stdout=subprocess.PIPE)
p2 = subprocess.Popen([sys.executable, "-c", "import sys; print(sum(1 for l in sys.stdin if \"b\" in l))"],
                      stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
out, _ = p2.communicate()
assert out == b"2\n", out
assert p1.wait() == 0 and p2.returncode == 0
print("ok")'
py "check=True raises CalledProcessError" 0 "ok" "" '
import subprocess, sys
try:
    subprocess.run([sys.executable, "-c", "raise SystemExit(3)"], check=True)
except subprocess.CalledProcessError as e:
    assert e.returncode == 3, e
else:
    raise AssertionError("no error")
try:
    subprocess.check_output([sys.executable, "-c", "print(\"x\"); raise SystemExit(1)"])
except subprocess.CalledProcessError as e:
    assert e.returncode == 1 and e.output == b"x\n", e
print("ok")'
py "a missing program is FileNotFoundError" 0 "ok" "" '
import subprocess
for args in (["no-such-program", "x"], ["/bin/no-such-program"],
             ["./no-such-program"]):
    try:
        subprocess.run(args)
    except FileNotFoundError as e:
        assert e.filename == args[0], (e.filename, args)
        assert "No such file or directory" in str(e), e
    else:
        raise AssertionError(args)
try:
    subprocess.run(["ls"], cwd="/w/no-such-dir")
except FileNotFoundError as e:
    assert e.filename == "/w/no-such-dir", e
print("ok")'
py "unsupported Popen arguments: one clear error" 0 "ok" "" '
import subprocess, sys
for kw, exc in (({"preexec_fn": print}, RuntimeError),
                ({"user": 0}, ValueError),
                ({"pass_fds": (1,)}, OSError)):
    try:
        subprocess.run([sys.executable, "-c", "pass"], **kw)
    except exc as e:
        print(type(e).__name__, e)
    else:
        raise AssertionError(kw)
print("ok")'
py "timeout= kills the child" 0 "ok" "" '
import subprocess, sys, time
t0 = time.monotonic()
try:
    subprocess.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
except subprocess.TimeoutExpired as e:
    assert 0 < e.timeout <= 0.5, e.timeout   # what was left, as CPython says
else:
    raise AssertionError("no timeout")
assert time.monotonic() - t0 < 10
code = "import sys, time; print(\"part\"); sys.stdout.flush(); time.sleep(30)"
try:
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=3)
except subprocess.TimeoutExpired as e:
    assert e.stdout == b"part\n", e.stdout
else:
    raise AssertionError("no timeout")
assert time.monotonic() - t0 < 20
print("ok")'
py "kill, terminate and poll" 0 "ok" "" '
import subprocess, signal, sys
sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
p = subprocess.Popen(sleeper)
assert p.poll() is None
p.kill()
assert p.wait() == -signal.SIGKILL, p.returncode
p = subprocess.Popen(sleeper)
p.terminate()
assert p.wait() == -signal.SIGTERM
try:
    os.kill(p.pid, 0)
except ProcessLookupError:
    pass
else:
    raise AssertionError("a reaped child is still there")
print("ok")'
py "cwd= and env=" 0 "ok" "" '
import subprocess, sys
pwd = [sys.executable, "-c", "import os; print(os.getcwd())"]
assert subprocess.check_output(pwd, cwd="sub") == b"/w/sub\n"
os.chdir("/w/sub")
assert subprocess.check_output(pwd) == b"/w/sub\n"
env = [sys.executable, "-c", "import os; print(os.environ.get(\"FOO\"), os.environ.get(\"BAZ\"))"]
assert subprocess.check_output(env, env={"FOO": "bar"}) == b"bar None\n"
os.environ["BAZ"] = "qux"
assert subprocess.check_output(env) == b"None qux\n"
print("ok")'
py "more than a pipe buffer, both ways" 0 "ok" "" '
import subprocess, sys
data = b"".join(b"%d\n" % i for i in range(200000))
cat = [sys.executable, "-c", "import sys, shutil; shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)"]
r = subprocess.run(cat, input=data, capture_output=True)
assert r.stdout == data, len(r.stdout)
print("ok")'
py "getpid, getppid, waitpid" 0 "ok" "" '
import subprocess, sys
assert os.getpid() >= 1
p = subprocess.Popen([sys.executable, "-c", "pass"])
pid, st = os.waitpid(p.pid, 0)
assert pid == p.pid and st == 0
try:
    os.waitpid(p.pid, 0)
except ChildProcessError:
    pass
else:
    raise AssertionError("reaped twice")
print("ok")'
py "a child reaches no more than its parent" 0 "ok" "" "
import subprocess, sys
code = ('import os\n'
        'for path in (\"$tmp/outside/secret.txt\", \"/etc/passwd\"):\n'
        '    try:\n'
        '        open(path).read()\n'
        '        print(\"READ\", path)\n'
        '    except OSError:\n'
        '        pass\n'
        'print(sorted(os.listdir(\"/\")))\n')
out = subprocess.check_output([sys.executable, '-c', code], text=True)
assert 'READ' not in out and \"'etc'\" not in out, out
print('ok')"

# ---- with the shell (/bin/sh) --------------------------------------------
# has PATH...: does the Python run see these files?
has() {
    local code="import os" f
    for f in "$@"; do code+="; os.stat('$f')"; done
    "$W" python -c "$code" >/dev/null 2>&1
}
if ! has /bin/sh; then
    skip "pyproc: the cases with the shell (no /bin/sh: the shell image is missing)"
    summary
    exit
fi
py "os.system: output and wait status" 0 "from the shell" "" '
import sys
assert os.system("echo from the shell; exit 3") == 3 << 8
assert os.waitstatus_to_exitcode(os.system("exit 3")) == 3
assert os.system("cd sub && test \"$(pwd)\" = /w/sub") == 0'
py "os.popen: read, write and close status" 0 "ok" "" '
f = os.popen("echo hi; echo there")
assert f.read() == "hi\nthere\n"
assert f.close() is None
assert os.popen("exit 2").close() == 2 << 8
with os.popen("while read l; do echo \"<$l>\"; done > fromw", "w") as w:
    w.write("one\ntwo\n")
assert open("fromw").read() == "<one>\n<two>\n", open("fromw").read()
print("ok")'
py "shell=True, stdout and stderr apart" 0 "ok" "" '
import subprocess
r = subprocess.run("echo out; echo err >&2; exit 5", shell=True,
                   capture_output=True)
assert (r.stdout, r.stderr, r.returncode) == (b"out\n", b"err\n", 5), r
out = subprocess.check_output("echo out; echo err >&2", shell=True,
                              stderr=subprocess.STDOUT, text=True)
assert out == "out\nerr\n", out
print("ok")'
py "shell: a missing command is status 127" 0 "ok" "not found" '
assert os.waitstatus_to_exitcode(os.system("no-such-command")) == 127
print("ok")'

# ---- with the tools (busybox: ls, grep, cat, tee) ---------------------------
if ! has /bin/ls /bin/grep /bin/cat /bin/tee; then
    skip "pyproc: the cases with ls, grep, cat, tee (not in /bin: busybox is missing)"
    summary
    exit
fi
py "subprocess.run ls -l captured" 0 "ok" "" '
import subprocess
r = subprocess.run(["ls", "-l"], capture_output=True)
assert r.returncode == 0, r
assert b" f\n" in r.stdout and b"sub" in r.stdout, r.stdout
assert r.stderr == b"", r.stderr
assert subprocess.check_output(["cat", "f"]) == b"x1\nno\nx2\nxx\n"
print("ok")'
py "ls | grep between two children" 0 "ok" "" '
import subprocess
p1 = subprocess.Popen(["ls"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["grep", "su"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
out, _ = p2.communicate()
assert out == b"sub\n", out
assert p1.wait() == 0 and p2.returncode == 0
print("ok")'
py "os.system: grep -c x f | tee n" 0 "3" "" '
st = os.system("grep -c x f | tee n")
assert st == 0, st
assert open("n").read() == "3\n", open("n").read()'
py "check=True with grep" 0 "ok" "" '
import subprocess
try:
    subprocess.run(["grep", "nothing-here", "f"], check=True)
except subprocess.CalledProcessError as e:
    assert e.returncode == 1, e
else:
    raise AssertionError("no error")
assert os.popen("grep x f").read() == "x1\nx2\nxx\n"
print("ok")'
py "a shell child reaches no more than its parent" 0 "ok" "" "
import subprocess
r = subprocess.run(['cat', '$tmp/outside/secret.txt'], capture_output=True)
assert r.returncode != 0 and b'top secret' not in r.stdout, r
r = subprocess.run(['cat', '/etc/passwd'], capture_output=True)
assert r.returncode != 0 and r.stdout == b'', r
r = subprocess.run(['sh', '-c', 'cd /; ls'], capture_output=True)
assert b'etc' not in r.stdout.split(), r.stdout
print('ok')"
summary
