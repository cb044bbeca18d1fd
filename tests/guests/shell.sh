#!/usr/bin/env bash
# shellcheck disable=SC2016  # the cases are scripts for the guest, quoted whole
# tests/guests/shell.sh [WASMBOX]: the shell image (scripts/guests/shell.sh:
# dash.wasm, busybox.wasm, applets) through `wasmbox run`, with busybox's
# applets and sh/dash registered as /bin images (--image). What it checks
# is the guest side: libwbproc (fork, exec, posix_spawn's file actions,
# popen/system, wait, SIGPIPE on EPIPE), shell/wb_posix.c and stat.c
# (users, modes, mkstemp, realpath), and that the applets the issue names
# are there. The shell corpus against native dash is tests/shell/.
# Each case: stdout, exit status and (when given) stderr. Skipped when the
# images are not built (make guests).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WB=$(realpath "${1:-${WB_BUILD:-$ROOT/build}/wasmbox}")
SH=${WASMBOX_GUESTS:-$(dirname "$WB")/guests}/shell
. "$ROOT/tests/lib.sh"
if [ ! -f "$SH/dash.wasm" ] || [ ! -f "$SH/busybox.wasm" ] || [ ! -f "$SH/applets" ]; then
    skip "shell: no $SH/dash.wasm, busybox.wasm, applets (make guests)"
    summary
    exit
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/wbshell.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$T/cache}

