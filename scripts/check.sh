#!/bin/bash
# check.sh: everything `make check` runs, in order, for each build:
#   normal (BUILD=build) then ASan+UBSan (BUILD=build/asan SAN=1):
#   build, layers (scripts/check-layers.sh), public API
#   (scripts/check-api.sh), unit tests, CLI tests, WASI tests, escape
#   suite (also through `wasmbox serve`'s workers, tests/escape/serve.sh),
#   outbound HTTP (tests/net, in a private network namespace),
#   OS lock-down (tests/oslock), worker isolation
#   (tests/isolation), guest runtimes, Python packages (tests/guests/
#   pypkgs.sh), processes (tests/proc), the shell
#   image, its escapes and its corpus (tests/guests/shell.sh,
#   tests/shell), CPython's own tests in the guest
#   (tests/cpython: a fast tier), MCP server and HTTP API (normal build),
#   hostile modules, the native tier (tests/native), spec tests in both
#   tiers, engine wast tests (after `make guests`);
#   then ThreadSanitizer (BUILD=build/tsan TSAN=1): build, then
#   tests/tsan/run.sh (unit tests, HTTP API, MCP server and a concurrent
#   stress of both servers; every TSan report is a failure).
#   Last, short runs of the host-call, snapshot-loader, worker-protocol,
#   outbound-HTTP and process fuzzers (their own clang/libFuzzer/ASan
#   build; the HTTP one in a network namespace of its own).
# Before the builds: the Kubernetes manifests (scripts/check-deploy.py).
# Ends with one line "N passed, N failed, N skipped" summed over all steps
# and builds; exits non-zero if anything failed.
# Usage: scripts/check.sh [normal] [asan] [tsan] [fuzz]   (default: all)
# WASMBOX_GUESTS=DIR: test with the guest images in DIR instead of
# building them into build/guests with `make guests`.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
SPEC=${SPEC:-../shared/wasm-spec-2.0}
configs=("$@")
# `wasmbox run` (--tier auto, the default) uses the code cache and starts
# background compilations: the suites get an empty cache of their own and
# no background compiles, so each tier runs what its suite asks for
# (tests/cli/cache.sh turns them on for itself). The guest runtimes'
# machine code (make guests-native) goes to the user's cache, which is
# kept between runs (its files are keyed by the build): WB_NATIVE_CACHE_HOME
# names it to the suites that run the runtimes natively (tests/http/native.sh).
export WB_NATIVE_CACHE_HOME=${WB_NATIVE_CACHE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}}
export XDG_CACHE_HOME=$(mktemp -d) WASMBOX_BACKGROUND_COMPILE=0
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
[ ${#configs[@]} -eq 0 ] && configs=(normal asan tsan fuzz)
passed=0 failed=0 skipped=0

add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }
step() { echo; echo "==== $*"; }

# counts LINE: parse "N passed, N failed[, N skipped]" into $cp $cf $cs.
counts() {
    [[ $1 =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]] || return 1
    cp=${BASH_REMATCH[1]} cf=${BASH_REMATCH[2]} cs=${BASH_REMATCH[4]:-0}
}

# run_counted NAME LOG CMD...: run CMD to LOG, show the log, add the counts
# of its last line; no summary line (a crash) or a bad status counts 1 failure.
run_counted() {
    local name=$1 log=$2 rc
    shift 2
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    if counts "$(tail -n 1 "$log")"; then
        add "$cp" "$cf" "$cs"
        [ "$rc" != 0 ] && [ "$cf" = 0 ] && [ "$retried" = 0 ] && { echo "$name: exit status $rc"; add 0 1; }
    else
        echo "$name: no summary line (exit status $rc)"
        add 0 1
    fi
}

# Unit tests are cmocka binaries: "[  PASSED  ] N test(s).",
# "[  FAILED  ] N test(s), listed below:" and "[  SKIPPED ] N test(s), ..."
# (a session kernel's test without its guest image).
unit() {
    local bin=$1 log=$2 rc p f s
    timeout 600 "$bin" >"$log" 2>&1
    rc=$?
    cat "$log"
    # Summed: a binary may run several cmocka groups.
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" |
        awk '{ n += $1 } END { print n + 0 }')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" |
        awk '{ n += $1 } END { print n + 0 }')
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) test.*/\1/p' "$log" |
        awk '{ n += $1 } END { print n + 0 }')
    add "${p:-0}" "${f:-0}" "${s:-0}"
    if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then
        echo "$bin: exit status $rc without a cmocka failure count"
        add 0 1
    fi
}

