# exercises: $? after builtins, commands, a missing command (127), exit N and its wrap
# status: 44
# gnu: same
true; echo "true: $?"
false; echo "false: $?"
grep -q north sales.csv; echo "grep found: $?"
grep -q nowhere sales.csv; echo "grep not found: $?"
grep -q x no-such-file 2>/dev/null; echo "grep error: $?"
no_such_command_xyz 2>/dev/null; echo "missing command: $?"
./no-such-script 2>/dev/null; echo "missing path: $?"
(exit 0); echo "exit 0: $?"
(exit 255); echo "exit 255: $?"
(exit 256); echo "exit 256: $?"
sh -c 'exit 9'; echo "sh -c exit 9: $?"
f() { return 5; }; f; echo "function return 5: $?"
echo "status of echo itself: $?"
[ 1 -eq 2 ]; echo "test false: $?"
exit 300
