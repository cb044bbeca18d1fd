#!/bin/bash
# net-check.sh: the run of the wasmbox_http fuzzer (make fuzz-net builds
# the target first) inside a network namespace of its own (unshare --net
# --mount, only lo up: no packet can leave the machine), where a hosts
# file naming the test hosts is bind-mounted over /etc/hosts and names
# are looked up in files only (no DNS query is ever sent): fuzz/net-regress
# (the inputs of fixed findings) and its seeds, then SECONDS_LEFT seconds
# of fuzzing with fuzz/net.dict (fuzz/seeded-check.sh). CORPUS=DIR keeps
# what the fuzzing finds there. Last line: "N passed, N failed".
#   fuzz/net-check.sh --run ARGS...: only run $FUZZ_DIR/fuzz_net ARGS
#   there (a reproducer; WB_NET_TRACE=1 prints its calls).
set -u
cd "$(dirname "$0")/.."
if [ -z "${WB_NET_INSIDE:-}" ]; then
    for tool in unshare ip mount; do
        command -v $tool >/dev/null ||
            { echo "FAIL $tool is missing"; echo "0 passed, 1 failed"; exit 1; }
    done
    WB_NET_INSIDE=1 exec unshare --net --mount bash "$0" "$@"
fi
ip link set lo up
etc=$(mktemp -d)
trap 'rm -rf "$etc"' EXIT
# the names of net.h's and net_seeds.c's hosts: loopback, the second
# loopback address (only the range rule reaches it), IPv6 forms of
# loopback, private, link-local and public addresses
cat > "$etc/hosts" <<'HOSTS'
127.0.0.1 localhost api.test other.test
127.0.0.2 two.test
::1 localhost six.test
::ffff:127.0.0.1 mapped.test
64:ff9b::7f00:1 nat.test
10.0.0.7 evil.test
169.254.169.254 meta.test
192.168.1.5 lan.test
198.51.100.7 pub.test
HOSTS
printf 'hosts: files\n' > "$etc/nsswitch.conf"
mount --bind "$etc/hosts" /etc/hosts &&
    mount --bind "$etc/nsswitch.conf" /etc/nsswitch.conf ||
    { echo "FAIL cannot mount the test hosts file"; echo "0 passed, 1 failed"; exit 1; }
# One CA of the system's instead of its ~140: https requests (which fail
# against the plain server anyway) need not parse them all each time.
sed -n '1,/END CERTIFICATE/p' /etc/ssl/certs/ca-certificates.crt \
    > "$etc/ca.pem" 2>/dev/null && export WASMBOX_CA_FILE=$etc/ca.pem
if [ "${1:-}" = --run ]; then
    shift
    "${FUZZ_DIR:-build/fuzz}/fuzz_net" "$@"
    exit
fi
FUZZ_EXTRA="-dict=fuzz/net.dict" \
    bash fuzz/seeded-check.sh net WB_NET_SEEDS 16 4096 fuzz/net-regress
