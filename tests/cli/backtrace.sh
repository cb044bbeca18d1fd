#!/bin/bash
# backtrace.sh: a trap reports the spec message and a backtrace with the
# function names of the name section, in the JSON report and on stderr.
. "$(dirname "$0")/common.bash"

cat >"$TMP/bt.wat" <<'WAT'
(module
  (func $inner (param i32) (result i32)
    (i32.div_s (i32.const 1) (local.get 0)))
  (func $outer (result i32) (call $inner (i32.const 0)))
  (func (export "_start") (drop (call $outer))))
WAT
wat2wasm --debug-names "$TMP/bt.wat" -o "$TMP/bt.wasm"

wb run --report "$TMP/report.json" "$TMP/bt.wasm"
report=$(cat "$TMP/report.json" 2>/dev/null)
[ "$status" = 134 ] && pass "trap exit status 134" || fail "trap exit status $status, want 134"
case $report in
*'"outcome":"trap"'*) pass "report outcome trap" ;;
*) fail "report outcome: $report" ;;
esac
case $report in
*'"trap":"integer divide by zero"'*) pass "report carries the spec trap message" ;;
*) fail "trap message: $report" ;;
esac
case $report in
*'"#0 inner'*'"#1 outer'*) pass "backtrace names inner then outer" ;;
*) fail "backtrace: $report" ;;
esac
case $err in
*"integer divide by zero"*inner*outer*) pass "stderr shows the trap and the names" ;;
*) fail "stderr: $err" ;;
esac

# UTF-8 names stay UTF-8 in the report (each byte >= 0x7f was written as
# \u00XX, so "é" read back as "Ã©"): the names of bt.wasm, renamed in its
# name section to "é€" and "€ok" (byte lengths kept).
python3 - "$TMP/bt.wasm" "$TMP/utf8.wasm" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"inner") == 1 and b.count(b"outer") == 1
b = b.replace(b"inner", "é€".encode()).replace(b"outer", "€ok".encode())
open(sys.argv[2], "wb").write(b)
PY
wb run --report "$TMP/utf8.json" "$TMP/utf8.wasm"
if python3 -c '
import json, sys
bt = json.load(open(sys.argv[1]))["backtrace"]
sys.exit(not (bt[0].startswith("#0 é€ ") and bt[1].startswith("#1 €ok ")))' "$TMP/utf8.json"; then
    pass "report keeps UTF-8 names"
else
    fail "report UTF-8: $(cat "$TMP/utf8.json")"
fi

# Control bytes in a name (the module's to write) are shown as \xNN: a
# name holding a newline must not forge a frame in the report or on
# stderr, nor one holding ESC drive the terminal. bt.wasm renamed again:
# "inner" -> ESC LF "#9X", "outer" -> BEL CR DEL "ok".
python3 - "$TMP/bt.wasm" "$TMP/ctl.wasm" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
b = b.replace(b"inner", b"\x1b\n#9X").replace(b"outer", b"\x07\r\x7fok")
open(sys.argv[2], "wb").write(b)
PY
wb run --report "$TMP/ctl.json" "$TMP/ctl.wasm"
if python3 -c '
import json, sys
bt = json.load(open(sys.argv[1]))["backtrace"]
sys.exit(not (len(bt) == 3 and bt[0].startswith("#0 \\x1b\\x0a#9X ") and
              bt[1].startswith("#1 \\x07\\x0d\\x7fok ")))' "$TMP/ctl.json" &&
   ! LC_ALL=C grep -q "[[:cntrl:]]" <(printf '%s' "$err" | tr -d '\n\t') &&
   ! printf '%s\n' "$err" | grep -q '^ *#9'; then
    pass "control bytes in names are shown as \\xNN (no forged frame, no escapes)"
else
    fail "names with control bytes: $(cat "$TMP/ctl.json"); stderr: $(printf '%q' "$err")"
fi

summary
