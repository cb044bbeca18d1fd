#!/bin/bash
# tests/guests/pyproc.sh: child processes from the Python guest (issue
# 19): subprocess, os.system, os.popen and os's process functions, over
# the host's spawn (docs/processes.md; python/_wasmbox_proc.c,
# patches/pyimage-02-processes.patch).
#
# Always (a wasmbox and the Python image): the image starts, os has the
# process functions, subprocess imports, argument errors are one clear
# line. When this wasmbox runs Python in a process tree (spawn works)
# and has the shell image (/bin/sh): subprocess.run with captured
# output, check_output, text mode and input, two children joined by a
# pipe, os.system's wait status, os.popen, check=True, a missing
# program, timeout=, kill, cwd= and env=, a Python child, pipes of more
# than a pipe buffer both ways, and a child that reaches no more than
# its parent. Without spawn: the calls fail with ENOSYS, one line.
# WB_BUILD, WASMBOX, WASMBOX_GUESTS as in tests/guests/run.sh. Last line:
# "N passed, N failed, N skipped".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}
if [ ! -f "$WASMBOX_GUESTS/python/python.wasm" ] || [ ! -x "$W" ]; then
    skip "pyproc: every case (no $WASMBOX_GUESTS/python/python.wasm or no $W)"
    summary
    exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/w/sub" "$tmp/outside"
printf 'x1\nno\nx2\nxx\n' > "$tmp/w/f"
echo "top secret" > "$tmp/outside/secret.txt"

# py NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING PROGRAM:
# `python -c PROGRAM` with $tmp/w granted at /w (read-write) as cwd-less
# data; PROGRAM runs from /w (os.chdir first).
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

# Does this wasmbox start processes (a tree with spawn and pipes)?
procs=yes
"$W" python -c 'import os; os.pipe()' >/dev/null 2>"$tmp/probe" ||
    procs=no
if [ "$procs" = no ]; then
    echo "pyproc: this wasmbox runs Python without processes: $(tail -1 "$tmp/probe")"
    py "no processes: subprocess fails with ENOSYS" 0 "ok" "" '
import subprocess, errno
try:
    subprocess.run(["ls"])
except OSError as e:
    assert e.errno == errno.ENOSYS, e
try:
    os.system("true")
except OSError as e:
    assert e.errno == errno.ENOSYS, e
print("ok")'
    skip "pyproc: the cases with child processes (no spawn in this wasmbox)"
    summary
    exit
fi
if ! "$W" python -c 'import os; os.stat("/bin/sh")' >/dev/null 2>&1; then
    skip "pyproc: the cases with child processes (no /bin/sh: the shell image is missing)"
    summary
    exit
fi

# ---- with processes ------------------------------------------------------
py "subprocess.run ls -l captured" 0 "ok" "" '
import subprocess
r = subprocess.run(["ls", "-l"], capture_output=True)
assert r.returncode == 0, r
assert b" f\n" in r.stdout and b"sub" in r.stdout, r.stdout
assert r.stderr == b"", r.stderr
print("ok")'
py "check_output, text mode, input" 0 "ok" "" '
import subprocess
assert subprocess.check_output(["echo", "hi"]) == b"hi\n"
r = subprocess.run(["cat"], input="abc\n", capture_output=True, text=True)
assert r.stdout == "abc\n" and r.returncode == 0, r
out = subprocess.check_output("echo out; echo err >&2", shell=True,
                              stderr=subprocess.STDOUT, text=True)
assert out == "out\nerr\n", out
print("ok")'
py "stdout and stderr apart" 0 "ok" "" '
import subprocess
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 4"],
                   capture_output=True)
