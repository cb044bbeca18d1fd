;; startfork.wat: fork called from the module's start function, which runs
;; while the instance is being made (before _start). A child could only
;; resume the start function and end without running _start, so fork is
;; refused there with ENOSYS (52; fork returns -errno): the module goes
;; on to _start as one process (tests/attack/startfork.wat found it).
(module
  (import "wasmbox_proc" "fork" (func $fork (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $pid (mut i32) (i32.const -99))
  (data (i32.const 100) "start: fork refused (ENOSYS)\n")  ;; 29 bytes
  (data (i32.const 140) "start: child\n")                  ;; 13
  (data (i32.const 160) "start: parent\n")                 ;; 14
  (data (i32.const 180) "_start\n")                        ;; 7
  (func $say (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8))))
  (func $init
    (global.set $pid (call $fork))
    (if (i32.eq (global.get $pid) (i32.const -52))
      (then (call $say (i32.const 100) (i32.const 29)))
      (else (if (i32.eqz (global.get $pid))
        (then (call $say (i32.const 140) (i32.const 13)))
        (else (call $say (i32.const 160) (i32.const 14)))))))
  (start $init)
  (func (export "_start")
    (call $say (i32.const 180) (i32.const 7))))
