#!/bin/bash
# tests/deploy/sandbox.sh: `wasmbox serve` the way deploy/kubernetes/
# runs it, on this machine: as uid/gid 10001 with no capability and
# no_new_privs, the policy of configmap-policy.yaml, a key file of mode
# 0440 group 10001 (how a Secret arrives with fsGroup), under a seccomp
# filter that refuses unshare/setns/namespace clones as a container
# runtime's RuntimeDefault profile does (tests/deploy/podlike.c); then
# again with Landlock refused too (an older runtime's profile). Checks
# what deploy/README.md ("The OS sandbox in a pod") says works and what
# degrades: steps and sessions run; the workers keep their own filter and
# no_new_privs but share the server's namespaces; with Landlock, a worker
# (standing for a guest that broke the engine: the test binary
# build/tests/wasmbox-attempt) cannot read the key file nor another
# session's files; without Landlock it can, since it has the server's uid.
#
#   env WB_BUILD=build/x WASMBOX_GUESTS=DIR bash tests/deploy/sandbox.sh
#
# Needs root (to become uid 10001), unshare --net, cc and libseccomp-dev,
# $WB_BUILD/tests/wasmbox-attempt (make BUILD=... $WB_BUILD/tests/
# wasmbox-attempt) and the Python guest; skips otherwise. Last line: "N
# passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=$(realpath "${WB_BUILD:-build}")
ATTEMPT=$B/tests/wasmbox-attempt
GUESTS=$(realpath "${WASMBOX_GUESTS:-$B/guests}" 2>/dev/null)
why=""
[ "$(id -u)" = 0 ] || why="not root"
[ -x "$ATTEMPT" ] || why="${why:+$why, }no $ATTEMPT"
[ -f "$GUESTS/python/python.wasm" ] || why="${why:+$why, }no Python guest in $GUESTS"
command -v setpriv >/dev/null || why="${why:+$why, }no setpriv"
python3 -c 'import yaml' 2>/dev/null || why="${why:+$why, }no python3-yaml"
if [ -n "$why" ]; then
    skip "the pod's sandbox ($why)"
    summary
    exit
fi
if [ -z "${WB_IN_NETNS:-}" ]; then
    if ! unshare --net true 2>/dev/null || ! command -v ip >/dev/null; then
        skip "the pod's sandbox (unshare --net is not available here)"
        summary
        exit
    fi
    exec env WB_IN_NETNS=1 WB_BUILD="$B" WASMBOX_GUESTS="$GUESTS" \
        unshare --net bash "$0"
fi
ip link set lo up
server_scratch wasmbox-podlike          # $T (0711), $spid killed at exit
PODLIKE=$T/podlike
if ! cc -O1 -o "$PODLIKE" tests/deploy/podlike.c -lseccomp 2>"$T/cc.log"; then
    skip "the pod's sandbox (cannot build podlike.c: $(head -1 "$T/cc.log"))"
    summary
    exit
fi

# The image's layout: binary and guests readable by all, owned by root;
# state and /tmp the server's; the key file root:10001 0440.
mkdir -p "$T/opt/bin" "$T/opt/guests" "$T/state" "$T/tmp" "$T/keys"
cp "$ATTEMPT" "$T/opt/bin/wasmbox"
cp -a "$GUESTS/python" "$T/opt/guests/"
chmod -R a+rX,go-w "$T/opt"
chown 10001:10001 "$T/state" "$T/tmp"
KEY=pod-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'team-a:%s\n' "$KEY" > "$T/keys/api-keys"
chown root:10001 "$T/keys/api-keys"
chmod 0440 "$T/keys/api-keys"
python3 -c 'import sys, yaml
d = yaml.safe_load(open("deploy/kubernetes/configmap-policy.yaml"))
sys.stdout.write(d["data"]["policy.yaml"])' > "$T/policy.yaml"
chmod 644 "$T/policy.yaml"
H="Authorization: Bearer $KEY"

req() {     # req METHOD PATH [JSON]: $CODE, body in $T/body
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 60 -X "$1" \
        -H "$H" ${3:+-d "$3"} "$URL$2")
}
jget() { python3 -c "import json; j=json.load(open('$T/body')); print($1)" 2>/dev/null; }
step() {    # step SESSION CODE
    req POST "/v1/sessions/$1/exec" "$(python3 -c 'import json, sys
print(json.dumps({"language": "python", "code": sys.argv[1]}))' "$2")"
}
status() {  # status PID FIELD: a field of /proc/PID/status
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
attempt() { # attempt SESSION KIND: "allowed", "refused" or what came
    step "$1" "#wb-test-attempt:$2"
    local e; e=$(jget "j['stderr']")
    case $e in
    "attempt $2: allowed"*) echo allowed ;;
    "attempt $2: refused"*) echo refused ;;
    *) echo "$CODE $(head -c 200 "$T/body")" ;;
    esac
}

# scenario NAME [--no-landlock]: the server under the pod's restrictions
scenario() {
    local name=$1; shift
    rm -rf "$T/state/"* "$T/tmp/"*
    setpriv --reuid 10001 --regid 10001 --clear-groups --inh-caps=-all \
        --bounding-set=-all --no-new-privs \
        "$PODLIKE" "$@" env -i PATH=/usr/bin:/bin HOME=/tmp TMPDIR="$T/tmp" \
        XDG_CACHE_HOME="$T/tmp" WASMBOX_GUESTS="$T/opt/guests" \
        "$T/opt/bin/wasmbox" serve --listen=127.0.0.1:0 \
        --policy="$T/policy.yaml" --api-keys="$T/keys/api-keys" \
        --state-dir="$T/state" --scratch-dir="$T/tmp" --workers=2 \
        --drain-delay=1s 2>"$T/$name.log" &
    spid=$!
    URL=$(server_url "$T/$name.log")
    if [ -z "$URL" ]; then
        fail "$name: the server did not start: $(head -3 "$T/$name.log")"
        return 1
    fi
    local srv=$spid      # setpriv, podlike and env exec: the same process
    req POST /v1/run '{"language": "python", "code": "print(6 * 7)"}'
    check_that "$name: a one-shot Python run as uid 10001" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 42 ]
    req POST /v1/sessions '{}'; local a; a=$(jget "j['id']")
    req POST /v1/sessions '{}'; local b; b=$(jget "j['id']")
    step "$a" 'x = 41
