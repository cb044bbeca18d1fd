# exercises: seq LAST, FIRST LAST, FIRST INCR LAST, negative steps, -w, -s
# status: 0
# gnu: same
seq 5 | tr '\n' ' '; echo
seq 3 7 | tr '\n' ' '; echo
seq 2 3 14 | tr '\n' ' '; echo
seq 10 -3 0 | tr '\n' ' '; echo
seq -w 8 11 | tr '\n' ' '; echo
seq -s, 1 6
seq -s ' + ' 4
seq 0 | wc -l
seq 1000 | tail -1
seq 1 0.5 3 | tr '\n' ' '; echo
echo "sum 1..100 = $(seq 100 | awk '{s += $1} END {print s}')"
