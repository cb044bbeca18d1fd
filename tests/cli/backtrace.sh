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
[ "$status" = 134 ] && ok "trap exit status 134" || not_ok "trap exit status $status, want 134"
case $report in
*'"outcome":"trap"'*) ok "report outcome trap" ;;
*) not_ok "report outcome: $report" ;;
esac
case $report in
*'"trap":"integer divide by zero"'*) ok "report carries the spec trap message" ;;
*) not_ok "trap message: $report" ;;
esac
case $report in
*'"#0 inner'*'"#1 outer'*) ok "backtrace names inner then outer" ;;
*) not_ok "backtrace: $report" ;;
esac
case $err in
*"integer divide by zero"*inner*outer*) ok "stderr shows the trap and the names" ;;
*) not_ok "stderr: $err" ;;
esac

echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
