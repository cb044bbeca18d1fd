#!/bin/bash
# wire-check.sh: the short run of the worker-protocol fuzzer (make
# fuzz-wire builds the target first): fuzz/wire-regress (the inputs of
# fixed findings) and its two seeds, then SECONDS_LEFT seconds of
# fuzzing (fuzz/seeded-check.sh).
exec bash "$(dirname "$0")/seeded-check.sh" wire WB_WIRE_SEEDS 2 200000 \
    fuzz/wire-regress
