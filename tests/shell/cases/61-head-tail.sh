# exercises: head -n N, head -c N, tail -n N, tail -n +N, tail -c N, several files
# status: 0
# gnu: same
head -n 3 app.log
head -2 sales.csv
tail -n 2 app.log
tail -n +48 sales.csv
tail -1 project/items.txt
head -c 20 notes.txt; echo
tail -c 9 notes.txt
head -n 1 project/items.txt project/Makefile
seq 1 20 | head -n 15 | tail -n 3
seq 5 | tail -n +3 | head -n 1
head -n 0 sales.csv | wc -c
