# exercises: a realistic log report: per-level counts, first/last timestamps, busiest component, a here-doc template
# status: 0
# gnu: same
log=app.log
first=$(head -1 "$log" | cut -d' ' -f1)
last=$(tail -1 "$log" | cut -d' ' -f1)
total=$(wc -l < "$log")
errors=$(grep -c ' ERROR ' "$log")
busiest=$(awk '{print $3}' "$log" | tr -d '[]' | sort | uniq -c | sort -k1,1nr -k2 | head -1 | awk '{print $2}')
cat <<EOF
Report for $log
  period:   $first .. $last
  lines:    $total
  errors:   $errors ($((errors * 100 / total))%)
  busiest:  $busiest
EOF
echo "  levels:"
awk '{print $2}' "$log" | sort | uniq -c | while read -r n level; do
    printf '    %-6s %3d %s\n' "$level" "$n" "$(printf '%*s' $((n / 2)) '' | tr ' ' '#')"
done
echo "  errors by hour:"
grep ' ERROR ' "$log" | cut -c12-13 | sort | uniq -c | awk '{printf "    %s:00 %d\n", $2, $1}'
