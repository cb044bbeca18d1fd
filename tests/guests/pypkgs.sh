#!/bin/bash
# tests/guests/pypkgs.sh: Python packages in the guest (issue 20): the
# image's pure-Python site-packages and time zones, a user's directory
# with `wasmbox python --packages DIR` and the policy key python.packages
# (wasmbox python --policy, serve, mcp), the clear failures for C
# extensions and pip, and attempts to cross the boundary (writing into
# the image or the packages, symlinks and sys.path entries that point at
# host files, .pth and sitecustomize files in DIR).
# The server cases run in a network namespace of their own (unshare
# --net; skipped without it).
# WB_BUILD: build directory (default build); WASMBOX: the binary (default
# $WB_BUILD/wasmbox); WASMBOX_GUESTS: the images (default $WB_BUILD/guests).
# Last line: "N passed, N failed, N skipped" (tests/lib.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=$(realpath "${WASMBOX:-$B/wasmbox}" 2>/dev/null || echo "${WASMBOX:-$B/wasmbox}")
export WASMBOX_GUESTS=${WASMBOX_GUESTS:-$B/guests}

if [ -z "${WB_IN_NETNS:-}" ] && unshare --net true 2>/dev/null &&
   command -v ip >/dev/null; then
    exec env WB_IN_NETNS=1 WASMBOX="$W" unshare --net bash "$0"
fi
netns=${WB_IN_NETNS:-}
[ -z "$netns" ] || ip link set lo up

if [ ! -x "$W" ] || [ ! -f "$WASMBOX_GUESTS/python/python.wasm" ]; then
    skip "python packages: no wasmbox or no python image ($WASMBOX_GUESTS)"
    summary
    exit
fi
if [ ! -d "$WASMBOX_GUESTS/python/lib/zoneinfo" ]; then
    skip "python packages: the image predates them (make guests)"
    summary
    exit
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/wbpypkgs.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export TMPDIR=$T

# py NAME WANT_RC WANT_OUT WANT_ERR [SANDBOX OPTIONS...] -- CODE: `wasmbox
# python OPTIONS -c CODE`, from the snapshot and (NAME " (cold)") cold.
py() {
    local name=$1 rc want_rc=$2 want_out=$3 want_err=$4 opts=() cold
    shift 4
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    for cold in "" 1; do
        rc=0
        WASMBOX_COLD=$cold "$W" python "${opts[@]}" -c "$2" \
            >"$T/out" 2>"$T/err" </dev/null || rc=$?
        expect "$name${cold:+ (cold)}" "$want_rc" "$want_out" "$want_err" \
            "$rc" "$T/out" "$T/err"
    done
}

# cli NAME WANT_RC WANT_OUT WANT_ERR CMD...: one command.
cli() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc=0
    shift 4
    "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    expect "$name" "$want_rc" "$want_out" "$want_err" "$rc" "$T/out" "$T/err"
}

# has NAME TEXT WANT: NAME passes when TEXT contains WANT.
has() {
    if [[ $2 == *"$3"* ]]; then pass "$1"; else fail "$1: $(head -c 600 <<<"$2")"; fi
}

# ---- the image's packages ------------------------------------------------
py "dateutil parses a date" 0 "2024-03-05T22:20:00 +1 month: 2024-04-05" "" -- '
from dateutil import parser, relativedelta
d = parser.parse("5 March 2024 10:20 PM")
print(d.isoformat(), "+1 month:", (d + relativedelta.relativedelta(months=1)).date())'
py "dateutil time zones" 0 "tzfile('/lib/zoneinfo/Europe/London') +01:00" "" -- '
import datetime
from dateutil import tz
z = tz.gettz("Europe/London")
print(repr(z), datetime.datetime(2024, 7, 1, tzinfo=z).strftime("%z")[:3] + ":00")'
py "pytz localizes with the image's tzdata" 0 "+02:00 -05:00 ok" "" -- '
import datetime, pytz
p = pytz.timezone("Europe/Paris").localize(datetime.datetime(2024, 7, 1, 12))
n = pytz.timezone("America/New_York").localize(datetime.datetime(2024, 1, 1, 12))
ok = pytz.OLSON_VERSION[:2] == "20" and len(pytz.all_timezones) > 400 and "Europe/Paris" in pytz.common_timezones
print(p.isoformat()[-6:], n.isoformat()[-6:], "ok" if ok else "bad")'
py "stdlib zoneinfo finds /lib/zoneinfo" 0 "9:00:00 True" "" -- '
import datetime, zoneinfo
z = zoneinfo.ZoneInfo("Asia/Tokyo")
print(datetime.datetime(2024, 1, 1, tzinfo=z).utcoffset(), "Asia/Tokyo" in zoneinfo.available_timezones())'
py "tabulate" 0 "  a    b" "" -- '
import tabulate
print(tabulate.tabulate([[1, 2], [3, 4]], headers=["a", "b"]))'
py "attrs" 0 "Point(x=1, y=2) True" "" -- '
import attr, attrs
@attrs.define
class Point:
    x: int
    y: int = 0