# Spec output can be tens of thousands of lines while the engine is young:
# keep the full log and show the start.
# With a tier (native), its summary line ends with how many of the skips
# are modules that tier cannot compile yet, shown and then left out.
# lsan_retry BUILD TIER LOG: a file whose runner failed only because
# LeakSanitizer's own tracer crashed at exit ("Tracer caught signal 11",
# then "LeakSanitizer has encountered a fatal error": no leak report; seen
# now and then in processes that loaded LLVM, under load) runs once more,
# alone; if it passes, its failure is taken back ($cf). A real leak or
# failure repeats and stays counted. Sets $retried to the failures taken
# back, so that the runner's exit status, which they caused, is forgiven.
lsan_retry() {
    local b=$1 tier=$2 log=$3 f line
    retried=0
    for f in $(awk '/LeakSanitizer has encountered a fatal error/ { t = 1 }
                    /runner exited with status/ { if (t) { sub(/^wasmbox: /, "");
                        sub(/: runner exited.*/, ""); print } t = 0 }' "$log"); do
        line=$("$b/wasmbox" spectest -q --tier "$tier" "$f" 2>&1 | tail -n 1)
        if [[ $line =~ ^[0-9]+\ passed,\ 0\ failed ]] && [ "$cf" -gt 0 ]; then
            echo "spectest: $f: LeakSanitizer's tracer crashed at exit; passed when run again ($line)"
            cf=$((cf - 1)) retried=$((retried + 1))
        fi
    done
}

spec() {
    local b=$1 tier=${2:-interp} log=$1/spectest-${2:-interp}.log rc retried=0
    if [ ! -d "$SPEC" ]; then
        echo "spec tests not found at $SPEC (set SPEC=...)"
        add 0 1
        return
    fi
    "$b/wasmbox" spectest -q --tier "$tier" "$SPEC" >"$log" 2>&1
    rc=$?
    head -n 200 "$log"
    [ "$(wc -l <"$log")" -gt 201 ] && echo "... (full log: $log)" && tail -n 1 "$log"
    if counts "$(tail -n 1 "$log" | sed 's/ (.*)$//')"; then
        lsan_retry "$b" "$tier" "$log"
        add "$cp" "$cf" "$cs"
        [ "$rc" != 0 ] && [ "$cf" = 0 ] && [ "$retried" = 0 ] && { echo "spectest: exit status $rc"; add 0 1; }
    else
        echo "spectest: no summary line (exit status $rc)"
        add 0 1
    fi
}

one_config() {
    local cfg=$1 b=build mk=() t
    if [ "$cfg" = asan ]; then
        b=build/asan mk=(SAN=1)
        # intercept_tls_get_addr=0: clang-14's LeakSanitizer mistakes a
        # dynamic TLS block at offset 16 of a page (libLLVM's, in processes
        # that load the native tier) for a pre-2.25 glibc header and its
        # stop-the-world tracer dies at exit ("Tracer caught signal 11"),
        # now and then, failing a run that leaked nothing.
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    fi
    step "[$cfg] build ($b)"
    if ! $MAKE --no-print-directory BUILD=$b "${mk[@]}" all; then
        echo "[$cfg] build failed; skipping its tests"
        add 0 1
        return
    fi
    # Each folder of src/ uses only the ones below it (includes, calls).
    step "[$cfg] layers"
    run_counted layers "$b/layers.log" scripts/check-layers.sh "$b"
    # libwasmbox.so exports the documented API and nothing else.
    step "[$cfg] public API"
    run_counted api "$b/api.log" scripts/check-api.sh "$b"
    step "[$cfg] unit tests"
    # Built one by one: a test that does not compile fails alone, and a
    # stale binary from an earlier build is never run.
    for src in tests/unit/test_*.c; do
        [ -e "$src" ] || continue
        t=$b/tests/$(basename "$src" .c)
        if $MAKE --no-print-directory BUILD=$b "${mk[@]}" "$t"; then
            unit "$t" "$t.log"
        else
            echo "$t: does not build"
            add 0 1
        fi
    done
    # Sanitizers add shadow memory to the peak RSS of hostile modules.
    local rss=256
    [ "$cfg" = asan ] && rss=1024
    for t in tests/cli/*.sh; do
        [ "$t" = tests/cli/hostile.sh ] && continue
        step "[$cfg] cli: $t"
        run_counted "$t" "$b/$(basename "$t").log" \
            env WB_BUILD="$PWD/$b" MAX_RSS_MB=$rss bash "$t"
    done
    # The WASI suite, the escape suite and the processes suite compile C
    # programs to wasm32 and run them under $b/wasmbox; each ends with "N
    # passed, N failed". The differential test runs the WASI programs
    # under node:wasi too.
    for t in tests/wasi/run.sh tests/escape/run.sh tests/wasidiff/run.sh \
             tests/proc/run.sh; do
        step "[$cfg] $t"
        run_counted "$t" "$b/$(basename "$(dirname "$t")").log" \
            timeout 600 bash "$t" "$PWD/$b/wasmbox"
    done
    # Outbound HTTP(S) for guests (docs/network.md), in a private network
    # namespace with its own test servers and CA.
    step "[$cfg] tests/net/run.sh"
    run_counted tests/net/run.sh "$b/net.log" \
        timeout 600 bash tests/net/run.sh "$PWD/$b/wasmbox"
    # Every case of the escape suite again (its programs built by it), as
    # one-shot runs of `wasmbox serve` in its locked-down, reused workers
    # (one server per set of grants, both path resolutions).
    step "[$cfg] tests/escape/serve.sh"
    run_counted tests/escape/serve.sh "$b/escape-serve.log" \
        timeout 1200 bash tests/escape/serve.sh "$PWD/$b/wasmbox"
    # The native tier against the interpreter: traps, limits, WASI
    # programs (the WASI suite too) in both tiers.
    step "[$cfg] tests/native/run.sh"
    run_counted tests/native/run.sh "$b/native.log" \
        timeout 1800 bash tests/native/run.sh "$PWD/$b/wasmbox"
    # The OS lock-down: a test-only binary attempts escapes after it.
    step "[$cfg] OS lock-down (tests/oslock)"
    if $MAKE --no-print-directory BUILD=$b "${mk[@]}" "$b/tests/wasmbox-attempt"; then
        run_counted oslock "$b/oslock.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 600 bash tests/oslock/run.sh
    else
        echo "$b/tests/wasmbox-attempt: does not build"
        add 0 1
    fi
    # The servers' worker processes: escapes attempted from a worker,
    # crash containment, two tenants (the same test binary).
    step "[$cfg] worker isolation (tests/isolation)"
    if [ -x "$b/tests/wasmbox-attempt" ]; then
        run_counted isolation "$b/isolation.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 900 bash tests/isolation/run.sh
        step "[$cfg] attacks on the workers (tests/isolation/attack.sh)"
        run_counted attack "$b/attack.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 900 bash tests/isolation/attack.sh
        step "[$cfg] reused workers of one-shot runs (tests/isolation/pool.sh)"
        run_counted pool "$b/pool.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 900 bash tests/isolation/pool.sh
    else
        add 0 1
    fi
    # `wasmbox serve` as deploy/kubernetes/ runs it (uid 10001, no
    # capability, a RuntimeDefault-like filter; then no Landlock either):
    # what works and what degrades (deploy/README.md).
    if [ "$cfg" = normal ]; then
        step "[$cfg] the pod's sandbox (tests/deploy/sandbox.sh)"
        run_counted deploy-sandbox "$b/deploy-sandbox.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 600 bash tests/deploy/sandbox.sh
    fi
    step "[$cfg] guest runtimes"
    run_counted guests "$b/guests.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/guests/run.sh
    step "[$cfg] child processes from Python (tests/guests/pyproc.sh)"
    run_counted pyproc "$b/pyproc.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/guests/pyproc.sh
    step "[$cfg] Python packages (tests/guests/pypkgs.sh)"
    run_counted pypkgs "$b/pypkgs.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/guests/pypkgs.sh
    step "[$cfg] the shell image (tests/guests/shell.sh)"
    run_counted guests-shell "$b/guests-shell.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/guests/shell.sh
    step "[$cfg] escapes from the shell (tests/shell/escape.sh)"
    run_counted shell-escape "$b/shell-escape.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/shell/escape.sh "$PWD/$b/wasmbox"
    if [ "$cfg" = normal ]; then    # 91 scripts, twice each: normal only
        step "[$cfg] the shell corpus against native dash + busybox (tests/shell/run.sh)"
        run_counted shell-corpus "$b/shell-corpus.log" \
            env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
            timeout 1800 bash tests/shell/run.sh
    fi
    step "[$cfg] outbound HTTP from Python and JS (tests/net/guests.sh)"
    run_counted net-guests "$b/net-guests.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/net/guests.sh
    step "[$cfg] attacks on outbound HTTP (tests/net/attacks.sh)"
    run_counted net-attacks "$b/net-attacks.log" \
        env WASMBOX_GUESTS="$GUESTS" \
        timeout 600 bash tests/net/attacks.sh "$PWD/$b/wasmbox"
    step "[$cfg] pre-initialized Python (tests/guests/preinit.sh)"
    run_counted preinit "$b/preinit.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/guests/preinit.sh
    # CPython's own regression tests in the guest: a fast tier of
    # tests/cpython/modules (the full list: make cpython-tests)
    local tier=fast
    [ "$cfg" = asan ] && tier=asan
    step "[$cfg] CPython's tests in the guest (tests/cpython, $tier)"
    run_counted cpython "$b/cpython.log" \
        env WB_BUILD="$PWD/$b" WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/cpython/run.sh $tier
    # The MCP server, driven by the official TypeScript SDK (npm ci of the
    # pinned lock file on first use); with the normal build only.
    if [ "$cfg" = normal ]; then
        step "[$cfg] MCP server (tests/mcp)"
        run_counted mcp "$b/mcp.log" \
            env WB_BUILD="$PWD/$b" timeout 900 bash tests/mcp/run.sh
        step "[$cfg] HTTP API (tests/http)"
        run_counted http "$b/http.log" \
            env WASMBOX_GUESTS="$GUESTS" \
            timeout 900 bash tests/http/run.sh "$PWD/$b/wasmbox"
    fi
    step "[$cfg] sessions in the native tier (tests/http/native.sh)"
    run_counted http-native "$b/http-native.log" \
        env WASMBOX_GUESTS="$GUESTS" \
        timeout 900 bash tests/http/native.sh "$PWD/$b/wasmbox"
    # three `wasmbox serve --shared-state` replicas on one state directory
    # (docs/scale-out.md), in their own network namespace; every config
    step "[$cfg] serve replicas sharing a state directory (tests/http/replicas.sh)"
    run_counted http-replicas "$b/http-replicas.log" \
        env WASMBOX_GUESTS="$GUESTS" \
        timeout 600 bash tests/http/replicas.sh "$PWD/$b/wasmbox"
    step "[$cfg] hostile modules"
    run_counted hostile.sh "$b/hostile.log" \
        env WB_BUILD="$PWD/$b" MAX_RSS_MB=$rss bash tests/cli/hostile.sh
    step "[$cfg] spec tests ($SPEC)"
    spec "$b"
    step "[$cfg] spec tests, native tier ($SPEC)"
    spec "$b" native
    # Our own wast scripts (tests/engine/): edge cases of the translator's
    # rewrites, converted with wabt's wast2json like the official suite.
    step "[$cfg] engine wast tests (tests/engine)"
    local wd=$b/engine-wast
    rm -rf "$wd" && mkdir -p "$wd"
    for w in tests/engine/*.wast; do
        wast2json "$w" -o "$wd/$(basename "$w" .wast).json" || echo "wast2json failed: $w"
    done
    run_counted engine-wast "$b/engine-wast.log" "$b/wasmbox" spectest -q "$wd"
}

# The ThreadSanitizer build runs the multi-threaded parts: the servers and
# session kernels (a few minutes on 2 cores).
tsan_config() {
    local b=build/tsan
    step "[tsan] build ($b)"
    if ! $MAKE --no-print-directory BUILD=$b TSAN=1 all; then
        echo "[tsan] build failed; skipping its tests"
        add 0 1
        return
    fi
    step "[tsan] unit tests, HTTP API, MCP server, stress (tests/tsan/run.sh)"
    run_counted tsan "$b/tsan.log" \
        env WASMBOX_GUESTS="$GUESTS" MAKE="$MAKE" \
        timeout 1800 bash tests/tsan/run.sh "$PWD/$b"
}

# The Kubernetes manifests (deploy/kubernetes/), checked without a
# cluster (Debian's kubectl 1.20 needs an API server even for
# --dry-run=client): scripts/check-deploy.py, and its own test, which
# breaks the manifests one way at a time (tests/deploy/run.sh).
step "deploy manifests (tests/deploy/run.sh)"
mkdir -p build
run_counted deploy build/deploy.log bash tests/deploy/run.sh

# Can every pinned guest source still be fetched? Checked into a temporary
# directory, so a cache that already holds the sources cannot hide one that
# has gone missing; plus the fetch fallback's own test (stub apt, offline).
step "guest sources"
mkdir -p build
run_counted fetch-test build/fetch-test.log bash tests/guests/fetch.sh
run_counted sources build/sources.log timeout 900 scripts/guests/check-sources.sh

# The language runtimes are built once (cached outside the tree, so this is
# quick after the first time) and tested with both builds.
GUESTS=${WASMBOX_GUESTS:-}
if [ -n "$GUESTS" ]; then
    step "guest runtimes: $GUESTS (WASMBOX_GUESTS)"
else
    GUESTS=$PWD/build/guests
    step "guest runtimes (make guests)"
    if ! $MAKE --no-print-directory guests GUESTS_NATIVE=0; then
        echo "make guests failed"
        add 0 1
    fi
fi
export WASMBOX_GUESTS=$GUESTS      # the unit tests' session kernels too
step "guest runtimes' machine code (make guests-native, into $WB_NATIVE_CACHE_HOME)"
if ! XDG_CACHE_HOME=$WB_NATIVE_CACHE_HOME $MAKE --no-print-directory \
        guests-native WASMBOX_GUESTS="$GUESTS"; then
    echo "make guests-native failed"
    add 0 1
fi
# The WASI host calls under libFuzzer (fuzz/hostcall.h): the reproducers
# of its findings, its seeds, then 20 s of fuzzing; build/fuzz.
fuzz_config() {
    step "host-call fuzzer (short run)"
    mkdir -p build/fuzz
    run_counted fuzz-hostcall build/fuzz/hostcall-make.log \
        $MAKE --no-print-directory fuzz-hostcall-check
    step "snapshot loader fuzzer (short run)"
    run_counted fuzz-snapshot build/fuzz/snapshot-make.log \
        $MAKE --no-print-directory fuzz-snapshot
    step "worker protocol fuzzer (short run)"
    run_counted fuzz-wire build/fuzz/wire-make.log \
        $MAKE --no-print-directory fuzz-wire
    step "outbound HTTP fuzzer (short run, loopback in a network namespace)"
    run_counted fuzz-net build/fuzz/net-make.log \
        $MAKE --no-print-directory fuzz-net
    step "process fuzzer (short run: wasmbox_proc calls against a real tree)"
    run_counted fuzz-proc build/fuzz/proc-make.log \
        $MAKE --no-print-directory fuzz-proc
}

for c in "${configs[@]}"; do
    case $c in
    tsan) tsan_config ;;
    fuzz) fuzz_config ;;
    *) one_config "$c" ;;
    esac
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
