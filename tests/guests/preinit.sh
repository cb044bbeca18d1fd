#!/bin/bash
# tests/guests/preinit.sh: pre-initialized Python (python/python.snap,
# docs/snapshots.md "Pre-initialized guests"). Works on a private guests
# directory beside the images of $WASMBOX_GUESTS (links to python.wasm and
# lib/, its own snapshot), so the images are never changed:
#   - `wasmbox guest-snapshot` writes it; `python -c` starts from it (the
#     ready point's modules are imported), `WASMBOX_COLD=1` and a PYTHON*
#     variable start cold;
#   - two restored runs draw different random numbers;
#   - output and exit status equal a cold start's for a set of programs
#     (argv, environment, grants, --cwd, stdin, exceptions, exit, atexit,
#     __del__, stdio encodings);
#   - every budget holds after a restore (memory, including a limit below
#     the snapshot's own memory; timeout; output; fuel);
#   - a snapshot of another module, a truncated and a bit-flipped one are
#     refused with one line, and the run starts cold with the same result;
#   - the first start checks the snapshot whole and stamps it (a private
#     XDG_CACHE_HOME); a byte of the stamped file changed in place, its
#     mtime put back, is still found and refused;
#   - when python.wasm's code for this build is in $WB_NATIVE_CACHE_HOME
#     (default $XDG_CACHE_HOME, else ~/.cache; `make guests-native`), a
#     start from the snapshot runs it (the report's "tier") with the same
#     output and exit status as the interpreter's, and random numbers
#     still differ between two runs; otherwise one skip line (always in
#     the ASan build, whose code differs and is not precompiled).
# WB_BUILD, WASMBOX, WASMBOX_GUESTS as in tests/guests/run.sh. Skipped
# without the Python image. Last line: "N passed, N failed, N skipped".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
src=${WASMBOX_GUESTS:-$B/guests}/python
if [ ! -f "$src/python.wasm" ] || [ ! -x "$W" ]; then
    skip "preinit: every case (no $src/python.wasm or no $W)"
    summary
    exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/g/python"
ln -s "$src/python.wasm" "$tmp/g/python/python.wasm"
ln -s "$(cd "$src/lib" && pwd)" "$tmp/g/python/lib"
export WASMBOX_GUESTS=$tmp/g
# the native code cache of the last part (before XDG_CACHE_HOME is ours)
NCACHE=${WB_NATIVE_CACHE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}}
export XDG_CACHE_HOME=$tmp/cache        # the stamps of checked snapshots
snap=$tmp/g/python/python.snap

# ok NAME COND...: pass when the command COND succeeds.
ok() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

if "$W" guest-snapshot >"$tmp/out" 2>&1 && [ -s "$snap" ]; then
    pass "guest-snapshot writes python.snap"
else
    fail "guest-snapshot writes python.snap: $(head -3 "$tmp/out")"
fi
cp "$snap" "$tmp/good.snap"

warm='import sys; print("json" in sys.modules and "decimal" in sys.modules)'
ok "python -c starts from the snapshot" \
    test "$("$W" python -c "$warm" 2>&1)" = True
ok "WASMBOX_COLD=1 starts cold" \
    test "$(WASMBOX_COLD=1 "$W" python -c "$warm" 2>&1)" = False
ok "a PYTHON* variable (other than PYTHONIOENCODING) starts cold" \
    test "$("$W" python --env PYTHONDONTWRITEBYTECODE=1 -c "$warm" 2>&1)" = False

r1=$("$W" python -c 'import random; print(random.random(), random.getrandbits(64))')
r2=$("$W" python -c 'import random; print(random.random(), random.getrandbits(64))')
ok "two restored runs draw different random numbers" \
    test -n "$r1" -a -n "$r2" -a "$r1" != "$r2"