print(Point(1, 2), attr.asdict(Point(1, 2)) == {"x": 1, "y": 2})'
py "packaging versions" 0 "True True" "" -- '
from packaging.version import Version
from packaging.specifiers import SpecifierSet
print(Version("1.10") > Version("1.9"), Version("2.1") in SpecifierSet(">=2,<3"))'
py "six, typing_extensions, metadata" 0 "True 2.8.2 23.0" "" -- '
import six, typing_extensions, importlib.metadata as m
print(six.PY3 and hasattr(typing_extensions, "TypedDict"), m.version("python-dateutil"), m.version("packaging"))'

# ---- the image is read-only ---------------------------------------------
py "site-packages cannot be written" 1 "" "Read-only file system" -- '
open("/lib/python3.11/site-packages/evil.pth", "w").write("import os\n")'
py "an image package cannot be changed" 1 "" "Read-only file system" -- '
import dateutil; open(dateutil.__file__, "a").write("x = 1\n")'
py "the zone files cannot be changed" 1 "" "Read-only file system" -- '
open("/lib/zoneinfo/UTC", "wb").write(b"TZif")'

# ---- --packages ------------------------------------------------------------
pk=$T/pk
out=$T/outside
mkdir -p "$pk/mypkg" "$out/hostpkg"
echo 'VALUE = 42' > "$pk/mypkg/__init__.py"
echo '__version__ = "user"' > "$pk/six.py"
echo 'SECRET = "host file read"' > "$out/evil.py"
echo 'SECRET = "host package read"' > "$out/hostpkg/__init__.py"
ln -s "$out" "$pk/outlink"
ln -s "$out/evil.py" "$pk/evil2.py"
ln -s ../outside/evil.py "$pk/evil3.py"
printf 'import sys; print("PTH RAN")\n/\n%s\n' "$out" > "$pk/zz.pth"
echo 'print("SITECUSTOMIZE RAN")' > "$pk/sitecustomize.py"
echo 'garbage' > "$pk/fastmod.cpython-311-x86_64-linux-gnu.so"
before=$(cd "$pk" && find . | sort | md5sum)

py "--packages: a user's package imports" 0 "42 /packages/mypkg/__init__.py user" "" \
    --packages "$pk" -- '
import mypkg, six
print(mypkg.VALUE, mypkg.__file__, six.__version__)'
py "--packages: its .pth and sitecustomize.py are not run" 0 "clean" "" \
    --packages "$pk" -- '
import sys
print("clean" if "/" not in sys.path[1:] and not any("outside" in p for p in sys.path) else sys.path)'
has "--packages: .pth and sitecustomize.py not run (output)" "[$(cat "$T/out" "$T/err")]" "[clean]"
py "--packages: writing into it fails" 1 "" "Read-only file system" --packages "$pk" -- '
open("/packages/mypkg/__init__.py", "a").write("VALUE = 0\n")'
py "--packages: a new file in it fails" 1 "" "Read-only file system" --packages "$pk" -- '
open("/packages/new.py", "w")'
py "--packages: no directory can be made in it" 1 "" "Read-only file system" --packages "$pk" -- '
import os; os.mkdir("/packages/d")'
py "--packages: an absolute symlink out is not followed" 0 "blocked blocked" "" \
    --packages "$pk" -- '
r = []
for m in ("outlink.hostpkg", "evil2"):
    try:
        __import__(m); r.append("IMPORTED " + m)
    except ImportError:
        r.append("blocked")
