#!/bin/bash
# snapshot-check.sh: the short run of the snapshot-loader fuzzer (make
# fuzz-snapshot builds the target first): its four seeds, then
# SECONDS_LEFT seconds of fuzzing (fuzz/seeded-check.sh).
exec bash "$(dirname "$0")/seeded-check.sh" snapshot WB_SNAPSHOT_SEEDS 4 300000