# same NAME ARGS...: stdout+stderr and the exit status of `python ARGS`
# are those of a cold start (stdin: two lines).
same() {
    local name=$1 a b ra=0 rb=0
    shift
    a=$(printf 'in1\nin2\n' | "$W" python "$@" 2>&1) || ra=$?
    b=$(printf 'in1\nin2\n' | WASMBOX_COLD=1 "$W" python "$@" 2>&1) || rb=$?
    if [ "$a" = "$b" ] && [ "$ra" = "$rb" ]; then
        pass "same as cold: $name"
    else
        fail "same as cold: $name: restored ($ra) '${a:0:300}', cold ($rb) '${b:0:300}'"
    fi
}
mkdir -p "$tmp/data"
echo hello > "$tmp/data/f.txt"
same "pass" -c pass
same "print" -c 'print("hi", 1 + 1)'
same "sys.exit(3)" -c 'import sys; sys.exit(3)'
same "sys.exit(str)" -c 'import sys; sys.exit("bye")'
same "exit(5)" -c 'exit(5)'
same "os._exit" -c 'import os; os._exit(7)'
same "traceback" -c 'def f(): raise KeyError(1)
f()'
same "syntax error" -c 'def ('
same "argv and sys.path" -c 'import sys; print(sys.argv, sys.orig_argv[1:2], sys.path, sys.executable, sys.prefix, sys.flags)' a 'b c'
same "__main__" -c 'print(sorted(dir()), __name__, __spec__, __loader__)'
same "stdin" -c 'import sys; print(repr(sys.stdin.read()))'
same "environment" --env FOO=bar --env HOME=/h -c 'import os; print(sorted(os.environ.items()), os.getenv("FOO"), os.path.expanduser("~"))'
same "grants" --dir "$tmp/data:/data:ro" --tmpfs /t -c 'import os; print(sorted(os.listdir("/")), open("/data/f.txt").read(), os.listdir("/t"))'
same "cwd and relative paths" --dir "$tmp/data:/" -c 'import os; print(os.getcwd(), open("f.txt").read())'
# --cwd: a cold start's constructor enters it, a restored run's host
# (preinit.c, enter_cwd; a session's one-shot steps start in /work)
same "--cwd" --dir "$tmp/data:/w" --cwd /w -c 'import os; print(os.getcwd(), open("f.txt").read())'
same "--cwd that is not there" --dir "$tmp/data:/w" --cwd /nope -c 'import os; print(os.getcwd())'
same "atexit" -c 'import atexit; atexit.register(print, "at exit")'
same "__del__ at exit" -c 'class A:
    def __del__(self): print("del")
a = A()'
same "unclosed file flushed at exit" --dir "$tmp/data:/data" -c 'f = open("/data/out.txt", "w"); f.write("x" * 10)' 
ok "unclosed file flushed at exit (content)" test "$(cat "$tmp/data/out.txt")" = xxxxxxxxxx
same "warnings" -c 'import warnings; warnings.warn("w")'
# The end of a run (finish, src/sandbox/preinit_src.c) skips tearing
# the interpreter down only when nothing the run made can see it: each
# of these makes something that can, held where a cold start finalizes
# it last (by another module), so the end must be Py_FinalizeEx's.
same "__del__ of an object another module holds" -c 'class A:
    def __del__(self): print("del")
import json; json.x = A()'
same "a suspended generator with finally held by a module" -c 'def g():
    try:
        yield 1
    finally:
        print("finally")
