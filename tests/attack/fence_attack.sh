#!/bin/bash
# tests/attack/fence_attack.sh WASMBOX PHASE...: round 5 reproducers
# (fencing, not a suite): three `serve --shared-state` replicas on
# 127.0.0.1 inside their own network namespace; PHASEs are listed at the
# top of fence_attack.py. Env: TTL (default 2s), WASMBOX_GUESTS.
set -u
if [ -z "${WB_IN_NETNS:-}" ]; then exec env WB_IN_NETNS=1 unshare --net bash "$0" "$@"; fi
ip link set lo up
T=$(mktemp -d /tmp/fa.XXXXXX); chmod 711 $T
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key-a"
printf 'alice:%s\n' "$(cat "$T/key-a")" > "$T/keys"
chmod 600 "$T/keys"
printf 'budget:\n  memory: 256M\n  timeout: 40s\nsession:\n  idle_expiry: 1h\n  languages: [python, shell]\n' > $T/policy.yaml
W=$1; shift
env -u WASMBOX_API_KEYS python3 "$(dirname "$0")/fence_attack.py" "$W" "$T" "$@"
echo "dir $T"
