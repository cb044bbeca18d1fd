# exercises: a pipeline's status is its last command's; ! inverts it; every stage runs
# status: 0
# gnu: same
false | true; echo "false|true: $?"
true | false; echo "true|false: $?"
grep -c GET access.log | grep -q 999; echo "count not 999: $?"
! grep nowhere sales.csv | wc -l; echo "negated: $?"
(exit 3) | (exit 4); echo "last wins: $?"
cat sales.csv | grep north | sort | wc -l
echo "x" | { read -r v; echo "read $v"; exit 6; }; echo "group in pipe: $?"
seq 1 5 | while read -r n; do last=$n; done; echo "last after the piped loop: [${last-unset}]"
