# wasmbox build. `make` builds the library and the command into build/;
# `make check` runs every test (normal build, then ASan+UBSan build).
CC       ?= cc
BUILD    ?= build
OPT      ?= -O2
CFLAGS   += $(OPT) -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
            -fno-strict-aliasing -fPIC -Iinclude -Isrc -Isrc/engine
LDLIBS   += -lm -lpthread -lyaml -ljansson -lseccomp -lxxhash
# The command links the small libraries statically: each shared one costs
# a start-up a file to open and map, relocations and a dozen page faults
# (about 0.35 ms apiece on a paravirtualized VM, a seventh of a cached
# hello-world). EXE_LIBS="$(LDLIBS)" on make's command line links them
# dynamically.
# libm only when something needs it (--as-needed): the interpreter's
# sqrt is inlined (-fno-math-errno below), and nothing else calls it.
EXE_LIBS ?= -Wl,-Bstatic -lyaml -ljansson -lseccomp -lxxhash -Wl,-Bdynamic \
            -Wl,--as-needed -lm -lpthread -Wl,--no-as-needed
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer -DWB_BOUNDS_CHECKS=1
LDFLAGS  += -fsanitize=address,undefined
endif
# ThreadSanitizer build, BUILD=build/tsan TSAN=1 (`make tsan-check` runs
# it): clang-14 with -fsanitize=thread, at -O1 (interp.c too: unlike
# ASan's, TSan's instrumentation of its computed-goto function takes
# seconds). WB_BOUNDS_CHECKS=1 checks every memory access explicitly, so
# there are no guard pages and no SIGSEGV handler (a longjmp out of a
# signal handler is outside what TSan models).
ifeq ($(TSAN),1)
CC       := clang-14
OPT      := -O1
CFLAGS   += -fsanitize=thread -fno-omit-frame-pointer -DWB_BOUNDS_CHECKS=1
LDFLAGS  += -fsanitize=thread
endif

# Only the functions marked WB_API in include/wasmbox/*.h leave
# libwasmbox.so; the rest are internal (mk/api.mk checks the two lists).
CFLAGS   += -fvisibility=hidden

