;; api_module.wat: the small module api_bench.c instantiates and calls.
;; Its bytes are embedded in api_bench.c (regenerate with wat2wasm).
(module
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 16) "wasmbox api bench")
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.load8_u offset=16 (i32.rem_u (local.get $i) (i32.const 17)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (i32.add (local.get $acc) (global.get $calls))))
