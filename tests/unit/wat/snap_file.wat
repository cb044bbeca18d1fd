;; snap_file.wat (test_snapshot.c): a guest that opens "a.txt" in its
;; first preopen (fd 3) and reads it a byte at a time; the fd it got is
;; kept in memory at 0, so a restored instance reads on where it stopped.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "a.txt")
  ;; rights: fd_read (2) | fd_seek (4) | fd_tell (32)
  (func (export "open") (result i32)
    (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 5)
                (i32.const 0) (i64.const 38) (i64.const 0) (i32.const 0)
                (i32.const 0)))
  ;; iovec at 32: one byte at 48; -1 at end of file or on an error
  (func (export "read1") (result i32)
    (i32.store (i32.const 32) (i32.const 48))
    (i32.store (i32.const 36) (i32.const 1))
    (if (i32.ne (call $read (i32.load (i32.const 0)) (i32.const 32)
                            (i32.const 1) (i32.const 40)) (i32.const 0))
      (then (return (i32.const -1))))
    (if (i32.eqz (i32.load (i32.const 40))) (then (return (i32.const -1))))
    (i32.load8_u (i32.const 48))))
