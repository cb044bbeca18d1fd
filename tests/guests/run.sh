#!/bin/bash
# tests/guests/run.sh: the language runtimes (`wasmbox python|js|lua|
# sqlite3`). A case whose guest image (make guests) is missing is skipped,
# and counted as skipped; so is every case when there are no images at
# all, or no wasmbox to run them with.
# WB_BUILD: build directory (default build); WASMBOX: the binary (default
# $WB_BUILD/wasmbox); WASMBOX_GUESTS: the images (default $WB_BUILD/guests).
# Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}

# Why no case can run here ("" when they can), and why the cases that
# follow cannot (need).
none=""
missing=""
if [ ! -d "$WASMBOX_GUESTS" ]; then
    none="no guest images in $WASMBOX_GUESTS (run 'make guests')"
elif [ ! -x "$W" ]; then
    none="$W not built"
elif "$W" python -c pass 2>&1 </dev/null | grep -q "unknown command"; then
    none="this wasmbox has no guest commands yet"
fi
[ -n "$none" ] && echo "guests: every case is skipped: $none"

# need IMAGE: the cases that follow need the guest image IMAGE ("": only
# a wasmbox); each is skipped when it or the wasmbox is missing.
need() {
    missing=$none
    if [ -z "$missing" ] && [ -n "$1" ] && [ ! -e "$WASMBOX_GUESTS/$1" ]; then
        missing="$WASMBOX_GUESTS/$1 not built"
        echo "guests: the cases of $1 are skipped: $missing"
    fi
}

# skipped NAME: skip case NAME (true) when what it needs is missing.
skipped() {
    [ -n "$missing" ] || return 1
    skip "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A script file is granted alone: beside it, a secret the guest must not
# read; its private copy goes under $TMPDIR and must be gone afterwards.
mkdir -p "$tmp/proj" "$tmp/tmpd"
echo "top secret" > "$tmp/proj/secret.txt"
export TMPDIR=$tmp/tmpd

# check NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING -- CMD...
check() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 5
    skipped "$name" && return
    local rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    check_result "$name" "$want_rc" "$want_out" "$want_err" "$rc"
}

# Like check, with stdin from the file $tmp/in.
check_in() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 5
    skipped "$name" && return
    local rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" <"$tmp/in" || rc=$?
    check_result "$name" "$want_rc" "$want_out" "$want_err" "$rc"
}

check_result() {
    skipped "$1" && return
    expect "$@" "$tmp/out" "$tmp/err"
}

# check_both NAME WANT_STDOUT PROGRAM HOSTDIR: `python -c PROGRAM DIR` with
# DIR a tmpfs at /tmp, then the host directory HOSTDIR granted at /w.
check_both() {
    local name=$1 want=$2 prog=$3 host=$4
    check "python $name on a tmpfs" 0 "$want" "" -- "$W" python --tmpfs /tmp \
        -c "$prog" /tmp
    mkdir -p "$host"
    check "python $name on a host grant" 0 "$want" "" -- "$W" python \
        --dir "$host:/w" -c "$prog" /w
}

# ---- python ---------------------------------------------------------------
need python/python.wasm
{
    check "python -c" 0 "2" "" -- "$W" python -c 'print(1+1)'
    check "python traceback" 1 "" "ZeroDivisionError: division by zero" -- \
        "$W" python -c 'def f(): return 1/0
f()'
    check "python exit status" 5 "" "" -- "$W" python -c 'import sys; sys.exit(5)'
    check "python zlib/gzip/zipfile" 0 "zip ok" "" -- "$W" python -c '
import zlib, gzip, zipfile, io
assert zlib.decompress(zlib.compress(b"x" * 1000)) == b"x" * 1000
assert gzip.decompress(gzip.compress(b"abc")) == b"abc"
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", "hello " * 100)
with zipfile.ZipFile(io.BytesIO(b.getvalue())) as z:
    assert z.read("a.txt") == b"hello " * 100
    assert z.getinfo("a.txt").compress_type == zipfile.ZIP_DEFLATED
print("zip ok")'
    check "python sqlite3" 0 "(45, '3.40.1')" "" -- "$W" python -c '
import sqlite3
c = sqlite3.connect(":memory:")
c.execute("create table t(x)")
c.executemany("insert into t values (?)", [(i,) for i in range(10)])
print(c.execute("select sum(x), sqlite_version() from t").fetchone())'
    check "python hashlib/json" 0 "ba7816bf {\"a\": [1, 2]}" "" -- "$W" python -c '
import hashlib, json
print(hashlib.sha256(b"abc").hexdigest()[:8], json.dumps({"a": [1, 2]}))'
    printf 'X = 42\n' > "$tmp/proj/helper.py"
    printf 'import sys, helper\nprint("script", helper.X, sys.argv[1:])\nsys.exit(3)\n' \
        > "$tmp/proj/main.py"
    cat > "$tmp/proj/peek.py" <<'PY'
import os, sys
try:
    open(os.path.join(os.path.dirname(__file__), "secret.txt")).read()
    sibling = "READ"
except OSError as e:
    sibling = "refused"
print("args", sys.argv, __file__, "sibling", sibling)
PY
    printf 'x = 1\nraise ValueError("boom")\n' > "$tmp/proj/boom.py"
    check "python script alone: sibling refused" 0 \
        "args ['$tmp/proj/peek.py', 'a'] $tmp/proj/peek.py sibling refused" "" -- \
        "$W" python "$tmp/proj/peek.py" a
    check "python traceback names the script" 1 "" "File \"$tmp/proj/boom.py\", line 2" -- \
        "$W" python "$tmp/proj/boom.py"
    check "python sibling import needs --dir" 1 "" "No module named 'helper'" -- \
        "$W" python "$tmp/proj/main.py"
    check "python script + sibling import (--dir)" 3 "script 42 ['a', 'b']" "" -- \
        "$W" python --dir "$tmp/proj:/app:ro" "$tmp/proj/main.py" a b
    check "python stdlib is read-only" 0 "EROFS" "" -- "$W" python -c '
import errno
try:
    open("/lib/python3.11/x", "w")
except OSError as e:
    print(errno.errorcode[e.errno])'
    check "python sees no host files" 0 "no access" "" -- "$W" python -c '
try:
    open("/etc/passwd")
except OSError:
    print("no access")'
    printf 'print("from stdin")\n' > "$tmp/in"
    check_in "python stdin" 0 "from stdin" "" -- "$W" python -
    # issue 11: a file moved into a removed, open directory was freed with
    # it on close, and later writes went to freed memory (exit 139)
    check "python tmpfs: rename into a removed directory" 0 \
        "rename ENOENT 4194309 4194309 hello" "" -- "$W" python --tmpfs /tmp -c '
import os
os.mkdir("/tmp/d"); F = os.open("/tmp/f", os.O_RDWR | os.O_CREAT); os.write(F, b"hello")
D = os.open("/tmp/d", os.O_RDONLY | os.O_DIRECTORY)
os.rmdir("/tmp/d")
try:
    os.rename("/tmp/f", "f", dst_dir_fd=D)
except FileNotFoundError:
    print("rename ENOENT", end=" ")
os.close(D)
for i in range(64): os.write(F, b"A" * 65536)
print(os.fstat(F).st_size, os.stat("/tmp/f").st_size, os.pread(F, 5, 0).decode())'
    # issue 22 item 1: "/" exists (the virtual root), paths outside the
    # grants are "not found", not PermissionError; nothing is made there
    check "python virtual root" 0 "root ok" "" -- "$W" python --tmpfs /tmp -c '
import errno, glob, os, os.path, pathlib, tempfile, zoneinfo
assert pathlib.Path("/xyzzy").exists() is False
st = os.stat("/")
import stat
assert stat.S_ISDIR(st.st_mode), st
os.chdir("/")
assert os.getcwd() == "/"
# bin and usr/bin: the images a guest can start (docs/processes.md);
# dev: /dev/null
assert sorted(os.listdir("/")) == ["bin", "dev", "lib", "tmp", "usr"], os.listdir("/")
assert str(pathlib.Path("/").resolve()) == "/"
assert sorted(glob.glob("/*")) == ["/bin", "/dev", "/lib", "/tmp", "/usr"], glob.glob("/*")
assert os.path.ismount("/") and os.path.ismount("/tmp")
assert not os.path.ismount("/lib/python3.11")
try:
    zoneinfo.ZoneInfo("UTC")
except zoneinfo.ZoneInfoNotFoundError:
    pass
d = tempfile.mkdtemp()
assert d.startswith("/tmp/") and os.path.isdir(d), d
for f in (lambda: open("/newfile", "w"), lambda: os.mkdir("/newdir")):
    try:
        f()
        raise SystemExit("made something at the root")
    except OSError as e:
        assert e.errno == errno.EROFS, e
assert not os.path.exists("/newfile")
print("root ok")'
    # issue 22 item 3: links on a tmpfs behave as on a host grant
    links_py='
import os, shutil, pathlib, sys
t = sys.argv[1]
os.mkdir(t + "/d")
pathlib.Path(t + "/d/f").write_text("data")
os.link(t + "/d/f", t + "/d/g")
os.symlink("f", t + "/d/s")
os.symlink("d", t + "/ds")
assert os.stat(t + "/d/f").st_nlink == 2
assert os.readlink(t + "/d/s") == "f" and os.path.islink(t + "/d/s")
assert pathlib.Path(t + "/ds/s").read_text() == "data"
assert sorted(os.listdir(t + "/ds")) == ["f", "g", "s"]
shutil.copytree(t + "/d", t + "/c", symlinks=True)
assert os.readlink(t + "/c/s") == "f"
os.unlink(t + "/d/f")
assert pathlib.Path(t + "/d/g").read_text() == "data"
try:
    os.symlink("../../etc/passwd", t + "/d/out")
except PermissionError:
    pass
else:
    raise SystemExit("made a link out")
shutil.rmtree(t + "/d")
assert os.path.islink(t + "/ds") and not os.path.exists(t + "/ds")
print("links ok")'
    check_both links "links ok" "$links_py" "$tmp/links"
    # issue 22 item 2: "now" is now (wasi-libc of 2022 sent time 0 for a
    # NULL times and refused UTIME_NOW; scripts/guests/compat/)
    utime_py='
import os, pathlib, sys, time
t, now, old = sys.argv[1], time.time(), (1000000000, 1000000000)
def near(p, follow=True):
    st = os.stat(p, follow_symlinks=follow)
    assert abs(st.st_mtime - now) < 60 and abs(st.st_atime - now) < 60, (p, st)
p = pathlib.Path(t + "/f")
p.write_text("x")
os.utime(p, old)
assert os.stat(p).st_mtime == 1000000000
os.utime(p)
near(p)
os.utime(p, old)
p.touch()
near(p)
os.utime(p, old)
fd = os.open(p, os.O_RDWR)
os.utime(fd)
os.close(fd)
near(p)
os.utime(p, ns=(1500000000123456789, 1600000000987654321))
st = os.stat(p)
assert (st.st_atime_ns, st.st_mtime_ns) == (1500000000123456789, 1600000000987654321), st
os.mkdir(t + "/d")
os.utime(t + "/d", old)
os.utime(t + "/d")
near(t + "/d")
os.symlink("f", t + "/l")
os.utime(t + "/l", old, follow_symlinks=False)
assert os.lstat(t + "/l").st_mtime == 1000000000 and os.stat(p).st_mtime != 1000000000
os.utime(t + "/l", follow_symlinks=False)
near(t + "/l", False)
p.touch()
print("utime ok")'
    check_both utime/touch "utime ok" "$utime_py" "$tmp/utime"
    # and the host sees "now" too, not 1970
    age=$(( $(date +%s) - $(stat -c %Y "$tmp/utime/f" 2>/dev/null || echo 0) ))
    [ "$age" -ge -5 ] && [ "$age" -lt 60 ]
    check_result "python touch: the host file's mtime is now (age ${age}s)" 0 "" "" $?
    # the current directory in normal form (physical), and ".." from one
    # grant to another (scripts/guests/compat/cwd.c, chdir.c, physical.c)
    check "python chdir and .. across grants" 0 "cwd ok" "" -- "$W" python --tmpfs /tmp -c '
import os
for d, want in (("/", "/"), ("..", "/"), ("tmp", "/tmp"), ("..", "/"), ("/tmp/", "/tmp")):
    os.chdir(d)
    assert os.getcwd() == want, (d, os.getcwd())
os.mkdir("a")
os.chdir("a/../a/.")
assert os.getcwd() == "/tmp/a", os.getcwd()
open("f", "w").write("x")
os.chdir("../../lib/python3.11")
assert os.getcwd() == "/lib/python3.11" and os.path.isfile("os.py")
assert open("../../tmp/a/f").read() == "x" and open("/lib/../tmp/a/f").read() == "x"
os.mkdir("/lib/../tmp/b")
assert os.path.isdir("/tmp/b")
# physical, as on Linux: the directory reached, not the link taken
os.makedirs("/tmp/c/d")
os.symlink("c/d", "/tmp/ld")
os.chdir("/tmp/ld")
assert os.getcwd() == "/tmp/c/d", os.getcwd()
os.chdir("/tmp/ld/..")
assert os.getcwd() == "/tmp/c", os.getcwd()
for bad in ("", "/tmp/a/f", "/tmp/nope/.."):
    try:
        os.chdir(bad)
        raise SystemExit(f"chdir {bad!r} worked")
    except (FileNotFoundError, NotADirectoryError):
        pass
try:
    os.stat("")
    raise SystemExit("stat of an empty path worked")
except FileNotFoundError:
    pass
print("cwd ok")'
    # issue 22 item 4: SQLite locks between the connections of one guest
    # (sqlite/wb_locks.c): one writer at a time, a reader's transaction
    # holds off a commit, a waiting writer (PENDING) holds off new readers
    locks_py='
import sqlite3, sys
db = sys.argv[1] + "/x.db"
a, b, c = (sqlite3.connect(db, timeout=0, isolation_level=None) for _ in range(3))
def locked(conn, sql):
    try:
        conn.execute(sql).fetchall()
    except sqlite3.OperationalError as e:
        assert str(e) == "database is locked", e
        return True
    return False
count = lambda conn: conn.execute("select count(*) from t").fetchone()[0]
a.execute("create table t(x)")
a.execute("begin immediate")
a.execute("insert into t values (1)")
assert locked(b, "insert into t values (2)"), "two writers at once"
assert locked(b, "begin immediate")
assert count(b) == 0 and count(c) == 0
a.execute("commit")
assert not locked(b, "insert into t values (2)")
assert count(a) == 2
b.execute("begin")
assert count(b) == 2
a.execute("begin")
a.execute("insert into t values (3)")
assert locked(a, "commit"), "commit under a reader"
assert locked(c, "select * from t"), "new reader past a waiting writer"
b.execute("commit")
a.execute("commit")
assert count(c) == 3
print("locks ok")'
    check_both "sqlite3 locks" "locks ok" "$locks_py" "$tmp/locks"
}

