;; sleep.wat: a raw-wasm guest of tests/http/run.sh that sleeps 3 s (one
;; poll_oneoff on the monotonic clock), for steps longer than a session's
;; idle expiry.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; the subscription at 0: userdata 0, tag 0 (clock), clock 1
    ;; (monotonic), a relative timeout of 3 s; its event goes to 64
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1)
                      (i32.const 128)))))