open("/work/secret.txt", "w").write("team data")'
    step "$a" 'print(x + 1)'
    check_that "$name: a session keeps its state" \
        [ "$CODE" = 200 -a "$(jget "j['stdout']")" = 42 ]
    step "$b" 'pass'
    # the zygote is the server's child; the workers are the zygote's
    local zyg workers w
    zyg=$(pgrep -P "$srv" | head -1)
    workers=$(pgrep -P "$zyg" | tr '\n' ' ')
    w=$(awk '{ print $1 }' <<<"$workers")
    check_that "$name: workers exist ($workers)" [ -n "$w" ]
    [ -n "$w" ] || return 1
    check_that "$name: workers run as uid 10001, no capability, no_new_privs" \
        [ "$(status "$w" Uid)" = 10001 -a "$(status "$w" CapEff)" = 0000000000000000 \
          -a "$(status "$w" NoNewPrivs)" = 1 ]
    check_that "$name: workers have their own filter on the runtime's ($(status "$w" Seccomp_filters) filters)" \
        [ "$(status "$w" Seccomp)" = 2 -a "$(status "$w" Seccomp_filters)" -ge 2 ]
    check_that "$name: degraded as documented: workers share the server's user and network namespaces" \
        [ "$(readlink "/proc/$w/ns/net")" = "$(readlink "/proc/$srv/ns/net")" -a \
          "$(readlink "/proc/$w/ns/user")" = "$(readlink "/proc/$srv/ns/user")" ]
    local ws_a; ws_a=$(dirname "$(find "$T/state/sessions/$a" -name secret.txt | head -1)")
    KEYFILE_READ=$(attempt "$b" "open:$T/keys/api-keys")
    OTHER_READ=$(attempt "$b" "open:$ws_a/secret.txt")
    PASSWD_READ=$(attempt "$b" "open:/etc/passwd")
    EXEC=$(attempt "$b" exec)
    CONNECT=$(attempt "$b" "connect:${URL##*:}")
    kill -TERM "$spid"; wait "$spid"; local rc=$?; spid=
    check_that "$name: SIGTERM: exit 0" [ "$rc" = 0 ]
}
check_that() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name: $CODE $(head -c 300 "$T/body" 2>/dev/null)"; fi
}
refused_or_killed() { [ "$1" = refused ] || [[ $1 == 500* ]]; }

if scenario runtime-default; then
    check_that "RuntimeDefault-like: no warning about Landlock" \
        eval '! grep -q "no Landlock" "$T/runtime-default.log"'
    check_that "RuntimeDefault-like: a worker cannot read the API key file ($KEYFILE_READ)" \
        [ "$KEYFILE_READ" = refused ]
    check_that "RuntimeDefault-like: nor another session's files ($OTHER_READ)" \
        [ "$OTHER_READ" = refused ]
    check_that "RuntimeDefault-like: nor /etc/passwd ($PASSWD_READ)" [ "$PASSWD_READ" = refused ]
    check_that "RuntimeDefault-like: execve kills the worker" refused_or_killed "$EXEC"
    check_that "RuntimeDefault-like: no TCP connect to the server ($CONNECT)" \
        [ "$CONNECT" = refused ]
fi
if scenario no-landlock --no-landlock; then
    check_that "without Landlock: one warning line says so" \
        grep -q "no Landlock" "$T/no-landlock.log"
    # what deploy/README.md warns about: the workers have the server's uid
    check_that "without Landlock: degraded as documented: a worker reads the API key file" \
        [ "$KEYFILE_READ" = allowed ]
    check_that "without Landlock: degraded as documented: and another session's files" \
        [ "$OTHER_READ" = allowed ]
    check_that "without Landlock: execve still kills the worker (its own filter)" \
        refused_or_killed "$EXEC"
    check_that "without Landlock: TCP connect still refused (its own filter) ($CONNECT)" \
        [ "$CONNECT" = refused ]
fi
# --require-landlock: where that degradation is not acceptable, the
# server refuses to start (status 1, one line) instead of warning
setpriv --reuid 10001 --regid 10001 --clear-groups --inh-caps=-all \
    --bounding-set=-all --no-new-privs "$PODLIKE" --no-landlock \
    env -i PATH=/usr/bin:/bin HOME=/tmp "$T/opt/bin/wasmbox" serve \
    --require-landlock --listen=127.0.0.1:0 --insecure-no-auth \
    --state-dir="$T/state" --scratch-dir="$T/tmp" 2>"$T/require.log" </dev/null &
rpid=$!
for _ in $(seq 100); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$rpid" 2>/dev/null; then
    kill "$rpid"; wait "$rpid"
    fail "--require-landlock without Landlock: the server started: $(head -2 "$T/require.log")"
else
    wait "$rpid"; rrc=$?
    check_that "--require-landlock without Landlock: status 1 and one line ($rrc)" \
        eval '[ "$rrc" = 1 ] && [ "$(wc -l <"$T/require.log")" = 1 ] && grep -q "no Landlock; not starting" "$T/require.log"'
fi
summary