import json; json.g = g(); next(json.g)'
# same_full NAME CODE: CODE's output and status are those of the same
# run made to end in Py_FinalizeEx (a suspended generator held by a
# module), where they differ from a cold start's (module order)
same_full() {
    local name=$1 a b ra=0 rb=0
    a=$("$W" python -c "$2" 2>&1) || ra=$?
    b=$("$W" python -c "$2
import json as _j; _j._wb_full = (i for i in (1,))" 2>&1) || rb=$?
    if [ "$a" = "$b" ] && [ "$ra" = "$rb" ]; then
        pass "same as Py_FinalizeEx: $name"
    else
        fail "same as Py_FinalizeEx: $name: '${a:0:300}' ($ra), '${b:0:300}' ($rb)"
    fi
}
same_full "a weakref callback" 'import weakref, json
class A: pass
json.a = A(); json.r = weakref.ref(json.a, lambda r: print("callback"))'
same "gc.callbacks" -c 'import gc; gc.callbacks.append(lambda p, i: print(p))'
same "an audit hook sees the end" -c 'import sys, os
def h(e, a, w=os.write):
    if e.startswith("cpython."): w(1, (e + "\n").encode())
sys.addaudithook(h)'
same "a file another module holds is flushed" --dir "$tmp/data:/data" -c 'import json; json.f = open("/data/held.txt", "w"); json.f.write("y" * 10)'
ok "a file another module holds is flushed (content)" test "$(cat "$tmp/data/held.txt")" = yyyyyyyyyy
same "io.StringIO and a cycle at exit" -c 'import io
class N: pass
a = N(); a.me = a; s = io.StringIO(); s.write("x"); print("ok")'
same "stdout replaced" -c 'import sys, io; sys.stdout = io.StringIO(); print("lost")'
same "threading" -c 'import threading; print(threading.active_count())'
# a sqlite3 connection left open (a transaction, a rollback journal) is
# closed by the end of a cold start: the same files are left
for how in restored cold; do
    rm -rf "$tmp/db-$how"; mkdir "$tmp/db-$how"
    cold=; [ "$how" = cold ] && cold=WASMBOX_COLD=1
    env $cold "$W" python --dir "$tmp/db-$how:/db" -c 'import sqlite3, json
json.c = sqlite3.connect("/db/x.db"); json.c.execute("create table t(a)")
json.c.commit(); json.c.execute("insert into t values (1)")' >/dev/null 2>&1
done
ok "a sqlite3 connection another module holds: same files as cold" \
    test "$(ls -a "$tmp/db-restored")" = "$(ls -a "$tmp/db-cold")"
same "stdout without newline" -c 'import sys; sys.stdout.write("no newline")'
same "unicode" -c 'print("é ☃", "\udcff".encode("utf-8", "surrogateescape"))'
same "stdio encodings" -c 'import sys; print(sys.stdout.encoding, sys.stdout.errors, sys.stderr.errors, sys.stdin.errors, sys.getfilesystemencoding())'
same "PYTHONIOENCODING" --env PYTHONIOENCODING=latin1:replace -c 'import sys; print(sys.stdout.encoding, sys.stdout.errors, sys.stderr.encoding, sys.stderr.errors, sys.stdin.errors)'
same "PYTHONIOENCODING=utf-8" --env PYTHONIOENCODING=utf-8 -c 'import sys; print(sys.stdout.errors, sys.stdin.errors)'
same "non-UTF-8 code starts cold" -c $'print(1) # \xff'
same "another argv0 starts cold" --argv0 py -c 'import sys; print(sys.executable, sys.orig_argv)'

# `python SCRIPT ARGS...` starts from the snapshot too (preinit.c,
# run_script): what pymain_run_python does for a script, compared with a
# cold start's (the script is copied where `wasmbox python` grants it,
# at the same path, so its name is the same in both runs).
mkdir -p "$tmp/s/sub" "$tmp/app" "$tmp/noapp"
printf 'import sys\nprint("json" in sys.modules)\n' > "$tmp/s/warm.py"
ok "python SCRIPT starts from the snapshot" \
    test "$("$W" python "$tmp/s/warm.py" 2>&1)" = True
ok "python SCRIPT with WASMBOX_COLD=1 starts cold" \
    test "$(WASMBOX_COLD=1 "$W" python "$tmp/s/warm.py" 2>&1)" = False
cat > "$tmp/s/show.py" <<'PY'
import sys
print(sys.argv, sys.orig_argv, sys.path[0], __file__, __cached__, __name__,
      __spec__, type(__loader__).__name__, __loader__.path, sorted(dir()),
      sys.path_importer_cache.get(sys.argv[0], "absent"))
PY
same "script: argv, sys.path[0], __main__" "$tmp/s/show.py" a 'b c'
same "script: granted at another path" --dir "$tmp/s:/x:ro" /x/show.py 1
same "script: a relative name in --cwd" --dir "$tmp/s:/w:ro" --cwd /w show.py
ln -sf sub/real.py "$tmp/s/link.py"
printf 'import sys\nprint(sys.path[0], __file__)\n' > "$tmp/s/sub/real.py"
same "script: a symbolic link (sys.path[0] its target's directory)" \
    --dir "$tmp/s:/x:ro" /x/link.py
printf 'def f():\n    raise KeyError(1)\nf()\n' > "$tmp/s/tb.py"
same "script: traceback" "$tmp/s/tb.py"
printf 'import sys\nprint("out")\nsys.exit(4)\n' > "$tmp/s/exit.py"
same "script: sys.exit(4)" "$tmp/s/exit.py"
printf 'def (\n' > "$tmp/s/syntax.py"
same "script: syntax error" "$tmp/s/syntax.py"
printf '# -*- coding: latin-1 -*-\nprint("\xe9", len("\xe9"))\n' > "$tmp/s/latin1.py"
same "script: a coding cookie" "$tmp/s/latin1.py"
printf 'import sys, atexit\natexit.register(print, "at exit")\nprint(repr(sys.stdin.read()))\nclass A:\n    def __del__(self): print("del")\na = A()\n' > "$tmp/s/io.py"
same "script: stdin, atexit, __del__" "$tmp/s/io.py"
same "script: not there" --dir "$tmp/s:/x:ro" /x/nope.py
printf 'import sys\nprint("app", sys.argv, sys.path[0], __name__)\n' > "$tmp/app/__main__.py"
same "script: a directory with __main__.py" --dir "$tmp/app:/app:ro" /app x
same "script: a directory without __main__.py" --dir "$tmp/noapp:/app:ro" /app
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("__main__.py", "import sys\nprint(\"zip\", sys.argv, sys.path[0])\nraise SystemExit(3)\n")' "$tmp/s/app.pyz"
same "script: a zip application" --dir "$tmp/s:/x:ro" /x/app.pyz y
same "script: a PYTHON* variable starts cold" --env PYTHONSAFEPATH=1 "$tmp/s/show.py"
printf 'while True:\n    pass\n' > "$tmp/s/loop.py"
# Found by attack round 6 (tests/attack/README.md): each once differed.
printf 'raise KeyboardInterrupt\n' > "$tmp/s/kbint.py"
same "script: KeyboardInterrupt exits 130" "$tmp/s/kbint.py"
same "-c: KeyboardInterrupt exits 130" -c 'raise KeyboardInterrupt'
mkdir -p "$tmp/sh"
printf 'print("local random")\nx = 1\n' > "$tmp/sh/random.py"
printf 'print("local json")\n' > "$tmp/sh/json.py"
printf 'import random, json\nprint(random.__file__, json.__file__)\n' > "$tmp/sh/main.py"
same "script: modules beside it shadow the snapshot's imports" \
    --dir "$tmp/sh:/w:ro" /w/main.py
same "script: named like a module it imports" --dir "$tmp/sh:/w:ro" /w/random.py
same "-c: a module in the working directory shadows a snapshot's import" \
    --dir "$tmp/sh:/w:ro" --cwd /w -c 'import json; print(json.__file__)'
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1] + ".tmp", "w") as z:
    z.writestr("\u00e9", "x")
