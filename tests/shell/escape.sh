#!/bin/bash
# tests/shell/escape.sh [WASMBOX]: the escape suite's shell cases (issue
# 19). Each case runs a script under `wasmbox sh` in the escape suite's
# world (tests/escape/world.sh): data/ granted at /data (the working
# directory), ro/ granted read-only at /ro, outside/ and the host's files
# not granted, host-made symlinks in data/ that point out of it. A case
# passes when the run exits normally, its stdout is exactly the lines
# the case wants (each says what the sandbox must do; "LEAK" or "WROTE"
# in it is an escape), nothing outside data/ changed, and no symlink the
# guest left in data/ resolves outside it on the host.
# Without `wasmbox sh` every case fails: none is skipped.
# Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
. "$root/tests/escape/world.sh"
B=${WB_BUILD:-$root/build}
W=$(realpath -m "${1:-${WASMBOX:-$B/wasmbox}}")
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}
T=$(mktemp -d "${TMPDIR:-/tmp}/wbshesc.XXXXXX")
trap 'rm -rf "$T"' EXIT

nosh=""
if [ ! -x "$W" ]; then
    nosh="$W not built"
elif "$W" sh -c true 2>&1 </dev/null | grep -q "unknown command"; then
    nosh="$W has no 'sh' command yet"
fi

# Every check sends what it does not print to /dev/null, and a failed
# redirection skips its command: without /dev/null the checks would pass
# without trying anything, so each script first makes sure it is there.
devnull='true >/dev/null 2>&1 || { echo "no /dev/null: nothing was tried"; exit 1; }
'

# shcase NAME WANT SCRIPT: run SCRIPT with `wasmbox sh -c` in a fresh
# world; WANT is its whole expected stdout.
shcase() {
    local name=$1 want=$2 script=$3 before after rc=0 outcome links
    if [ -n "$nosh" ]; then
        fail "$name: cannot run: $nosh"
        return
    fi
    rm -rf "$T/w"
    mkdir -p "$T/w/data" "$T/w/outside" "$T/w/ro"
    escape_world "$T/w"
    before=$(escape_fingerprint "$T/w")
    timeout 120 "$W" sh --report "$T/report.json" --timeout 60 \
        --dir "$T/w/data:/data" --dir "$T/w/ro:/ro:ro" --cwd /data \
        -c "$devnull$script" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    after=$(escape_fingerprint "$T/w")
    outcome=$(jq -r .outcome "$T/report.json" 2>/dev/null)
    links=$(links_outside "$T/w/data")
    if [ "$outcome" != exited ]; then
        fail "$name: outcome '$outcome' (exit $rc): $(head -c 300 "$T/err" | tr '\n' ' ')"
    elif [ "$(cat "$T/out")" != "$want" ]; then
        fail "$name: stdout differs from what the sandbox must give"
        diff <(printf '%s\n' "$want") "$T/out" | sed 's/^/     /' | head -20
        sed 's/^/     err: /' "$T/err" | head -6
    elif [ "$before" != "$after" ]; then
        fail "$name: something outside the writable grant changed"
    elif [ -n "$links" ]; then
        fail "$name: the guest left links that lead outside: $links"
    else
        pass
    fi
}

# `cd /` shows the virtual root: the grants, /bin, /usr (/usr/bin),
# /dev (/dev/null) and /lib (Python's standard library, which `wasmbox
# sh` grants read-only when the Python guest is built, for `python3`),
# nothing of the host; it is read-only.
shcase "cd / lists only the grants, /bin, /usr and /dev" "/
bin data ro are there
nothing else
sh is in /bin
/ is read-only" '
cd / && pwd
[ "$(ls | grep -xE "bin|data|ro" | tr "\n" " ")" = "bin data ro " ] && echo "bin data ro are there"
ls | grep -vxE "bin|data|dev|lib|ro|usr" || echo "nothing else"
ls /bin | grep -qx sh && echo "sh is in /bin"
(echo x > /new) 2>/dev/null && echo WROTE || echo "/ is read-only"'

# Host files are not there: "not found", never their contents.
shcase "cat /etc/passwd: not found" "cat: 1
absent
ls /etc: 1
ls /proc: 1
no host root" '
cat /etc/passwd 2>/dev/null; echo "cat: $?"
[ -e /etc/passwd ] && echo LEAK || echo absent
ls /etc >/dev/null 2>&1; echo "ls /etc: $?"
ls /proc/self >/dev/null 2>&1; echo "ls /proc: $?"
ls / | grep -qx -e etc -e proc -e outside && echo LEAK || echo "no host root"'

