#!/usr/bin/env bash
# tests/escape/run.sh [WASMBOX]: the escape suite. Each case runs a wasm
# program (tests/escape/*.c, built into build/wasi/escape/) that tries to
# get out of its grants or over its budget, and asserts the report's
# outcome plus that nothing outside the grants changed. One line per
# failing case, then "N passed, N failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
OUT=$ROOT/build/wasi/escape
CC=(clang-14 --target=wasm32-wasi --sysroot=/usr -O1)
mkdir -p "$OUT"
. "$ROOT/tests/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/wbescape.XXXXXX")
trap 'rm -rf "$T"' EXIT

# A source may add link options on a line "// LDFLAGS: ..." (e.g. a
# one-page memory).
for src in "$ROOT"/tests/escape/*.c; do
    name=$(basename "$src" .c)
    if [ ! -f "$OUT/$name.wasm" ] || [ "$src" -nt "$OUT/$name.wasm" ] ||
       [ "$ROOT/tests/escape/preopen.h" -nt "$OUT/$name.wasm" ]; then
        read -r -a ldflags <<<"$(sed -n 's|^// LDFLAGS: ||p' "$src")"
        "${CC[@]}" "${ldflags[@]}" -o "$OUT/$name.wasm" "$src" 2>"$OUT/$name.log" ||
            fail "$name: does not compile: $(head -2 "$OUT/$name.log" | tr '\n' ' ')"
    fi
done

# ESCAPE_PRECOMPILE=1 (tests/native/run.sh, with a wasmbox that runs the
# native tier): each module is compiled into the code cache first, so the
# cases' wall-clock bounds time the runs, not LLVM.
if [ "${ESCAPE_PRECOMPILE:-0}" = 1 ]; then
    for m in "$OUT"/*.wasm; do
        "$WB" compile "$m" >/dev/null 2>"$T/compile.err" ||
            fail "$(basename "$m"): native compile failed: $(head -c 300 "$T/compile.err")"
    done
fi

# A fresh world per case (tests/escape/world.sh).
. "$ROOT/tests/escape/world.sh"
fresh() {
    rm -rf "$T/w"
    mkdir -p "$T/w/data" "$T/w/outside" "$T/w/ro"
    escape_world "$T/w"
}
fingerprint() { escape_fingerprint "$T/w"; }

field() { jq -r ".$2" "$1" 2>/dev/null; }

# run_case NAME WANT_OUTCOME WANT_EXIT_CODE|- -- wasmbox-run-args...
# Runs with --report; checks outcome, exit code and the fingerprint.
# $SETUP, when set, is run after the world is made.
run_case() {
    local name=$1 want=$2 code=$3 before after got rc
    shift 4
    fresh
    eval "${SETUP:-}"
    rm -f "$T/report.json"
    before=$(fingerprint)
    START=$(date +%s%N)
    timeout 20 "$WB" run --report "$T/report.json" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
    RUN_RC=$rc
    after=$(fingerprint)
    got=$(field "$T/report.json" outcome)
    if [ "$got" != "$want" ]; then
        fail "$name: outcome '$got' (exit $rc), want '$want': $(head -c 300 "$T/stderr" | tr '\n' ' ') $(head -c 300 "$T/stdout" | tr '\n' ' ')"
        return 1
    fi
    if [ "$code" != "-" ] && [ "$(field "$T/report.json" exit_code)" != "$code" ]; then
        fail "$name: exit_code $(field "$T/report.json" exit_code), want $code: $(head -c 400 "$T/stdout" | tr '\n' ' ')"
        return 1
    fi
    if [ "$before" != "$after" ]; then
        fail "$name: something outside the grants changed"
        return 1
    fi
    return 0
}

E=$OUT
W=$T/w
for mode in openat2 walk; do
    extra=()
    [ $mode = walk ] && extra=(--x-resolve-walk)
    run_case "read-etc-passwd/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        "$E/readfile.wasm" /etc/passwd /data/../outside/secret ../outside/secret \
        /data/sub/../../outside/secret /proc/self/root/etc/passwd && pass
    run_case "dotdot/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        "$E/readfile.wasm" /data/.. /data/../.. /data/../../../../etc/passwd \
        /data/sub/../../outside -w /data/../outside/new /data/../outside/secret && pass
    run_case "host-symlinks/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        "$E/readfile.wasm" /data/host_abs /data/host_rel /data/host_dir/secret \
        /data/sub/host_deep -w /data/host_rel /data/host_dir/new /data/host_abs && pass
    run_case "guest-symlinks/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        "$E/guestlink.wasm" && pass
    # a child process (docs/processes.md) reaches nothing its parent
    # could not; no path outside the grants names an image
    run_case "proc-child/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        --image "readfile=$E/readfile.wasm" "$E/procesc.wasm" /etc/passwd \
        /data/../outside/secret ../outside/secret /data/host_abs \
        /data/host_dir/secret /proc/self/root/etc/passwd \
        -w /data/../outside/new /data/host_rel && pass
    # names longer than NAME_MAX, also in a link's target: refused
    # (ENAMETOOLONG); the walk once copied them into a NAME_MAX buffer on
    # the host's stack (found by make fuzz-hostcall)
    long=$(printf 'n%.0s' $(seq 4000))
    SETUP='ln -s "'"$long"'/x" "$W/data/longlink"' \
    run_case "long-names/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        "$E/readfile.wasm" "/data/$long" "/data/sub/${long:0:300}/x" \
        /data/longlink -w "/data/$long" "/data/${long:0:256}" && pass
    # on the host, every link the guest left must resolve inside data/
    out=$(links_outside "$W/data")
    [ -z "$out" ] && pass || fail "guest-symlinks-host/$mode: links outside: $out"
    # the host's links to the outside stay in their grant
    SETUP='mkdir -p "$W/other"' \
    run_case "link-grants/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        --dir "$W/other:/other" "$E/linkgrants.wasm" && pass
    out=$(links_outside "$W/other")
    [ -z "$out" ] && pass || fail "link-grants-host/$mode: links outside: $out"
    # the virtual root (issue 22): nothing beyond the grants, no changes
    run_case "vroot/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        --dir "$W/ro:/ro:ro" --tmpfs /tmp "$E/vrootesc.wasm" && pass
    # nested grants: none redirected, shadowed or left through another
    run_case "vroot-nested/$mode" exited 0 -- "${extra[@]}" --dir "$W/data:/data" \
        --tmpfs /data/sub --dir "$W/ro:/data/sub/ro:ro" "$E/vrootnest.wasm" && pass
    run_case "proc-magic-links/$mode" exited 0 -- "${extra[@]}" --dir /proc:/proc:ro \
        "$E/readfile.wasm" /proc/self/root/etc/passwd /proc/self/cwd/etc/passwd \
        /proc/1/root/etc/passwd /proc/self/fd/1 /proc/self/exe -w /proc/self/fd/2 && pass
    run_case "read-only-grant/$mode" exited 0 -- "${extra[@]}" --dir "$W/ro:/ro:ro" \
        --dir "$W/data:/rw" "$E/writero.wasm" && pass
    # rename races: the host moves a/b up and back while the guest resolves
    fresh
    mkdir -p "$W/data/a/b/c"
    touch "$T/moving"
    ( while [ -e "$T/moving" ]; do mv "$W/data/a/b" "$W/data/b" 2>/dev/null
          mv "$W/data/b" "$W/data/a/b" 2>/dev/null; done ) &
    mover=$!
    timeout 20 "$WB" run "${extra[@]}" --dir "$W/data:/data" "$E/race.wasm" \
        >"$T/stdout" 2>&1
    rc=$?
    rm -f "$T/moving"
    wait "$mover" 2>/dev/null
    [ "$rc" = 0 ] && pass || fail "rename-race/$mode: status $rc: $(head -c 200 "$T/stdout")"
done

# Budget cases.
if run_case max-disk disk-limit - -- --max-disk 1M --dir "$W/data:/data" \
        "$E/disk.wasm" /data/big; then
    size=$(stat -c %s "$W/data/big" 2>/dev/null || echo 0)
    [ "$size" -le 1048576 ] && pass || fail "max-disk: host file has $size bytes"
fi
if run_case max-disk-entries disk-limit - -- --max-disk 1M --dir "$W/data:/data" \
        "$E/mkdirs.wasm"; then
    n=$(find "$W/data" -mindepth 1 -maxdepth 1 -name '[df]*' | wc -l)
    [ "$n" -le 257 ] && pass || fail "max-disk-entries: $n entries made"
fi
run_case max-disk-tmpfs disk-limit - -- --max-disk 1M --tmpfs /data \
    "$E/disk.wasm" /data/big && pass
run_case tmpfs-full exited 3 -- --tmpfs /data:512K "$E/disk.wasm" /data/big && pass
# A refused memory.grow makes malloc return NULL (the guest exits 3), or
# traps with outcome "memory"; either way the peak stays under the limit.
rm -f "$T/report.json"
timeout 20 "$WB" run --max-memory 32M --report "$T/report.json" "$E/memory.wasm" \
    >"$T/stdout" 2>&1
got=$(field "$T/report.json" outcome)
peak=$(field "$T/report.json" peak_memory)
if [ "$got" != memory ] && ! { [ "$got" = exited ] &&
        [ "$(field "$T/report.json" exit_code)" = 3 ]; }; then
    fail "max-memory: outcome $got: $(head -c 200 "$T/stdout")"
elif [ "${peak:-0}" -gt $((32 << 20)) ] || [ "${peak:-0}" -lt $((16 << 20)) ]; then
    fail "max-memory: peak_memory $peak"
else pass; fi
run_case fuel fuel - -- --fuel 1000000 "$E/spin.wasm" && pass
if run_case timeout-loop timeout - -- --timeout 1s "$E/spin.wasm"; then
    [ "$ELAPSED_MS" -lt 1500 ] && pass || fail "timeout-loop: took ${ELAPSED_MS} ms"
fi
if run_case timeout-sleep timeout - -- --timeout 1s "$E/sleep.wasm"; then
    [ "$ELAPSED_MS" -lt 1500 ] && pass || fail "timeout-sleep: took ${ELAPSED_MS} ms"
fi
rm -f "$T/report.json"
# stdin is a pipe that stays open and silent for 5 s
timeout 20 "$WB" run --timeout 1s --stdin - --report "$T/report.json" \
    "$E/readstdin.wasm" >/dev/null 2>&1 < <(sleep 5)
ms=$(field "$T/report.json" wall_time_ms)
if [ "$(field "$T/report.json" outcome)" != timeout ]; then
    fail "timeout-stdin: outcome $(field "$T/report.json" outcome)"
elif [ "${ms:-9999}" -ge 1500 ]; then
    fail "timeout-stdin: took ${ms} ms"
else pass; fi

rm -f "$T/report.json"
# stdout is a pipe nobody reads: the guest blocks on a full pipe, and the
# timeout must still end the run on time
timeout 20 "$WB" run --timeout 1s --report "$T/report.json" "$E/flood.wasm" \
    > >(sleep 5) 2>/dev/null
ms=$(field "$T/report.json" wall_time_ms)
if [ "$(field "$T/report.json" outcome)" != timeout ]; then
    fail "timeout-blocked-stdout: outcome $(field "$T/report.json" outcome)"
elif [ "${ms:-9999}" -ge 1500 ]; then
    fail "timeout-blocked-stdout: took ${ms} ms"
else pass; fi

# 1 GiB of output against 1 MiB: cut, flagged, and the host stays small.
rm -f "$T/report.json"
/usr/bin/time -f %M -o "$T/rss" "$WB" run --max-output 1M --report "$T/report.json" \
    "$E/flood.wasm" >"$T/stdout" 2>/dev/null
if [ "$(field "$T/report.json" outcome)" != output-limit ]; then
    fail "max-output: outcome $(field "$T/report.json" outcome)"
elif [ "$(field "$T/report.json" stdout_truncated)" != true ] ||
     [ "$(stat -c %s "$T/stdout")" != 1048576 ] ||
     [ "$(field "$T/report.json" stdout_bytes)" != 1048576 ]; then
    fail "max-output: not cut at 1 MiB: $(stat -c %s "$T/stdout") bytes"
elif [ "$(tail -1 "$T/rss")" -gt 65536 ]; then
    fail "max-output: host RSS $(tail -1 "$T/rss") KiB"
else pass; fi

# poll_oneoff with its subscriptions and events laid over each other in a
# one-page memory: one event per subscription, nothing past the memory
run_case poll-overlap exited 0 -- "$E/pollover.wasm" && pass

# FIFOs in a grant: a blocked write or read ends at --timeout (report
# written); no writer, no reader, pread/pwrite and O_NONBLOCK answer at once
for op in write read; do
    if SETUP='mkfifo "$W/data/fifo"' run_case "fifo-$op-timeout" timeout - -- \
            --timeout 2s --dir "$W/data:/data" "$E/fifo.wasm" $op /data/fifo; then
        [ "$ELAPSED_MS" -lt 4000 ] && pass || fail "fifo-$op-timeout: took ${ELAPSED_MS} ms"
    fi
done
for op in nowriter noreader nonblock; do
    if SETUP='mkfifo "$W/data/fifo"' run_case "fifo-$op" exited 0 -- \
            --timeout 2s --dir "$W/data:/data" "$E/fifo.wasm" $op /data/fifo; then
        [ "$ELAPSED_MS" -lt 1500 ] && pass || fail "fifo-$op: took ${ELAPSED_MS} ms"
    fi
done
# Files and directories removed or moved while open (issue 11): the
# tmpfs gives the kernel's answers (the same program on a host grant) and
# never touches a node it freed; sanitizer reports fail the case.
for c in into-removed-dir removed-parent renamed-over removed-file left-open \
         hard-links; do
    for g in "tmpfs --tmpfs /data" "host --dir $W/data:/data"; do
        read -r kind opt dir <<<"$g"
        run_case "unlinked-$c/$kind" exited 0 -- "$opt" "$dir" \
            "$E/unlinked.wasm" "$c" || continue
        [ "$RUN_RC" = 0 ] && pass || fail "unlinked-$c/$kind: status $RUN_RC: $(head -c 300 "$T/stderr")"
    done
done
# Links on a tmpfs (issue 22): the rule of host grants, EXDEV between two.
run_case tmpfs-links exited 0 -- --tmpfs /data --tmpfs /other \
    "$E/tmplink.wasm" && pass
# ... and nothing of a tmpfs's size leaks through its links
run_case tmpfs-link-space exited 0 -- --tmpfs /data:64K "$E/tmplink.wasm" \
    space && pass
run_case guest-symlinks/tmpfs exited 0 -- --tmpfs /data "$E/guestlink.wasm" && pass
# 300,000 nested directories left in place: freeing the tree at exit
# used to recurse once per level and overflow the host's stack.
if run_case tmpfs-deep-tree exited 0 -- --max-disk 2G --tmpfs /data:128M \
        "$E/deepdirs.wasm" 300000; then
    [ "$RUN_RC" = 0 ] && pass || fail "tmpfs-deep-tree: status $RUN_RC: $(head -c 300 "$T/stderr")"
fi

# Holes count against --max-disk at their apparent size: one byte at
# 1 TiB is a 1 TiB file (host sparse files, issue 11).
for how in pwrite seek; do
    if run_case "hole-host/$how" disk-limit - -- --max-disk 1M --dir "$W/data:/data" \
            "$E/hole.wasm" /data/big $((1 << 40)) "$how"; then
        size=$(stat -c %s "$W/data/big" 2>/dev/null || echo 0)
        [ "$size" -le 1048576 ] && pass || fail "hole-host/$how: host file has $size bytes"
    fi
done
# ... and a tmpfs keeps no host memory for a hole (it read as zeros).
hole_rss() {   # name want_outcome wasmbox-run-args...
    local name=$1 want=$2 got rss
    shift 2
    rm -f "$T/report.json"
    /usr/bin/time -f %M -o "$T/rss" "$WB" run --report "$T/report.json" "$@" \
        >"$T/stdout" 2>"$T/stderr"
    got=$(field "$T/report.json" outcome)
    rss=$(tail -1 "$T/rss")
    if [ "$got" != "$want" ]; then
        fail "$name: outcome '$got', want '$want': $(head -c 200 "$T/stdout") $(head -c 200 "$T/stderr")"
    elif [ "$want" = exited ] && [ "$(field "$T/report.json" exit_code)" != 0 ]; then
        fail "$name: exit code $(field "$T/report.json" exit_code): $(head -c 200 "$T/stdout")"
    elif [ "$rss" -gt $((96 * 1024)) ]; then
        fail "$name: host RSS $rss KiB"
    else pass; fi
}
hole_rss hole-tmpfs-budget disk-limit --max-memory 16M --max-disk 1M \
    --tmpfs /data:1G "$E/hole.wasm" /data/big 500000000
hole_rss hole-tmpfs-sparse exited --max-memory 16M --max-disk 2G \
    --tmpfs /data:1G "$E/hole.wasm" /data/big 500000000 seek

# A long host call ends at the deadline too (random_get of 240 MiB a call).
if run_case random-get-timeout timeout - -- --timeout 100ms "$E/randomget.wasm" 240; then
    [ "$ELAPSED_MS" -lt 1000 ] && pass || fail "random-get-timeout: took ${ELAPSED_MS} ms"
fi

run_case max-files exited 0 -- --max-files 64 --tmpfs /data "$E/manyfiles.wasm" && pass
if run_case max-stack trap - -- --max-stack 1000 "$E/recurse.wasm"; then
    grep -q "call stack exhausted" <<<"$(field "$T/report.json" trap)" && pass ||
        fail "max-stack: trap message: $(field "$T/report.json" trap)"
fi

# The interpreter's value stack counts against --max-memory (store.c,
# wb_rt_stack_grow): 8000 frames of 64 live values each (about 4 MB of
# wasm locals, none of it linear memory) trap under 4M with the peak
# under the limit, and run under 64M with the peak showing them.
if run_case value-stack trap - -- --tier interp --max-memory 4M \
        "$E/deepvals.wasm" 8000; then
    peak=$(field "$T/report.json" peak_memory)
    if [ "${peak:-0}" -gt $((4 << 20)) ]; then
        fail "value-stack: peak_memory $peak over 4M"
    elif ! grep -q "call stack exhausted" <<<"$(field "$T/report.json" trap)"; then
        fail "value-stack: trap $(field "$T/report.json" trap)"
    else pass; fi
fi
if run_case value-stack-counted exited 0 -- --tier interp --max-memory 64M \
        "$E/deepvals.wasm" 8000; then
    peak=$(field "$T/report.json" peak_memory)
    [ "${peak:-0}" -ge $((4 << 20)) ] && pass ||
        fail "value-stack-counted: peak_memory $peak, want the stack's 4 MB"
fi

# CLI errors: one line on stderr and the documented status.
cli_case() {   # name want_status args...
    local name=$1 want=$2 rc lines
    shift 2
    "$WB" run "$@" >/dev/null 2>"$T/stderr"
    rc=$?
    lines=$(wc -l <"$T/stderr")
    if [ "$rc" != "$want" ]; then
        fail "$name: exit status $rc, want $want: $(head -c 200 "$T/stderr")"
    elif [ "$lines" != 1 ]; then
        fail "$name: $lines lines on stderr"
    else pass; fi
}
printf 'not a wasm module' > "$T/bad.wasm"
printf '(module (import "env" "nope" (func)) (func (export "_start")))' > "$T/imp.wat"
wat2wasm "$T/imp.wat" -o "$T/imp.wasm" 2>/dev/null
cli_case cli-missing-module 127 "$T/does-not-exist.wasm"
cli_case cli-malformed 126 "$T/bad.wasm"
cli_case cli-bad-flag 125 --no-such-flag "$E/spin.wasm"
cli_case cli-bad-size 125 --max-memory lots "$E/spin.wasm"
cli_case cli-missing-dir 125 --dir "$T/nope:/x" "$E/spin.wasm"
cli_case cli-unknown-import 126 "$T/imp.wasm"

summary
