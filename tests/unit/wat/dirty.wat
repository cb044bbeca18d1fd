;; dirty.wat: a memory that the test writes, reads and grows through
;; calls (tests/unit/test_dirty.c, test_ckpt.c).
(module
  (memory (export "mem") 2 16)
  (func (export "poke") (param $at i32) (param $v i32)
    (i32.store8 (local.get $at) (local.get $v)))
  (func (export "peek") (param $at i32) (result i32)
    (i32.load8_u (local.get $at)))
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n))))