b = open(sys.argv[1] + ".tmp", "rb").read().replace(b"\xc3\xa9", b"\xff\xfe")
open(sys.argv[1], "wb").write(b)' "$tmp/s/badname.zip"
same "script: a zip whose importer fails otherwise than ImportError" \
    --dir "$tmp/s:/w:ro" /w/badname.zip
same "script: can't open, with PYTHONIOENCODING" \
    --env PYTHONIOENCODING=ascii --dir "$tmp/s:/w:ro" /w/nopé.py
mkdir -p "$tmp/pk"
printf 'import sys\nprint(sys.path)\n' > "$tmp/pk/p.py"
same "script: in the --packages directory" --packages "$tmp/pk" /packages/p.py
printf 'import sys\nkeep = sys.stdout\nprint("tail", end="")\nsys.stdout = sys.__stdout__ = None\n' > "$tmp/s/keep1.py"
same "script: a kept stdout's buffer, sys.stdout None" "$tmp/s/keep1.py"
printf 'import sys\nkeep = sys.stdout\nprint("tail", end="")\nclass W:\n    def write(self, s): return len(s)\n    def flush(self): pass\nsys.stdout = sys.__stdout__ = W()\n' > "$tmp/s/keep2.py"
same "script: a kept stdout's buffer, sys.stdout without closed" "$tmp/s/keep2.py"
printf 'import sys\nprint(sorted(sys.path_importer_cache))\n' > "$tmp/s/pic.py"
same "script: sys.path_importer_cache" "$tmp/s/pic.py"

