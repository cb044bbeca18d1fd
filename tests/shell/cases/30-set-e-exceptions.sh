# exercises: set -e does not fire in if/while conditions, && || lists, ! or non-last pipeline stages
# status: 1
# gnu: same
set -e
if false; then echo no; else echo "if condition"; fi
while false; do :; done; echo "while condition"
false && echo no
echo "left of &&"
false || echo "left of ||"
! true
echo "after ! true"
false | true
echo "non-last pipeline stage"
f() { false; echo "inside f called from a condition: set -e is off"; }
if f; then echo "f ok"; fi
(false; echo "in a subshell left of ||: set -e is off") || echo "subshell failed"
x=$(false) || echo "substitution failed"
echo "now a plain failure"
grep -q nowhere sales.csv
echo never
