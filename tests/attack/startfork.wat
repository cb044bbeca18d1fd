;; startfork: fork called from the module's start function (run during
;; instantiation, before _start), and a fork while a data segment is
;; still to be written: the child must be a consistent copy or ENOSYS.
(module
  (import "wasmbox_proc" "fork" (func $fork (result i32)))
  (import "wasmbox_proc" "wait" (func $wait (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $pid (mut i32) (i32.const -99))
  (data (i32.const 100) "start: fork returned ?\n")
  (data (i32.const 200) "_start: pid global ?\n")
  (func $say (param $at i32) (param $len i32) (param $digit_at i32) (param $v i32)
    (i32.store8 (local.get $digit_at) (i32.add (i32.const 48) (i32.and (local.get $v) (i32.const 63))))
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $init
    (global.set $pid (call $fork))
    (call $say (i32.const 100) (i32.const 23) (i32.const 121) (global.get $pid)))
  (start $init)
  (func (export "_start")
    (call $say (i32.const 200) (i32.const 21) (i32.const 219) (global.get $pid))
    (if (i32.gt_s (global.get $pid) (i32.const 0))
      (then (drop (call $wait (global.get $pid) (i32.const 0) (i32.const 16)))))))
