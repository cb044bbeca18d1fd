#!/bin/bash
# tests/http/native.sh: `wasmbox serve` running sessions and one-shot
# runs in the native tier (docs/native-tier.md, "Sessions"), with
# isolation on: the code is mapped by the zygote before it forks, and the
# workers' seccomp filter still kills any PROT_EXEC mapping.
#
#   tests/http/native.sh [path/to/wasmbox]
#
# Part 1, whenever the build has the native tier and clang targets
# wasm32-wasi: a stand-in "lua" runtime (stub.c below: echoes its stdin,
# spins on "spin") compiled into a private cache. /v1/run and a session
# step say "tier": "native" and give its output; a spinning step ends at
# its timeout in native code; --tier interp, the policy's session.tier:
# interp and an empty cache give "interp" (the server compiles nothing);
# a damaged cache file is refused with one line in the log; a worker
# that tries to make memory executable is still killed (with the test
# binary tests/wasmbox-attempt beside WASMBOX).
# Part 2, Python itself, when python.wasm's code for this build is in
# $WB_NATIVE_CACHE_HOME (default $XDG_CACHE_HOME, else ~/.cache), where
# `make guests-native` puts it (scripts/check.sh sets it); otherwise one
# skip line. The ASan build always skips it: its code differs from the
# normal build's (explicit bounds checks) and is not precompiled.
# Network: 127.0.0.1 only, in a network namespace of its own (unshare
# --net). Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WASMBOX=$(realpath "${1:-build/wasmbox}")
GUESTS=${WASMBOX_GUESTS:-build/guests}
NCACHE=${WB_NATIVE_CACHE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}}
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "native-tier sessions (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 WASMBOX_GUESTS="$GUESTS" \
        WB_NATIVE_CACHE_HOME="$NCACHE" unshare --net bash "$0" "$WASMBOX"
fi
ip link set lo up
T=$(mktemp -d /tmp/wasmbox-http-native.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

# serve NAME CACHE_HOME ARGS...: a server with isolation (the default),
# its log $T/NAME.log; sets U to its URL
serve() {
    local name=$1 cache=$2; shift 2
    (exec env -u WASMBOX_API_KEYS XDG_CACHE_HOME="$cache" "$WASMBOX" serve \
        --listen 127.0.0.1:0 --insecure-no-auth \
        --state-dir "$T/state-$name" "$@") 2>"$T/$name.log" &
    PIDS+=($!)
    U=$(server_url "$T/$name.log")
    [ -n "$U" ] || { echo "server $name did not start:"; cat "$T/$name.log"; }
}
stop() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }
# post URL JSON: the answer in $T/body
post() { curl -s -o "$T/body" -X POST "$1" -d "$2"; }
jget() { python3 -c "import json; j=json.load(open('$T/body')); print($1)" 2>/dev/null; }
run_json() {   # run_json LANG CODE [extra json]
    python3 -c 'import json,sys; d={"language":sys.argv[1],"code":sys.argv[2]}; d.update(json.loads(sys.argv[3] if len(sys.argv)>3 else "{}")); print(json.dumps(d))' "$@"
}
# outcome TIER: the last answer's (outcome, tier) pair as Python prints it
pair() { jget "(j['outcome'], j['tier'])"; }

# ---- part 1: a stand-in runtime -----------------------------------------
if [ ! -e "$(dirname "$WASMBOX")/libwasmbox-native.so" ]; then
    skip "stand-in runtime, native (this build has no native tier)"
elif ! cat > "$T/stub.c" <<'EOF' || ! clang --target=wasm32-wasi -O2 "$T/stub.c" -o "$T/stub.wasm" 2>"$T/clang.log"; then
#include <stdio.h>
#include <string.h>
int main(void)
{
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    if (strstr(buf, "spin"))
        for (volatile unsigned long i = 0;; i++)
            ;
    printf("stub ran: %s\n", buf);
    return 0;
}
EOF
    skip "stand-in runtime, native (clang --target=wasm32-wasi: $(head -1 "$T/clang.log"))"