print(*r)'
py "--packages: a relative symlink that climbs out is not followed" 1 "" "evil3" \
    --packages "$pk" -- 'import evil3'
py "--packages: sys.path cannot reach host files" 0 "blocked blocked blocked" "" \
    --packages "$pk" -- "
import sys
r = []
for p in ('$out', '/packages/..', '/packages/outlink'):
    sys.path.insert(0, p)
    try:
        import evil; r.append('IMPORTED from ' + p)
    except ImportError:
        r.append('blocked')
    sys.path.remove(p)
print(*r)"
py "--packages: a compiled extension file fails clearly" 1 "" \
    "/packages/fastmod.cpython-311-x86_64-linux-gnu.so is a compiled C extension module" \
    --packages "$pk" -- 'import fastmod'
mkdir -p "$T/cw"
echo 'garbage' > "$T/cw/cmod.abi3.so"
py "a compiled extension file in the working directory fails clearly" 1 "" \
    "/w/cmod.abi3.so is a compiled C extension module" \
    --dir "$T/cw:/w:ro" --cwd /w -- 'import cmod'
py "--packages=DIR" 0 "42" "" "--packages=$pk" -- 'import mypkg; print(mypkg.VALUE)'
after=$(cd "$pk" && find . | sort | md5sum)
has "--packages: the host directory is unchanged" "$after" "$before"
has "--packages: nothing written beside it" "$(cd "$out" && echo *)" "evil.py hostpkg"
py "without --packages there is no /packages" 0 "False" "" -- '
import os, sys; print(os.path.exists("/packages") or "/packages" in sys.path)'
cli "--packages with -I (as a session's kernel runs)" 0 "42" "" \
    "$W" python --packages "$pk" -I -c 'import mypkg; print(mypkg.VALUE)'

cli "--packages is python's only" 125 "" "--packages $pk: is an option of 'wasmbox python' only" \
    "$W" js --packages "$pk" -e 1
cli "--packages: a missing directory" 125 "" "No such file or directory" \
    "$W" python --packages "$T/nonexistent" -c 1
cli "--packages: a file" 125 "" "Not a directory" \
    "$W" python --packages "$pk/six.py" -c 1
cli "--packages: given twice" 125 "" "is given twice" \
    "$W" python --packages "$pk" --packages "$pk" -c 1
cli "--packages: /packages granted by --dir too" 125 "" "/packages is already granted by --dir" \
    "$W" python --packages "$pk" --dir "$out:/packages" -c 1
mkdir -p "$T/a:b"
cli "--packages: a name with ':'" 125 "" "no ':'" \
    "$W" python --packages "$T/a:b" -c 1
cli "--packages as Python's argument" 0 "['-c', '--packages']" "" \
    "$W" python -c 'import sys; print(sys.argv)' --packages

# ---- honest failures -------------------------------------------------------
for m in numpy pandas lxml.etree; do
    py "import $m fails clearly" 1 "" \
        "No module named '${m%%.*}': ${m%%.*} needs compiled C extension modules, which this sandbox cannot load; only the native packages built into its Python image are available (none)" \
        -- "import $m"
done
py "a C-extension package can be caught and probed" 0 "caught ModuleNotFoundError None None" "" -- '
import importlib.util as u
try:
    import numpy
except ImportError as e:
    print("caught", type(e).__name__, e.name if e.name != "numpy" else None, u.find_spec("pandas"))'
py "an unknown module: the usual error and a hint" 1 "" "--packages DIR" -- 'import nosuchmodule'
has "an unknown module: the usual message" "$(cat "$T/err")" \
    "ModuleNotFoundError: No module named 'nosuchmodule'"
cli "python -m pip install: refused, status 1" 1 "" \
    "installing packages inside the wasmbox sandbox is not supported; pure-Python packages can be given to the sandbox with \`wasmbox python --packages DIR\`" \
    "$W" python -m pip install requests
cli "python -m pip --version: refused too" 1 "" "not supported" \
    "$W" python -m pip --version
py "import pip: refused with the same hint" 1 "" "pip: installing packages inside" -- 'import pip'

# ---- the policy key ----------------------------------------------------------
mkdir -p "$T/pol"
printf 'python:\n  packages: ../pk\n' > "$T/pol/policy.yaml"
py "policy python.packages (relative to the file)" 0 "42" "" \
    --policy "$T/pol/policy.yaml" -- 'import mypkg; print(mypkg.VALUE)'
