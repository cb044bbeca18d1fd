# exercises: access log: requests per status code and per hour, error lines, awk conditions
# status: 0
# gnu: same
echo "by status:"
awk '{n[$9]++} END {for (s in n) print s, n[s]}' access.log | sort -n
echo "by hour:"
awk -F'[][]' '{split($2, t, ":"); print t[2]}' access.log | sort | uniq -c
echo "server errors:"
awk '$9 >= 500 {print $4, $7}' access.log | tr -d '['
echo "client errors: $(awk '$9 ~ /^4/' access.log | wc -l)"
echo "POST requests: $(grep -c '"POST ' access.log)"
