#!/usr/bin/env bash
# tests/proc/run.sh [WASMBOX]: processes in the sandbox (docs/processes.md).
# The guests (tests/proc/*.c, built into build/proc/) call the
# wasmbox_proc imports directly; tree.wasm starts copies of itself as
# /bin/tree (--image). Each case checks the guest's stdout, the exit
# status and fields of the JSON report; the cases that end at the
# deadline also check that the run (every process of it) ended within a
# bound. One line per failing case, then "N passed, N failed, N skipped"
# (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
OUT=$ROOT/build/proc
CC=(clang-14 --target=wasm32-wasi --sysroot=/usr -O1)
mkdir -p "$OUT"
. "$ROOT/tests/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/wbproc.XXXXXX")
trap 'rm -rf "$T"' EXIT

for src in "$ROOT"/tests/proc/*.c; do
    name=$(basename "$src" .c)
    if [ ! -f "$OUT/$name.wasm" ] || [ "$src" -nt "$OUT/$name.wasm" ] ||
       [ "$ROOT/tests/proc/wbproc.h" -nt "$OUT/$name.wasm" ]; then
        "${CC[@]}" -o "$OUT/$name.wasm" "$src" 2>"$OUT/$name.log" ||
            fail "$name: does not compile: $(head -2 "$OUT/$name.log" | tr '\n' ' ')"
    fi
done
TREE=$OUT/tree.wasm FORK=$OUT/fork.wasm EDGES=$OUT/edges.wasm
mkdir -p "$T/data"
cp "$TREE" "$T/data/t.wasm"
echo "not a module" >"$T/data/junk"

# check NAME STATUS WANT_STDOUT MAX_SECONDS JQ [ARGS...]: run
# `wasmbox run --report R ARGS`; the case passes when the exit status is
# STATUS, stdout is WANT_STDOUT ("*": anything), the run took less than
# MAX_SECONDS of wall time and the jq expression JQ holds on the report
# (and, with RSS_KB or CPU_MS set, the wasmbox process's peak RSS or its
# user CPU time stayed below it: CPU time does not depend on the machine's
# load. System time is left out: reading and mapping a 200 MiB module
# took 0.76 to 0.96 s of it under ASan on a paravirtualised VM whose page
# faults are dear, against 0.10 s of user time, while what the deadline
# case guards against, validation running on, is user time).
check() {
    local name=$1 want_rc=$2 want=$3 max=$4 expr=$5 rc t0 t1 ms
    shift 5
    t0=$(date +%s%N)
    /usr/bin/time -f "%M %U %S" -o "$T/rss" timeout 60 "$WB" run \
        --report "$T/r.json" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    if [ "$rc" != "$want_rc" ]; then
        fail "$name: exit status $rc, want $want_rc ($(head -c 300 "$T/err" | tr '\n' ' '))"
    elif [ "$want" != "*" ] && [ "$(cat "$T/out")" != "$want" ]; then
        fail "$name: stdout: $(head -c 300 "$T/out" | tr '\n' '|'), want $(echo "$want" | tr '\n' '|')"
    elif [ "$ms" -ge $((max * 1000)) ]; then
        fail "$name: took ${ms} ms, more than ${max}s"
    elif ! jq -e "$expr" "$T/r.json" >/dev/null 2>&1; then
        fail "$name: report: $(cut -c1-400 "$T/r.json") does not satisfy $expr"
    elif [ -n "${RSS_KB:-}" ] && [ "$(tail -1 "$T/rss" | cut -d' ' -f1)" -ge "$RSS_KB" ]; then
        fail "$name: peak RSS $(tail -1 "$T/rss" | cut -d' ' -f1) KB, not below $RSS_KB KB"
    elif [ -n "${CPU_MS:-}" ] &&
         [ "$(tail -1 "$T/rss" | awk '{ printf "%d", $2 * 1000 }')" -ge "$CPU_MS" ]; then
        fail "$name: $(tail -1 "$T/rss" | cut -d' ' -f2) s of user CPU (system $(tail -1 "$T/rss" | cut -d' ' -f3) s), not below $CPU_MS ms"
    else
        pass
    fi
}

# Threads of the wasmbox process left when a run ended are caught by
# the wall-clock bound (the run returns only after joining them all) and
# by the sanitizer builds' leak check (each thread's stack and process).
run_cases() {
    local tier=$1 R=(--tier "$1" --image "tree=$TREE")
    check "$tier spawn-wait" 0 "waited for it, exit 7
again: -12" 10 '.processes.started == 2 and .processes.max_live == 2' \
        "${R[@]}" "$TREE" spawn_wait
    check "$tier ids" 0 "pid 1 ppid 0; child pid > 1, exit 3" 10 \
        '.outcome == "exited"' "${R[@]}" "$TREE" ids
    check "$tier kill-wnohang" 0 "wnohang: 0
kill: 0
wait: it, status 15
no child: -12
kill gone: 71
kill bad sig: 28" 10 '.outcome == "exited"' "${R[@]}" "$TREE" kill
    check "$tier exec" 4 "before exec
argv[0]=tree
argv[1]=show
argv[2]=x y
env X=1
env Y=two
cwd /tmp
pid 1" 10 '.exit_code == 4 and (.processes == null)' "${R[@]}" "$TREE" exec
    check "$tier exec-errors" 0 "missing: 44
not bin: 44
bad argv: 28
fault: 21" 10 '.outcome == "exited"' "${R[@]}" "$TREE" exec_missing
    check "$tier orphans" 0 "reaped 2 orphans whose ppid was the root" 10 \
        '.processes.started == 4' "${R[@]}" "$TREE" orphans
    check "$tier max-processes" 0 "spawn sleep: errno 6
started 3
after the kills: 1" 10 \
        '.processes.max_live == 4 and .processes.refused == 1' \
        "${R[@]}" --max-processes 4 "$TREE" max
    check "$tier default-max" 0 "spawn sleep: errno 6
started 15
after the kills: 1" 10 '.processes.max_live == 16' "${R[@]}" "$TREE" max
    check "$tier never-waited" 0 "started 3, reaped 3, then one more" 20 \
        '.processes.started == 5 and .processes.refused >= 500' \
        "${R[@]}" --max-processes 4 "$TREE" nowait 200
    check "$tier child-loops" 124 "" 8 \
        '.outcome == "timeout" and .processes.started == 2' \
        "${R[@]}" --timeout 1s "$TREE" loop_child
    check "$tier 50-sleepers" 124 "50 sleeping" 8 \
        '.outcome == "timeout" and .processes.max_live == 51' \
        "${R[@]}" --timeout 1s --max-processes 51 "$TREE" sleepers 50
    check "$tier bomb" 124 "*" 8 \
        '.outcome == "timeout" and .processes.max_live == 8 and .processes.refused > 0' \
        "${R[@]}" --timeout 1s --max-processes 8 "$TREE" bomb
    check "$tier root-killed" 137 "" 10 \
        '.outcome == "exited" and .exit_code == 137' "${R[@]}" "$TREE" killer
    check "$tier one-process" 0 "spawn sleep: errno 6
started 0
spawn exit: errno 6
after the kills: 0" 10 '.processes.refused == 2' \
        "${R[@]}" --max-processes 1 "$TREE" max
    check "$tier pipeline" 0 "lines 1000 sum 500500
pipeline: 0 0
bad fd: -8" 10 '.processes.started == 3 and .stdout_bytes == 47' \
        "${R[@]}" "$TREE" pipeline
    check "$tier bin-and-files" 0 "/bin/tree
stat: 0 regular 1
/data/t.wasm: 9
not a module: 45" 10 '.processes.started == 2' \
        "${R[@]}" --dir "$T/data:/data:ro" "$TREE" bin /data/t.wasm
    check "$tier output-once" 0 "$(printf 'x%.0s' $(seq 3000))" 10 \
        '.stdout_bytes == 3000 and .processes.started == 4' \
        "${R[@]}" --max-output 3000 "$TREE" output 3 1000
    check "$tier output-limit" 119 "*" 10 \
        '.outcome == "output-limit" and .stdout_bytes == 2500 and .stdout_truncated' \
        "${R[@]}" --max-output 2500 "$TREE" output 3 1000
    check "$tier fuel-pool" 121 "" 10 \
        '.outcome == "fuel" and .fuel_used > 18000000 and .fuel_used <= 21000000' \
        "${R[@]}" --fuel 20000000 "$TREE" loop_child
    # fork: the root is in the interpreter whatever the tier
    check "$tier fork" 0 "child: counter 11, heap parent's, ppid is parent 1
parent: counter 10, heap changed, child 1 exit 5" 10 \
        '.processes.started == 2 and .tier == "interp"' \
        --tier "$tier" "$FORK" basic
    check "$tier fork-nested" 0 "child 0: 40
child 1: 41" 10 '.processes.started == 5 and .processes.max_live == 3' \
        --tier "$tier" "$FORK" nested
    check "$tier fork-bomb" 124 "" 8 \
        '.outcome == "timeout" and .processes.max_live == 8 and .processes.refused > 0' \
        --tier "$tier" --timeout 1s --max-processes 8 "$FORK" bomb
    check "$tier fork-memory" 0 "forked 4, 3 could not allocate" 20 \
        '.peak_memory > 83886080 and .peak_memory <= 104857600' \
        --tier "$tier" --max-memory 100M "$FORK" memory 20
}

# A spawn's or exec's string list is copied string by string on the host:
# 100 MiB of NULs once took 4 GB and 16 s (past a 2 s deadline too).
check "argv of 100 M strings" 0 "spawn: 1
exec: 1" 8 '.outcome == "exited" and .peak_memory < 134217728' \
    --timeout 10s --max-memory 256M "$OUT/biglist.wasm" 100

# A module file (not a /bin image) is read and decoded on the host: once
# per file while processes run it, counted against max_memory. 15 spawns
# of a 60 MiB module once took 15 decoded copies (790 MB of RSS, outside
# the budget; tests/attack/tmpimage.c), and validating 200 MiB of code
# overran a 1 s deadline by 2 s (tests/attack/mkbig.py): with a 200 ms
# deadline it took 1.7 s of CPU, now 0.2 s.
BIG=$OUT/bigmod.wasm
mkdir -p "$T/big"
RSS_KB=200000 check "module file shared (tmpfs)" 0 \
    "started 15, ENOMEM 0, other 0" 20 \
    '.processes.started == 16 and .peak_memory > 62914560 and .peak_memory < 83886080' \
    --tmpfs /t "$BIG" /t/img.wasm data 60 15
RSS_KB=200000 check "module file shared (--dir)" 0 \
    "started 15, ENOMEM 0, other 0" 20 \
    '.processes.started == 16 and .peak_memory > 62914560 and .peak_memory < 83886080' \
    --dir "$T/big:/data" "$BIG" /data/img.wasm data 60 15
RSS_KB=100000 check "module file past max_memory" 0 \
    "started 0, ENOMEM 15, other 0" 20 \
    '.processes.refused_memory == 15 and .peak_memory < 33554432' \
    --max-memory 32M --dir "$T/big:/data" "$BIG" /data/img.wasm - 0 15
rm -f "$T/big/img.wasm"
check "huge module written" 0 "started 0, ENOMEM 0, other 0" 60 \
    '.outcome == "exited"' --max-disk 300M --dir "$T/big:/data" \
    "$BIG" /data/code.wasm code 200 0
CPU_MS=800 check "huge module, deadline" 124 "" 10 '.outcome == "timeout"' \
    --timeout 200ms --dir "$T/big:/data" "$BIG" /data/code.wasm - 0 4
rm -f "$T/big/code.wasm"
# A translation past the 6 bytes per body byte charged up front is
# charged when made: a br_table of loop targets makes 64 bytes of a body
# byte; 8 MiB of it under 64M took 530 MB of RSS, outside the budget.
RSS_KB=150000 check "module file's translation charged" 0 "signal 6" 20 \
    '.peak_memory <= 67108864' \
    --max-memory 64M --dir "$T/big:/data" "$OUT/brtable.wasm" /data/bt.wasm 8
rm -f "$T/big/bt.wasm"
# A module file rewritten in place (same size) right after a spawn of it
# runs as the new module: its bytes are compared until its ctime is a
# tick old. On a file system that keeps whole seconds (ext4 with 128-byte
# inodes) the tick was 50 ms: the rewrite within the second kept the
# identity and the old module ran ("second 1").
check "module file rewritten in place" 0 "second 2, first 1" 10 \
    '.outcome == "exited"' --dir "$T/big:/data" "$OUT/stale.wasm" /data/st.wasm
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null &&
   truncate -s 8M "$T/secs.img" && mkfs.ext4 -q -I 128 -F "$T/secs.img" >/dev/null 2>&1 &&
   mkdir -p "$T/secs" && unshare -m true 2>/dev/null; then
    got=$(unshare -m --propagation private sh -c \
        'mount -o loop "$1" "$2" || exit 1; "$3" run --dir "$2:/d" "$4" /d/m.wasm
         umount "$2"' sh "$T/secs.img" "$T/secs" "$WB" "$OUT/stale.wasm" 2>&1)
    if [ "$got" = "second 2, first 1" ]; then pass
    else fail "module file rewritten within its second (whole-second times): $got"; fi
else
    skip "module file on a whole-second file system: needs root, mkfs.ext4, loop mounts"
fi

run_cases interp

# Edge cases of the attack session (tests/attack/, edges.c).
E=(--image "edges=$EDGES")
# spawns refused because the tree is ending (the root returned while four
# children spawned in a loop) are no refusals of --max-processes
check "no refusals counted while ending" 0 "" 10 \
    '.processes.refused == 0 and .processes.started == 5' \
    "${E[@]}" "$EDGES" respawn 4
# fd numbers stay below 1024 whichever call makes them
fdlimit="dup2 1->1023: 0
dup2 1->1024: 8
dup 1 min 1023: 33
dup 1 min 1024: 28
dups from 1000: 23, highest 1022, then 33"
check "fd numbers below 1024" 0 "$fdlimit
opens: 228, highest 231, then No file descriptors available
pipe ends: 8, highest 231, then 33" 10 '.outcome == "exited"' \
    "${E[@]}" "$EDGES" fdlimit
check "fd numbers below 1024, max-files 1024" 0 "$fdlimit
opens: 996, highest 999, then No file descriptors available
pipe ends: 8, highest 999, then 33" 10 '.outcome == "exited"' \
    "${E[@]}" --max-files 1024 "$EDGES" fdlimit
check "max-files past 1024" 125 "" 10 \
    '.error == "max-files: must be from 3 to 1024 (fd numbers stay below 1024)"' \
    "${E[@]}" --max-files 1025 "$EDGES" exit
# an image followed by more path is ENOTDIR (54), as on Linux; other
# spellings of /bin/NAME run it; a relative path is the call's cwd's
check "paths naming images" 0 "/bin/edges spawn 0 exit 5, stat regular
/bin/edges/ spawn 54, stat Not a directory
/bin/edges/. spawn 54, stat Not a directory
/bin/edges/.. spawn 54, stat Not a directory
/bin/edges/x spawn 54, stat Not a directory
/usr/bin/edges/ spawn 54, stat Not a directory
/bin/../bin/edges spawn 0 exit 5, stat regular
//bin/edges spawn 0 exit 5, stat regular
/bin/./edges spawn 0 exit 5, stat regular
/bin//edges spawn 0 exit 5, stat regular
/usr/bin/edges spawn 0 exit 5, stat regular
/usr/../bin/edges spawn 0 exit 5, stat regular
../bin/edges spawn 0 exit 5, stat regular
bin/edges spawn 0 exit 5, stat regular
/bin/nope spawn 44, stat No such file or directory
/bin spawn 2, stat other
/bin/ spawn 2, stat other
/usr/bin/. spawn 2, stat other
/usr: ../bin/edges spawn 0 exit 5
/bin: ./edges spawn 0 exit 5
/bin: edges spawn 0 exit 5
/usr/bin: ../../bin/edges spawn 0 exit 5
/data: ./t.wasm spawn 0 exit 5
/data: t.wasm spawn 0 exit 5
/data/: t.wasm spawn 0 exit 5
open O_WRONLY|O_DIRECTORY: Not a directory
mkdir /bin/edges: File exists
mkdir /usr/bin: File exists
rmdir /bin: Read-only file system" 10 '.processes.started == 17' \
    "${E[@]}" --dir "$T/data:/data:ro" "$EDGES" paths
# a root killed by its child: 128 + the signal, one line, the report
for sig in 9:KILL 15:TERM; do
    n=${sig%%:*}
    check "root killed by SIG${sig#*:}" $((128 + n)) "" 10 \
        ".outcome == \"exited\" and .exit_code == $((128 + n)) and .killed == {\"signal\": $n, \"name\": \"SIG${sig#*:}\", \"by_pid\": 2}" \
        "${E[@]}" "$EDGES" killed_root "$n"
    if [ "$(cat "$T/err")" != "wasmbox: $EDGES: killed by signal $n (SIG${sig#*:}) sent by process 2" ]; then
        fail "root killed by SIG${sig#*:}: stderr: $(head -c 300 "$T/err")"
    fi
done
# fork from a start function (instantiation not over) is ENOSYS: the
# module goes on to _start as one process
if command -v wat2wasm >/dev/null &&
   wat2wasm "$ROOT/tests/proc/startfork.wat" -o "$OUT/startfork.wasm" 2>"$OUT/startfork.log"; then
    check "fork from the start function" 0 "start: fork refused (ENOSYS)
_start" 10 '.outcome == "exited" and .processes == null' "$OUT/startfork.wasm"
else
    skip "fork from the start function: no wat2wasm"
fi

# A forked child is charged for the whole frames it resumes (fork.c,
# frames_top), the operand area of the function that called fork, above
# the call, included: $big's frame is 200,000 slots (1.6 MB), which the
# parent pays for on entry and a child when it is made. Under 3M the
# child does not fit (fork fails: exit 1), under 8M it does (exit 0).
# (Attack round 7: children used to be charged up to the call's
# arguments only, 15 of them filling 8 MB frames under --max-memory 9M.)
if command -v wat2wasm >/dev/null && python3 - "$OUT/forkframe.wat" <<'PY' &&
import sys
n = 200000
with open(sys.argv[1], "w") as f:
    f.write("""(module
  (import "wasmbox_proc" "fork" (func $fork (result i32)))
  (import "wasmbox_proc" "wait" (func $wait (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func $big (local $pid i32)
    (local.set $pid (call $fork))
    (if (i32.lt_s (local.get $pid) (i32.const 0)) (then (call $exit (i32.const 1))))
    (if (i32.eqz (local.get $pid)) (then
""" + "      i64.const 1\n" * n + "      drop\n" * n + """      (call $exit (i32.const 0))))
    (drop (call $wait (i32.const -1) (i32.const 0) (i32.const 16)))
    (call $exit (i32.const 0)))
  (func (export "_start") (call $big)))
""")
PY
   wat2wasm "$OUT/forkframe.wat" -o "$OUT/forkframe.wasm" 2>"$OUT/forkframe.log"; then
    check "fork: the child pays for the frame it resumes" 1 "" 20 \
        '.outcome == "exited" and .peak_memory <= 3145728' \
        --tier interp --max-memory 3M "$OUT/forkframe.wasm"
    check "fork: ... and runs when it fits" 0 "" 20 \
        '.outcome == "exited" and .processes.started == 2' \
        --tier interp --max-memory 8M "$OUT/forkframe.wasm"
else
    skip "fork: the child pays for the frame it resumes (no wat2wasm)"
fi

# The C API: no thread of a killed tree outlives its run (needs the
# static library, linked as include/wasmbox.h says).
LIB=$(dirname "$WB")/libwasmbox.a
SANFLAGS=()
nm "$LIB" 2>/dev/null | grep -q __asan_ && SANFLAGS=(-fsanitize=address,undefined)
if [ ! -f "$LIB" ]; then
    skip "c-api: no $LIB"
elif ! cc -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -o "$OUT/tree_api" \
        "$ROOT/tests/proc/host/tree_api.c" "$LIB" -lm -lpthread -lyaml \
        -ljansson -lseccomp -lxxhash -ldl "${SANFLAGS[@]}" 2>"$OUT/tree_api.log"; then
    fail "c-api: does not build: $(head -3 "$OUT/tree_api.log" | tr '\n' ' ')"
elif out=$(timeout 60 "$OUT/tree_api" "$TREE" 2>&1) && [ "$out" = ok ]; then
    pass
else
    fail "c-api: $out"
fi
# Machine code for the images too (compiled into a private cache, so
# that the run's own tier is the cached one).
export XDG_CACHE_HOME=$T/cache
if "$WB" compile "$TREE" >/dev/null 2>"$T/compile.err"; then
    run_cases cached
else
    skip "cached tier: no native compiler here ($(head -c 200 "$T/compile.err"))"
fi
# The shell image (make guests: build/guests/shell/), when built: dash
# forks (in the interpreter) and runs busybox's applets as /bin/NAME.
SH=${WASMBOX_GUESTS:-$ROOT/build/guests}/shell
if [ -f "$SH/dash.wasm" ] && [ -f "$SH/busybox.wasm" ]; then
    S=(--tier interp --image "sh=$SH/dash.wasm")
    for a in cat echo seq sort head wc yes sleep ls; do
        S+=(--image "$a=$SH/busybox.wasm")
    done
    check "shell pipeline" 3 "hello
100
99
98
sub" 20 '.processes.max_live >= 3' "${S[@]}" "$SH/dash.wasm" -c \
        'echo hello | cat; seq 1 100 | sort -rn | head -3; echo $(echo sub); exit 3'
    # a relative command is found from the shell's cwd; /bin/echo/ is not
    # echo (ENOTDIR: dash says "not found", 127, as natively)
    check "shell relative paths" 0 "hi
ho
st=127
st=3" 20 '.outcome == "exited"' "${S[@]}" --dir "$T/data:/data:ro" \
        "$SH/dash.wasm" -c 'cd /bin && ./echo hi; cd /usr && ../bin/echo ho
            /bin/echo/ x 2>/dev/null; echo st=$?
            cd /data && ./t.wasm exit 3; echo st=$?'
    check "shell endless pipeline" 124 "" 10 \
        '.outcome == "timeout" and .processes.started >= 3' \
        "${S[@]}" --timeout 1s "$SH/dash.wasm" -c 'yes | cat | wc -c'
    check "shell sleeping tree" 124 "" 10 \
        '.outcome == "timeout" and .processes.max_live == 11' \
        "${S[@]}" --timeout 1s "$SH/dash.wasm" -c \
        'sleep 100 | sleep 100 | sleep 100 | sleep 100 | sleep 100 | \
         sleep 100 | sleep 100 | sleep 100 | sleep 100 | sleep 100'
else
    skip "shell: no $SH/dash.wasm (make guests)"
fi
summary
