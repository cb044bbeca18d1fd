# exercises: set --, $#, $1..$9, ${10}, shift, "$@" in loops
# status: 0
# gnu: same
set -- a b c d e f g h i j k
echo "$# $1 $9 ${10} ${11}"
shift
echo "$# $1"
shift 3
echo "$# $*"
for arg in "$@"; do printf '<%s>' "$arg"; done; echo
set --
echo "empty: $#"
set -- "first arg" second
echo "$1|$2"
f() { echo "in f: $# [$1]"; set -- changed; echo "in f: $1"; }
f one two
echo "outside: $1"
(shift 5) 2>/dev/null
echo "shift too far: $?"
