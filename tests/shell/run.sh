#!/bin/bash
# tests/shell/run.sh [--native-only | --gnu | --show] [CASE...]: the shell corpus
# (issue 19). Each script of tests/shell/cases/ runs in a fresh copy of
# tests/shell/fixtures/ as its working directory, twice:
#   - natively: Debian's dash with PATH set to a directory of busybox
#     applet links (sh and dash link to dash), the reference;
#   - in the sandbox: `wasmbox sh` with the copy granted at /work.
# Its stdout must be byte-identical, its exit status the same, and so
# must the files it leaves in the working directory (names, types,
# contents, link targets); the native status must also be the one the
# case declares ("# status: N").
# The reference is produced live each run, never committed.
#
#   --native-only  run every case natively only and check its declared
#                  status (the corpus itself, no wasmbox needed)
#   --gnu          run every case natively twice, with busybox's tools
#                  and with the host's GNU tools, and check the case's
#                  "# gnu: same" or "# gnu: differs: WHY" (README.md)
#   --show         print each case's reference stdout and status (for
#                  writing cases; checks nothing)
#   CASE...        only these cases (names with or without .sh)
#
# WB_BUILD: build directory (default build); WASMBOX: the binary (default
# $WB_BUILD/wasmbox); WASMBOX_GUESTS: the guest images, the shell's
# among them (default $WB_BUILD/guests); DASH, BUSYBOX: the native
# reference (default: dash and busybox from PATH).
# Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
here=$root/tests/shell
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}
DASH=${DASH:-$(command -v dash)}
BUSYBOX=${BUSYBOX:-$(command -v busybox)}

mode=compare
case ${1:-} in
--native-only) mode=native; shift ;;
--gnu) mode=gnu; shift ;;
--show) mode=show; shift ;;
-*) echo "usage: $0 [--native-only | --gnu | --show] [CASE...]" >&2; exit 2 ;;
esac

