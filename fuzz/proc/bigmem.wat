;; bigmem.wat: a memory larger than the fuzzer's whole tree may hold:
;; its instantiation stops the run on the memory budget.
(module
  (memory (export "memory") 512)
  (func (export "_start")))
