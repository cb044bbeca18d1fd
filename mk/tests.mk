# mk/tests.mk: test, fuzz and demo targets (included by the Makefile).
#   make check      every test, normal then ASan+UBSan build, then the
#                   ThreadSanitizer checks; the last line printed is
#                   "N passed, N failed, N skipped"
#   make unit       build and run the unit tests of $(BUILD)
#   make check-layers  each folder of src/ uses only the ones below it
#                   (scripts/check-layers.sh: includes, and the calls of
#                   the objects of $(BUILD))
#   make spec       run the spec tests with $(BUILD)/wasmbox
#   make asan-check the check suite for the sanitizer build only
#   make tsan-check the ThreadSanitizer build (build/tsan, TSAN=1: see the
#                   Makefile) and tests/tsan/run.sh: unit tests, HTTP and
#                   MCP suites, a concurrent stress of both servers; any
#                   TSan report fails
#   make fuzz       libFuzzer on wb_module_new + instantiate + calls
#                   (FUZZ_SECONDS), fuzz-fs, fuzz-hostcall and fuzz-native
#   make fuzz-native  the interpreter against the native tier on the same
#                   modules (FUZZ_NATIVE_SECONDS, default 600)
#   make fuzz-hostcall  libFuzzer on the WASI host calls against a tmpfs
#                   and host directories (FUZZ_HOSTCALL_SECONDS)
#   make fuzz-hostcall-check  the short run of `make check`: the
#                   reproducers in fuzz/hostcall-regress, the seeds, then
#                   FUZZ_HOSTCALL_CHECK_SECONDS of fuzzing
#   make fuzz-native-file  libFuzzer on the native code loader
#                   (fuzz/fuzz_native_file.c) for FUZZ_NATIVE_FILE_SECONDS
#   make fuzz-snapshot  libFuzzer on the snapshot loader (file, state
#                   section, WASI section: fuzz/fuzz_snapshot.c): its
#                   seeds, then FUZZ_SNAPSHOT_SECONDS of fuzzing; last line
#                   "N passed, N failed" (the fuzz step of `make check`)
#   make fuzz-wire  libFuzzer on what the server reads from a worker
#                   (frames, descriptors, results: fuzz/fuzz_wire.c): the
#                   reproducers, its seeds, then FUZZ_WIRE_SECONDS
#   make fuzz-net   libFuzzer on the guest's outbound HTTP (wasmbox_http
#                   against a loopback server: fuzz/fuzz_net.c) in a
#                   network namespace of its own (root): the
#                   reproducers, its seeds, then FUZZ_NET_SECONDS
#                   (FUZZ_NET_CORPUS=DIR keeps what it finds)
#   make fuzz-proc  libFuzzer on the wasmbox_proc calls and fd operations
#                   against a real process tree (fuzz/proc.h): the
#                   reproducers, its seeds, then FUZZ_PROC_SECONDS
#   make fuzz-fs    tmpfs against the kernel: FSDIFF_SEEDS random call
#                   sequences of FSDIFF_OPS calls (tests/wasi/fsdiff.sh)
#   make demo       build, then run fib(25) with `wasmbox invoke`

# The spec tests live beside the repository (override with SPEC=...).
SPEC ?= ../shared/wasm-spec-2.0
FUZZ_SECONDS ?= 60
FUZZ_HOSTCALL_SECONDS ?= 600
FUZZ_HOSTCALL_CHECK_SECONDS ?= 20
FUZZ_SNAPSHOT_SECONDS ?= 20
FUZZ_WIRE_SECONDS ?= 20
FUZZ_NET_SECONDS ?= 20
FSDIFF_SEEDS ?= 500
FSDIFF_OPS   ?= 2000
FSDIFF_FIRST ?= 1000

.PHONY: unit-bins cli-tests hostile fuzz-fs tsan-check fuzz-hostcall \
        fuzz-hostcall-check check-layers fuzz-snapshot fuzz-native \
        fuzz-native-file fuzz-wire fuzz-net fuzz-proc
unit-bins: $(UNIT_BIN)

