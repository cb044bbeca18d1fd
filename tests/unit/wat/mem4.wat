;; mem4.wat (test_mempool.c): four pages, bytes written at both ends.
(module
  (memory (export "memory") 4)
  (func (export "_start")
    (i32.store8 (i32.const 0) (i32.const 0xaa))
    (i32.store8 (i32.const 65536) (i32.const 0xbb))
    (i32.store8 (i32.const 262143) (i32.const 0xcc))))
