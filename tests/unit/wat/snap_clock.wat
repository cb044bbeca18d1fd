;; snap_clock.wat (test_snapshot.c): the guest's monotonic clock and an
;; absolute poll_oneoff deadline on it, as a restored guest sees them.
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $ct (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $po (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "now") (result i64)
    (drop (call $ct (i32.const 1) (i64.const 1) (i32.const 0)))
    (i64.load (i32.const 0)))
  ;; one subscription at 64: clock 1 (monotonic), flags 1 (absolute)
  (func (export "sleep_until") (param $ns i64) (result i32)
    (i64.store (i32.const 64) (i64.const 7))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (local.get $ns))
    (i64.store (i32.const 96) (i64.const 0))
    (i32.store16 (i32.const 104) (i32.const 1))
    (call $po (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192))))
