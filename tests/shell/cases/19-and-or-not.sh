# exercises: && || ! chains, their left-to-right grouping, status of lists
# status: 0
# gnu: same
true && echo a
false && echo never
false || echo b
true || echo never
false && echo x || echo c
true && false || echo d
! false && echo e
! true || echo f
false; echo "status $?"
! false; echo "status $?"
! true; echo "status $?"
true && { echo g; false; } || echo h
[ -f sales.csv ] && [ ! -d sales.csv ] && echo "sales.csv is a file"
grep -q north sales.csv && grep -q nowhere sales.csv || echo "no nowhere"