COMMON_SRC := $(wildcard src/common/*.c)
ENGINE_SRC := $(wildcard src/engine/*.c)
WASI_SRC   := $(wildcard src/net/*.c) $(wildcard src/wasi/*.c) $(wildcard src/proc/*.c) \
              $(wildcard src/snapshot/*.c) \
              $(wildcard src/sandbox/*.c) \
              $(wildcard src/policy/*.c) $(wildcard src/session/*.c)
LIB_SRC    := $(COMMON_SRC) $(ENGINE_SRC) $(WASI_SRC)
CLI_SRC    := $(wildcard src/cli/*.c) $(wildcard src/server/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
NATIVE_SRC := $(wildcard src/native/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
NATIVE_OBJ := $(NATIVE_SRC:%.c=$(BUILD)/%.o)

# Header dependencies: the compiler writes each target's list of headers
# beside it (-MMD; -MP: a header deleted or renamed does not stop the
# build), and they are included below. A target whose list is missing
# (an older build) is rebuilt once, so no stale object survives a header
# change.
DEPFLAGS  = -MMD -MP -MF $@.d -MT $@
DEPS     := $(LIB_OBJ:=.d) $(CLI_OBJ:=.d) $(UNIT_BIN:=.d) $(NATIVE_OBJ:=.d) \
            $(BUILD)/gen/oslock_seccomp.o.d

.PHONY: all check test unit spec asan-check fuzz clean demo bench FORCE
all: $(BUILD)/libwasmbox.a $(BUILD)/libwasmbox.so $(BUILD)/wasmbox

# The native tier (src/native/, LLVM 19): a plugin the engine loads with
# dlopen only for `--tier native`, so the interpreter's start-up never
# loads libLLVM. It carries its own copies of the few engine objects it
# uses (error texts, the opcode table). Without llvm-config-19 (package
# llvm-19-dev, scripts/setup.sh) it is not built and the tier reports
# itself unavailable.
LLVM_CONFIG ?= $(shell command -v llvm-config-19 2>/dev/null)
ifneq ($(LLVM_CONFIG),)
LLVM_INC    := $(shell $(LLVM_CONFIG) --includedir)
LLVM_LIBDIR := $(shell $(LLVM_CONFIG) --libdir)
all: $(BUILD)/libwasmbox-native.so
# the code cache keys its files by the LLVM the plugin is built with
$(BUILD)/src/engine/native_file.o: CFLAGS += \
    -DWB_LLVM_VERSION='"$(shell $(LLVM_CONFIG) --version)"'
# ... and by a hash of the sources compiled code depends on (the
# translator, the native runtime and loader, the engine's structures and
# the engine's public headers), so that a new build never loads an old
# build's code: native_build.h is rewritten when the hash changes.
NATIVE_BUILD_SRC := $(sort $(wildcard src/native/*.[ch] src/engine/native*.[ch] \
                      src/engine/engine.h src/engine/runtime.h \
                      include/wasmbox/common.h include/wasmbox/engine.h))
NATIVE_BUILD_ID  := $(shell cat $(NATIVE_BUILD_SRC) | sha256sum | cut -c1-8)
$(BUILD)/native_build.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define WB_NATIVE_BUILD "$(NATIVE_BUILD_ID)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
$(BUILD)/src/engine/native_file.o: $(BUILD)/native_build.h
$(BUILD)/src/engine/native_file.o: CFLAGS += -I$(BUILD) -DWB_HAVE_NATIVE_BUILD
$(NATIVE_OBJ): CFLAGS += -isystem $(LLVM_INC)
$(BUILD)/libwasmbox-native.so: $(NATIVE_OBJ) $(BUILD)/src/common/error.o \
                               $(BUILD)/src/engine/opcodes.o \
                               $(BUILD)/src/engine/native_image.o
	$(CC) -shared $(LDFLAGS) -o $@ $^ -L$(LLVM_LIBDIR) \
	    -Wl,-rpath,$(LLVM_LIBDIR) -lLLVM-19 -lpthread
endif

# Wasm's sqrt never sets errno: without -fno-math-errno every f32/f64.sqrt
# is a call into libm (for errno on a negative operand), the only reason
# the command would map libm.so at every start.
$(BUILD)/src/engine/interp.o: CFLAGS += -fno-math-errno

$(BUILD)/%.o: %.c $(BUILD)/%.o.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libwasmbox.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libwasmbox.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

# -z now: every symbol bound at start-up, not at its first call through
# the lazy-binding trampoline (which saves and restores the whole vector
# state each time): 0.08-0.12 ms less CPU per cached hello-world here,
# though 13% more of its user instructions; and the whole GOT read-only.
$(BUILD)/wasmbox: $(CLI_OBJ) $(BUILD)/libwasmbox.a
	$(CC) $(LDFLAGS) -Wl,-z,now -o $@ $(CLI_OBJ) $(BUILD)/libwasmbox.a \
	    $(EXE_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/%.d $(BUILD)/libwasmbox.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o,$^) \
	    $(BUILD)/libwasmbox.a -lcmocka $(LDLIBS)

# Test modules in the text format (tests/unit/wat/*.wat), assembled with
# wabt's wat2wasm (scripts/setup.sh); a unit test reads them from the
# directory WB_TEST_WASM names.
WAT_WASM := $(patsubst tests/unit/wat/%.wat,$(BUILD)/tests/wasm/%.wasm,\
                       $(wildcard tests/unit/wat/*.wat))
$(BUILD)/tests/wasm/%.wasm: tests/unit/wat/%.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@
$(UNIT_BIN): $(WAT_WASM)
$(UNIT_BIN): CFLAGS += -DWB_TEST_WASM='"$(abspath $(BUILD))/tests/wasm"'

# Unit tests of server code (not part of the library) link its objects.
$(BUILD)/tests/test_http: $(BUILD)/src/server/http_route.o \
                          $(BUILD)/src/server/http_limits.o

# The lock-down's seccomp programs, compiled at build time by a
# generator linked with this build's rules and flags (oslock_seccomp.c
# compiled once more without them): libseccomp building them took 0.7 ms
# of every start. test_seccomp checks them against libseccomp's at run
# time.
$(BUILD)/gen/oslock_seccomp.o: src/sandbox/oslock_seccomp.c $(BUILD)/gen/oslock_seccomp.o.d
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -UWB_SECCOMP_BUILTIN $(DEPFLAGS) -c $< -o $@
$(BUILD)/gen/seccomp_gen: src/sandbox/gen/seccomp_gen.c \
                          $(BUILD)/gen/oslock_seccomp.o $(BUILD)/src/common/error.o
	$(CC) $(CFLAGS) -UWB_SECCOMP_BUILTIN $(LDFLAGS) -o $@ $^ -lseccomp
$(BUILD)/seccomp_builtin.h: $(BUILD)/gen/seccomp_gen
	$< > $@.tmp && mv -f $@.tmp $@
$(BUILD)/src/sandbox/oslock_seccomp.o: $(BUILD)/seccomp_builtin.h
$(BUILD)/src/sandbox/oslock_seccomp.o: CFLAGS += -I$(BUILD) -DWB_SECCOMP_BUILTIN

# the session drivers are embedded with .incbin
$(BUILD)/src/session/wb_session_driver.o: src/session/driver.py src/session/driver.js

$(DEPS):
include $(wildcard $(DEPS))

include mk/tests.mk
include mk/bench.mk
include mk/guests.mk
include mk/api.mk