# ---- js -------------------------------------------------------------------
need js/qjs.wasm
{
    check "js ES2020" 0 "ok 1 1 {\"b\":2,\"c\":3} 100000000000000000000 3 5 2" "" -- \
        "$W" js -e '
class A { #x = 1; get x() { return this.#x; } }
const { a, ...r } = { a: 1, b: 2, c: 3 };
const wait = (v) => new Promise((res) => setTimeout(() => res(v), 1));
async function f() { const v = await wait(10n); return v ** 20n / 10n ** 19n * 10n ** 19n; }
f().then((v) => console.log("ok", new A().x, a, JSON.stringify(r), v,
    (2.5).toFixed(0), null ?? 5, r?.b));'
    check "js exception" 1 "" "TypeError: bad" -- "$W" js -e 'throw new TypeError("bad")'
    printf 'console.log([1, 2, 3].map((x) => x * 2).join(","))\n' > "$tmp/in"
    check_in "js stdin" 0 "2,4,6" "" -- "$W" js
    printf 'export const v = 7;\n' > "$tmp/proj/mod.mjs"
    printf 'import { v } from "./mod.mjs";\nconsole.log("module", v);\n' > "$tmp/proj/main.mjs"
    check "js module import needs --dir" 1 "" "mod.mjs" -- "$W" js "$tmp/proj/main.mjs"
    check "js module file (--dir)" 0 "module 7" "" -- \
        "$W" js --dir "$tmp/proj:/app:ro" "$tmp/proj/main.mjs"
}

# ---- lua ------------------------------------------------------------------
need lua/lua.wasm
{
    check "lua -e" 0 "2	Lua 5.4" "" -- "$W" lua -e 'print(1 + 1, _VERSION)'
    check "lua pcall/coroutine" 0 "false x.lua:1: boom 11 done 1000" "" -- "$W" lua -e '
local ok, e = load("error(\"boom\")", "=x.lua")
local ok2, err = pcall(ok)
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return "done" end)
local n = 0
for i = 1, 1000 do if not pcall(error, i) then n = n + 1 end end
print(table.concat({tostring(ok2), err, co(10), co(), n}, " "))'
    check "lua error" 1 "" "stack traceback" -- "$W" lua -e 'error("bad")'
    check "lua os.exit" 4 "" "" -- "$W" lua -e 'os.exit(4)'
    printf 'print("lua script", ...)\n' > "$tmp/proj/s.lua"
    check "lua script" 0 "lua script	x" "" -- "$W" lua "$tmp/proj/s.lua" x
    printf 'print(io.open(arg[0]:match("(.*/)") .. "secret.txt") and "READ" or "refused")\n' \
        > "$tmp/proj/peek.lua"
    check "lua script alone: sibling refused" 0 "refused" "" -- "$W" lua "$tmp/proj/peek.lua"
    check "lua script in a --dir reads its sibling" 0 "READ" "" -- \
        "$W" lua --dir "$tmp/proj:/app:ro" "$tmp/proj/peek.lua"
}

