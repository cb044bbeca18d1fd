# mk/bench.mk: the benchmark suite (included by the Makefile). Not a test:
# nothing here runs in `make check`.
#   make bench               build the workloads natively (gcc -O2) and for
#                            wasm32-wasi (clang-14 -O2), time `wasmbox
#                            compile` of each module (and of python.wasm)
#                            into an empty code cache, then run them as
#                            whole processes under native, the wasmbox
#                            interpreter, wasmbox's native tier (machine
#                            code from that warm cache), Node.js WASI and
#                            wabt's wasm-interp, and write the generated
#                            part of BENCHMARKS.md (between its markers;
#                            the hand-written sections around it stay);
#                            then the bench-* targets below (about 30 to
#                            40 minutes on the shared 2-core machine)
#   make bench BENCH_QUICK=1 smaller sizes, one run each, report written to
#                            $(BUILD)/bench/BENCHMARKS.quick.md (smoke test)
#   make bench-build         only build the workloads
# With the CPython guest ($WASMBOX_GUESTS/python, else $(BUILD)/guests/
# python from make guests), also bench/py/ (python -c pass, jsonre.py,
# loop.py) under native python3, `wasmbox python` in both tiers and Node,
# in a table of their own; skipped without it. bench/run.py --help lists
# the knobs (BENCH_RUNS, BENCH_ONLY, BENCH_COMPILE_RUNS, ...).
#   make bench-preinit       `wasmbox python -c pass` cold and from
#                            python/python.snap side by side (bench/
#                            preinit.py; $WASMBOX_GUESTS or $(BUILD)/guests,
#                            skipped without the snapshot)
#   make bench-startup       whole-process start-up, medians of CPU and
#                            wall time side by side: hello.wasm and
#                            `wasmbox python -c pass`, interpreter and
#                            cached native code (bench/startup.py; fills
#                            the code cache first with wasmbox compile
#                            --if-missing; STARTUP_BASE=WASMBOX adds an
#                            older build's rows for a before/after)
#   make bench-fork          wb_session_fork: fork time and the memory of
#                            100 forks of a 100 MiB Python kernel (bench/
#                            fork_bench.c)
#   make bench-shell         `sh -c true` start-up and the throughput of
#                            `seq 1000000 | sort -n | uniq | wc -l`, the
#                            guest shell against native dash (bench/
#                            shell.py; skipped without the shell guest)
#   make bench-http          `wasmbox serve` under wrk: POST /v1/run of
#                            Python and of a tiny module, with and without
#                            isolation, in a network namespace of its own
#                            (bench/http_load.sh; needs wrk and the python
#                            guest; ~2 minutes)

BENCH_CC      ?= gcc
BENCH_WASM_CC ?= clang-14
BENCH_CFLAGS  ?= -O2 -ffp-contract=off
BENCH_WFLAGS  ?= -O2 --target=wasm32-wasi
BENCH_WORKLOADS := fib sieve matmul hash sort nbody strings interp memops
BENCH_VARIANT := $(if $(filter 1 yes true,$(BENCH_QUICK)),quick,full)
BENCH_DIR     := $(BUILD)/bench/$(BENCH_VARIANT)
BENCH_DEFS    := $(if $(filter quick,$(BENCH_VARIANT)),-DBENCH_QUICK)

BENCH_PROGS := $(BENCH_WORKLOADS) hello
BENCH_BINS  := $(BENCH_PROGS:%=$(BENCH_DIR)/native/%) \
               $(BENCH_PROGS:%=$(BENCH_DIR)/wasm/%.wasm) \
               $(BENCH_PROGS:%=$(BENCH_DIR)/wasm-simd/%.wasm) \
               $(BENCH_PROGS:%=$(BENCH_DIR)/export/%.wasm) \
               $(BUILD)/bench/api_bench $(BUILD)/bench/spawn

.PHONY: bench bench-build bench-preinit bench-startup
bench-build: $(BENCH_BINS)

$(BENCH_DIR)/native/%: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) $(BENCH_DEFS) -o $@ $< -lm

# A WASI command: _start, main, printf through fd_write.
$(BENCH_DIR)/wasm/%.wasm: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_WASM_CC) $(BENCH_WFLAGS) $(BENCH_DEFS) -o $@ $< -lm

# The same WASI command with 128-bit SIMD enabled (auto-vectorised loops).
$(BENCH_DIR)/wasm-simd/%.wasm: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_WASM_CC) $(BENCH_WFLAGS) -msimd128 $(BENCH_DEFS) -o $@ $< -lm

