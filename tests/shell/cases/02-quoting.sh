# exercises: single, double and backslash quoting; quotes inside quotes
# status: 0
# gnu: same
x=value
echo 'single $x `date` \n stays'
echo "double $x and \$x and \`tick\` and \\ and \"quote\""
echo unquoted\ space\ kept \$x
echo "it's" 'say "hi"' "a'b"'c"d'
echo "$x"'$x'"${x}"
echo "nested $(echo "inner \"quoted\" $x")"
printf '%s|' "a b" 'c  d' e\ f; echo
echo "line one
line two"
y="*"
echo "$y" '*.log'
