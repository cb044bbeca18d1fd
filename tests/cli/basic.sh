#!/bin/bash
# basic.sh: the wasmbox command line: help, version, usage errors, exit
# statuses of invoke/inspect, argument parsing and spectest reporting.
. "$(dirname "$0")/common.bash"
gen

wb --help
expect "--help" 0
case $out in *"exit status"*"resource limit"*) pass "--help lists exit statuses" ;;
             *) fail "--help lists exit statuses" ;; esac
wb --version
expect "--version" 0
[[ $out =~ ^wasmbox\ [0-9]+\.[0-9]+ ]] && pass "version format" || fail "version format: $out"
wb
expect "no command" 2
wb frobnicate
expect "unknown command" 2
wb invoke
expect "invoke without module" 2
wb inspect
expect "inspect without module" 2
wb spectest
expect "spectest without files" 2
wb invoke --fuel x "$MODS/fib.wasm" fib 1
expect "invoke with a bad --fuel" 2

# Bad flags of every subcommand: one line, the documented status (2, or
# 125 for run); options are spelled out in full (no abbreviations).
for args in "run --pol x.wasm" "run --fuel" "run --fuel=abc x.wasm" \
            "run --max-memory 1Q x.wasm" "run -x x.wasm" "run --timeout=-1 x.wasm"; do
    wb $args
    expect "$args" 125
done
for args in "invoke --fuel" "invoke --fue 1 m f" "spectest --timeout x f.json" \
            "spectest --bogus" "serve --bogus" "serve --listen" \
            "serve --workers 0 --listen 127.0.0.1:0" "serve --listen 127.0.0.1:70000" \
            "serve --listen [::1 --insecure-no-auth" "serve --listen ::1:80" \
            "serve --lis 127.0.0.1:0" "serve --max-body 1X --listen 127.0.0.1:0" \
            "mcp --bogus" "mcp --http" "mcp --http 10.0.0.1:1" \
            "mcp --http 127.0.0.1:99999" "mcp --http=localhost:x" "mcp --pol x" \
            "mcp --max-sessions 0 --http 127.0.0.1:0" "mcp --idle-timeout 5" \
            "session --bogus list" "session" "session frob" "session --state-dir"; do
    wb $args
    expect "$args" 2
done
wb run --help
expect "run --help" 0
wb serve --list-routes
expect "serve --list-routes" 0

# Exit statuses, each with one error line.
wb invoke "$MODS/does-not-exist.wasm" f
expect "missing file" 3
case $err in "wasmbox: $MODS/does-not-exist.wasm: "*) pass "error names the file" ;;
             *) fail "error names the file: $err" ;; esac
wb inspect "$MODS/not_wasm.wasm"
expect "non-wasm file" 4
wb invoke "$MODS/invalid.wasm" f
expect "invalid module" 5
wb invoke "$MODS/import.wasm" f
expect "unresolved import" 6
wb invoke "$MODS/trap.wasm" boom
expect "unreachable" 7
wb invoke "$MODS/trap.wasm" div 7 0
expect "divide by zero" 7
wb invoke --fuel 10000 "$MODS/loop.wasm" f
expect "infinite loop under --fuel" 8
wb invoke "$MODS/fib.wasm" nosuch
expect "unknown export" 1
wb invoke "$MODS/fib.wasm" fib
expect "missing argument" 2
wb invoke "$MODS/fib.wasm" fib abc
expect "unparsable argument" 2

# Results.
wb invoke "$MODS/fib.wasm" fib 20
expect "fib 20" 0
expect_out "fib 20 = 6765" 6765
wb invoke "$MODS/trap.wasm" div -7 2
expect_out "i32 div -7 2" -3
wb invoke "$MODS/types.wasm" id_i32 0xffffffff
expect_out "i32 0xffffffff prints signed" -1
wb invoke "$MODS/types.wasm" id_i32 4294967296
expect "i32 out of range" 2
wb invoke "$MODS/types.wasm" id_i64 -9223372036854775808
expect_out "i64 minimum" -9223372036854775808
wb invoke "$MODS/types.wasm" id_i64 18446744073709551615
expect_out "i64 unsigned input" -1
wb invoke "$MODS/types.wasm" id_f32 1.5
expect_out "f32 1.5" 1.5
wb invoke "$MODS/types.wasm" id_f32 0.1
expect_out "f32 0.1 shortest" 0.1
wb invoke "$MODS/types.wasm" id_f64 -0.1
expect_out "f64 -0.1 shortest" -0.1
wb invoke "$MODS/types.wasm" id_f64 -0
expect_out "f64 negative zero" -0
wb invoke "$MODS/types.wasm" id_f64 inf
expect_out "f64 inf" inf

