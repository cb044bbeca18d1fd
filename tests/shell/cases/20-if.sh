# exercises: if / elif / else, conditions from commands, nested if, if on pipelines
# status: 0
# gnu: same
classify() {
    if [ "$1" -lt 0 ]; then
        echo "$1 negative"
    elif [ "$1" -eq 0 ]; then
        echo "$1 zero"
    elif [ "$1" -lt 10 ]; then
        if [ $(( $1 % 2 )) -eq 0 ]; then echo "$1 small even"; else echo "$1 small odd"; fi
    else
        echo "$1 large"
    fi
}
for n in -4 0 3 8 42; do classify "$n"; done
if grep -q ERROR app.log; then echo "app.log has errors"; fi
if ! grep -q FATAL app.log; then echo "no FATAL"; fi
if cut -d, -f2 sales.csv | grep -qx east; then echo "east sells"; fi
if false; then :; fi
echo "if with no branch taken: $?"
if false; then :; else (exit 4); fi
echo "else status: $?"
