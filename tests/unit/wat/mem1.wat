;; mem1.wat (test_mempool.c): one page, nothing written.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
