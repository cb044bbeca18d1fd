# exercises: set -u: an unset variable is an error that ends the shell; defaults still work
# status: 2
# gnu: same
set -u
defined=yes
echo "$defined ${undefined:-default} ${undefined-dash}"
echo "positional count: $#"
(echo "$undefined") 2>/dev/null || echo "subshell failed: $?"
set +u
echo "without -u: [$undefined]"
set -u
echo "last line"
echo "$undefined"
echo never