cases=()
if [ $# -eq 0 ]; then
    cases=("$here"/cases/*.sh)
else
    for c in "$@"; do
        c=$here/cases/$(basename "$c" .sh).sh
        [ -f "$c" ] || { echo "shell: no case $c" >&2; exit 2; }
        cases+=("$c")
    done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wbshell.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The reference must be there: a missing dash or busybox is a failure
# of the whole run, not a skip.
if [ -z "$DASH" ] || [ -z "$BUSYBOX" ]; then
    fail "shell: the native reference needs dash and busybox (scripts/setup.sh installs them)"
    summary
    exit
fi

# $tmp/bb: busybox's applets, as the guest's /bin has them; the shells
# among them give way to dash, the guest's sh.
mkdir "$tmp/bb"
for a in $("$BUSYBOX" --list); do
    case $a in sh | ash | hush | bash | '[[') continue ;; esac
    ln -s "$BUSYBOX" "$tmp/bb/$a"
done
ln -s "$DASH" "$tmp/bb/sh"
ln -s "$DASH" "$tmp/bb/dash"
# The host's GNU tools, for --gnu (Debian's /bin/sh is dash too).
gnu_path=/usr/local/bin:/usr/bin:/bin

# header CASE KEY: the value of the case's "# KEY: VALUE" line.
header() {
    sed -n "s/^# $2: //p" "$1" | head -1
}

# fresh: a new copy of the fixtures at $tmp/run/work (the directory is
# called work natively too, so that both runs see the same basename).
fresh() {
    rm -rf "$tmp/run"
    mkdir -p "$tmp/run/work"
    cp -R "$here/fixtures/." "$tmp/run/work/"
}

# manifest DIR: what a case left in DIR: each path with its type, and a
# file's checksum or a link's target (not times, modes or sizes on disk).
manifest() {
    (cd "$1" && find . | LC_ALL=C sort | while read -r f; do
        if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
        elif [ -f "$f" ]; then echo "$f $(sha256sum <"$f" | cut -c1-16)"
        else echo "$f/"; fi
    done)
}

# native CASE PATH OUT: run CASE with dash in a fresh work directory,
# tools from PATH, a fixed environment and nothing inherited; stdout to
# OUT.out, stderr to OUT.err, exit status to OUT.rc, the files it left
# to OUT.files.
native() {
    local w=$tmp/run/work rc=0
    fresh
    (cd "$w" && umask 022 &&
        exec timeout 60 env -i PATH="$2" LC_ALL=C TZ=UTC HOME="$w" \
            "$DASH" "$1") </dev/null >"$3.out" 2>"$3.err" || rc=$?
    echo "$rc" >"$3.rc"
    manifest "$w" >"$3.files"
}

# guest CASE OUT: the same under `wasmbox sh`, the copy granted at /work
# and the cases read-only at /cases (named by their guest path: the
# repository may itself lie under a host /work, which `wasmbox sh` would
# take for the guest's). Its own --timeout ends the whole process tree;
# the outer one is for a wasmbox that does not.
guest() {
    local rc=0
    fresh
    timeout 180 "$W" sh --dir "$tmp/run/work:/work:rw" --dir "$here/cases:/cases:ro" \
        --cwd /work --timeout 120 --env LC_ALL=C --env TZ=UTC --env HOME=/work \
        "/cases/$(basename "$1")" </dev/null >"$2.out" 2>"$2.err" || rc=$?
    echo "$rc" >"$2.rc"
    manifest "$tmp/run/work" >"$2.files"
}

# differ A B: why runs A and B differ ("" when they do not): exit
# status, stdout byte for byte, then the files left behind.
differ() {
    local ra rb
    ra=$(cat "$1.rc") rb=$(cat "$2.rc")
    if [ "$ra" != "$rb" ]; then
        echo "exit status $rb, reference $ra"
    elif ! cmp -s "$1.out" "$2.out"; then
        echo "stdout differs from the reference"
    elif ! cmp -s "$1.files" "$2.files"; then
        echo "the files left in the working directory differ from the reference's"
    fi
}

# show A B: the evidence of a failure: the diff of stdout and of the
# files left, and B's stderr.
show() {
    diff -u "$1.out" "$2.out" | sed -n '3,22s/^/     /p'
    diff -u "$1.files" "$2.files" | sed -n '3,12s/^/     files: /p'
    sed 's/^/     err: /' "$2.err" | head -6
}

# declared NAME CASE: false, with a failure, when the case lacks its header
# or its native run (in $tmp/ref) ended with another status.
declared() {
    local name=$1 want got
    want=$(header "$2" status)
    got=$(cat "$tmp/ref.rc")
    if [ -z "$(header "$2" exercises)" ] || [ -z "$want" ] ||
       [ -z "$(header "$2" gnu)" ]; then
        fail "$name: the header lacks '# exercises:', '# status:' or '# gnu:'"
        return 1
    fi
    if [ "$got" != "$want" ]; then
        fail "$name: native exit status $got, the case declares $want"
        sed 's/^/     err: /' "$tmp/ref.err" | head -6
        return 1
    fi
}

# Without `wasmbox sh` no case can be compared: that is a failure, said
# once, not a skip (--native-only checks the corpus without it).
if [ "$mode" = compare ]; then
    why=""
    if [ ! -x "$W" ]; then
        why="$W not built"
    elif "$W" sh -c true 2>&1 </dev/null | grep -q "unknown command"; then
        why="$W has no 'sh' command yet"
    fi
    if [ -n "$why" ]; then
        fail "shell: none of the ${#cases[@]} cases can run in the sandbox: $why" \
            "(tests/shell/run.sh --native-only checks them natively)"
        summary
        exit
    fi
fi

gnu_same=0 gnu_differ=0
for c in "${cases[@]}"; do
    name=$(basename "$c" .sh)
    native "$c" "$tmp/bb" "$tmp/ref"
    if [ "$mode" = show ]; then
        echo "==== $name: status $(cat "$tmp/ref.rc")"
        cat "$tmp/ref.out"
        sed 's/^/err: /' "$tmp/ref.err"
        continue
    fi
    declared "$name" "$c" || continue
    case $mode in
    native)
        pass
        ;;
    compare)
        guest "$c" "$tmp/box"
        why=$(differ "$tmp/ref" "$tmp/box")
        if [ -z "$why" ]; then
            pass
        else
            fail "$name: $why"
            show "$tmp/ref" "$tmp/box"
        fi
        ;;
    gnu)
        native "$c" "$gnu_path" "$tmp/gnu"
        why=$(differ "$tmp/ref" "$tmp/gnu")
        note=$(header "$c" gnu)
        if [ -n "$why" ]; then
            gnu_differ=$((gnu_differ + 1))
            echo "gnu  $name: $why (busybox is the reference)"
            show "$tmp/ref" "$tmp/gnu"
        else
            gnu_same=$((gnu_same + 1))
        fi
        case $note in
        same) [ -z "$why" ] && pass ||
            fail "$name: declares '# gnu: same' but GNU's tools differ" ;;
        differs:*) [ -n "$why" ] && pass ||
            fail "$name: declares '# gnu: $note' but GNU's tools give the same" ;;
        *) fail "$name: the header lacks '# gnu: same' or '# gnu: differs: WHY'" ;;
        esac
        ;;
    esac
done
[ "$mode" = show ] && exit 0
[ "$mode" = gnu ] && echo "gnu: $gnu_same cases the same with GNU's tools, $gnu_differ differ"
summary
