# mk/guests.mk: language runtimes for wasm32-wasi (included by the Makefile).
#   make guests        build python, js, lua, sqlite and shell (dash and
#                      busybox) into $(BUILD)/guests
#                      (sources and builds cached in $WASMBOX_CACHE,
#                      default ~/.cache/wasmbox; ~10 min the first time)
#                      then python/python.snap (make guest-snapshots),
#                      then their machine code (make guests-native;
#                      GUESTS_NATIVE=0 leaves it out)
#   make guests-native the runtimes of $WASMBOX_GUESTS or $(BUILD)/guests
#                      compiled into the native code cache
#                      ($XDG_CACHE_HOME/wasmbox/native), those not cached
#                      for this build yet, within GUESTS_NATIVE_SECONDS
#                      (default 1800) for all (scripts/guests/native.sh;
#                      docs/native-tier.md, "Guests")
#   make guest-snapshots  python/python.snap: CPython at its ready point
#                      (docs/snapshots.md), for the images in
#                      $WASMBOX_GUESTS or $(BUILD)/guests, without
#                      rebuilding them (seconds; rerun after any change
#                      of wasmbox: a snapshot is bound to its version)
#   make guests-check  tests/guests/run.sh, preinit.sh, pyproc.sh,
#                      pypkgs.sh and shell.sh against
#                      $(BUILD)/wasmbox
#   make cpython-tests CPython's own regression tests in the guest, the
#                      full list of tests/cpython/modules (make check runs
#                      its fast tier); builds the guests first unless
#                      WASMBOX_GUESTS names the images
#   make guests-numpy  OPT-IN (issue 20): python.wasm with numpy 1.24
#                      built in, as a guests directory of its own,
#                      $(BUILD)/guests-numpy (WASMBOX_GUESTS=...);
#                      scripts/guests/numpy.sh, README "numpy"
#   GUESTS="js lua"    build only some of them (GUESTS=shell: dash.wasm,
#                      busybox.wasm and applets in $(BUILD)/guests/shell)
GUESTS ?=
GUESTS_NATIVE ?= 1
GUESTS_NATIVE_SECONDS ?= 1800

.PHONY: guests guests-numpy guests-check cpython-tests guest-snapshots guests-native
guests:
	@WB_OUT=$(abspath $(BUILD))/guests scripts/guests/build.sh $(GUESTS)
	@if [ -f $(BUILD)/guests/python/python.wasm ]; then \
	    $(MAKE) --no-print-directory guest-snapshots \
	        WASMBOX_GUESTS=$(abspath $(BUILD))/guests; fi
	@if [ "$(GUESTS_NATIVE)" != 0 ]; then \
	    $(MAKE) --no-print-directory guests-native \
	        WASMBOX_GUESTS=$(abspath $(BUILD))/guests; fi

guests-numpy:
	@WB_OUT=$(abspath $(BUILD))/guests WB_NUMPY_OUT=$(abspath $(BUILD))/guests-numpy \
	    scripts/guests/build.sh python numpy

guests-native: all
	@scripts/guests/native.sh $(BUILD)/wasmbox \
	    $${WASMBOX_GUESTS:-$(abspath $(BUILD))/guests} $(GUESTS_NATIVE_SECONDS)

guest-snapshots: all
	@WASMBOX_GUESTS=$${WASMBOX_GUESTS:-$(abspath $(BUILD))/guests} \
	    $(BUILD)/wasmbox guest-snapshot python

guests-check: all
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/run.sh
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/preinit.sh
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/pyproc.sh
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/pypkgs.sh
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/shell.sh

cpython-tests: all
	@if [ -z "$$WASMBOX_GUESTS" ]; then $(MAKE) --no-print-directory guests; fi
	@WB_BUILD=$(abspath $(BUILD)) bash tests/cpython/run.sh full
