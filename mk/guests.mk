# mk/guests.mk: language runtimes for wasm32-wasi (included by the Makefile).
#   make guests        build python, js, lua and sqlite into $(BUILD)/guests
#                      (sources and builds cached in $WASMBOX_CACHE,
#                      default ~/.cache/wasmbox; ~10 min the first time)
#   make guests-check  tests/guests/run.sh against $(BUILD)/wasmbox
#   make cpython-tests CPython's own regression tests in the guest, the
#                      full list of tests/cpython/modules (make check runs
#                      its fast tier); builds the guests first unless
#                      WASMBOX_GUESTS names the images
#   GUESTS="js lua"    build only some of them
GUESTS ?=

.PHONY: guests guests-check cpython-tests
guests:
	@WB_OUT=$(abspath $(BUILD))/guests scripts/guests/build.sh $(GUESTS)

guests-check: all
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/run.sh

cpython-tests: all
	@if [ -z "$$WASMBOX_GUESTS" ]; then $(MAKE) --no-print-directory guests; fi
	@WB_BUILD=$(abspath $(BUILD)) bash tests/cpython/run.sh full