# ---- sqlite3 --------------------------------------------------------------
need sqlite/sqlite3.wasm
{
    check "sqlite3 query" 0 "[1,2]" "" -- "$W" sqlite3 :memory: 'select json_array(1, 2)'
    printf 'create table t(a); insert into t values (1), (2);\nselect sum(a) from t;\n' > "$tmp/in"
    check_in "sqlite3 stdin" 0 "3" "" -- "$W" sqlite3
    mkdir -p "$tmp/db"
    check "sqlite3 file db" 0 "1" "" -- "$W" sqlite3 --dir "$tmp/db:/db" /db/x.db \
        'create table t(a); insert into t values (1); select count(*) from t;'
    check "sqlite3 file persisted" 0 "1" "" -- "$W" sqlite3 --dir "$tmp/db:/db:ro" \
        /db/x.db 'select count(*) from t;'
    check "sqlite3 error" 1 "" "no such table" -- "$W" sqlite3 :memory: 'select * from nope'
    # the same file attached twice: two connections' worth of locks
    check "sqlite3 second writer is locked out" 5 "" "database is locked (5)" -- \
        "$W" sqlite3 --dir "$tmp/db:/db" /db/l.db "create table t(x);
attach '/db/l.db' as b; begin; insert into t values (1); insert into b.t values (2);"
    check "sqlite3 after the lock" 0 "count 1" "" -- "$W" sqlite3 --dir "$tmp/db:/db" /db/l.db \
        "attach '/db/l.db' as b; insert into b.t values (1); select 'count ' || count(*) from t;"
}