else
    mkdir -p "$T/guests/lua" && cp "$T/stub.wasm" "$T/guests/lua/lua.wasm"
    mkdir -m 700 "$T/cache" "$T/empty"
    printf 'budget:\n  timeout: 10s\nsession:\n  languages: [lua]\n' > "$T/policy.yaml"
    XDG_CACHE_HOME="$T/cache" "$WASMBOX" compile "$T/guests/lua/lua.wasm" \
        > "$T/compiled" 2>"$T/compile.err"
    RC=$?
    check "the stand-in runtime compiles into the cache (exit $RC)" \
        [ "$RC" = 0 -a -s "$(head -1 "$T/compiled")" ]
    [ "$RC" = 0 ] || head -5 "$T/compile.err"

    serve native "$T/cache" --policy "$T/policy.yaml" --guests "$T/guests"
    post "$U/v1/run" "$(run_json lua hello)"
    check "/v1/run: native, and the runtime's output" \
        [ "$(pair)" = "('exited', 'native')" -a "$(jget "j['stdout']")" = "stub ran: hello" ]
    START=$(date +%s%N)
    post "$U/v1/run" "$(run_json lua spin '{"limits": {"timeout": "500ms"}}')"
    MS=$(( ($(date +%s%N) - START) / 1000000 ))
    check "/v1/run: a loop in native code ends at its timeout (${MS} ms)" \
        [ "$(pair)" = "('timeout', 'native')" -a "$MS" -lt 8000 ]
    post "$U/v1/sessions" '{}'
    S=$U/v1/sessions/$(jget "j['id']")
    post "$S/exec" "$(run_json lua step1)"
    check "session step: native, its output" \
        [ "$(pair)" = "('exited', 'native')" -a "$(jget "j['stdout']")" = "stub ran: step1" ]
    post "$S/exec" "$(run_json lua spin '{"limits": {"timeout": "300ms"}}')"
    check "session step: a loop in native code ends at its timeout" \
        [ "$(pair)" = "('timeout', 'native')" ]
    post "$S/exec" "$(run_json lua after)"
    check "session step after the timeout: native again" \
        [ "$(pair)" = "('exited', 'native')" ]
    check "no worker crashed, nothing refused (log)" \
        bash -c "! grep -Eq 'incident|refused|seccomp' '$T/native.log'"
    check "the log names the runtime that runs natively" \
        grep -q 'native code from the cache for: lua$' "$T/native.log"
    stop

    # the lock-down still holds with the code mapped: a worker that tries
    # to make memory executable is killed (tests/oslock/attempt.c's hook)
    A=$(dirname "$WASMBOX")/tests/wasmbox-attempt
    if [ -x "$A" ]; then
        WASMBOX=$A serve attempt "$T/cache" --policy "$T/policy.yaml" \
            --guests "$T/guests"
        post "$U/v1/run" "$(run_json lua '#wb-test-attempt:mprotect')"
        check "native code mapped: mprotect to executable still kills the worker" \
            grep -q 'stopped by seccomp at system call [0-9]* (mprotect)' "$T/attempt.log"
        post "$U/v1/run" "$(run_json lua hello)"
        check "... and the next run is native" [ "$(pair)" = "('exited', 'native')" ]
        stop
    else
        skip "mprotect with native code mapped (no $A: make $A)"
    fi

    serve interp "$T/cache" --policy "$T/policy.yaml" --guests "$T/guests" \
        --tier interp
    post "$U/v1/run" "$(run_json lua hello)"
    check "--tier interp: the interpreter" [ "$(pair)" = "('exited', 'interp')" ]
    check "... and the log names no native runtime" \
        bash -c "! grep -q 'native code' '$T/interp.log'"
    stop
    printf 'session:\n  languages: [lua]\n  tier: interp\n' > "$T/interp.yaml"
    serve pol "$T/cache" --policy "$T/interp.yaml" --guests "$T/guests"
    post "$U/v1/run" "$(run_json lua hello)"
    check "policy session.tier: interp: the interpreter" \
        [ "$(pair)" = "('exited', 'interp')" ]
    stop
    printf 'session:\n  tier: native\n' > "$T/bad.yaml"
    "$WASMBOX" serve --listen 127.0.0.1:0 --policy "$T/bad.yaml" 2>"$T/bad.log"
    RC=$?
    check "policy session.tier: native -> exit 2, one line naming it" \
        [ "$RC" = 2 -a "$(wc -l < "$T/bad.log")" = 1 -a \
          -n "$(grep "bad tier 'native'" "$T/bad.log")" ]

    serve empty "$T/empty" --policy "$T/policy.yaml" --guests "$T/guests"
    post "$U/v1/run" "$(run_json lua hello)"
    check "nothing cached: the interpreter" [ "$(pair)" = "('exited', 'interp')" ]
    check "... and the server compiled nothing" \
        [ -z "$(find "$T/empty" -type f)" ]
    stop

    F=$(head -1 "$T/compiled")
    if [ ! -f "$F" ]; then
        fail "a damaged cache file: no compiled file to damage"
    else
        printf '\x55' | dd of="$F" bs=1 seek=$(( $(stat -c %s "$F") / 2 )) \
            conv=notrunc status=none
        serve damaged "$T/cache" --policy "$T/policy.yaml" --guests "$T/guests"
        post "$U/v1/run" "$(run_json lua hello)"
        check "a damaged cache file: the interpreter" \
            [ "$(pair)" = "('exited', 'interp')" ]
        check "... refused with one line in the log" \
            [ "$(grep -c 'native code refused' "$T/damaged.log")" = 1 ]
        stop
    fi