# budget NAME WANT_RC ARGS...: `python ARGS` from the snapshot ends with
# WANT_RC (docs/exit-codes.md).
budget() {
    local name=$1 want=$2 rc=0
    shift 2
    "$W" python "$@" >"$tmp/out" 2>&1 </dev/null || rc=$?
    if [ "$rc" = "$want" ]; then
        pass "budget after a restore: $name"
    else
        fail "budget after a restore: $name: exit $rc, want $want: $(head -c 300 "$tmp/out")"
    fi
}
budget "memory below the snapshot's own" 120 --max-memory 4M -c pass
# growth past the limit is refused: CPython raises MemoryError (exit 1),
# as in a cold start; the peak stays under the limit
budget "memory growth refused (MemoryError)" 1 --max-memory 64M \
    -c 'x = bytearray(100 << 20)'
ok "memory growth refused: peak under the limit" grep -q MemoryError "$tmp/out"
same "memory growth refused" --max-memory 64M -c 'x = bytearray(100 << 20)'
budget "timeout" 124 --timeout 1s -c 'while True: pass'
budget "output" 119 --max-output 100 -c 'print("x" * 1000)'
budget "fuel" 121 --fuel 100000 -c 'while True: pass'
budget "script: timeout" 124 --timeout 1s "$tmp/s/loop.py"
budget "script: fuel" 121 --fuel 100000 "$tmp/s/loop.py"
budget "within budget" 0 --max-memory 64M --timeout 30s --fuel 1000000000 \
    --max-output 1M -c 'print(sum(range(1000)))'

# refused NAME: python.snap (already replaced) is refused with one line
# naming it, and the run starts cold with the right result.
refused() {
    local name=$1 rc=0
    "$W" python -c "$warm" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = False ] &&
       [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "python.snap.*starting cold" "$tmp/err"; then
        pass "refused, cold start: $name"
    else
        fail "refused, cold start: $name: exit $rc, out '$(cat "$tmp/out")', err '$(head -c 300 "$tmp/err")'"
    fi
}
head -c $(( $(stat -c %s "$tmp/good.snap") - 4096 )) "$tmp/good.snap" > "$snap.new"
mv "$snap.new" "$snap"
refused "truncated"
cp "$tmp/good.snap" "$snap.new"
printf '\x5a' | dd of="$snap.new" bs=1 seek=$((3 << 20)) conv=notrunc status=none
mv "$snap.new" "$snap"
refused "bit-flipped"
# in place, after a start stamped the file (preinit_stamp.c): a stamp
# binds the file's ctime, which a write changes and touch cannot put back
cp "$tmp/good.snap" "$snap"
rm -rf "$tmp/cache"
ok "a start from a snapshot stamps it" \
    test "$("$W" python -c "$warm" 2>&1)" = True -a \
    "$(ls "$tmp/cache/wasmbox/verified" | wc -l)" = 1
