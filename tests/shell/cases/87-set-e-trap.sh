# exercises: set -e with a trap on EXIT that reports the status; a failing command inside a function ends the script
# status: 4
# gnu: same
set -e
trap 'rc=$?; echo "cleanup: status $rc"; rm -f work.tmp' EXIT
echo data > work.tmp
step() { echo "step $1"; sh -c "exit $2"; echo "step $1 done"; }
step one 0
step two 0
step three 4
echo never
