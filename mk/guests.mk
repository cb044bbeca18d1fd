# mk/guests.mk: language runtimes for wasm32-wasi (included by the Makefile).
#   make guests        build python, js, lua and sqlite into $(BUILD)/guests
#                      (sources and builds cached in $WASMBOX_CACHE,
#                      default ~/.cache/wasmbox; ~10 min the first time)
#                      then python/python.snap (make guest-snapshots)
#   make guest-snapshots  python/python.snap: CPython at its ready point
#                      (docs/snapshots.md), for the images in
#                      $WASMBOX_GUESTS or $(BUILD)/guests, without
#                      rebuilding them (seconds; rerun after any change
#                      of wasmbox: a snapshot is bound to its version)
#   make guests-check  tests/guests/run.sh and preinit.sh against
#                      $(BUILD)/wasmbox
#   make cpython-tests CPython's own regression tests in the guest, the
#                      full list of tests/cpython/modules (make check runs
#                      its fast tier); builds the guests first unless
#                      WASMBOX_GUESTS names the images
#   GUESTS="js lua"    build only some of them
GUESTS ?=

.PHONY: guests guests-check cpython-tests guest-snapshots
guests:
	@WB_OUT=$(abspath $(BUILD))/guests scripts/guests/build.sh $(GUESTS)
	@if [ -f $(BUILD)/guests/python/python.wasm ]; then \
	    $(MAKE) --no-print-directory guest-snapshots \
	        WASMBOX_GUESTS=$(abspath $(BUILD))/guests; fi

guest-snapshots: all
	@WASMBOX_GUESTS=$${WASMBOX_GUESTS:-$(abspath $(BUILD))/guests} \
	    $(BUILD)/wasmbox guest-snapshot python

guests-check: all
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/run.sh
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/preinit.sh

cpython-tests: all
	@if [ -z "$$WASMBOX_GUESTS" ]; then $(MAKE) --no-print-directory guests; fi
	@WB_BUILD=$(abspath $(BUILD)) bash tests/cpython/run.sh full