check test:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh normal asan tsan fuzz

asan-check:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh asan

tsan-check:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh tsan

check-layers: all
	@scripts/check-layers.sh $(BUILD)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

cli-tests: all
	@set -e; for t in tests/cli/*.sh; do WB_BUILD=$(CURDIR)/$(BUILD) bash $$t; done

hostile: all
	@WB_BUILD=$(CURDIR)/$(BUILD) bash tests/cli/hostile.sh

spec: all
	$(BUILD)/wasmbox spectest -q $(SPEC)

demo: all
	@echo '$$ wasmbox invoke tests/modules/demo/fib.wasm fib 25'
	@$(BUILD)/wasmbox invoke tests/modules/demo/fib.wasm fib 25
	@if [ -d $(BUILD)/guests/python ]; then \
	  echo '$$ wasmbox python -c "import sys, sqlite3; print(sys.version.split()[0], sqlite3.sqlite_version)"'; \
	  $(BUILD)/wasmbox python -c "import sys, sqlite3; print(sys.version.split()[0], sqlite3.sqlite_version)"; \
	  echo "$$ echo 'print(\"hello from python\")' | wasmbox python"; \
	  echo 'print("hello from python")' | $(BUILD)/wasmbox python; \
	else echo '(make guests builds Python, JavaScript, Lua and SQLite for the other demos)'; fi
	@if [ -f $(BUILD)/guests/shell/dash.wasm ]; then \
	  echo "$$ wasmbox sh -c 'seq 3 | tr 0-9 a-j | sort -r'"; \
	  $(BUILD)/wasmbox sh -c 'seq 3 | tr 0-9 a-j | sort -r'; fi

clean:
	rm -rf build

# ---- fuzzing: the library compiled again with clang and libFuzzer --------
FUZZ_CC    ?= clang-14
FUZZ_DIR   := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer \
              -DWB_BOUNDS_CHECKS=1 -Iinclude -Isrc -Isrc/engine \
              -Wall -Wextra -Wno-unused-parameter
FUZZ_OBJ   := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
# clang's instrumentation of the interpreter's one large computed-goto
# function is very slow at -O1 (over 10 minutes); -O0 takes about one.
$(FUZZ_DIR)/src/engine/interp.o: FUZZ_FLAGS := $(subst -O1,-O0,$(FUZZ_FLAGS))

$(FUZZ_DIR)/%.o: %.c $(FUZZ_DIR)/%.o.d
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

# An archive, so the target links only the objects it uses.
$(FUZZ_DIR)/libwasmbox.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_module: fuzz/fuzz_module.c $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

# Seed once with the spec modules; later runs keep what the fuzzer found.
$(FUZZ_DIR)/corpus/.seeded:
	@mkdir -p $(dir $@)
	@if [ -d '$(SPEC)' ]; then find '$(SPEC)' -name '*.wasm' -size -64k \
	    -exec cp -t $(dir $@) {} +; fi
	@cp tests/modules/demo/fib.wasm $(dir $@)
	@touch $@

fuzz-fs: all
	bash tests/wasi/fsdiff.sh $(BUILD)/wasmbox $(FSDIFF_SEEDS) $(FSDIFF_OPS) \
	    $(FSDIFF_FIRST)

# The host-call fuzzer (fuzz/hostcall.h): its seeds are written by the
# target itself; fuzz/hostcall-regress holds the inputs of fixed findings.
HOSTCALL_SRC := fuzz/fuzz_hostcall.c fuzz/hostcall_decode.c \
                fuzz/hostcall_common.c fuzz/hostcall_host.c \
                fuzz/hostcall_tmpfs.c fuzz/hostcall_seeds.c
HOSTCALL_FLAGS := -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 \
                  -max_len=4096 -len_control=20 \
                  -artifact_prefix=$(FUZZ_DIR)/hostcall-

HOSTCALL_OBJ := $(HOSTCALL_SRC:%.c=$(FUZZ_DIR)/%.o)

# The harness's own loops and checks carry no coverage (they would only
# mislead libFuzzer); the decoder does, so mutations learn the format.
$(FUZZ_DIR)/fuzz/%.o: fuzz/%.c $(FUZZ_DIR)/fuzz/%.o.d
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(DEPFLAGS) $(FUZZ_SAN) -c $< -o $@
$(FUZZ_DIR)/fuzz/hostcall_decode.o $(FUZZ_DIR)/fuzz/net_decode.o: \
    FUZZ_SAN += -fsanitize=fuzzer-no-link
$(FUZZ_DIR)/fuzz/fuzz_hostcall.o $(FUZZ_DIR)/fuzz/hostcall_common.o: \
    FUZZ_FLAGS := $(subst -O1,-O2,$(FUZZ_FLAGS))

# The wasmbox_http fuzzer (fuzz/net.h) shares the host-call fuzzer's
# decoder and guest. Its connect() must be the one libcurl (loaded later)
# binds to: exported.
NET_SRC := fuzz/fuzz_net.c fuzz/net_decode.c fuzz/net_server.c \
           fuzz/net_seeds.c fuzz/hostcall_decode.c fuzz/hostcall_common.c
NET_OBJ := $(NET_SRC:%.c=$(FUZZ_DIR)/%.o)
# the process fuzzer's (below)
PROC_SRC := fuzz/fuzz_proc.c fuzz/proc_decode.c fuzz/proc_seeds.c \
            fuzz/hostcall_decode.c fuzz/hostcall_common.c
PROC_OBJ := $(PROC_SRC:%.c=$(FUZZ_DIR)/%.o)

# Header dependencies, as for the main build (Makefile).
FUZZ_DEPS := $(FUZZ_OBJ:=.d) \
    $(sort $(HOSTCALL_OBJ:=.d) $(NET_OBJ:=.d) $(PROC_OBJ:=.d))
$(FUZZ_DEPS):
include $(wildcard $(FUZZ_DEPS))

$(FUZZ_DIR)/fuzz_hostcall: $(HOSTCALL_OBJ) $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
	    $(HOSTCALL_OBJ) $(FUZZ_DIR)/libwasmbox.a $(LDLIBS)

$(FUZZ_DIR)/hostcall-seeds/.seeded: $(FUZZ_DIR)/fuzz_hostcall
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@WB_HOSTCALL_SEEDS=$(dir $@) $(FUZZ_DIR)/fuzz_hostcall
	@touch $@

fuzz-hostcall: $(FUZZ_DIR)/fuzz_hostcall $(FUZZ_DIR)/hostcall-seeds/.seeded
	@mkdir -p $(FUZZ_DIR)/hostcall-corpus
	$(FUZZ_DIR)/fuzz_hostcall -max_total_time=$(FUZZ_HOSTCALL_SECONDS) \
	    $(HOSTCALL_FLAGS) -print_final_stats=1 $(FUZZ_DIR)/hostcall-corpus \
	    $(FUZZ_DIR)/hostcall-seeds fuzz/hostcall-regress

fuzz-hostcall-check: $(FUZZ_DIR)/fuzz_hostcall $(FUZZ_DIR)/hostcall-seeds/.seeded
	@FUZZ_DIR=$(FUZZ_DIR) SECONDS_LEFT=$(FUZZ_HOSTCALL_CHECK_SECONDS) \
	    bash fuzz/hostcall-check.sh

$(FUZZ_DIR)/fuzz_snapshot: fuzz/fuzz_snapshot.c $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-snapshot: $(FUZZ_DIR)/fuzz_snapshot
	@FUZZ_DIR=$(FUZZ_DIR) SECONDS_LEFT=$(FUZZ_SNAPSHOT_SECONDS) \
	    bash fuzz/snapshot-check.sh

# The native code loader (fuzz/fuzz_native_file.c), from its own seed.
FUZZ_NATIVE_FILE_SECONDS ?= 60
$(FUZZ_DIR)/fuzz_native_file: fuzz/fuzz_native_file.c $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)
fuzz-native-file: $(FUZZ_DIR)/fuzz_native_file
	@mkdir -p $(FUZZ_DIR)/corpus-native-file
	WB_NATIVE_FILE_SEED=$(FUZZ_DIR)/corpus-native-file/seed \
	    $(FUZZ_DIR)/fuzz_native_file
	$(FUZZ_DIR)/fuzz_native_file -max_total_time=$(FUZZ_NATIVE_FILE_SECONDS) \
	    -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/native-file- \
	    $(FUZZ_DIR)/corpus-native-file

# The server's side of the worker protocol (fuzz/fuzz_wire.c): the
# reproducers in fuzz/wire-regress, its seeds, then FUZZ_WIRE_SECONDS.
$(FUZZ_DIR)/fuzz_wire: fuzz/fuzz_wire.c $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-wire: $(FUZZ_DIR)/fuzz_wire
	@FUZZ_DIR=$(FUZZ_DIR) SECONDS_LEFT=$(FUZZ_WIRE_SECONDS) \
	    bash fuzz/wire-check.sh

$(FUZZ_DIR)/fuzz_net: $(NET_OBJ) $(FUZZ_DIR)/libwasmbox.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) \
	    -Wl,--export-dynamic-symbol=connect -o $@ $(NET_OBJ) \
	    $(FUZZ_DIR)/libwasmbox.a $(LDLIBS) -ldl

fuzz-net: $(FUZZ_DIR)/fuzz_net
	@FUZZ_DIR=$(FUZZ_DIR) SECONDS_LEFT=$(FUZZ_NET_SECONDS) \
	    $(if $(FUZZ_NET_CORPUS),CORPUS=$(FUZZ_NET_CORPUS)) \
	    bash fuzz/net-check.sh

# The process fuzzer (fuzz/proc.h): the wasmbox_proc calls and fd
# operations against a real tree whose children run fuzz/proc/agent.c
# (compiled for wasm32-wasi like tests/proc) and the modules of
# fuzz/proc/*.wat. fuzz-proc: the reproducers in fuzz/proc-regress, its
# seeds, then FUZZ_PROC_SECONDS of fuzzing (FUZZ_PROC_CORPUS=DIR keeps
# what it finds).
FUZZ_PROC_SECONDS ?= 25
PROC_IMAGES := $(FUZZ_DIR)/proc/agent.wasm \
    $(patsubst fuzz/proc/%.wat,$(FUZZ_DIR)/proc/%.wasm,$(wildcard fuzz/proc/*.wat))
$(FUZZ_DIR)/fuzz/fuzz_proc.o: FUZZ_FLAGS += -DPF_IMAGES='"$(abspath $(FUZZ_DIR))/proc"'
$(FUZZ_DIR)/fuzz/proc_decode.o: FUZZ_SAN += -fsanitize=fuzzer-no-link
$(FUZZ_DIR)/proc/agent.wasm: fuzz/proc/agent.c tests/proc/wbproc.h
	@mkdir -p $(dir $@)
	clang-14 --target=wasm32-wasi --sysroot=/usr -O1 -Wall -o $@ $<
$(FUZZ_DIR)/proc/%.wasm: fuzz/proc/%.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@
$(FUZZ_DIR)/fuzz_proc: $(PROC_OBJ) $(FUZZ_DIR)/libwasmbox.a $(PROC_IMAGES)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
	    $(PROC_OBJ) $(FUZZ_DIR)/libwasmbox.a $(LDLIBS)

fuzz-proc: $(FUZZ_DIR)/fuzz_proc
	@FUZZ_DIR=$(FUZZ_DIR) SECONDS_LEFT=$(FUZZ_PROC_SECONDS) \
	    $(if $(FUZZ_PROC_CORPUS),CORPUS=$(FUZZ_PROC_CORPUS)) \
	    bash fuzz/seeded-check.sh proc WB_PROCFUZZ_SEEDS 11 4096 \
	    fuzz/proc-regress

fuzz: fuzz-fs $(FUZZ_DIR)/fuzz_module $(FUZZ_DIR)/corpus/.seeded fuzz-hostcall \
      fuzz-snapshot fuzz-native fuzz-native-file fuzz-wire fuzz-net fuzz-proc
	$(FUZZ_DIR)/fuzz_module -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus

# The two tiers against each other (fuzz/fuzz_native.c); the native tier's
# plugin of $(BUILD) is copied beside the target, where the engine looks
# for it. Its own corpus, seeded like the module fuzzer's. Coverage guides
# through the engine only (the plugin is not instrumented). LLVM under
# ASan's allocator compiles a module of 500 small functions (the spec's
# names.2.wasm) in about 13 s, 30 s on a loaded machine: hence -timeout.
FUZZ_NATIVE_SECONDS ?= 600
$(FUZZ_DIR)/fuzz_native: fuzz/fuzz_native.c $(FUZZ_DIR)/libwasmbox.a \
                         $(BUILD)/libwasmbox-native.so
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
	    fuzz/fuzz_native.c $(FUZZ_DIR)/libwasmbox.a $(LDLIBS) -ldl
	cp $(BUILD)/libwasmbox-native.so $(FUZZ_DIR)/
$(FUZZ_DIR)/corpus-native/.seeded:
	@mkdir -p $(dir $@)
	@if [ -d '$(SPEC)' ]; then find '$(SPEC)' -name '*.wasm' -size -64k \
	    -exec cp -t $(dir $@) {} +; fi
	@cp tests/modules/demo/fib.wasm $(dir $@)
	@touch $@
fuzz-native: $(FUZZ_DIR)/fuzz_native $(FUZZ_DIR)/corpus-native/.seeded
	$(FUZZ_DIR)/fuzz_native -max_total_time=$(FUZZ_NATIVE_SECONDS) \
	    -max_len=65536 -rss_limit_mb=4096 -timeout=120 \
	    -artifact_prefix=$(FUZZ_DIR)/native- $(FUZZ_DIR)/corpus-native

# ---- the OS lock-down's test hook (tests/oslock, tests/isolation) -------
# wasmbox again, with src/sandbox/run.c and src/session/wb_session_step.c
# compiled with -DWB_TEST_HOOKS and tests/oslock/attempt.c: right after the
# lock-down `run` attempts what $WB_TEST_ATTEMPT names, and a session step
# "#wb-test-attempt:KIND" makes the server's worker attempt KIND. Never
# part of `all` nor installed.
HOOK_DIR := $(BUILD)/hooks
HOOK_SRC := src/sandbox/run.c src/session/wb_session_step.c
HOOK_OBJ := $(filter-out $(HOOK_SRC:%.c=$(BUILD)/%.o),$(LIB_OBJ)) \
            $(HOOK_SRC:%.c=$(HOOK_DIR)/%.o) $(HOOK_DIR)/attempt.o
.PHONY: oslock-check proc-check
$(HOOK_DIR)/src/%.o: src/%.c include/wasmbox.h $(wildcard src/*/*.h) \
                     $(wildcard include/wasmbox/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWB_TEST_HOOKS -c $< -o $@
$(HOOK_DIR)/attempt.o: tests/oslock/attempt.c include/wasmbox.h \
                       $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWB_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/wasmbox-attempt: $(CLI_OBJ) $(HOOK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(HOOK_OBJ) $(EXE_LIBS)

# Processes in the sandbox (docs/processes.md).
proc-check: all
	@bash tests/proc/run.sh $(CURDIR)/$(BUILD)/wasmbox

oslock-check: all $(BUILD)/tests/wasmbox-attempt
	@WB_BUILD=$(CURDIR)/$(BUILD) bash tests/oslock/run.sh

.PHONY: isolation-check
isolation-check: all $(BUILD)/tests/wasmbox-attempt
	@WB_BUILD=$(CURDIR)/$(BUILD) bash tests/isolation/run.sh
	@WB_BUILD=$(CURDIR)/$(BUILD) bash tests/isolation/attack.sh
	@WB_BUILD=$(CURDIR)/$(BUILD) bash tests/isolation/pool.sh
