;; fusion.wast: the translator's rewrites (deferred constants, immediate
;; operands, compare+branch, loop back-edges, folded addresses, loads folded
;; into arithmetic, constant stores, lazy locals, results written in place)
;; must keep exact wasm semantics at their edges.

(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const 65528) "\aa\bb\cc\dd\ee\ff\11\22")

  ;; i32.add x, k feeding a load wraps at 2^32 before the offset applies.
  (func (export "load-wrap") (param i32) (result i32)
    (i32.load8_u offset=1 (i32.add (local.get 0) (i32.const 3))))
  (func (export "store-wrap") (param i32 i32) (result i32)
    (i32.store8 (i32.add (local.get 0) (i32.const 5)) (local.get 1))
    (i32.load8_u (i32.add (local.get 0) (i32.const 5))))
  ;; The folded add must still trap when the wrapped address is out of range.
  (func (export "load-fold-oob") (param i32) (result i32)
    (i32.load (i32.add (local.get 0) (i32.const 65533))))

  ;; A load folded into f64/i32 arithmetic, including a trapping load.
  (func (export "f64-load-add") (param f64 i32) (result f64)
    (f64.add (local.get 0) (f64.load (local.get 1))))
  (func (export "i32-load-sub") (param i32 i32) (result i32)
    (i32.sub (local.get 0) (i32.load (local.get 1))))

  ;; Constant stores of every width, read back whole.
  (func (export "storek") (result i64)
    (i64.store (i32.const 16) (i64.const 0))
    (i32.store8 (i32.const 16) (i32.const 0x1ff))
    (i32.store16 (i32.const 17) (i32.const 0x12345))
    (i64.store32 offset=3 (i32.const 16) (i64.const 0x1_7788_99aa))
    (i64.load (i32.const 16)))
  (func (export "storek-oob")
    (i32.store (i32.const 65534) (i32.const 7)))

  ;; Immediate operands: shifts mask their count, the constant may be the
  ;; left operand (swapped compares) and negative.
  (func (export "shl-k") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 33)))
  (func (export "shr-s-k") (param i64) (result i64) (i64.shr_s (local.get 0) (i64.const -1)))
  (func (export "k-lt") (param i32) (result i32) (i32.lt_s (i32.const -5) (local.get 0)))
  (func (export "k-sub") (param i32) (result i32) (i32.sub (i32.const 10) (local.get 0)))
  (func (export "k-ge-u") (param i64) (result i32) (i64.ge_u (i64.const -1) (local.get 0)))

  ;; Compare + br_if, both directions, signed and unsigned, and eqz.
  (func (export "count-below") (param i32 i32) (result i32)
    (local i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_s (local.get 2) (local.get 0)))
        (local.set 2 (i32.add (local.get 2) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get 2) (local.get 1)))))
    (local.get 2))
  (func (export "eqz-branch") (param i64) (result i32)
    (block $z (br_if $z (i64.eqz (local.get 0))) (return (i32.const 1)))
    (i32.const 0))
  (func (export "if-cmp") (param i32) (result i32)
    (if (result i32) (i32.gt_u (local.get 0) (i32.const 9))
      (then (i32.const 1)) (else (i32.const 2))))

  ;; A lazily read local overwritten before its value is used.
  (func (export "lazy-local") (param i32) (result i32)
    (local.get 0)
    (local.set 0 (i32.const 100))
    (local.get 0)
    (i32.sub))
  (func (export "lazy-tee") (param i32) (result i32)
    (local.get 0)
    (local.tee 0 (i32.mul (local.get 0) (i32.const 3)))
    (i32.add))
  ;; Results computed right before return write slot 0 (a parameter's).
  (func (export "ret-in-place") (param i32 i32) (result i32)
    (i32.add (local.get 1) (local.get 0)))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  ;; A deferred constant flowing into a block result and a branch.
  (func (export "const-through-br") (param i32) (result i32)
    (block (result i32)
      (i32.const 7)
      (br_if 0 (local.get 0))
      (drop)
      (i32.const 9)))

  ;; Constant addresses: the offset is added without wrapping.
  (func (export "k-load") (result i32) (i32.load offset=4 (i32.const 65530)))
  (func (export "k-load8") (result i32) (i32.load8_u offset=2 (i32.const 65530)))
  (func (export "k-store") (param i32) (result i32)
    (i32.store16 offset=1 (i32.const 40) (local.get 0))
    (i32.load16_u (i32.const 41)))
  (func (export "k-store-oob") (param i32)
    (i64.store offset=65530 (i32.const 0) (i64.extend_i32_u (local.get 0))))
  ;; A loaded value adjusted by a constant right away.
  (func (export "load-add-k") (param i32) (result i32)
    (i32.add (i32.load (local.get 0)) (i32.const -1)))
  (func (export "load-and-k") (param i32) (result i32)
    (i32.and (i32.load offset=0 (local.get 0)) (i32.const 0xff)))
  (func (export "load-sub-k") (param i32) (result i32)
    (i32.sub (i32.load (local.get 0)) (i32.const 2)))

  ;; Found by fuzzing: a function that never pushes (empty value stack),
  ;; and a v128 result moved down by one slot onto itself.
  (func (export "empty"))
  (func (export "v128-ret") (param i32) (result v128) (i32x4.splat (local.get 0)))
)