# inspect lists imports and exports.
wb inspect "$MODS/import.wasm"
expect "inspect" 0
case $out in *'func   "env" "missing"'*'func   "f"'*) pass "inspect output" ;;
             *) fail "inspect output: $out" ;; esac

# spectest: a passing script, a failing one, and a missing one.
cp "$MODS/trap.wasm" "$TMP/m.wasm"
cat >"$TMP/pass.json" <<'JSON'
{"source_filename": "pass.wast", "commands": [
 {"type": "module", "line": 1, "filename": "m.wasm"},
 {"type": "assert_return", "line": 2, "action": {"type": "invoke",
  "field": "div", "args": [{"type": "i32", "value": "4294967289"},
  {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "4294967293"}]},
 {"type": "assert_trap", "line": 3, "action": {"type": "invoke",
  "field": "div", "args": [{"type": "i32", "value": "1"},
  {"type": "i32", "value": "0"}]}, "text": "integer divide by zero", "expected": [{"type": "i32"}]},
 {"type": "assert_trap", "line": 4, "action": {"type": "invoke",
  "field": "boom", "args": []}, "text": "unreachable", "expected": []},
 {"type": "assert_malformed", "line": 5, "filename": "x.wat", "text": "x", "module_type": "text"}]}
JSON
sed -e 's/4294967293/5/' -e 's/pass.wast/fail.wast/' "$TMP/pass.json" >"$TMP/fail.json"
wb spectest "$TMP/pass.json"
expect "spectest passing script" 0
[ "$(echo "$out" | tail -n 1)" = "4 passed, 0 failed, 1 skipped" ] &&
    pass "spectest summary line" || fail "spectest summary line: $out"
wb spectest -q "$TMP/fail.json"
expect "spectest failing script" 1
case $out in "$TMP/fail.wast:2: assert_return invoke \"div\"("*"expected (i32:5), got (i32:4294967293)"*)
    pass "spectest failure line" ;;
    *) fail "spectest failure line: $out" ;; esac
wb spectest -q "$TMP/missing.json" "$TMP/pass.json"
expect "spectest missing file" 1
[ "$(echo "$out" | tail -n 1)" = "4 passed, 1 failed, 1 skipped" ] &&
    pass "spectest counts a missing file as one failure" ||
    fail "spectest missing file counts: $out"


# Start-up: the command needs no shared library but libc (besides the
# dynamic loader, mapped anyway, and a sanitizer build's runtimes): each
# other one costs every run an open, mappings, relocations and page
# faults (issue 16; libm was mapped for the interpreter's sqrt alone).
needed=$(readelf -d "$WASMBOX" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' |
         grep -v '^ld-linux\|^lib\(a\|ub\|t\)san\.' | sort | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && pass "the command needs libc alone" ||
    fail "the command needs more than libc: $needed"
# ... and has its symbols bound at start-up (-z now), not one by one
# through the lazy-binding trampoline.
readelf -d "$WASMBOX" | grep -q '(FLAGS_1).*NOW' &&
    pass "the command binds its symbols at start-up" ||
    fail "the command binds its symbols lazily (link it with -z now)"
# ... and runs no CPU probe of its own (libgcc's, ~20 CPUID instructions,
# each a trap in a virtual machine): glibc's is read instead.
nm "$WASMBOX" 2>/dev/null | grep -q __cpu_indicator_init &&
    fail "the command links libgcc's CPU probe (__builtin_cpu_supports)" ||
    pass "the command runs no CPU probe of its own"

summary
