# exercises: sh -c with $0 and arguments, sh SCRIPT ARGS, sh -s on stdin, sh -e, reading from an empty stdin
# status: 0
# gnu: same
sh -c 'echo "[$0] [$1] [$2] $#"' zero one two
sh -c 'echo "$# args: $*"' sh a b c
cat > child.sh <<'EOF'
echo "child got $# args: $*"
exit $#
EOF
sh child.sh x y; echo "child status $?"
echo 'echo "from stdin: $1"' | sh -s arg
sh -e -c 'false; echo never'; echo "sh -e: $?"
sh -c 'false; echo "without -e this prints"'
read -r line; echo "read from empty stdin: $? [${line-}]"
cat; echo "cat of empty stdin: $?"
sh -c 'exit 300'; echo "wrapped: $?"
