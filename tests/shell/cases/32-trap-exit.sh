# exercises: trap on EXIT: runs at exit and at the end, sees $?, in subshells, reset with trap -
# status: 5
# gnu: same
trap 'echo "exit trap, status $?"' EXIT
(trap 'echo "subshell trap"' EXIT; echo "in subshell")
(trap 'echo "removed"' EXIT; trap - EXIT; echo "trap removed")
out=$(trap 'echo "trap in substitution"' EXIT; echo body)
echo "$out"
cleanup() { echo "cleanup of $1"; rm -f "$1"; }
(touch tmp.file; trap 'cleanup tmp.file' EXIT; echo working)
ls tmp.file 2>/dev/null || echo "tmp.file gone"
sh -c 'trap "echo child trap" EXIT; exit 2'; echo "child: $?"
exit 5