# ---- every `wasmbox run` option through every language command -----------
# The README says the language commands take every option of `wasmbox run`
# (`wasmbox python --policy f.yaml -c ...` once passed --policy to Python).
# Each option is given to each command with a program that shows it took
# effect: a grant is readable, a variable set, a budget ends the run with
# its exit status (docs/exit-codes.md).
opt=$tmp/opt
mkdir -p "$opt/d"
echo dir-ok > "$opt/d/f.txt"
printf "select 'dir-ok';\n" > "$opt/d/q.sql"
printf '.print env-ok\n' > "$opt/d/.sqliterc"          # sqlite3 reads $HOME/.sqliterc
echo stdin-ok > "$opt/in.txt"
printf "select 'stdin-ok';\n" > "$opt/in.sql"
printf "select 'plain';\n" > "$opt/plain.sql"
python3 -c "print('select ' + '+'.join(['1'] * 300) + ';')" > "$opt/deep.sql"
printf 'print(arg[-1])\n' > "$opt/argv0.lua"
printf 'grants:\n  dirs: [{host: %s, guest: /d}]\n  env: {WB_T: policy-ok}\n' \
    "$opt/d" > "$opt/policy.yaml"

# lang_prog LANG WHAT: the runtime arguments of a program that does WHAT.
lang_prog() {
    local l=$1 w=$2
    case $l:$w in
    python:read) echo "-c|print(open('/d/f.txt').read().strip())" ;;
    js:read) echo "--std|-e|console.log(std.loadFile('/d/f.txt').trim())" ;;
    lua:read) echo "-e|print((io.open('/d/f.txt'):read('l')))" ;;
    sqlite3:read) echo ":memory:|.read /d/q.sql" ;;
    python:env) echo "-c|import os; print(os.environ['WB_T'])" ;;
    js:env) echo "--std|-e|console.log(std.getenv('WB_T'))" ;;
    lua:env) echo "-e|print(os.getenv('WB_T'))" ;;
    python:tmp) echo "-c|open('/t/x', 'w').write('tmp-ok'); print(open('/t/x').read())" ;;
    js:tmp) echo "--std|-e|let f = std.open('/t/x', 'w'); f.puts('tmp-ok'); f.close(); console.log(std.loadFile('/t/x'))" ;;
    lua:tmp) echo "-e|io.open('/t/x', 'w'):write('tmp-ok'):close(); print(io.open('/t/x'):read('a'))" ;;
    sqlite3:tmp) echo ":memory:|attach '/t/x.db' as t; create table t.x(a); insert into t.x values ('tmp-ok'); select a from t.x;" ;;
    python:stdin) echo "-c|import sys; print(sys.stdin.read().strip())" ;;
    js:stdin) echo "--std|-e|console.log(std.in.readAsString().trim())" ;;
    lua:stdin) echo "-e|print(io.read('l'))" ;;
    python:ok) echo "-c|print('plain')" ;;
    js:ok) echo "-e|console.log('plain')" ;;
    lua:ok) echo "-e|print('plain')" ;;
    python:argv0) echo "-c|import sys; print(sys.orig_argv[0])" ;;
    js:argv0) echo "-e|console.log(typeof BigFloat)" ;;   # qjscalc turns bignum on
    lua:argv0) echo "$opt/argv0.lua" ;;
    sqlite3:argv0) echo "-no-such-option" ;;
    python:spin) echo "-c|while True: pass" ;;
    js:spin) echo "-e|for (;;) {}" ;;
    lua:spin) echo "-e|while true do end" ;;
    sqlite3:spin) echo ":memory:|with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c;" ;;
    python:print) echo "-c|print('x' * 1000)" ;;
    js:print) echo "-e|console.log('x'.repeat(1000))" ;;
    lua:print) echo "-e|print(string.rep('x', 1000))" ;;
    sqlite3:print) echo ":memory:|select printf('%.1000c', 'x');" ;;
    python:write) echo "-c|open('/t/x', 'w').write('x' * 100000)" ;;
    js:write) echo "--std|-e|let f = std.open('/t/x', 'w'); f.puts('x'.repeat(100000)); f.close()" ;;
    lua:write) echo "-e|io.open('/t/x', 'w'):write(string.rep('x', 100000)):close()" ;;
    sqlite3:write) echo ":memory:|attach '/t/x.db' as t; create table t.x(a); insert into t.x values (randomblob(100000));" ;;
    python:twofiles) echo "-c|a = open('/d/f.txt'); b = open('/d/f.txt'); print('two open')" ;;
    js:twofiles) echo "--std|-e|let a = std.open('/d/f.txt', 'r'), b = std.open('/d/f.txt', 'r'); console.log(b ? 'two open' : 'refused')" ;;
    lua:twofiles) echo "-e|local a = io.open('/d/f.txt'); print(io.open('/d/f.txt') and 'two open' or 'refused')" ;;
    sqlite3:twofiles) echo ":memory:|attach '/t/a.db' as a; attach '/t/b.db' as b; create table a.x(i); create table b.y(i); select 'two open';" ;;
    esac
}

