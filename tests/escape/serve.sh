#!/usr/bin/env bash
# tests/escape/serve.sh [WASMBOX]: the whole escape suite (the cases of
# tests/escape/run.sh, programs tests/escape/*.c built into
# build/wasi/escape/ by run.sh) as one-shot runs (POST /v1/run, language
# wasm) of `wasmbox serve` with isolation on: each runs in a locked-down,
# reused worker process below the server's zygote. A case's grants come
# from the policy of the server it runs on (one server per set of grants:
# run.sh's --dir/--tmpfs become the policy's grants.dirs/tmpfs, its
# --max-files/--max-stack the policy's budget), its other budgets from the
# request's limits. Each case checks what run.sh checks for the same
# program and arguments: the outcome (and exit code), that nothing
# outside the grants changed, links left by the guest, host file sizes,
# and the worker's peak memory where run.sh checks the host's RSS. The
# path cases run on a server with the default resolution and on one
# started with --x-resolve-walk (as root the lock-down always walks:
# both are the walk). Wall-clock bounds get 1.5 s more than run.sh's for
# HTTP and the worker's hand-over. A one-shot run's "/" is its workspace
# (granted there last, src/session/wb_session_guest.c), not the virtual
# root: vrootesc and vrootnest get the argument "workspace" and check
# that nothing beyond the workspace is reached through it (the virtual
# root's own rules, read-only and listing the grants, do not apply).
# Not here, with reason: run.sh's CLI
# usage errors (no CLI), timeout-stdin and timeout-blocked-stdout (a
# request's stdin is a string and its output is collected by the server,
# not a pipe the guest can block on).
# The grant directories are emptied in place between cases, never made
# again: a reused worker's Landlock rules hold their inodes. Runs itself
# inside `unshare --net` (127.0.0.1 only). One line per failing case,
# then "N passed, N failed, N skipped" (tests/lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-$ROOT/build/wasmbox}")
if [ -z "${WB_ESCAPE_NETNS:-}" ]; then
    WB_ESCAPE_NETNS=1 exec unshare --net bash "$0" "$WB"
fi
ip link set lo up
E=$ROOT/build/wasi/escape
. "$ROOT/tests/lib.sh"
for m in readfile race vrootesc vrootnest linkgrants unlinked fifo deepdirs; do
    if [ ! -f "$E/$m.wasm" ]; then
        fail "no $E/$m.wasm (tests/escape/run.sh builds the programs)"
        summary
        exit 1
    fi
done
server_scratch wbescsrv   # $T, removed at exit with the server ($spid)
W=$T/w
mkdir -p "$W/data" "$W/outside" "$W/ro" "$W/other"
chmod 777 "$W/data" "$W/other"   # written by the workers' user (nobody, as root)
chmod 755 "$W" "$W/ro"

# A fresh world per case (tests/escape/world.sh), in place: the grants'
# directories stay. $SETUP, when set, runs after the world is made;
# what the host made in the writable grants is then opened to the
# workers' user (links are not followed).
. "$ROOT/tests/escape/world.sh"
fresh() {
    find "$W/data" "$W/ro" "$W/outside" "$W/other" -mindepth 1 -delete
    escape_world "$W"
    eval "${SETUP:-}"
    find "$W/data" "$W/other" -mindepth 1 ! -type l -exec chmod a+rwX {} +
}
fingerprint() { escape_fingerprint "$W"; }

KEY=escape-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "escape:$KEY" > "$T/keys"
chmod 600 "$T/keys"