# The applets issue 19 names are all there.
missing=
for a in ls cat head tail wc sort uniq cut tr grep egrep fgrep sed awk find \
         xargs cp mv rm mkdir rmdir touch ln echo printf test [ date env pwd \
         basename dirname tee diff cmp du stat realpath seq sleep yes true false; do
    grep -qxF -- "$a" "$SH/applets" || missing="$missing $a"
done
if [ -z "$missing" ]; then pass; else fail "applets: missing$missing"; fi
# busybox.wasm imports no fork, so that it may run natively.
if ! command -v wasm-dis >/dev/null; then
    skip "busybox imports: no wasm-dis (binaryen)"
elif wasm-dis "$SH/busybox.wasm" | grep -c '"wasmbox_proc" "fork"' >/dev/null; then
    fail "busybox.wasm imports wasmbox_proc.fork"
else
    pass
fi

IMGS=(--image "sh=$SH/dash.wasm" --image "dash=$SH/dash.wasm")
while read -r a; do IMGS+=(--image "$a=$SH/busybox.wasm"); done <"$SH/applets"
mkdir -p "$T/w/src"
for i in 1 2 3; do
    printf 'line one %s\nTODO fix %s\nfoo bar\nfoo baz\n' "$i" "$i" >"$T/w/src/f$i.txt"
done

# sh NAME STATUS STDOUT STDERR SCRIPT: run SCRIPT with sh -c in /w (the
# directory $T/w) and /tmp a tmpfs; STDERR "*" is not checked.
sh_case() {
    local name=$1 want_rc=$2 want=$3 want_err=$4 script=$5 out rc
    out=$("$WB" run --timeout 60s --dir "$T/w:/w" --tmpfs /tmp --argv0 sh \
              --env PATH=/bin --env HOME=/w "${IMGS[@]}" "$SH/dash.wasm" \
              -c "cd /w && $script" 2>"$T/err")
    rc=$?
    if [ "$rc" != "$want_rc" ]; then
        fail "$name: exit status $rc, want $want_rc ($(head -c 300 "$T/err"))"
    elif [ "$out" != "$want" ]; then
        fail "$name: stdout '$out', want '$want'"
    elif [ "$want_err" != "*" ] && [ "$(cat "$T/err")" != "$want_err" ]; then
        fail "$name: stderr '$(head -c 300 "$T/err")', want '$want_err'"
    else
        pass
    fi
}

sh_case "pipeline" 0 "      3 foo baz
      3 foo bar" "" 'cat src/*.txt | sort | uniq -c | sort -rn | head -2'
sh_case "grep -rn, -c, -l" 0 "src/f2.txt:2:TODO fix 2
2
src/f3.txt" "" 'grep -rn "fix 2" src; grep -c foo src/f1.txt; grep -l "fix 3" src/*'
sh_case "not found" 127 "" "sh: 1: nosuch: not found" 'nosuch arg'
sh_case "exit statuses" 3 "5 1 0" "" \
    'sh -c "exit 5"; a=$?; (false); b=$?; true; echo $a $b $?; exit 3'
sh_case "set -e" 1 "before" "" 'set -e; echo before; false; echo after'
sh_case "sed -i and mktemp" 0 "FOO bar
data" "" 'sed -i "s/foo/FOO/" src/f1.txt; sed -n 3p src/f1.txt
          t=$(mktemp); echo data >"$t"; cat "$t"; rm "$t"'
sh_case "find -exec, xargs" 0 "12 total
line one 1
line one 2" "" 'find src -name "*.txt" -exec cat {} + | wc -l | sed "s/$/ total/"
                 echo src/f1.txt src/f2.txt | xargs -n1 head -1'
sh_case "awk popen and system" 0 "a
b
sys 3" "" 'printf "b\na\n" | awk "{ print | \"sort\" } END { close(\"sort\"); print \"sys\", system(\"exit 3\") }"'
sh_case "SIGPIPE ends a writer silently" 0 "y
1" "" 'yes | head -1; seq 100000 | head -1'
sh_case "here-document, \$(...)" 0 "42 in /w" "" 'cat <<END
$((6*7)) in $(pwd)
END'
# dash gives a background job /dev/null as its stdin
if "$WB" run "${IMGS[@]}" "$SH/dash.wasm" -c '[ -e /dev/null ]' 2>/dev/null; then
    sh_case "background job, wait" 0 "sub
waited 0" "" '(echo sub) & wait $!; echo "waited $?"'
else
    skip "background job, wait: the sandbox has no /dev/null"
fi
sh_case "ls -l, realpath, du" 0 "-rw-r--r-- user user 38 f2.txt
/w/src/f1.txt" "" 'ls -l src | awk "NR==2 { print \$1, \$3, \$4, \$5, \$9 }"
    realpath src/../src/f1.txt; [ "$(du -s src | cut -f1)" -gt 0 ]'
# The current directory is physical (compat/chdir.c): "pwd -P" names the
# directory reached, the logical "pwd" the link taken; realpath takes the
# same walk (a ".." after a file is ENOTDIR). A host grant and a tmpfs.
sh_case "cd through a link, pwd -P, realpath" 0 "/w/phys/lnk
/w/phys/proj/src
/w/phys
/w/phys/proj
not a directory
/tmp/a/b" "*" 'mkdir -p phys/proj/src && cd phys && ln -s proj/src lnk &&
    cd lnk && pwd && pwd -P && cd .. && pwd && cd -P lnk/.. && pwd
    realpath /w/src/f1.txt/.. || echo not a directory
    cd /w && rm -r phys && cd /tmp && mkdir -p a/b && ln -s a/b l && cd l && pwd -P'
# A child started in a directory removed under its parent keeps it, as
# on Linux: its relative names fail. It started in "/" instead, where
# "w/keep/f" named /w/keep/f (and `rm -rf w` emptied the grant).
sh_case "a child in a removed directory" 0 "nothing at w/keep/f" "*" \
    'mkdir -p keep gone && echo kept >keep/f && cd gone && rmdir /w/gone &&
    { cat w/keep/f 2>/dev/null || echo "nothing at w/keep/f"; }; rm -r /w/keep'
sh_case "exec" 0 "via exec" "" 'exec echo via exec; echo not reached'
# fd 3 is the first grant's: a script's own fd 3 moves it away
sh_case "fds 3-9 over the grants" 0 "back
into r.txt
three
3" "" 'exec 3>&1; exec >r.txt; echo "into r.txt"; exec 1>&3 3>&-; echo back
    cat r.txt; exec 3>x.txt; echo three >&3; cat x.txt; sh -c "ls src | wc -l"
    exec 3>&-; rm r.txt x.txt'
summary
