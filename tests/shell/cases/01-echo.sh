# exercises: echo (dash's builtin): arguments, -n, backslash escapes
# status: 0
# gnu: same
echo hello world
echo "two  spaces" kept
echo -n "no newline"
echo
echo 'tab:\there' 'newline:\nnext'
echo 'octal \0101\0102' 'stop\chere' after
echo -- dashes -e not-an-option
echo
echo ""
echo "a" "" "b"
