# mk/tests.mk: test, fuzz and demo targets (included by the Makefile).
#   make check      every test, normal then ASan+UBSan build, then the
#                   ThreadSanitizer checks; the last line printed is
#                   "N passed, N failed, N skipped"
#   make unit       build and run the unit tests of $(BUILD)
#   make spec       run the spec tests with $(BUILD)/wasmbox
#   make asan-check the check suite for the sanitizer build only
#   make tsan-check the ThreadSanitizer build (build/tsan, TSAN=1: see the
#                   Makefile) and tests/tsan/run.sh: unit tests, HTTP and
#                   MCP suites, a concurrent stress of both servers; any
#                   TSan report fails
#   make fuzz       libFuzzer on wb_module_new + instantiate + calls, and
#                   fuzz-fs
#   make fuzz-fs    tmpfs against the kernel: FSDIFF_SEEDS random call
#                   sequences of FSDIFF_OPS calls (tests/wasi/fsdiff.sh)
#   make demo       build, then run fib(25) with `wasmbox invoke`

# The spec tests live beside the repository (override with SPEC=...).
SPEC ?= ../shared/wasm-spec-2.0
FUZZ_SECONDS ?= 60
FSDIFF_SEEDS ?= 500
FSDIFF_OPS   ?= 2000
FSDIFF_FIRST ?= 1000

.PHONY: unit-bins cli-tests hostile fuzz-fs tsan-check
unit-bins: $(UNIT_BIN)

check test:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh normal asan tsan

asan-check:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh asan

tsan-check:
	@SPEC='$(SPEC)' MAKE='$(MAKE)' scripts/check.sh tsan

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

$(FUZZ_DIR)/%.o: %.c include/wasmbox.h $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

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

fuzz: fuzz-fs $(FUZZ_DIR)/fuzz_module $(FUZZ_DIR)/corpus/.seeded
	$(FUZZ_DIR)/fuzz_module -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus
