;; fdops.wat (test_wasishare.c): the host functions a process of a tree
;; calls, re-exported one for one, so that the test drives each call of
;; each process (context) from C with the memory exported.
(module
  (import "wasmbox_proc" "pipe" (func $pipe (param i32) (result i32)))
  (import "wasmbox_proc" "dup" (func $dup (param i32 i32 i32) (result i32)))
  (import "wasmbox_proc" "dup2" (func $dup2 (param i32 i32) (result i32)))
  (import "wasmbox_proc" "cloexec"
    (func $cloexec (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get"
    (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32)
                     (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "pipe") (param i32) (result i32)
    (call $pipe (local.get 0)))
  (func (export "dup") (param i32 i32 i32) (result i32)
    (call $dup (local.get 0) (local.get 1) (local.get 2)))
  (func (export "dup2") (param i32 i32) (result i32)
    (call $dup2 (local.get 0) (local.get 1)))
  (func (export "cloexec") (param i32 i32) (result i32)
    (call $cloexec (local.get 0) (local.get 1)))
  (func (export "fd_read") (param i32 i32 i32 i32) (result i32)
    (call $fd_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_close") (param i32) (result i32)
    (call $fd_close (local.get 0)))
  (func (export "fd_seek") (param i32 i64 i32 i32) (result i32)
    (call $fd_seek (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_fdstat_get") (param i32 i32) (result i32)
    (call $fd_fdstat_get (local.get 0) (local.get 1)))
  (func (export "fd_readdir") (param i32 i32 i32 i64 i32) (result i32)
    (call $fd_readdir (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                      (local.get 4)))
  (func (export "path_open")
        (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $path_open (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                     (local.get 4) (local.get 5) (local.get 6) (local.get 7)
                     (local.get 8)))
  (func (export "path_filestat_get") (param i32 i32 i32 i32 i32) (result i32)
    (call $path_filestat_get (local.get 0) (local.get 1) (local.get 2)
                             (local.get 3) (local.get 4))))