py "policy python.packages is read-only" 1 "" "Read-only file system" \
    --policy "$T/pol/policy.yaml" -- 'open("/packages/x.py", "w")'
printf 'python:\n  packages: %s\ngrants:\n  dirs: [{host: %s, guest: /packages, mode: rw}]\n' \
    "$pk" "$out" > "$T/pol/clash.yaml"
cli "policy: python.packages and a grant at /packages" 125 "" "contradiction" \
    "$W" python --policy "$T/pol/clash.yaml" -c 1
printf 'python:\n  packages: %s\n  extra: 1\n' "$pk" > "$T/pol/bad.yaml"
cli "policy: an unknown key in python" 125 "" "unknown key 'extra' in python" \
    "$W" python --policy "$T/pol/bad.yaml" -c 1
printf 'python:\n  packages: nowhere\n' > "$T/pol/missing.yaml"
cli "policy: python.packages missing" 125 "" "'packages' in python" \
    "$W" python --policy "$T/pol/missing.yaml" -c 1

# ---- serve and mcp with the policy key -----------------------------------
if [ -z "$netns" ]; then
    skip "serve and mcp with python.packages (unshare --net is not available here)"
    summary
    exit
fi
printf 'python:\n  packages: %s\nsession:\n  languages: [python]\n' "$pk" > "$T/srv.yaml"
printf 'k:%s\n' kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk > "$T/keys"
chmod 600 "$T/keys"
env -u WASMBOX_API_KEYS "$W" serve --listen 127.0.0.1:0 --policy "$T/srv.yaml" \
    --api-keys "$T/keys" --state-dir "$T/state" 2>"$T/serve.log" &
PIDS+=($!)
url=$(server_url "$T/serve.log")
H="Authorization: Bearer kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
# post PATH CODE: POST {"language": "python", "code": CODE}; prints the
# response's stdout and stderr
post() {
    curl -s -H "$H" -X POST "$url$1" -d "$(python3 -c 'import json, sys
print(json.dumps({"language": "python", "code": sys.argv[1]}))' "$2")" |
        python3 -c 'import json, sys; j = json.load(sys.stdin)
print(j.get("stdout", ""), j.get("stderr", ""), j.get("error", ""))'
}
if [ -z "$url" ]; then
    fail "serve did not start: $(head -c 400 "$T/serve.log")"
else
    has "serve /v1/run: python.packages on sys.path" \
        "$(post /v1/run 'import mypkg; print(mypkg.VALUE)')" "42"
    has "serve /v1/run: /packages read-only" \
        "$(post /v1/run 'open("/packages/x.py", "w")')" "Read-only file system"
    has "serve /v1/run: C-extension message" "$(post /v1/run 'import pandas')" \
        "pandas needs compiled C extension modules"
    sid=$(curl -s -H "$H" -X POST "$url/v1/sessions" -d '{}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin).get("id", ""))')
    post "/v1/sessions/$sid/exec" 'import mypkg; v = mypkg.VALUE' >/dev/null
    has "serve session exec: python.packages" "$(post "/v1/sessions/$sid/exec" \
        'print(v + 1, __import__("sys").path.count("/packages"))')" "43 1"
fi

python3 - "$W" "$T/mcp" "$T/srv.yaml" >"$T/mcp.out" 2>"$T/mcp.err" <<'EOF'
import json, subprocess, sys
p = subprocess.Popen([sys.argv[1], "mcp", "--state-dir", sys.argv[2],
                      "--policy", sys.argv[3]],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def call(i, method, params):
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                              "params": params}) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())
call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}})
p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
for i, code in enumerate(["import mypkg; print('mcp', mypkg.VALUE)",
                          "open('/packages/y.py', 'w')"]):
    r = call(2 + i, "tools/call", {"name": "run_python", "arguments": {"code": code}})
    print(json.dumps(r["result"]["content"][0]["text"]))
p.stdin.close()
p.wait(timeout=30)
EOF
has "mcp run_python: python.packages on sys.path" "$(cat "$T/mcp.out" "$T/mcp.err")" "mcp 42"
has "mcp run_python: /packages read-only" "$(cat "$T/mcp.out")" "Read-only file system"
summary
