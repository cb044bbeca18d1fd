# exercises: yes | head (the writer ends when the reader does), seq | head, a pipeline's early exit
# status: 0
# gnu: same
yes | head -3
yes abc | head -n 2
yes 'two words' | head -1
yes | head -1000 | wc -l
seq 1 100000 | head -2
seq 1 100000 | grep -m1 777
yes x | sed 5q | tr -d '\n'; echo
echo "pipeline status: $(yes | head -1 >/dev/null; echo $?)"
