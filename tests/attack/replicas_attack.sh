#!/bin/bash
# tests/attack/replicas_attack.sh WASMBOX PHASE...: round 4 reproducers
# (not a suite): three `serve --shared-state` replicas in their own
# network namespace; PHASEs: hostile keys longstep stop stopall race same
# links kill drain (env TTL=1s, DUR=seconds, EXTRA="--drain-delay 2s").
set -u
if [ -z "${WB_IN_NETNS:-}" ]; then exec env WB_IN_NETNS=1 unshare --net bash "$0" "$@"; fi
ip link set lo up
T=$(mktemp -d /tmp/sa.XXXXXX); chmod 711 $T
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key-a"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key-b"
printf 'alice:%s\nbob:%s\n' "$(cat "$T/key-a")" "$(cat "$T/key-b")" > "$T/keys"
chmod 600 "$T/keys"
printf 'budget:\n  memory: 256M\n  timeout: 40s\nsession:\n  idle_expiry: 1h\n  languages: [python]\n' > $T/policy.yaml
W=$1; shift
env -u WASMBOX_API_KEYS python3 "$(dirname "$0")/replicas_attack.py" "$W" "$T" "$@"
echo "dir $T"
