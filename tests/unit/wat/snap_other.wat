;; snap_other.wat (test_snapshot.c): the same shape as snap.wat's state
;; but another module: its snapshots must be refused for snap.wat.
(module
  (import "env" "f" (func $imp (result i32)))
  (memory (export "mem") 2 100)
  (func (export "g") (result i32) (i32.const 0)))
