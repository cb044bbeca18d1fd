;; pfork.wat (test_pfork.c): a guest that forks through the host import
;; env.fork (the child's pid in the parent, 0 in the child) from several
;; frames deep, with a value on the operand stack, a function reference in
;; a local and a grown memory, then writes what it got to memory and a
;; global. run's result is also stored at 8, since a forked child's
;; result is not returned.
(module
  (import "env" "fork" (func $fork (result i32)))
  (import "env" "exit" (func $exit (param i32)))
  (import "env" "reenter" (func $reenter))
  (type $t (func (result i32)))
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const -1))
  (global $mode (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem declare func $seven)
  (func $seven (result i32) (i32.const 7))

  ;; 5000 + pid + 7, the 7 through the funcref held across the fork
  (func $at_fork (result i32)
    (local $r i32) (local $f funcref)
    (local.set $f (ref.func $seven))
    (i32.const 5000)
    (local.tee $r (call $fork))
    (i32.add)
    (i32.store (i32.const 0) (local.get $r))
    (global.set $g (local.get $r))
    (table.set 0 (i32.const 1) (local.get $f))
    (if (i32.eqz (local.get $r)) (then (call $child (global.get $mode))))
    (i32.add (call_indirect (type $t) (i32.const 1))))

  ;; n frames of $rec, each adding 10 * n after the fork returns
  (func $rec (param $n i32) (result i32)
    (local $keep i32)
    (local.set $keep (i32.mul (local.get $n) (i32.const 10)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $at_fork))
      (else (i32.add (local.get $keep)
                     (call $rec (i32.sub (local.get $n) (i32.const 1)))))))

  (func (export "run") (param $depth i32) (result i32)
    (local $v i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 65540) (i32.const 77))
    (local.set $v (call $rec (local.get $depth)))
    (i32.store (i32.const 8) (local.get $v))
    (local.get $v))

  ;; the child (pid 0) ends as $mode says: 1 traps, 2 spins, 3 exits 3,
  ;; inside the frames it was given
  (func $child (param $how i32)
    (if (i32.eq (local.get $how) (i32.const 1)) (then (unreachable)))
    (if (i32.eq (local.get $how) (i32.const 2)) (then (loop (br 0))))
    (if (i32.eq (local.get $how) (i32.const 3)) (then (call $exit (i32.const 3)))))
  (func (export "run_child") (param $how i32) (param $depth i32)
    (global.set $mode (local.get $how))
    (drop (call $rec (local.get $depth))))

  ;; host -> guest -> host: env.reenter calls back into probe
  (func (export "outer") (call $reenter))
  (func (export "probe") (result i32) (call $fork)))