# No imports at all: exports bench() -> i64 (Debian's wasm-interp has no
# WASI). The same workload code, with libc's pure parts (malloc, string).
$(BENCH_DIR)/export/%.wasm: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_WASM_CC) $(BENCH_WFLAGS) $(BENCH_DEFS) -DBENCH_EXPORT \
	    -nostartfiles -Wl,--no-entry -o $@ $< -lm

$(BUILD)/bench/api_bench: bench/api_bench.c $(BUILD)/libwasmbox.a include/wasmbox.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -o $@ $< \
	    $(BUILD)/libwasmbox.a $(LDLIBS)

$(BUILD)/bench/spawn: bench/spawn.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) -O2 -Wall -Wextra -o $@ $<

bench: all bench-build
	python3 bench/run.py --bins $(BENCH_DIR) --wasmbox $(BUILD)/wasmbox \
	    --api-bench $(BUILD)/bench/api_bench --spawn $(BUILD)/bench/spawn \
	    --guests $${WASMBOX_GUESTS:-$(BUILD)/guests} \
	    $(if $(filter quick,$(BENCH_VARIANT)),--quick)
	$(MAKE) --no-print-directory bench-preinit
	$(MAKE) --no-print-directory bench-startup
	$(MAKE) --no-print-directory bench-fork
	$(MAKE) --no-print-directory bench-shell
	$(MAKE) --no-print-directory bench-http

bench-preinit: all
	python3 bench/preinit.py --wasmbox $(BUILD)/wasmbox \
	    --guests $${WASMBOX_GUESTS:-$(BUILD)/guests} \
	    $(if $(filter quick,$(BENCH_VARIANT)),--runs 5) \
	    --out $(BUILD)/bench/preinit.md

STARTUP_GUESTS = $${WASMBOX_GUESTS:-$(BUILD)/guests}
bench-startup: all $(BENCH_DIR)/wasm/hello.wasm
	$(BUILD)/wasmbox compile --if-missing $(BENCH_DIR)/wasm/hello.wasm
	-$(BUILD)/wasmbox compile --if-missing \
	    $(STARTUP_GUESTS)/python/python.wasm
	python3 bench/startup.py --build this=$(BUILD)/wasmbox \
	    $(if $(STARTUP_BASE),--build before=$(STARTUP_BASE)) \
	    --hello $(BENCH_DIR)/wasm/hello.wasm --guests $(STARTUP_GUESTS) \
	    --tier interp --tier cached \
	    $(if $(filter quick,$(BENCH_VARIANT)),--runs 5) \
	    | tee $(BUILD)/bench/startup.md

.PHONY: bench-shell
bench-shell: all
	python3 bench/shell.py --wasmbox $(BUILD)/wasmbox \
	    --guests $${WASMBOX_GUESTS:-$(BUILD)/guests} \
	    $(if $(filter quick,$(BENCH_VARIANT)),--runs 5 --lines 100000) \
	    --out $(BUILD)/bench/shell.md

.PHONY: bench-http
bench-http: all
	WB_BUILD=$(BUILD) WASMBOX_GUESTS=$${WASMBOX_GUESTS:-$(BUILD)/guests} \
	    bash bench/http_load.sh \
	    $(if $(filter quick,$(BENCH_VARIANT)),--duration 3s --rounds 1,--duration 10s --rounds 3) \
	    --connections 4 --out $(BUILD)/bench/http_load.md

# Cost of finding a session step's written pages (bench/dirty_bench.c).
.PHONY: bench-dirty
$(BUILD)/bench/dirty_bench: bench/dirty_bench.c $(BUILD)/libwasmbox.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(BUILD)/libwasmbox.a $(LDLIBS)
bench-dirty: $(BUILD)/bench/dirty_bench
	$(BUILD)/bench/dirty_bench

# Cost of wb_session_fork: fork time, memory of forks (bench/fork_bench.c;
# $WASMBOX_GUESTS or $(BUILD)/guests, skipped without python.snap).
# BENCH_FORK="MB FORKS STEPPED" (default 100 100 100: every fork steps).
.PHONY: bench-fork
$(BUILD)/bench/fork_bench: bench/fork_bench.c $(BUILD)/libwasmbox.a include/wasmbox.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -o $@ $< \
	    $(BUILD)/libwasmbox.a $(LDLIBS)
bench-fork: all $(BUILD)/bench/fork_bench
	WASMBOX_GUESTS=$${WASMBOX_GUESTS:-$(BUILD)/guests} \
	    $(BUILD)/bench/fork_bench $(BENCH_FORK) | tee $(BUILD)/bench/fork.md
