#!/usr/bin/env bash
# tests/escape/serve.sh [WASMBOX]: the escape suite's programs
# (tests/escape/*.c, built into build/wasi/escape/ by tests/escape/run.sh)
# as one-shot runs (POST /v1/run, language wasm) of `wasmbox serve` with
# isolation on: each runs in a locked-down, reused worker process. The
# grants come from the server's policy (data/ read-write at /data, ro/
# read-only at /ro, a tmpfs at /tmp), the budgets from the request's
# limits. Each case checks the outcome (and exit code) run.sh checks for
# the same program and arguments, and that nothing outside the grants
# changed. The grant directories are emptied in place between cases, not
# made again: a reused worker's Landlock rules hold their inodes.
# Runs itself inside `unshare --net` (127.0.0.1 only). One line per
# failing case, then "N passed, N failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
if [ -z "${WB_ESCAPE_NETNS:-}" ]; then
    WB_ESCAPE_NETNS=1 exec unshare --net bash "$0" "$WB"
fi
ip link set lo up
E=$ROOT/build/wasi/escape
. "$ROOT/tests/lib.sh"
if [ ! -f "$E/readfile.wasm" ]; then
    fail "no $E/readfile.wasm (tests/escape/run.sh builds the programs)"
    summary
    exit 1
fi
server_scratch wbescsrv   # $T, removed at exit with the server ($spid)
W=$T/w
mkdir -p "$W/data" "$W/outside" "$W/ro"
chmod 777 "$W/data"   # written by the workers' user (nobody, as root)
chmod 755 "$W" "$W/ro"

# A fresh world per case (tests/escape/world.sh), in place: the grants'
# directories stay.
. "$ROOT/tests/escape/world.sh"
fresh() {
    find "$W/data" "$W/ro" "$W/outside" -mindepth 1 -delete
    escape_world "$W"
    chmod 777 "$W/data/sub"
}
fingerprint() { escape_fingerprint "$W"; }
fresh

KEY=escape-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "escape:$KEY" > "$T/keys"
chmod 600 "$T/keys"
cat > "$T/policy.yaml" <<EOF2
grants:
  dirs:
    - host: $W/data
      guest: /data
      mode: rw
    - host: $W/ro
      guest: /ro
      mode: ro
  tmpfs:
    - guest: /tmp
      size: 4M
budget:
  memory: 256M
  timeout: 10s
  output: 4M
  disk: 64M
session:
  languages: [wasm]
EOF2
env -u WASMBOX_API_KEYS "$WB" serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
    --policy "$T/policy.yaml" --state-dir "$T/state" 2>"$T/log" &
spid=$!
url=$(server_url "$T/log")
[ -n "$url" ] || { fail "the server did not start: $(cat "$T/log")"; summary; exit 1; }

# run_case NAME WANT_OUTCOME WANT_EXIT_CODE|- LIMITS-JSON MODULE ARGS...
# WANT_OUTCOME may be "OUTCOME/exited:CODE": that outcome, or the guest's
# exit with CODE.
run_case() {
    local name=$1 want=$2 code=$3 limits=$4 mod=$5 before after out
    shift 5
    fresh
    before=$(fingerprint)
    python3 - "$E/$mod.wasm" "$limits" "$@" > "$T/req.json" <<'EOF2'
import base64, json, sys
d = {"language": "wasm", "args": sys.argv[3:],
     "module": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}
if sys.argv[2]:
    d["limits"] = json.loads(sys.argv[2])
print(json.dumps(d))
EOF2
    START=$(date +%s%N)
    out=$(curl -s -m 60 -o "$T/res.json" -w '%{http_code}' -X POST \
          -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
          --data-binary @"$T/req.json" "$url/v1/run")
    ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
    after=$(fingerprint)
    local got ec
    got=$(jq -r .outcome "$T/res.json" 2>/dev/null)
    ec=$(jq -r .exit_code "$T/res.json" 2>/dev/null)
    if [ "$out" = 200 ] && [ "$got" = exited ] && [ "${want#*/exited:}" != "$want" ] &&
       [ "$ec" = "${want#*/exited:}" ]; then
        want=exited code=-
    fi
    want=${want%%/*}
    if [ "$out" != 200 ] || [ "$got" != "$want" ]; then
        fail "$name: HTTP $out, outcome '$got', want '$want': $(head -c 400 "$T/res.json")"
        return 1
    fi
    if [ "$code" != - ] && [ "$ec" != "$code" ]; then
        fail "$name: exit_code $ec, want $code: $(jq -r .stdout "$T/res.json" | head -c 400)"
        return 1
    fi
    if [ "$before" != "$after" ]; then
        fail "$name: something outside the grants changed"
        return 1
    fi
    return 0
}

run_case read-etc-passwd exited 0 '' readfile /etc/passwd \
    /data/../outside/secret ../outside/secret /data/sub/../../outside/secret \
    /proc/self/root/etc/passwd && pass
run_case dotdot exited 0 '' readfile /data/.. /data/../.. \
    /data/../../../../etc/passwd /data/sub/../../outside -w /data/../outside/new \
    /data/../outside/secret && pass
run_case host-symlinks exited 0 '' readfile /data/host_abs /data/host_rel \
    /data/host_dir/secret /data/sub/host_deep -w /data/host_rel \
    /data/host_dir/new /data/host_abs && pass
run_case guest-symlinks exited 0 '' guestlink && pass
run_case read-only-grant exited 0 '' writero && pass
run_case fuel fuel - '{"fuel": 1000000}' spin && pass
if run_case timeout-loop timeout - '{"timeout": 1}' spin; then
    [ "$ELAPSED_MS" -lt 3000 ] && pass || fail "timeout-loop: took ${ELAPSED_MS} ms"
fi
if run_case timeout-sleep timeout - '{"timeout": 1}' sleep; then
    [ "$ELAPSED_MS" -lt 3000 ] && pass || fail "timeout-sleep: took ${ELAPSED_MS} ms"
fi
# a refused memory.grow: malloc returns NULL (exit 3) or outcome memory;
# either way the peak stays under the limit
if run_case max-memory memory/exited:3 - '{"memory": "32M"}' memory; then
    peak=$(jq -r .usage.peak_memory "$T/res.json")
    [ "${peak:-0}" -le $((32 << 20)) ] && pass || fail "max-memory: peak_memory $peak"
fi
if run_case max-output output-limit - '{"output": "1M"}' flood; then
    [ "$(jq -r .truncated.stdout "$T/res.json")" = true ] && pass ||
        fail "max-output: not flagged as cut"
fi
if run_case max-disk disk-limit - '{"disk": "1M"}' disk /data/big; then
    size=$(stat -c %s "$W/data/big" 2>/dev/null || echo 0)
    [ "$size" -le 1048576 ] && pass || fail "max-disk: host file has $size bytes"
fi
run_case poll-overlap exited 0 '' pollover && pass
run_case max-stack trap - '' recurse && pass
# the server keeps answering after all of it, and the runs ran in its
# workers (processes below its zygote), not on its threads
run_case after-all exited 0 '' readfile /etc/passwd && pass
kids=$(for z in $(pgrep -P "$spid"); do pgrep -P "$z"; done | wc -l)
[ "$kids" -gt 0 ] && pass || fail "isolation: no worker process below the server"
summary
