;; spinout.wat (test_watchdog.c): "x" to stdout through fd_write, then
;; loops until something stops it.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\01\00\00\00")   ;; iovec: 16, 1
  (data (i32.const 16) "x")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 32)))
    (loop (br 0))))