(assert_return (invoke "load-wrap" (i32.const 0)) (i32.const 5))
(assert_return (invoke "load-wrap" (i32.const -3)) (i32.const 2))
(assert_trap (invoke "load-wrap" (i32.const -4)) "out of bounds memory access")
(assert_return (invoke "store-wrap" (i32.const -5) (i32.const 0x77)) (i32.const 0x77))
;; store-wrap above wrote 0x77 at address 0.
(assert_return (invoke "load-fold-oob" (i32.const -65533)) (i32.const 0x04030277))
(assert_trap (invoke "load-fold-oob" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "f64-load-add" (f64.const 1.5) (i32.const 8)) (f64.const 1.5))
(assert_return (invoke "f64-load-add" (f64.const 0) (i32.const 65528)) (f64.const 0x1.1ffeeddccbbaap-478))
(assert_trap (invoke "f64-load-add" (f64.const 1.5) (i32.const 65530)) "out of bounds memory access")
(assert_return (invoke "i32-load-sub" (i32.const 0) (i32.const 0)) (i32.const -0x04030277))
(assert_return (invoke "storek") (i64.const 0x0077_8899_aa23_45ff))
(assert_trap (invoke "storek-oob") "out of bounds memory access")
(assert_return (invoke "shl-k" (i32.const 1)) (i32.const 2))
(assert_return (invoke "shr-s-k" (i64.const -8)) (i64.const -1))
(assert_return (invoke "k-lt" (i32.const -4)) (i32.const 1))
(assert_return (invoke "k-lt" (i32.const -5)) (i32.const 0))
(assert_return (invoke "k-sub" (i32.const 3)) (i32.const 7))
(assert_return (invoke "k-ge-u" (i64.const -1)) (i32.const 1))
(assert_return (invoke "count-below" (i32.const 5) (i32.const 100)) (i32.const 5))
(assert_return (invoke "count-below" (i32.const 100) (i32.const 7)) (i32.const 7))
(assert_return (invoke "count-below" (i32.const -1) (i32.const 7)) (i32.const 0))
(assert_return (invoke "eqz-branch" (i64.const 0)) (i32.const 0))
(assert_return (invoke "eqz-branch" (i64.const 0x1_0000_0000)) (i32.const 1))
(assert_return (invoke "if-cmp" (i32.const 10)) (i32.const 1))
(assert_return (invoke "if-cmp" (i32.const -1)) (i32.const 1))
(assert_return (invoke "if-cmp" (i32.const 9)) (i32.const 2))
(assert_return (invoke "lazy-local" (i32.const 5)) (i32.const -95))
(assert_return (invoke "lazy-tee" (i32.const 5)) (i32.const 20))
(assert_return (invoke "ret-in-place" (i32.const 2) (i32.const 40)) (i32.const 42))
(assert_return (invoke "swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "const-through-br" (i32.const 1)) (i32.const 7))
(assert_return (invoke "const-through-br" (i32.const 0)) (i32.const 9))
(assert_trap (invoke "k-load") "out of bounds memory access")
(assert_return (invoke "k-load8") (i32.const 0xee))
(assert_return (invoke "k-store" (i32.const 0x12345)) (i32.const 0x2345))
(assert_trap (invoke "k-store-oob" (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "load-add-k" (i32.const 65528)) (i32.const 0xddccbba9))
(assert_trap (invoke "load-add-k" (i32.const 65535)) "out of bounds memory access")
(assert_return (invoke "load-and-k" (i32.const 65528)) (i32.const 0xaa))
(assert_return (invoke "load-sub-k" (i32.const 65528)) (i32.const 0xddccbba8))
(assert_return (invoke "empty"))
(assert_return (invoke "v128-ret" (i32.const 7)) (v128.const i32x4 7 7 7 7))
