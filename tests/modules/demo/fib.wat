;; fib.wat: the `make demo` module. fib(n) computed recursively, so the
;; demo exercises calls, branches and integer arithmetic.
;; fib.wasm next to it is `wat2wasm fib.wat` (committed so that the demo
;; needs no wabt).
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
