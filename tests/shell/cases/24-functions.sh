# exercises: functions: arguments, return status, recursion, local, globals, redefinition
# status: 0
# gnu: same
fact() {
    if [ "$1" -le 1 ]; then echo 1; return; fi
    echo $(( $1 * $(fact $(( $1 - 1 ))) ))
}
echo "10! = $(fact 10)"
is_even() { return $(( $1 % 2 )); }
for n in 3 4; do
    if is_even "$n"; then echo "$n even"; else echo "$n odd (status $?)"; fi
done
counter=0
bump() { counter=$((counter + 1)); }
bump; bump; bump
echo "counter=$counter"
scoped() { local counter=100 extra; extra=x; echo "inside: $counter $extra"; }
scoped
echo "after: $counter [${extra-unset}]"
greet() { echo "hello $1"; }
greet first
greet() { echo "goodbye $1"; }
greet second
fib() { local a=0 b=1 i=0 t; while [ $i -lt "$1" ]; do t=$b; b=$((a + b)); a=$t; i=$((i + 1)); done; echo $a; }
echo "fib 30 = $(fib 30)"
nested() { inner() { echo "inner defined"; }; inner; }
nested; inner
