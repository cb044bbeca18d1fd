;; nostart.wat: a valid module with no _start: a process of it cannot
;; start (wait status exit 126).
(module (memory (export "memory") 1))