assert (r.stdout, r.stderr, r.returncode) == (b"out\n", b"err\n", 4), r
print("ok")'
py "a pipe between two children (ls | grep)" 0 "ok" "" '
import subprocess
p1 = subprocess.Popen(["ls"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["grep", "su"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
out, _ = p2.communicate()
assert out == b"sub\n", out
assert p1.wait() == 0 and p2.returncode == 0
print("ok")'
py "os.system: pipeline and wait status" 0 "3" "" '
import sys
st = os.system("grep -c x f | tee n")
assert st == 0, st
assert open("n").read() == "3\n", open("n").read()
assert os.system("exit 3") == 3 << 8
assert os.waitstatus_to_exitcode(os.system("exit 3")) == 3
print("ok")'
py "os.system: output reaches stdout" 0 "from the shell" "" '
import sys
sys.stdout.flush()
os.system("echo from the shell")'
py "os.popen read and close status" 0 "ok" "" '
f = os.popen("grep x f")
assert f.read() == "x1\nx2\nxx\n"
assert f.close() is None
assert os.popen("exit 2").close() == 2 << 8
with os.popen("cat > fromw", "w") as w:
    w.write("written\n")
assert open("fromw").read() == "written\n"
print("ok")'
py "check=True raises CalledProcessError" 0 "ok" "" '
import subprocess
try:
    subprocess.run(["grep", "nothing-here", "f"], check=True)
except subprocess.CalledProcessError as e:
    assert e.returncode == 1, e
else:
    raise AssertionError("no error")
try:
    subprocess.check_output(["false"])
except subprocess.CalledProcessError as e:
    assert e.returncode == 1
print("ok")'
py "unsupported Popen arguments: one clear error" 0 "ok" "" '
import subprocess
for kw, exc in (({"preexec_fn": print}, RuntimeError),
                ({"user": 0}, ValueError),
                ({"pass_fds": (1,)}, OSError)):
    try:
        subprocess.run(["true"], **kw)
    except exc as e:
        print(type(e).__name__, e)
    else:
        raise AssertionError(kw)
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
py "shell: a missing command is status 127" 0 "ok" "not found" '
assert os.waitstatus_to_exitcode(os.system("no-such-command")) == 127
print("ok")'
py "timeout= kills the child" 0 "ok" "" '
import subprocess, time
t0 = time.monotonic()
try:
    subprocess.run(["sleep", "30"], timeout=0.5)
except subprocess.TimeoutExpired as e:
    assert e.timeout == 0.5
else:
    raise AssertionError("no timeout")
assert time.monotonic() - t0 < 10
try:
    subprocess.run(["sh", "-c", "echo part; sleep 30"], capture_output=True,
                   timeout=1)
except subprocess.TimeoutExpired as e:
    assert e.stdout == b"part\n", e.stdout
assert time.monotonic() - t0 < 20
print("ok")'
py "kill and poll" 0 "ok" "" '
import subprocess, signal
p = subprocess.Popen(["sleep", "30"])
assert p.poll() is None
p.kill()
assert p.wait() == -signal.SIGKILL, p.returncode
p = subprocess.Popen(["sleep", "30"])
p.terminate()
assert p.wait() == -signal.SIGTERM
try:
    os.kill(p.pid, 0)
except ProcessLookupError:
    pass
print("ok")'
py "cwd= and env=" 0 "ok" "" '
import subprocess
assert subprocess.check_output(["pwd"], cwd="sub") == b"/w/sub\n"
os.chdir("/w/sub")
assert subprocess.check_output(["pwd"]) == b"/w/sub\n"
out = subprocess.check_output(["sh", "-c", "echo $FOO"], env={"FOO": "bar"})
assert out == b"bar\n", out
os.environ["BAZ"] = "qux"
assert subprocess.check_output("echo $BAZ", shell=True) == b"qux\n"
print("ok")'
py "a Python child" 0 "ok" "" '
import subprocess, sys
r = subprocess.run([sys.executable, "-c",
                    "import os; print(6 * 7, os.getcwd(), os.getppid())"],
                   capture_output=True, text=True, cwd="/w/sub")
assert r.stdout == "42 /w/sub %d\n" % os.getpid(), (r, os.getpid())
print("ok")'
py "more than a pipe buffer, both ways" 0 "ok" "" '
import subprocess
data = b"".join(b"%d\n" % i for i in range(200000))
r = subprocess.run(["cat"], input=data, capture_output=True)
assert r.stdout == data, len(r.stdout)
r = subprocess.run(["seq", "200000"], capture_output=True)
assert r.stdout.count(b"\n") == 200000
print("ok")'
py "getpid, getppid, waitpid" 0 "ok" "" '
import subprocess
me = os.getpid()
assert me >= 1
p = subprocess.Popen(["true"])
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
import subprocess
r = subprocess.run(['cat', '$tmp/outside/secret.txt'], capture_output=True)
assert r.returncode != 0 and b'top secret' not in r.stdout, r
r = subprocess.run(['cat', '/etc/passwd'], capture_output=True)
assert r.returncode != 0 and r.stdout == b'', r
r = subprocess.run(['sh', '-c', 'cd /; ls'], capture_output=True)
assert b'etc' not in r.stdout.split(), r.stdout
print('ok')"
summary
