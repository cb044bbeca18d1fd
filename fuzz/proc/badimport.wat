;; badimport.wat: imports what no linker defines: the link fails when a
;; process of it starts (wait status exit 126).
(module
  (import "wasmbox_proc" "no_such_call" (func))
  (memory (export "memory") 1)
  (func (export "_start") (call 0)))