ok "a stamped snapshot starts from the stamp" \
    test "$("$W" python -c "$warm" 2>&1)" = True
printf '\x5a' | dd of="$snap" bs=1 seek=$((3 << 20)) conv=notrunc status=none
touch -r "$tmp/good.snap" "$snap"
refused "bit-flipped in place after a stamp"
# another module: python.wasm with a custom section appended (a valid
# module with other bytes)
cp "$tmp/good.snap" "$snap"
rm "$tmp/g/python/python.wasm"
{ cat "$src/python.wasm"; printf '\x00\x04\x03abc'; } > "$tmp/g/python/python.wasm"
refused "another module"

# ---- the native tier --------------------------------------------------------
# A snapshot is memory state, which either tier runs from: with the code
# cached, `wasmbox python` (--tier cached, its default) restores it and
# runs machine code; --tier interp the interpreter, with the same result.
cp "$tmp/good.snap" "$snap"
rm "$tmp/g/python/python.wasm"
ln -s "$src/python.wasm" "$tmp/g/python/python.wasm"
# Is python.wasm's code for this build cached? Asked without the snapshot
# (-V exits before the interpreter needs its library).
XDG_CACHE_HOME=$NCACHE "$W" run --tier cached --report "$tmp/tier.json" \
    "$src/python.wasm" -V >/dev/null 2>&1
if ! grep -q '"tier":"native"' "$tmp/tier.json" 2>/dev/null; then
    skip "native tier from the snapshot (python.wasm's code for this" \
         "build is not in $NCACHE/wasmbox/native: make guests-native)"
else
    XDG_CACHE_HOME=$NCACHE "$W" python --report "$tmp/tier.json" \
        -c "$warm" >"$tmp/out" 2>&1
    ok "python -c from the snapshot runs native code" \
        grep -q '"tier":"native"' "$tmp/tier.json"
    ok "... with the snapshot's modules" test "$(cat "$tmp/out")" = True
    # same NAME CODE: stdout, stderr and exit status of both tiers agree
    same() {
        local t rc
        for t in interp cached; do
            rc=0
            XDG_CACHE_HOME=$NCACHE "$W" python --tier $t --report \
                "$tmp/$t.json" -c "$2" a b >"$tmp/$t.out" 2>"$tmp/$t.err" \
                </dev/null || rc=$?
            echo "exit $rc" >>"$tmp/$t.out"
        done
        if grep -q '"tier":"interp"' "$tmp/interp.json" &&
           grep -q '"tier":"native"' "$tmp/cached.json" &&
           cmp -s "$tmp/interp.out" "$tmp/cached.out" &&
           cmp -s "$tmp/interp.err" "$tmp/cached.err"; then
            pass "native and interpreter agree: $1"
        else
            fail "native and interpreter agree: $1: $(diff "$tmp/interp.out" "$tmp/cached.out" | head -5) $(diff "$tmp/interp.err" "$tmp/cached.err" | head -5)"
        fi
    }
    same "the restored state" 'import sys, gc, json, decimal
print(sys.argv, sys.path[:2], sys.flags.isolated, len(sys.modules))
print(sorted(sys.modules)[:12], gc.isenabled(), gc.get_freeze_count() > 0)
print(json.dumps({"a": [1, 2.5, None]}), decimal.Decimal(1) / 7)
print(sum(i * i for i in range(100000)), hash((1, 2, "x")) == hash((1, 2, "x")))'
    same "an exception" 'import os
print(sorted(os.environ))
1 / 0'
    same "sys.exit" 'import atexit, sys
atexit.register(print, "bye")
sys.exit(7)'
    r1=$(XDG_CACHE_HOME=$NCACHE "$W" python -c 'import random; print(random.random())' 2>&1)
    r2=$(XDG_CACHE_HOME=$NCACHE "$W" python -c 'import random; print(random.random())' 2>&1)
    ok "two native runs from the snapshot draw different numbers" \
        test -n "$r1" -a "$r1" != "$r2"
fi

summary
