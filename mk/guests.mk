# mk/guests.mk: language runtimes for wasm32-wasi (included by the Makefile).
#   make guests        build python, js, lua and sqlite into $(BUILD)/guests
#                      (sources and builds cached in $WASMBOX_CACHE,
#                      default ~/.cache/wasmbox; ~10 min the first time)
#   make guests-check  tests/guests/run.sh against $(BUILD)/wasmbox
#   GUESTS="js lua"    build only some of them
GUESTS ?=

.PHONY: guests guests-check
guests:
	@WB_OUT=$(abspath $(BUILD))/guests scripts/guests/build.sh $(GUESTS)

guests-check: all
	@WB_BUILD=$(abspath $(BUILD)) bash tests/guests/run.sh
