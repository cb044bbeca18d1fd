# tests/lib.sh: the counting every shell harness shares (sourced, not
# run): tests/cli/*.sh, tests/wasi, tests/escape, tests/wasidiff,
# tests/guests, tests/http, tests/tsan.
#
# A case ends in pass, fail or skip; the harness ends with `summary`, whose
# line "N passed, N failed, N skipped" is the one scripts/check.sh adds up
# (a harness's status is that of `summary`: non-zero when a case failed).
# A skipped case is one that could not run here (a guest image or a tool
# is missing): it is counted, never silently left out, so that a suite
# that ran nothing does not read as "0 passed, 0 failed".

wb_passed=0 wb_failed=0 wb_skipped=0

# pass [TEXT]: a case passed; "ok   TEXT" when TEXT is given (suites that
# print only their failures call it bare).
pass() {
    wb_passed=$((wb_passed + 1))
    [ $# -eq 0 ] || echo "ok   $*"
}

# fail TEXT: a case failed: "FAIL TEXT" (the case's name, then why).
fail() {
    wb_failed=$((wb_failed + 1))
    echo "FAIL $*"
}

# skip TEXT: a case that cannot run here: "skip TEXT" (name and reason).
skip() {
    wb_skipped=$((wb_skipped + 1))
    echo "skip $*"
}

# add_counts LINE: add a sub-suite's summary line ("N passed, N failed"
# with or without ", N skipped"); false, adding nothing, for any other
# line. Sets $counted_failed to the sub-suite's failures.
add_counts() {
    [[ $1 =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]] ||
        return 1
    counted_failed=${BASH_REMATCH[2]}
    wb_passed=$((wb_passed + BASH_REMATCH[1]))
    wb_failed=$((wb_failed + BASH_REMATCH[2]))
    wb_skipped=$((wb_skipped + ${BASH_REMATCH[4]:-0}))
}

# summary: the last line of a harness; false when a case failed.
summary() {
    echo "$wb_passed passed, $wb_failed failed, $wb_skipped skipped"
    [ "$wb_failed" = 0 ]
}

# expect NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING RC OUT ERR:
# a case that ended with status RC, its stdout in file OUT and stderr in
# ERR, passes when RC is WANT_RC and each non-empty WANT_* is in its file;
# a failure shows the start of both.
expect() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc=$5 out=$6 err=$7 why=""
    [ "$rc" = "$want_rc" ] || why="exit status $rc, want $want_rc"
    if [ -z "$why" ] && [ -n "$want_out" ] && ! grep -qF -- "$want_out" "$out"; then
        why="stdout lacks '$want_out'"
    fi
    if [ -z "$why" ] && [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$err"; then
        why="stderr lacks '$want_err'"
    fi
    if [ -z "$why" ]; then
        pass "$name"
    else
        fail "$name: $why"
        sed 's/^/     out: /' "$out" | head -5
        sed 's/^/     err: /' "$err" | head -8
    fi
}

# server_url LOG: the URL of a server started with --listen 127.0.0.1:0
# and its stderr in LOG, once it logged "listening on" (10 s at most);
# empty when it did not.
server_url() {
    for _ in $(seq 100); do
        grep -q "listening on" "$1" && break
        sleep 0.1
    done
    grep -o 'http://127.0.0.1:[0-9]*' "$1" | head -1
}

# server_scratch NAME: $T, a new temporary directory that a server's
# workers may enter (0711: started as root they run as another user),
# removed at exit after the server whose pid the harness puts in $spid.
server_scratch() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    chmod 711 "$T"
    spid=
    trap server_cleanup EXIT
}
server_cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
