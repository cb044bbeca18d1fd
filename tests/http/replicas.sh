#!/bin/bash
# tests/http/replicas.sh [WASMBOX]: three `wasmbox serve --shared-state`
# replicas on 127.0.0.1 share one state directory behind a round-robin
# client (tests/http/replicas.py, which says what is checked): a session
# moves between them with its variables and files, two replicas never run
# one session at once, a SIGKILL mid-step loses only that step, a rolling
# restart under load loses no request. Runs in its own network namespace
# (unshare --net; SKIP without it). Guest images: $WASMBOX_GUESTS
# (default build/guests). Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WASMBOX=$(realpath "${1:-build/wasmbox}")
GUESTS=$(realpath "${WASMBOX_GUESTS:-build/guests}")
if [ ! -f "$GUESTS/python/python.wasm" ]; then
    skip "serve replicas (no $GUESTS/python/python.wasm)"
    summary
    exit
fi
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "serve replicas (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 WASMBOX_GUESTS="$GUESTS" unshare --net \
        bash "$0" "$WASMBOX"
fi
ip link set lo up
server_scratch wasmbox-replicas      # $T (0711)
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key-a"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key-b"
printf 'alice:%s\nbob:%s\n' "$(cat "$T/key-a")" "$(cat "$T/key-b")" > "$T/keys"
chmod 600 "$T/keys" "$T/key-a" "$T/key-b"
cat > "$T/policy.yaml" <<POLICY
budget:
  memory: 256M
  timeout: 40s
session:
  idle_expiry: 1h
  languages: [python]
POLICY
env -u WASMBOX_API_KEYS WASMBOX_GUESTS="$GUESTS" timeout 300 \
    python3 tests/http/replicas.py "$WASMBOX" "$T"
rc=$?
if [ $rc != 0 ] && [ "${WB_KEEP_LOGS:-}" ]; then
    for f in "$T"/r*.log; do echo "== $f"; tail -30 "$f"; done
fi
exit $rc