# Grants of the policies (YAML lines under "grants:").
dir() { printf '  dirs:\n' ; for d; do printf '    - {host: %s, guest: %s, mode: %s}\n' ${d//:/ }; done; }
g_main="$(dir "$W/data:/data:rw" "$W/ro:/ro:ro")
  tmpfs:
    - {guest: /tmp, size: 4M}"

# server NAME GRANTS BUDGET-LINES [SERVE-ARGS...]: stop the server that
# runs (checking it), start one with these grants; its URL in $url.
server() {
    local name=$1 grants=$2 budget=$3
    shift 3
    server_stop
    cat > "$T/$name.yaml" <<EOF2
grants:
$grants
budget:
  memory: 256M
  timeout: 10s
  output: 4M
$budget
session:
  languages: [wasm]
EOF2
    SRV=$name FIRST=1
    env -u WASMBOX_API_KEYS "$WB" serve --listen 127.0.0.1:0 --api-keys "$T/keys" \
        --policy "$T/$name.yaml" --state-dir "$T/state-$name" "$@" 2>"$T/$name.log" &
    spid=$!
    url=$(server_url "$T/$name.log")
    if [ -z "$url" ]; then
        fail "server $name did not start: $(head -c 600 "$T/$name.log")"
        summary
        exit 1
    fi
}
# server_stop: one of its cases saw the workers; the server stops cleanly with nothing in its log from a
# sanitizer.
SRV=
server_stop() {
    [ -n "$SRV" ] || return 0
    [ "$FIRST" = 0 ] || fail "$SRV: no case looked for its workers"
    kill "$spid"
    wait "$spid"
    local st=$?
    [ "$st" = 0 ] || fail "$SRV: the server's exit status: $st"
    if grep -qE "runtime error|Sanitizer" "$T/$SRV.log"; then
        fail "$SRV: sanitizer report: $(grep -m3 -E "runtime error|Sanitizer" "$T/$SRV.log")"
    fi
    spid= SRV=
}
# workers PID: the worker processes below the server PID's zygote, in $WORKERS
workers() {
    local z
    WORKERS=
    for z in $(pgrep -P "$1"); do WORKERS+=" $(pgrep -P "$z" | tr '\n' ' ')"; done
    WORKERS=$(echo $WORKERS)
}
# peak_kib: the largest VmHWM (KiB) of the current server's workers
peak_kib() {
    local w m max=0
    workers "$spid"
    for w in $WORKERS; do
        m=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$w/status" 2>/dev/null)
        [ "${m:-0}" -gt "$max" ] && max=$m
    done
    echo "$max"
}

# run_case NAME WANT_OUTCOME WANT_EXIT_CODE|- LIMITS-JSON MODULE ARGS...
# WANT_OUTCOME may be "OUTCOME/exited:CODE": that outcome, or the guest's
# exit with CODE. $BG, when set, is run in the background after the
# world is made and stopped (its pid in $bg) after the request.
run_case() {
    local name=$1 want=$2 code=$3 limits=$4 mod=$5 before after out bg=
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
    if [ -n "${BG:-}" ]; then
        eval "$BG" &
        bg=$!
    fi
    START=$(date +%s%N)
    out=$(curl -s -m 60 -o "$T/res.json" -w '%{http_code}' -X POST \
          -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
          --data-binary @"$T/req.json" "$url/v1/run")
    ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
    if [ -n "$bg" ]; then
        rm -f "$T/moving"
        wait "$bg" 2>/dev/null
    fi
    after=$(fingerprint)
    local got ec
    got=$(jq -r .outcome "$T/res.json" 2>/dev/null)
    ec=$(jq -r .exit_code "$T/res.json" 2>/dev/null)
    if [ "$out" = 200 ] && [ "$got" = exited ] && [ "${want#*/exited:}" != "$want" ] &&
       [ "$ec" = "${want#*/exited:}" ]; then
        want=exited code=-
    fi
    want=${want%%/*}
    # the server's first case that exited ran in a worker below its zygote
    # (kept for the next case; a limit ends it), not on the server's threads
    if [ "$FIRST" = 1 ] && [ "$got" = exited ]; then
        FIRST=0
        workers "$spid"
        [ -n "$WORKERS" ] || fail "$name@$SRV: no worker process below the server"
    fi
    if [ "$out" != 200 ] || [ "$got" != "$want" ]; then
        fail "$name@$SRV: HTTP $out, outcome '$got', want '$want': $(head -c 400 "$T/res.json")"
        return 1
    fi
    if [ "$code" != - ] && [ "$ec" != "$code" ]; then
        fail "$name@$SRV: exit_code $ec, want $code: $(jq -r '.stdout + .stderr' "$T/res.json" | head -c 400)"
        return 1
    fi
    if [ "$before" != "$after" ]; then
        fail "$name@$SRV: something outside the grants changed"
        return 1
    fi
    return 0
}
# elapsed_under NAME MS: the case's request took less than MS
elapsed_under() {
    [ "$ELAPSED_MS" -lt "$2" ] && pass || fail "$1@$SRV: took ${ELAPSED_MS} ms"
}
# host_size_max NAME FILE BYTES: the host file is not larger than BYTES
host_size_max() {
    local size
    size=$(stat -c %s "$2" 2>/dev/null || echo 0)
    [ "$size" -le "$3" ] && pass || fail "$1@$SRV: host file has $size bytes"
}

# ---- paths: both resolutions ---------------------------------------------
long=$(printf 'n%.0s' $(seq 4000))
for mode in default walk; do
    walk=()
    [ $mode = walk ] && walk=(--x-resolve-walk)
    server "main-$mode" "$g_main" "  disk: 64M" "${walk[@]}"
    run_case read-etc-passwd exited 0 '' readfile /etc/passwd \
        /data/../outside/secret ../outside/secret /data/sub/../../outside/secret \
        /proc/self/root/etc/passwd && pass
    run_case dotdot exited 0 '' readfile /data/.. /data/../.. \
        /data/../../../../etc/passwd /data/sub/../../outside -w /data/../outside/new \
        /data/../outside/secret && pass
    run_case host-symlinks exited 0 '' readfile /data/host_abs /data/host_rel \
        /data/host_dir/secret /data/sub/host_deep -w /data/host_rel \
        /data/host_dir/new /data/host_abs && pass
    if run_case guest-symlinks exited 0 '' guestlink; then
        out=$(links_outside "$W/data")
        [ -z "$out" ] && pass || fail "guest-symlinks-host@$SRV: links outside: $out"
    fi
    SETUP='ln -s "'"$long"'/x" "$W/data/longlink"' \
    run_case long-names exited 0 '' readfile "/data/$long" "/data/sub/${long:0:300}/x" \
        /data/longlink -w "/data/$long" "/data/${long:0:256}" && pass
    # the virtual root (issue 22): nothing beyond the grants, no changes
    run_case vroot exited 0 "" vrootesc workspace && pass
    # rename races: the host moves a/b up and back while the guest resolves
    SETUP='mkdir -p "$W/data/a/b/c"; touch "$T/moving"' \
    BG='while [ -e "$T/moving" ]; do mv "$W/data/a/b" "$W/data/b" 2>/dev/null
            mv "$W/data/b" "$W/data/a/b" 2>/dev/null; done' \
    run_case rename-race exited 0 '' race && pass

    # the host's links to the outside stay in their grant
    server "links-$mode" "$(dir "$W/data:/data:rw" "$W/other:/other:rw")" "" "${walk[@]}"
    if run_case link-grants exited 0 '' linkgrants; then
        out=$(links_outside "$W/other")
        [ -z "$out" ] && pass || fail "link-grants-host@$SRV: links outside: $out"
    fi
    # nested grants: none redirected, shadowed or left through another
    server "nested-$mode" "$(dir "$W/data:/data:rw" "$W/ro:/data/sub/ro:ro")
  tmpfs:
    - {guest: /data/sub}" "" "${walk[@]}"
    run_case vroot-nested exited 0 "" vrootnest workspace && pass
    server "proc-$mode" "$(dir /proc:/proc:ro)" "" "${walk[@]}"
    run_case proc-magic-links exited 0 '' readfile /proc/self/root/etc/passwd \
        /proc/self/cwd/etc/passwd /proc/1/root/etc/passwd /proc/self/fd/1 \
        /proc/self/exe -w /proc/self/fd/2 && pass
    server "rorw-$mode" "$(dir "$W/ro:/ro:ro" "$W/data:/rw:rw")" "" "${walk[@]}"
    run_case read-only-grant exited 0 '' writero && pass
done

# ---- budgets, FIFOs, files removed while open: on the host grant ----------
server main "$g_main" "  disk: 64M"
if run_case max-disk disk-limit - '{"disk": "1M"}' disk /data/big; then
    host_size_max max-disk "$W/data/big" 1048576
fi
if run_case max-disk-entries disk-limit - '{"disk": "1M"}' mkdirs; then
    n=$(find "$W/data" -mindepth 1 -maxdepth 1 -name '[df]*' | wc -l)
    [ "$n" -le 257 ] && pass || fail "max-disk-entries@$SRV: $n entries made"
fi
# a refused memory.grow: malloc returns NULL (exit 3) or outcome memory;
# either way the peak stays under the limit (and the program got 16M)
if run_case max-memory memory/exited:3 - '{"memory": "32M"}' memory; then
    peak=$(jq -r .usage.peak_memory "$T/res.json")
    [ "${peak:-0}" -le $((32 << 20)) ] && [ "${peak:-0}" -ge $((16 << 20)) ] &&
        pass || fail "max-memory@$SRV: peak_memory $peak"
fi
run_case fuel fuel - '{"fuel": 1000000}' spin && pass
run_case timeout-loop timeout - '{"timeout": 1}' spin && elapsed_under timeout-loop 3000
run_case timeout-sleep timeout - '{"timeout": 1}' sleep && elapsed_under timeout-sleep 3000
# 1 GiB of output against 1 MiB: cut, flagged, and the worker stays small
if run_case max-output output-limit - '{"output": "1M"}' flood; then
    n=$(jq -r '.stdout | length' "$T/res.json")
    if [ "$(jq -r .truncated.stdout "$T/res.json")" != true ] || [ "$n" != 1048576 ]; then
        fail "max-output@$SRV: not cut at 1 MiB: $n characters, $(jq -c .truncated "$T/res.json")"
    elif [ "$(peak_kib)" -gt 131072 ]; then
        fail "max-output@$SRV: worker peak RSS $(peak_kib) KiB"
    else pass; fi
fi
run_case poll-overlap exited 0 '' pollover && pass
# FIFOs in a grant: a blocked write or read ends at the timeout; no
# writer, no reader, pread/pwrite and O_NONBLOCK answer at once
for op in write read; do
    SETUP='mkfifo "$W/data/fifo"' run_case "fifo-$op-timeout" timeout - \
        '{"timeout": 2}' fifo $op /data/fifo && elapsed_under "fifo-$op-timeout" 5500
done
for op in nowriter noreader nonblock; do
    SETUP='mkfifo "$W/data/fifo"' run_case "fifo-$op" exited 0 '{"timeout": 2}' \
        fifo $op /data/fifo && elapsed_under "fifo-$op" 3000
done
UNLINKED="into-removed-dir removed-parent renamed-over removed-file left-open hard-links"
for c in $UNLINKED; do
    run_case "unlinked-$c/host" exited 0 '' unlinked "$c" && pass
done
# holes count against the disk budget at their apparent size
for how in pwrite seek; do
    run_case "hole-host/$how" disk-limit - '{"disk": "1M"}' hole /data/big \
        $((1 << 40)) "$how" && host_size_max "hole-host/$how" "$W/data/big" 1048576
done
# a long host call ends at the deadline too (random_get of 240 MiB a call)
run_case random-get-timeout timeout - '{"timeout": "100ms"}' randomget 240 &&
    elapsed_under random-get-timeout 2500

# ---- tmpfs grants --------------------------------------------------------
server tmpfs "  tmpfs:
    - {guest: /data}
    - {guest: /other}" "  disk: 64M"
run_case max-disk-tmpfs disk-limit - '{"disk": "1M"}' disk /data/big && pass
for c in $UNLINKED; do
    run_case "unlinked-$c/tmpfs" exited 0 '' unlinked "$c" && pass
done
run_case tmpfs-links exited 0 '' tmplink && pass
run_case guest-symlinks/tmpfs exited 0 '' guestlink && pass
server tmpfs-512K "  tmpfs:
    - {guest: /data, size: 512K}" "  disk: 64M"
run_case tmpfs-full exited 3 '' disk /data/big && pass
server tmpfs-64K "  tmpfs:
    - {guest: /data, size: 64K}" "  disk: 64M"
run_case tmpfs-link-space exited 0 '' tmplink space && pass
# 300,000 nested directories left in place, freed at the end
server tmpfs-128M "  tmpfs:
    - {guest: /data, size: 128M}" "  disk: 2G"
run_case tmpfs-deep-tree exited 0 '' deepdirs 300000 && pass
# a tmpfs keeps no host memory for a hole (it reads as zeros): the
# workers' peak RSS stays small (only these two cases ran on them)
server tmpfs-1G "  tmpfs:
    - {guest: /data, size: 1G}" "  disk: 2G"
run_case hole-tmpfs-budget disk-limit - '{"memory": "16M", "disk": "1M"}' \
    hole /data/big 500000000 && pass
run_case hole-tmpfs-sparse exited 0 '{"memory": "16M", "disk": "2G"}' \
    hole /data/big 500000000 seek && pass
rss=$(peak_kib)
[ "$rss" -gt 0 ] && [ "$rss" -le $((96 * 1024)) ] && pass ||
    fail "hole-tmpfs@$SRV: worker peak RSS $rss KiB"
# budget: files 64, stack 1000 (the policy's; a request cannot set them)
server files-stack "  tmpfs:
    - {guest: /data}" "  disk: 64M
  files: 64
  stack: 1000"
run_case max-files exited 0 '' manyfiles && pass
if run_case max-stack trap - '' recurse; then
    grep -q "call stack exhausted" <<<"$(jq -r .message "$T/res.json")" && pass ||
        fail "max-stack@$SRV: trap message: $(jq -r .message "$T/res.json")"
fi
run_case after-all exited 0 '' readfile /etc/passwd && pass
server_stop
summary
