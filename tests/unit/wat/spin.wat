;; spin.wat (test_watchdog.c): loops until something stops it.
(module
  (func (export "_start") (loop (br 0))))