fi

# ---- part 2: Python -------------------------------------------------------
PY=$GUESTS/python/python.wasm
if [ ! -f "$PY" ]; then
    skip "Python, native (no $PY)"
else
    # Is python.wasm's code for this build cached? (-V exits before the
    # interpreter needs its library)
    XDG_CACHE_HOME="$NCACHE" "$WASMBOX" run --tier cached --report \
        "$T/py.json" "$PY" -V >/dev/null 2>&1
    if ! grep -q '"tier":"native"' "$T/py.json" 2>/dev/null; then
        skip "Python, native (python.wasm's code for this build is not in" \
             "$NCACHE/wasmbox/native: make guests-native)"
    else
        printf 'budget:\n  timeout: 20s\nsession:\n  languages: [python]\n' \
            > "$T/py.yaml"
        serve py "$NCACHE" --policy "$T/py.yaml" --guests "$GUESTS"
        post "$U/v1/run" "$(run_json python 'print(sum(i * i for i in range(1000)))')"
        check "Python /v1/run: native, right answer" \
            [ "$(pair)" = "('exited', 'native')" -a "$(jget "j['stdout']")" = 332833500 ]
        START=$(date +%s%N)
        post "$U/v1/run" "$(run_json python 'while True: pass' '{"limits": {"timeout": 1}}')"
        MS=$(( ($(date +%s%N) - START) / 1000000 ))
        check "Python /v1/run: while True: pass ends at its timeout, native (${MS} ms)" \
            [ "$(pair)" = "('timeout', 'native')" -a "$MS" -lt 15000 ]
        post "$U/v1/sessions" '{}'
        S=$U/v1/sessions/$(jget "j['id']")
        post "$S/exec" "$(run_json python 'x = 41')"
        post "$S/exec" "$(run_json python 'print(x + 1)')"
        check "Python session kernel: native, state kept" \
            [ "$(pair)" = "('exited', 'native')" -a "$(jget "j['stdout']")" = 42 ]
        post "$S/exec" "$(run_json python 'while True: pass' '{"limits": {"timeout": "500ms"}}')"
        check "Python session kernel: while True: pass ends at its timeout, native, rolled back" \
            [ "$(pair)" = "('timeout', 'native')" -a "$(jget "j['state']['rolled_back']")" = True ]
        post "$S/exec" "$(run_json python 'print(x)')"
        check "... the next step sees x, native" \
            [ "$(pair)" = "('exited', 'native')" -a "$(jget "j['stdout']")" = 41 ]
        check "Python: no worker crashed, nothing refused (log)" \
            bash -c "! grep -Eq 'incident|refused|seccomp' '$T/py.log'"
        check "Python: the log says it runs natively" \
            grep -q 'native code from the cache for: python$' "$T/py.log"
        stop
    fi
fi
summary
