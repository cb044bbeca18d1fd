# exercises: an eight-stage pipeline and pipelines inside $(...) and loops
# status: 0
# gnu: same
cat access.log | grep -v '" 30[14] ' | awk '{print $7}' | sed 's|/[0-9][0-9]*$|/ID|' |
    sort | uniq -c | sort -k1,1nr -k2 | head -4
n=$(seq 1 50 | grep 5 | tr -d '\n' | wc -c)
echo "digits in numbers with a 5: $n"
for f in sales.csv app.log; do
    printf '%s %s\n' "$f" "$(cat "$f" | tr -cd ',' | wc -c)"
done
seq 1 6 | { while read -r a; do read -r b; echo "$a+$b=$((a + b))"; done; } | tail -2
