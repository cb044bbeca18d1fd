#!/bin/bash
# tests/mcp/run.sh: the MCP server tests. Installs the pinned MCP SDK
# (package-lock.json) into tests/mcp/node_modules when missing, then
# drives build/wasmbox with it (mcp.test.mjs), then attacks it as a
# hostile client (attack.test.mjs, raw JSON-RPC). Last line: the two
# files' counts added, "N passed, N failed, N skipped".
# Cases that need a guest runtime that is not built are skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
export WB_BUILD=${WB_BUILD:-$here/../../build}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    fail "mcp tests: node and npm are needed (apt-get install nodejs npm)"
    summary
    exit
fi
if [ ! -x "$WB_BUILD/wasmbox" ]; then
    fail "mcp tests: $WB_BUILD/wasmbox is not built (run make)"
    summary
    exit
fi
# install exactly the locked versions (once; again when the lock changes)
stamp=$here/node_modules/.wasmbox-lock
if [ ! -f "$stamp" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
        fail "mcp tests: npm ci failed"
        summary
        exit
    fi
    cp "$here/package-lock.json" "$stamp"
fi
for t in mcp attack; do
    log=$(mktemp)
    node "$here/$t.test.mjs" | tee "$log"
    add_counts "$(tail -n 1 "$log")" ||
        fail "mcp tests: $t.test.mjs ended without its summary line"
    rm -f "$log"
done
summary