# A symlink the shell makes to a host path or out of the grant is
# refused by ln; nothing is read through it.
shcase "ln -s /etc/passwd, ../outside: refused" "ln abs: refused
cat x: nothing
ln rel: refused
cat y: nothing
ln deep: refused" '
ln -s /etc/passwd x 2>/dev/null && echo "ln abs: made" || echo "ln abs: refused"
cat x 2>/dev/null | grep -q root: && echo LEAK || echo "cat x: nothing"
ln -s ../outside/secret y 2>/dev/null && echo "ln rel: made" || echo "ln rel: refused"
cat y 2>/dev/null | grep -q secret && echo LEAK || echo "cat y: nothing"
mkdir -p a/b && ln -s ../../../../../../etc/passwd a/b/z 2>/dev/null &&
    echo "ln deep: made" || echo "ln deep: refused"'

# The host's own links out of the grant lead nowhere from the shell.
shcase "host-made symlinks lead nowhere" "host_abs: not read
host_rel: not read
host_dir: not read
host_deep: not read
not written through host_rel" '
for l in host_abs host_rel host_dir/secret sub/host_deep; do
    if cat "$l" 2>/dev/null | grep -q -e root: -e secret; then echo LEAK
    else echo "${l%%/secret}: not read" | sed "s|sub/||"; fi
done
(echo overwritten > host_rel) 2>/dev/null
echo "not written through host_rel"'

# A link to .. inside the grant works (docs/grants.md: a/up -> ..);
# climbing past the grant's root through it is refused or reaches the
# virtual root, never data/'s parent on the host. A link to .. at the
# grant's root is refused.
shcase "ln -s .. up; ls up/.. stays inside" "up is /data
up/.. shows nothing outside
no secret through up
ln -s .. at the root: refused
nothing outside through top" '
mkdir d && cd d && ln -s .. up
ls up | grep -qx d && echo "up is /data"
ls up/.. up/../.. 2>/dev/null | grep -qx -e outside -e secret && echo LEAK ||
    echo "up/.. shows nothing outside"
cat up/../outside/secret up/../../outside/secret 2>/dev/null && echo LEAK ||
    echo "no secret through up"
cd /data
ln -s .. top 2>/dev/null && echo "ln -s .. at the root: made" || echo "ln -s .. at the root: refused"
ls top/.. top/../outside 2>/dev/null | grep -qx -e outside -e secret && echo LEAK ||
    echo "nothing outside through top"'

# cd .. above a grant's root ends at /, and stays there.
shcase "cd .. above the grant root" "/
the virtual root
/
/
no ../outside" '
cd /data && cd .. && pwd && ls | grep -qx ro && ! ls | grep -qx outside && echo "the virtual root"
cd /data/../../.. && pwd
cd /data/sub && cd ../../.. && pwd
cd /data && { cat ../outside/secret 2>/dev/null && echo LEAK || echo "no ../outside"; }'

# A read-only grant refuses every change the tools try, and so do /bin
# and the virtual root.
shcase "writes into a read-only grant refused" "> refused
>> refused
touch refused
rm refused
mkdir refused
mv refused
sed -i refused
ln -s refused
cp refused
rm /bin/sh refused
mkdir /etc refused
hello" '
try() { label=$1; shift; if "$@" 2>/dev/null; then echo "$label WROTE"; else echo "$label refused"; fi; }
try ">" sh -c "echo x > /ro/new"
try ">>" sh -c "echo x >> /ro/file.txt"
try touch touch /ro/file.txt
try rm rm /ro/file.txt
try mkdir mkdir /ro/newdir
try mv mv /ro/dir/inner.txt /ro/moved.txt
try "sed -i" sed -i s/hello/bye/ /ro/file.txt
try "ln -s" ln -s file.txt /ro/link
try cp cp /ro/file.txt /ro/dir/copy.txt
try "rm /bin/sh" rm /bin/sh
try "mkdir /etc" mkdir /etc
cat /ro/file.txt'

# Child processes get the same grants and nothing more: a search from /
# finds no host file, and host binaries are not found.
shcase "children see only the grants" "0
0
/usr/bin/id: 127
/bin/bash: 127" '
find / -name passwd 2>/dev/null | wc -l | tr -d " "
sh -c "find / -name secret 2>/dev/null" | wc -l | tr -d " "
/usr/bin/id >/dev/null 2>&1; echo "/usr/bin/id: $?"
/bin/bash -c true >/dev/null 2>&1; echo "/bin/bash: $?"'

summary