# opt_check NAME RC OUT ERR STDIN LANG WHAT SANDBOX-OPTIONS...: run
# LANG's WHAT program under the options (stdin from file STDIN, or none).
opt_check() {
    local name=$1 rc=$2 out=$3 err=$4 in=$5 l=$6 w=$7
    shift 7
    local prog=() got=0
    skipped "$l $name" && return
    IFS='|' read -r -a prog <<<"$(lang_prog "$l" "$w")"
    "$W" "$l" "$@" "${prog[@]}" >"$tmp/out" 2>"$tmp/err" <"${in:-/dev/null}" || got=$?
    check_result "$l $name" "$rc" "$out" "$err" "$got"
}

declare -A img=([python]=python/python.wasm [js]=js/qjs.wasm [lua]=lua/lua.wasm
                [sqlite3]=sqlite/sqlite3.wasm)
for l in python js lua sqlite3; do
    need "${img[$l]}"
    opt_check "--dir" 0 dir-ok "" "" $l read --dir "$opt/d:/d:ro"
    opt_check "--policy" 0 dir-ok "" "" $l read --policy "$opt/policy.yaml"
    opt_check "--tmpfs" 0 tmp-ok "" "" $l tmp --tmpfs /t:1M
    opt_check "--report" 0 "" "" "" $l ok --report "$opt/report-$l.json"
    if grep -q '"outcome":"exited"' "$opt/report-$l.json" 2>/dev/null; then
        check_result "$l --report: the report" 0 "" "" 0
    else
        check_result "$l --report: the report" 0 "" "" 1
    fi
    case $l in
    sqlite3)
        opt_check "--env" 0 env-ok "" "" $l read --dir "$opt/d:/d:ro" --env HOME=/d
        opt_check "--opt=VALUE" 0 dir-ok "" "" $l read --env=HOME=/ --policy="$opt/policy.yaml"
        opt_check "--stdin" 0 stdin-ok "" "$opt/plain.sql" $l none --stdin "$opt/in.sql"
        opt_check "--argv0" 1 "" "myname: Error" "" $l argv0 --argv0 myname
        opt_check "--max-stack" 134 "" "call stack exhausted" "" $l none --max-stack 100 --stdin "$opt/deep.sql"
        ;;
    *)
        opt_check "--env" 0 env-ok "" "" $l env --env WB_T=env-ok
        opt_check "--policy (env)" 0 policy-ok "" "" $l env --policy "$opt/policy.yaml"
        opt_check "--stdin" 0 stdin-ok "" "" $l stdin --stdin "$opt/in.txt"
        want=myname
        [ $l = js ] && want=function
        opt_check "--argv0" 0 "$want" "" "" $l argv0 --argv0 "$([ $l = js ] && echo qjscalc || echo myname)"
        opt_check "--max-stack" 134 "" "call stack exhausted" "" $l ok --max-stack 20
        ;;
    esac
    opt_check "--max-memory" 120 "" "memory limit exceeded" "" $l ok --max-memory 1M
    opt_check "--fuel" 121 "" "fuel exhausted" "" $l ok --fuel 1000
    opt_check "--timeout" 124 "" "timeout" "" $l spin --timeout 1s
    opt_check "--max-output" 119 "" "output-limit" "" $l print --max-output 100
    opt_check "--max-disk" 118 "" "disk-limit" "" $l write --tmpfs /t --max-disk 16K
    if [ $l = sqlite3 ]; then
        opt_check "--max-files" 14 "" "unable to open database" "" $l twofiles --tmpfs /t --max-files 5
    elif [ $l = python ]; then
        opt_check "--max-files" 1 "" "No file descriptors available" "" $l twofiles --dir "$opt/d:/d:ro" --max-files 6
    else
        opt_check "--max-files" 0 refused "" "" $l twofiles --dir "$opt/d:/d:ro" --max-files 5
    fi
done
# An abbreviation is not an option of ours: it goes to the runtime.
need python/python.wasm
opt_check "--pol is Python's" 2 "" "unknown option --pol" "" python ok --pol "$opt/policy.yaml"

need ""
left=$(ls -A "$tmp/tmpd")
[ -z "$left" ] && check_result "script copies removed" 0 "" "" 0 ||
    check_result "script copies removed: $left left" 0 "" "" 1
summary
